//! Zipkin: spans as a Zipkin v2 JSON list for `POST /api/v2/spans`, per
//! the OpenTelemetry specification's Zipkin mapping.
//!
//! ```
//! use spanlite::{InMemoryExporter, TracerProvider};
//! use spanlite_exporters::zipkin::{ZipkinConfig, ZipkinEncoder, CONTENT_TYPE};
//!
//! let config = ZipkinConfig::from_env();
//! let spans = InMemoryExporter::new();
//! let provider = TracerProvider::builder().with_simple_exporter(spans.clone()).build();
//! provider.tracer("docs").start("checkout").end();
//!
//! let mut body = Vec::new();
//! ZipkinEncoder::new().encode(&spans.finished_spans(), &mut body);
//! // POST `body` to `config.endpoint()` with `Content-Type: CONTENT_TYPE`.
//! assert_eq!(CONTENT_TYPE, "application/json");
//! # let _ = config;
//! ```

mod config;
mod encoder;
mod exporter;
#[cfg(test)]
mod mapping_tests;
mod remote_endpoint;

pub use config::{ZipkinConfig, DEFAULT_ENDPOINT};
pub use encoder::ZipkinEncoder;
pub use exporter::{ZipkinConfigError, ZipkinExporter};

/// The content type of a Zipkin v2 JSON body.
pub const CONTENT_TYPE: &str = "application/json";
