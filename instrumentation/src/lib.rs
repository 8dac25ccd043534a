//! Integrations that make spanlite fit the Rust services around it.
//!
//! - `http` (default feature): tower layers tracing HTTP servers and
//!   clients ([`http::HttpServerLayer`], [`http::HttpClientLayer`]).
//! - `axum`: the server layer names spans after the route axum matched
//!   (`Router::layer(HttpServerLayer::new(tracer))`).
//! - `tracing` (default feature): [`SpanliteLayer`], a
//!   `tracing_subscriber::Layer` that records `tracing` spans as spanlite
//!   spans, and [`log_correlation`] for structured logs.
//!
//! ```
//! use spanlite::{InMemoryExporter, TracerProvider};
//! use spanlite_instrumentation::SpanliteLayer;
//! use tracing_subscriber::prelude::*;
//!
//! let exporter = InMemoryExporter::new();
//! let provider = TracerProvider::builder().with_simple_exporter(exporter.clone()).build();
//! let subscriber = tracing_subscriber::registry().with(SpanliteLayer::new(provider.tracer("app")));
//! tracing::subscriber::with_default(subscriber, || {
//!     let _span = tracing::info_span!("checkout", cart.items = 3).entered();
//!     tracing::info!(order = 42, "order placed");
//! });
//! let spans = exporter.finished_spans();
//! assert_eq!(spans[0].name(), "checkout");
//! assert_eq!(spans[0].events()[0].name(), "order placed");
//! ```

#[cfg(feature = "tracing")]
mod fields;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "tracing")]
mod layer;
mod log_correlation;
#[cfg(feature = "tracing")]
mod open;

#[cfg(feature = "tracing")]
pub use layer::SpanliteLayer;
pub use log_correlation::{log_correlation, LogCorrelation};
