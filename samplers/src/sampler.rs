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
    pub fn with_attributes(mut self, attributes: &'a [KeyValue]) -> Self {
        self.attributes = attributes;
        self
    }

    /// These parameters with links.
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
    pub fn is_recording(self) -> bool {
        !matches!(self, SamplingDecision::Drop)
    }

    /// Whether the sampled flag is set.
    pub fn is_sampled(self) -> bool {
        matches!(self, SamplingDecision::RecordAndSample)
    }
}

/// A sampler's answer: the decision, attributes to add to the span, and the
/// trace state the new span carries.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingResult {
    decision: SamplingDecision,
    attributes: Vec<KeyValue>,
    trace_state: TraceState,
}

impl SamplingResult {
    /// A decision that keeps the parent's trace state and adds no attributes.
    pub fn new(decision: SamplingDecision, params: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult {
            decision,
            attributes: Vec::new(),
            trace_state: params.parent.span().span_context().trace_state().clone(),
        }
    }

    /// A decision with explicit attributes and trace state.
    pub fn with_parts(
        decision: SamplingDecision,
        attributes: Vec<KeyValue>,
        trace_state: TraceState,
    ) -> SamplingResult {
        SamplingResult {
            decision,
            attributes,
            trace_state,
        }
    }

    /// The decision.
    pub fn decision(&self) -> SamplingDecision {
        self.decision
    }

    /// Attributes the sampler adds to the span.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }

    /// The trace state the new span carries.
    pub fn trace_state(&self) -> &TraceState {
        &self.trace_state
    }

    /// The parts, to move into the span.
    pub fn into_parts(self) -> (SamplingDecision, Vec<KeyValue>, TraceState) {
        (self.decision, self.attributes, self.trace_state)
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
}

impl<S: Sampler + ?Sized> Sampler for Box<S> {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        (**self).should_sample(params)
    }

    fn description(&self) -> String {
        (**self).description()
    }
}

impl<S: Sampler + ?Sized> Sampler for std::sync::Arc<S> {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        (**self).should_sample(params)
    }

    fn description(&self) -> String {
        (**self).description()
    }
}
