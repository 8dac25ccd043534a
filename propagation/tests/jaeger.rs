//! Jaeger, one rule per test: `uber-trace-id` and `uberctx-*` baggage.

use std::collections::HashMap;

use spanlite_api::{Baggage, Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use spanlite_propagation::{JaegerPropagator, TextMapPropagator};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn extract_cx(pairs: &[(&str, &str)]) -> Context {
    JaegerPropagator::new().extract_with_context(&Context::new(), &map(pairs))
}

fn extract(value: &str) -> SpanContext {
    extract_cx(&[("uber-trace-id", value)])
        .span()
        .span_context()
        .clone()
}

fn existing() -> Context {
    Context::new().with_span_context(SpanContext::new(
        TraceId::from_int(0xaaaa),
        SpanId::from_int(0xbbbb),
        TraceFlags::SAMPLED,
        false,
        TraceState::NONE,
    ))
}

fn refused(value: &str) -> bool {
    let before = existing();
    let after =
        JaegerPropagator::new().extract_with_context(&before, &map(&[("uber-trace-id", value)]));
    after.span().span_context() == before.span().span_context()
}

#[test]
fn a_full_width_header_is_read() {
    let sc = extract(&format!("{TRACE_ID}:{SPAN_ID}:0:1"));
    assert_eq!(sc.trace_id().to_string(), TRACE_ID);
    assert_eq!(sc.span_id().to_string(), SPAN_ID);
    assert!(sc.is_sampled());
    assert!(sc.is_remote());
}

#[test]
fn short_ids_are_padded_on_the_left() {
    let sc = extract("abc:1f:0:1");
    assert_eq!(sc.trace_id().to_int(), 0xabc);
    assert_eq!(sc.span_id().to_int(), 0x1f);
}

#[test]
fn a_64_bit_trace_id_is_padded_to_128_bits() {
    let sc = extract("a3ce929d0e0e4736:1:0:0");
    assert_eq!(
        sc.trace_id().to_string(),
        "0000000000000000a3ce929d0e0e4736"
    );
}

#[test]
fn ids_longer_than_their_width_are_refused() {
    assert!(refused(&format!("0{TRACE_ID}:{SPAN_ID}:0:1")));
    assert!(refused(&format!("{TRACE_ID}:0{SPAN_ID}:0:1")));
}

#[test]
fn a_percent_encoded_header_is_read() {
    let sc = extract(&format!("{TRACE_ID}%3A{SPAN_ID}%3a0%3A1"));
    assert_eq!(sc.span_id().to_string(), SPAN_ID);
    assert!(sc.is_sampled());
}

#[test]
fn flag_bit_1_is_sampled_and_bit_2_debug_is_sampled_too() {
    assert!(extract("1:2:0:1").is_sampled());
    assert!(extract("1:2:0:2").is_sampled());
    assert!(extract("1:2:0:3").is_sampled());
    assert!(!extract("1:2:0:0").is_sampled());
    assert!(!extract("1:2:0:4").is_sampled());
}

#[test]
fn flags_are_hex() {
    assert!(extract("1:2:0:0b").is_sampled());
    assert!(refused("1:2:0:g"));
    assert!(refused("1:2:0:100"));
}

#[test]
fn zero_trace_or_span_id_is_refused() {
    assert!(refused("0:2:0:1"));
    assert!(refused("1:0:0:1"));
}

#[test]
fn a_zero_parent_span_id_is_valid_but_a_malformed_one_is_not() {
    assert!(extract("1:2:0:1").is_valid());
    assert!(extract("1:2:3:1").is_valid());
    assert!(refused("1:2::1"));
    assert!(refused("1:2:x:1"));
}

#[test]
fn a_wrong_number_of_fields_is_refused() {
    assert!(refused("1:2:0"));
    assert!(refused("1:2:0:1:5"));
    assert!(refused(""));
}

#[test]
fn a_broken_percent_escape_is_refused() {
    assert!(refused("1%3:2:0:1"));
}

#[test]
fn uberctx_headers_become_baggage() {
    let cx = extract_cx(&[
        ("uber-trace-id", "1:2:0:1"),
        ("uberctx-user", "ada"),
        ("uberctx-team", "engine%20room"),
    ]);
    let baggage = Baggage::from_context(&cx);
    assert_eq!(baggage.get("user"), Some("ada"));
    assert_eq!(baggage.get("team"), Some("engine room"));
    assert_eq!(baggage.len(), 2);
}

#[test]
fn uberctx_baggage_is_merged_into_the_context_baggage() {
    let cx = Baggage::new()
        .insert("kept", "1")
        .insert("user", "old")
        .in_context(&Context::new());
    let out = JaegerPropagator::new().extract_with_context(&cx, &map(&[("uberctx-user", "new")]));
    let baggage = Baggage::from_context(&out);
    assert_eq!(baggage.get("kept"), Some("1"));
    assert_eq!(baggage.get("user"), Some("new"));
}

#[test]
fn uberctx_with_a_broken_escape_is_skipped() {
    let cx = extract_cx(&[("uberctx-bad", "50%"), ("uberctx-good", "1")]);
    let baggage = Baggage::from_context(&cx);
    assert_eq!(baggage.get("bad"), None);
    assert_eq!(baggage.get("good"), Some("1"));
}

#[test]
fn baggage_is_read_even_without_a_valid_trace_id() {
    let cx = extract_cx(&[("uber-trace-id", "garbage"), ("uberctx-k", "v")]);
    assert!(!cx.span().span_context().is_valid());
    assert_eq!(Baggage::from_context(&cx).get("k"), Some("v"));
}

#[test]
fn inject_writes_full_ids_parent_zero_and_flags() {
    let sc = SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(SPAN_ID).unwrap(),
        TraceFlags::SAMPLED | TraceFlags::RANDOM,
        true,
        TraceState::NONE,
    );
    let mut out = HashMap::new();
    JaegerPropagator::new().inject_context(&Context::new().with_remote_span_context(sc), &mut out);
    assert_eq!(out["uber-trace-id"], format!("{TRACE_ID}:{SPAN_ID}:0:1"));
    assert_eq!(out.len(), 1);
}

#[test]
fn inject_writes_flags_0_when_not_sampled() {
    let cx = extract_cx(&[("uber-trace-id", "1:2:0:0")]);
    let mut out = HashMap::new();
    JaegerPropagator::new().inject_context(&cx, &mut out);
    assert!(out["uber-trace-id"].ends_with(":0:0"), "{out:?}");
}

#[test]
fn inject_writes_nothing_for_an_invalid_span_context() {
    let mut out = HashMap::new();
    JaegerPropagator::new().inject_context(&Context::new(), &mut out);
    assert!(out.is_empty());
}

#[test]
fn fields_are_uber_trace_id() {
    assert_eq!(JaegerPropagator::new().fields(), ["uber-trace-id"]);
}
