//! The extractors under test: each propagator with the headers it reads,
//! a corpus of valid values for each header and a generator of more, and
//! what it may do to a context.

use spanlite_propagation::{
    B3Encoding, B3Propagator, BaggagePropagator, JaegerPropagator, TextMapCompositePropagator,
    TextMapPropagator, TraceContextPropagator,
};

use super::rng::Rng;

pub(crate) fn trace_context() -> Target {
    Target {
        name: "tracecontext",
        propagator: Box::new(TraceContextPropagator::new()),
        headers: &[TRACEPARENT, TRACESTATE],
        reads_baggage: Reads::Nothing,
        round_trip: Keeps::Everything,
    }
}

pub(crate) fn baggage() -> Target {
    Target {
        name: "baggage",
        propagator: Box::new(BaggagePropagator::new()),
        headers: &[BAGGAGE],
        reads_baggage: Reads::Replacing,
        round_trip: Keeps::Everything,
    }
}

pub(crate) fn b3_single() -> Target {
    Target {
        name: "b3",
        propagator: Box::new(B3Propagator::new()),
        headers: &[B3, B3_TRACE_ID, B3_SPAN_ID],
        reads_baggage: Reads::Nothing,
        round_trip: Keeps::Everything,
    }
}

pub(crate) fn b3_multiple() -> Target {
    Target {
        name: "b3multi",
        propagator: Box::new(B3Propagator::with_encoding(B3Encoding::MultipleHeaders)),
        headers: &[
            B3_TRACE_ID,
            B3_SPAN_ID,
            B3_PARENT_SPAN_ID,
            B3_SAMPLED,
            B3_FLAGS,
            B3,
        ],
        reads_baggage: Reads::Nothing,
        round_trip: Keeps::Everything,
    }
}

pub(crate) fn jaeger() -> Target {
    Target {
        name: "jaeger",
        propagator: Box::new(JaegerPropagator::new()),
        headers: &[UBER_TRACE_ID, UBERCTX],
        reads_baggage: Reads::Merging,
        // Jaeger injection writes no baggage.
        round_trip: Keeps::SpanContext,
    }
}

pub(crate) fn composite() -> Target {
    Target {
        name: "composite",
        propagator: Box::new(TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
            Box::new(B3Propagator::new()),
            Box::new(JaegerPropagator::new()),
        ])),
        headers: &[
            TRACEPARENT,
            TRACESTATE,
            BAGGAGE,
            B3,
            B3_TRACE_ID,
            B3_SPAN_ID,
            B3_SAMPLED,
            UBER_TRACE_ID,
            UBERCTX,
        ],
        reads_baggage: Reads::Somehow,
        // Written in every format and read back, the last format's span
        // context wins, which carries ids and sampling but no trace state.
        round_trip: Keeps::IdsAndSampling,
    }
}

/// One extractor under test.
pub(crate) struct Target {
    pub(crate) name: &'static str,
    pub(crate) propagator: Box<dyn TextMapPropagator>,
    /// The headers it reads, with their seed corpus and value generator.
    pub(crate) headers: &'static [Header],
    pub(crate) reads_baggage: Reads,
    pub(crate) round_trip: Keeps,
}

/// What extraction may do to the context's baggage.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Reads {
    /// Leaves it as it was.
    Nothing,
    /// Replaces it with what it read, when that is not empty (W3C).
    Replacing,
    /// Adds what it read, replacing entries of the same name (Jaeger).
    Merging,
    /// Some mix of the above (the composite): never loses it all.
    Somehow,
}

/// What writing an extracted context and reading it back must keep.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Keeps {
    Everything,
    SpanContext,
    IdsAndSampling,
}

/// A header name with valid values to start mutating from.
pub(crate) struct Header {
    pub(crate) name: &'static str,
    pub(crate) corpus: &'static [&'static str],
    pub(crate) fresh: fn(&mut Rng) -> Vec<u8>,
}

const TRACEPARENT: Header = Header {
    name: "traceparent",
    corpus: &[
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds",
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\t",
    ],
    fresh: fresh_traceparent,
};

const TRACESTATE: Header = Header {
    name: "tracestate",
    corpus: &[
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "foo@bar=1,foo@=2,a-b_c*d/e@f=x y z",
        "tenant@vendor=opaque,ot=th:8;rv:0123456789abcd",
        " a=1 ,, b=2\t,",
    ],
    fresh: fresh_tracestate,
};

const BAGGAGE: Header = Header {
    name: "baggage",
    corpus: &[
        "key1=value1;property1;property2=x,key2=va%20lue2",
        "user=Ada%20Lovelace,list=a%2Cb%3Bc,pct=100%25,utf=%C3%A9",
        " a = 1 ,\tb=2 ; p = q ; r ,c=",
        "k=%FF%FE,!#$%&'*+-.^_`|~=!#$&'()*+-./:<=>?@[]^_`{|}~",
    ],
    fresh: fresh_baggage,
};

const B3: Header = Header {
    name: "b3",
    corpus: &[
        "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1-05e3ac9a4f6e3b90",
        "a3ce929d0e0e4736-00f067aa0ba902b7-d",
        "a3ce929d0e0e4736-00f067aa0ba902b7",
        "4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-0",
        "0",
        "d",
    ],
    fresh: fresh_b3,
};

const B3_TRACE_ID: Header = Header {
    name: "x-b3-traceid",
    corpus: &["4bf92f3577b34da6a3ce929d0e0e4736", "a3ce929d0e0e4736"],
    fresh: fresh_trace_id_hex,
};

const B3_SPAN_ID: Header = Header {
    name: "x-b3-spanid",
    corpus: &["00f067aa0ba902b7", "05E3AC9A4F6E3B90"],
    fresh: fresh_span_id_hex,
};

const B3_PARENT_SPAN_ID: Header = Header {
    name: "x-b3-parentspanid",
    corpus: &["05e3ac9a4f6e3b90"],
    fresh: fresh_span_id_hex,
};

const B3_SAMPLED: Header = Header {
    name: "x-b3-sampled",
    corpus: &["1", "0", "true", "false", "TRUE"],
    fresh: fresh_flag,
};

const B3_FLAGS: Header = Header {
    name: "x-b3-flags",
    corpus: &["1", "0"],
    fresh: fresh_flag,
};

const UBER_TRACE_ID: Header = Header {
    name: "uber-trace-id",
    corpus: &[
        "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1",
        "abc%3A1f%3A0%3A3",
        "a3ce929d0e0e4736:00f067aa0ba902b7:05e3ac9a4f6e3b90:2",
        "1:1:0:0",
    ],
    fresh: fresh_uber_trace_id,
};

/// `uberctx-` headers: the name is completed per input.
pub(crate) const UBERCTX: Header = Header {
    name: "uberctx-",
    corpus: &["acme%20corp", "v", "%C3%A9t%C3%A9", "a,b;c=d"],
    fresh: fresh_text,
};

/// Tokens the mutator inserts: the formats' delimiters and digits, and
/// what parsers trip on.
pub(crate) const DICTIONARY: &[&[u8]] = &[
    b"-",
    b"00",
    b"01",
    b"ff",
    b"FF",
    b"0",
    b"1",
    b"d",
    b"true",
    b"=",
    b",",
    b";",
    b":",
    b"%",
    b"%2",
    b"%20",
    b"%3A",
    b"%C3%A9",
    b"%FF",
    b"%zz",
    b" ",
    b"\t",
    b"@",
    b"*",
    b"/",
    b"_",
    b"\"",
    b"\\",
    b"\x00",
    b"\x7f",
    "é".as_bytes(),
    "日".as_bytes(),
    "\u{1F600}".as_bytes(),
    "\u{fffd}".as_bytes(),
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"4bf92f3577b34da6a3ce929d0e0e4736",
    b"00f067aa0ba902b7",
    b"00000000000000000000000000000000",
    b"0000000000000000",
    b"00-",
    b"k=v",
    b"uberctx-",
];

pub(crate) const ALL_HEADERS: &[Header] = &[
    TRACEPARENT,
    TRACESTATE,
    BAGGAGE,
    B3,
    B3_TRACE_ID,
    B3_SPAN_ID,
    B3_PARENT_SPAN_ID,
    B3_SAMPLED,
    B3_FLAGS,
    UBER_TRACE_ID,
    UBERCTX,
];

fn fresh_traceparent(rng: &mut Rng) -> Vec<u8> {
    let version = if rng.below(8) == 0 {
        rng.next() as u8
    } else {
        0
    };
    let mut out = format!(
        "{version:02x}-{:032x}-{:016x}-{:02x}",
        rng.id128(),
        rng.next(),
        rng.next() as u8
    );
    if version != 0 && rng.below(2) == 0 {
        out.push_str("-future");
    }
    out.into_bytes()
}

fn fresh_tracestate(rng: &mut Rng) -> Vec<u8> {
    let first = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let rest = b"abcdefghijklmnopqrstuvwxyz0123456789_-*/@";
    let value = b"abcXYZ019 !\"#$%&'()*+-./:;<>?@[\\]^_`{|}~";
    // Up to 40 members: past 32 the header is refused.
    let most = if rng.below(8) == 0 { 41 } else { 8 };
    let members = rng.below(most);
    let mut out = Vec::new();
    for i in 0..members {
        if i > 0 {
            out.push(b',');
        }
        out.push(*rng.pick(first));
        for _ in 0..rng.below(12) {
            out.push(*rng.pick(rest));
        }
        out.push(b'=');
        for _ in 0..rng.below(20) {
            out.push(*rng.pick(value));
        }
        out.push(b'v');
    }
    out
}

fn fresh_baggage(rng: &mut Rng) -> Vec<u8> {
    let token = b"abcXYZ019!#$%&'*+-.^_`|~";
    let octet = b"abcXYZ019!#$&'()*+-./:<=>?@[]^_`{|}~%";
    let mut out = Vec::new();
    for i in 0..rng.below(12) {
        if i > 0 {
            out.push(b',');
        }
        for _ in 0..1 + rng.below(10) {
            out.push(*rng.pick(token));
        }
        out.push(b'=');
        for _ in 0..rng.below(16) {
            if rng.below(6) == 0 {
                out.extend_from_slice(format!("%{:02X}", rng.next() as u8).as_bytes());
            } else {
                out.push(*rng.pick(octet));
            }
        }
        for _ in 0..rng.below(3) {
            out.push(b';');
            out.extend_from_slice(b"p");
            if rng.below(2) == 0 {
                out.extend_from_slice(b"=x");
            }
        }
    }
    out
}

fn fresh_b3(rng: &mut Rng) -> Vec<u8> {
    let mut out = fresh_trace_id_hex(rng);
    out.push(b'-');
    out.extend(fresh_span_id_hex(rng));
    match rng.below(4) {
        0 => {}
        1 => out.extend_from_slice(b"-1"),
        2 => out.extend_from_slice(b"-0"),
        _ => out.extend_from_slice(b"-d"),
    }
    if rng.below(3) == 0 {
        out.push(b'-');
        out.extend(fresh_span_id_hex(rng));
    }
    out
}

fn fresh_trace_id_hex(rng: &mut Rng) -> Vec<u8> {
    if rng.below(3) == 0 {
        format!("{:016x}", rng.next()).into_bytes()
    } else {
        format!("{:032x}", rng.id128()).into_bytes()
    }
}

fn fresh_span_id_hex(rng: &mut Rng) -> Vec<u8> {
    format!("{:016x}", rng.next()).into_bytes()
}

fn fresh_flag(rng: &mut Rng) -> Vec<u8> {
    rng.pick(&["0", "1", "true", "false", "d"])
        .as_bytes()
        .to_vec()
}

fn fresh_uber_trace_id(rng: &mut Rng) -> Vec<u8> {
    // Ids of any width up to their own, in either case.
    let trace_id = rng.id128() >> rng.below(128);
    let span_id = rng.next() >> rng.below(64);
    let out = format!(
        "{trace_id:x}:{span_id:X}:{:x}:{:x}",
        rng.next() >> rng.below(64),
        rng.next() as u8
    );
    if rng.below(4) == 0 {
        out.replace(':', "%3A").into_bytes()
    } else {
        out.into_bytes()
    }
}

fn fresh_text(rng: &mut Rng) -> Vec<u8> {
    let chars = [
        'a',
        'Z',
        '9',
        ' ',
        '%',
        ',',
        ';',
        '=',
        'é',
        '日',
        '\u{1F600}',
    ];
    let text: String = (0..rng.below(12)).map(|_| *rng.pick(&chars)).collect();
    // Percent-encoded, as `uberctx-` values are sent.
    let mut out = Vec::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}
