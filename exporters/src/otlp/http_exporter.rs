//! OTLP over HTTP (protobuf or JSON) and over gRPC: encode, compress,
//! POST, retry as the spec says.

use std::fmt;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{
    HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT,
};
use http::{HeaderMap, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use spanlite::{report_diagnostic, ExportError, SpanData, SpanExporter};

use super::config::{Compression, OtlpConfig, Protocol};
use super::grpc;
use super::response::{self, PartialSuccess};
use super::retry::{is_retryable_status, parse_retry_after, Backoff};
use super::OtlpEncoder;

/// Requests are never larger than this (the spec's limit); bigger batches
/// are split.
const MAX_REQUEST_BYTES: usize = 64 << 20;
/// Responses are read up to this size.
const MAX_RESPONSE_BYTES: usize = 4 << 20;

const USER_AGENT_VALUE: &str = concat!(
    "OTel-OTLP-Exporter-Rust/",
    env!("CARGO_PKG_VERSION"),
    " spanlite"
);

/// Why an [`OtlpHttpExporter`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpConfigError(String);

impl fmt::Display for OtlpConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OtlpConfigError {}

/// What the exporter did, by outcome. Shared: read it while the exporter
/// runs in the export thread.
#[derive(Debug, Default)]
pub struct OtlpStats {
    requests: AtomicU64,
    retries: AtomicU64,
    spans_sent: AtomicU64,
    spans_rejected: AtomicU64,
    failed_status: AtomicU64,
    failed_connection: AtomicU64,
    failed_timeout: AtomicU64,
    failed_too_large: AtomicU64,
}

macro_rules! getters {
    ($($name:ident: $doc:literal,)*) => {$(
        #[doc = $doc]
        pub fn $name(&self) -> u64 {
            self.$name.load(Ordering::Relaxed)
        }
    )*};
}

impl OtlpStats {
    getters! {
        requests: "HTTP requests sent, retries included.",
        retries: "Requests that were retries.",
        spans_sent: "Spans in requests the collector accepted.",
        spans_rejected: "Spans the collector reported as rejected in a partial success.",
        failed_status: "Batches dropped on a non-retryable HTTP status.",
        failed_connection: "Batches dropped because the collector could not be reached before the deadline.",
        failed_timeout: "Batches dropped because the deadline passed.",
        failed_too_large: "Spans dropped because one span alone exceeds the request size limit.",
    }

    fn bump(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
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
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    encoder: OtlpEncoder,
    body: Vec<u8>,
    runtime: Option<tokio::runtime::Runtime>,
    client: Option<Client<HttpConnector, Full<Bytes>>>,
    stats: Arc<OtlpStats>,
    shut_down: bool,
    last_warning: Option<Instant>,
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
    /// `http://` URL (TLS is not available yet).
    pub fn new(config: OtlpConfig) -> Result<OtlpHttpExporter, OtlpConfigError> {
        let target = match config.protocol {
            Protocol::Grpc => format!(
                "{}{}",
                config.endpoint.trim_end_matches('/'),
                grpc::EXPORT_PATH
            ),
            _ => config.endpoint.clone(),
        };
        let uri: Uri = target
            .parse()
            .map_err(|e| OtlpConfigError(format!("endpoint {:?}: {e}", config.endpoint)))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(OtlpConfigError(format!(
                    "endpoint {:?}: https is not available yet in spanlite; use http",
                    config.endpoint
                )))
            }
            _ => {
                return Err(OtlpConfigError(format!(
                    "endpoint {:?} is not an http URL",
                    config.endpoint
                )))
            }
        }
        let mut headers = Vec::new();
        for (name, value) in &config.headers {
            match (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                (Ok(n), Ok(v)) => headers.push((n, v)),
                _ => report_diagnostic(
                    "invalid_header",
                    format_args!("OTLP header {name:?} is not a valid HTTP header; skipped"),
                ),
            }
        }
        Ok(OtlpHttpExporter {
            config,
            uri,
            headers,
            encoder: OtlpEncoder::new(),
            body: Vec::new(),
            runtime: None,
            client: None,
            stats: Arc::default(),
            shut_down: false,
            last_warning: None,
        })
    }

    /// The exporter's counters.
    pub fn stats(&self) -> Arc<OtlpStats> {
        self.stats.clone()
    }

    fn warn(&mut self, name: &'static str, message: fmt::Arguments<'_>) {
        let now = Instant::now();
        if self
            .last_warning
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(10))
        {
            self.last_warning = Some(now);
            report_diagnostic(
                name,
                format_args!("{message} (reported at most every 10 s)"),
            );
        }
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
                OtlpStats::bump(&self.stats.failed_too_large, 1);
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
        let result = self.post(body, deadline);
        match &result {
            Ok(partial) => {
                OtlpStats::bump(&self.stats.spans_sent, spans.len() as u64);
                if !partial.is_empty() {
                    OtlpStats::bump(
                        &self.stats.spans_rejected,
                        partial.rejected_spans.max(0) as u64,
                    );
                    let (n, why) = (partial.rejected_spans, partial.error_message.clone());
                    self.warn(
                        "export_partial_success",
                        format_args!("the collector rejected {n} spans: {why}"),
                    );
                }
            }
            Err(e) => {
                let e = e.to_string();
                self.warn(
                    "export_failed",
                    format_args!("{} spans dropped: {e}", spans.len()),
                );
            }
        }
        result.map(|_| ())
    }

    fn post(&mut self, body: Bytes, deadline: Instant) -> Result<PartialSuccess, ExportError> {
        if self.runtime.is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()
                .map_err(|e| {
                    ExportError::failed(format!("cannot start the export runtime: {e}"))
                })?;
            self.runtime = Some(runtime);
        }
        let http2 = self.config.protocol == Protocol::Grpc;
        let client = self
            .client
            .get_or_insert_with(|| {
                Client::builder(TokioExecutor::new())
                    .http2_only(http2)
                    .build_http()
            })
            .clone();
        let attempt = Attempt {
            client,
            uri: self.uri.clone(),
            headers: &self.headers,
            protocol: self.config.protocol,
            compression: self.config.compression,
            body,
            deadline,
            backoff: Backoff::new(self.config.retry_initial, self.config.retry_max),
            stats: &self.stats,
        };
        let Some(runtime) = self.runtime.as_ref() else {
            return Err(ExportError::failed("no export runtime"));
        };
        // Called from inside another runtime (a simple processor on a tokio
        // thread): block on a thread of our own instead of nesting runtimes.
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| runtime.block_on(attempt.run()))
                    .join()
                    .unwrap_or_else(|_| Err(ExportError::failed("the export thread panicked")))
            })
        } else {
            runtime.block_on(attempt.run())
        }
    }
}

/// Whether waiting `delay` from now would reach `deadline` (a delay too
/// large to add, say a hostile `Retry-After`, does).
fn passes(deadline: Instant, delay: Duration) -> bool {
    Instant::now()
        .checked_add(delay)
        .is_none_or(|at| at >= deadline)
}

/// One export: the request and its retries.
struct Attempt<'a> {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
    headers: &'a [(HeaderName, HeaderValue)],
    protocol: Protocol,
    compression: Compression,
    body: Bytes,
    deadline: Instant,
    backoff: Backoff,
    stats: &'a OtlpStats,
}

impl Attempt<'_> {
    fn request(&self) -> Result<Request<Full<Bytes>>, ExportError> {
        let mut builder = Request::post(self.uri.clone())
            .header(CONTENT_TYPE, self.protocol.content_type())
            .header(USER_AGENT, USER_AGENT_VALUE);
        let gzip = self.compression == Compression::Gzip;
        if self.protocol == Protocol::Grpc {
            let left = self.deadline.saturating_duration_since(Instant::now());
            builder = builder
                .header("te", "trailers")
                .header("grpc-timeout", format!("{}m", left.as_millis().max(1)));
            if gzip {
                builder = builder.header("grpc-encoding", "gzip");
            }
        } else if gzip {
            builder = builder.header(CONTENT_ENCODING, "gzip");
        }
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(self.body.clone()))
            .map_err(|e| ExportError::failed(format!("request: {e}")))
    }

    async fn run(mut self) -> Result<PartialSuccess, ExportError> {
        let mut first = true;
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                OtlpStats::bump(&self.stats.failed_timeout, 1);
                return Err(ExportError::timeout());
            }
            OtlpStats::bump(&self.stats.requests, 1);
            if !std::mem::take(&mut first) {
                OtlpStats::bump(&self.stats.retries, 1);
            }
            let delay = match tokio::time::timeout(left, self.client.request(self.request()?)).await
            {
                Err(_) => {
                    OtlpStats::bump(&self.stats.failed_timeout, 1);
                    return Err(ExportError::timeout());
                }
                Ok(Err(e)) => {
                    let delay = self.backoff.next_delay();
                    if passes(self.deadline, delay) {
                        OtlpStats::bump(&self.stats.failed_connection, 1);
                        return Err(ExportError::failed(format!("collector unreachable: {e}")));
                    }
                    delay
                }
                Ok(Ok(response)) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    let headers = response.headers().clone();
                    let (body, trailers) = self.read(response.into_body()).await;
                    if self.protocol == Protocol::Grpc && status.is_success() {
                        let Some(grpc_status) = grpc::status(&headers, trailers.as_ref()) else {
                            OtlpStats::bump(&self.stats.failed_status, 1);
                            return Err(ExportError::failed("gRPC answer without grpc-status"));
                        };
                        if grpc_status.code == 0 {
                            return Ok(grpc::partial_success(&body).unwrap_or_default());
                        }
                        if !grpc::is_retryable(&grpc_status) {
                            OtlpStats::bump(&self.stats.failed_status, 1);
                            return Err(ExportError::failed(format!(
                                "gRPC status {} (not retryable): {}",
                                grpc_status.code, grpc_status.message
                            )));
                        }
                        let delay = grpc_status
                            .retry_delay
                            .unwrap_or_else(|| self.backoff.next_delay());
                        if passes(self.deadline, delay) {
                            OtlpStats::bump(&self.stats.failed_status, 1);
                            return Err(ExportError::failed(format!(
                                "gRPC status {}; the next try ({delay:?}) would pass the export deadline",
                                grpc_status.code
                            )));
                        }
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    if status.is_success() {
                        let partial = match self.protocol {
                            Protocol::HttpJson => response::from_json(&body),
                            _ => response::from_protobuf(&body),
                        };
                        return Ok(partial.unwrap_or_default());
                    }
                    if !is_retryable_status(status.as_u16()) {
                        OtlpStats::bump(&self.stats.failed_status, 1);
                        let text =
                            String::from_utf8_lossy(&body[..body.len().min(256)]).into_owned();
                        return Err(ExportError::failed(format!(
                            "HTTP {status} (not retryable): {text}"
                        )));
                    }
                    let delay = retry_after.unwrap_or_else(|| self.backoff.next_delay());
                    if passes(self.deadline, delay) {
                        OtlpStats::bump(&self.stats.failed_status, 1);
                        return Err(ExportError::failed(format!(
                            "HTTP {status}; the next try ({delay:?}) would pass the export deadline"
                        )));
                    }
                    delay
                }
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// The response body and trailers, up to the size limit and the
    /// deadline; what cannot be read is treated as empty.
    async fn read(&self, body: hyper::body::Incoming) -> (Bytes, Option<HeaderMap>) {
        let left = self.deadline.saturating_duration_since(Instant::now());
        let collect = Limited::new(body, MAX_RESPONSE_BYTES).collect();
        match tokio::time::timeout(left, collect).await {
            Ok(Ok(collected)) => {
                let trailers = collected.trailers().cloned();
                (collected.to_bytes(), trailers)
            }
            _ => (Bytes::new(), None),
        }
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
        let own = Instant::now()
            .checked_add(self.config.timeout)
            .unwrap_or(deadline);
        self.send_batch(batch, deadline.min(own))
    }

    fn shutdown(&mut self, _timeout: Duration) -> Result<(), ExportError> {
        self.shut_down = true;
        // Dropping the client and runtime closes idle connections.
        self.client = None;
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        Ok(())
    }
}
