//! The Zipkin exporter: a v2 JSON array posted to `/api/v2/spans` over
//! the shared HTTP transport (retries, TLS).

use std::fmt;

use spanlite::SpanData;

use super::config::ZipkinConfig;
use super::encoder::ZipkinEncoder;
use super::CONTENT_TYPE;
use crate::transport::{
    plain_http_exporter_face, Body, BodyEncoder, PlainHttpExporter, SenderSettings,
};

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
pub struct ZipkinExporter(PlainHttpExporter<ZipkinEncoder>);

impl BodyEncoder for ZipkinEncoder {
    /// One JSON array for the whole batch.
    fn encode(&mut self, spans: &[SpanData], out: &mut Vec<u8>) -> Vec<Body> {
        ZipkinEncoder::encode(self, spans, out);
        vec![Body {
            range: 0..out.len(),
            spans: spans.len(),
        }]
    }
}

plain_http_exporter_face!(ZipkinExporter);

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
        PlainHttpExporter::new(
            "Zipkin",
            settings,
            CONTENT_TYPE,
            ZipkinEncoder::new(),
            config.timeout(),
        )
        .map(ZipkinExporter)
        .map_err(ZipkinConfigError)
    }
}
