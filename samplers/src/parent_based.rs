//! Follow the parent's decision; ask a root sampler only for roots.

use std::sync::Arc;

use crate::ot_entry::{randomness, replace_ot, OtEntry};
use crate::{AlwaysOff, AlwaysOn, Sampler, SamplingDecision, SamplingParams, SamplingResult};

/// Samples as the parent did, with a delegate for each of the spec's five
/// cases. Defaults: remote sampled parent -> AlwaysOn, remote not-sampled ->
/// AlwaysOff, local sampled -> AlwaysOn, local not-sampled -> AlwaysOff.
///
/// ```
/// use spanlite_samplers::{AlwaysOn, ParentBased, Sampler};
/// let sampler = ParentBased::new(AlwaysOn);
/// assert_eq!(
///     sampler.description(),
///     "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,\
///      remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,\
///      localParentNotSampled:AlwaysOffSampler}"
/// );
/// ```
#[derive(Debug, Clone)]
pub struct ParentBased {
    root: Arc<dyn Sampler>,
    remote_parent_sampled: Arc<dyn Sampler>,
    remote_parent_not_sampled: Arc<dyn Sampler>,
    local_parent_sampled: Arc<dyn Sampler>,
    local_parent_not_sampled: Arc<dyn Sampler>,
    /// Which parent cases still have their default delegate (bits from
    /// [`case_bit`]): those follow the parent's flag without a call.
    defaults: u8,
}

/// The bit of a parent case in [`ParentBased::defaults`].
fn case_bit(remote: bool, sampled: bool) -> u8 {
    1 << (u8::from(remote) * 2 + u8::from(sampled))
}

impl ParentBased {
    /// Parent-based sampling with `root` for spans without a valid parent.
    pub fn new(root: impl Sampler + 'static) -> ParentBased {
        ParentBased {
            root: Arc::new(root),
            remote_parent_sampled: Arc::new(AlwaysOn),
            remote_parent_not_sampled: Arc::new(AlwaysOff),
            local_parent_sampled: Arc::new(AlwaysOn),
            local_parent_not_sampled: Arc::new(AlwaysOff),
            defaults: 0b1111,
        }
    }

    /// Replaces the delegate for a sampled remote parent.
    pub fn with_remote_parent_sampled(mut self, sampler: impl Sampler + 'static) -> Self {
        self.remote_parent_sampled = Arc::new(sampler);
        self.defaults &= !case_bit(true, true);
        self
    }

    /// Replaces the delegate for a remote parent that is not sampled.
    pub fn with_remote_parent_not_sampled(mut self, sampler: impl Sampler + 'static) -> Self {
        self.remote_parent_not_sampled = Arc::new(sampler);
        self.defaults &= !case_bit(true, false);
        self
    }

    /// Replaces the delegate for a sampled local parent.
    pub fn with_local_parent_sampled(mut self, sampler: impl Sampler + 'static) -> Self {
        self.local_parent_sampled = Arc::new(sampler);
        self.defaults &= !case_bit(false, true);
        self
    }

    /// Replaces the delegate for a local parent that is not sampled.
    pub fn with_local_parent_not_sampled(mut self, sampler: impl Sampler + 'static) -> Self {
        self.local_parent_not_sampled = Arc::new(sampler);
        self.defaults &= !case_bit(false, false);
        self
    }

    #[inline]
    fn delegate(&self, params: &SamplingParams<'_>) -> &dyn Sampler {
        let span = params.parent.span();
        let parent = span.span_context();
        let chosen = match (parent.is_valid(), parent.is_remote(), parent.is_sampled()) {
            (false, _, _) => &self.root,
            (true, true, true) => &self.remote_parent_sampled,
            (true, true, false) => &self.remote_parent_not_sampled,
            (true, false, true) => &self.local_parent_sampled,
            (true, false, false) => &self.local_parent_not_sampled,
        };
        &**chosen
    }
}

impl Sampler for ParentBased {
    #[inline]
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let span = params.parent.span();
        let parent = span.span_context();
        let bit = case_bit(parent.is_remote(), parent.is_sampled());
        if parent.is_valid() && self.defaults & bit != 0 {
            // What the default AlwaysOn / AlwaysOff delegate would answer,
            // without the dynamic call and the copy of its result.
            let decision = if parent.is_sampled() {
                SamplingDecision::RecordAndSample
            } else {
                SamplingDecision::Drop
            };
            let result = SamplingResult::new(decision);
            if parent.trace_state().is_empty() || !parent.is_sampled() {
                // Nothing to erase; skipping the call also skips two copies.
                return result;
            }
            return erase_inconsistent_threshold(result, params);
        }
        let result = self.delegate(params).should_sample(params);
        if !result.decision().is_sampled()
            || (result.trace_state().is_none() && parent.trace_state().is_empty())
        {
            // No trace state to look into: skip the call and two copies.
            return result;
        }
        erase_inconsistent_threshold(result, params)
    }

    fn description(&self) -> String {
        format!(
            "ParentBased{{root:{},remoteParentSampled:{},remoteParentNotSampled:{},\
             localParentSampled:{},localParentNotSampled:{}}}",
            self.root.description(),
            self.remote_parent_sampled.description(),
            self.remote_parent_not_sampled.description(),
            self.local_parent_sampled.description(),
            self.local_parent_not_sampled.description(),
        )
    }

    /// The parent picks the delegate: the delegates decide.
    fn decides_by_context_alone(&self) -> bool {
        [
            &self.root,
            &self.remote_parent_sampled,
            &self.remote_parent_not_sampled,
            &self.local_parent_sampled,
            &self.local_parent_not_sampled,
        ]
        .iter()
        .all(|delegate| delegate.decides_by_context_alone())
    }
}

/// A sampled span whose `ot` threshold its randomness does not reach was
/// not sampled by that threshold (e.g. a parent sampled by a non-probability
/// sampler that kept a stale `th`): the spec asks parent-based samplers to
/// erase such an apparently inconsistent threshold rather than propagate it.
fn erase_inconsistent_threshold(
    result: SamplingResult,
    params: &SamplingParams<'_>,
) -> SamplingResult {
    let state = result.resolved_trace_state(params);
    if !result.decision().is_sampled() || state.is_empty() {
        return result;
    }
    let Some(entry) = OtEntry::from_trace_state(state) else {
        return result;
    };
    match entry.th() {
        Some(threshold) if randomness(params.trace_id, Some(&entry)) < threshold => {
            let trace_state = replace_ot(state, entry.with_th(None));
            let (decision, attributes, _) = result.into_parts();
            SamplingResult::with_parts(decision, attributes, trace_state)
        }
        _ => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::test_support::Answer;
    use crate::SamplingDecision;
    use spanlite_api::{Context, SpanContext, SpanId, SpanKind, TraceFlags, TraceId, TraceState};

    fn parent(remote: bool, sampled: bool) -> Context {
        let flags = TraceFlags::NONE.with_sampled(sampled);
        let sc = SpanContext::new(
            TraceId::from_int(1),
            SpanId::from_int(2),
            flags,
            remote,
            TraceState::NONE,
        );
        Context::new().with_span_context(sc)
    }

    fn decide(sampler: &ParentBased, cx: &Context) -> SamplingDecision {
        let params = SamplingParams::new(cx, TraceId::from_int(1), "op", SpanKind::Internal);
        sampler.should_sample(&params).decision()
    }

    #[test]
    fn root_spans_ask_the_root_sampler() {
        assert_eq!(
            decide(&ParentBased::new(AlwaysOff), &Context::new()),
            SamplingDecision::Drop
        );
        assert_eq!(
            decide(&ParentBased::new(AlwaysOn), &Context::new()),
            SamplingDecision::RecordAndSample
        );
    }

    #[test]
    fn default_delegates_follow_the_parents_sampled_flag() {
        let sampler = ParentBased::new(AlwaysOff);
        assert_eq!(
            decide(&sampler, &parent(true, true)),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(&sampler, &parent(true, false)),
            SamplingDecision::Drop
        );
        assert_eq!(
            decide(&sampler, &parent(false, true)),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(&sampler, &parent(false, false)),
            SamplingDecision::Drop
        );
    }

    #[test]
    fn each_of_the_five_delegates_is_used_for_its_case() {
        let sampler = ParentBased::new(AlwaysOn)
            .with_remote_parent_sampled(AlwaysOff)
            .with_remote_parent_not_sampled(AlwaysOn)
            .with_local_parent_sampled(AlwaysOff)
            .with_local_parent_not_sampled(AlwaysOn);
        assert_eq!(
            decide(&sampler, &Context::new()),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(&sampler, &parent(true, true)),
            SamplingDecision::Drop
        );
        assert_eq!(
            decide(&sampler, &parent(true, false)),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(&sampler, &parent(false, true)),
            SamplingDecision::Drop
        );
        assert_eq!(
            decide(&sampler, &parent(false, false)),
            SamplingDecision::RecordAndSample
        );
    }

    #[test]
    fn the_parents_trace_state_is_kept() {
        let ts: TraceState = "vendor=value".parse().unwrap();
        let sc = SpanContext::new(
            TraceId::from_int(1),
            SpanId::from_int(2),
            TraceFlags::SAMPLED,
            true,
            ts.clone(),
        );
        let cx = Context::new().with_span_context(sc);
        let params = SamplingParams::new(&cx, TraceId::from_int(1), "op", SpanKind::Server);
        let result = ParentBased::new(AlwaysOn).should_sample(&params);
        assert_eq!(result.trace_state(), None, "nothing to change");
        assert_eq!(result.resolved_trace_state(&params), &ts);
    }

    fn child_of_sampled(id: u128, state: &str) -> Answer {
        let sc = SpanContext::new(
            TraceId::from_int(id),
            SpanId::from_int(2),
            TraceFlags::SAMPLED,
            true,
            state.parse().unwrap(),
        );
        let cx = Context::new().with_span_context(sc);
        let params = SamplingParams::new(&cx, TraceId::from_int(id), "op", SpanKind::Server);
        Answer::of(ParentBased::new(AlwaysOff).should_sample(&params), &params)
    }

    #[test]
    fn a_sampled_parents_consistent_threshold_is_propagated() {
        // Randomness 0x80... reaches threshold 0x80...: consistent.
        let result = child_of_sampled(0x80_0000_0000_0000, "ot=th:8;rv:80000000000000,a=1");
        assert!(result.decision().is_sampled());
        assert_eq!(
            result.trace_state().header(),
            "ot=th:8;rv:80000000000000,a=1"
        );
        let result = child_of_sampled(0x80_0000_0000_0000, "ot=th:8");
        assert_eq!(result.trace_state().header(), "ot=th:8");
    }

    #[test]
    fn a_sampled_parents_inconsistent_threshold_is_erased() {
        // "a parent-based sampler that receives and propagates a sampled
        // context with threshold should check that the sampled flag matches
        // rv >= th, otherwise it should erase the threshold"
        let result = child_of_sampled(0x80_0000_0000_0000, "a=1,ot=th:c;foo:bar");
        assert!(result.decision().is_sampled());
        assert_eq!(result.trace_state().header(), "ot=foo:bar,a=1");
        let result = child_of_sampled(0xff_ffff_ffff_ffff, "ot=rv:00000000000001;th:8");
        assert_eq!(result.trace_state().header(), "ot=rv:00000000000001");
    }

    #[test]
    fn a_parent_based_sampler_decides_by_context_alone_when_all_its_delegates_do() {
        use crate::{
            sampler_fn, AlwaysOff, AlwaysOn, AlwaysRecord, ProbabilitySampler, RateLimiting,
            RuleBased, SpanMatcher, TraceIdRatioBased,
        };
        let reads_params = || sampler_fn("ReadsParams", |p: &SamplingParams<'_>| p.name == "x");
        let context_only: [Box<dyn Sampler>; 7] = [
            Box::new(AlwaysOn),
            Box::new(AlwaysOff),
            Box::new(TraceIdRatioBased::new(0.5)),
            Box::new(ProbabilitySampler::new(0.5)),
            Box::new(RateLimiting::per_second(10)),
            Box::new(AlwaysRecord::new(TraceIdRatioBased::new(0.1))),
            Box::new(ParentBased::new(TraceIdRatioBased::new(0.1))),
        ];
        for sampler in &context_only {
            assert!(
                sampler.decides_by_context_alone(),
                "{}",
                sampler.description()
            );
        }
        let not: [Box<dyn Sampler>; 5] = [
            Box::new(reads_params()),
            Box::new(AlwaysRecord::new(reads_params())),
            Box::new(
                RuleBased::builder()
                    .rule(SpanMatcher::new().name("x"), AlwaysOff)
                    .build(AlwaysOn),
            ),
            Box::new(ParentBased::new(reads_params())),
            Box::new(ParentBased::new(AlwaysOn).with_local_parent_sampled(reads_params())),
        ];
        for sampler in &not {
            assert!(
                !sampler.decides_by_context_alone(),
                "{}",
                sampler.description()
            );
        }
        let shared: std::sync::Arc<dyn Sampler> = std::sync::Arc::new(ParentBased::new(AlwaysOn));
        assert!(shared.decides_by_context_alone());
    }
}
