//! What every extraction must satisfy, whatever the input: checked by the
//! fuzz test here and by the cargo-fuzz targets in propagation/fuzz.

use std::collections::HashMap;

use spanlite_api::TraceState;
use spanlite_api::{Baggage, BaggageEntry, Context, SpanContext, SpanId, TraceFlags, TraceId};
use spanlite_propagation::Extractor;

use super::targets::{Keeps, Reads, Target};

/// What a run of inputs read.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) inputs: u64,
    pub(crate) span_contexts: u64,
    pub(crate) baggage: u64,
}

/// A valid local span context with a trace state and baggage: what an
/// extraction must keep unless it reads a valid replacement.
pub(crate) fn parent() -> Context {
    let span_context = SpanContext::new(
        TraceId::from_int(0xaaaa),
        SpanId::from_int(0xbbbb),
        TraceFlags::SAMPLED,
        false,
        "kept=1".parse().unwrap_or_default(),
    );
    Baggage::new()
        .insert("kept", "1")
        .in_context(&Context::new().with_span_context(span_context))
}

pub(crate) fn check(
    target: &Target,
    carrier: &dyn Extractor,
    use_header_map: bool,
    parent: &Context,
    stats: &mut Stats,
) {
    let propagator = &target.propagator;
    let empty = Context::new();

    // What it reads is a valid remote span context, or nothing.
    let read = propagator.extract_with_context(&empty, carrier);
    let span_context = read.span().span_context().clone();
    if read.has_span() {
        assert!(span_context.is_valid(), "an invalid span context was read");
        assert!(span_context.is_remote(), "a span context read is remote");
        stats.span_contexts += 1;
    }
    let baggage = Baggage::from_context(&read);
    if !baggage.is_empty() {
        assert!(baggage.iter().all(|e| !e.name().is_empty()), "{baggage:?}");
        stats.baggage += 1;
    }
    if target.reads_baggage == Reads::Nothing {
        assert!(read.get::<Baggage>().is_none(), "baggage from nowhere");
    }

    // On top of a valid context: kept, or replaced by what was read.
    let over = propagator.extract_with_context(parent, carrier);
    let kept = parent.span().span_context();
    let now = over.span().span_context();
    if read.has_span() {
        assert_eq!(
            now, &span_context,
            "the replacement is what the headers say"
        );
    } else {
        assert_eq!(now, kept, "a valid parent was replaced by nothing");
    }
    let parent_baggage = Baggage::from_context(parent);
    let over_baggage = Baggage::from_context(&over);
    match target.reads_baggage {
        Reads::Nothing => assert_eq!(over_baggage, parent_baggage),
        Reads::Replacing if baggage.is_empty() => assert_eq!(over_baggage, parent_baggage),
        Reads::Replacing => assert_eq!(over_baggage, baggage),
        Reads::Merging => {
            let merged: Baggage = parent_baggage.iter().chain(&baggage).cloned().collect();
            assert_eq!(over_baggage, merged);
        }
        Reads::Somehow => assert!(!over_baggage.is_empty(), "the baggage was lost"),
    }

    if read.has_span() || !baggage.is_empty() {
        round_trip(target, &read, use_header_map);
    }
}

/// Writes what was read into the kind of carrier it came from, reads it
/// back, and compares.
pub(crate) fn round_trip(target: &Target, read: &Context, use_header_map: bool) {
    let propagator = &target.propagator;
    // Shown only when an assertion fails.
    let written: Box<dyn std::fmt::Debug>;
    let back = if use_header_map {
        let mut headers = http::HeaderMap::new();
        propagator.inject_context(read, &mut headers);
        let back = propagator.extract_with_context(&Context::new(), &headers);
        written = Box::new(headers);
        back
    } else {
        let mut map = HashMap::new();
        propagator.inject_context(read, &mut map);
        let back = propagator.extract_with_context(&Context::new(), &map);
        written = Box::new(map);
        back
    };

    let sent = read.span().span_context();
    let got = back.span().span_context();
    assert_eq!(back.has_span(), read.has_span(), "{written:?}");
    match target.round_trip {
        Keeps::IdsAndSampling => {
            assert_eq!(got.trace_id(), sent.trace_id(), "{written:?}");
            assert_eq!(got.span_id(), sent.span_id(), "{written:?}");
            assert_eq!(got.is_sampled(), sent.is_sampled(), "{written:?}");
        }
        Keeps::SpanContext | Keeps::Everything => {
            // `tracestate` is sent truncated to 512 characters.
            let state = sent.trace_state();
            let sent_state: TraceState = state.header().parse().unwrap_or_default();
            let expected = sent.clone().with_trace_state(sent_state);
            assert_eq!(got, &expected, "{written:?}");
        }
    }
    if target.round_trip == Keeps::Everything {
        let sent = Baggage::from_context(read);
        let got = Baggage::from_context(&back);
        if fits_in_one_header(&sent) {
            assert_eq!(got, sent, "{written:?}");
        } else {
            // Members past the W3C limits are dropped whole.
            assert!(got.iter().all(|e| sent.entry(e.name()) == Some(e)));
        }
    }
}

/// Whether every entry goes into one `baggage` header: at most 64 members
/// and 8192 bytes, each member `name=percent-encoded value[;metadata]`.
pub(crate) fn fits_in_one_header(baggage: &Baggage) -> bool {
    let plain = |b: u8| matches!(b, 0x21 | 0x23..=0x24 | 0x26..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
    let member_len = |e: &BaggageEntry| {
        let value: usize = e
            .value()
            .bytes()
            .map(|b| if plain(b) { 1 } else { 3 })
            .sum();
        let metadata = if e.metadata().is_empty() {
            0
        } else {
            1 + e.metadata().len()
        };
        e.name().len() + 1 + value + metadata
    };
    let len: usize =
        baggage.iter().map(member_len).sum::<usize>() + baggage.len().saturating_sub(1);
    baggage.len() <= 64 && len <= 8192
}

/// The headers as a `HashMap`: values as text (invalid UTF-8 replaced),
/// names that differ only in case as one repeated header.
pub(crate) fn hash_map(headers: &[(String, Vec<u8>)]) -> HashMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| (name.clone(), String::from_utf8_lossy(value).into_owned()))
        .collect()
}

/// The headers as an `http::HeaderMap`: repeated names appended, bytes a
/// header value may not hold (controls) replaced, invalid names skipped.
pub(crate) fn header_map(headers: &[(String, Vec<u8>)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        let value: Vec<u8> = value
            .iter()
            .map(|&b| {
                if (b < 0x20 && b != b'\t') || b == 0x7f {
                    b'?'
                } else {
                    b
                }
            })
            .collect();
        let name = http::HeaderName::from_bytes(name.as_bytes());
        if let (Ok(name), Ok(value)) = (name, http::HeaderValue::from_bytes(&value)) {
            map.append(name, value);
        }
    }
    map
}
