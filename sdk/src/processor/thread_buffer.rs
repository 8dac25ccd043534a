//! Each producing thread's buffer for one batch processor, and the
//! thread-local table that finds it.
//!
//! The owning thread pushes ended spans into `spans` and takes recycled
//! records out of `free`; the processor's export thread does the opposite.
//! Each ring thus has exactly one producer and one consumer, which is what
//! makes the lock-free `Ring` sound. Counters are written by the owning
//! thread only, so they need no read-modify-write.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use super::ring::Ring;
use crate::unique_record::UniqueRecord;
use crate::SpanData;

#[derive(Debug)]
pub(crate) struct ThreadBuffer {
    spans: Ring<SpanData>,
    free: Ring<UniqueRecord>,
    ended: AtomicU64,
    /// Spans to push before this thread wakes the export thread again.
    until_wake: AtomicUsize,
    dropped_full: AtomicU64,
    dropped_closed: AtomicU64,
    /// Set when the owning thread has exited: nothing more will be pushed.
    orphaned: AtomicBool,
    /// Set when the processor has shut down: the thread forgets the buffer.
    closed: AtomicBool,
}

/// Counters a buffer leaves behind when it is retired.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) ended: u64,
    pub(crate) dropped_full: u64,
    pub(crate) dropped_closed: u64,
}

fn bump(counter: &AtomicU64) {
    // Only the owning thread writes, so load + store cannot lose updates
    // and avoids a locked read-modify-write on the hot path.
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Release);
}

impl ThreadBuffer {
    pub(crate) fn new(capacity: usize, batch_size: usize) -> ThreadBuffer {
        ThreadBuffer {
            spans: Ring::new(capacity),
            free: Ring::new(capacity),
            ended: AtomicU64::new(0),
            until_wake: AtomicUsize::new(batch_size),
            dropped_full: AtomicU64::new(0),
            dropped_closed: AtomicU64::new(0),
            orphaned: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn counts(&self) -> Counts {
        Counts {
            ended: self.ended.load(Ordering::Acquire),
            dropped_full: self.dropped_full.load(Ordering::Acquire),
            dropped_closed: self.dropped_closed.load(Ordering::Acquire),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    pub(crate) fn is_orphaned(&self) -> bool {
        self.orphaned.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Moves up to `max` queued spans into `batch`; returns how many.
    ///
    /// # Safety
    /// Only the processor's export thread may call this (the consumer of
    /// `spans`).
    pub(crate) unsafe fn drain_into(&self, batch: &mut Vec<SpanData>, max: usize) -> usize {
        // SAFETY: the caller is the only consumer of `spans`.
        unsafe { self.spans.pop_into(batch, max) }
    }

    /// Hands a record back to the owning thread; dropped when the
    /// free ring is full.
    ///
    /// # Safety
    /// Only the processor's export thread may call this (the producer of
    /// `free`).
    pub(crate) unsafe fn give_back(&self, record: UniqueRecord) {
        // SAFETY: the caller is the only producer of `free`.
        let _ = unsafe { self.free.push(record) };
    }
}

/// The owning thread's side of a buffer. Only [`with_local`] makes one, on
/// the thread that owns the buffer, and it cannot leave that call.
pub(crate) struct Local<'a> {
    buffer: &'a ThreadBuffer,
    /// Not `Send` nor `Sync`: the producer side must stay on its thread.
    _owning_thread: PhantomData<*const ()>,
}

impl Local<'_> {
    /// How many spans this thread's buffer holds.
    pub(crate) fn len(&self) -> usize {
        self.buffer.len()
    }

    pub(crate) fn count_ended(&self) {
        bump(&self.buffer.ended);
    }

    pub(crate) fn count_dropped_full(&self) {
        bump(&self.buffer.dropped_full);
    }

    pub(crate) fn count_dropped_closed(&self) {
        bump(&self.buffer.dropped_closed);
    }

    /// Queues `span`; on success says whether this thread has queued a
    /// whole batch since it last said so (time to wake the export thread).
    /// The queue's length is not read: that would touch the export
    /// thread's cache line on every push.
    pub(crate) fn push(&self, span: SpanData, batch_size: usize) -> Result<bool, SpanData> {
        // SAFETY: `Local` exists only inside `with_local` on the owning
        // thread, the only producer of `spans`.
        unsafe { self.buffer.spans.push(span) }?;
        let until = &self.buffer.until_wake;
        // Only the owning thread touches this countdown.
        match until.load(Ordering::Relaxed) {
            0 | 1 => {
                until.store(batch_size, Ordering::Relaxed);
                Ok(true)
            }
            n => {
                until.store(n - 1, Ordering::Relaxed);
                Ok(false)
            }
        }
    }
}

/// The thread's buffers, one per batch processor it has ended spans into.
struct LocalBuffers(Vec<(u64, Arc<ThreadBuffer>)>);

impl Drop for LocalBuffers {
    fn drop(&mut self) {
        for (_, buffer) in &self.0 {
            buffer.orphaned.store(true, Ordering::Release);
        }
    }
}

thread_local! {
    static LOCAL: RefCell<LocalBuffers> = const { RefCell::new(LocalBuffers(Vec::new())) };
}

/// Moves up to `max` recycled records from this thread's buffers into
/// `pool`, so the next spans start without allocating.
pub(crate) fn refill_pool(pool: &mut Vec<UniqueRecord>, max: usize) {
    let _ = LOCAL.try_with(|local| {
        let Ok(local) = local.try_borrow() else {
            return;
        };
        for (_, buffer) in &local.0 {
            let want = max.saturating_sub(pool.len());
            if want == 0 {
                break;
            }
            // SAFETY: this thread owns the buffer (it is in this thread's
            // table), so it is the only consumer of its free ring.
            unsafe { buffer.free.pop_with(want, |record| pool.push(record)) };
        }
    });
}

/// Runs `f` with this thread's buffer for processor `id`, registering one
/// with `register` the first time. `None` during thread teardown.
pub(crate) fn with_local<R>(
    id: u64,
    register: impl FnOnce() -> Arc<ThreadBuffer>,
    f: impl FnOnce(&Local<'_>) -> R,
) -> Option<R> {
    LOCAL
        .try_with(|local| {
            let mut local = local.try_borrow_mut().ok()?;
            let index = match local.0.iter().position(|(owner, _)| *owner == id) {
                Some(index) => index,
                None => {
                    // A new processor for this thread: forget the buffers of
                    // processors that have shut down.
                    local.0.retain(|(_, b)| !b.closed.load(Ordering::Acquire));
                    local.0.push((id, register()));
                    local.0.len() - 1
                }
            };
            let buffer = &*local.0[index].1;
            Some(f(&Local {
                buffer,
                _owning_thread: PhantomData,
            }))
        })
        .ok()
        .flatten()
}
