//! Record every span, sampled or not, so processors see them all.

use crate::{Sampler, SamplingDecision, SamplingParams, SamplingResult};

/// Wraps a sampler and turns its `Drop` into `RecordOnly`: every span is
/// recorded and reaches the span processors, while only the spans the inner
/// sampler sampled are exported. `RecordOnly` and `RecordAndSample` pass
/// through, as do the inner sampler's attributes and trace state.
///
/// Useful for processors that must see every span (span-to-metrics, or
/// keeping a span the head decision dropped because it failed), at the cost
/// of recording spans that are never exported.
///
/// ```
/// use spanlite_api::{Context, SpanKind, TraceId};
/// use spanlite_samplers::{AlwaysOff, AlwaysRecord, Sampler, SamplingDecision, SamplingParams};
///
/// let sampler = AlwaysRecord::new(AlwaysOff);
/// let root = Context::new();
/// let params = SamplingParams::new(&root, TraceId::from_int(1), "GET /", SpanKind::Server);
/// assert_eq!(sampler.should_sample(&params).decision(), SamplingDecision::RecordOnly);
/// assert_eq!(sampler.description(), "AlwaysRecord{AlwaysOffSampler}");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AlwaysRecord<S> {
    inner: S,
}

impl<S: Sampler> AlwaysRecord<S> {
    /// Records every span `inner` would drop.
    pub fn new(inner: S) -> AlwaysRecord<S> {
        AlwaysRecord { inner }
    }

    /// The wrapped sampler.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: Sampler> Sampler for AlwaysRecord<S> {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let result = self.inner.should_sample(params);
        if result.decision() != SamplingDecision::Drop {
            return result;
        }
        result.with_decision(SamplingDecision::RecordOnly)
    }

    fn description(&self) -> String {
        format!("AlwaysRecord{{{}}}", self.inner.description())
    }

    fn decides_by_context_alone(&self) -> bool {
        self.inner.decides_by_context_alone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sampler_fn, AlwaysOn};
    use spanlite_api::{Context, KeyValue, SpanKind, TraceId, TraceState};

    fn decide(sampler: &dyn Sampler) -> SamplingResult {
        let cx = Context::new();
        sampler.should_sample(&SamplingParams::new(
            &cx,
            TraceId::from_int(9),
            "op",
            SpanKind::Internal,
        ))
    }

    fn fixed(decision: SamplingDecision) -> impl Sampler {
        sampler_fn("Fixed", move |_: &SamplingParams<'_>| {
            SamplingResult::with_parts(
                decision,
                vec![KeyValue::new("from", "inner")],
                "inner=1".parse::<TraceState>().unwrap_or_default(),
            )
        })
    }

    #[test]
    fn drop_becomes_record_only() {
        let result = decide(&AlwaysRecord::new(fixed(SamplingDecision::Drop)));
        assert_eq!(result.decision(), SamplingDecision::RecordOnly);
    }

    #[test]
    fn record_only_and_record_and_sample_pass_through() {
        for decision in [
            SamplingDecision::RecordOnly,
            SamplingDecision::RecordAndSample,
        ] {
            assert_eq!(
                decide(&AlwaysRecord::new(fixed(decision))).decision(),
                decision
            );
        }
        assert!(decide(&AlwaysRecord::new(AlwaysOn)).decision().is_sampled());
    }

    #[test]
    fn the_inner_attributes_and_trace_state_are_kept() {
        let result = decide(&AlwaysRecord::new(fixed(SamplingDecision::Drop)));
        assert_eq!(result.attributes(), &[KeyValue::new("from", "inner")]);
        assert_eq!(result.trace_state().unwrap().header(), "inner=1");
    }

    #[test]
    fn description_wraps_the_inner_description() {
        let sampler: Box<dyn Sampler> = Box::new(AlwaysRecord::new(AlwaysOn));
        assert_eq!(sampler.description(), "AlwaysRecord{AlwaysOnSampler}");
    }
}
