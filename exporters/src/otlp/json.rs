//! OTLP/JSON: the protobuf JSON mapping with OTLP's exceptions: trace and
//! span ids as lowercase hex (not base64), enums as integers, field names
//! in lowerCamelCase, 64-bit integers as decimal strings.

use std::io::Write as _;

use spanlite::{
    Array, Event, InstrumentationScope, KeyValue, Link, Resource, SpanContext, SpanData, SpanKind,
    Status, Value,
};

use super::group::ResourceGroup;

/// Appends `s` as a JSON string literal.
fn put_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x00..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn put_key(key: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

fn put_hex(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
    out.push(b'"');
}

fn put_u64_string(v: u64, out: &mut Vec<u8>) {
    let _ = write!(out, "\"{v}\"");
}

fn put_f64(v: f64, out: &mut Vec<u8>) {
    // JSON has no NaN or infinities; the proto3 mapping spells them as strings.
    if v.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        let _ = write!(out, "{v:?}");
    }
}

fn comma(first: &mut bool, out: &mut Vec<u8>) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

fn put_list<T>(
    items: impl IntoIterator<Item = T>,
    out: &mut Vec<u8>,
    mut each: impl FnMut(T, &mut Vec<u8>),
) {
    out.push(b'[');
    let mut first = true;
    for item in items {
        comma(&mut first, out);
        each(item, out);
    }
    out.push(b']');
}

fn put_value(value: &Value, out: &mut Vec<u8>) {
    out.push(b'{');
    match value {
        Value::String(s) => {
            put_key("stringValue", out);
            put_str(s, out);
        }
        Value::Bool(b) => {
            put_key("boolValue", out);
            out.extend_from_slice(if *b { b"true" } else { b"false" });
        }
        Value::I64(i) => {
            put_key("intValue", out);
            let _ = write!(out, "\"{i}\"");
        }
        Value::F64(f) => {
            put_key("doubleValue", out);
            put_f64(*f, out);
        }
        Value::Array(array) => {
            put_key("arrayValue", out);
            out.extend_from_slice(b"{\"values\":");
            match array {
                Array::Bool(v) => put_list(v, out, |b, out| put_value(&Value::Bool(*b), out)),
                Array::I64(v) => put_list(v, out, |i, out| put_value(&Value::I64(*i), out)),
                Array::F64(v) => put_list(v, out, |f, out| put_value(&Value::F64(*f), out)),
                Array::String(v) => put_list(v, out, |s, out| {
                    out.extend_from_slice(b"{\"stringValue\":");
                    put_str(s, out);
                    out.push(b'}');
                }),
                _ => out.extend_from_slice(b"[]"),
            }
            out.push(b'}');
        }
        _ => {}
    }
    out.push(b'}');
}

fn put_attributes(attributes: &[KeyValue], out: &mut Vec<u8>) {
    put_key("attributes", out);
    put_list(attributes, out, |kv, out| {
        out.extend_from_slice(b"{\"key\":");
        put_str(kv.key().as_str(), out);
        out.extend_from_slice(b",\"value\":");
        put_value(kv.value(), out);
        out.push(b'}');
    });
}

fn put_count(key: &str, count: u32, out: &mut Vec<u8>) {
    if count != 0 {
        out.push(b',');
        put_key(key, out);
        let _ = write!(out, "{count}");
    }
}

fn put_resource(resource: Option<&Resource>, out: &mut Vec<u8>) {
    put_key("resource", out);
    out.push(b'{');
    put_attributes(resource.map_or(&[][..], Resource::attributes), out);
    out.push(b'}');
}

fn put_scope(scope: &InstrumentationScope, out: &mut Vec<u8>) {
    put_key("scope", out);
    out.push(b'{');
    put_key("name", out);
    put_str(scope.name(), out);
    if let Some(version) = scope.version() {
        out.push(b',');
        put_key("version", out);
        put_str(version, out);
    }
    out.push(b',');
    put_attributes(scope.attributes(), out);
    out.push(b'}');
}

fn kind_number(kind: SpanKind) -> u8 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn flags(trace_flags: u8, remote: bool) -> u32 {
    u32::from(trace_flags) | 0x100 | if remote { 0x200 } else { 0 }
}

fn put_event(event: &Event, out: &mut Vec<u8>) {
    out.push(b'{');
    put_key("timeUnixNano", out);
    put_u64_string(event.unix_nanos(), out);
    out.push(b',');
    put_key("name", out);
    put_str(event.name(), out);
    out.push(b',');
    put_attributes(event.attributes(), out);
    put_count(
        "droppedAttributesCount",
        event.dropped_attributes_count(),
        out,
    );
    out.push(b'}');
}

/// `"traceId":…,"spanId":…` and `"traceState":…` when there is one.
fn put_ids(cx: &SpanContext, out: &mut Vec<u8>) {
    put_key("traceId", out);
    put_hex(&cx.trace_id().to_bytes(), out);
    out.push(b',');
    put_key("spanId", out);
    put_hex(&cx.span_id().to_bytes(), out);
    let state = cx.trace_state().header();
    if !state.is_empty() {
        out.push(b',');
        put_key("traceState", out);
        put_str(&state, out);
    }
}

fn put_link(link: &Link, out: &mut Vec<u8>) {
    let cx = link.span_context();
    out.push(b'{');
    put_ids(cx, out);
    out.push(b',');
    put_attributes(link.attributes(), out);
    put_count(
        "droppedAttributesCount",
        link.dropped_attributes_count(),
        out,
    );
    let _ = write!(
        out,
        ",\"flags\":{}",
        flags(cx.trace_flags().to_u8(), cx.is_remote())
    );
    out.push(b'}');
}

fn put_span(span: &SpanData, out: &mut Vec<u8>) {
    let cx = span.span_context();
    out.push(b'{');
    put_ids(cx, out);
    if span.parent_span_id().is_valid() {
        out.push(b',');
        put_key("parentSpanId", out);
        put_hex(&span.parent_span_id().to_bytes(), out);
    }
    let _ = write!(
        out,
        ",\"flags\":{}",
        flags(cx.trace_flags().to_u8(), span.parent_is_remote())
    );
    out.push(b',');
    put_key("name", out);
    put_str(span.name(), out);
    let _ = write!(out, ",\"kind\":{}", kind_number(span.kind()));
    out.push(b',');
    put_key("startTimeUnixNano", out);
    put_u64_string(span.start_unix_nanos(), out);
    out.push(b',');
    put_key("endTimeUnixNano", out);
    put_u64_string(span.end_unix_nanos(), out);
    out.push(b',');
    put_attributes(span.attributes(), out);
    put_count(
        "droppedAttributesCount",
        span.dropped_attributes_count(),
        out,
    );
    out.push(b',');
    put_key("events", out);
    put_list(span.events(), out, put_event);
    put_count("droppedEventsCount", span.dropped_events_count(), out);
    out.push(b',');
    put_key("links", out);
    put_list(span.links(), out, put_link);
    put_count("droppedLinksCount", span.dropped_links_count(), out);
    match span.status() {
        Status::Unset => {}
        Status::Ok => out.extend_from_slice(b",\"status\":{\"code\":1}"),
        Status::Error { description } => {
            out.extend_from_slice(b",\"status\":{\"message\":");
            put_str(description, out);
            out.extend_from_slice(b",\"code\":2}");
        }
    }
    out.push(b'}');
}

/// Appends `{"resourceSpans":[...]}` for `groups`.
pub(crate) fn encode_request(groups: &[ResourceGroup<'_>], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"resourceSpans\":");
    put_list(groups, out, |group, out| {
        out.push(b'{');
        put_resource(group.resource, out);
        out.push(b',');
        put_key("scopeSpans", out);
        put_list(&group.scopes, out, |scope, out| {
            out.push(b'{');
            put_scope(scope.scope, out);
            out.push(b',');
            put_key("spans", out);
            put_list(&scope.spans, out, |span, out| put_span(span, out));
            if let Some(url) = scope.scope.schema_url() {
                out.push(b',');
                put_key("schemaUrl", out);
                put_str(url, out);
            }
            out.push(b'}');
        });
        if let Some(url) = group.resource.and_then(Resource::schema_url) {
            out.push(b',');
            put_key("schemaUrl", out);
            put_str(url, out);
        }
        out.push(b'}');
    });
    out.push(b'}');
}
