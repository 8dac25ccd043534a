//! Exporters: where finished spans go.

mod console;
mod counters;
mod in_memory;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{ExportError, SpanData};

pub use console::ConsoleExporter;
pub use counters::{ExporterCounter, ExporterCounters, ExporterStats};
pub use in_memory::InMemoryExporter;

/// Sends batches of finished, sampled spans somewhere. A processor calls
/// it from one thread at a time, never concurrently. Object-safe:
/// `Box<dyn SpanExporter>` works.
pub trait SpanExporter: Send + fmt::Debug {
    /// Delivers `batch`, returning by `deadline`. Retrying is the exporter's
    /// business; the processor never retries.
    fn export(&mut self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError>;

    /// Delivers anything the exporter itself buffers.
    fn force_flush(&mut self) -> Result<(), ExportError> {
        Ok(())
    }

    /// Releases resources; later exports fail. Returns within `timeout`.
    fn shutdown(&mut self, timeout: Duration) -> Result<(), ExportError> {
        let _ = timeout;
        Ok(())
    }

    /// The exporter's request and failure counters, if it keeps any. A
    /// processor asks once, when it is built, and includes them in its
    /// [`PipelineStats`](crate::PipelineStats).
    fn counters(&self) -> Option<Arc<ExporterCounters>> {
        None
    }
}

impl<E: SpanExporter + ?Sized> SpanExporter for Box<E> {
    fn export(&mut self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        (**self).export(batch, deadline)
    }

    fn force_flush(&mut self) -> Result<(), ExportError> {
        (**self).force_flush()
    }

    fn shutdown(&mut self, timeout: Duration) -> Result<(), ExportError> {
        (**self).shutdown(timeout)
    }

    fn counters(&self) -> Option<Arc<ExporterCounters>> {
        (**self).counters()
    }
}
