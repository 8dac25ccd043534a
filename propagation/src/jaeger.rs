//! Jaeger: the `uber-trace-id` header and `uberctx-*` baggage headers.

use spanlite_api::{
    Baggage, BaggageEntry, Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState,
};

use crate::scan::{split_byte, trim_ows};
use crate::{hex_id, percent, Extractor, Injector, TextMapPropagator};

const UBER_TRACE_ID: &str = "uber-trace-id";
const BAGGAGE_PREFIX: &str = "uberctx-";
const FIELDS: &[&str] = &[UBER_TRACE_ID];

/// Jaeger flag bits: 0x01 sampled, 0x02 debug (which implies sampled).
const FLAG_SAMPLED: u8 = 0x01;
const FLAG_DEBUG: u8 = 0x02;

/// Jaeger propagation (deprecated by OpenTelemetry, still met in the wild).
///
/// Extraction reads `uber-trace-id: {trace id}:{span id}:{parent span
/// id}:{flags}`, whole or percent-encoded (`%3A` for `:`). Ids may have
/// fewer digits than their width (they are padded with zeros on the left),
/// in either case; trace and span id must not be zero. Flags are hex: bit
/// 0x01 is sampled, 0x02 debug, which also counts as sampled. A malformed
/// header leaves the span context as it was.
///
/// Every `uberctx-{name}` header becomes a baggage entry `name` with the
/// percent-decoded value, added to the context's [`Baggage`] (replacing
/// entries of the same name), whether or not `uber-trace-id` is valid.
///
/// Injection writes `uber-trace-id` with the full-width ids, parent span
/// id `0` and flags `1` or `0`; it does not write baggage.
///
/// ```
/// use std::collections::HashMap;
/// use spanlite_api::{Baggage, Context};
/// use spanlite_propagation::{JaegerPropagator, TextMapPropagator};
///
/// let incoming = HashMap::from([
///     ("uber-trace-id".to_owned(), "abc%3A1f%3A0%3A1".to_owned()),
///     ("uberctx-tenant".to_owned(), "acme%20corp".to_owned()),
/// ]);
/// let cx = JaegerPropagator::new().extract_with_context(&Context::new(), &incoming);
/// assert_eq!(cx.span().span_context().span_id().to_string(), "000000000000001f");
/// assert_eq!(Baggage::from_context(&cx).get("tenant"), Some("acme corp"));
///
/// let mut outgoing = HashMap::new();
/// JaegerPropagator::new().inject_context(&cx, &mut outgoing);
/// assert_eq!(outgoing["uber-trace-id"], "00000000000000000000000000000abc:000000000000001f:0:1");
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct JaegerPropagator {}

impl JaegerPropagator {
    /// The Jaeger propagator.
    pub const fn new() -> JaegerPropagator {
        JaegerPropagator {}
    }
}

impl TextMapPropagator for JaegerPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span_context = cx.span().span_context();
        if !span_context.is_valid() {
            return;
        }
        let flags = if span_context.is_sampled() { "1" } else { "0" };
        hex_id::with_hex_ids(span_context, |trace_id, span_id| {
            injector.set(UBER_TRACE_ID, [trace_id, span_id, "0", flags].join(":"));
        });
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let mut out = match extractor.get(UBER_TRACE_ID).and_then(parse_uber_trace_id) {
            Some(span_context) => cx.with_remote_span_context(span_context),
            None => cx.clone(),
        };
        let entries = extract_baggage(extractor);
        if !entries.is_empty() {
            let merged: Baggage = Baggage::from_context(&out)
                .iter()
                .cloned()
                .chain(entries)
                .collect();
            out = merged.in_context(&out);
        }
        out
    }

    fn fields(&self) -> &[&'static str] {
        FIELDS
    }
}

/// `{trace id}:{span id}:{parent span id}:{flags}`, maybe percent-encoded.
fn parse_uber_trace_id(value: &str) -> Option<SpanContext> {
    let value = percent::decode(trim_ows(value))?;
    let mut parts = split_byte(&value, b':');
    let (Some(trace_id), Some(span_id), Some(parent), Some(flags), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let trace_id = TraceId::from_bytes(hex_id::parse_padded(trace_id)?);
    let span_id = SpanId::from_bytes(hex_id::parse_padded(span_id)?);
    hex_id::parse_padded::<8>(parent)?;
    let [flags] = hex_id::parse_padded::<1>(flags)?;
    if !trace_id.is_valid() || !span_id.is_valid() {
        return None;
    }
    let sampled = flags & (FLAG_SAMPLED | FLAG_DEBUG) != 0;
    let flags = TraceFlags::NONE.with_sampled(sampled);
    Some(SpanContext::new(
        trace_id,
        span_id,
        flags,
        true,
        TraceState::NONE,
    ))
}

/// The `uberctx-{name}` headers as baggage entries; malformed ones skipped.
fn extract_baggage(extractor: &dyn Extractor) -> Vec<BaggageEntry> {
    let mut entries = Vec::new();
    for key in extractor.keys() {
        let Some(name) = baggage_name(key) else {
            continue;
        };
        for value in extractor.get_all(key) {
            if let Some(value) = percent::decode(value) {
                entries.push(BaggageEntry::new(name, value));
            }
        }
    }
    entries
}

/// The part of `key` after a case-insensitive `uberctx-`, when not empty.
fn baggage_name(key: &str) -> Option<&str> {
    let prefix = key.get(..BAGGAGE_PREFIX.len())?;
    let name = key.get(BAGGAGE_PREFIX.len()..)?;
    (prefix.eq_ignore_ascii_case(BAGGAGE_PREFIX) && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baggage_name_needs_the_prefix_and_a_name() {
        assert_eq!(baggage_name("uberctx-user"), Some("user"));
        assert_eq!(baggage_name("UberCtx-User"), Some("User"));
        assert_eq!(baggage_name("uberctx-"), None);
        assert_eq!(baggage_name("uber"), None);
        assert_eq!(baggage_name("uberct€-x"), None);
    }
}
