//! Conformance of spanlite against real peers, run on 127.0.0.1.
//!
//! [`Jaeger`] builds (once, into a cache) and starts a real Jaeger v2 with
//! memory storage; tests send spans with spanlite's exporters and read them
//! back through Jaeger's query APIs. [`otlp_json_view`] says what a span
//! must look like in `/api/v3/traces/{id}` (OTLP JSON) and
//! [`jaeger_ui_view`] in `/api/traces/{id}` (the Jaeger UI model);
//! [`json_compare`] names every field that differs.
//!
//! ```no_run
//! use spanlite::{InMemoryExporter, SimpleSpanProcessor, TracerProvider};
//! use spanlite_conformance::{json_compare, otlp_json_view, Jaeger};
//! # fn exporter_for(_endpoint: String) -> InMemoryExporter { InMemoryExporter::new() }
//!
//! let jaeger = Jaeger::start().expect("Jaeger runs");
//! let sent = InMemoryExporter::new();
//! let provider = TracerProvider::builder()
//!     .with_span_processor(SimpleSpanProcessor::new(exporter_for(jaeger.otlp_http_endpoint())))
//!     .with_span_processor(SimpleSpanProcessor::new(sent.clone()))
//!     .build();
//! provider.tracer("demo").start("hello").end();
//!
//! let span = &sent.finished_spans()[0];
//! let trace_id = span.span_context().trace_id();
//! let answer = jaeger.wait_for_spans(trace_id, 1).expect("the span arrives");
//! let stored = otlp_json_view::spans(&answer).expect("OTLP JSON")[0].span.clone();
//! let diffs = json_compare::differences(
//!     &json_compare::without_defaults(&otlp_json_view::expected_span(span)),
//!     &json_compare::without_defaults(&stored),
//! );
//! assert!(diffs.is_empty(), "{diffs:#?}");
//! ```
//!
//! Building Jaeger needs Go >= 1.24.6 and the Go module proxy; see the
//! crate's README for the cache and the environment variables.

mod error;
mod free_port;
mod go_peer;
mod http_client;
mod jaeger;
mod jaeger_binary;
mod jaeger_config;
pub mod jaeger_ui_view;
pub mod json_compare;
#[cfg(target_os = "linux")]
mod listening_sockets;
pub mod otlp_json_view;
mod poll;

pub use error::HarnessError;
pub use free_port::{free_ports, free_udp_ports, RefusedPort};
pub use go_peer::{
    go_peer_binary, go_peer_build_script, GoPeer, GO_CLIENT_SERVICE, GO_PEER_SERVICE,
};
pub use http_client::{HttpClient, HttpResponse};
pub use jaeger::Jaeger;
pub use jaeger_binary::{build_script, jaeger_binary, JAEGER_BIN_VAR};
pub use jaeger_config::{render_config, JaegerPorts, DEFAULT_SAMPLING_STRATEGIES, MAX_TRACES};
#[cfg(target_os = "linux")]
pub use listening_sockets::{listening_sockets, ListeningSocket};
pub use poll::{poll, DEFAULT_INTERVAL};
