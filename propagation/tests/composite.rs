//! Running several formats as one, and propagators behind pointers.

use std::collections::HashMap;
use std::sync::Arc;

use spanlite_api::{Baggage, Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use spanlite_propagation::{
    B3Encoding, B3Propagator, BaggagePropagator, JaegerPropagator, TextMapCompositePropagator,
    TextMapPropagator, TraceContextPropagator,
};

fn span_context(n: u64) -> SpanContext {
    SpanContext::new(
        TraceId::from_int(n.into()),
        SpanId::from_int(n),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    )
}

fn w3c_then_b3() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(B3Propagator::new()),
    ])
}

#[test]
fn inject_lets_every_propagator_write() {
    let cx = Baggage::new()
        .insert("k", "v")
        .in_context(&Context::new().with_remote_span_context(span_context(7)));
    let propagator = TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
        Box::new(B3Propagator::new()),
        Box::new(JaegerPropagator::new()),
    ]);
    let mut out = HashMap::new();
    propagator.inject_context(&cx, &mut out);
    let mut keys: Vec<&str> = out.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["b3", "baggage", "traceparent", "uber-trace-id"]);
}

#[test]
fn extract_runs_in_order_so_the_later_span_context_wins() {
    let headers = HashMap::from([
        (
            "traceparent".to_owned(),
            "00-00000000000000000000000000000001-0000000000000001-01".to_owned(),
        ),
        (
            "b3".to_owned(),
            "00000000000000000000000000000002-0000000000000002-1".to_owned(),
        ),
    ]);
    let cx = w3c_then_b3().extract_with_context(&Context::new(), &headers);
    assert_eq!(cx.span().span_context().span_id().to_int(), 2);

    let reversed = TextMapCompositePropagator::new(vec![
        Box::new(B3Propagator::new()),
        Box::new(TraceContextPropagator::new()),
    ]);
    let cx = reversed.extract_with_context(&Context::new(), &headers);
    assert_eq!(cx.span().span_context().span_id().to_int(), 1);
}

#[test]
fn an_invalid_later_header_does_not_undo_an_earlier_one() {
    let headers = HashMap::from([
        (
            "traceparent".to_owned(),
            "00-00000000000000000000000000000001-0000000000000001-01".to_owned(),
        ),
        ("b3".to_owned(), "garbage".to_owned()),
    ]);
    let cx = w3c_then_b3().extract_with_context(&Context::new(), &headers);
    assert_eq!(cx.span().span_context().span_id().to_int(), 1);
}

#[test]
fn fields_are_the_union_first_seen_first() {
    let propagator = TextMapCompositePropagator::new(vec![
        Box::new(B3Propagator::new()),
        Box::new(TraceContextPropagator::new()),
        Box::new(B3Propagator::with_encoding(
            B3Encoding::SingleAndMultipleHeaders,
        )),
    ]);
    assert_eq!(
        propagator.fields(),
        [
            "b3",
            "traceparent",
            "tracestate",
            "x-b3-traceid",
            "x-b3-spanid",
            "x-b3-sampled"
        ]
    );
    assert_eq!(propagator.len(), 3);
}

#[test]
fn an_empty_composite_does_nothing() {
    let propagator = TextMapCompositePropagator::new(vec![]);
    assert!(propagator.is_empty());
    let cx = Context::new().with_remote_span_context(span_context(3));
    let mut out = HashMap::new();
    propagator.inject_context(&cx, &mut out);
    assert!(out.is_empty());
    let headers = HashMap::from([(
        "traceparent".to_owned(),
        "00-00000000000000000000000000000001-0000000000000001-01".to_owned(),
    )]);
    let extracted = propagator.extract_with_context(&cx, &headers);
    assert_eq!(extracted.span().span_context().span_id().to_int(), 3);
}

#[test]
fn boxed_and_shared_propagators_are_propagators() {
    let boxed: Box<dyn TextMapPropagator> = Box::new(TraceContextPropagator::new());
    let shared: Arc<dyn TextMapPropagator> = Arc::new(BaggagePropagator::new());
    let nested = TextMapCompositePropagator::new(vec![Box::new(boxed), Box::new(shared)]);
    assert_eq!(nested.fields(), ["traceparent", "tracestate", "baggage"]);
    let cx = Context::new().with_remote_span_context(span_context(5));
    let mut out = HashMap::new();
    nested.inject_context(&cx, &mut out);
    assert!(out["traceparent"].contains("0000000000000005"));
}
