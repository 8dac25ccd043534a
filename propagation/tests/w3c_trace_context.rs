//! W3C Trace Context (Level 2), one rule per test: the `traceparent` and
//! `tracestate` headers as the processing model reads and writes them.
#![cfg(feature = "http")]

use std::collections::HashMap;

use http::{HeaderMap, HeaderValue};
use spanlite_api::{Baggage, Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use spanlite_propagation::{TextMapPropagator, TraceContextPropagator};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";
const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Headers in the order given; a name given twice is a repeated header.
fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        map.append(name, HeaderValue::from_str(value).unwrap());
    }
    map
}

/// A valid local span context that extraction must not lose to garbage.
fn existing() -> Context {
    Context::new().with_span_context(SpanContext::new(
        TraceId::from_int(0xaaaa),
        SpanId::from_int(0xbbbb),
        TraceFlags::SAMPLED,
        false,
        TraceState::NONE,
    ))
}

fn extract(pairs: &[(&str, &str)]) -> SpanContext {
    TraceContextPropagator::new()
        .extract_with_context(&Context::new(), &headers(pairs))
        .span()
        .span_context()
        .clone()
}

/// Whether `traceparent` is refused: the given context comes back as it was.
fn refused(traceparent: &str) -> bool {
    let before = existing();
    let after = TraceContextPropagator::new()
        .extract_with_context(&before, &headers(&[("traceparent", traceparent)]));
    after.span().span_context() == before.span().span_context()
}

fn inject(span_context: SpanContext) -> HashMap<String, String> {
    let cx = Context::new().with_remote_span_context(span_context);
    let mut out = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut out);
    out
}

fn span_context(flags: u8, trace_state: &str) -> SpanContext {
    SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(SPAN_ID).unwrap(),
        TraceFlags::new(flags),
        true,
        trace_state.parse().unwrap(),
    )
}

#[test]
fn a_valid_traceparent_gives_a_remote_span_context() {
    let sc = extract(&[("traceparent", VALID)]);
    assert_eq!(sc.trace_id().to_string(), TRACE_ID);
    assert_eq!(sc.span_id().to_string(), SPAN_ID);
    assert!(sc.is_sampled());
    assert!(sc.is_remote());
}

#[test]
fn traceparent_version_ff_is_invalid() {
    assert!(refused(
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    ));
}

#[test]
fn traceparent_version_00_with_trailing_data_is_invalid() {
    assert!(refused(&format!("{VALID}-")));
    assert!(refused(&format!("{VALID}-extra")));
    assert!(refused(&format!("{VALID}0")));
}

#[test]
fn traceparent_higher_version_reads_the_first_55_chars_then_a_dash() {
    let sc = extract(&[(
        "traceparent",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds",
    )]);
    assert_eq!(sc.trace_id().to_string(), TRACE_ID);
    assert!(sc.is_sampled());
}

#[test]
fn traceparent_higher_version_of_exactly_55_chars_is_valid() {
    let sc = extract(&[(
        "traceparent",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    )]);
    assert!(sc.is_valid());
    assert!(!sc.is_sampled());
}

#[test]
fn traceparent_higher_version_followed_by_other_than_a_dash_is_invalid() {
    assert!(refused(
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.future"
    ));
    assert!(refused(
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0100"
    ));
}

#[test]
fn traceparent_higher_version_is_sent_on_as_version_00() {
    let cx = TraceContextPropagator::new().extract_with_context(
        &Context::new(),
        &headers(&[(
            "traceparent",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more",
        )]),
    );
    let mut out = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut out);
    assert_eq!(out["traceparent"], VALID);
}

#[test]
fn traceparent_upper_case_hex_is_invalid() {
    assert!(refused(
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"
    ));
    assert!(refused(
        "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"
    ));
}

#[test]
fn traceparent_all_zero_trace_id_is_invalid() {
    assert!(refused(
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
    ));
}

#[test]
fn traceparent_all_zero_span_id_is_invalid() {
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"
    ));
}

#[test]
fn traceparent_fields_of_the_wrong_length_are_invalid() {
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"
    ));
    assert!(refused(
        "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    ));
}

#[test]
fn traceparent_non_hex_characters_are_invalid() {
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01"
    ));
    assert!(refused(
        "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"
    ));
}

#[test]
fn traceparent_delimiters_other_than_dash_are_invalid() {
    assert!(refused(
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736.00f067aa0ba902b7-01"
    ));
}

#[test]
fn traceparent_surrounded_by_spaces_and_tabs_is_valid() {
    let sc = extract(&[("traceparent", &format!(" \t {VALID}\t  "))]);
    assert_eq!(sc.span_id().to_string(), SPAN_ID);
}

#[test]
fn traceparent_with_whitespace_inside_is_invalid() {
    assert!(refused(
        "00- 4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    ));
    assert!(refused(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7 -01"
    ));
}

#[test]
fn empty_or_missing_traceparent_leaves_the_context_unchanged() {
    assert!(refused(""));
    assert!(refused("   "));
    let before = existing();
    let after = TraceContextPropagator::new().extract_with_context(&before, &HeaderMap::new());
    assert_eq!(after.span().span_context(), before.span().span_context());
}

#[test]
fn two_traceparent_headers_are_invalid_even_when_equal() {
    let before = existing();
    let after = TraceContextPropagator::new().extract_with_context(
        &before,
        &headers(&[("traceparent", VALID), ("traceparent", VALID)]),
    );
    assert_eq!(after.span().span_context(), before.span().span_context());
}

#[test]
fn header_names_are_case_insensitive() {
    let sc = extract(&[("TraceParent", VALID), ("TRACESTATE", "a=1")]);
    assert!(sc.is_valid());
    assert_eq!(sc.trace_state().get("a"), Some("1"));
    let map = HashMap::from([("TRACEPARENT".to_owned(), VALID.to_owned())]);
    let cx = TraceContextPropagator::new().extract_with_context(&Context::new(), &map);
    assert!(cx.span().span_context().is_valid());
}

#[test]
fn unknown_flag_bits_are_ignored_on_extract() {
    let sc = extract(&[(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff",
    )]);
    assert_eq!(sc.trace_flags(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
}

#[test]
fn the_random_flag_is_kept_when_continuing_a_trace() {
    let sc = extract(&[(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02",
    )]);
    assert!(sc.trace_flags().is_random());
    assert!(!sc.is_sampled());
    assert!(inject(sc)["traceparent"].ends_with("-02"));
}

#[test]
fn extraction_keeps_the_other_values_of_the_context() {
    let cx = Baggage::new().insert("k", "v").in_context(&Context::new());
    let out = TraceContextPropagator::new()
        .extract_with_context(&cx, &headers(&[("traceparent", VALID)]));
    assert!(out.span().span_context().is_valid());
    assert_eq!(Baggage::from_context(&out).get("k"), Some("v"));
}

#[test]
fn a_valid_traceparent_replaces_the_span_of_the_given_context() {
    let out = TraceContextPropagator::new()
        .extract_with_context(&existing(), &headers(&[("traceparent", VALID)]));
    assert_eq!(out.span().span_context().trace_id().to_string(), TRACE_ID);
}

#[test]
fn tracestate_is_read_beside_a_valid_traceparent() {
    let sc = extract(&[
        ("traceparent", VALID),
        ("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
    ]);
    assert_eq!(sc.trace_state().get("congo"), Some("t61rcWkgMzE"));
    assert_eq!(sc.trace_state().len(), 2);
}

#[test]
fn tracestate_is_ignored_without_a_valid_traceparent() {
    let before = existing();
    let after = TraceContextPropagator::new().extract_with_context(
        &before,
        &headers(&[
            (
                "traceparent",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            ),
            ("tracestate", "a=1"),
        ]),
    );
    assert_eq!(after.span().span_context(), before.span().span_context());
    assert!(after.span().span_context().trace_state().is_empty());
}

#[test]
fn several_tracestate_headers_are_joined_in_order() {
    let sc = extract(&[
        ("traceparent", VALID),
        ("tracestate", "a=1,b=2"),
        ("tracestate", "c=3"),
    ]);
    assert_eq!(sc.trace_state().header(), "a=1,b=2,c=3");
}

#[test]
fn an_invalid_tracestate_is_dropped_but_the_traceparent_kept() {
    let sc = extract(&[("traceparent", VALID), ("tracestate", "a=1,@bad=2")]);
    assert!(sc.is_valid());
    assert!(sc.trace_state().is_empty());
}

#[test]
fn an_invalid_member_in_a_second_tracestate_header_drops_both() {
    let sc = extract(&[
        ("traceparent", VALID),
        ("tracestate", "a=1"),
        ("tracestate", "B=2"),
    ]);
    assert!(sc.is_valid());
    assert!(sc.trace_state().is_empty());
}

#[test]
fn tracestate_of_33_members_is_dropped() {
    let members: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
    let sc = extract(&[("traceparent", VALID), ("tracestate", &members.join(","))]);
    assert!(sc.is_valid());
    assert!(sc.trace_state().is_empty());
    let sc = extract(&[
        ("traceparent", VALID),
        ("tracestate", &members[..32].join(",")),
    ]);
    assert_eq!(sc.trace_state().len(), 32);
}

#[test]
fn tracestate_keys_may_hold_at_signs_but_not_start_with_one() {
    let sc = extract(&[
        ("traceparent", VALID),
        ("tracestate", "foo@bar=1,foo@@bar=2"),
    ]);
    assert_eq!(sc.trace_state().len(), 2);
    let sc = extract(&[("traceparent", VALID), ("tracestate", "@foo=1")]);
    assert!(sc.trace_state().is_empty());
}

#[test]
fn tracestate_key_of_257_chars_drops_the_header() {
    let key = "a".repeat(257);
    let sc = extract(&[
        ("traceparent", VALID),
        ("tracestate", &format!("{key}=1,b=2")),
    ]);
    assert!(sc.trace_state().is_empty());
}

#[test]
fn tracestate_duplicate_keys_are_sent_on_once() {
    let sc = extract(&[("traceparent", VALID), ("tracestate", "foo=1,foo=1")]);
    assert_eq!(inject(sc)["tracestate"], "foo=1");
}

#[test]
fn tracestate_empty_value_drops_the_header() {
    let sc = extract(&[("traceparent", VALID), ("tracestate", "foo=")]);
    assert!(sc.is_valid());
    assert!(sc.trace_state().is_empty());
}

#[test]
fn inject_writes_version_00_in_lowercase() {
    let out = inject(span_context(0x01, ""));
    assert_eq!(out["traceparent"], VALID);
}

#[test]
fn inject_sends_unknown_flag_bits_as_zero() {
    let out = inject(span_context(0xff, ""));
    assert!(
        out["traceparent"].ends_with("-03"),
        "{}",
        out["traceparent"]
    );
    let out = inject(span_context(0xfc, ""));
    assert!(
        out["traceparent"].ends_with("-00"),
        "{}",
        out["traceparent"]
    );
}

#[test]
fn inject_writes_the_tracestate() {
    let out = inject(span_context(0x01, "rojo=1,congo=2"));
    assert_eq!(out["tracestate"], "rojo=1,congo=2");
}

#[test]
fn inject_omits_an_empty_tracestate() {
    let out = inject(span_context(0x01, ""));
    assert_eq!(out.len(), 1);
    assert!(!out.contains_key("tracestate"));
}

#[test]
fn inject_truncates_the_tracestate_to_512_chars() {
    let members: Vec<String> = (0..8)
        .map(|i| format!("k{i}={}", "v".repeat(100)))
        .collect();
    let out = inject(span_context(0x01, &members.join(",")));
    assert!(
        out["tracestate"].len() <= 512,
        "{}",
        out["tracestate"].len()
    );
    assert!(out["tracestate"].starts_with("k0="));
    assert!(out["tracestate"].len() > 400);
}

#[test]
fn inject_writes_nothing_for_an_invalid_span_context() {
    let mut out = HashMap::new();
    TraceContextPropagator::new().inject_context(&Context::new(), &mut out);
    let zero_span = SpanContext::new(
        TraceId::from_int(1),
        SpanId::INVALID,
        TraceFlags::SAMPLED,
        true,
        "a=1".parse().unwrap(),
    );
    let cx = Context::new().with_remote_span_context(zero_span);
    TraceContextPropagator::new().inject_context(&cx, &mut out);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn inject_and_extract_use_the_current_context_by_default() {
    let cx = Context::new().with_remote_span_context(span_context(0x01, ""));
    let _guard = cx.attach();
    let mut out = HashMap::new();
    TraceContextPropagator::new().inject(&mut out);
    assert_eq!(out["traceparent"], VALID);
    let extracted = TraceContextPropagator::new().extract(&HashMap::<String, String>::new());
    assert_eq!(
        extracted.span().span_context().span_id().to_string(),
        SPAN_ID
    );
}

#[test]
fn fields_are_traceparent_and_tracestate() {
    assert_eq!(
        TraceContextPropagator::new().fields(),
        ["traceparent", "tracestate"]
    );
}
