//! The sampler trait and what it is asked and answers.

use std::fmt;

use spanlite_api::{Context, KeyValue, Link, SpanKind, TraceId, TraceState};

/// What a sampler is asked about a span that is about to start.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SamplingParams<'a> {
    /// The parent context (its span may be invalid: then this is a root).
    pub parent: &'a Context,
    /// The trace id the span will have.
    pub trace_id: TraceId,
    /// The span's name.
    pub name: &'a str,
    /// The span's kind.
    pub kind: SpanKind,
    /// The attributes given at start.
    pub attributes: &'a [KeyValue],
    /// The links given at start.
    pub links: &'a [Link],
}

impl<'a> SamplingParams<'a> {
    /// Parameters for a span with no attributes and no links.
    #[inline]
    pub fn new(parent: &'a Context, trace_id: TraceId, name: &'a str, kind: SpanKind) -> Self {
        SamplingParams {
            parent,
            trace_id,
            name,
            kind,
            attributes: &[],
            links: &[],
        }
    }

    /// These parameters with start attributes.
    #[inline]
    pub fn with_attributes(mut self, attributes: &'a [KeyValue]) -> Self {
        self.attributes = attributes;
        self
    }

    /// These parameters with links.
    #[inline]
    pub fn with_links(mut self, links: &'a [Link]) -> Self {
        self.links = links;
        self
    }
}

/// The three outcomes the spec defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamplingDecision {
    /// Not recorded, not sampled: only a span context.
    Drop,
    /// Recorded (processors see it) but not sampled (exporters do not).
    RecordOnly,
    /// Recorded and sampled.
    RecordAndSample,
}

impl SamplingDecision {
    /// Whether the span records.
    #[inline]
    pub fn is_recording(self) -> bool {
        !matches!(self, SamplingDecision::Drop)
    }

    /// Whether the sampled flag is set.
    #[inline]
    pub fn is_sampled(self) -> bool {
        matches!(self, SamplingDecision::RecordAndSample)
    }
}

/// A sampler's answer: the decision, attributes to add to the span, and the
/// trace state the new span carries (the parent's unless the sampler
/// replaces it).
///
/// The common answer, a decision alone, is two machine words: it comes
/// back in registers and costs no allocation. Attributes or a new trace
/// state are kept in one boxed allocation beside it.
///
/// ```
/// use spanlite_samplers::{SamplingDecision, SamplingResult};
/// let keep = SamplingResult::new(SamplingDecision::RecordAndSample);
/// assert!(keep.decision().is_sampled());
/// assert!(keep.trace_state().is_none(), "the parent's trace state, unchanged");
/// assert!(keep.attributes().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingResult {
    decision: SamplingDecision,
    changes: MaybeChanges,
}

/// The boxed additions, if any. Dropping one is a test and, only when
/// there are changes, an out-of-line call: the generic drop of the box's
/// contents is too large to inline, and a caller that drops a plain
/// decision should not pay a call for it.
#[derive(Debug, Clone, PartialEq)]
struct MaybeChanges(Option<Box<Changes>>);

impl Drop for MaybeChanges {
    #[inline]
    fn drop(&mut self) {
        if self.0.is_some() {
            drop_changes(self.0.take());
        }
    }
}

#[inline(never)]
fn drop_changes(changes: Option<Box<Changes>>) {
    drop(changes);
}

/// What a sampler adds to its decision; absent for most answers.
#[derive(Debug, Clone, PartialEq)]
struct Changes {
    attributes: Vec<KeyValue>,
    trace_state: Option<TraceState>,
}

impl SamplingResult {
    /// A decision that keeps the parent's trace state and adds no
    /// attributes.
    #[inline]
    pub const fn new(decision: SamplingDecision) -> SamplingResult {
        SamplingResult {
            decision,
            changes: MaybeChanges(None),
        }
    }

    /// A decision with attributes for the span and the trace state it
    /// carries instead of its parent's.
    pub fn with_parts(
        decision: SamplingDecision,
        attributes: Vec<KeyValue>,
        trace_state: TraceState,
    ) -> SamplingResult {
        SamplingResult {
            decision,
            changes: MaybeChanges(Some(Box::new(Changes {
                attributes,
                trace_state: Some(trace_state),
            }))),
        }
    }

    /// A decision with the trace state the span carries instead of its
    /// parent's.
    pub fn with_trace_state(decision: SamplingDecision, trace_state: TraceState) -> SamplingResult {
        SamplingResult::with_parts(decision, Vec::new(), trace_state)
    }

    /// A decision with attributes for the span; the parent's trace state is
    /// kept.
    pub fn with_attributes(
        decision: SamplingDecision,
        attributes: Vec<KeyValue>,
    ) -> SamplingResult {
        if attributes.is_empty() {
            return SamplingResult::new(decision);
        }
        SamplingResult {
            decision,
            changes: MaybeChanges(Some(Box::new(Changes {
                attributes,
                trace_state: None,
            }))),
        }
    }

    /// The decision.
    #[inline]
    pub fn decision(&self) -> SamplingDecision {
        self.decision
    }

    /// Attributes the sampler adds to the span.
    #[inline]
    pub fn attributes(&self) -> &[KeyValue] {
        self.changes.0.as_deref().map_or(&[], |c| &c.attributes)
    }

    /// The trace state the new span carries, or `None` for its parent's
    /// (an empty one for a root), unchanged.
    #[inline]
    pub fn trace_state(&self) -> Option<&TraceState> {
        self.changes
            .0
            .as_deref()
            .and_then(|c| c.trace_state.as_ref())
    }

    /// The trace state the new span carries, given what the sampler was
    /// asked.
    pub fn resolved_trace_state<'a>(&'a self, params: &SamplingParams<'a>) -> &'a TraceState {
        match self.trace_state() {
            Some(state) => state,
            None => params.parent.span().span_context().trace_state(),
        }
    }

    /// This decision with another decision, the rest unchanged.
    #[inline]
    pub fn with_decision(mut self, decision: SamplingDecision) -> SamplingResult {
        self.decision = decision;
        self
    }

    /// The parts, to move into the span: the decision, the attributes, and
    /// the trace state (`None`: the parent's).
    #[inline]
    pub fn into_parts(mut self) -> (SamplingDecision, Vec<KeyValue>, Option<TraceState>) {
        match self.changes.0.take() {
            None => (self.decision, Vec::new(), None),
            Some(changes) => Self::unbox(self.decision, *changes),
        }
    }

    fn unbox(
        decision: SamplingDecision,
        changes: Changes,
    ) -> (SamplingDecision, Vec<KeyValue>, Option<TraceState>) {
        let Changes {
            attributes,
            trace_state,
        } = changes;
        (decision, attributes, trace_state)
    }
}

impl From<SamplingDecision> for SamplingResult {
    #[inline]
    fn from(decision: SamplingDecision) -> SamplingResult {
        SamplingResult::new(decision)
    }
}

/// Decides, before a span starts, whether it records and whether it is
/// sampled. Called on every span start, on the application's threads: keep
/// it cheap and never block. Object-safe: `Box<dyn Sampler>` works.
pub trait Sampler: Send + Sync + fmt::Debug {
    /// The decision for one span.
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult;

    /// A name for logs and debugging, e.g. `AlwaysOnSampler`.
    fn description(&self) -> String;

    /// The decision this sampler gives every span whatever it is asked,
    /// with no attributes and the parent's trace state (`AlwaysOn`,
    /// `AlwaysOff`). The SDK then starts spans without building the
    /// parameters or calling [`should_sample`](Self::should_sample).
    /// `None` (the default): ask each time.
    fn constant_decision(&self) -> Option<SamplingDecision> {
        None
    }

    /// Whether the decision depends only on the parent context, the trace
    /// id and the sampler's own state (a rate, a clock), never on the
    /// span's name, kind, attributes or links. The SDK may then ask before
    /// a span's starting fields are gathered, and write them straight into
    /// the span (see `Tracer::start_with_fields` in the SDK). `false` (the
    /// default) is always correct.
    fn decides_by_context_alone(&self) -> bool {
        false
    }
}

impl<S: Sampler + ?Sized> Sampler for Box<S> {
    #[inline]
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        (**self).should_sample(params)
    }

    fn description(&self) -> String {
        (**self).description()
    }

    fn constant_decision(&self) -> Option<SamplingDecision> {
        (**self).constant_decision()
    }

    fn decides_by_context_alone(&self) -> bool {
        (**self).decides_by_context_alone()
    }
}

impl<S: Sampler + ?Sized> Sampler for std::sync::Arc<S> {
    #[inline]
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        (**self).should_sample(params)
    }

    fn description(&self) -> String {
        (**self).description()
    }

    fn constant_decision(&self) -> Option<SamplingDecision> {
        (**self).constant_decision()
    }

    fn decides_by_context_alone(&self) -> bool {
        (**self).decides_by_context_alone()
    }
}

/// For tests: a result together with the trace state its span would carry.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{SamplingDecision, SamplingParams, SamplingResult};
    use spanlite_api::TraceState;

    /// A result and the trace state the span carries (its own, else the
    /// parent's).
    #[derive(Debug)]
    pub(crate) struct Answer(SamplingResult, TraceState);

    impl Answer {
        pub(crate) fn of(result: SamplingResult, params: &SamplingParams<'_>) -> Answer {
            let state = result.resolved_trace_state(params).clone();
            Answer(result, state)
        }

        pub(crate) fn decision(&self) -> SamplingDecision {
            self.0.decision()
        }

        pub(crate) fn trace_state(&self) -> &TraceState {
            &self.1
        }
    }
}
