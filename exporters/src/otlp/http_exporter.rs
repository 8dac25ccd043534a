//! OTLP over HTTP (protobuf or JSON) and over gRPC: encode, compress, hand
//! to the shared HTTP transport, read partial success.

use std::fmt;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::request::Builder;
use http::{HeaderMap, StatusCode};
use spanlite::{ExportError, ExporterCounter, ExporterCounters, SpanData, SpanExporter};

use super::config::{Compression, OtlpConfig, Protocol};
use super::grpc;
use super::response;
use super::OtlpEncoder;
use crate::transport::{
    export_deadline, plain_http_verdict, HttpSender, SenderSettings, Verdict, Warnings, Wire,
};

/// Requests are never larger than this (the spec's limit); bigger batches
/// are split.
const MAX_REQUEST_BYTES: usize = 64 << 20;

const USER_AGENT_VALUE: &str = concat!(
    "OTel-OTLP-Exporter-Rust/",
    env!("CARGO_PKG_VERSION"),
    " spanlite"
);

/// Why an [`OtlpHttpExporter`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpConfigError(pub(crate) String);

impl fmt::Display for OtlpConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OtlpConfigError {}

/// OTLP's rules over the shared transport: content types, gRPC's headers
/// and status codes.
#[derive(Debug, Clone, Copy)]
struct OtlpWire {
    protocol: Protocol,
    gzip: bool,
}

impl Wire for OtlpWire {
    fn content_type(&self) -> &'static str {
        self.protocol.content_type()
    }

    fn http2_only(&self) -> bool {
        self.protocol == Protocol::Grpc
    }

    fn headers(&self, mut request: Builder, left: Duration) -> Builder {
        if self.protocol == Protocol::Grpc {
            request = request
                .header("te", "trailers")
                .header("grpc-timeout", format!("{}m", left.as_millis().max(1)));
            if self.gzip {
                request = request.header("grpc-encoding", "gzip");
            }
        }
        request
    }

    fn judge(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &Bytes,
        trailers: Option<&HeaderMap>,
    ) -> Verdict {
        if self.protocol != Protocol::Grpc || !status.is_success() {
            return plain_http_verdict(status, headers, body);
        }
        let Some(grpc_status) = grpc::status(headers, trailers) else {
            return Verdict::Rejected {
                why: "gRPC answer without grpc-status".into(),
            };
        };
        if grpc_status.code == 0 {
            Verdict::Accepted
        } else if grpc::is_retryable(&grpc_status) {
            Verdict::Retry {
                after: grpc_status.retry_delay,
                why: format!("gRPC status {}", grpc_status.code),
            }
        } else {
            Verdict::Rejected {
                why: format!(
                    "gRPC status {} (not retryable): {}",
                    grpc_status.code, grpc_status.message
                ),
            }
        }
    }
}

/// Sends batches to an OTLP collector over HTTP (protobuf or JSON) or gRPC
/// (HTTP/2, `TraceService/Export`), on a private single-threaded runtime
/// inside the calling (export) thread, so the application needs no async
/// runtime. Retries what the spec says (HTTP 429, 502, 503, 504; gRPC
/// CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE,
/// DATA_LOSS, and RESOURCE_EXHAUSTED with RetryInfo; connection failures)
/// with exponential backoff and jitter, honours `Retry-After` and
/// RetryInfo, never past the export deadline; logs partial success without
/// retrying.
///
/// ```no_run
/// use spanlite::{BatchSpanProcessor, TracerProvider};
/// use spanlite_exporters::otlp::{OtlpConfig, OtlpHttpExporter};
///
/// let exporter = OtlpHttpExporter::new(OtlpConfig::from_env()).expect("a valid endpoint");
/// let provider = TracerProvider::builder()
///     .with_span_processor(BatchSpanProcessor::from_env(exporter))
///     .build();
/// # drop(provider);
/// ```
pub struct OtlpHttpExporter {
    config: OtlpConfig,
    sender: HttpSender,
    encoder: OtlpEncoder,
    body: Vec<u8>,
    counters: Arc<ExporterCounters>,
    shut_down: bool,
    warnings: Warnings,
}

impl fmt::Debug for OtlpHttpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpHttpExporter")
            .field("config", &self.config)
            .field("shut_down", &self.shut_down)
            .finish()
    }
}

impl OtlpHttpExporter {
    /// An exporter for `config`. Fails on an endpoint that is not an
    /// `http://` or `https://` URL, and on TLS files that cannot be read
    /// or used.
    pub fn new(config: OtlpConfig) -> Result<OtlpHttpExporter, OtlpConfigError> {
        let url = match config.protocol {
            Protocol::Grpc => format!(
                "{}{}",
                config.endpoint_with_scheme().trim_end_matches('/'),
                grpc::EXPORT_PATH
            ),
            _ => config.endpoint.clone(),
        };
        let gzip = config.compression == Compression::Gzip;
        let settings = SenderSettings {
            url,
            headers: config.headers.clone(),
            // gRPC says it in grpc-encoding instead.
            content_encoding: (gzip && config.protocol != Protocol::Grpc).then_some("gzip"),
            user_agent: USER_AGENT_VALUE,
            tls: config.tls.clone(),
            retry_initial: config.retry_initial,
            retry_max: config.retry_max,
        };
        let counters = Arc::new(ExporterCounters::default());
        let wire = OtlpWire {
            protocol: config.protocol,
            gzip,
        };
        let sender =
            HttpSender::new(settings, Box::new(wire), counters.clone()).map_err(OtlpConfigError)?;
        Ok(OtlpHttpExporter {
            config,
            sender,
            encoder: OtlpEncoder::new(),
            body: Vec::new(),
            counters,
            shut_down: false,
            warnings: Warnings::default(),
        })
    }

    /// The exporter's counters (also part of the provider's
    /// [`stats`](spanlite::TracerProvider::stats) when the exporter runs in
    /// a batch or simple processor).
    pub fn stats(&self) -> Arc<ExporterCounters> {
        self.counters.clone()
    }

    fn encode(&mut self, spans: &[SpanData]) -> Result<Bytes, ExportError> {
        self.body.clear();
        match self.config.protocol {
            Protocol::HttpJson => self.encoder.encode_json(spans, &mut self.body),
            _ => self.encoder.encode_protobuf(spans, &mut self.body),
        }
        let gzip = self.config.compression == Compression::Gzip;
        let payload = if gzip {
            let mut gz = flate2::write::GzEncoder::new(
                Vec::with_capacity(self.body.len() / 4),
                flate2::Compression::default(),
            );
            gz.write_all(&self.body)
                .and_then(|()| gz.finish())
                .map(Bytes::from)
                .map_err(|e| ExportError::failed(format!("gzip: {e}")))?
        } else {
            Bytes::copy_from_slice(&self.body)
        };
        Ok(match self.config.protocol {
            Protocol::Grpc => grpc::frame(&payload, gzip),
            _ => payload,
        })
    }

    /// Sends `spans`, splitting the batch while a request would exceed the
    /// size limit.
    fn send_batch(&mut self, spans: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        let body = self.encode(spans)?;
        if body.len() > MAX_REQUEST_BYTES {
            if spans.len() == 1 {
                self.counters.add(ExporterCounter::FailedTooLarge, 1);
                return Err(ExportError::failed(format!(
                    "one span encodes to {} bytes, over the 64 MiB request limit",
                    body.len()
                )));
            }
            let (a, b) = spans.split_at(spans.len() / 2);
            let first = self.send_batch(a, deadline);
            let second = self.send_batch(b, deadline);
            return first.and(second);
        }
        let result = self.sender.post(body, deadline).map(|answer| {
            let partial = match self.config.protocol {
                Protocol::Grpc => grpc::partial_success(&answer),
                Protocol::HttpJson => response::from_json(&answer),
                _ => response::from_protobuf(&answer),
            };
            partial.unwrap_or_default()
        });
        match &result {
            Ok(partial) => {
                self.counters
                    .add(ExporterCounter::SpansSent, spans.len() as u64);
                if !partial.is_empty() {
                    self.counters.add(
                        ExporterCounter::SpansRejected,
                        partial.rejected_spans.max(0) as u64,
                    );
                    let (n, why) = (partial.rejected_spans, partial.error_message.clone());
                    self.warnings.warn(
                        "export_partial_success",
                        format_args!("the collector rejected {n} spans: {why}"),
                    );
                }
            }
            Err(e) => {
                let e = e.to_string();
                self.warnings.warn(
                    "export_failed",
                    format_args!("{} spans dropped: {e}", spans.len()),
                );
            }
        }
        result.map(|_| ())
    }
}

impl SpanExporter for OtlpHttpExporter {
    fn export(&mut self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        if self.shut_down {
            return Err(ExportError::shut_down());
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.send_batch(batch, export_deadline(self.config.timeout, deadline))
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
