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
}
