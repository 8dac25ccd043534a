//! The part of a span that crosses process boundaries.

use crate::{SpanId, TraceFlags, TraceId, TraceState};

/// What identifies a span to other processes: trace id, span id, flags,
/// trace state, and whether it was received from another process.
///
/// ```
/// use spanlite_api::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
/// let cx = SpanContext::new(
///     TraceId::from_int(1),
///     SpanId::from_int(2),
///     TraceFlags::SAMPLED,
///     true,
///     TraceState::NONE,
/// );
/// assert!(cx.is_valid() && cx.is_sampled() && cx.is_remote());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SpanContext {
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
    remote: bool,
    trace_state: TraceState,
}

impl SpanContext {
    /// The invalid span context: what a Context without a span reports.
    pub const INVALID: SpanContext = SpanContext {
        trace_id: TraceId::INVALID,
        span_id: SpanId::INVALID,
        flags: TraceFlags::NONE,
        remote: false,
        trace_state: TraceState::NONE,
    };

    /// A span context from its parts.
    #[inline]
    pub const fn new(
        trace_id: TraceId,
        span_id: SpanId,
        flags: TraceFlags,
        remote: bool,
        trace_state: TraceState,
    ) -> SpanContext {
        SpanContext {
            trace_id,
            span_id,
            flags,
            remote,
            trace_state,
        }
    }

    /// The trace id.
    #[inline]
    pub const fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The span id.
    #[inline]
    pub const fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// The trace flags.
    #[inline]
    pub const fn trace_flags(&self) -> TraceFlags {
        self.flags
    }

    /// The W3C trace state.
    #[inline]
    pub const fn trace_state(&self) -> &TraceState {
        &self.trace_state
    }

    /// Valid when both ids are valid.
    #[inline]
    pub const fn is_valid(&self) -> bool {
        self.trace_id.is_valid() && self.span_id.is_valid()
    }

    /// Whether it came from another process (extracted by a propagator).
    #[inline]
    pub const fn is_remote(&self) -> bool {
        self.remote
    }

    /// Whether the sampled flag is set.
    #[inline]
    pub const fn is_sampled(&self) -> bool {
        self.flags.is_sampled()
    }

    /// The same context with another trace state.
    pub fn with_trace_state(mut self, trace_state: TraceState) -> SpanContext {
        self.trace_state = trace_state;
        self
    }
}
