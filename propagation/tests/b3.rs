//! B3, one rule per test: the single `b3` header, the `X-B3-*` headers,
//! and which one wins.

use std::collections::HashMap;

use spanlite_api::{Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use spanlite_propagation::{B3Encoding, B3Propagator, TextMapPropagator};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn extract(pairs: &[(&str, &str)]) -> SpanContext {
    B3Propagator::new()
        .extract_with_context(&Context::new(), &map(pairs))
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

/// Whether the headers leave a valid context as it was.
fn refused(pairs: &[(&str, &str)]) -> bool {
    let before = existing();
    let after = B3Propagator::new().extract_with_context(&before, &map(pairs));
    after.span().span_context() == before.span().span_context()
}

fn inject(encoding: B3Encoding, sampled: bool) -> HashMap<String, String> {
    let sc = SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(SPAN_ID).unwrap(),
        TraceFlags::NONE.with_sampled(sampled),
        true,
        TraceState::NONE,
    );
    let cx = Context::new().with_remote_span_context(sc);
    let mut out = HashMap::new();
    B3Propagator::with_encoding(encoding).inject_context(&cx, &mut out);
    out
}

#[test]
fn single_header_with_sampling_1_is_sampled() {
    let sc = extract(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}-1"))]);
    assert_eq!(sc.trace_id().to_string(), TRACE_ID);
    assert_eq!(sc.span_id().to_string(), SPAN_ID);
    assert!(sc.is_sampled());
    assert!(sc.is_remote());
}

#[test]
fn single_header_with_sampling_0_is_not_sampled() {
    let sc = extract(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}-0"))]);
    assert!(sc.is_valid());
    assert!(!sc.is_sampled());
}

#[test]
fn single_header_debug_means_sampled() {
    let sc = extract(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}-d"))]);
    assert!(sc.is_sampled());
}

#[test]
fn single_header_without_sampling_is_deferred_and_not_sampled() {
    let sc = extract(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}"))]);
    assert!(sc.is_valid());
    assert!(!sc.is_sampled());
}

#[test]
fn single_header_with_parent_span_id_is_valid() {
    let sc = extract(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}-1-05e3ac9a4f6e3b90"))]);
    assert_eq!(sc.span_id().to_string(), SPAN_ID);
}

#[test]
fn single_header_with_a_bad_parent_span_id_is_refused() {
    assert!(refused(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}-1-05e3"))]));
}

#[test]
fn single_header_with_a_fifth_field_is_refused() {
    assert!(refused(&[(
        "b3",
        &format!("{TRACE_ID}-{SPAN_ID}-1-05e3ac9a4f6e3b90-x")
    )]));
}

#[test]
fn single_header_with_unknown_sampling_is_refused() {
    assert!(refused(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}-2"))]));
    assert!(refused(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}-true"))]));
}

#[test]
fn deny_only_single_header_leaves_the_context_unchanged() {
    assert!(refused(&[("b3", "0")]));
    assert!(!extract(&[("b3", "0")]).is_valid());
}

#[test]
fn a_64_bit_trace_id_is_padded_to_128_bits() {
    let sc = extract(&[("b3", &format!("a3ce929d0e0e4736-{SPAN_ID}-1"))]);
    assert_eq!(
        sc.trace_id().to_string(),
        "0000000000000000a3ce929d0e0e4736"
    );
    let sc = extract(&[
        ("x-b3-traceid", "a3ce929d0e0e4736"),
        ("x-b3-spanid", SPAN_ID),
    ]);
    assert_eq!(sc.trace_id().to_int(), 0xa3ce929d0e0e4736);
}

#[test]
fn trace_ids_of_other_lengths_are_refused() {
    assert!(refused(&[("b3", &format!("a3ce929d0e0e473-{SPAN_ID}-1"))]));
    assert!(refused(&[("b3", &format!("0{TRACE_ID}-{SPAN_ID}-1"))]));
}

#[test]
fn upper_case_hex_is_read() {
    let upper = TRACE_ID.to_ascii_uppercase();
    let sc = extract(&[("b3", &format!("{upper}-{SPAN_ID}-1"))]);
    assert_eq!(sc.trace_id().to_string(), TRACE_ID);
}

#[test]
fn all_zero_ids_are_refused() {
    assert!(refused(&[(
        "b3",
        &format!("00000000000000000000000000000000-{SPAN_ID}-1")
    )]));
    assert!(refused(&[(
        "b3",
        &format!("{TRACE_ID}-0000000000000000-1")
    )]));
    assert!(refused(&[
        ("x-b3-traceid", "0000000000000000"),
        ("x-b3-spanid", SPAN_ID)
    ]));
}

#[test]
fn multiple_headers_are_read() {
    let sc = extract(&[
        ("X-B3-TraceId", TRACE_ID),
        ("X-B3-SpanId", SPAN_ID),
        ("X-B3-ParentSpanId", "05e3ac9a4f6e3b90"),
        ("X-B3-Sampled", "1"),
    ]);
    assert_eq!(sc.trace_id().to_string(), TRACE_ID);
    assert!(sc.is_sampled());
    assert!(sc.is_remote());
}

#[test]
fn multiple_headers_accept_true_and_false() {
    let sampled = |value| {
        extract(&[
            ("x-b3-traceid", TRACE_ID),
            ("x-b3-spanid", SPAN_ID),
            ("x-b3-sampled", value),
        ])
    };
    assert!(sampled("true").is_sampled());
    assert!(!sampled("false").is_sampled());
    assert!(!sampled("0").is_sampled());
    assert!(sampled("0").is_valid());
}

#[test]
fn multiple_headers_with_unknown_sampled_value_are_refused() {
    assert!(refused(&[
        ("x-b3-traceid", TRACE_ID),
        ("x-b3-spanid", SPAN_ID),
        ("x-b3-sampled", "yes")
    ]));
}

#[test]
fn flags_1_means_debug_and_so_sampled() {
    let sc = extract(&[
        ("x-b3-traceid", TRACE_ID),
        ("x-b3-spanid", SPAN_ID),
        ("x-b3-sampled", "0"),
        ("x-b3-flags", "1"),
    ]);
    assert!(sc.is_sampled());
}

#[test]
fn multiple_headers_without_a_span_id_are_refused() {
    assert!(refused(&[
        ("x-b3-traceid", TRACE_ID),
        ("x-b3-sampled", "1")
    ]));
}

#[test]
fn the_single_header_wins_over_multiple_headers() {
    let sc = extract(&[
        ("b3", &format!("{TRACE_ID}-{SPAN_ID}-1")),
        ("x-b3-traceid", "1111111111111111"),
        ("x-b3-spanid", "2222222222222222"),
    ]);
    assert_eq!(sc.span_id().to_string(), SPAN_ID);
}

#[test]
fn an_invalid_single_header_falls_back_to_multiple_headers() {
    let sc = extract(&[
        ("b3", "garbage"),
        ("x-b3-traceid", TRACE_ID),
        ("x-b3-spanid", SPAN_ID),
    ]);
    assert_eq!(sc.span_id().to_string(), SPAN_ID);
}

#[test]
fn inject_single_header_writes_ids_and_sampling() {
    let out = inject(B3Encoding::SingleHeader, true);
    assert_eq!(out, map(&[("b3", &format!("{TRACE_ID}-{SPAN_ID}-1"))]));
    let out = inject(B3Encoding::SingleHeader, false);
    assert_eq!(out["b3"], format!("{TRACE_ID}-{SPAN_ID}-0"));
}

#[test]
fn inject_multiple_headers_writes_three_headers() {
    let out = inject(B3Encoding::MultipleHeaders, true);
    assert_eq!(
        out,
        map(&[
            ("x-b3-traceid", TRACE_ID),
            ("x-b3-spanid", SPAN_ID),
            ("x-b3-sampled", "1"),
        ])
    );
}

#[test]
fn inject_both_writes_single_and_multiple_headers() {
    let out = inject(B3Encoding::SingleAndMultipleHeaders, false);
    assert_eq!(out.len(), 4);
    assert_eq!(out["b3"], format!("{TRACE_ID}-{SPAN_ID}-0"));
    assert_eq!(out["x-b3-sampled"], "0");
}

#[test]
fn inject_writes_nothing_for_an_invalid_span_context() {
    let mut out = HashMap::new();
    B3Propagator::with_encoding(B3Encoding::SingleAndMultipleHeaders)
        .inject_context(&Context::new(), &mut out);
    assert!(out.is_empty());
}

#[test]
fn each_encoding_round_trips() {
    for encoding in [
        B3Encoding::SingleHeader,
        B3Encoding::MultipleHeaders,
        B3Encoding::SingleAndMultipleHeaders,
    ] {
        for sampled in [true, false] {
            let out = inject(encoding, sampled);
            let cx = B3Propagator::new().extract_with_context(&Context::new(), &out);
            let sc = cx.span().span_context();
            assert_eq!(sc.trace_id().to_string(), TRACE_ID, "{encoding:?}");
            assert_eq!(sc.span_id().to_string(), SPAN_ID, "{encoding:?}");
            assert_eq!(sc.is_sampled(), sampled, "{encoding:?}");
        }
    }
}

#[test]
fn fields_follow_the_encoding() {
    assert_eq!(B3Propagator::new().fields(), ["b3"]);
    assert_eq!(B3Propagator::new().encoding(), B3Encoding::SingleHeader);
    assert_eq!(
        B3Propagator::with_encoding(B3Encoding::MultipleHeaders).fields(),
        ["x-b3-traceid", "x-b3-spanid", "x-b3-sampled"]
    );
    assert_eq!(
        B3Propagator::with_encoding(B3Encoding::SingleAndMultipleHeaders)
            .fields()
            .len(),
        4
    );
}
