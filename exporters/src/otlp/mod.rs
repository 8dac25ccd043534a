//! OTLP: the OpenTelemetry Protocol's trace export, as protobuf
//! (`application/x-protobuf`) or JSON (`application/json`) over HTTP.

mod config;
mod encoder;
mod group;
mod grpc;
mod http_exporter;
mod init;
mod json;
mod proto;
mod response;

pub use config::{Compression, OtlpConfig, Protocol, DEFAULT_GRPC_ENDPOINT, DEFAULT_HTTP_ENDPOINT};
pub use encoder::OtlpEncoder;
pub use http_exporter::{OtlpConfigError, OtlpHttpExporter};
pub use init::init;
