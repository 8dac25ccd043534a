//! What a demo run does and where its spans go.

use spanlite::{InMemoryExporter, TraceId};
use spanlite_exporters::otlp::OtlpConfig;

/// Where the three services send their spans.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Sink {
    /// One console waterfall shared by the three services, so that each
    /// trace prints once, as one tree across the services.
    Console,
    /// An OTLP/HTTP collector: each service has its own batch exporter.
    Otlp(OtlpConfig),
    /// Memory, for tests: every service's spans land in this exporter.
    InMemory(InMemoryExporter),
}

/// One request the demo sends to the gateway:
/// `GET /api/products/{product}?user={user}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoRequest {
    product: i64,
    user: i64,
}

impl DemoRequest {
    /// Asks for `product`, on behalf of `user`.
    pub fn new(product: i64, user: i64) -> DemoRequest {
        DemoRequest { product, user }
    }

    /// The gateway path and query.
    pub fn path(&self) -> String {
        format!("/api/products/{}?user={}", self.product, self.user)
    }
}

/// How a demo run is set up.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub(crate) sink: Sink,
    pub(crate) requests: Vec<DemoRequest>,
}

impl DemoConfig {
    /// Sends spans to `sink` and, in [`run`](crate::demo::run), the
    /// [default requests](DemoConfig::default_requests).
    pub fn new(sink: Sink) -> DemoConfig {
        DemoConfig {
            sink,
            requests: DemoConfig::default_requests(),
        }
    }

    /// Sends these requests instead, in order.
    pub fn with_requests(mut self, requests: Vec<DemoRequest>) -> DemoConfig {
        self.requests = requests;
        self
    }

    /// Product 1 (a cache miss), product 2 (a miss), product 1 again (a
    /// hit), and product 99, which does not exist (404).
    pub fn default_requests() -> Vec<DemoRequest> {
        vec![
            DemoRequest::new(1, 1),
            DemoRequest::new(2, 2),
            DemoRequest::new(1, 2),
            DemoRequest::new(99, 1),
        ]
    }
}

/// What the gateway answered to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestOutcome {
    /// The request.
    pub request: DemoRequest,
    /// The HTTP status code.
    pub status: u16,
    /// The response body (JSON).
    pub body: String,
    /// The trace the request started, from the gateway's `traceresponse`
    /// header; `None` when the header was missing or malformed.
    pub trace_id: Option<TraceId>,
}
