//! What a span sent to Jaeger as Jaeger Thrift (UDP agent or HTTP
//! collector) must look like when read back, through `/api/v3` (OTLP JSON)
//! and `/api/traces` (the Jaeger UI model), and the comparison of every
//! field.
//!
//! Two translations stand between spanlite and those answers, and the
//! expected values follow both:
//!
//! 1. spanlite's OpenTelemetry -> Jaeger Thrift mapping (the historical
//!    spec): scope as `otel.scope.name`/`otel.scope.version` tags and its
//!    attributes as span tags, `span.kind` (none for INTERNAL),
//!    `otel.status_code`, `error=true`, `otel.status_description`,
//!    `w3c.tracestate`, `otel.dropped_*_count`, arrays as JSON strings,
//!    events as logs with `event`, links as `FOLLOWS_FROM` references
//!    (`CHILD_OF` with `opentracing.ref_type=child_of`), whole
//!    microseconds, the process from the resource.
//! 2. Jaeger's Thrift -> OTLP translation (collector-contrib
//!    `jaegerthrift_to_traces.go`, notes/jaeger.md): `service.name` first
//!    and the process tags as resource attributes; `span.kind` becomes the
//!    kind (so INTERNAL comes back UNSPECIFIED); `error`,
//!    `otel.status_code` and `otel.status_description` become the status;
//!    every other tag stays an attribute, including `otel.scope.*`,
//!    `w3c.tracestate` and the dropped counts (the Thrift path restores
//!    neither scope nor trace state); references other than the parent
//!    become links carrying only `opentracing.ref_type`; a log's `event`
//!    field becomes the event name. Span flags are not carried. Tags are
//!    put in a map in order (a repeated key keeps its first place) and the
//!    ones that become fields are removed from it the way pdata's
//!    `Map.Remove` does: the last attribute moves into the removed one's
//!    place. The expected attribute order follows that.

use serde_json::{json, Value};
use spanlite::{
    Array, Event, KeyValue, Link, Resource, SpanData, SpanId, SpanKind, Status, TraceId,
};
use spanlite_conformance::{jaeger_ui_view, otlp_json_view, Jaeger};

use super::round_trip::{self, Expected};

const REF_TYPE: &str = "opentracing.ref_type";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn micros(nanos: u64) -> u64 {
    nanos / 1_000
}

/// An array as the JSON list it travels as, parsed.
fn array_json(array: &Array) -> Value {
    match array {
        Array::Bool(v) => json!(v),
        Array::I64(v) => json!(v),
        Array::F64(v) => json!(v),
        Array::String(v) => Value::Array(v.iter().map(|s| json!(s.as_str())).collect()),
        _ => json!([]),
    }
}

/// A tag value as an OTLP JSON `AnyValue` after the round trip: arrays are
/// strings holding JSON, here already parsed (see [`parse_json_strings`]).
fn any_value(value: &spanlite::Value) -> Value {
    match value {
        spanlite::Value::Array(array) => json!({ "stringValue": array_json(array) }),
        other => otlp_json_view::any_value(other),
    }
}

fn string_attribute(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

fn attribute(kv: &KeyValue) -> Value {
    json!({ "key": kv.key().as_str(), "value": any_value(kv.value()) })
}

/// A link's reference type as Jaeger reads it back.
fn ref_type(link: &Link) -> &'static str {
    let child_of = link
        .attributes()
        .iter()
        .any(|kv| kv.key().as_str() == REF_TYPE && kv.value().as_str() == Some("child_of"));
    if child_of {
        "child_of"
    } else {
        "follows_from"
    }
}

/// The links Jaeger makes of the references: all but a `CHILD_OF` one to
/// the parent span (the parent is a field of its own).
fn surviving_links(span: &SpanData) -> impl Iterator<Item = &Link> {
    let parent = span.parent_span_id();
    span.links().iter().filter(move |link| {
        !(ref_type(link) == "child_of" && link.span_context().span_id() == parent)
    })
}

/// The resource attributes: `service.name` first, then the process tags.
pub(crate) fn expected_v3_resource(resource: Option<&Resource>) -> Value {
    let attributes = resource.map_or(&[][..], Resource::attributes);
    let service = resource
        .and_then(Resource::service_name)
        .unwrap_or("unknown_service");
    let mut list = vec![string_attribute("service.name", service)];
    list.extend(
        attributes
            .iter()
            .filter(|kv| kv.key().as_str() != "service.name")
            .map(attribute),
    );
    json!({ "attributes": list })
}

/// Removes `key` the way pdata's `Map.Remove` does: the last entry takes
/// its place.
fn swap_remove(list: &mut Vec<KeyValue>, key: &str) -> Option<KeyValue> {
    let i = list.iter().position(|kv| kv.key().as_str() == key)?;
    Some(list.swap_remove(i))
}

/// Tags put into a map in order: a repeated key keeps its first place and
/// takes the last value.
fn put_all(tags: Vec<KeyValue>) -> Vec<KeyValue> {
    let mut map: Vec<KeyValue> = Vec::with_capacity(tags.len());
    for kv in tags {
        match map.iter_mut().find(|m| m.key() == kv.key()) {
            Some(slot) => *slot = kv,
            None => map.push(kv),
        }
    }
    map
}

/// The span tags spanlite sends, in order (see the exporter's docs).
fn sent_tags(span: &SpanData) -> Vec<KeyValue> {
    let scope = span.instrumentation_scope();
    let mut tags = Vec::new();
    if !scope.name().is_empty() {
        tags.push(KeyValue::new("otel.scope.name", scope.name().to_owned()));
    }
    if let Some(version) = scope.version().filter(|v| !v.is_empty()) {
        tags.push(KeyValue::new("otel.scope.version", version.to_owned()));
    }
    tags.extend(scope.attributes().iter().cloned());
    tags.extend(span.attributes().iter().cloned());
    if span.kind() != SpanKind::Internal {
        tags.push(KeyValue::new("span.kind", span.kind().as_str()));
    }
    match span.status() {
        Status::Unset => {}
        Status::Ok => tags.push(KeyValue::new("otel.status_code", "OK")),
        Status::Error { description } => {
            tags.push(KeyValue::new("otel.status_code", "ERROR"));
            tags.push(KeyValue::new("error", true));
            if !description.is_empty() {
                tags.push(KeyValue::new(
                    "otel.status_description",
                    description.clone(),
                ));
            }
        }
    }
    let state = span.span_context().trace_state().header();
    if !state.is_empty() {
        tags.push(KeyValue::new("w3c.tracestate", state));
    }
    let counts = [
        (
            "otel.dropped_attributes_count",
            span.dropped_attributes_count(),
        ),
        ("otel.dropped_events_count", span.dropped_events_count()),
        ("otel.dropped_links_count", span.dropped_links_count()),
    ];
    for (key, n) in counts {
        if n != 0 {
            tags.push(KeyValue::new(key, i64::from(n)));
        }
    }
    tags
}

/// The attributes Jaeger keeps of the tags of `span`, in its order: the
/// kind and the status tags (`error` first, then the description, then the
/// code) removed.
fn stored_attributes(span: &SpanData) -> Vec<KeyValue> {
    let mut map = put_all(sent_tags(span));
    swap_remove(&mut map, "span.kind");
    if span.status().is_error() {
        swap_remove(&mut map, "error");
    }
    if !matches!(span.status(), Status::Unset) {
        swap_remove(&mut map, "otel.status_description");
        swap_remove(&mut map, "otel.status_code");
    }
    map
}

/// An event's name and attributes after the round trip: the log's fields
/// as sent, with `event` taken out as the name.
fn event_parts(event: &Event) -> (String, Vec<KeyValue>) {
    let has_event_attribute = event
        .attributes()
        .iter()
        .any(|kv| kv.key().as_str() == "event");
    let mut fields = Vec::new();
    if !event.name().is_empty() && !has_event_attribute {
        fields.push(KeyValue::new("event", event.name().to_owned()));
    }
    fields.extend(event.attributes().iter().cloned());
    if event.dropped_attributes_count() != 0 {
        fields.push(KeyValue::new(
            "otel.dropped_attributes_count",
            i64::from(event.dropped_attributes_count()),
        ));
    }
    let mut map = put_all(fields);
    let name = swap_remove(&mut map, "event")
        .and_then(|kv| kv.value().as_str().map(str::to_owned))
        .unwrap_or_default();
    (name, map)
}

fn v3_event(event: &Event) -> Value {
    let (name, attributes) = event_parts(event);
    let list: Vec<Value> = attributes.iter().map(attribute).collect();
    json!({
        "timeUnixNano": (micros(event.unix_nanos()) * 1_000).to_string(),
        "name": name,
        "attributes": list,
    })
}

fn v3_link(link: &Link) -> Value {
    let cx = link.span_context();
    json!({
        "traceId": hex(&cx.trace_id().to_bytes()),
        "spanId": hex(&cx.span_id().to_bytes()),
        "attributes": [string_attribute(REF_TYPE, ref_type(link))],
    })
}

fn kind_number(kind: SpanKind) -> u64 {
    match kind {
        // No `span.kind` tag: Jaeger reads UNSPECIFIED.
        SpanKind::Internal => 0,
        other => otlp_json_view::kind_number(other),
    }
}

fn v3_status(status: &Status) -> Value {
    match status {
        Status::Unset => json!({}),
        Status::Ok => json!({ "code": 1 }),
        Status::Error { description } => json!({ "code": 2, "message": description.as_str() }),
    }
}

/// The OTLP JSON span `/api/v3` holds for `span` sent as Jaeger Thrift.
pub(crate) fn expected_v3_span(span: &SpanData) -> Value {
    let cx = span.span_context();
    let parent = span.parent_span_id();
    json!({
        "traceId": hex(&cx.trace_id().to_bytes()),
        "spanId": hex(&cx.span_id().to_bytes()),
        "parentSpanId": if parent.is_valid() { hex(&parent.to_bytes()) } else { String::new() },
        "name": span.name(),
        "kind": kind_number(span.kind()),
        "startTimeUnixNano": (micros(span.start_unix_nanos()) * 1_000).to_string(),
        "endTimeUnixNano": (micros(span.end_unix_nanos()) * 1_000).to_string(),
        "attributes": stored_attributes(span).iter().map(attribute).collect::<Vec<_>>(),
        "events": span.events().iter().map(v3_event).collect::<Vec<_>>(),
        "links": surviving_links(span).map(v3_link).collect::<Vec<_>>(),
        "status": v3_status(span.status()),
    })
}

/// `value` with every string attribute value that holds a JSON list (how
/// arrays travel) replaced by the list, parsed.
pub(crate) fn parse_json_strings(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let parsed = match (k.as_str(), v) {
                        ("stringValue", Value::String(s)) if s.starts_with('[') => {
                            serde_json::from_str::<Value>(s)
                                .ok()
                                .filter(Value::is_array)
                        }
                        _ => None,
                    };
                    (k.clone(), parsed.unwrap_or_else(|| parse_json_strings(v)))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(parse_json_strings).collect()),
        other => other.clone(),
    }
}

fn tag(key: &str, kind: &str, value: Value) -> Value {
    json!({ "key": key, "type": kind, "value": value })
}

/// The span tags `/api/traces` shows: the attributes kept by the round
/// trip, then what Jaeger derives from kind and status.
fn v1_tags(span: &SpanData) -> Vec<Value> {
    let mut tags: Vec<Value> = stored_attributes(span)
        .iter()
        .map(jaeger_ui_view::tag)
        .collect();
    if span.kind() != SpanKind::Internal {
        tags.push(tag("span.kind", "string", json!(span.kind().as_str())));
    }
    match span.status() {
        Status::Unset => {}
        Status::Ok => tags.push(tag("otel.status_code", "string", json!("OK"))),
        Status::Error { description } => {
            tags.push(tag("otel.status_code", "string", json!("ERROR")));
            tags.push(tag("error", "bool", json!(true)));
            if !description.is_empty() {
                tags.push(tag(
                    "otel.status_description",
                    "string",
                    json!(description.as_str()),
                ));
            }
        }
    }
    tags
}

fn v1_log(event: &Event) -> Value {
    let (name, attributes) = event_parts(event);
    let mut fields = Vec::new();
    if !name.is_empty() {
        fields.push(tag("event", "string", json!(name)));
    }
    fields.extend(attributes.iter().map(jaeger_ui_view::tag));
    json!({ "timestamp": micros(event.unix_nanos()), "fields": fields })
}

fn reference(ref_type: &str, trace: TraceId, span: SpanId) -> Value {
    json!({
        "refType": ref_type,
        "traceID": jaeger_ui_view::trace_id(trace),
        "spanID": jaeger_ui_view::span_id(span),
    })
}

fn v1_references(span: &SpanData) -> Vec<Value> {
    let trace = span.span_context().trace_id();
    let parent = span.parent_span_id();
    let mut refs = Vec::new();
    if parent.is_valid() {
        refs.push(reference("CHILD_OF", trace, parent));
    }
    for link in surviving_links(span) {
        let cx = link.span_context();
        let kind = if ref_type(link) == "child_of" {
            "CHILD_OF"
        } else {
            "FOLLOWS_FROM"
        };
        if parent.is_valid() && cx.trace_id() == trace && cx.span_id() == parent {
            refs[0]["refType"] = json!(kind);
            continue;
        }
        refs.push(reference(kind, cx.trace_id(), cx.span_id()));
    }
    refs
}

/// The span `/api/traces/{id}?raw=true` shows for `span` sent as Jaeger
/// Thrift, with its process embedded (see
/// [`jaeger_ui_view::spans_for_comparison`]).
pub(crate) fn expected_v1_span(span: &SpanData) -> Value {
    let cx = span.span_context();
    let start = micros(span.start_unix_nanos());
    json!({
        "traceID": jaeger_ui_view::trace_id(cx.trace_id()),
        "spanID": jaeger_ui_view::span_id(cx.span_id()),
        "operationName": span.name(),
        "references": v1_references(span),
        "startTime": start,
        "duration": micros(span.end_unix_nanos()).saturating_sub(start),
        "tags": v1_tags(span),
        "logs": span.events().iter().map(v1_log).collect::<Vec<_>>(),
        "process": jaeger_ui_view::expected_process(span.resource()),
    })
}

/// The views of a span sent as Jaeger Thrift, for [`check_round_trip`].
pub(crate) const THRIFT: Expected = Expected {
    v3_span: expected_v3_span,
    v3_resource: expected_v3_resource,
    v3_scope: empty_scope,
    v1_span: expected_v1_span,
    // Jaeger keeps array tags as the JSON strings the Thrift mapping made.
    parse_json_strings: true,
};

/// The Thrift path keeps the scope in span tags: the scope itself is
/// empty (and schema URLs have no place in Thrift).
fn empty_scope(_: &SpanData) -> Value {
    json!({})
}

/// Reads a trace sent as Jaeger Thrift back four ways and compares every
/// field (see [`round_trip::check_round_trip`]).
pub(crate) fn check_round_trip(jaeger: &Jaeger, sent: &[SpanData], trace_id: TraceId) {
    round_trip::check_round_trip(jaeger, sent, trace_id, &THRIFT);
}
