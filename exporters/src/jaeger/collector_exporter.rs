//! The Jaeger collector exporter: Thrift binary `Batch` bodies posted to
//! `/api/traces` over the shared HTTP transport (retries, TLS).

use spanlite::SpanData;

use super::config::{JaegerConfig, JaegerConfigError};
use super::encoder::JaegerEncoder;
use super::THRIFT_CONTENT_TYPE;
use crate::transport::{
    plain_http_exporter_face, Body, BodyEncoder, PlainHttpExporter, SenderSettings,
};

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
pub struct JaegerCollectorExporter(PlainHttpExporter<JaegerEncoder>);

impl BodyEncoder for JaegerEncoder {
    /// One Thrift binary `Batch` per resource.
    fn encode(&mut self, spans: &[SpanData], out: &mut Vec<u8>) -> Vec<Body> {
        self.encode_batches_binary(spans, out)
            .iter()
            .map(|batch| Body {
                range: batch.range(),
                spans: batch.span_count(),
            })
            .collect()
    }
}

plain_http_exporter_face!(JaegerCollectorExporter);

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
        PlainHttpExporter::new(
            "Jaeger collector",
            settings,
            THRIFT_CONTENT_TYPE,
            JaegerEncoder::new(),
            config.timeout(),
        )
        .map(JaegerCollectorExporter)
        .map_err(JaegerConfigError)
    }
}
