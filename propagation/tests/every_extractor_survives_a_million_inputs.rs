//! Every extractor, a million mutated headers each: none panics, what one
//! reads is a valid remote span context or nothing, none replaces a valid
//! context it was given with garbage, and what it read, written again and
//! read back, is the same.
//!
//! A coverage-free, structure-aware mutation fuzzer that runs under
//! `cargo test` on stable. Each input is one to four headers: names the
//! format reads (in any case, repeated, beside the other formats' names),
//! values from a corpus of valid headers or freshly generated valid ones,
//! then mutated: bit flips, random bytes, dictionary tokens (`-`, `00`,
//! `ff`, `=`, `,`, `;`, `%`, whitespace, non-ASCII, invalid UTF-8), deleted,
//! duplicated and spliced ranges, very long runs. Inputs alternate between
//! a `HashMap` carrier (any text) and an `http::HeaderMap` (any bytes a
//! header value may hold, so invalid UTF-8 too).
//!
//! Deterministic: a failure prints its seed, extractor and input number;
//! `SPANLITE_FUZZ_SEED=<seed>` replays it and `SPANLITE_FUZZ_INPUTS=<n>`
//! runs more (or fewer) inputs per extractor.
#![cfg(feature = "http")]

use std::panic::{self, AssertUnwindSafe};

mod support;

use support::invariants::{check, hash_map, header_map, parent, Stats};
use support::rng::Rng;
use support::targets::{self, Header, Reads, Target, ALL_HEADERS, DICTIONARY, UBERCTX};

const DEFAULT_INPUTS: u64 = 1_000_000;
const DEFAULT_SEED: u64 = 0x5ba1_17e5_f022_2024;

#[test]
fn w3c_trace_context_survives_a_million_inputs() {
    fuzz(&targets::trace_context());
}

#[test]
fn w3c_baggage_survives_a_million_inputs() {
    fuzz(&targets::baggage());
}

#[test]
fn b3_single_header_survives_a_million_inputs() {
    fuzz(&targets::b3_single());
}

#[test]
fn b3_multiple_headers_survive_a_million_inputs() {
    fuzz(&targets::b3_multiple());
}

#[test]
fn jaeger_survives_a_million_inputs() {
    fuzz(&targets::jaeger());
}

#[test]
fn a_composite_of_every_format_survives_a_million_inputs() {
    fuzz(&targets::composite());
}

fn fuzz(target: &Target) {
    let seed = env_u64("SPANLITE_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let inputs = env_u64("SPANLITE_FUZZ_INPUTS").unwrap_or(DEFAULT_INPUTS);
    // Each extractor its own stream, so each replays alone.
    let mut rng = Rng::new(seed ^ hash(target.name));
    let parent = parent();
    let mut stats = Stats::default();
    let mut headers = Vec::new();
    for input in 0..inputs {
        generate(&mut rng, target, &mut headers);
        let use_header_map = input % 2 == 1;
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            if use_header_map {
                check(target, &header_map(&headers), true, &parent, &mut stats);
            } else {
                check(target, &hash_map(&headers), false, &parent, &mut stats);
            }
        }));
        if let Err(cause) = outcome {
            let shown: Vec<(&str, String)> = headers
                .iter()
                .map(|(name, value)| (name.as_str(), String::from_utf8_lossy(value).into_owned()))
                .collect();
            eprintln!(
                "{}: input #{input} failed (SPANLITE_FUZZ_SEED={seed:#x}, {} carrier): {shown:?}",
                target.name,
                if use_header_map {
                    "HeaderMap"
                } else {
                    "HashMap"
                },
            );
            panic::resume_unwind(cause);
        }
        stats.inputs += 1;
    }
    eprintln!(
        "{}: {} inputs, {} read a span context, {} read baggage",
        target.name, stats.inputs, stats.span_contexts, stats.baggage
    );
    assert_eq!(stats.inputs, inputs);
    // The mutations must leave enough valid input for the parsers' deeper
    // paths (and the round trips) to be reached, not just their first check.
    let enough = inputs / 50;
    match target.reads_baggage {
        Reads::Replacing => assert!(stats.baggage > enough, "{}", target.name),
        Reads::Nothing => assert!(stats.span_contexts > enough, "{}", target.name),
        Reads::Merging | Reads::Somehow => {
            assert!(
                stats.span_contexts > enough && stats.baggage > enough,
                "{}",
                target.name
            )
        }
    }
}

/// One input: one to four headers.
fn generate(rng: &mut Rng, target: &Target, headers: &mut Vec<(String, Vec<u8>)>) {
    headers.clear();
    let count = match rng.below(8) {
        0..=3 => 1,
        4 | 5 => 2,
        6 => 3,
        _ => 4,
    };
    for _ in 0..count {
        // Mostly the format's own headers, sometimes another format's.
        let header = if rng.below(10) == 0 {
            rng.pick(ALL_HEADERS)
        } else {
            rng.pick(target.headers)
        };
        headers.push((name(rng, header), value(rng, header)));
    }
}

/// The header's name as written, in another case, or (for `uberctx-`)
/// completed with a baggage name.
fn name(rng: &mut Rng, header: &Header) -> String {
    let mut name = header.name.to_owned();
    if header.name == UBERCTX.name {
        let suffixes = ["user", "tenant-id", "a", "", "X", "a.b", "é", "k e y"];
        let suffix: &&str = rng.pick(&suffixes);
        name.push_str(suffix);
    }
    match rng.below(4) {
        0 => name.to_ascii_uppercase(),
        1 => name
            .chars()
            .map(|c| {
                if rng.below(2) == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
        _ => name,
    }
}

fn value(rng: &mut Rng, header: &Header) -> Vec<u8> {
    let mut value = match rng.below(4) {
        0 => (header.fresh)(rng),
        _ => rng.pick(header.corpus).as_bytes().to_vec(),
    };
    // Some inputs stay valid, so the round trips are exercised.
    let mutations = match rng.below(6) {
        0 => 0,
        1 | 2 => 1,
        3 => 2,
        _ => 1 + rng.below(6),
    };
    for _ in 0..mutations {
        mutate(rng, &mut value, header);
    }
    value
}

fn mutate(rng: &mut Rng, value: &mut Vec<u8>, header: &Header) {
    let at = rng.below(value.len() + 1);
    match rng.below(12) {
        0 if at < value.len() => value[at] ^= 1 << rng.below(8),
        1 if at < value.len() => value[at] = rng.next() as u8,
        2 | 3 => {
            let token = rng.pick(DICTIONARY);
            value.splice(at..at, token.iter().copied());
        }
        4 => {
            let end = (at + 1 + rng.below(8)).min(value.len());
            value.drain(at..end);
        }
        5 => {
            // A range repeated: duplicated members, doubled delimiters.
            let end = (at + 1 + rng.below(16)).min(value.len());
            let copy = value[at..end].to_vec();
            let to = rng.below(value.len() + 1);
            value.splice(to..to, copy);
        }
        6 => {
            // The head of this value, the tail of another.
            let other = if rng.below(2) == 0 {
                (header.fresh)(rng)
            } else {
                rng.pick(header.corpus).as_bytes().to_vec()
            };
            let from = rng.below(other.len() + 1);
            value.truncate(at);
            value.extend_from_slice(&other[from..]);
        }
        7 => {
            // A very long run; rarely, to keep a million inputs quick.
            let times = if rng.below(32) == 0 {
                200 + rng.below(4000)
            } else {
                2 + rng.below(40)
            };
            let token = rng.pick(DICTIONARY);
            let run: Vec<u8> = token
                .iter()
                .copied()
                .cycle()
                .take(token.len() * times)
                .collect();
            value.splice(at..at, run);
        }
        8 => value.truncate(at),
        9 => {
            let end = (at + 1 + rng.below(40)).min(value.len());
            let upper = rng.below(2) == 0;
            for b in &mut value[at..end] {
                *b = if upper {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                };
            }
        }
        10 => {
            let digits = b"0123456789abcdefABCDEF";
            for _ in 0..1 + rng.below(4) {
                value.insert(at, *rng.pick(digits));
            }
        }
        _ => {
            // Whitespace around the whole value or one delimiter.
            let ws: &[u8] = if rng.below(2) == 0 { b" " } else { b"\t " };
            value.splice(at..at, ws.iter().copied());
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    }
}

/// FNV-1a: a stable per-extractor seed offset.
fn hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
