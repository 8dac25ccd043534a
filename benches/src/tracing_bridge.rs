//! A `tracing` span with three fields, through spanlite's bridge and
//! through tracing-opentelemetry + opentelemetry_sdk.

use tracing::Dispatch;
use tracing_subscriber::prelude::*;

use crate::otel_peer;
use crate::spanlite_peer::{self, Sampling};

/// A dispatcher recording `tracing` spans with spanlite (batch pipeline into
/// a discarding exporter); keep the provider alive as long as the dispatch.
pub fn spanlite_dispatch() -> (Dispatch, spanlite::TracerProvider) {
    let (provider, _) = spanlite_peer::provider(Sampling::AlwaysOn);
    let layer = spanlite_instrumentation::SpanliteLayer::new(provider.tracer("bench"));
    (
        Dispatch::new(tracing_subscriber::registry().with(layer)),
        provider,
    )
}

/// The same with tracing-opentelemetry over opentelemetry_sdk.
pub fn otel_dispatch() -> (Dispatch, opentelemetry_sdk::trace::SdkTracerProvider) {
    let (provider, _) = otel_peer::provider(Sampling::AlwaysOn);
    let layer = tracing_opentelemetry::layer().with_tracer(otel_peer::tracer(&provider));
    (
        Dispatch::new(tracing_subscriber::registry().with(layer)),
        provider,
    )
}

/// The unit of work: a span with three fields, entered and dropped.
#[inline]
pub fn span_with_three_fields() {
    let span = tracing::info_span!(
        "GET /api/products/{id}",
        http.route = crate::ROUTE,
        status = 200,
        cache.hit = true
    );
    let _entered = span.enter();
}
