//! Export each span as it ends, on the ending thread: for tests and
//! debugging, not for production load.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use crate::{
    diagnostics, ExporterCounters, PipelineError, PipelineStats, SpanData, SpanExporter,
    SpanProcessor,
};

use super::batch::far_deadline;

/// Calls the exporter synchronously in `on_end`, one span at a time, under a
/// lock so exports never overlap.
#[derive(Debug)]
pub struct SimpleSpanProcessor {
    exporter: Mutex<Box<dyn SpanExporter>>,
    timeout: Duration,
    shut_down: AtomicBool,
    ended: AtomicU64,
    exported: AtomicU64,
    failed: AtomicU64,
    after_shutdown: AtomicU64,
    exporter_counters: Option<Arc<ExporterCounters>>,
}

impl SimpleSpanProcessor {
    /// A processor exporting to `exporter`, each call with a 30 s deadline.
    pub fn new(exporter: impl SpanExporter + 'static) -> SimpleSpanProcessor {
        SimpleSpanProcessor {
            exporter_counters: exporter.counters(),
            exporter: Mutex::new(Box::new(exporter)),
            timeout: Duration::from_secs(30),
            shut_down: AtomicBool::new(false),
            ended: AtomicU64::new(0),
            exported: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            after_shutdown: AtomicU64::new(0),
        }
    }

    fn exporter(&self) -> MutexGuard<'_, Box<dyn SpanExporter>> {
        self.exporter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The exporter, unless another thread holds it past `timeout` (an
    /// export that hangs must not make flush or shutdown hang too).
    fn exporter_within(
        &self,
        timeout: Duration,
    ) -> Result<MutexGuard<'_, Box<dyn SpanExporter>>, PipelineError> {
        let deadline = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(far_deadline);
        loop {
            match self.exporter.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(TryLockError::Poisoned(e)) => return Ok(e.into_inner()),
                Err(TryLockError::WouldBlock) if Instant::now() >= deadline => {
                    return Err(PipelineError::timeout())
                }
                Err(TryLockError::WouldBlock) => {
                    std::thread::park_timeout(Duration::from_millis(1))
                }
            }
        }
    }
}

impl SpanProcessor for SimpleSpanProcessor {
    fn wants_on_start(&self) -> bool {
        false
    }

    fn on_end(&self, span: &SpanData) {
        if !span.span_context().is_sampled() {
            return;
        }
        self.ended.fetch_add(1, Ordering::Relaxed);
        if self.shut_down.load(Ordering::Acquire) {
            self.after_shutdown.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let deadline = Instant::now()
            .checked_add(self.timeout)
            .unwrap_or_else(far_deadline);
        match self.exporter().export(std::slice::from_ref(span), deadline) {
            Ok(()) => self.exported.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                diagnostics::warn("export_failed", format_args!("{e}"));
                self.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    fn force_flush(&self, timeout: Duration) -> Result<(), PipelineError> {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(PipelineError::already_shutdown());
        }
        self.exporter_within(timeout)?
            .force_flush()
            .map_err(Into::into)
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), PipelineError> {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(PipelineError::already_shutdown());
        }
        self.exporter_within(timeout)?
            .shutdown(timeout)
            .map_err(Into::into)
    }

    fn stats(&self) -> Option<PipelineStats> {
        Some(PipelineStats {
            ended: self.ended.load(Ordering::Relaxed),
            exported: self.exported.load(Ordering::Relaxed),
            dropped_export_failed: self.failed.load(Ordering::Relaxed),
            dropped_shutdown: self.after_shutdown.load(Ordering::Relaxed),
            exporter: self
                .exporter_counters
                .as_ref()
                .map(|c| c.snapshot())
                .unwrap_or_default(),
            ..PipelineStats::default()
        })
    }
}
