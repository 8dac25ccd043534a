//! The handshake that lets the export thread pace itself. While it does,
//! a thread that has queued a batch does not wake it (a system call on
//! that thread, as long as tens of spans); when it stops, no such batch
//! is left waiting for the schedule.

use crate::sync::{fence, AtomicBool, Ordering};

/// Whether the export thread paces itself: looks at the buffers again
/// soon, on its own.
#[derive(Debug, Default)]
pub(crate) struct Pacing(AtomicBool);

impl Pacing {
    /// The export thread will look again on its own, soon.
    pub(crate) fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// The export thread is about to sleep until woken. Returns whether it
    /// was pacing: then it must look at the buffers once more first, since
    /// a thread that saw it pacing did not wake it. That look sees every
    /// span such a thread pushed before asking [`will_look`](Self::will_look).
    pub(crate) fn stop(&self) -> bool {
        let was = self.0.swap(false, Ordering::Relaxed);
        if was {
            // Pairs with the fence in `will_look`: either that thread sees
            // the pacing stopped, or this thread's next look sees its push.
            fence(Ordering::SeqCst);
        }
        was
    }

    /// Whether the export thread paces itself now.
    #[cfg(test)]
    pub(crate) fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Asked by a thread that has just pushed a batch's last span: whether
    /// the export thread will look on its own (else the thread wakes it).
    pub(crate) fn will_look(&self) -> bool {
        fence(Ordering::SeqCst);
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, spanlite_loom))]
mod loom_tests {
    use super::*;
    use crate::processor::ring::Ring;
    use loom::sync::Arc;

    /// A thread pushes a span while the export thread stops pacing: in
    /// every interleaving the thread wakes the export thread, or the export
    /// thread's last look sees the span.
    #[test]
    fn a_batch_queued_as_pacing_stops_is_woken_for_or_seen() {
        loom::model(|| {
            let ring = Arc::new(Ring::new(2));
            let pacing = Arc::new(Pacing::default());
            pacing.start();
            let producer = {
                let (ring, pacing) = (ring.clone(), pacing.clone());
                loom::thread::spawn(move || {
                    // SAFETY: the only producer.
                    assert!(unsafe { ring.push(1u8) }.is_ok());
                    !pacing.will_look()
                })
            };
            let seen = if pacing.stop() { ring.len() } else { 0 };
            let woke = producer.join().unwrap();
            assert!(
                woke || seen == 1,
                "a queued span was neither woken for nor seen"
            );
        });
    }
}
