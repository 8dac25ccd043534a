//! Sample a fixed fraction of traces, decided by the trace id alone.

use crate::ot_entry::{randomness, OtEntry};
use crate::threshold::{probability_to_threshold, trace_id_randomness, DEFAULT_PRECISION};
use crate::{Sampler, SamplingDecision, SamplingParams, SamplingResult};

/// Samples `ratio` of traces: a span is sampled when its randomness is at
/// least the rejection threshold `(1 - ratio) * 2^56`, rounded to 4
/// significant hex digits as the spec recommends. The randomness is the
/// `rv` sub-key of the parent's `ot` trace state entry when it has a valid
/// one, else the low 56 bits of the trace id. So every SDK using the same
/// rule agrees, a higher ratio samples a superset of what a lower one
/// samples, and the decision is the one [`ProbabilitySampler`] makes.
///
/// It ignores the parent's sampled flag (use it as the root of
/// [`ParentBased`](crate::ParentBased) to follow parents) and returns the
/// parent's trace state unchanged. [`ProbabilitySampler`] is the variant
/// that also records its threshold (`ot=th:...`) in the trace state.
///
/// [`ProbabilitySampler`]: crate::ProbabilitySampler
///
/// ```
/// use spanlite_samplers::{Sampler, TraceIdRatioBased};
/// assert_eq!(TraceIdRatioBased::new(0.25).description(), "TraceIdRatioBased{0.25}");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TraceIdRatioBased {
    ratio: f64,
    /// `None`: never sample (ratio 0, or below what 56 bits express).
    threshold: Option<u64>,
}

impl TraceIdRatioBased {
    /// A sampler keeping `ratio` of traces; values outside `[0, 1]` (and
    /// NaN) are clamped, NaN to 0.
    pub fn new(ratio: f64) -> TraceIdRatioBased {
        let ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        TraceIdRatioBased {
            ratio,
            threshold: probability_to_threshold(ratio, DEFAULT_PRECISION),
        }
    }

    /// The sampled fraction.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }
}

impl Sampler for TraceIdRatioBased {
    #[inline]
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let parent_state = params.parent.span().span_context().trace_state();
        let sampled = self.threshold.is_some_and(|threshold| {
            // Most parents carry no trace state: skip looking for an `rv`.
            let random = if parent_state.is_empty() {
                trace_id_randomness(params.trace_id)
            } else {
                randomness(
                    params.trace_id,
                    OtEntry::from_trace_state(parent_state).as_ref(),
                )
            };
            random >= threshold
        });
        let decision = if sampled {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        SamplingResult::new(decision)
    }

    fn description(&self) -> String {
        format!("TraceIdRatioBased{{{}}}", self.ratio)
    }

    /// The trace id (and the parent's trace state) decide.
    fn decides_by_context_alone(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::test_support::Answer;
    use spanlite_api::{Context, SpanContext, SpanId, SpanKind, TraceFlags, TraceId};

    fn sampled(sampler: &TraceIdRatioBased, id: u128) -> bool {
        let cx = Context::new();
        let params = SamplingParams::new(&cx, TraceId::from_int(id), "op", SpanKind::Internal);
        sampler.should_sample(&params).decision().is_sampled()
    }

    #[test]
    fn ratio_one_samples_everything_and_zero_nothing() {
        for id in [1u128, 0xffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff, 1 << 55] {
            assert!(sampled(&TraceIdRatioBased::new(1.0), id));
            assert!(!sampled(&TraceIdRatioBased::new(0.0), id));
        }
    }

    #[test]
    fn the_decision_uses_the_low_56_bits_against_the_threshold() {
        let half = TraceIdRatioBased::new(0.5);
        assert!(sampled(&half, 1 << 55));
        assert!(!sampled(&half, (1 << 55) - 1));
        // Bits above the low 56 do not matter.
        assert!(!sampled(&half, (0xff << 56) | ((1 << 55) - 1)));
    }

    #[test]
    fn a_higher_ratio_samples_a_superset_of_a_lower_one() {
        let low = TraceIdRatioBased::new(0.1);
        let high = TraceIdRatioBased::new(0.3);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut kept = 0;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = u128::from(x);
            if sampled(&low, id) {
                assert!(sampled(&high, id));
                kept += 1;
            }
        }
        assert!((800..1200).contains(&kept), "{kept}");
    }

    fn sampled_under(sampler: &TraceIdRatioBased, id: u128, state: &str) -> Answer {
        let parent = SpanContext::new(
            TraceId::from_int(id),
            SpanId::from_int(1),
            TraceFlags::NONE,
            true,
            state.parse().unwrap(),
        );
        let cx = Context::new().with_span_context(parent);
        let params = SamplingParams::new(&cx, TraceId::from_int(id), "op", SpanKind::Server);
        Answer::of(sampler.should_sample(&params), &params)
    }

    #[test]
    fn the_threshold_is_rounded_to_four_hex_digits_like_probability_sampling() {
        // 0.1 -> threshold 0xe666 followed by zeros (the spec's table), not
        // the exact (1 - 0.1) * 2^56 = 0xe666666666666.6.
        let tenth = TraceIdRatioBased::new(0.1);
        assert!(sampled(&tenth, 0xe6660000000000));
        assert!(!sampled(&tenth, 0xe665ffffffffff));
    }

    #[test]
    fn an_rv_in_the_parents_trace_state_replaces_the_trace_id_randomness() {
        let half = TraceIdRatioBased::new(0.5);
        let result = sampled_under(&half, 1, "ot=rv:80000000000000");
        assert!(result.decision().is_sampled());
        let result = sampled_under(&half, (1 << 56) - 1, "ot=rv:7fffffffffffff");
        assert!(!result.decision().is_sampled());
        // A malformed rv is ignored.
        let result = sampled_under(&half, (1 << 56) - 1, "ot=rv:7fff");
        assert!(result.decision().is_sampled());
    }

    #[test]
    fn the_parents_trace_state_is_returned_unchanged() {
        let result = sampled_under(&TraceIdRatioBased::new(1.0), 1, "ot=th:8,a=1");
        assert_eq!(result.trace_state().header(), "ot=th:8,a=1");
    }

    #[test]
    fn the_decision_is_the_one_probability_sampling_makes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for ratio in [0.001, 0.01, 1.0 / 3.0, 0.5, 0.9] {
            let old = TraceIdRatioBased::new(ratio);
            let new = crate::ProbabilitySampler::new(ratio);
            for _ in 0..2_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let cx = Context::new();
                let params =
                    SamplingParams::new(&cx, TraceId::from_int(x.into()), "op", SpanKind::Internal);
                assert_eq!(
                    old.should_sample(&params).decision(),
                    new.should_sample(&params).decision()
                );
            }
        }
    }
}
