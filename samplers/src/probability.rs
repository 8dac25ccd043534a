//! Consistent probability sampling that records its threshold in the trace
//! state (`ot=th:...`), the successor of `TraceIdRatioBased`.

use spanlite_api::TraceState;

use crate::ot_entry::{randomness, replace_ot, OtEntry};
use crate::threshold::{encode_th, probability_to_threshold, DEFAULT_PRECISION, MAX_DIGITS};
use crate::{Sampler, SamplingDecision, SamplingParams, SamplingResult};

/// Samples `probability` of traces, consistently across processes, and
/// writes the rejection threshold it used into the span's trace state.
///
/// The decision: a span is sampled when its randomness `R` is at least the
/// rejection threshold `T = (1 - probability) * 2^56`, rounded to 4 hex
/// digits of precision (configurable with
/// [`with_precision`](ProbabilitySampler::with_precision)). `R` is the `rv`
/// sub-key of the parent's `ot` trace state entry when it has a valid one
/// (14 hex digits), else the low 56 bits of the trace id. Every SDK that
/// follows the spec agrees on the decision, and a higher probability
/// samples a superset of what a lower one samples.
///
/// The trace state it returns, starting from the parent's:
/// - sampled: `ot` carries `th:<T>` (hex, trailing zeros removed; `th:0`
///   for probability 1), replacing any incoming `th`, and the `ot` entry
///   moves to the front. `rv` and the other `ot` sub-keys are kept.
/// - not sampled: `th` is removed (a threshold only describes sampled
///   spans); the rest is kept.
/// - An `ot` entry that is malformed (not `k:v;k:v`, over 256 characters,
///   repeated keys) is treated as absent: replaced when sampling, left
///   alone otherwise. A malformed `th` or `rv` value is treated as absent.
///
/// Like `TraceIdRatioBased`, it ignores the parent's sampled flag and its
/// threshold: it decides independently. Wrap it in
/// [`ParentBased`](crate::ParentBased) to follow the parent instead.
/// Probability 0 (or NaN, or below 2^-56) never samples and writes no
/// threshold.
///
/// ```
/// use spanlite_api::{Context, SpanKind, TraceId};
/// use spanlite_samplers::{ProbabilitySampler, Sampler, SamplingParams};
///
/// let sampler = ProbabilitySampler::new(0.25);
/// let root = Context::new();
/// // The low 56 bits are 0xf0..., above the threshold 0xc0...: sampled.
/// let id = TraceId::from_int(0xf0 << 48);
/// let result = sampler.should_sample(&SamplingParams::new(&root, id, "GET /", SpanKind::Server));
/// assert!(result.decision().is_sampled());
/// assert_eq!(result.trace_state().unwrap().header(), "ot=th:c");
/// ```
#[derive(Debug, Clone)]
pub struct ProbabilitySampler {
    probability: f64,
    precision: u8,
    threshold: Option<u64>,
    /// What a sampled span gets when its parent has no trace state, made
    /// once so that the common case of a root span does not allocate.
    root_state: TraceState,
}

impl ProbabilitySampler {
    /// A sampler keeping `probability` of traces. Values above 1 are taken
    /// as 1; negative values and NaN as 0 (never sample).
    pub fn new(probability: f64) -> ProbabilitySampler {
        let probability = if probability.is_nan() {
            0.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        ProbabilitySampler::build(probability, DEFAULT_PRECISION)
    }

    /// The same sampler with the threshold rounded to `digits` significant
    /// hex digits (1 to 14, clamped; default 4). More digits follow the
    /// probability more exactly and make `th` longer.
    ///
    /// ```
    /// use spanlite_samplers::ProbabilitySampler;
    /// assert_eq!(ProbabilitySampler::new(0.1).threshold(), Some(0xe6660000000000));
    /// assert_eq!(
    ///     ProbabilitySampler::new(0.1).with_precision(2).threshold(),
    ///     Some(0xe6000000000000)
    /// );
    /// ```
    pub fn with_precision(self, digits: u8) -> ProbabilitySampler {
        ProbabilitySampler::build(self.probability, digits.clamp(1, MAX_DIGITS))
    }

    fn build(probability: f64, precision: u8) -> ProbabilitySampler {
        let threshold = probability_to_threshold(probability, precision);
        let root_state = match threshold {
            Some(t) => replace_ot(&TraceState::NONE, Some(th_member(t))),
            None => TraceState::NONE,
        };
        ProbabilitySampler {
            probability,
            precision,
            threshold,
            root_state,
        }
    }

    /// The configured probability (after clamping to `[0, 1]`).
    pub fn probability(&self) -> f64 {
        self.probability
    }

    /// The 56-bit rejection threshold the decision uses and `th` carries;
    /// `None` when the sampler never samples.
    pub fn threshold(&self) -> Option<u64> {
        self.threshold
    }

    /// The number of significant hex digits thresholds are rounded to.
    pub fn precision(&self) -> u8 {
        self.precision
    }
}

fn th_member(threshold: u64) -> String {
    format!("th:{}", encode_th(threshold))
}

impl Sampler for ProbabilitySampler {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let parent_state = params.parent.span().span_context().trace_state();
        let entry = OtEntry::from_trace_state(parent_state);
        let random = randomness(params.trace_id, entry.as_ref());
        match self.threshold {
            Some(threshold) if random >= threshold => {
                let state = if parent_state.is_empty() {
                    self.root_state.clone()
                } else {
                    let ot = match entry {
                        Some(entry) => entry.with_th(Some(threshold)),
                        None => Some(th_member(threshold)),
                    };
                    replace_ot(parent_state, ot)
                };
                SamplingResult::with_trace_state(SamplingDecision::RecordAndSample, state)
            }
            _ => match entry {
                Some(entry) if entry.has_th_key() => SamplingResult::with_trace_state(
                    SamplingDecision::Drop,
                    replace_ot(parent_state, entry.with_th(None)),
                ),
                _ => SamplingResult::new(SamplingDecision::Drop),
            },
        }
    }

    fn description(&self) -> String {
        format!("ProbabilitySampler{{{}}}", self.probability)
    }

    /// The trace id, the parent and the sampler's own state decide.
    fn decides_by_context_alone(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::test_support::Answer;
    use spanlite_api::{Context, SpanContext, SpanId, SpanKind, TraceFlags, TraceId};

    /// A trace id whose low 56 bits are `random`.
    fn id(random: u64) -> TraceId {
        TraceId::from_int((0xabcd_u128 << 64) | u128::from(random))
    }

    fn root(sampler: &ProbabilitySampler, random: u64) -> Answer {
        let cx = Context::new();
        let params = SamplingParams::new(&cx, id(random), "op", SpanKind::Internal);
        Answer::of(sampler.should_sample(&params), &params)
    }

    fn child(sampler: &ProbabilitySampler, random: u64, state: &str, sampled: bool) -> Answer {
        let state: TraceState = state.parse().unwrap();
        let parent = SpanContext::new(
            id(random),
            SpanId::from_int(7),
            TraceFlags::NONE.with_sampled(sampled),
            true,
            state,
        );
        let cx = Context::new().with_span_context(parent);
        let params = SamplingParams::new(&cx, id(random), "op", SpanKind::Server);
        Answer::of(sampler.should_sample(&params), &params)
    }

    const HALF: u64 = 0x80000000000000;

    #[test]
    fn sampled_when_the_randomness_is_at_least_the_threshold() {
        let sampler = ProbabilitySampler::new(0.5);
        assert!(root(&sampler, HALF).decision().is_sampled());
        assert!(root(&sampler, HALF + 1).decision().is_sampled());
        assert_eq!(root(&sampler, HALF - 1).decision(), SamplingDecision::Drop);
    }

    #[test]
    fn a_sampled_root_gets_ot_th_with_trailing_zeros_removed() {
        let result = root(&ProbabilitySampler::new(0.01), u64::MAX >> 8);
        assert_eq!(result.trace_state().header(), "ot=th:fd70a");
    }

    #[test]
    fn probability_one_samples_everything_and_writes_th_0() {
        let sampler = ProbabilitySampler::new(1.0);
        for random in [0, 1, HALF, (1 << 56) - 1] {
            let result = root(&sampler, random);
            assert!(result.decision().is_sampled());
            assert_eq!(result.trace_state().header(), "ot=th:0");
        }
    }

    #[test]
    fn probability_zero_never_samples_and_writes_nothing() {
        let sampler = ProbabilitySampler::new(0.0);
        assert_eq!(sampler.threshold(), None);
        let result = root(&sampler, (1 << 56) - 1);
        assert_eq!(result.decision(), SamplingDecision::Drop);
        assert!(result.trace_state().is_empty());
        let result = child(&sampler, (1 << 56) - 1, "vendor=1", true);
        assert_eq!(result.trace_state().header(), "vendor=1");
    }

    #[test]
    fn out_of_range_and_nan_probabilities_are_clamped() {
        assert_eq!(ProbabilitySampler::new(3.0).threshold(), Some(0));
        assert_eq!(ProbabilitySampler::new(-1.0).threshold(), None);
        assert_eq!(ProbabilitySampler::new(f64::NAN).threshold(), None);
        assert_eq!(ProbabilitySampler::new(f64::NAN).probability(), 0.0);
    }

    #[test]
    fn an_incoming_rv_is_the_randomness_instead_of_the_trace_id() {
        let sampler = ProbabilitySampler::new(0.5);
        // The trace id says drop, rv says keep.
        let result = child(&sampler, 1, "ot=rv:80000000000000", false);
        assert!(result.decision().is_sampled());
        // The trace id says keep, rv says drop.
        let result = child(&sampler, (1 << 56) - 1, "ot=rv:7fffffffffffff", true);
        assert_eq!(result.decision(), SamplingDecision::Drop);
    }

    #[test]
    fn rv_is_never_overwritten_and_th_is_appended() {
        let result = child(
            &ProbabilitySampler::new(0.5),
            0,
            "ot=rv:f0000000000000",
            false,
        );
        assert_eq!(result.trace_state().header(), "ot=rv:f0000000000000;th:8");
    }

    #[test]
    fn an_incoming_th_is_replaced_by_this_samplers_threshold() {
        let result = child(
            &ProbabilitySampler::new(0.25),
            HALF | (HALF >> 1),
            "ot=th:8",
            true,
        );
        assert!(result.decision().is_sampled());
        assert_eq!(result.trace_state().header(), "ot=th:c");
    }

    #[test]
    fn the_parents_sampled_flag_is_ignored() {
        let sampler = ProbabilitySampler::new(0.5);
        assert!(child(&sampler, HALF, "", false).decision().is_sampled());
        assert_eq!(
            child(&sampler, 0, "", true).decision(),
            SamplingDecision::Drop
        );
    }

    #[test]
    fn other_ot_sub_keys_and_other_vendors_are_kept_and_ot_moves_to_the_front() {
        let result = child(
            &ProbabilitySampler::new(0.5),
            HALF,
            "a=1,ot=foo:bar;th:c,b=2",
            true,
        );
        assert_eq!(result.trace_state().header(), "ot=foo:bar;th:8,a=1,b=2");
    }

    #[test]
    fn th_is_removed_when_the_decision_is_not_to_sample() {
        let result = child(
            &ProbabilitySampler::new(0.5),
            0,
            "a=1,ot=th:0;rv:00000000000000",
            true,
        );
        assert_eq!(result.decision(), SamplingDecision::Drop);
        assert_eq!(result.trace_state().header(), "ot=rv:00000000000000,a=1");
        let result = child(&ProbabilitySampler::new(0.5), 0, "a=1,ot=th:0", true);
        assert_eq!(result.trace_state().header(), "a=1");
    }

    #[test]
    fn a_drop_without_an_incoming_th_leaves_the_trace_state_alone() {
        let result = child(&ProbabilitySampler::new(0.5), 0, "a=1,ot=foo:bar", true);
        assert_eq!(result.trace_state().header(), "a=1,ot=foo:bar");
    }

    #[test]
    fn a_malformed_ot_entry_is_ignored_then_replaced_when_sampling() {
        let sampler = ProbabilitySampler::new(0.5);
        // A bad rv inside a bad entry is not used as randomness.
        let result = child(&sampler, HALF, "ot=rv:00000000000000;;x,b=2", true);
        assert!(result.decision().is_sampled());
        assert_eq!(result.trace_state().header(), "ot=th:8,b=2");
        let result = child(&sampler, 0, "ot=th:zz:zz,b=2", true);
        assert_eq!(result.decision(), SamplingDecision::Drop);
        assert_eq!(result.trace_state().header(), "ot=th:zz:zz,b=2");
    }

    #[test]
    fn a_malformed_rv_falls_back_to_the_trace_id_and_is_dropped() {
        let sampler = ProbabilitySampler::new(0.5);
        let result = child(&sampler, HALF, "ot=rv:0123", false);
        assert!(result.decision().is_sampled());
        assert_eq!(result.trace_state().header(), "ot=th:8");
    }

    #[test]
    fn precision_is_configurable_from_1_to_14_digits() {
        let third = ProbabilitySampler::new(1.0 / 3.0);
        assert_eq!(third.precision(), 4);
        assert_eq!(third.clone().with_precision(0).precision(), 1);
        assert_eq!(third.clone().with_precision(99).precision(), 14);
        let result = root(&third.clone().with_precision(6), u64::MAX >> 8);
        assert_eq!(result.trace_state().header(), "ot=th:aaaaab");
    }

    #[test]
    fn the_same_trace_gets_the_same_decision_with_or_without_parents() {
        // Consistency across a trace: root and child decide alike.
        let sampler = ProbabilitySampler::new(0.3);
        let mut x: u64 = 0x853c_49e6_748f_ea9b;
        for _ in 0..1_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let random = x >> 8;
            let at_root = root(&sampler, random).decision();
            let at_child = child(&sampler, random, "other=1", at_root.is_sampled()).decision();
            assert_eq!(at_root, at_child);
        }
    }

    #[test]
    fn description_names_the_probability() {
        assert_eq!(
            ProbabilitySampler::new(0.25).description(),
            "ProbabilitySampler{0.25}"
        );
    }
}
