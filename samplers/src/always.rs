//! The two constant samplers.

use crate::{Sampler, SamplingDecision, SamplingParams, SamplingResult};

/// Records and samples every span.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysOn;

impl Sampler for AlwaysOn {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::new(SamplingDecision::RecordAndSample, params)
    }

    fn description(&self) -> String {
        "AlwaysOnSampler".to_owned()
    }
}

/// Drops every span.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysOff;

impl Sampler for AlwaysOff {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::new(SamplingDecision::Drop, params)
    }

    fn description(&self) -> String {
        "AlwaysOffSampler".to_owned()
    }
}
