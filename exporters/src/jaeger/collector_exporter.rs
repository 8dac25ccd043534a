//! The Jaeger collector exporter: Thrift binary `Batch` bodies posted to
//! `/api/traces` over the shared HTTP transport (retries, TLS).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use spanlite::{ExportError, ExporterCounter, ExporterCounters, SpanData, SpanExporter};

use super::config::{JaegerConfig, JaegerConfigError};
use super::encoder::JaegerEncoder;
use super::THRIFT_CONTENT_TYPE;
use crate::transport::{export_deadline, HttpSender, PlainWire, SenderSettings, Warnings};

/// Bodies stay under this size (Jaeger's HTTP receivers refuse bodies of
/// 20 MiB by default); bigger batches are split.
const MAX_BODY_BYTES: usize = 16 << 20;

const USER_AGENT: &str = concat!("spanlite-jaeger-exporter/", env!("CARGO_PKG_VERSION"));

/// Sends batches to a Jaeger collector (`POST /api/traces`, Thrift binary,
/// `application/x-thrift`), one body per resource, with the retry, timeout,
/// header and TLS handling of the OTLP HTTP exporter: 429, 502, 503 and 504
/// and connection failures are retried with backoff (honouring
/// `Retry-After`) until the export deadline; other statuses drop the
/// batch. Basic authentication comes from the configuration
/// (`OTEL_EXPORTER_JAEGER_USER` / `_PASSWORD`).
///
/// ```no_run
/// use spanlite::{BatchSpanProcessor, TracerProvider};
/// use spanlite_exporters::jaeger::{JaegerCollectorExporter, JaegerConfig};
///
/// let config = JaegerConfig::new().with_endpoint("http://jaeger:14268/api/traces");
/// let exporter = JaegerCollectorExporter::new(config).expect("a valid endpoint");
/// let provider = TracerProvider::builder()
///     .with_span_processor(BatchSpanProcessor::from_env(exporter))
///     .build();
/// # drop(provider);
/// ```
pub struct JaegerCollectorExporter {
    sender: HttpSender,
    encoder: JaegerEncoder,
    body: Vec<u8>,
    timeout: Duration,
    counters: Arc<ExporterCounters>,
    shut_down: bool,
    warnings: Warnings,
}

impl fmt::Debug for JaegerCollectorExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JaegerCollectorExporter")
            .field("sender", &self.sender)
            .field("shut_down", &self.shut_down)
            .finish()
    }
}

impl JaegerCollectorExporter {
    /// An exporter for `config`'s collector endpoint. Fails when the
    /// configuration names a UDP protocol (use
    /// [`JaegerAgentExporter`](super::JaegerAgentExporter)), on an endpoint
    /// that is not an `http://` or `https://` URL, and on TLS files that
    /// cannot be read or used.
    pub fn new(config: JaegerConfig) -> Result<JaegerCollectorExporter, JaegerConfigError> {
        if config.protocol().is_udp() {
            return Err(JaegerConfigError(format!(
                "protocol {} is for the agent; the collector exporter speaks http/thrift.binary",
                config.protocol()
            )));
        }
        let (retry_initial, retry_max) = config.retry_delays();
        let settings = SenderSettings {
            url: config.endpoint().to_owned(),
            headers: config
                .authorization()
                .map(|auth| ("authorization".to_owned(), auth))
                .into_iter()
                .collect(),
            content_encoding: None,
            user_agent: USER_AGENT,
            tls: config.tls().clone(),
            retry_initial,
            retry_max,
        };
        let counters = Arc::new(ExporterCounters::default());
        let sender = HttpSender::new(
            settings,
            Box::new(PlainWire(THRIFT_CONTENT_TYPE)),
            counters.clone(),
        )
        .map_err(JaegerConfigError)?;
        Ok(JaegerCollectorExporter {
            sender,
            encoder: JaegerEncoder::new(),
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

    /// Posts `spans`, one body per resource, halving the batch while a
    /// body would be too large.
    fn send(&mut self, spans: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        self.body.clear();
        let batches = self.encoder.encode_batches_binary(spans, &mut self.body);
        if batches.iter().any(|b| b.range().len() > MAX_BODY_BYTES) {
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
        for batch in batches {
            let body = Bytes::copy_from_slice(&self.body[batch.range()]);
            match self.sender.post(body, deadline) {
                Ok(_) => self
                    .counters
                    .add(ExporterCounter::SpansSent, batch.span_count() as u64),
                Err(e) => {
                    let spans = batch.span_count();
                    self.warnings.warn(
                        "export_failed",
                        format_args!("Jaeger collector: {spans} spans dropped: {e}"),
                    );
                    result = Err(e);
                }
            }
        }
        result
    }
}

impl SpanExporter for JaegerCollectorExporter {
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
