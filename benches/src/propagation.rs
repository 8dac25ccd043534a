//! W3C Trace Context + Baggage injected into an `http::HeaderMap` and
//! extracted from it, by each SDK, for the `propagation_inject_extract`
//! benchmark group.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::baggage::BaggageExt as _;
use opentelemetry::propagation::{
    Extractor as OtelExtractor, Injector as OtelInjector,
    TextMapCompositePropagator as OtelComposite, TextMapPropagator as _,
};
use opentelemetry::trace::TraceContextExt as _;
use spanlite::{
    Baggage, BaggagePropagator, Context, SpanContext, SpanId, TextMapCompositePropagator,
    TextMapPropagator, TraceContextPropagator, TraceFlags, TraceId,
};

const TRACE_ID: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
const SPAN_ID: u64 = 0x00f0_67aa_0ba9_02b7;
/// Three tracestate members.
const TRACE_STATE: [(&str, &str); 3] = [
    ("congo", "t61rcWkgMzE"),
    ("rojo", "00f067aa0ba902b7"),
    ("vendor", "opaque-value"),
];
/// Two baggage members.
const BAGGAGE: [(&str, &str); 2] = [("user.id", "42"), ("tenant", "acme corp")];

/// spanlite: Trace Context then Baggage.
pub fn spanlite_propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

/// A context with a sampled span context (3 tracestate members) and 2
/// baggage members.
pub fn spanlite_context() -> Context {
    let trace_state = spanlite::TraceState::from_key_value(TRACE_STATE).unwrap_or_default();
    let span_context = SpanContext::new(
        TraceId::from_int(TRACE_ID),
        SpanId::from_int(SPAN_ID),
        TraceFlags::SAMPLED,
        false,
        trace_state,
    );
    let cx = Context::new().with_span_context(span_context);
    BAGGAGE
        .iter()
        .fold(Baggage::new(), |b, (k, v)| b.insert(*k, *v))
        .in_context(&cx)
}

/// Injects `cx` into fresh headers and extracts a context back from them.
#[inline]
pub fn spanlite_round_trip(propagator: &TextMapCompositePropagator, cx: &Context) -> Context {
    let mut headers = HeaderMap::new();
    propagator.inject_context(cx, &mut headers);
    propagator.extract_with_context(&Context::new(), &headers)
}

/// opentelemetry's injector for an `http::HeaderMap`: invalid names or
/// values are skipped.
#[derive(Debug)]
pub struct HeaderInjector<'a>(pub &'a mut HeaderMap);

impl OtelInjector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::try_from(value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// opentelemetry's extractor for an `http::HeaderMap`: values that are not
/// visible ASCII are skipped.
#[derive(Debug)]
pub struct HeaderExtractor<'a>(pub &'a HeaderMap);

impl OtelExtractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        let values: Vec<&str> = self
            .0
            .get_all(key)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then_some(values)
    }
}

/// opentelemetry_sdk: Trace Context then Baggage.
pub fn otel_propagator() -> OtelComposite {
    OtelComposite::new(vec![
        Box::new(opentelemetry_sdk::propagation::TraceContextPropagator::new()),
        Box::new(opentelemetry_sdk::propagation::BaggagePropagator::new()),
    ])
}

/// The same context for opentelemetry.
pub fn otel_context() -> opentelemetry::Context {
    let trace_state =
        opentelemetry::trace::TraceState::from_key_value(TRACE_STATE).unwrap_or_default();
    let span_context = opentelemetry::trace::SpanContext::new(
        opentelemetry::trace::TraceId::from(TRACE_ID),
        opentelemetry::trace::SpanId::from(SPAN_ID),
        opentelemetry::trace::TraceFlags::SAMPLED,
        false,
        trace_state,
    );
    let baggage: Vec<opentelemetry::KeyValue> = BAGGAGE
        .iter()
        .map(|(k, v)| opentelemetry::KeyValue::new(*k, *v))
        .collect();
    opentelemetry::Context::new()
        .with_remote_span_context(span_context)
        .with_baggage(baggage)
}

/// Injects `cx` into fresh headers and extracts a context back from them.
#[inline]
pub fn otel_round_trip(
    propagator: &OtelComposite,
    cx: &opentelemetry::Context,
) -> opentelemetry::Context {
    let mut headers = HeaderMap::new();
    propagator.inject_context(cx, &mut HeaderInjector(&mut headers));
    propagator.extract_with_context(&opentelemetry::Context::new(), &HeaderExtractor(&headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_round_trips_carry_the_span_context_trace_state_and_baggage() {
        let cx = spanlite_round_trip(&spanlite_propagator(), &spanlite_context());
        let span = cx.span();
        let sc = span.span_context();
        assert!(sc.is_sampled() && sc.is_remote());
        assert_eq!(sc.trace_id(), TraceId::from_int(TRACE_ID));
        assert_eq!(sc.trace_state().len(), 3);
        assert_eq!(Baggage::from_context(&cx).get("tenant"), Some("acme corp"));
        assert_eq!(Baggage::from_context(&cx).len(), 2);

        let cx = otel_round_trip(&otel_propagator(), &otel_context());
        let span = cx.span();
        let sc = span.span_context();
        assert!(sc.is_sampled() && sc.is_remote());
        assert_eq!(sc.trace_id(), opentelemetry::trace::TraceId::from(TRACE_ID));
        assert_eq!(sc.trace_state().get("vendor"), Some("opaque-value"));
        assert_eq!(cx.baggage().len(), 2);
        assert_eq!(
            cx.baggage().get("tenant").map(|v| v.as_str().to_owned()),
            Some("acme corp".to_owned())
        );
    }
}
