//! B3 (Zipkin): the single `b3` header and the `X-B3-*` headers.

use spanlite_api::{Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};

use crate::scan::{split_byte, trim_ows};
use crate::{hex_id, Extractor, Injector, TextMapPropagator};

const B3: &str = "b3";
const TRACE_ID: &str = "x-b3-traceid";
const SPAN_ID: &str = "x-b3-spanid";
const PARENT_SPAN_ID: &str = "x-b3-parentspanid";
const SAMPLED: &str = "x-b3-sampled";
const FLAGS: &str = "x-b3-flags";

const SINGLE_FIELDS: &[&str] = &[B3];
const MULTI_FIELDS: &[&str] = &[TRACE_ID, SPAN_ID, SAMPLED];
const BOTH_FIELDS: &[&str] = &[B3, TRACE_ID, SPAN_ID, SAMPLED];

/// Which B3 headers [`B3Propagator`] writes. Extraction reads both forms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum B3Encoding {
    /// `b3: {trace id}-{span id}-{sampled}` (the default, OTEL name `b3`).
    #[default]
    SingleHeader,
    /// `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled` (OTEL name `b3multi`).
    MultipleHeaders,
    /// Both of the above.
    SingleAndMultipleHeaders,
}

/// B3 propagation, as Zipkin defines it.
///
/// Extraction tries the single `b3` header first, then the `X-B3-*`
/// headers. Trace ids of 16 hex digits (64 bits) are padded with zeros to
/// 128 bits; either case is read. Sampling `1` and debug (`d`, or
/// `X-B3-Flags: 1`) mean sampled; `0` means not sampled; a missing
/// decision (deferred) is read as not sampled. A header that carries no
/// ids, like the deny-only `b3: 0`, leaves the context unchanged, as does
/// anything malformed.
///
/// Injection writes the lowercase 128-bit form with an explicit sampling
/// decision, in the [`B3Encoding`] chosen, and nothing for an invalid span
/// context.
///
/// ```
/// use std::collections::HashMap;
/// use spanlite_api::Context;
/// use spanlite_propagation::{B3Encoding, B3Propagator, TextMapPropagator};
///
/// let incoming = HashMap::from([("b3".to_owned(), "a3ce929d0e0e4736-00f067aa0ba902b7-1".to_owned())]);
/// let cx = B3Propagator::new().extract_with_context(&Context::new(), &incoming);
/// let span_context = cx.span().span_context();
/// assert_eq!(span_context.trace_id().to_string(), "0000000000000000a3ce929d0e0e4736");
/// assert!(span_context.is_sampled());
///
/// let mut outgoing = HashMap::new();
/// B3Propagator::with_encoding(B3Encoding::MultipleHeaders).inject_context(&cx, &mut outgoing);
/// assert_eq!(outgoing["x-b3-spanid"], "00f067aa0ba902b7");
/// assert_eq!(outgoing["x-b3-sampled"], "1");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct B3Propagator {
    encoding: B3Encoding,
}

impl B3Propagator {
    /// A B3 propagator that writes the single `b3` header.
    pub const fn new() -> B3Propagator {
        B3Propagator {
            encoding: B3Encoding::SingleHeader,
        }
    }

    /// A B3 propagator that writes the headers `encoding` names.
    pub const fn with_encoding(encoding: B3Encoding) -> B3Propagator {
        B3Propagator { encoding }
    }

    /// The headers it writes.
    pub const fn encoding(&self) -> B3Encoding {
        self.encoding
    }
}

impl TextMapPropagator for B3Propagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span_context = cx.span().span_context();
        if !span_context.is_valid() {
            return;
        }
        hex_id::with_hex_ids(span_context, |trace_id, span_id| {
            let sampled = if span_context.is_sampled() { "1" } else { "0" };

            if self.encoding != B3Encoding::MultipleHeaders {
                injector.set(B3, [trace_id, span_id, sampled].join("-"));
            }
            if self.encoding != B3Encoding::SingleHeader {
                injector.set(TRACE_ID, trace_id.to_owned());
                injector.set(SPAN_ID, span_id.to_owned());
                injector.set(SAMPLED, sampled.to_owned());
            }
        });
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let span_context = extractor
            .get(B3)
            .and_then(parse_single)
            .or_else(|| parse_multiple(extractor));
        match span_context {
            Some(span_context) => cx.with_remote_span_context(span_context),
            None => cx.clone(),
        }
    }

    fn fields(&self) -> &[&'static str] {
        match self.encoding {
            B3Encoding::SingleHeader => SINGLE_FIELDS,
            B3Encoding::MultipleHeaders => MULTI_FIELDS,
            B3Encoding::SingleAndMultipleHeaders => BOTH_FIELDS,
        }
    }
}

/// `{trace id}-{span id}[-{sampling}[-{parent span id}]]`.
fn parse_single(value: &str) -> Option<SpanContext> {
    let mut parts = split_byte(trim_ows(value), b'-');
    let trace_id = parse_trace_id(parts.next()?)?;
    let span_id = parse_span_id(parts.next()?)?;
    let sampled = match parts.next() {
        None => false,
        Some("1" | "d") => true,
        Some("0") => false,
        Some(_) => return None,
    };
    if let Some(parent) = parts.next() {
        parse_span_id(parent)?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(remote(trace_id, span_id, sampled))
}

fn parse_multiple(extractor: &dyn Extractor) -> Option<SpanContext> {
    let header = |name| extractor.get(name).map(trim_ows);
    let trace_id = parse_trace_id(header(TRACE_ID)?)?;
    let span_id = parse_span_id(header(SPAN_ID)?)?;
    if let Some(parent) = header(PARENT_SPAN_ID) {
        parse_span_id(parent)?;
    }
    let sampled = match header(SAMPLED) {
        None => false,
        Some(v) if v == "1" || v.eq_ignore_ascii_case("true") => true,
        Some(v) if v == "0" || v.eq_ignore_ascii_case("false") => false,
        Some(_) => return None,
    };
    let debug = header(FLAGS) == Some("1");
    Some(remote(trace_id, span_id, sampled || debug))
}

/// 16 or 32 hex digits, not all zero.
fn parse_trace_id(digits: &str) -> Option<TraceId> {
    if digits.len() != 16 && digits.len() != 32 {
        return None;
    }
    let id = TraceId::from_bytes(hex_id::parse_padded(digits)?);
    id.is_valid().then_some(id)
}

/// 16 hex digits, not all zero.
fn parse_span_id(digits: &str) -> Option<SpanId> {
    let id = SpanId::from_hex(digits).ok()?;
    id.is_valid().then_some(id)
}

fn remote(trace_id: TraceId, span_id: SpanId, sampled: bool) -> SpanContext {
    let flags = TraceFlags::NONE.with_sampled(sampled);
    SpanContext::new(trace_id, span_id, flags, true, TraceState::NONE)
}
