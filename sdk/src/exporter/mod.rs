//! Exporters: where finished spans go.

mod console;
mod in_memory;

use std::fmt;
use std::time::{Duration, Instant};

use crate::{ExportError, SpanData};

pub use console::ConsoleExporter;
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
}
