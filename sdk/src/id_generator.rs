//! Where trace and span ids come from.

use std::cell::RefCell;
use std::fmt;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::{SpanId, TraceId};

/// Makes new trace and span ids. Called on every span start: keep it cheap.
/// Object-safe: `Box<dyn IdGenerator>` works.
pub trait IdGenerator: Send + Sync + fmt::Debug {
    /// A new valid trace id.
    fn new_trace_id(&self) -> TraceId;

    /// A new valid span id.
    fn new_span_id(&self) -> SpanId;

    /// Whether the right-most 56 bits of every trace id are random, so root
    /// spans may set the W3C Level 2 random flag (when the provider is
    /// built [`with_random_trace_flag`]). `false` unless overridden.
    ///
    /// [`with_random_trace_flag`]: crate::TracerProviderBuilder::with_random_trace_flag
    fn trace_ids_are_random(&self) -> bool {
        false
    }
}

impl<G: IdGenerator + ?Sized> IdGenerator for Box<G> {
    fn new_trace_id(&self) -> TraceId {
        (**self).new_trace_id()
    }

    fn new_span_id(&self) -> SpanId {
        (**self).new_span_id()
    }

    fn trace_ids_are_random(&self) -> bool {
        (**self).trace_ids_are_random()
    }
}

/// Random ids from a fast per-thread generator (rand's `SmallRng`, seeded
/// from the OS). Trace ids are fully random, so roots get the W3C random flag.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIdGenerator;

thread_local! {
    static RNG: RefCell<SmallRng> = RefCell::new(SmallRng::from_os_rng());
}

#[inline]
fn with_rng<T>(f: impl Fn(&mut SmallRng) -> T) -> T {
    RNG.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut rng) => f(&mut rng),
        Err(_) => f(&mut SmallRng::from_os_rng()),
    })
    // During thread teardown: a generator of our own for this one call.
    .unwrap_or_else(|_| f(&mut SmallRng::from_os_rng()))
}

impl IdGenerator for RandomIdGenerator {
    #[inline]
    fn new_trace_id(&self) -> TraceId {
        loop {
            let id = TraceId::from_int(with_rng(|rng| rng.random()));
            if id.is_valid() {
                return id;
            }
        }
    }

    #[inline]
    fn new_span_id(&self) -> SpanId {
        loop {
            let id = SpanId::from_int(with_rng(|rng| rng.random()));
            if id.is_valid() {
                return id;
            }
        }
    }

    fn trace_ids_are_random(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let generator = RandomIdGenerator;
        let traces: HashSet<_> = (0..1000).map(|_| generator.new_trace_id()).collect();
        let spans: HashSet<_> = (0..1000).map(|_| generator.new_span_id()).collect();
        assert_eq!(traces.len(), 1000);
        assert_eq!(spans.len(), 1000);
        assert!(traces.iter().all(|id| id.is_valid()));
    }

    #[test]
    fn threads_get_different_sequences() {
        let a = std::thread::spawn(|| RandomIdGenerator.new_span_id())
            .join()
            .unwrap();
        let b = std::thread::spawn(|| RandomIdGenerator.new_span_id())
            .join()
            .unwrap();
        assert_ne!(a, b);
    }
}
