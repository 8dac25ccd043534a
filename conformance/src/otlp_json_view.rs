//! Spans as OTLP JSON, the form `/api/v3/traces/{id}` returns: what a span
//! sent by spanlite must look like there, and the spans of an answer.
//!
//! The expected values are written from the OTLP specification
//! (`opentelemetry/proto/trace/v1/trace.proto` and the OTLP/JSON rules:
//! ids as lowercase hex, enums as integers, 64-bit integers as decimal
//! strings), not from spanlite's encoder, so they check it.

use serde_json::{json, Map, Value};
use spanlite::{
    Array, Event, InstrumentationScope, KeyValue, Link, Resource, SpanData, SpanKind, Status,
};

/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK`: the next bit is meaningful.
const HAS_IS_REMOTE: u64 = 0x100;
/// `SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK`: the parent (or linked) context is remote.
const IS_REMOTE: u64 = 0x200;

/// One span of an OTLP JSON document with what it sits under.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct OtlpSpanEntry<'a> {
    /// The `resource` of its `ResourceSpans`.
    pub resource: &'a Value,
    /// The `schemaUrl` of its `ResourceSpans` (`Null` when absent).
    pub resource_schema_url: &'a Value,
    /// The `scope` of its `ScopeSpans`.
    pub scope: &'a Value,
    /// The `schemaUrl` of its `ScopeSpans` (`Null` when absent).
    pub scope_schema_url: &'a Value,
    /// The span.
    pub span: &'a Value,
}

impl OtlpSpanEntry<'_> {
    /// The span's `spanId`, or `""`.
    pub fn span_id(&self) -> &str {
        self.span
            .get("spanId")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// The spans of `body`: a `/api/v3` answer (`{"result":{"resourceSpans":..}}`)
/// or a bare `TracesData`. `None` when neither shape is there.
pub fn spans(body: &Value) -> Option<Vec<OtlpSpanEntry<'_>>> {
    static NULL: Value = Value::Null;
    let data = body.get("result").unwrap_or(body);
    let mut out = Vec::new();
    for rs in data.get("resourceSpans")?.as_array()? {
        let resource = rs.get("resource").unwrap_or(&NULL);
        let resource_schema_url = rs.get("schemaUrl").unwrap_or(&NULL);
        for ss in rs
            .get("scopeSpans")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let scope = ss.get("scope").unwrap_or(&NULL);
            let scope_schema_url = ss.get("schemaUrl").unwrap_or(&NULL);
            for span in ss
                .get("spans")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(OtlpSpanEntry {
                    resource,
                    resource_schema_url,
                    scope,
                    scope_schema_url,
                    span,
                });
            }
        }
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An attribute value as an OTLP JSON `AnyValue`.
pub fn any_value(value: &spanlite::Value) -> Value {
    match value {
        spanlite::Value::String(s) => json!({ "stringValue": s.as_str() }),
        spanlite::Value::Bool(b) => json!({ "boolValue": b }),
        spanlite::Value::I64(i) => json!({ "intValue": i.to_string() }),
        spanlite::Value::F64(f) => json!({ "doubleValue": f }),
        spanlite::Value::Array(array) => {
            let values: Vec<Value> = match array {
                Array::Bool(v) => v.iter().map(|b| json!({ "boolValue": b })).collect(),
                Array::I64(v) => v
                    .iter()
                    .map(|i| json!({ "intValue": i.to_string() }))
                    .collect(),
                Array::F64(v) => v.iter().map(|f| json!({ "doubleValue": f })).collect(),
                Array::String(v) => v
                    .iter()
                    .map(|s| json!({ "stringValue": s.as_str() }))
                    .collect(),
                _ => Vec::new(),
            };
            json!({ "arrayValue": { "values": values } })
        }
        _ => Value::Null,
    }
}

/// Attributes as an OTLP JSON `KeyValue` list, in order.
pub fn attributes(attributes: &[KeyValue]) -> Value {
    Value::Array(
        attributes
            .iter()
            .map(|kv| json!({ "key": kv.key().as_str(), "value": any_value(kv.value()) }))
            .collect(),
    )
}

/// The `resource` a span of `resource` must be under.
pub fn expected_resource(resource: Option<&Resource>) -> Value {
    json!({ "attributes": attributes(resource.map_or(&[][..], Resource::attributes)) })
}

/// The `scope` a span of `scope` must be under.
pub fn expected_scope(scope: &InstrumentationScope) -> Value {
    json!({
        "name": scope.name(),
        "version": scope.version().unwrap_or(""),
        "attributes": attributes(scope.attributes()),
    })
}

/// The `SpanKind` enum number.
pub fn kind_number(kind: SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn flags(trace_flags: u8, remote: bool) -> u64 {
    u64::from(trace_flags) | HAS_IS_REMOTE | if remote { IS_REMOTE } else { 0 }
}

fn event(event: &Event) -> Value {
    json!({
        "timeUnixNano": event.unix_nanos().to_string(),
        "name": event.name(),
        "attributes": attributes(event.attributes()),
        "droppedAttributesCount": event.dropped_attributes_count(),
    })
}

fn link(link: &Link) -> Value {
    let cx = link.span_context();
    json!({
        "traceId": hex(&cx.trace_id().to_bytes()),
        "spanId": hex(&cx.span_id().to_bytes()),
        "traceState": cx.trace_state().header(),
        "attributes": attributes(link.attributes()),
        "droppedAttributesCount": link.dropped_attributes_count(),
        "flags": flags(cx.trace_flags().to_u8(), cx.is_remote()),
    })
}

fn status(status: &Status) -> Value {
    match status {
        Status::Unset => json!({}),
        Status::Ok => json!({ "code": 1 }),
        Status::Error { description } => json!({ "code": 2, "message": description.as_str() }),
    }
}

/// The OTLP JSON `Span` that `span` must be stored as: every field.
pub fn expected_span(span: &SpanData) -> Value {
    let cx = span.span_context();
    let parent = span.parent_span_id();
    json!({
        "traceId": hex(&cx.trace_id().to_bytes()),
        "spanId": hex(&cx.span_id().to_bytes()),
        "traceState": cx.trace_state().header(),
        "parentSpanId": if parent.is_valid() { hex(&parent.to_bytes()) } else { String::new() },
        "flags": flags(cx.trace_flags().to_u8(), span.parent_is_remote()),
        "name": span.name(),
        "kind": kind_number(span.kind()),
        "startTimeUnixNano": span.start_unix_nanos().to_string(),
        "endTimeUnixNano": span.end_unix_nanos().to_string(),
        "attributes": attributes(span.attributes()),
        "droppedAttributesCount": span.dropped_attributes_count(),
        "events": span.events().iter().map(event).collect::<Vec<_>>(),
        "droppedEventsCount": span.dropped_events_count(),
        "links": span.links().iter().map(link).collect::<Vec<_>>(),
        "droppedLinksCount": span.dropped_links_count(),
        "status": status(span.status()),
    })
}

fn sort_attributes(object: &mut Map<String, Value>) {
    if let Some(Value::Array(list)) = object.get_mut("attributes") {
        list.sort_by(|a, b| key_of(a).cmp(key_of(b)));
    }
}

fn key_of(kv: &Value) -> &str {
    kv.get("key").and_then(Value::as_str).unwrap_or("")
}

/// `value` (a resource, scope or span in OTLP JSON) as Jaeger's query
/// adjusters return it (`SortCollections`): attributes sorted by key, in the
/// object and in its events and links; events sorted by name (stable).
pub fn sorted_like_jaeger(value: &Value) -> Value {
    let mut value = value.clone();
    if let Value::Object(object) = &mut value {
        sort_attributes(object);
        for list in ["events", "links"] {
            if let Some(Value::Array(items)) = object.get_mut(list) {
                for item in items.iter_mut() {
                    if let Value::Object(item) = item {
                        sort_attributes(item);
                    }
                }
                if list == "events" {
                    items.sort_by(|a, b| {
                        let name = |v: &Value| {
                            v.get("name")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_owned()
                        };
                        name(a).cmp(&name(b))
                    });
                }
            }
        }
    }
    value
}

/// The attribute under which Jaeger's query adjusters leave warnings.
pub const WARNINGS_ATTRIBUTE: &str = "@jaeger@warnings";

/// The warning Jaeger's clock skew adjuster adds to a span whose parent is
/// not in the trace (a remote parent, for one).
pub fn missing_parent_warning(parent: spanlite::SpanId) -> String {
    format!("parent span ID={parent} is not in the trace; skipping clock skew adjustment")
}

/// `span` (OTLP JSON) with `warnings` appended as Jaeger's adjusters do: a
/// string array attribute [`WARNINGS_ATTRIBUTE`] after the others.
pub fn with_warnings(span: &Value, warnings: &[String]) -> Value {
    let mut span = span.clone();
    if warnings.is_empty() {
        return span;
    }
    let values: Vec<Value> = warnings
        .iter()
        .map(|w| json!({ "stringValue": w }))
        .collect();
    let attribute =
        json!({ "key": WARNINGS_ATTRIBUTE, "value": { "arrayValue": { "values": values } } });
    match span.get_mut("attributes") {
        Some(Value::Array(list)) => list.push(attribute),
        _ => span["attributes"] = json!([attribute]),
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_follow_the_otlp_json_rules() {
        assert_eq!(
            any_value(&spanlite::Value::I64(i64::MIN)),
            json!({"intValue": "-9223372036854775808"})
        );
        assert_eq!(
            any_value(&spanlite::Value::F64(0.5)),
            json!({"doubleValue": 0.5})
        );
        assert_eq!(
            any_value(&spanlite::Value::Array(Array::Bool(vec![true]))),
            json!({"arrayValue": {"values": [{"boolValue": true}]}})
        );
    }

    #[test]
    fn spans_are_found_under_result_or_bare() {
        let doc = json!({"resourceSpans": [{"resource": {"attributes": []},
            "scopeSpans": [{"scope": {"name": "s"}, "spans": [{"spanId": "01"}, {"spanId": "02"}]}]}]});
        let bare = spans(&doc).unwrap();
        assert_eq!(
            bare.iter().map(OtlpSpanEntry::span_id).collect::<Vec<_>>(),
            ["01", "02"]
        );
        assert_eq!(bare[0].scope, &json!({"name": "s"}));
        let wrapped = json!({"result": doc});
        assert_eq!(spans(&wrapped).unwrap().len(), 2);
        assert!(spans(&json!({"error": {}})).is_none());
    }

    #[test]
    fn sorting_orders_attributes_by_key_and_events_by_name() {
        let span = json!({"attributes": [{"key": "b"}, {"key": "a"}],
            "events": [{"name": "z", "attributes": [{"key": "y"}, {"key": "x"}]}, {"name": "m"}]});
        assert_eq!(
            sorted_like_jaeger(&span),
            json!({"attributes": [{"key": "a"}, {"key": "b"}],
                "events": [{"name": "m"}, {"name": "z", "attributes": [{"key": "x"}, {"key": "y"}]}]})
        );
    }
}
