//! `traceparent` costs no allocation but the header string it writes.
//!
//! Its own test binary, because it installs a counting global allocator.
#![cfg(feature = "http")]

use http::{HeaderMap, HeaderValue};
use spanlite_api::{Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use spanlite_propagation::{Injector, TextMapPropagator, TraceContextPropagator};
use spanlite_test_support::{allocations_during, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Keeps the last value it is given, with no allocation of its own.
#[derive(Default)]
struct LastValue(Option<String>);

impl Injector for LastValue {
    fn set(&mut self, _key: &str, value: String) {
        self.0 = Some(value);
    }
}

#[test]
fn inject_allocates_only_the_traceparent_string() {
    let cx = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_int(0x4bf92f3577b34da6a3ce929d0e0e4736),
        SpanId::from_int(0x00f067aa0ba902b7),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    ));
    let propagator = TraceContextPropagator::new();
    let mut out = LastValue::default();
    let n = allocations_during(|| propagator.inject_context(&cx, &mut out));
    assert_eq!(n, 1);
    assert_eq!(
        out.0.as_deref(),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
}

#[test]
fn extract_from_a_header_map_allocates_nothing() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "traceparent",
        HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    let propagator = TraceContextPropagator::new();
    let empty = Context::new();
    let mut cx = Context::new();
    let n = allocations_during(|| cx = propagator.extract_with_context(&empty, &headers));
    assert_eq!(n, 0);
    assert_eq!(
        cx.span().span_context().span_id(),
        SpanId::from_int(0x00f067aa0ba902b7)
    );
}

#[test]
fn refusing_a_malformed_traceparent_allocates_nothing() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "traceparent",
        HeaderValue::from_static("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
    );
    headers.insert("tracestate", HeaderValue::from_static("a=1"));
    let propagator = TraceContextPropagator::new();
    let empty = Context::new();
    let mut cx = Context::new();
    let n = allocations_during(|| cx = propagator.extract_with_context(&empty, &headers));
    assert_eq!(n, 0);
    assert!(!cx.span().span_context().is_valid());
}
