//! Head-sampling decisions of each SDK, with the inputs the `compare`
//! benchmark's `sampler_decision` group gives them.

use opentelemetry::trace::{
    SpanContext as OtelSpanContext, SpanKind as OtelSpanKind, TraceContextExt as _,
    TraceFlags as OtelTraceFlags, TraceId as OtelTraceId, TraceState as OtelTraceState,
};
use opentelemetry_sdk::trace::{
    Sampler as OtelSampler, SamplingResult as OtelSamplingResult, ShouldSample as _,
};
use spanlite::{
    AlwaysOff, AlwaysOn, Context, ParentBased, RuleBased, Sampler, SamplingParams, SamplingResult,
    SpanContext, SpanId, SpanKind, SpanMatcher, TraceFlags, TraceId, TraceIdRatioBased, TraceState,
};

/// The span name every decision is asked about; no rule of
/// [`spanlite_rule_based`] matches it.
pub const NAME: &str = "GET /api/products/{id}";

/// A well-spread 128-bit trace id from a counter, so that consecutive
/// decisions do not follow a pattern a branch predictor can learn.
#[inline]
pub fn trace_id_bits(i: u64) -> u128 {
    let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (u128::from(x.rotate_left(23)) << 64) | u128::from(x ^ (x >> 29))
}

/// The parent's span id in the parent-based cases.
const PARENT_SPAN_ID: u64 = 0x00f0_67aa_0ba9_02b7;
/// The parent's trace id in the parent-based cases.
const PARENT_TRACE_ID: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;

/// spanlite `TraceIdRatioBased(0.5)`.
pub fn spanlite_ratio() -> TraceIdRatioBased {
    TraceIdRatioBased::new(0.5)
}

/// spanlite `ParentBased(AlwaysOn)`.
pub fn spanlite_parent_based() -> ParentBased {
    ParentBased::new(AlwaysOn)
}

/// spanlite rules: drop `GET /health`, keep `payment.*`, half of server
/// spans; a tenth of the rest.
pub fn spanlite_rule_based() -> RuleBased {
    RuleBased::builder()
        .rule(SpanMatcher::new().name("GET /health"), AlwaysOff)
        .rule(SpanMatcher::new().name_prefix("payment."), AlwaysOn)
        .rule(
            SpanMatcher::new().kind(SpanKind::Server),
            TraceIdRatioBased::new(0.5),
        )
        .build(TraceIdRatioBased::new(0.1))
}

/// A context holding a sampled remote parent, as a server extracts it.
pub fn spanlite_remote_parent() -> Context {
    let parent = SpanContext::new(
        TraceId::from_int(PARENT_TRACE_ID),
        SpanId::from_int(PARENT_SPAN_ID),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    );
    Context::new().with_remote_span_context(parent)
}

/// One spanlite decision for an internal span named [`NAME`] in the trace
/// made from `i`.
#[inline]
pub fn spanlite_decide(sampler: &impl Sampler, parent: &Context, i: u64) -> SamplingResult {
    let trace_id = TraceId::from_int(trace_id_bits(i));
    sampler.should_sample(&SamplingParams::new(
        parent,
        trace_id,
        NAME,
        SpanKind::Internal,
    ))
}

/// opentelemetry_sdk `TraceIdRatioBased(0.5)`.
pub fn otel_ratio() -> OtelSampler {
    OtelSampler::TraceIdRatioBased(0.5)
}

/// opentelemetry_sdk `ParentBased(AlwaysOn)`.
pub fn otel_parent_based() -> OtelSampler {
    OtelSampler::ParentBased(Box::new(OtelSampler::AlwaysOn))
}

/// The same sampled remote parent in an opentelemetry context.
pub fn otel_remote_parent() -> opentelemetry::Context {
    let parent = OtelSpanContext::new(
        OtelTraceId::from(PARENT_TRACE_ID),
        opentelemetry::trace::SpanId::from(PARENT_SPAN_ID),
        OtelTraceFlags::SAMPLED,
        true,
        OtelTraceState::default(),
    );
    opentelemetry::Context::new().with_remote_span_context(parent)
}

/// One opentelemetry_sdk decision, asked as its tracer asks (`Some`
/// parent context, no attributes, no links).
#[inline]
pub fn otel_decide(
    sampler: &OtelSampler,
    parent: &opentelemetry::Context,
    i: u64,
) -> OtelSamplingResult {
    sampler.should_sample(
        Some(parent),
        OtelTraceId::from(trace_id_bits(i)),
        NAME,
        &OtelSpanKind::Internal,
        &[],
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_sdk::trace::SamplingDecision as OtelDecision;

    #[test]
    fn the_peers_agree_where_their_rules_agree() {
        let root = Context::new();
        let otel_root = opentelemetry::Context::new();
        let (mut ours, mut theirs) = (0, 0);
        for i in 0..1000 {
            ours += usize::from(
                spanlite_decide(&spanlite_ratio(), &root, i)
                    .decision()
                    .is_sampled(),
            );
            theirs += usize::from(
                otel_decide(&otel_ratio(), &otel_root, i).decision == OtelDecision::RecordAndSample,
            );
            // A sampled remote parent is followed by both.
            assert!(
                spanlite_decide(&spanlite_parent_based(), &spanlite_remote_parent(), i)
                    .decision()
                    .is_sampled()
            );
            assert_eq!(
                otel_decide(&otel_parent_based(), &otel_remote_parent(), i).decision,
                OtelDecision::RecordAndSample
            );
        }
        // Different bits of the id, the same ratio: both near one half.
        assert!((400..600).contains(&ours), "{ours}");
        assert!((400..600).contains(&theirs), "{theirs}");
    }

    #[test]
    fn the_rule_based_input_falls_through_to_the_default() {
        let root = Context::new();
        let sampled = (0..1000)
            .filter(|&i| {
                spanlite_decide(&spanlite_rule_based(), &root, i)
                    .decision()
                    .is_sampled()
            })
            .count();
        // The default samples a tenth; the server rule would sample half.
        assert!((50..150).contains(&sampled), "{sampled}");
    }
}
