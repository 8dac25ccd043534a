//! OTLP: the OpenTelemetry Protocol's trace export request, as protobuf
//! (`application/x-protobuf`) and as JSON (`application/json`).

mod encoder;
mod group;
mod json;
mod proto;

pub use encoder::OtlpEncoder;
