//! Jaeger `Tag`s: what a span, a process and a log carry, and how each
//! OpenTelemetry value becomes one (`jaeger.thrift`:
//! `Tag{1 key, 2 vType, 3 vStr, 4 vDouble, 5 vBool, 6 vLong, 7 vBinary}`).

use spanlite::{Array, KeyValue, SpanData, SpanKind, Status, Value};

use crate::non_otlp::{self, put_json_array};
use crate::thrift::{FieldType, ThriftWriter};

/// `TagType.STRING`.
const STRING: i32 = 0;
/// `TagType.DOUBLE`.
const DOUBLE: i32 = 1;
/// `TagType.BOOL`.
const BOOL: i32 = 2;
/// `TagType.LONG`.
const LONG: i32 = 3;

/// The span kind tag.
pub(crate) const SPAN_KIND: &str = "span.kind";
/// The status description tag.
pub(crate) const STATUS_DESCRIPTION: &str = "otel.status_description";
/// The log field that names an event.
pub(crate) const EVENT: &str = "event";

/// A tag's value, borrowed from the span record.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TagValue<'a> {
    Str(&'a str),
    Bool(bool),
    Long(i64),
    Double(f64),
    /// Written as a string holding a JSON list.
    Array(&'a Array),
    /// An attribute value of a kind this crate does not know yet, written
    /// as its text.
    Other(&'a Value),
}

impl<'a> TagValue<'a> {
    pub(crate) fn of(value: &'a Value) -> TagValue<'a> {
        match value {
            Value::String(s) => TagValue::Str(s),
            Value::Bool(b) => TagValue::Bool(*b),
            Value::I64(i) => TagValue::Long(*i),
            Value::F64(f) => TagValue::Double(*f),
            Value::Array(a) => TagValue::Array(a),
            other => TagValue::Other(other),
        }
    }
}

/// The `span.kind` value; `None` for INTERNAL, which the mapping leaves
/// without a tag.
fn kind_tag(kind: SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Client => Some("client"),
        SpanKind::Server => Some("server"),
        SpanKind::Producer => Some("producer"),
        SpanKind::Consumer => Some("consumer"),
        SpanKind::Internal => None,
    }
}

fn count(n: u32) -> Option<TagValue<'static>> {
    (n != 0).then_some(TagValue::Long(i64::from(n)))
}

/// Calls `each` with every tag of `span`, in this order: `otel.scope.name`,
/// `otel.scope.version`, the scope's attributes, the span's attributes,
/// `span.kind`, `otel.status_code`, `error`, `otel.status_description`,
/// `w3c.tracestate` (`trace_state`, the header value), and the dropped
/// counts that are not zero. Called twice per span: once to count the
/// tags, once to write them.
pub(crate) fn for_each_span_tag<'a>(
    span: &'a SpanData,
    trace_state: &'a str,
    mut each: impl FnMut(&'a str, TagValue<'a>),
) {
    let scope = span.instrumentation_scope();
    if !scope.name().is_empty() {
        each(non_otlp::SCOPE_NAME, TagValue::Str(scope.name()));
    }
    if let Some(version) = scope.version().filter(|v| !v.is_empty()) {
        each(non_otlp::SCOPE_VERSION, TagValue::Str(version));
    }
    let attributes = scope.attributes().iter().chain(span.attributes());
    for kv in attributes {
        each(kv.key().as_str(), TagValue::of(kv.value()));
    }
    if let Some(kind) = kind_tag(span.kind()) {
        each(SPAN_KIND, TagValue::Str(kind));
    }
    if let Some(code) = non_otlp::status_code(span.status()) {
        each(non_otlp::STATUS_CODE, TagValue::Str(code));
    }
    if let Status::Error { description } = span.status() {
        each(non_otlp::ERROR, TagValue::Bool(true));
        if !description.is_empty() {
            each(STATUS_DESCRIPTION, TagValue::Str(description));
        }
    }
    if !trace_state.is_empty() {
        each(non_otlp::TRACE_STATE, TagValue::Str(trace_state));
    }
    let counts = [
        (
            non_otlp::DROPPED_ATTRIBUTES,
            span.dropped_attributes_count(),
        ),
        (non_otlp::DROPPED_EVENTS, span.dropped_events_count()),
        (non_otlp::DROPPED_LINKS, span.dropped_links_count()),
    ];
    for (key, n) in counts {
        if let Some(value) = count(n) {
            each(key, value);
        }
    }
}

/// Calls `each` with every field of the log an event becomes: `event`
/// with its name (unless the name is empty or an attribute is itself
/// called `event`, which then wins), the attributes, and the dropped
/// attribute count when it is not zero.
pub(crate) fn for_each_log_field<'a>(
    event: &'a spanlite::Event,
    mut each: impl FnMut(&'a str, TagValue<'a>),
) {
    let named_by_attribute = event
        .attributes()
        .iter()
        .any(|kv| kv.key().as_str() == EVENT);
    if !event.name().is_empty() && !named_by_attribute {
        each(EVENT, TagValue::Str(event.name()));
    }
    for kv in event.attributes() {
        each(kv.key().as_str(), TagValue::of(kv.value()));
    }
    if let Some(value) = count(event.dropped_attributes_count()) {
        each(non_otlp::DROPPED_ATTRIBUTES, value);
    }
}

/// Calls `each` with every tag of the process of `attributes` (a
/// resource's): all but `service.name`, which is the process's own field.
pub(crate) fn for_each_process_tag<'a>(
    attributes: &'a [KeyValue],
    mut each: impl FnMut(&'a str, TagValue<'a>),
) {
    for kv in attributes {
        if kv.key().as_str() != non_otlp::SERVICE_NAME {
            each(kv.key().as_str(), TagValue::of(kv.value()));
        }
    }
}

/// Writes one `Tag` struct; `text` is scratch space for JSON lists.
pub(crate) fn put_tag<W: ThriftWriter>(
    w: &mut W,
    out: &mut Vec<u8>,
    text: &mut Vec<u8>,
    key: &str,
    value: TagValue<'_>,
) {
    let saved = w.struct_begin();
    w.field_binary(out, 1, key.as_bytes());
    match value {
        TagValue::Str(s) => {
            w.field_i32(out, 2, STRING);
            w.field_binary(out, 3, s.as_bytes());
        }
        TagValue::Double(f) => {
            w.field_i32(out, 2, DOUBLE);
            w.field_double(out, 4, f);
        }
        TagValue::Bool(b) => {
            w.field_i32(out, 2, BOOL);
            w.field_bool(out, 5, b);
        }
        TagValue::Long(i) => {
            w.field_i32(out, 2, LONG);
            w.field_i64(out, 6, i);
        }
        TagValue::Array(array) => {
            text.clear();
            put_json_array(array, text);
            w.field_i32(out, 2, STRING);
            w.field_binary(out, 3, text);
        }
        TagValue::Other(value) => {
            text.clear();
            text.extend_from_slice(value.to_string().as_bytes());
            w.field_i32(out, 2, STRING);
            w.field_binary(out, 3, text);
        }
    }
    w.struct_end(out, saved);
}

/// Writes `list<Tag>` as field `id` when `tags` calls back at least once:
/// counts first (the list header needs the size), then writes.
pub(crate) fn put_tag_list<'a, W: ThriftWriter>(
    w: &mut W,
    out: &mut Vec<u8>,
    text: &mut Vec<u8>,
    id: i16,
    tags: impl Fn(&mut dyn FnMut(&'a str, TagValue<'a>)),
) {
    let mut n = 0;
    tags(&mut |_, _| n += 1);
    if n == 0 {
        return;
    }
    w.field_list(out, id, FieldType::Struct, n);
    tags(&mut |key, value| put_tag(w, out, text, key, value));
}
