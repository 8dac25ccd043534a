//! Exporters for spanlite. Each protocol is a feature:
//!
//! - `otlp` (default): the OpenTelemetry Protocol over HTTP, protobuf or
//!   JSON, written straight from finished span records without building an
//!   intermediate message tree; retries as the spec says; configured in
//!   code or by the `OTEL_EXPORTER_OTLP_*` variables; [`otlp::init`] sets
//!   up a whole pipeline from the environment. Over `https://` with
//!   rustls ([`TlsConfig`]: custom CA, client certificate).
//!
//! ```
//! use spanlite::{InMemoryExporter, TracerProvider};
//! use spanlite_exporters::otlp::OtlpEncoder;
//!
//! let spans = InMemoryExporter::new();
//! let provider = TracerProvider::builder().with_simple_exporter(spans.clone()).build();
//! provider.tracer("docs").start("encode me").end();
//!
//! let mut encoder = OtlpEncoder::new();
//! let mut body = Vec::new();
//! encoder.encode_protobuf(&spans.finished_spans(), &mut body);
//! assert!(!body.is_empty());
//! ```

#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "_http")]
mod transport;

#[cfg(feature = "_http")]
pub use transport::TlsConfig;
