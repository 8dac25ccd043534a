//! At most so many new traces per second: a lock-free token bucket.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(spanlite_loom)]
use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(spanlite_loom))]
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Sampler, SamplingDecision, SamplingParams, SamplingResult};

type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Samples at most `max_traces` new traces per period, with bursts up to
/// the bucket's capacity (by default `max_traces`).
///
/// Only root spans (no valid parent) take a token: a span with a valid
/// parent follows the parent's sampled flag, so a trace is sampled whole or
/// not at all and the limit counts traces, not spans. It can therefore be
/// used alone or as the root of [`ParentBased`](crate::ParentBased).
///
/// The bucket is one atomic word updated by a compare-and-swap loop
/// (the generic cell rate algorithm): no lock, and exact under any number
/// of threads: from a full bucket, at one instant, exactly `burst` roots
/// are admitted; after that one more every `period / max_traces`. Time
/// comes from a clock that returns nanoseconds, `Instant`-based by default
/// and replaceable with [`with_clock`](RateLimiting::with_clock) so tests
/// can drive it.
///
/// The sampled spans of a rate-limited trace have no known probability, so
/// this sampler writes no `th` into the trace state.
///
/// ```
/// use spanlite_api::{Context, SpanKind, TraceId};
/// use spanlite_samplers::{RateLimiting, Sampler, SamplingParams};
///
/// let sampler = RateLimiting::per_second(2).with_clock(|| 0); // time stands still
/// let root = Context::new();
/// let params = SamplingParams::new(&root, TraceId::from_int(1), "GET /", SpanKind::Server);
/// let sampled = (0..10)
///     .filter(|_| sampler.should_sample(&params).decision().is_sampled())
///     .count();
/// assert_eq!(sampled, 2);
/// ```
pub struct RateLimiting {
    max_traces: u32,
    period: Duration,
    burst: u32,
    /// Nanoseconds one token takes to come back.
    interval: u64,
    /// Nanoseconds of tokens the bucket holds when full: `burst * interval`.
    capacity: u64,
    /// The time at which the bucket would be full again given what it has
    /// handed out ("theoretical arrival time"). Starts at 0: full.
    full_at: AtomicU64,
    clock: Clock,
}

impl RateLimiting {
    /// At most `max_traces` new traces per second.
    pub fn per_second(max_traces: u32) -> RateLimiting {
        RateLimiting::new(max_traces, Duration::from_secs(1))
    }

    /// At most `max_traces` new traces per `period`, e.g. 1 per minute.
    /// `max_traces` 0 samples no root span. A token comes back every
    /// `period / max_traces`, rounded down to the nanosecond (and at least
    /// one nanosecond).
    pub fn new(max_traces: u32, period: Duration) -> RateLimiting {
        let interval = match max_traces {
            0 => u64::MAX,
            n => {
                let ns = period.as_nanos() / u128::from(n);
                u64::try_from(ns).unwrap_or(u64::MAX).max(1)
            }
        };
        let start = Instant::now();
        let sampler = RateLimiting {
            max_traces,
            period,
            burst: max_traces.max(1),
            interval,
            capacity: 0,
            full_at: AtomicU64::new(0),
            clock: Arc::new(move || u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)),
        };
        sampler.with_burst(max_traces)
    }

    /// The same limit with a bucket of `burst` tokens (at least 1): how
    /// many roots may be sampled at once after a quiet time. The bucket
    /// starts full.
    pub fn with_burst(mut self, burst: u32) -> RateLimiting {
        self.burst = burst.max(1);
        self.capacity = if self.max_traces == 0 {
            0
        } else {
            self.interval.saturating_mul(u64::from(self.burst))
        };
        self.full_at = AtomicU64::new(0);
        self
    }

    /// The same limit reading time from `clock`, in nanoseconds from any
    /// fixed origin; it should not go backwards. The bucket starts full.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> RateLimiting {
        self.clock = Arc::new(clock);
        self.full_at = AtomicU64::new(0);
        self
    }

    /// Takes a token if one is left.
    fn try_acquire(&self) -> bool {
        if self.max_traces == 0 {
            return false;
        }
        let now = (self.clock)();
        // One word holds the whole state, so Relaxed is enough: the
        // compare-and-swap is atomic and every update of the word is in one
        // total order, which is all the exact count needs.
        let mut full_at = self.full_at.load(Ordering::Relaxed);
        loop {
            let next = full_at.max(now).saturating_add(self.interval);
            if next - now > self.capacity {
                return false;
            }
            match self.full_at.compare_exchange_weak(
                full_at,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(current) => full_at = current,
            }
        }
    }
}

impl Sampler for RateLimiting {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let span = params.parent.span();
        let parent = span.span_context();
        let sampled = if parent.is_valid() {
            parent.is_sampled()
        } else {
            self.try_acquire()
        };
        let decision = if sampled {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        SamplingResult::new(decision)
    }

    /// `RateLimiting{<max_traces> per <period>}`, e.g. `RateLimiting{10 per 1s}`.
    fn description(&self) -> String {
        format!("RateLimiting{{{} per {:?}}}", self.max_traces, self.period)
    }

    /// The trace id, the parent and the sampler's own state decide.
    fn decides_by_context_alone(&self) -> bool {
        true
    }
}

impl fmt::Debug for RateLimiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiting")
            .field("max_traces", &self.max_traces)
            .field("period", &self.period)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(spanlite_loom)))]
mod tests {
    use super::*;
    use spanlite_api::{Context, SpanContext, SpanId, SpanKind, TraceFlags, TraceId};
    use std::sync::atomic::AtomicU64 as StdAtomicU64;
    use std::sync::Barrier;

    const SECOND: u64 = 1_000_000_000;

    /// A clock the test moves by hand.
    fn manual_clock() -> (Arc<StdAtomicU64>, impl Fn() -> u64 + Send + Sync + 'static) {
        let now = Arc::new(StdAtomicU64::new(0));
        let read = Arc::clone(&now);
        (now, move || read.load(Ordering::SeqCst))
    }

    fn root_sampled(sampler: &RateLimiting) -> bool {
        let cx = Context::new();
        let params = SamplingParams::new(&cx, TraceId::from_int(1), "op", SpanKind::Server);
        sampler.should_sample(&params).decision().is_sampled()
    }

    fn count_roots(sampler: &RateLimiting, tries: usize) -> usize {
        (0..tries).filter(|_| root_sampled(sampler)).count()
    }

    #[test]
    fn a_full_bucket_admits_exactly_its_tokens_at_one_instant() {
        let (_, clock) = manual_clock();
        let sampler = RateLimiting::per_second(5).with_clock(clock);
        assert_eq!(count_roots(&sampler, 100), 5);
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let (now, clock) = manual_clock();
        let sampler = RateLimiting::per_second(4).with_clock(clock);
        assert_eq!(count_roots(&sampler, 100), 4);
        now.store(SECOND / 4 - 1, Ordering::SeqCst);
        assert_eq!(count_roots(&sampler, 100), 0);
        now.store(SECOND / 4, Ordering::SeqCst);
        assert_eq!(count_roots(&sampler, 100), 1);
        now.store(SECOND / 4 + SECOND, Ordering::SeqCst);
        assert_eq!(count_roots(&sampler, 100), 4);
    }

    #[test]
    fn a_quiet_time_refills_no_more_than_the_burst() {
        let (now, clock) = manual_clock();
        let sampler = RateLimiting::per_second(3).with_clock(clock);
        assert_eq!(count_roots(&sampler, 10), 3);
        now.store(3_600 * SECOND, Ordering::SeqCst);
        assert_eq!(count_roots(&sampler, 100), 3);
    }

    #[test]
    fn the_burst_is_configurable_and_at_least_one() {
        let (now, clock) = manual_clock();
        let sampler = RateLimiting::per_second(10).with_burst(2).with_clock(clock);
        assert_eq!(count_roots(&sampler, 100), 2);
        now.store(SECOND, Ordering::SeqCst);
        assert_eq!(count_roots(&sampler, 100), 2);
        let (_, clock) = manual_clock();
        let one = RateLimiting::per_second(10).with_burst(0).with_clock(clock);
        assert_eq!(count_roots(&one, 100), 1);
    }

    #[test]
    fn a_rate_over_a_longer_period_spreads_its_tokens() {
        let (now, clock) = manual_clock();
        let sampler = RateLimiting::new(1, Duration::from_secs(60)).with_clock(clock);
        assert_eq!(count_roots(&sampler, 10), 1);
        now.store(59 * SECOND, Ordering::SeqCst);
        assert_eq!(count_roots(&sampler, 10), 0);
        now.store(60 * SECOND, Ordering::SeqCst);
        assert_eq!(count_roots(&sampler, 10), 1);
    }

    #[test]
    fn zero_traces_per_second_samples_no_root() {
        let (now, clock) = manual_clock();
        let sampler = RateLimiting::per_second(0).with_clock(clock);
        assert_eq!(count_roots(&sampler, 10), 0);
        now.store(100 * SECOND, Ordering::SeqCst);
        assert_eq!(count_roots(&sampler, 10), 0);
    }

    #[test]
    fn spans_with_a_valid_parent_follow_its_flag_and_take_no_token() {
        let (_, clock) = manual_clock();
        let sampler = RateLimiting::per_second(1).with_clock(clock);
        for sampled in [true, false] {
            let parent = SpanContext::new(
                TraceId::from_int(1),
                SpanId::from_int(2),
                TraceFlags::NONE.with_sampled(sampled),
                true,
                Default::default(),
            );
            let cx = Context::new().with_span_context(parent);
            for _ in 0..5 {
                let params = SamplingParams::new(&cx, TraceId::from_int(1), "op", SpanKind::Server);
                assert_eq!(
                    sampler.should_sample(&params).decision().is_sampled(),
                    sampled
                );
            }
        }
        // The one token is still there for a root.
        assert_eq!(count_roots(&sampler, 10), 1);
    }

    #[test]
    fn concurrent_threads_at_one_instant_take_exactly_the_tokens() {
        const THREADS: usize = 8;
        const TRIES: usize = 5_000;
        let (now, clock) = manual_clock();
        let sampler = RateLimiting::per_second(1_000).with_clock(clock);
        for round in 0..3u64 {
            now.store(round * SECOND, Ordering::SeqCst);
            let barrier = Barrier::new(THREADS);
            let admitted: usize = std::thread::scope(|s| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            count_roots(&sampler, TRIES)
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
            });
            assert_eq!(admitted, 1_000, "round {round}");
        }
    }

    #[test]
    fn the_default_clock_starts_with_a_full_bucket() {
        // Tokens only ever come back, so a full start admits the first 3
        // roots whatever the time between the calls.
        let sampler = RateLimiting::per_second(3);
        assert_eq!(count_roots(&sampler, 3), 3);
    }

    #[test]
    fn description_names_the_limit() {
        assert_eq!(
            RateLimiting::per_second(10).description(),
            "RateLimiting{10 per 1s}"
        );
        assert_eq!(
            RateLimiting::new(1, Duration::from_secs(60)).description(),
            "RateLimiting{1 per 60s}"
        );
    }
}

#[cfg(all(test, spanlite_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc as LoomArc;

    /// Every interleaving of two threads racing for two tokens out of a
    /// bucket of three: exactly two succeed, and the third token is left.
    #[test]
    fn loom_racing_threads_take_exactly_the_tokens() {
        loom::model(|| {
            let sampler = LoomArc::new(RateLimiting::per_second(3).with_clock(|| 0));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let sampler = LoomArc::clone(&sampler);
                    loom::thread::spawn(move || sampler.try_acquire())
                })
                .collect();
            let taken = threads
                .into_iter()
                .map(|t| t.join().unwrap_or(false))
                .filter(|&ok| ok)
                .count();
            assert_eq!(taken, 2);
            assert!(sampler.try_acquire());
            assert!(!sampler.try_acquire());
        });
    }
}
