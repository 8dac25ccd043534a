//! A finished span as a Jaeger Thrift `Span`, and a resource as a
//! `Process` (`jaeger.thrift` field ids), written straight from the
//! records.

use spanlite::{Link, Resource, SpanData};

use super::tags::{for_each_log_field, for_each_process_tag, for_each_span_tag, put_tag_list};
use crate::non_otlp;
use crate::thrift::{FieldType, ThriftWriter};

/// `SpanRefType.CHILD_OF`.
const CHILD_OF: i32 = 0;
/// `SpanRefType.FOLLOWS_FROM`.
const FOLLOWS_FROM: i32 = 1;
/// `Span.flags`: sampled.
const SAMPLED: i32 = 1;
/// The link attribute that says a link is a `CHILD_OF` reference.
const REF_TYPE: &str = "opentracing.ref_type";

/// The low and high halves of a trace id, as Thrift's signed i64s (the
/// big-endian unsigned halves, re-read as signed).
fn trace_id_halves(id: spanlite::TraceId) -> (i64, i64) {
    let id = id.to_int();
    (id as u64 as i64, (id >> 64) as u64 as i64)
}

fn micros(unix_nanos: u64) -> i64 {
    (unix_nanos / 1_000) as i64
}

/// `FOLLOWS_FROM`, or `CHILD_OF` when the link says so with
/// `opentracing.ref_type = "child_of"` (as Jaeger reads links back).
fn ref_type(link: &Link) -> i32 {
    let child_of = link
        .attributes()
        .iter()
        .any(|kv| kv.key().as_str() == REF_TYPE && kv.value().as_str() == Some("child_of"));
    if child_of {
        CHILD_OF
    } else {
        FOLLOWS_FROM
    }
}

/// Writes `SpanRef{1 refType, 2 traceIdLow, 3 traceIdHigh, 4 spanId}`.
fn put_reference<W: ThriftWriter>(w: &mut W, out: &mut Vec<u8>, link: &Link) {
    let cx = link.span_context();
    let (low, high) = trace_id_halves(cx.trace_id());
    let saved = w.struct_begin();
    w.field_i32(out, 1, ref_type(link));
    w.field_i64(out, 2, low);
    w.field_i64(out, 3, high);
    w.field_i64(out, 4, cx.span_id().to_int() as i64);
    w.struct_end(out, saved);
}

/// Writes one span as a `Span` struct. `text` is scratch space.
///
/// The parent is `parentSpanId` (0 for a root); links are references
/// after it. Times are whole microseconds, each truncated on its own, so
/// that start + duration is the truncated end. Flags say sampled only:
/// OpenTelemetry's random flag (0x02) is not Jaeger's debug flag.
pub(crate) fn put_span<W: ThriftWriter>(
    w: &mut W,
    out: &mut Vec<u8>,
    text: &mut Vec<u8>,
    span: &SpanData,
) {
    let cx = span.span_context();
    let (low, high) = trace_id_halves(cx.trace_id());
    let start = micros(span.start_unix_nanos());
    let end = micros(span.end_unix_nanos());
    let trace_state = cx.trace_state().header();

    let saved = w.struct_begin();
    w.field_i64(out, 1, low);
    w.field_i64(out, 2, high);
    w.field_i64(out, 3, cx.span_id().to_int() as i64);
    w.field_i64(out, 4, span.parent_span_id().to_int() as i64);
    w.field_binary(out, 5, span.name().as_bytes());
    let links = span.links();
    if !links.is_empty() {
        w.field_list(out, 6, FieldType::Struct, links.len());
        for link in links {
            put_reference(w, out, link);
        }
    }
    let flags = if cx.is_sampled() { SAMPLED } else { 0 };
    w.field_i32(out, 7, flags);
    w.field_i64(out, 8, start);
    w.field_i64(out, 9, end.saturating_sub(start).max(0));
    put_tag_list(w, out, text, 10, |each| {
        for_each_span_tag(span, &trace_state, each)
    });
    let events = span.events();
    if !events.is_empty() {
        w.field_list(out, 11, FieldType::Struct, events.len());
        for event in events {
            // Log{1 timestamp, 2 fields}
            let log = w.struct_begin();
            w.field_i64(out, 1, micros(event.unix_nanos()));
            let mut n = 0;
            for_each_log_field(event, |_, _| n += 1);
            w.field_list(out, 2, FieldType::Struct, n);
            for_each_log_field(event, |key, value| {
                super::tags::put_tag(w, out, text, key, value)
            });
            w.struct_end(out, log);
        }
    }
    w.struct_end(out, saved);
}

/// Writes `Process{1 serviceName, 2 tags}`: the service name and the
/// resource's other attributes.
pub(crate) fn put_process<W: ThriftWriter>(
    w: &mut W,
    out: &mut Vec<u8>,
    text: &mut Vec<u8>,
    resource: Option<&Resource>,
) {
    let saved = w.struct_begin();
    w.field_binary(out, 1, non_otlp::service_name(resource).as_bytes());
    let attributes = resource.map_or(&[][..], Resource::attributes);
    put_tag_list(w, out, text, 2, |each| {
        for_each_process_tag(attributes, each)
    });
    w.struct_end(out, saved);
}
