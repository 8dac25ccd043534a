//! The two constant samplers.

use crate::{Sampler, SamplingDecision, SamplingParams, SamplingResult};

/// Records and samples every span.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysOn;

impl Sampler for AlwaysOn {
    #[inline]
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::new(SamplingDecision::RecordAndSample)
    }

    fn description(&self) -> String {
        "AlwaysOnSampler".to_owned()
    }

    fn constant_decision(&self) -> Option<SamplingDecision> {
        Some(SamplingDecision::RecordAndSample)
    }

    fn decides_by_context_alone(&self) -> bool {
        true
    }
}

/// Drops every span.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysOff;

impl Sampler for AlwaysOff {
    #[inline]
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::new(SamplingDecision::Drop)
    }

    fn description(&self) -> String {
        "AlwaysOffSampler".to_owned()
    }

    fn constant_decision(&self) -> Option<SamplingDecision> {
        Some(SamplingDecision::Drop)
    }

    fn decides_by_context_alone(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spanlite_api::{Context, SpanKind, TraceId};

    #[test]
    fn the_constant_decisions_are_what_should_sample_answers_and_pass_through_boxes() {
        let parent = Context::new();
        let params = SamplingParams::new(&parent, TraceId::from_int(1), "x", SpanKind::Internal);
        let samplers: [Box<dyn Sampler>; 2] = [Box::new(AlwaysOn), Box::new(AlwaysOff)];
        for sampler in samplers {
            let answer = sampler.should_sample(&params);
            assert_eq!(sampler.constant_decision(), Some(answer.decision()));
            assert!(answer.attributes().is_empty() && answer.trace_state().is_none());
        }
        let asks = crate::ParentBased::new(AlwaysOn);
        assert_eq!(asks.constant_decision(), None);
    }
}
