//! The HTTP transport the HTTP exporters share: retries and backoff per
//! the OTLP spec, `Retry-After`, TLS (rustls), a private runtime.

#[cfg(any(feature = "jaeger", feature = "zipkin"))]
mod plain_exporter;
pub(crate) mod retry;
mod sender;
mod tls;
mod warnings;
mod wire;

#[cfg(any(feature = "jaeger", feature = "zipkin"))]
pub(crate) use plain_exporter::{plain_http_exporter_face, Body, BodyEncoder, PlainHttpExporter};
pub(crate) use sender::{HttpSender, SenderSettings};
pub use tls::TlsConfig;
pub(crate) use warnings::{export_deadline, Warnings};
#[cfg(any(feature = "jaeger", feature = "zipkin"))]
pub(crate) use wire::PlainWire;
#[cfg(feature = "otlp")]
pub(crate) use wire::{plain_http_verdict, Verdict, Wire};
