//! W3C Trace Context (Level 2): the `traceparent` and `tracestate` headers.

use spanlite_api::{Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};

use crate::scan::trim_ows;
use crate::{Extractor, Injector, TextMapPropagator};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
const FIELDS: &[&str] = &[TRACEPARENT, TRACESTATE];

/// `vv-` + 32 + `-` + 16 + `-` + 2: the whole of a version 00 header.
const TRACEPARENT_LEN: usize = 55;
const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// W3C Trace Context: reads and writes `traceparent` and `tracestate`.
///
/// Extraction is strict, as the W3C processing model asks: one
/// `traceparent` header, lowercase hex, non-zero ids, version `ff` refused,
/// version `00` exactly 55 characters, a higher version read by its first
/// 55 characters. Anything else leaves the context as it was, and so does
/// a second `traceparent` header. `tracestate` is read only beside a valid
/// `traceparent`; several headers are joined, and an invalid one is
/// dropped without losing the `traceparent`. Only the sampled and random
/// flags are kept.
///
/// Injection writes version `00` and the `tracestate` truncated to 512
/// characters as W3C allows, and writes nothing for an invalid span
/// context. Reading and writing `traceparent` allocate nothing but the
/// header string written.
///
/// ```
/// use std::collections::HashMap;
/// use spanlite_api::Context;
/// use spanlite_propagation::{TextMapPropagator, TraceContextPropagator};
///
/// let propagator = TraceContextPropagator::new();
/// let incoming = HashMap::from([(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// )]);
/// let cx = propagator.extract_with_context(&Context::new(), &incoming);
/// assert!(cx.span().span_context().is_remote());
///
/// let mut outgoing = HashMap::new();
/// propagator.inject_context(&cx, &mut outgoing);
/// assert_eq!(outgoing, incoming);
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct TraceContextPropagator {}

impl TraceContextPropagator {
    /// The W3C Trace Context propagator.
    pub const fn new() -> TraceContextPropagator {
        TraceContextPropagator {}
    }
}

impl TextMapPropagator for TraceContextPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span_context = cx.span().span_context();
        let Some(traceparent) = format_traceparent(span_context) else {
            return;
        };
        injector.set(TRACEPARENT, traceparent);
        if !span_context.trace_state().is_empty() {
            let tracestate = span_context.trace_state().header();
            if !tracestate.is_empty() {
                injector.set(TRACESTATE, tracestate);
            }
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let mut traceparents = extractor.get_all(TRACEPARENT);
        let (Some(traceparent), None) = (traceparents.next(), traceparents.next()) else {
            // None, or more than one: W3C says to start a new trace.
            return cx.clone();
        };
        let Some((trace_id, span_id, flags)) = parse_traceparent(traceparent) else {
            return cx.clone();
        };
        let trace_state = extract_trace_state(extractor);
        let span_context = SpanContext::new(trace_id, span_id, flags, true, trace_state);
        cx.with_remote_span_context(span_context)
    }

    fn fields(&self) -> &[&'static str] {
        FIELDS
    }
}

/// The `traceparent` value for `span_context`, `None` when it is invalid.
pub(crate) fn format_traceparent(span_context: &SpanContext) -> Option<String> {
    if !span_context.is_valid() {
        return None;
    }
    let mut trace_id = [0u8; 32];
    let mut span_id = [0u8; 16];
    span_context.trace_id().write_hex(&mut trace_id);
    span_context.span_id().write_hex(&mut span_id);
    let flags = span_context.trace_flags().known().to_u8();

    let mut buf = [b'-'; TRACEPARENT_LEN];
    buf[..2].copy_from_slice(b"00");
    buf[3..35].copy_from_slice(&trace_id);
    buf[36..52].copy_from_slice(&span_id);
    buf[53] = LOWER_HEX[usize::from(flags >> 4)];
    buf[54] = LOWER_HEX[usize::from(flags & 0x0f)];

    let mut out = String::with_capacity(TRACEPARENT_LEN);
    // Every byte written above is ASCII, so this is always Ok.
    out.push_str(std::str::from_utf8(&buf).ok()?);
    Some(out)
}

/// Parses a `traceparent` value by the W3C rules, without allocating.
pub(crate) fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let b = trim_ows(value).as_bytes();
    if b.len() < TRACEPARENT_LEN {
        return None;
    }
    let [version] = lower_hex::<1>(&b[0..2])?;
    match version {
        0xff => return None,
        0x00 if b.len() != TRACEPARENT_LEN => return None,
        // A later version may append fields, each after a `-`.
        _ if b.len() > TRACEPARENT_LEN && b[TRACEPARENT_LEN] != b'-' => return None,
        _ => {}
    }
    if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
        return None;
    }
    let trace_id = TraceId::from_bytes(lower_hex::<16>(&b[3..35])?);
    let span_id = SpanId::from_bytes(lower_hex::<8>(&b[36..52])?);
    let [flags] = lower_hex::<1>(&b[53..55])?;
    if !trace_id.is_valid() || !span_id.is_valid() {
        return None;
    }
    Some((trace_id, span_id, TraceFlags::new(flags).known()))
}

/// The `tracestate` headers joined in order; the empty state when absent
/// or invalid.
fn extract_trace_state(extractor: &dyn Extractor) -> TraceState {
    let mut headers = extractor.get_all(TRACESTATE);
    let Some(first) = headers.next() else {
        return TraceState::NONE;
    };
    let parsed = match headers.next() {
        None => first.parse(),
        Some(second) => {
            let mut joined = [first, second].join(",");
            for header in headers {
                joined.push(',');
                joined.push_str(header);
            }
            joined.parse()
        }
    };
    parsed.unwrap_or_default()
}

/// Decodes exactly `N * 2` lowercase hex digits.
fn lower_hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    if digits.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    // Branch-free: an invalid digit reads as 0xff, whose high bits survive
    // into `invalid`.
    let mut invalid = 0;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (hi, lo) = (
            LOWER_DIGIT[usize::from(pair[0])],
            LOWER_DIGIT[usize::from(pair[1])],
        );
        invalid |= hi | lo;
        *byte = (hi << 4) | (lo & 0x0f);
    }
    (invalid & 0xf0 == 0).then_some(out)
}

/// The value of each lowercase hex digit; 0xff for any other byte.
const LOWER_DIGIT: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 16 {
        table[LOWER_HEX[i] as usize] = i as u8;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parse_reads_ids_and_flags() {
        let (trace_id, span_id, flags) = parse_traceparent(VALID).unwrap();
        assert_eq!(trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(span_id.to_string(), "00f067aa0ba902b7");
        assert_eq!(flags, TraceFlags::SAMPLED);
    }

    #[test]
    fn format_writes_what_parse_reads() {
        let (trace_id, span_id, flags) = parse_traceparent(VALID).unwrap();
        let cx = SpanContext::new(trace_id, span_id, flags, true, TraceState::NONE);
        assert_eq!(format_traceparent(&cx).as_deref(), Some(VALID));
    }

    #[test]
    fn lower_hex_refuses_upper_case_and_wrong_length() {
        assert_eq!(lower_hex::<1>(b"af"), Some([0xaf]));
        assert_eq!(lower_hex::<2>(b"0123"), Some([0x01, 0x23]));
        assert_eq!(lower_hex::<1>(b"0g"), None);
        assert_eq!(lower_hex::<1>(b"-0"), None);
        assert_eq!(lower_hex::<1>(b"AF"), None);
        assert_eq!(lower_hex::<1>(b"a"), None);
    }
}
