//! Hundreds of thousands of garbled headers through every extractor: none
//! panics, and none replaces a valid context with an invalid one.

use std::collections::HashMap;

use spanlite_api::{Baggage, Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use spanlite_propagation::{
    default_propagator, B3Encoding, B3Propagator, BaggagePropagator, Extractor, JaegerPropagator,
    TextMapPropagator, TraceContextPropagator,
};

/// xorshift64: reproducible garbage.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &[
    "traceparent",
    "TraceParent",
    "tracestate",
    "baggage",
    "b3",
    "X-B3-TraceId",
    "x-b3-spanid",
    "x-b3-parentspanid",
    "x-b3-sampled",
    "x-b3-flags",
    "uber-trace-id",
    "uberctx-user",
    "UBERCTX-",
];

/// Valid headers, the starting points for mutation.
const SEEDS: &[&str] = &[
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-future",
    "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,foo@bar=1",
    "key1=value1;prop1=x;prop2,key2=va%20lue2",
    "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1-05e3ac9a4f6e3b90",
    "a3ce929d0e0e4736-00f067aa0ba902b7-d",
    "0",
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "00f067aa0ba902b7",
    "true",
    "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1",
    "abc%3A1f%3A0%3A3",
];

const ALPHABET: &[char] = &[
    '0',
    '1',
    '9',
    'a',
    'f',
    'g',
    'A',
    'F',
    'z',
    '-',
    ':',
    ';',
    ',',
    '=',
    '%',
    ' ',
    '\t',
    '_',
    '.',
    '@',
    '*',
    '/',
    '"',
    '\\',
    '\u{0}',
    '\u{7f}',
    'é',
    '日',
    '\u{1F600}',
    '\u{fffd}',
];

/// A random string, or a valid header with a few random edits.
fn garble(rng: &mut Rng) -> String {
    if rng.below(4) == 0 {
        let len = rng.below(90);
        return (0..len).map(|_| *rng.pick(ALPHABET)).collect();
    }
    let mut chars: Vec<char> = rng.pick(SEEDS).chars().collect();
    for _ in 0..rng.below(5) {
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 if at < chars.len() => chars[at] = *rng.pick(ALPHABET),
            1 => chars.insert(at, *rng.pick(ALPHABET)),
            2 if at < chars.len() => {
                chars.remove(at);
            }
            3 => chars.truncate(at),
            4 if at < chars.len() => chars[at] = chars[at].to_ascii_uppercase(),
            _ => {
                let copy: Vec<char> = chars[at..].to_vec();
                chars.extend(copy);
            }
        }
    }
    chars.into_iter().collect()
}

/// A valid, local span context with baggage: what extraction must keep
/// unless it finds a valid replacement.
fn existing() -> Context {
    let sc = SpanContext::new(
        TraceId::from_int(0xaaaa),
        SpanId::from_int(0xbbbb),
        TraceFlags::SAMPLED,
        false,
        TraceState::NONE,
    );
    Baggage::new()
        .insert("kept", "1")
        .in_context(&Context::new().with_span_context(sc))
}

fn propagators() -> Vec<Box<dyn TextMapPropagator>> {
    vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
        Box::new(B3Propagator::new()),
        Box::new(B3Propagator::with_encoding(B3Encoding::MultipleHeaders)),
        Box::new(JaegerPropagator::new()),
        Box::new(default_propagator()),
    ]
}

/// Extracts with every propagator; returns how many found a valid
/// replacement, so that a test can show the inputs reach the parsers.
fn check(
    propagators: &[Box<dyn TextMapPropagator>],
    before: &Context,
    carrier: &dyn Extractor,
) -> usize {
    let mut replaced = 0;
    for propagator in propagators {
        let after = propagator.extract_with_context(before, carrier);
        let sc = after.span().span_context();
        assert!(
            sc.is_valid(),
            "{propagator:?} lost the context to {:?}",
            carrier.keys()
        );
        if sc != before.span().span_context() {
            assert!(
                sc.is_remote(),
                "{propagator:?}: a replacement comes from the headers"
            );
            replaced += 1;
        }
        assert!(
            !Baggage::from_context(&after).is_empty(),
            "{propagator:?} lost the baggage"
        );
    }
    replaced
}

#[test]
fn garbled_strings_never_panic_nor_replace_a_valid_context() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let propagators = propagators();
    let before = existing();
    let mut replaced = 0;
    for _ in 0..100_000 {
        let mut carrier = HashMap::new();
        for _ in 0..=rng.below(3) {
            carrier.insert((*rng.pick(NAMES)).to_owned(), garble(&mut rng));
        }
        replaced += check(&propagators, &before, &carrier);
    }
    assert!(replaced > 1000, "only {replaced} inputs were read as valid");
}

#[cfg(feature = "http")]
#[test]
fn garbled_header_bytes_never_panic_nor_replace_a_valid_context() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let propagators = propagators();
    let before = existing();
    let mut replaced = 0;
    for _ in 0..100_000 {
        let mut headers = http::HeaderMap::new();
        for _ in 0..=rng.below(4) {
            let mut bytes = garble(&mut rng).into_bytes();
            if rng.below(4) == 0 && !bytes.is_empty() {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8; // any byte, UTF-8 or not
            }
            let name = http::HeaderName::from_bytes(rng.pick(NAMES).as_bytes());
            if let (Ok(name), Ok(value)) = (name, http::HeaderValue::from_bytes(&bytes)) {
                headers.append(name, value); // repeated headers too
            }
        }
        replaced += check(&propagators, &before, &headers);
    }
    assert!(replaced > 1000, "only {replaced} inputs were read as valid");
}

#[test]
fn garbled_strings_through_an_empty_context_never_panic() {
    let mut rng = Rng(0x0f0f_0f0f_1234_4321);
    let propagators = propagators();
    let empty = Context::new();
    for _ in 0..100_000 {
        let carrier = HashMap::from([((*rng.pick(NAMES)).to_owned(), garble(&mut rng))]);
        for propagator in &propagators {
            let after = propagator.extract_with_context(&empty, &carrier);
            let sc = after.span().span_context();
            // Whatever was read is either nothing or a valid remote context.
            assert!(!after.has_span() || (sc.is_valid() && sc.is_remote()));
        }
    }
}
