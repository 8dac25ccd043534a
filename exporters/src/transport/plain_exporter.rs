//! The body of an exporter that posts encoded batches over the shared HTTP
//! transport with a fixed content type (the Jaeger collector and Zipkin
//! exporters): bodies kept under a size limit by halving the batch, counts,
//! rate-limited warnings, the export deadline and shutdown.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use spanlite::{ExportError, ExporterCounter, ExporterCounters, SpanData};

use super::{export_deadline, HttpSender, PlainWire, SenderSettings, Warnings};

/// Bodies stay under this size (Jaeger's HTTP receivers refuse bodies of
/// 20 MiB by default); bigger batches are split.
const MAX_BODY_BYTES: usize = 16 << 20;

/// One body to post: its bytes in the encoder's output, and how many spans
/// it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Body {
    pub(crate) range: Range<usize>,
    pub(crate) spans: usize,
}

/// Turns a batch into the bodies to post.
pub(crate) trait BodyEncoder: Send {
    /// Encodes `spans` into `out` (empty on entry) as one or more bodies.
    fn encode(&mut self, spans: &[SpanData], out: &mut Vec<u8>) -> Vec<Body>;
}

/// What the Jaeger collector and Zipkin exporters share; each wraps one.
pub(crate) struct PlainHttpExporter<E> {
    /// The receiver's name, for warnings ("Zipkin: 3 spans dropped: ...").
    name: &'static str,
    sender: HttpSender,
    encoder: E,
    body: Vec<u8>,
    timeout: Duration,
    counters: Arc<ExporterCounters>,
    shut_down: bool,
    warnings: Warnings,
}

impl<E> fmt::Debug for PlainHttpExporter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.name)
            .field("sender", &self.sender)
            .field("shut_down", &self.shut_down)
            .finish()
    }
}

impl<E: BodyEncoder> PlainHttpExporter<E> {
    /// An exporter posting `content_type` bodies with `settings`; fails on
    /// an endpoint or TLS files the sender cannot use.
    pub(crate) fn new(
        name: &'static str,
        settings: SenderSettings,
        content_type: &'static str,
        encoder: E,
        timeout: Duration,
    ) -> Result<PlainHttpExporter<E>, String> {
        let counters = Arc::new(ExporterCounters::default());
        let sender = HttpSender::new(
            settings,
            Box::new(PlainWire(content_type)),
            counters.clone(),
        )?;
        Ok(PlainHttpExporter {
            name,
            sender,
            encoder,
            body: Vec::new(),
            timeout,
            counters,
            shut_down: false,
            warnings: Warnings::default(),
        })
    }

    /// The exporter's counters.
    pub(crate) fn stats(&self) -> Arc<ExporterCounters> {
        self.counters.clone()
    }

    /// See [`SpanExporter::export`](spanlite::SpanExporter::export).
    pub(crate) fn export(
        &mut self,
        batch: &[SpanData],
        deadline: Instant,
    ) -> Result<(), ExportError> {
        if self.shut_down {
            return Err(ExportError::shut_down());
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.send(batch, export_deadline(self.timeout, deadline))
    }

    /// See [`SpanExporter::shutdown`](spanlite::SpanExporter::shutdown).
    pub(crate) fn shutdown(&mut self) -> Result<(), ExportError> {
        self.shut_down = true;
        self.sender.shutdown();
        Ok(())
    }

    /// Posts `spans`, halving the batch while a body would be too large.
    fn send(&mut self, spans: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        self.body.clear();
        let bodies = self.encoder.encode(spans, &mut self.body);
        if bodies.iter().any(|b| b.range.len() > MAX_BODY_BYTES) {
            if spans.len() == 1 {
                self.counters.add(ExporterCounter::FailedTooLarge, 1);
                return Err(ExportError::failed(format!(
                    "one span encodes to more than {MAX_BODY_BYTES} bytes"
                )));
            }
            let (a, b) = spans.split_at(spans.len() / 2);
            let first = self.send(a, deadline);
            let second = self.send(b, deadline);
            return first.and(second);
        }
        let mut result = Ok(());
        for body in bodies {
            let bytes = Bytes::copy_from_slice(&self.body[body.range]);
            match self.sender.post(bytes, deadline) {
                Ok(_) => self
                    .counters
                    .add(ExporterCounter::SpansSent, body.spans as u64),
                Err(e) => {
                    self.warnings.warn(
                        "export_failed",
                        format_args!("{}: {} spans dropped: {e}", self.name, body.spans),
                    );
                    result = Err(e);
                }
            }
        }
        result
    }
}

/// The public face of an exporter built on [`PlainHttpExporter`]: for a
/// newtype `$name(PlainHttpExporter<_>)`, its `Debug`, its `stats()` and
/// its [`SpanExporter`](spanlite::SpanExporter) implementation.
macro_rules! plain_http_exporter_face {
    ($name:ident) => {
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl $name {
            /// The exporter's counters (also in the provider's
            /// [`stats`](spanlite::TracerProvider::stats)).
            pub fn stats(&self) -> std::sync::Arc<spanlite::ExporterCounters> {
                self.0.stats()
            }
        }

        impl spanlite::SpanExporter for $name {
            fn export(
                &mut self,
                batch: &[spanlite::SpanData],
                deadline: std::time::Instant,
            ) -> Result<(), spanlite::ExportError> {
                self.0.export(batch, deadline)
            }

            fn shutdown(
                &mut self,
                _timeout: std::time::Duration,
            ) -> Result<(), spanlite::ExportError> {
                self.0.shutdown()
            }

            fn counters(&self) -> Option<std::sync::Arc<spanlite::ExporterCounters>> {
                Some(self.0.stats())
            }
        }
    };
}
pub(crate) use plain_http_exporter_face;
