//! Exporters for spanlite. Each protocol is a feature:
//!
//! - `otlp` (default): the OpenTelemetry Protocol over HTTP, protobuf or
//!   JSON, written straight from finished span records without building an
//!   intermediate message tree; retries as the spec says; configured in
//!   code or by the `OTEL_EXPORTER_OTLP_*` variables; [`otlp::init`] sets
//!   up a whole pipeline from the environment. Over `https://` with
//!   rustls ([`TlsConfig`]: custom CA, client certificate).
//! - `jaeger` (default): Jaeger Thrift, binary and compact, written
//!   straight from span records; [`jaeger::JaegerAgentExporter`] sends
//!   `emitBatch` datagrams to the agent over UDP, split under the packet
//!   limit; [`jaeger::JaegerEncoder`] makes the collector's Thrift binary
//!   bodies; [`jaeger::JaegerConfig`] reads `OTEL_EXPORTER_JAEGER_*`.
//! - `zipkin` (default): Zipkin v2 JSON bodies
//!   ([`zipkin::ZipkinEncoder`]) per the spec's Zipkin mapping;
//!   [`zipkin::ZipkinConfig`] reads `OTEL_EXPORTER_ZIPKIN_*`.
//!
//! ```
//! # #[cfg(feature = "otlp")] {
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
//! # }
//! ```

#[cfg(any(feature = "otlp", feature = "jaeger", feature = "zipkin"))]
mod env_vars;
#[cfg(feature = "jaeger")]
pub mod jaeger;
#[cfg(any(feature = "jaeger", feature = "zipkin"))]
mod non_otlp;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "jaeger")]
mod thrift;
#[cfg(feature = "_http")]
mod transport;
#[cfg(feature = "zipkin")]
pub mod zipkin;

#[cfg(feature = "_http")]
pub use transport::TlsConfig;
