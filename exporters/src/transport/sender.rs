//! POST a body, retry as the protocol says, never past the deadline: the
//! part every HTTP exporter shares, on a private single-threaded runtime
//! inside the calling (export) thread.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use spanlite::{report_diagnostic, ExportError, ExporterCounter, ExporterCounters};

use super::retry::Backoff;
use super::wire::{Verdict, Wire};
use super::TlsConfig;

/// Responses are read up to this size.
const MAX_RESPONSE_BYTES: usize = 4 << 20;

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Where and how an [`HttpSender`] sends.
#[derive(Debug, Clone)]
pub(crate) struct SenderSettings {
    /// The full URL requests go to (`http://` or `https://`).
    pub(crate) url: String,
    /// Extra request headers, for example credentials.
    pub(crate) headers: Vec<(String, String)>,
    /// The `Content-Encoding` of bodies, if compressed.
    pub(crate) content_encoding: Option<&'static str>,
    /// The `User-Agent` header.
    pub(crate) user_agent: &'static str,
    /// Trust and identity for `https://`.
    pub(crate) tls: TlsConfig,
    /// The first retry delay (before jitter).
    pub(crate) retry_initial: Duration,
    /// The largest retry delay.
    pub(crate) retry_max: Duration,
}

/// Sends request bodies with retries, counting what happens.
pub(crate) struct HttpSender {
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    settings: SenderSettings,
    tls: Arc<rustls::ClientConfig>,
    wire: Box<dyn Wire>,
    runtime: Option<tokio::runtime::Runtime>,
    client: Option<HttpClient>,
    counters: Arc<ExporterCounters>,
}

impl fmt::Debug for HttpSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSender")
            .field("uri", &self.uri)
            .field("content_type", &self.wire.content_type())
            .finish_non_exhaustive()
    }
}

impl HttpSender {
    /// A sender for `settings`. Fails on a URL that is not `http://` or
    /// `https://`, and on TLS files that cannot be read or used.
    pub(crate) fn new(
        settings: SenderSettings,
        wire: Box<dyn Wire>,
        counters: Arc<ExporterCounters>,
    ) -> Result<HttpSender, String> {
        let uri: Uri = settings
            .url
            .parse()
            .map_err(|e| format!("endpoint {:?}: {e}", settings.url))?;
        let tls = match uri.scheme_str() {
            Some("https") => settings.tls.client_config()?,
            // Never used for http://, but the connector's type wants one;
            // it trusts nothing and reads no files.
            Some("http") => rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
            _ => {
                return Err(format!(
                    "endpoint {:?} is not an http:// or https:// URL",
                    settings.url
                ))
            }
        };
        let mut headers = Vec::new();
        for (name, value) in &settings.headers {
            match (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                (Ok(n), Ok(v)) => headers.push((n, v)),
                _ => report_diagnostic(
                    "invalid_header",
                    format_args!("header {name:?} is not a valid HTTP header; skipped"),
                ),
            }
        }
        Ok(HttpSender {
            uri,
            headers,
            settings,
            tls: Arc::new(tls),
            wire,
            runtime: None,
            client: None,
            counters,
        })
    }

    /// Posts `body`, retrying until it is delivered, rejected, or the next
    /// try would pass `deadline`. Returns the answer's body when delivered.
    pub(crate) fn post(&mut self, body: Bytes, deadline: Instant) -> Result<Bytes, ExportError> {
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
        let client = match &self.client {
            Some(client) => client.clone(),
            None => {
                let client = self.build_client();
                self.client = Some(client.clone());
                client
            }
        };
        let attempt = Attempt {
            client,
            sender: self,
            body,
            deadline,
            backoff: Backoff::new(self.settings.retry_initial, self.settings.retry_max),
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

    /// Closes idle connections and stops the runtime.
    pub(crate) fn shutdown(&mut self) {
        self.client = None;
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    fn build_client(&self) -> HttpClient {
        let mut http = HttpConnector::new();
        // The TLS layer wraps it: https URLs must reach it.
        http.enforce_http(false);
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*self.tls).clone())
            .https_or_http();
        let http2_only = self.wire.http2_only();
        let connector = if http2_only {
            builder.enable_http2().wrap_connector(http)
        } else {
            builder.enable_http1().wrap_connector(http)
        };
        Client::builder(TokioExecutor::new())
            .http2_only(http2_only)
            .build(connector)
    }

    fn count(&self, counter: ExporterCounter) {
        self.counters.add(counter, 1);
    }
}

/// Whether waiting `delay` from now would reach `deadline` (a delay too
/// large to add, say a hostile `Retry-After`, does).
fn passes(deadline: Instant, delay: Duration) -> bool {
    Instant::now()
        .checked_add(delay)
        .is_none_or(|at| at >= deadline)
}

/// One body and its retries.
struct Attempt<'a> {
    client: HttpClient,
    sender: &'a HttpSender,
    body: Bytes,
    deadline: Instant,
    backoff: Backoff,
}

impl Attempt<'_> {
    fn request(&self) -> Result<Request<Full<Bytes>>, ExportError> {
        let s = self.sender;
        let mut builder = Request::post(s.uri.clone())
            .header(CONTENT_TYPE, s.wire.content_type())
            .header(USER_AGENT, s.settings.user_agent);
        if let Some(encoding) = s.settings.content_encoding {
            builder = builder.header(CONTENT_ENCODING, encoding);
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        builder = s.wire.headers(builder, left);
        for (name, value) in &s.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(self.body.clone()))
            .map_err(|e| ExportError::failed(format!("request: {e}")))
    }

    async fn run(mut self) -> Result<Bytes, ExportError> {
        let s = self.sender;
        let mut first = true;
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                s.count(ExporterCounter::FailedTimeout);
                return Err(ExportError::timeout());
            }
            s.count(ExporterCounter::Request);
            if !std::mem::take(&mut first) {
                s.count(ExporterCounter::Retry);
            }
            let sent = tokio::time::timeout(left, self.client.request(self.request()?)).await;
            let (delay, why) = match sent {
                Err(_) => {
                    s.count(ExporterCounter::FailedTimeout);
                    return Err(ExportError::timeout());
                }
                Ok(Err(e)) => {
                    let delay = self.backoff.next_delay();
                    if passes(self.deadline, delay) {
                        s.count(ExporterCounter::FailedConnection);
                        return Err(ExportError::failed(format!(
                            "unreachable: {}",
                            error_chain(&e)
                        )));
                    }
                    (delay, None)
                }
                Ok(Ok(response)) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let (body, trailers) = self.read(response.into_body()).await;
                    match s.wire.judge(status, &headers, &body, trailers.as_ref()) {
                        Verdict::Accepted => return Ok(body),
                        Verdict::Rejected { why } => {
                            s.count(ExporterCounter::FailedStatus);
                            return Err(ExportError::failed(why));
                        }
                        Verdict::Retry { after, why } => (
                            after.unwrap_or_else(|| self.backoff.next_delay()),
                            Some(why),
                        ),
                    }
                }
            };
            if let Some(why) = why {
                if passes(self.deadline, delay) {
                    s.count(ExporterCounter::FailedStatus);
                    return Err(ExportError::failed(format!(
                        "{why}; the next try ({delay:?}) would pass the export deadline"
                    )));
                }
            }
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

/// An error and its sources, so a TLS failure ("invalid peer
/// certificate: UnknownIssuer") is not hidden behind "client error
/// (Connect)".
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
