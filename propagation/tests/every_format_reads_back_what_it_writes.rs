//! Property tests, one per format: a value written as headers (by the
//! propagator, or by hand the way other tracers write it) is read back as
//! the same value, from a `HashMap` and from an `http::HeaderMap`, and
//! written again unchanged.
#![cfg(feature = "http")]

use std::collections::HashMap;

use proptest::collection::vec;
use proptest::prelude::*;
use spanlite_api::{
    Baggage, BaggageEntry, Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState,
};
use spanlite_propagation::{
    B3Encoding, B3Propagator, BaggagePropagator, JaegerPropagator, TextMapPropagator,
    TraceContextPropagator,
};

/// Non-zero ids, often short (64-bit trace ids, leading zero digits).
fn trace_id() -> impl Strategy<Value = u128> {
    prop_oneof![
        1..=u128::MAX,
        (1..=u128::from(u64::MAX)),
        (0..128u32, 1..=u128::MAX).prop_map(|(shift, id)| (id >> shift).max(1)),
    ]
}

fn span_id() -> impl Strategy<Value = u64> {
    prop_oneof![
        1..=u64::MAX,
        (0..64u32, 1..=u64::MAX).prop_map(|(shift, id)| (id >> shift).max(1)),
    ]
}

/// W3C tracestate keys, multi-tenant `tenant@system` ones too.
fn trace_state_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9][a-z0-9_*/@-]{0,20}",
        2 => "[a-z0-9][a-z0-9_*/-]{0,12}@[a-z][a-z0-9_*/-]{0,13}",
        1 => "[a-z0-9][a-z0-9_*/@-]{200,255}",
    ]
}

/// Printable ASCII but `,` and `=`, not ending in a space.
fn trace_state_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ -+\\--<>-~]{0,30}[!-+\\--<>-~]",
        1 => "[ -+\\--<>-~]{200,255}[!-+\\--<>-~]",
    ]
}

/// Up to 32 members with distinct keys (a repeated key keeps the first).
fn trace_state() -> impl Strategy<Value = TraceState> {
    vec((trace_state_key(), trace_state_value()), 0..=32).prop_map(|members| {
        let mut distinct: Vec<(String, String)> = Vec::new();
        for (key, value) in members {
            if !distinct.iter().any(|(k, _)| *k == key) {
                distinct.push((key, value));
            }
        }
        TraceState::from_key_value(distinct).expect("generated members are valid")
    })
}

/// Writes with `propagator` into a `HashMap` and an `http::HeaderMap`,
/// checks that they hold the same headers, and returns the `HashMap`.
fn inject(propagator: &dyn TextMapPropagator, cx: &Context) -> HashMap<String, String> {
    let mut map = HashMap::new();
    propagator.inject_context(cx, &mut map);
    let mut headers = http::HeaderMap::new();
    propagator.inject_context(cx, &mut headers);
    let from_headers: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    assert_eq!(from_headers, map);
    map
}

/// Reads with `propagator` from `headers` as a `HashMap` and as an
/// `http::HeaderMap`, checks that both read the same, and returns it.
fn extract(propagator: &dyn TextMapPropagator, headers: &[(String, String)]) -> Context {
    let map: HashMap<String, String> = headers.iter().cloned().collect();
    let cx = propagator.extract_with_context(&Context::new(), &map);
    let mut header_map = http::HeaderMap::new();
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        header_map.append(name, http::HeaderValue::from_str(value).unwrap());
    }
    let other = propagator.extract_with_context(&Context::new(), &header_map);
    assert_eq!(other.span().span_context(), cx.span().span_context());
    // Jaeger reads `uberctx-` headers in the carrier's key order.
    assert_eq!(
        sorted(&Baggage::from_context(&other)),
        sorted(&Baggage::from_context(&cx))
    );
    cx
}

fn sorted(baggage: &Baggage) -> Vec<BaggageEntry> {
    let mut entries: Vec<BaggageEntry> = baggage.iter().cloned().collect();
    entries.sort_by(|a, b| a.name().cmp(b.name()));
    entries
}

fn pairs(map: &HashMap<String, String>) -> Vec<(String, String)> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn remote(trace_id: u128, span_id: u64, flags: TraceFlags, state: TraceState) -> SpanContext {
    SpanContext::new(
        TraceId::from_int(trace_id),
        SpanId::from_int(span_id),
        flags,
        true,
        state,
    )
}

proptest! {
    #[test]
    fn traceparent_and_tracestate_read_back_what_was_written(
        trace_id in trace_id(),
        span_id in span_id(),
        flags in any::<u8>(),
        state in trace_state(),
    ) {
        let propagator = TraceContextPropagator::new();
        let sent = SpanContext::new(
            TraceId::from_int(trace_id),
            SpanId::from_int(span_id),
            TraceFlags::new(flags),
            false,
            state.clone(),
        );
        let headers = inject(&propagator, &Context::new().with_span_context(sent));
        let traceparent = &headers["traceparent"];
        prop_assert_eq!(
            traceparent,
            &format!("00-{trace_id:032x}-{span_id:016x}-{:02x}", flags & 0x03)
        );

        let cx = extract(&propagator, &pairs(&headers));
        // Only the sampled and random flags travel; a tracestate over 512
        // characters is sent truncated.
        let expected_state = state.header().parse().unwrap_or_default();
        if state.to_string().len() <= 512 {
            prop_assert_eq!(&expected_state, &state);
        }
        let expected = remote(trace_id, span_id, TraceFlags::new(flags).known(), expected_state);
        prop_assert_eq!(cx.span().span_context(), &expected);
        prop_assert_eq!(inject(&propagator, &cx), headers);
    }

    #[test]
    fn baggage_reads_back_what_was_written(
        entries in vec((token(), any_text(), properties()), 0..20)
    ) {
        let propagator = BaggagePropagator::new();
        let baggage: Baggage = entries
            .into_iter()
            .map(|(name, value, metadata)| BaggageEntry::new(name, value).with_metadata(metadata))
            .collect();
        let headers = inject(&propagator, &baggage.clone().in_context(&Context::new()));
        prop_assert_eq!(headers.is_empty(), baggage.is_empty());

        let cx = extract(&propagator, &pairs(&headers));
        prop_assert_eq!(Baggage::from_context(&cx), baggage);
        prop_assert_eq!(inject(&propagator, &cx), headers);
    }

    #[test]
    fn b3_single_header_reads_back_what_was_written(
        trace_id in trace_id(),
        span_id in span_id(),
        parent in proptest::option::of(span_id()),
        sampling in prop_oneof![Just(""), Just("0"), Just("1"), Just("d")],
        upper in any::<bool>(),
    ) {
        // As other tracers write it: a 64-bit trace id in 16 digits.
        let mut header = hex_trace_id(trace_id);
        header.push_str(&format!("-{span_id:016x}"));
        if !sampling.is_empty() {
            header.push_str(&format!("-{sampling}"));
            if let Some(parent) = parent {
                header.push_str(&format!("-{parent:016x}"));
            }
        }
        if upper {
            header = header.to_ascii_uppercase().replace("-D", "-d");
        }
        let propagator = B3Propagator::new();
        let cx = extract(&propagator, &[("b3".to_owned(), header)]);
        let sampled = matches!(sampling, "1" | "d");
        let expected = remote(trace_id, span_id, TraceFlags::NONE.with_sampled(sampled), TraceState::NONE);
        prop_assert_eq!(cx.span().span_context(), &expected);

        let written = inject(&propagator, &cx);
        let sampled = if sampled { "1" } else { "0" };
        prop_assert_eq!(&written["b3"], &format!("{trace_id:032x}-{span_id:016x}-{sampled}"));
        let again = extract(&propagator, &pairs(&written));
        prop_assert_eq!(again.span().span_context(), &expected);
    }

    #[test]
    fn b3_multiple_headers_read_back_what_was_written(
        trace_id in trace_id(),
        span_id in span_id(),
        parent in proptest::option::of(span_id()),
        sampled in proptest::option::of(prop_oneof![Just("0"), Just("1"), Just("true"), Just("false")]),
        debug in any::<bool>(),
    ) {
        let mut headers = vec![
            ("X-B3-TraceId".to_owned(), hex_trace_id(trace_id)),
            ("X-B3-SpanId".to_owned(), format!("{span_id:016x}")),
        ];
        if let Some(parent) = parent {
            headers.push(("X-B3-ParentSpanId".to_owned(), format!("{parent:016x}")));
        }
        if let Some(sampled) = sampled {
            headers.push(("X-B3-Sampled".to_owned(), sampled.to_owned()));
        }
        if debug {
            headers.push(("X-B3-Flags".to_owned(), "1".to_owned()));
        }
        let propagator = B3Propagator::with_encoding(B3Encoding::MultipleHeaders);
        let cx = extract(&propagator, &headers);
        let sampled = debug || matches!(sampled, Some("1" | "true"));
        let expected = remote(trace_id, span_id, TraceFlags::NONE.with_sampled(sampled), TraceState::NONE);
        prop_assert_eq!(cx.span().span_context(), &expected);

        let written = inject(&propagator, &cx);
        prop_assert_eq!(&written["x-b3-traceid"], &format!("{trace_id:032x}"));
        let again = extract(&propagator, &pairs(&written));
        prop_assert_eq!(again.span().span_context(), &expected);
    }

    #[test]
    fn jaeger_reads_back_what_was_written(
        trace_id in trace_id(),
        span_id in span_id(),
        parent in any::<u64>(),
        flags in any::<u8>(),
        padded in any::<bool>(),
        encoded in any::<bool>(),
        baggage in vec(("[a-z0-9][a-z0-9-]{0,12}", any_text()), 0..6),
    ) {
        // Ids as Jaeger clients write them: without leading zeros, or padded.
        let mut header = if padded {
            format!("{trace_id:032x}:{span_id:016x}:{parent:016x}:{flags:02x}")
        } else {
            format!("{trace_id:x}:{span_id:x}:{parent:x}:{flags:x}")
        };
        if encoded {
            header = header.replace(':', "%3A");
        }
        let mut headers = vec![("uber-trace-id".to_owned(), header)];
        let mut expected_baggage = Baggage::new();
        for (name, value) in &baggage {
            headers.retain(|(k, _)| *k != format!("uberctx-{name}"));
            headers.push((format!("uberctx-{name}"), percent_encode(value)));
            expected_baggage = expected_baggage.insert(name.clone(), value.clone());
        }
        let propagator = JaegerPropagator::new();
        let cx = extract(&propagator, &headers);
        let sampled = flags & 0x03 != 0;
        let expected = remote(trace_id, span_id, TraceFlags::NONE.with_sampled(sampled), TraceState::NONE);
        prop_assert_eq!(cx.span().span_context(), &expected);
        let read = Baggage::from_context(&cx);
        prop_assert_eq!(read.len(), expected_baggage.len());
        for entry in &expected_baggage {
            prop_assert_eq!(read.get(entry.name()), Some(entry.value()));
        }

        let written = inject(&propagator, &cx);
        let sampled = if sampled { "1" } else { "0" };
        prop_assert_eq!(
            &written["uber-trace-id"],
            &format!("{trace_id:032x}:{span_id:016x}:0:{sampled}")
        );
        let again = extract(&propagator, &pairs(&written));
        prop_assert_eq!(again.span().span_context(), &expected);
    }
}

/// An RFC 7230 token: a baggage name or property key.
fn token() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}"
}

/// Any text, controls and every plane included: what percent-encoding is
/// for.
fn any_text() -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..12).prop_map(String::from_iter)
}

/// A property list in the normalised form extraction gives: `k`, `k=v`,
/// joined by `;`, values of `baggage-octet`s.
fn properties() -> impl Strategy<Value = String> {
    let property = prop_oneof![
        token(),
        (token(), "[!#-+\\--:<-\\[\\]-~]{0,8}").prop_map(|(k, v)| format!("{k}={v}")),
    ];
    vec(property, 0..3).prop_map(|properties| properties.join(";"))
}

/// A trace id in hex as other tracers write it: 16 digits when it fits in
/// 64 bits, else 32.
fn hex_trace_id(trace_id: u128) -> String {
    if trace_id <= u128::from(u64::MAX) {
        format!("{trace_id:016x}")
    } else {
        format!("{trace_id:032x}")
    }
}

/// Every byte but ASCII letters and digits as `%XX`.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
