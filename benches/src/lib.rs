//! Each SDK set up as its users run it (the default batch pipeline into an
//! exporter that discards), for the `compare` benchmark and the `saturate`
//! binary.

pub mod fastrace_peer;
pub mod floor;
pub mod jaeger_encode;
pub mod otel_peer;
pub mod propagation;
pub mod rss;
pub mod sampling;
pub mod spanlite_peer;
pub mod tracing_bridge;

/// The three attributes every benchmark span gets: a string, an i64, a bool.
pub const ROUTE: &str = "/api/products/{id}";

/// The ten attribute keys of the encoding benchmarks' spans.
pub const TEN_KEYS: [&str; 10] = [
    "http.request.method",
    "http.route",
    "http.response.status_code",
    "url.path",
    "url.scheme",
    "server.address",
    "server.port",
    "client.address",
    "user_agent.original",
    "network.protocol.version",
];
