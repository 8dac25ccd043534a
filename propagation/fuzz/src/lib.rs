//! What the cargo-fuzz targets share: turning libFuzzer's bytes into
//! headers, and the invariants of the stable fuzz test
//! (`tests/support/`), checked on them from both carriers.

use std::sync::LazyLock;

#[allow(dead_code)] // the stable test's input generator is not used here
#[path = "../../tests/support/mod.rs"]
mod support;

use support::invariants::{check, hash_map, header_map, parent, Stats};
use support::targets::{self, Target, UBERCTX};

/// The extractor a target drives.
#[derive(Clone, Copy, Debug)]
pub enum Extractor {
    /// W3C `traceparent` and `tracestate`.
    TraceContext,
    /// W3C `baggage`.
    Baggage,
    /// B3, single header.
    B3Single,
    /// B3, `X-B3-*` headers.
    B3Multiple,
    /// Jaeger `uber-trace-id` and `uberctx-*`.
    Jaeger,
    /// All of them, composed.
    Composite,
}

static TARGETS: LazyLock<[Target; 6]> = LazyLock::new(|| {
    [
        targets::trace_context(),
        targets::baggage(),
        targets::b3_single(),
        targets::b3_multiple(),
        targets::jaeger(),
        targets::composite(),
    ]
});

/// Reads `data` as headers for `extractor` and checks every invariant on
/// them, from a `HashMap` and from an `http::HeaderMap`.
pub fn run(extractor: Extractor, data: &[u8]) {
    let target = &TARGETS[extractor as usize];
    let headers = decode(target, data);
    let parent = parent();
    let mut stats = Stats::default();
    check(target, &hash_map(&headers), false, &parent, &mut stats);
    check(target, &header_map(&headers), true, &parent, &mut stats);
}

/// Up to eight headers separated by `\n`. A header's first byte picks its
/// name among the target's (its top bit: upper case), the rest is its
/// value; a `uberctx-` name is completed by the value's text up to `=`.
fn decode(target: &Target, data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut headers = Vec::new();
    for chunk in data.split(|&b| b == b'\n').take(8) {
        let Some((&pick, value)) = chunk.split_first() else {
            continue;
        };
        let header = &target.headers[usize::from(pick & 0x7f) % target.headers.len()];
        let mut name = header.name.to_owned();
        let mut value = value;
        if header.name == UBERCTX.name {
            let end = value.iter().position(|&b| b == b'=').unwrap_or(value.len());
            name.push_str(&String::from_utf8_lossy(&value[..end]));
            value = value.get(end + 1..).unwrap_or_default();
        }
        if pick & 0x80 != 0 {
            name = name.to_ascii_uppercase();
        }
        headers.push((name, value.to_vec()));
    }
    headers
}
