//! OTLP protobuf, written field by field from the span records. Field
//! numbers are those of opentelemetry-proto's `trace/v1/trace.proto`,
//! `common/v1/common.proto` and `resource/v1/resource.proto`.
//!
//! Each nested message is prefixed by its length, so lengths are computed
//! first (`*_len`) and the bytes written second (`put_*`); a span's length
//! is computed once and kept for the writing pass.

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, key_len, WireType};
use spanlite::{
    Array, Event, InstrumentationScope, KeyValue, Link, Resource, SpanData, SpanKind, Status, Value,
};

use super::group::{ResourceGroup, ScopeGroup};

/// `Span.flags` / `Link.flags`: the context's is-remote bit is known.
const HAS_IS_REMOTE: u32 = 0x100;
/// `Span.flags` / `Link.flags`: the context is remote.
const IS_REMOTE: u32 = 0x200;

// ---- primitives ----------------------------------------------------------

fn len_field(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

fn str_field(tag: u32, s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        len_field(tag, s.len())
    }
}

fn uint_field(tag: u32, v: u64) -> usize {
    if v == 0 {
        0
    } else {
        key_len(tag) + encoded_len_varint(v)
    }
}

fn put_len(tag: u32, len: usize, out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(len as u64, out);
}

fn put_bytes(tag: u32, bytes: &[u8], out: &mut Vec<u8>) {
    put_len(tag, bytes.len(), out);
    out.extend_from_slice(bytes);
}

fn put_str(tag: u32, s: &str, out: &mut Vec<u8>) {
    if !s.is_empty() {
        put_bytes(tag, s.as_bytes(), out);
    }
}

fn put_uint(tag: u32, v: u64, out: &mut Vec<u8>) {
    if v != 0 {
        encode_key(tag, WireType::Varint, out);
        encode_varint(v, out);
    }
}

fn put_fixed64(tag: u32, v: u64, out: &mut Vec<u8>) {
    if v != 0 {
        encode_key(tag, WireType::SixtyFourBit, out);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn put_fixed32(tag: u32, v: u32, out: &mut Vec<u8>) {
    if v != 0 {
        encode_key(tag, WireType::ThirtyTwoBit, out);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

// ---- common.proto: AnyValue, ArrayValue, KeyValue --------------------------

/// `AnyValue` body length. A oneof member is always written, even when it
/// holds its type's default (so `false` and `0` survive).
fn value_len(value: &Value) -> usize {
    match value {
        Value::String(s) => len_field(1, s.len()),
        Value::Bool(_) => key_len(2) + 1,
        Value::I64(v) => key_len(3) + encoded_len_varint(*v as u64),
        Value::F64(_) => key_len(4) + 8,
        Value::Array(array) => len_field(5, array_len(array)),
        _ => 0,
    }
}

/// `ArrayValue` body length: `repeated AnyValue values = 1`.
fn array_len(array: &Array) -> usize {
    fn each<T>(items: &[T], len: impl Fn(&T) -> usize) -> usize {
        items.iter().map(|item| len_field(1, len(item))).sum()
    }
    match array {
        Array::Bool(v) => each(v, |_| key_len(2) + 1),
        Array::I64(v) => each(v, |i| key_len(3) + encoded_len_varint(*i as u64)),
        Array::F64(v) => each(v, |_| key_len(4) + 8),
        Array::String(v) => each(v, |s| len_field(1, s.len())),
        _ => 0,
    }
}

fn put_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => put_bytes(1, s.as_bytes(), out),
        Value::Bool(b) => {
            encode_key(2, WireType::Varint, out);
            encode_varint(u64::from(*b), out);
        }
        Value::I64(i) => {
            encode_key(3, WireType::Varint, out);
            encode_varint(*i as u64, out);
        }
        Value::F64(f) => {
            encode_key(4, WireType::SixtyFourBit, out);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::Array(array) => {
            put_len(5, array_len(array), out);
            put_array(array, out);
        }
        _ => {}
    }
}

fn put_array(array: &Array, out: &mut Vec<u8>) {
    match array {
        Array::Bool(items) => items.iter().for_each(|b| {
            put_len(1, key_len(2) + 1, out);
            put_value(&Value::Bool(*b), out);
        }),
        Array::I64(items) => items.iter().for_each(|i| {
            put_len(1, key_len(3) + encoded_len_varint(*i as u64), out);
            put_value(&Value::I64(*i), out);
        }),
        Array::F64(items) => items.iter().for_each(|f| {
            put_len(1, key_len(4) + 8, out);
            put_value(&Value::F64(*f), out);
        }),
        Array::String(items) => items.iter().for_each(|s| {
            put_len(1, len_field(1, s.len()), out);
            put_bytes(1, s.as_bytes(), out);
        }),
        _ => {}
    }
}

/// `KeyValue` body length: `key = 1`, `value = 2`.
fn kv_len(kv: &KeyValue) -> usize {
    str_field(1, kv.key().as_str()) + len_field(2, value_len(kv.value()))
}

fn attributes_len(tag: u32, attributes: &[KeyValue]) -> usize {
    attributes.iter().map(|kv| len_field(tag, kv_len(kv))).sum()
}

fn put_attributes(tag: u32, attributes: &[KeyValue], out: &mut Vec<u8>) {
    for kv in attributes {
        put_len(tag, kv_len(kv), out);
        put_str(1, kv.key().as_str(), out);
        put_len(2, value_len(kv.value()), out);
        put_value(kv.value(), out);
    }
}

// ---- resource and scope ----------------------------------------------------

fn resource_len(resource: &Resource) -> usize {
    attributes_len(1, resource.attributes())
}

fn scope_len(scope: &InstrumentationScope) -> usize {
    str_field(1, scope.name())
        + str_field(2, scope.version().unwrap_or(""))
        + attributes_len(3, scope.attributes())
}

// ---- trace.proto: Span, Event, Link, Status --------------------------------

fn kind_number(kind: SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn context_flags(trace_flags: u8, remote: bool) -> u32 {
    u32::from(trace_flags) | HAS_IS_REMOTE | if remote { IS_REMOTE } else { 0 }
}

fn event_len(event: &Event) -> usize {
    (if event.unix_nanos() != 0 {
        key_len(1) + 8
    } else {
        0
    }) + str_field(2, event.name())
        + attributes_len(3, event.attributes())
        + uint_field(4, u64::from(event.dropped_attributes_count()))
}

fn link_len(link: &Link) -> usize {
    let cx = link.span_context();
    len_field(1, 16)
        + len_field(2, 8)
        + str_field(3, &cx.trace_state().header())
        + attributes_len(4, link.attributes())
        + uint_field(5, u64::from(link.dropped_attributes_count()))
        + key_len(6)
        + 4
}

/// `Status` body: `message = 2`, `code = 3` (1 ok, 2 error).
fn status_parts(status: &Status) -> Option<(&str, u64)> {
    match status {
        Status::Unset => None,
        Status::Ok => Some(("", 1)),
        Status::Error { description } => Some((description.as_str(), 2)),
    }
}

fn status_len(message: &str, code: u64) -> usize {
    str_field(2, message) + uint_field(3, code)
}

fn span_len(span: &SpanData) -> usize {
    let cx = span.span_context();
    let parent = span.parent_span_id();
    let mut len = len_field(1, 16) + len_field(2, 8);
    len += str_field(3, &cx.trace_state().header());
    if parent.is_valid() {
        len += len_field(4, 8);
    }
    len += key_len(16) + 4;
    len += str_field(5, span.name());
    len += uint_field(6, kind_number(span.kind()));
    len += if span.start_unix_nanos() != 0 {
        key_len(7) + 8
    } else {
        0
    };
    len += if span.end_unix_nanos() != 0 {
        key_len(8) + 8
    } else {
        0
    };
    len += attributes_len(9, span.attributes());
    len += uint_field(10, u64::from(span.dropped_attributes_count()));
    len += span
        .events()
        .iter()
        .map(|e| len_field(11, event_len(e)))
        .sum::<usize>();
    len += uint_field(12, u64::from(span.dropped_events_count()));
    len += span
        .links()
        .iter()
        .map(|l| len_field(13, link_len(l)))
        .sum::<usize>();
    len += uint_field(14, u64::from(span.dropped_links_count()));
    if let Some((message, code)) = status_parts(span.status()) {
        len += len_field(15, status_len(message, code));
    }
    len
}

fn put_span(span: &SpanData, len: usize, out: &mut Vec<u8>) {
    let cx = span.span_context();
    put_len(2, len, out);
    put_bytes(1, &cx.trace_id().to_bytes(), out);
    put_bytes(2, &cx.span_id().to_bytes(), out);
    put_str(3, &cx.trace_state().header(), out);
    if span.parent_span_id().is_valid() {
        put_bytes(4, &span.parent_span_id().to_bytes(), out);
    }
    put_str(5, span.name(), out);
    put_uint(6, kind_number(span.kind()), out);
    put_fixed64(7, span.start_unix_nanos(), out);
    put_fixed64(8, span.end_unix_nanos(), out);
    put_attributes(9, span.attributes(), out);
    put_uint(10, u64::from(span.dropped_attributes_count()), out);
    for event in span.events() {
        put_len(11, event_len(event), out);
        put_fixed64(1, event.unix_nanos(), out);
        put_str(2, event.name(), out);
        put_attributes(3, event.attributes(), out);
        put_uint(4, u64::from(event.dropped_attributes_count()), out);
    }
    put_uint(12, u64::from(span.dropped_events_count()), out);
    for link in span.links() {
        let lcx = link.span_context();
        put_len(13, link_len(link), out);
        put_bytes(1, &lcx.trace_id().to_bytes(), out);
        put_bytes(2, &lcx.span_id().to_bytes(), out);
        put_str(3, &lcx.trace_state().header(), out);
        put_attributes(4, link.attributes(), out);
        put_uint(5, u64::from(link.dropped_attributes_count()), out);
        put_fixed32(
            6,
            context_flags(lcx.trace_flags().to_u8(), lcx.is_remote()),
            out,
        );
    }
    put_uint(14, u64::from(span.dropped_links_count()), out);
    if let Some((message, code)) = status_parts(span.status()) {
        put_len(15, status_len(message, code), out);
        put_str(2, message, out);
        put_uint(3, code, out);
    }
    // Field 16 last is fine: protobuf fields may come in any order.
    put_fixed32(
        16,
        context_flags(cx.trace_flags().to_u8(), span.parent_is_remote()),
        out,
    );
}

// ---- the request -------------------------------------------------------------

fn scope_spans_len(group: &ScopeGroup<'_>, span_lens: &[usize]) -> usize {
    let scope = group.scope;
    len_field(1, scope_len(scope))
        + span_lens
            .iter()
            .map(|&len| len_field(2, len))
            .sum::<usize>()
        + str_field(3, scope.schema_url().unwrap_or(""))
}

/// Appends `ExportTraceServiceRequest { resource_spans = 1 }` for `groups`.
pub(crate) fn encode_request(
    groups: &[ResourceGroup<'_>],
    span_lens: &mut Vec<usize>,
    out: &mut Vec<u8>,
) {
    span_lens.clear();
    for group in groups {
        for scope in &group.scopes {
            span_lens.extend(scope.spans.iter().map(|s| span_len(s)));
        }
    }
    let mut next = 0;
    for group in groups {
        // ResourceSpans { resource = 1, scope_spans = 2, schema_url = 3 }
        let resource_body = group.resource.map_or(0, resource_len);
        let schema_url = group.resource.and_then(Resource::schema_url).unwrap_or("");
        let mut scope_lens = Vec::with_capacity(group.scopes.len());
        let mut cursor = next;
        for scope in &group.scopes {
            let lens = &span_lens[cursor..cursor + scope.spans.len()];
            scope_lens.push(scope_spans_len(scope, lens));
            cursor += scope.spans.len();
        }
        let group_len = len_field(1, resource_body)
            + scope_lens
                .iter()
                .map(|&len| len_field(2, len))
                .sum::<usize>()
            + str_field(3, schema_url);
        put_len(1, group_len, out);
        put_len(1, resource_body, out);
        if let Some(resource) = group.resource {
            put_attributes(1, resource.attributes(), out);
        }
        for (scope, scope_len_total) in group.scopes.iter().zip(&scope_lens) {
            put_len(2, *scope_len_total, out);
            let s = scope.scope;
            put_len(1, scope_len(s), out);
            put_str(1, s.name(), out);
            put_str(2, s.version().unwrap_or(""), out);
            put_attributes(3, s.attributes(), out);
            for span in &scope.spans {
                put_span(span, span_lens[next], out);
                next += 1;
            }
            put_str(3, s.schema_url().unwrap_or(""), out);
        }
        put_str(3, schema_url, out);
    }
}
