//! A closure as a sampler.

use std::fmt;

use crate::{Sampler, SamplingDecision, SamplingParams, SamplingResult};

/// Makes a closure a [`Sampler`]. The closure gets the span's
/// [`SamplingParams`] and returns a [`SamplingDecision`] (the parent's trace
/// state is kept and no attributes are added), a full [`SamplingResult`],
/// or a `bool` (sampled or dropped). `description` is what
/// [`Sampler::description`] reports.
///
/// The closure runs on every span start, on the application's threads:
/// keep it cheap and never block.
///
/// ```
/// use spanlite_api::{Context, SpanKind, TraceId};
/// use spanlite_samplers::{sampler_fn, Sampler, SamplingDecision, SamplingParams};
///
/// let no_health_checks = sampler_fn("NoHealthChecks", |params| {
///     if params.name == "GET /health" {
///         SamplingDecision::Drop
///     } else {
///         SamplingDecision::RecordAndSample
///     }
/// });
/// let root = Context::new();
/// let params = SamplingParams::new(&root, TraceId::from_int(1), "GET /health", SpanKind::Server);
/// assert!(!no_health_checks.should_sample(&params).decision().is_recording());
/// assert_eq!(no_health_checks.description(), "NoHealthChecks");
/// ```
pub fn sampler_fn<F, R>(description: impl Into<String>, f: F) -> SamplerFn<F>
where
    F: Fn(&SamplingParams<'_>) -> R + Send + Sync,
    R: IntoSamplingResult,
{
    SamplerFn {
        description: description.into(),
        f,
    }
}

/// A closure that samples; made by [`sampler_fn`].
#[derive(Clone)]
pub struct SamplerFn<F> {
    description: String,
    f: F,
}

impl<F> fmt::Debug for SamplerFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamplerFn")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl<F, R> Sampler for SamplerFn<F>
where
    F: Fn(&SamplingParams<'_>) -> R + Send + Sync,
    R: IntoSamplingResult,
{
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        (self.f)(params).into_sampling_result()
    }

    fn description(&self) -> String {
        self.description.clone()
    }
}

/// What a [`sampler_fn`] closure may return.
pub trait IntoSamplingResult {
    /// The full result for the span described by `params`.
    fn into_sampling_result(self) -> SamplingResult;
}

impl IntoSamplingResult for SamplingResult {
    fn into_sampling_result(self) -> SamplingResult {
        self
    }
}

/// The decision, with the parent's trace state and no attributes.
impl IntoSamplingResult for SamplingDecision {
    fn into_sampling_result(self) -> SamplingResult {
        SamplingResult::new(self)
    }
}

/// `true` is `RecordAndSample`, `false` is `Drop`.
impl IntoSamplingResult for bool {
    fn into_sampling_result(self) -> SamplingResult {
        let decision = if self {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        SamplingResult::new(decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spanlite_api::{Context, KeyValue, SpanContext, SpanId, SpanKind, TraceFlags, TraceId};

    fn params_in(cx: &Context) -> SamplingParams<'_> {
        SamplingParams::new(cx, TraceId::from_int(3), "op", SpanKind::Client)
    }

    fn remote_parent() -> Context {
        let parent = SpanContext::new(
            TraceId::from_int(3),
            SpanId::from_int(4),
            TraceFlags::SAMPLED,
            true,
            "vendor=x".parse().unwrap(),
        );
        Context::new().with_span_context(parent)
    }

    #[test]
    fn a_returned_decision_keeps_the_parents_trace_state() {
        let sampler = sampler_fn("RecordOnly", |_: &SamplingParams<'_>| {
            SamplingDecision::RecordOnly
        });
        let cx = remote_parent();
        let params = params_in(&cx);
        let result = sampler.should_sample(&params);
        assert_eq!(result.decision(), SamplingDecision::RecordOnly);
        assert_eq!(result.trace_state(), None);
        assert_eq!(result.resolved_trace_state(&params).header(), "vendor=x");
        assert!(result.attributes().is_empty());
    }

    #[test]
    fn a_returned_result_is_used_as_is() {
        let sampler = sampler_fn("Tagging", |p: &SamplingParams<'_>| {
            SamplingResult::with_parts(
                SamplingDecision::RecordAndSample,
                vec![KeyValue::new("sampler.kind", p.kind.as_str())],
                Default::default(),
            )
        });
        let cx = remote_parent();
        let result = sampler.should_sample(&params_in(&cx));
        assert_eq!(
            result.attributes(),
            &[KeyValue::new("sampler.kind", "client")]
        );
        assert!(result.trace_state().is_some_and(|s| s.is_empty()));
    }

    #[test]
    fn a_returned_bool_means_sampled_or_dropped() {
        let cx = Context::new();
        let yes = sampler_fn("Yes", |_: &SamplingParams<'_>| true);
        let no = sampler_fn("No", |_: &SamplingParams<'_>| false);
        assert!(yes.should_sample(&params_in(&cx)).decision().is_sampled());
        assert_eq!(
            no.should_sample(&params_in(&cx)).decision(),
            SamplingDecision::Drop
        );
    }

    #[test]
    fn the_closure_sees_the_spans_parameters() {
        let sampler = sampler_fn("ByName", |p: &SamplingParams<'_>| {
            p.name.starts_with("keep")
        });
        let cx = Context::new();
        let keep = SamplingParams::new(&cx, TraceId::from_int(1), "keep me", SpanKind::Internal);
        let lose = SamplingParams::new(&cx, TraceId::from_int(1), "lose me", SpanKind::Internal);
        assert!(sampler.should_sample(&keep).decision().is_sampled());
        assert!(!sampler.should_sample(&lose).decision().is_sampled());
    }

    #[test]
    fn it_works_as_a_boxed_dyn_sampler_with_its_description() {
        let sampler: Box<dyn Sampler> = Box::new(sampler_fn("Mine", |_: &SamplingParams<'_>| true));
        assert_eq!(sampler.description(), "Mine");
        assert!(format!("{sampler:?}").contains("Mine"));
    }
}
