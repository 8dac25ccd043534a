//! Jaeger: spans as Jaeger Thrift `Batch`es, sent to the agent over UDP
//! (`emitBatch`, compact or binary) by [`JaegerAgentExporter`], or encoded
//! in Thrift binary by [`JaegerEncoder`] for the collector's
//! `POST /api/traces`.
//!
//! ```no_run
//! use spanlite::{BatchSpanProcessor, TracerProvider};
//! use spanlite_exporters::jaeger::{JaegerAgentExporter, JaegerConfig, JaegerProtocol};
//!
//! let exporter = JaegerAgentExporter::new(
//!     JaegerConfig::new()
//!         .with_protocol(JaegerProtocol::UdpThriftCompact)
//!         .with_agent_host("127.0.0.1"),
//! )
//! .expect("a UDP socket");
//! let provider = TracerProvider::builder()
//!     .with_span_processor(BatchSpanProcessor::from_env(exporter))
//!     .build();
//! # drop(provider);
//! ```

mod agent_exporter;
mod collector_exporter;
mod config;
mod datagram;
mod encoder;
#[cfg(test)]
mod mapping_tests;
mod span;
mod tags;

pub use agent_exporter::{JaegerAgentExporter, JaegerAgentStats, MAX_PACKET_SIZE};
pub use collector_exporter::JaegerCollectorExporter;
pub use config::{
    JaegerConfig, JaegerConfigError, JaegerProtocol, DEFAULT_AGENT_BINARY_PORT,
    DEFAULT_AGENT_COMPACT_PORT, DEFAULT_AGENT_HOST, DEFAULT_COLLECTOR_ENDPOINT,
};
pub use encoder::{EncodedBatch, JaegerEncoder, ThriftProtocol};

/// The collector's content type for a Thrift binary `Batch` body.
pub const THRIFT_CONTENT_TYPE: &str = "application/x-thrift";
