//! Context propagation for spanlite: how a trace and its baggage cross a
//! process boundary as text headers.
//!
//! ```
//! use std::collections::HashMap;
//! use spanlite_api::{Baggage, Context};
//! use spanlite_propagation::{default_propagator, TextMapPropagator};
//!
//! // A request arrives carrying a W3C trace context and baggage.
//! let incoming = HashMap::from([
//!     ("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
//!     ("baggage".to_owned(), "tenant=acme".to_owned()),
//! ]);
//! let propagator = default_propagator(); // tracecontext, then baggage
//! let cx = propagator.extract_with_context(&Context::new(), &incoming);
//! assert!(cx.span().span_context().is_sampled());
//! assert_eq!(Baggage::from_context(&cx).get("tenant"), Some("acme"));
//!
//! // The outgoing request carries the same context on.
//! let mut outgoing = HashMap::new();
//! propagator.inject_context(&cx, &mut outgoing);
//! assert_eq!(outgoing, incoming);
//! ```
//!
//! **In libraries** (an HTTP client or server integration), take the
//! process-wide propagator with [`get_text_map_propagator`] and call
//! [`TextMapPropagator::inject`] / [`TextMapPropagator::extract`] with the
//! request's headers: `http::HeaderMap` (feature `http`, on by default)
//! and `HashMap<String, String>` are carriers already; anything else
//! implements [`Injector`] and [`Extractor`].
//!
//! **In applications**, pick the formats once at start-up:
//! [`set_text_map_propagator`] with [`propagator_from_env`] follows
//! `OTEL_PROPAGATORS`; the default is W3C Trace Context and Baggage.
//!
//! Formats: [`TraceContextPropagator`] (W3C Trace Context Level 2),
//! [`BaggagePropagator`] (W3C Baggage), [`B3Propagator`] (Zipkin B3,
//! single or multiple headers), [`JaegerPropagator`], and
//! [`TextMapCompositePropagator`] to run several. No propagator panics on
//! any input: what it cannot read leaves the context as it was.

mod b3;
mod baggage;
mod carrier;
mod composite;
mod env;
mod global;
#[cfg(feature = "http")]
mod header_map;
mod hex_id;
mod jaeger;
mod percent;
mod propagator;
mod scan;
mod trace_context;

pub use b3::{B3Encoding, B3Propagator};
pub use baggage::BaggagePropagator;
pub use carrier::{Extractor, Injector, Values};
pub use composite::TextMapCompositePropagator;
pub use env::{propagator_from_env, propagator_from_env_value};
pub use global::{default_propagator, get_text_map_propagator, set_text_map_propagator};
pub use jaeger::JaegerPropagator;
pub use propagator::TextMapPropagator;
pub use trace_context::TraceContextPropagator;
