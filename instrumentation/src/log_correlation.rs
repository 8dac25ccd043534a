//! The current trace and span ids, for structured logs.

use std::fmt;

use spanlite::{Context, SpanId, TraceId};

/// The ids of the current span, to put in a log line as `trace_id` and
/// `span_id` so logs and traces join up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCorrelation {
    trace_id: TraceId,
    span_id: SpanId,
    sampled: bool,
}

impl LogCorrelation {
    /// The trace id.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The span id.
    pub fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// Whether the trace is sampled (its spans will be in the backend).
    pub fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// `"trace_id":"…","span_id":"…"` — the two JSON members, ready to
    /// splice into a JSON log line.
    pub fn json_members(&self) -> String {
        format!(
            "\"trace_id\":\"{}\",\"span_id\":\"{}\"",
            self.trace_id, self.span_id
        )
    }
}

impl fmt::Display for LogCorrelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "trace_id={} span_id={}", self.trace_id, self.span_id)
    }
}

/// The ids of the current context's span, or `None` outside any span.
///
/// ```
/// use spanlite::{Context, InMemoryExporter, TracerProvider};
/// use spanlite_instrumentation::log_correlation;
///
/// let provider = TracerProvider::builder().with_simple_exporter(InMemoryExporter::new()).build();
/// assert!(log_correlation().is_none());
/// provider.tracer("app").in_span("handle", |_| {
///     let ids = log_correlation().unwrap();
///     // {"@timestamp":"…","level":"INFO","message":"charged","trace_id":"…","span_id":"…"}
///     let line = format!("{{\"level\":\"INFO\",\"message\":\"charged\",{}}}", ids.json_members());
///     assert!(line.contains(&ids.trace_id().to_string()));
/// });
/// ```
pub fn log_correlation() -> Option<LogCorrelation> {
    Context::map_current(|cx| {
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid().then(|| LogCorrelation {
            trace_id: sc.trace_id(),
            span_id: sc.span_id(),
            sampled: sc.is_sampled(),
        })
    })
}
