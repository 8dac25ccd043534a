//! Keeps finished spans in memory, for tests.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::{ExportError, SpanData, SpanExporter};

/// Collects exported spans in memory. Clones share the same storage: keep a
/// clone to read what the pipeline exported.
///
/// ```
/// use spanlite::{InMemoryExporter, TracerProvider};
/// let exporter = InMemoryExporter::new();
/// let provider = TracerProvider::builder().with_simple_exporter(exporter.clone()).build();
/// provider.tracer("test").start("op").end();
/// assert_eq!(exporter.finished_spans().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct InMemoryExporter {
    spans: Arc<Mutex<Vec<SpanData>>>,
}

impl InMemoryExporter {
    /// An empty exporter.
    pub fn new() -> InMemoryExporter {
        InMemoryExporter::default()
    }

    fn spans(&self) -> MutexGuard<'_, Vec<SpanData>> {
        self.spans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every span exported so far, in export order.
    pub fn finished_spans(&self) -> Vec<SpanData> {
        self.spans().clone()
    }

    /// Forgets the spans exported so far.
    pub fn reset(&self) {
        self.spans().clear();
    }
}

impl SpanExporter for InMemoryExporter {
    fn export(&mut self, batch: &[SpanData], _deadline: Instant) -> Result<(), ExportError> {
        self.spans().extend_from_slice(batch);
        Ok(())
    }
}
