//! Property-style round trips over pseudo-random values: what a propagator
//! writes, it reads back as the same value, and writes again unchanged.

use std::collections::HashMap;

use spanlite_api::{Baggage, BaggageEntry, Context, SpanContext, SpanId, TraceFlags, TraceId};
use spanlite_propagation::{
    B3Encoding, B3Propagator, BaggagePropagator, JaegerPropagator, TextMapPropagator,
    TraceContextPropagator,
};

/// xorshift64: reproducible, and enough to spread inputs around.
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

    fn string(&mut self, alphabet: &[char], min: usize, max: usize) -> String {
        let len = min + self.below(max - min + 1);
        (0..len).map(|_| *self.pick(alphabet)).collect()
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// A span context with random non-zero ids and random flag bits.
fn span_context(rng: &mut Rng) -> SpanContext {
    let trace_id = (u128::from(rng.next()) << 64) | u128::from(rng.next());
    // Shifted right by a random amount, so that short ids come up too.
    let trace_id = trace_id >> rng.below(128);
    SpanContext::new(
        TraceId::from_int(trace_id.max(1)),
        SpanId::from_int((rng.next() >> rng.below(64)).max(1)),
        TraceFlags::new(rng.next() as u8),
        true,
        spanlite_api::TraceState::NONE,
    )
}

/// A valid tracestate of up to 6 short members.
fn trace_state(rng: &mut Rng) -> spanlite_api::TraceState {
    let first = chars("abcdefghijklmnopqrstuvwxyz0123456789");
    let rest = chars("abcdefghijklmnopqrstuvwxyz0123456789_-*/@");
    let value = chars("abcXYZ019 !\"#$%&'()*+-./:;<>?@[\\]^_`{|}~");
    let members: Vec<(String, String)> = (0..rng.below(7))
        .map(|i| {
            let key = format!("{}{}{i}", rng.pick(&first), rng.string(&rest, 0, 8));
            let mut value = rng.string(&value, 0, 12);
            value.push('v'); // never empty, never ending in a space
            (key, value)
        })
        .collect();
    spanlite_api::TraceState::from_key_value(members).unwrap()
}

fn inject(propagator: &dyn TextMapPropagator, cx: &Context) -> HashMap<String, String> {
    let mut out = HashMap::new();
    propagator.inject_context(cx, &mut out);
    out
}

#[test]
fn traceparent_and_tracestate_read_back_what_was_written() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let propagator = TraceContextPropagator::new();
    for _ in 0..5000 {
        let sc = span_context(&mut rng).with_trace_state(trace_state(&mut rng));
        let headers = inject(
            &propagator,
            &Context::new().with_remote_span_context(sc.clone()),
        );
        let traceparent = &headers["traceparent"];
        assert_eq!(traceparent.len(), 55);
        assert!(traceparent.starts_with("00-"));

        let cx = propagator.extract_with_context(&Context::new(), &headers);
        let read = cx.span().span_context();
        assert_eq!(read.trace_id(), sc.trace_id());
        assert_eq!(read.span_id(), sc.span_id());
        assert_eq!(read.trace_flags(), sc.trace_flags().known());
        assert_eq!(read.trace_state(), sc.trace_state());
        assert!(read.is_remote());
        assert_eq!(inject(&propagator, &cx), headers);
    }
}

#[test]
fn b3_and_jaeger_read_back_ids_and_sampling() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let propagators: [&dyn TextMapPropagator; 3] = [
        &B3Propagator::new(),
        &B3Propagator::with_encoding(B3Encoding::MultipleHeaders),
        &JaegerPropagator::new(),
    ];
    for _ in 0..3000 {
        let sc = span_context(&mut rng);
        for propagator in propagators {
            let headers = inject(
                propagator,
                &Context::new().with_remote_span_context(sc.clone()),
            );
            let cx = propagator.extract_with_context(&Context::new(), &headers);
            let read = cx.span().span_context();
            assert_eq!(read.trace_id(), sc.trace_id(), "{propagator:?}");
            assert_eq!(read.span_id(), sc.span_id(), "{propagator:?}");
            assert_eq!(read.is_sampled(), sc.is_sampled(), "{propagator:?}");
            assert_eq!(inject(propagator, &cx), headers, "{propagator:?}");
        }
    }
}

/// Up to 10 entries: token names, values of any characters, and metadata
/// in the normalised form the propagator reads.
fn baggage(rng: &mut Rng) -> Baggage {
    let token = chars("abcXYZ019!#$%&'*+-.^_`|~");
    let octet = chars("abcXYZ019!#$%&'()*+-./:<=>?@[]^_`{|}~");
    let anything = chars("aZ9 %,;=\\\"\t\u{0}\u{7f}é日\u{1F600}\u{fffd}+~");
    (0..rng.below(11))
        .map(|_| {
            let name = rng.string(&token, 1, 10);
            let value = rng.string(&anything, 0, 20);
            let metadata: Vec<String> = (0..rng.below(3))
                .map(|_| {
                    let key = rng.string(&token, 1, 5);
                    match rng.below(2) {
                        0 => key,
                        _ => format!("{key}={}", rng.string(&octet, 0, 6)),
                    }
                })
                .collect();
            BaggageEntry::new(name, value).with_metadata(metadata.join(";"))
        })
        .collect()
}

#[test]
fn baggage_reads_back_what_was_written() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let propagator = BaggagePropagator::new();
    for _ in 0..4000 {
        let baggage = baggage(&mut rng);
        let headers = inject(&propagator, &baggage.clone().in_context(&Context::new()));
        assert_eq!(headers.is_empty(), baggage.is_empty());

        let cx = propagator.extract_with_context(&Context::new(), &headers);
        assert_eq!(Baggage::from_context(&cx), baggage, "{headers:?}");
        assert_eq!(inject(&propagator, &cx), headers);
    }
}
