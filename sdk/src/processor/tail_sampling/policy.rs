//! What a tail policy is shown and the built-in policies.

use std::fmt;
use std::time::Duration;

use crate::{
    Context, KeyValue, Sampler, SamplingParams, SpanData, SpanKind, TraceId, TraceIdRatioBased,
};

/// The held spans of one trace, as a [`TailPolicy`] sees them when the
/// trace is decided.
#[derive(Debug, Clone, Copy)]
pub struct TraceView<'a> {
    trace_id: TraceId,
    spans: &'a [SpanData],
    root_ended: bool,
}

impl<'a> TraceView<'a> {
    /// `spans` must be non-empty and in end order; `root_ended` says the
    /// last of them is the local root whose end triggered the decision.
    pub(crate) fn new(trace_id: TraceId, spans: &'a [SpanData], root_ended: bool) -> Self {
        TraceView {
            trace_id,
            spans,
            root_ended,
        }
    }

    /// The trace's id.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The spans held for this trace, in the order they ended.
    pub fn spans(&self) -> &'a [SpanData] {
        self.spans
    }

    /// The local root (the span whose parent is invalid or remote) when its
    /// end is what triggered the decision; `None` when the trace is decided
    /// before it ended (wait expired, memory bound, flush or shutdown).
    pub fn local_root(&self) -> Option<&'a SpanData> {
        if self.root_ended {
            self.spans.last()
        } else {
            None
        }
    }

    /// The local root's duration; without a local root, the time from the
    /// earliest start to the latest end among the held spans, which the
    /// root's duration can only exceed.
    pub fn duration(&self) -> Duration {
        let nanos = match self.local_root() {
            Some(root) => root
                .end_unix_nanos()
                .saturating_sub(root.start_unix_nanos()),
            None => {
                let start = self.spans.iter().map(SpanData::start_unix_nanos).min();
                let end = self.spans.iter().map(SpanData::end_unix_nanos).max();
                match (start, end) {
                    (Some(start), Some(end)) => end.saturating_sub(start),
                    _ => 0,
                }
            }
        };
        Duration::from_nanos(nanos)
    }
}

/// Decides whether a held trace is kept. A tail-sampling processor keeps a
/// trace when any of its policies says so.
///
/// Policies run under the processor's lock, on whichever thread triggered
/// the decision: keep them quick. Object-safe: `Box<dyn TailPolicy>` works.
///
/// ```
/// use spanlite::{TailPolicy, TraceView};
///
/// /// Keeps traces with many spans: they show fan-out worth seeing.
/// #[derive(Debug)]
/// struct Wide(usize);
///
/// impl TailPolicy for Wide {
///     fn should_keep(&self, trace: &TraceView<'_>) -> bool {
///         trace.spans().len() >= self.0
///     }
/// }
/// # let _: Box<dyn TailPolicy> = Box::new(Wide(50));
/// ```
pub trait TailPolicy: Send + Sync + fmt::Debug {
    /// Whether to keep `trace`.
    fn should_keep(&self, trace: &TraceView<'_>) -> bool;
}

impl<P: TailPolicy + ?Sized> TailPolicy for Box<P> {
    fn should_keep(&self, trace: &TraceView<'_>) -> bool {
        (**self).should_keep(trace)
    }
}

impl<P: TailPolicy + ?Sized> TailPolicy for std::sync::Arc<P> {
    fn should_keep(&self, trace: &TraceView<'_>) -> bool {
        (**self).should_keep(trace)
    }
}

/// Keeps a trace in which any held span has status `Error`.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeepErrors;

impl TailPolicy for KeepErrors {
    fn should_keep(&self, trace: &TraceView<'_>) -> bool {
        trace.spans().iter().any(|span| span.status().is_error())
    }
}

/// Keeps a trace whose [`TraceView::duration`] reaches a threshold.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeepSlow(pub(super) Duration);

impl TailPolicy for KeepSlow {
    fn should_keep(&self, trace: &TraceView<'_>) -> bool {
        trace.duration() >= self.0
    }
}

/// Keeps the traces [`TraceIdRatioBased`] would sample: the same
/// randomness (the `rv` of the trace state's `ot` entry, else the low 56
/// bits of the trace id) against the same threshold, so the decision
/// agrees with a head sampler of the same ratio.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeepRatio(pub(super) TraceIdRatioBased);

impl TailPolicy for KeepRatio {
    fn should_keep(&self, trace: &TraceView<'_>) -> bool {
        // The sampler reads the randomness from its parent's trace state;
        // a trace's spans share theirs, so any held span's context serves.
        let parent = match trace.spans().first() {
            Some(span) => Context::new().with_span_context(span.span_context().clone()),
            None => Context::new(),
        };
        let params = SamplingParams::new(&parent, trace.trace_id(), "", SpanKind::Internal);
        self.0.should_sample(&params).decision().is_sampled()
    }
}

/// Keeps a trace in which any held span has the attribute, with exactly
/// this value.
#[derive(Debug, Clone)]
pub(super) struct KeepAttribute(pub(super) KeyValue);

impl TailPolicy for KeepAttribute {
    fn should_keep(&self, trace: &TraceView<'_>) -> bool {
        trace.spans().iter().any(|span| {
            span.attributes()
                .iter()
                .any(|kv| kv.key() == self.0.key() && kv.value() == self.0.value())
        })
    }
}
