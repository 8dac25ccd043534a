//! Sample a fixed fraction of traces, decided by the trace id alone.

use crate::{Sampler, SamplingDecision, SamplingParams, SamplingResult};

/// 2^56: trace ids carry 56 random bits (W3C Level 2) that the decision uses.
const MAX_RANDOM: u64 = 1 << 56;

/// Samples `ratio` of traces: a span is sampled when the low 56 bits of its
/// trace id are at least the rejection threshold `(1 - ratio) * 2^56`, so
/// every SDK using the same rule agrees, and a higher ratio samples a
/// superset of what a lower one samples.
///
/// ```
/// use spanlite_samplers::{Sampler, TraceIdRatioBased};
/// assert_eq!(TraceIdRatioBased::new(0.25).description(), "TraceIdRatioBased{0.25}");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TraceIdRatioBased {
    ratio: f64,
    threshold: u64,
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
        let threshold = ((1.0 - ratio) * MAX_RANDOM as f64).round() as u64;
        TraceIdRatioBased {
            ratio,
            threshold: threshold.min(MAX_RANDOM),
        }
    }

    /// The sampled fraction.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }
}

impl Sampler for TraceIdRatioBased {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let random = (params.trace_id.to_int() as u64) & (MAX_RANDOM - 1);
        let decision = if random >= self.threshold {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        SamplingResult::new(decision, params)
    }

    fn description(&self) -> String {
        format!("TraceIdRatioBased{{{}}}", self.ratio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spanlite_api::{Context, SpanKind, TraceId};

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
}
