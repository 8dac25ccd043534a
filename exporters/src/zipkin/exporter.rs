//! The Zipkin exporter: a v2 JSON array posted to `/api/v2/spans` over
//! the shared HTTP transport (retries, TLS).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use spanlite::{ExportError, ExporterCounter, ExporterCounters, SpanData, SpanExporter};

use super::config::ZipkinConfig;
use super::encoder::ZipkinEncoder;
use super::CONTENT_TYPE;
use crate::transport::{export_deadline, HttpSender, PlainWire, SenderSettings, Warnings};

/// Bodies stay under this size; bigger batches are split.
const MAX_BODY_BYTES: usize = 16 << 20;

const USER_AGENT: &str = concat!("spanlite-zipkin-exporter/", env!("CARGO_PKG_VERSION"));

/// Why a [`ZipkinExporter`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipkinConfigError(String);

impl fmt::Display for ZipkinConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ZipkinConfigError {}

/// Sends batches to Zipkin (or any Zipkin v2 receiver, Jaeger's included)
/// as a JSON array, with the retry, timeout and TLS handling of the OTLP
/// HTTP exporter.
///
/// ```no_run
/// use spanlite::{BatchSpanProcessor, TracerProvider};
/// use spanlite_exporters::zipkin::{ZipkinConfig, ZipkinExporter};
///
/// let exporter = ZipkinExporter::new(ZipkinConfig::from_env()).expect("a valid endpoint");
/// let provider = TracerProvider::builder()
///     .with_span_processor(BatchSpanProcessor::from_env(exporter))
///     .build();
/// # drop(provider);
/// ```
pub struct ZipkinExporter {
    sender: HttpSender,
    encoder: ZipkinEncoder,
    body: Vec<u8>,
    timeout: Duration,
    counters: Arc<ExporterCounters>,
    shut_down: bool,
    warnings: Warnings,
}

impl fmt::Debug for ZipkinExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZipkinExporter")
            .field("sender", &self.sender)
            .field("shut_down", &self.shut_down)
            .finish()
    }
}

impl ZipkinExporter {
    /// An exporter for `config`. Fails on an endpoint that is not an
    /// `http://` or `https://` URL, and on TLS files that cannot be read or
    /// used.
    pub fn new(config: ZipkinConfig) -> Result<ZipkinExporter, ZipkinConfigError> {
        let (retry_initial, retry_max) = config.retry_delays();
        let settings = SenderSettings {
            url: config.endpoint().to_owned(),
            headers: Vec::new(),
            content_encoding: None,
            user_agent: USER_AGENT,
            tls: config.tls().clone(),
            retry_initial,
            retry_max,
        };
        let counters = Arc::new(ExporterCounters::default());
        let sender = HttpSender::new(
            settings,
            Box::new(PlainWire(CONTENT_TYPE)),
            counters.clone(),
        )
        .map_err(ZipkinConfigError)?;
        Ok(ZipkinExporter {
            sender,
            encoder: ZipkinEncoder::new(),
            body: Vec::new(),
            timeout: config.timeout(),
            counters,
            shut_down: false,
            warnings: Warnings::default(),
        })
    }

    /// The exporter's counters (also in the provider's
    /// [`stats`](spanlite::TracerProvider::stats)).
    pub fn stats(&self) -> Arc<ExporterCounters> {
        self.counters.clone()
    }

    fn send(&mut self, spans: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        self.body.clear();
        self.encoder.encode(spans, &mut self.body);
        if self.body.len() > MAX_BODY_BYTES {
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
        let body = Bytes::copy_from_slice(&self.body);
        match self.sender.post(body, deadline) {
            Ok(_) => {
                self.counters
                    .add(ExporterCounter::SpansSent, spans.len() as u64);
                Ok(())
            }
            Err(e) => {
                self.warnings.warn(
                    "export_failed",
                    format_args!("Zipkin: {} spans dropped: {e}", spans.len()),
                );
                Err(e)
            }
        }
    }
}

impl SpanExporter for ZipkinExporter {
    fn export(&mut self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        if self.shut_down {
            return Err(ExportError::shut_down());
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.send(batch, export_deadline(self.timeout, deadline))
    }

    fn shutdown(&mut self, _timeout: Duration) -> Result<(), ExportError> {
        self.shut_down = true;
        self.sender.shutdown();
        Ok(())
    }

    fn counters(&self) -> Option<Arc<ExporterCounters>> {
        Some(self.counters.clone())
    }
}
