//! One console waterfall fed by several providers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use spanlite::{ConsoleExporter, ExportError, SpanData, SpanExporter, TraceId};

/// How long the final print may take.
const PRINT_TIMEOUT: Duration = Duration::from_secs(5);

/// Holds the spans of every service until their trace can print as one
/// tree. A [`ConsoleExporter`] per provider would print each service's part
/// of a trace on its own, because a server span whose parent is remote
/// counts as a root there.
#[derive(Debug, Clone)]
pub(crate) struct SharedConsole {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    console: ConsoleExporter,
    held: HashMap<TraceId, Vec<SpanData>>,
    /// Print a trace as soon as its true root ends (for `--serve`), instead
    /// of holding everything until [`SharedConsole::finish`].
    live: bool,
}

impl SharedConsole {
    /// A console writing to standard output.
    pub(crate) fn new(live: bool) -> SharedConsole {
        SharedConsole {
            state: Arc::new(Mutex::new(State {
                console: ConsoleExporter::new(),
                held: HashMap::new(),
                live,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An exporter for one provider; every clone feeds the same console.
    pub(crate) fn exporter(&self) -> SharedConsoleExporter {
        SharedConsoleExporter(self.clone())
    }

    /// Prints every trace still held, oldest first. Call it once every
    /// provider has shut down.
    pub(crate) fn finish(&self) -> Result<(), ExportError> {
        let mut state = self.state();
        let mut traces: Vec<Vec<SpanData>> = state.held.drain().map(|(_, spans)| spans).collect();
        traces.sort_by_key(|spans| spans.iter().map(SpanData::start_unix_nanos).min());
        let deadline = Instant::now() + PRINT_TIMEOUT;
        for spans in traces {
            state.console.export(&spans, deadline)?;
        }
        state.console.force_flush()
    }
}

/// The [`SpanExporter`] a provider gets from [`SharedConsole::exporter`].
#[derive(Debug)]
pub(crate) struct SharedConsoleExporter(SharedConsole);

impl SpanExporter for SharedConsoleExporter {
    fn export(&mut self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        let mut state = self.0.state();
        for span in batch {
            let trace_id = span.span_context().trace_id();
            state.held.entry(trace_id).or_default().push(span.clone());
            if state.live && !span.parent_span_id().is_valid() {
                if let Some(spans) = state.held.remove(&trace_id) {
                    state.console.export(&spans, deadline)?;
                }
            }
        }
        Ok(())
    }
}
