//! Prints each finished trace as an indented tree with a waterfall bar.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io::Write;
use std::time::{Duration, Instant};

use crate::{ExportError, SpanData, SpanExporter, SpanId, TraceId};

const BAR_WIDTH: usize = 40;
/// Spans held while waiting for their trace's local root to end.
const MAX_PENDING: usize = 10_000;

/// Writes every trace, once its local root span ends, as a tree: service,
/// name, duration, and a bar showing when in the trace each span ran.
///
/// ```text
/// trace 4bf92f3577b34da6a3ce929d0e0e4736 (3 spans, 200.41 ms)
///   api-gateway  GET /checkout     200.41 ms |████████████████████████████████████████|
///   auth         └ verify token     50.12 ms |    ██████████                          |
///   api-gateway  └ load cart       120.03 ms |              ████████████████████████  |
/// ```
///
/// Spans whose root never ends here (a remote root, a lost parent) are
/// printed on flush and shutdown.
pub struct ConsoleExporter {
    out: Box<dyn Write + Send>,
    pending: HashMap<TraceId, Vec<SpanData>>,
    pending_spans: usize,
}

impl Default for ConsoleExporter {
    fn default() -> ConsoleExporter {
        ConsoleExporter::new()
    }
}

impl ConsoleExporter {
    /// An exporter writing to standard output.
    pub fn new() -> ConsoleExporter {
        ConsoleExporter::with_writer(std::io::stdout())
    }

    /// An exporter writing to `out`.
    pub fn with_writer(out: impl Write + Send + 'static) -> ConsoleExporter {
        ConsoleExporter {
            out: Box::new(out),
            pending: HashMap::new(),
            pending_spans: 0,
        }
    }

    fn print_trace(&mut self, trace_id: TraceId) -> Result<(), ExportError> {
        let Some(spans) = self.pending.remove(&trace_id) else {
            return Ok(());
        };
        self.pending_spans -= spans.len();
        let text = render_trace(trace_id, &spans);
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| ExportError::failed(format!("console: {e}")))
    }

    fn print_all(&mut self) -> Result<(), ExportError> {
        let mut ids: Vec<TraceId> = self.pending.keys().copied().collect();
        ids.sort_by_key(|id| {
            self.pending[id]
                .iter()
                .map(SpanData::start_unix_nanos)
                .min()
        });
        ids.into_iter().try_for_each(|id| self.print_trace(id))
    }
}

impl SpanExporter for ConsoleExporter {
    fn export(&mut self, batch: &[SpanData], _deadline: Instant) -> Result<(), ExportError> {
        // A batch holds spans from every thread's buffer in no particular
        // order, so a root may come before its children: print a trace only
        // after the whole batch is in.
        let mut complete = Vec::new();
        for span in batch {
            let trace_id = span.span_context().trace_id();
            self.pending.entry(trace_id).or_default().push(span.clone());
            self.pending_spans += 1;
            let local_root = !span.parent_span_id().is_valid() || span.parent_is_remote();
            if local_root {
                complete.push((span.start_unix_nanos(), trace_id));
            }
        }
        complete.sort();
        complete.dedup_by_key(|(_, id)| *id);
        for (_, trace_id) in complete {
            self.print_trace(trace_id)?;
        }
        if self.pending_spans > MAX_PENDING {
            self.print_all()?;
        }
        Ok(())
    }

    fn force_flush(&mut self) -> Result<(), ExportError> {
        self.print_all()
    }

    fn shutdown(&mut self, _timeout: Duration) -> Result<(), ExportError> {
        self.print_all()
    }
}

impl fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleExporter")
            .field("pending_spans", &self.pending_spans)
            .finish()
    }
}

/// The text of one trace: a header line, then one line per span, children
/// under their parent in start order.
pub(crate) fn render_trace(trace_id: TraceId, spans: &[SpanData]) -> String {
    let start = spans
        .iter()
        .map(SpanData::start_unix_nanos)
        .min()
        .unwrap_or(0);
    let end = spans
        .iter()
        .map(SpanData::end_unix_nanos)
        .max()
        .unwrap_or(start);
    let total = end.saturating_sub(start).max(1);

    let ids: HashMap<SpanId, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_context().span_id(), i))
        .collect();
    let mut children: HashMap<Option<SpanId>, Vec<usize>> = HashMap::new();
    for (i, span) in spans.iter().enumerate() {
        let parent = Some(span.parent_span_id()).filter(|p| ids.contains_key(p));
        children.entry(parent).or_default().push(i);
    }
    for list in children.values_mut() {
        list.sort_by_key(|&i| (spans[i].start_unix_nanos(), spans[i].name().to_owned()));
    }

    // Depth-first order, with each span's depth.
    let mut order = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|&i| (i, 0)).collect())
        .unwrap_or_default();
    while let Some((i, depth)) = stack.pop() {
        order.push((i, depth));
        if let Some(kids) = children.get(&Some(spans[i].span_context().span_id())) {
            stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        }
    }

    let service = |s: &SpanData| {
        s.resource()
            .and_then(|r| r.service_name())
            .unwrap_or("unknown_service")
            .to_owned()
    };
    let label = |i: usize, depth: usize| {
        let marker = if depth == 0 { "" } else { "└ " };
        format!(
            "{}{marker}{}",
            "  ".repeat(depth.saturating_sub(1)),
            spans[i].name()
        )
    };
    let service_width = order
        .iter()
        .map(|&(i, _)| service(&spans[i]).chars().count())
        .max()
        .unwrap_or(0);
    let label_width = order
        .iter()
        .map(|&(i, d)| label(i, d).chars().count())
        .max()
        .unwrap_or(0);

    let mut text = String::new();
    let _ = writeln!(
        text,
        "trace {trace_id} ({} span{}, {})",
        spans.len(),
        if spans.len() == 1 { "" } else { "s" },
        format_duration(end.saturating_sub(start))
    );
    for (i, depth) in order {
        let span = &spans[i];
        let offset = scale(span.start_unix_nanos().saturating_sub(start), total);
        let duration = span
            .end_unix_nanos()
            .saturating_sub(span.start_unix_nanos());
        let width = scale(duration, total)
            .max(1)
            .min(BAR_WIDTH - offset.min(BAR_WIDTH - 1));
        let offset = offset.min(BAR_WIDTH - width);
        let bar: String =
            " ".repeat(offset) + &"█".repeat(width) + &" ".repeat(BAR_WIDTH - offset - width);
        let error = if span.status().is_error() {
            " ERROR"
        } else {
            ""
        };
        let _ = writeln!(
            text,
            "  {:<sw$}  {:<lw$}  {:>10} |{bar}|{error}",
            service(span),
            label(i, depth),
            format_duration(duration),
            sw = service_width,
            lw = label_width,
        );
    }
    text
}

fn scale(nanos: u64, total: u64) -> usize {
    let cells = u128::from(nanos) * BAR_WIDTH as u128 / u128::from(total);
    usize::try_from(cells).unwrap_or(BAR_WIDTH).min(BAR_WIDTH)
}

fn format_duration(nanos: u64) -> String {
    match nanos {
        n if n >= 1_000_000_000 => format!("{:.2} s", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.2} ms", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.2} µs", n as f64 / 1e3),
        n => format!("{n} ns"),
    }
}
