//! Where trace and span ids come from.

use std::cell::Cell;
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

/// Random ids from a fast per-thread generator (wyrand: 64 bits of state,
/// each thread seeded from the OS). Trace ids are fully random, so roots may
/// carry the W3C random flag.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIdGenerator;

thread_local! {
    /// The thread's generator state; 0 until seeded.
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// The wyrand increment (an odd constant; the state walks all 2^64 values).
const INCREMENT: u64 = 0xa076_1d64_78bd_642f;
const MIX: u64 = 0xe703_7ed1_a0b4_28db;

/// The next `N` random 64-bit values of this thread's generator. wyrand
/// is counter-based: each output depends only on its own state value, so
/// the `N` outputs are computed side by side from one read of the state
/// and one write, not as a chain through memory. The state lives in a
/// constant-initialised thread local without a destructor: no lazy
/// initialisation check, no borrow flag.
#[inline]
pub(crate) fn next_u64s<const N: usize>() -> [u64; N] {
    STATE.with(|state| {
        let mut s = state.get();
        if s == 0 {
            s = seed();
        }
        state.set(s.wrapping_add(INCREMENT.wrapping_mul(N as u64)));
        std::array::from_fn(|i| mix(s.wrapping_add(INCREMENT.wrapping_mul(i as u64 + 1))))
    })
}

#[inline]
fn mix(s: u64) -> u64 {
    let t = u128::from(s) * u128::from(s ^ MIX);
    (t as u64) ^ ((t >> 64) as u64)
}

/// A fresh seed from the OS for this thread (never 0).
#[cold]
fn seed() -> u64 {
    SmallRng::from_os_rng().random::<u64>() | 1
}

impl RandomIdGenerator {
    /// A trace id and a span id for a root span, without dynamic dispatch.
    #[inline(always)]
    pub(crate) fn root_ids() -> (TraceId, SpanId) {
        let [high, low, span] = next_u64s::<3>();
        if high | low != 0 && span != 0 {
            return (
                TraceId::from_int((u128::from(high) << 64) | u128::from(low)),
                SpanId::from_int(span),
            );
        }
        (RandomIdGenerator::trace_id(), RandomIdGenerator::span_id())
    }

    /// A trace id, without dynamic dispatch.
    #[inline]
    pub(crate) fn trace_id() -> TraceId {
        loop {
            let [high, low] = next_u64s::<2>();
            if high | low != 0 {
                return TraceId::from_int((u128::from(high) << 64) | u128::from(low));
            }
        }
    }

    /// A span id, without dynamic dispatch.
    #[inline]
    pub(crate) fn span_id() -> SpanId {
        loop {
            let [id] = next_u64s::<1>();
            if id != 0 {
                return SpanId::from_int(id);
            }
        }
    }
}

impl IdGenerator for RandomIdGenerator {
    #[inline]
    fn new_trace_id(&self) -> TraceId {
        RandomIdGenerator::trace_id()
    }

    #[inline]
    fn new_span_id(&self) -> SpanId {
        RandomIdGenerator::span_id()
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
    fn every_bit_of_the_ids_is_set_about_half_the_time() {
        const N: u32 = 20_000;
        let mut trace_bits = [0u32; 128];
        let mut span_bits = [0u32; 64];
        for _ in 0..N {
            let t = u128::from_be_bytes(RandomIdGenerator.new_trace_id().to_bytes());
            let s = u64::from_be_bytes(RandomIdGenerator.new_span_id().to_bytes());
            for (bit, count) in trace_bits.iter_mut().enumerate() {
                *count += ((t >> bit) & 1) as u32;
            }
            for (bit, count) in span_bits.iter_mut().enumerate() {
                *count += ((s >> bit) & 1) as u32;
            }
        }
        // A fair bit lands within 5.6 standard deviations (~400) of N/2: a
        // false alarm in fewer than one run in 100,000 over all 192 bits; a
        // stuck or biased bit lands far outside.
        for count in trace_bits.iter().chain(&span_bits) {
            assert!(count.abs_diff(N / 2) < 400, "bit set {count} times of {N}");
        }
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
