//! Spans in the Jaeger UI model, the form `/api/traces/{id}` returns: what
//! a span sent over OTLP must look like there after Jaeger's OTLP -> Jaeger
//! translation, and the spans of an answer.
//!
//! The translation (notes/jaeger.md, "OTLP -> Jaeger model"):
//! `service.name` becomes the process's `serviceName` and the other resource
//! attributes its tags; span tags are, in order, `otel.scope.name`,
//! `otel.scope.version`, the attributes, `span.kind`, `otel.status_code`,
//! `error=true` (on ERROR), `otel.status_description`, `w3c.tracestate`;
//! arrays become JSON strings; the parent becomes the first `CHILD_OF`
//! reference and links `FOLLOWS_FROM` references; events become logs whose
//! first field is `event=<name>`; times are in microseconds. Scope
//! attributes, link attributes and trace state, and the dropped counts have
//! no place in this model and are lost.

use serde_json::{json, Map, Value};
use spanlite::{Array, Event, KeyValue, Resource, SpanData, SpanId, Status, TraceId};

/// The link attribute that makes a link a `CHILD_OF` reference.
const REF_TYPE_KEY: &str = "opentracing.ref_type";
/// JavaScript's `Number.MAX_SAFE_INTEGER`, 2^53 - 1.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;
/// What Jaeger names a service whose resource has no attributes.
const NO_SERVICE_NAME: &str = "OTLPResourceNoServiceName";

/// A trace id as the Jaeger model prints it: 16 hex digits when the high
/// 64 bits are zero, else 32.
pub fn trace_id(id: TraceId) -> String {
    let value = id.to_int();
    let high = (value >> 64) as u64;
    let low = value as u64;
    if high == 0 {
        format!("{low:016x}")
    } else {
        format!("{high:016x}{low:016x}")
    }
}

/// A span id as the Jaeger model prints it: 16 hex digits.
pub fn span_id(id: SpanId) -> String {
    format!("{:016x}", id.to_int())
}

fn array_json(array: &Array) -> Value {
    match array {
        Array::Bool(v) => json!(v),
        Array::I64(v) => json!(v),
        Array::F64(v) => json!(v),
        Array::String(v) => Value::Array(v.iter().map(|s| json!(s.as_str())).collect()),
        _ => json!([]),
    }
}

/// An attribute as a Jaeger UI tag. Arrays become string tags holding JSON;
/// here the value is that JSON already parsed, to compare with what
/// [`spans_for_comparison`] makes of the answer. Integers beyond 2^53 - 1
/// in magnitude are written as decimal strings (JavaScript cannot hold them).
pub fn tag(kv: &KeyValue) -> Value {
    let (kind, value) = match kv.value() {
        spanlite::Value::String(s) => ("string", json!(s.as_str())),
        spanlite::Value::Bool(b) => ("bool", json!(b)),
        // Past JavaScript's safe integers the UI model writes a string.
        spanlite::Value::I64(i) if !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(i) => {
            ("int64", json!(i.to_string()))
        }
        spanlite::Value::I64(i) => ("int64", json!(i)),
        spanlite::Value::F64(f) => ("float64", json!(f)),
        spanlite::Value::Array(a) => ("string", array_json(a)),
        _ => ("string", Value::Null),
    };
    json!({ "key": kv.key().as_str(), "type": kind, "value": value })
}

fn string_tag(key: &str, value: &str) -> Value {
    json!({ "key": key, "type": "string", "value": value })
}

/// The process that spans of `resource` must show.
pub fn expected_process(resource: Option<&Resource>) -> Value {
    let attributes = resource.map_or(&[][..], Resource::attributes);
    let service = if attributes.is_empty() {
        NO_SERVICE_NAME
    } else {
        resource.and_then(Resource::service_name).unwrap_or("")
    };
    let tags: Vec<Value> = attributes
        .iter()
        .filter(|kv| kv.key().as_str() != "service.name")
        .map(tag)
        .collect();
    json!({ "serviceName": service, "tags": tags })
}

fn log(event: &Event) -> Value {
    let mut fields = Vec::new();
    let has_event_attribute = event
        .attributes()
        .iter()
        .any(|kv| kv.key().as_str() == "event");
    if !event.name().is_empty() && !has_event_attribute {
        fields.push(string_tag("event", event.name()));
    }
    fields.extend(event.attributes().iter().map(tag));
    json!({ "timestamp": event.unix_nanos() / 1_000, "fields": fields })
}

fn references(span: &SpanData) -> Vec<Value> {
    let trace = span.span_context().trace_id();
    let parent = span.parent_span_id();
    let mut refs = Vec::new();
    if parent.is_valid() {
        refs.push(
            json!({ "refType": "CHILD_OF", "traceID": trace_id(trace), "spanID": span_id(parent) }),
        );
    }
    for link in span.links() {
        let cx = link.span_context();
        let child_of = link
            .attributes()
            .iter()
            .any(|kv| kv.key().as_str() == REF_TYPE_KEY && kv.value().as_str() == Some("child_of"));
        let ref_type = if child_of { "CHILD_OF" } else { "FOLLOWS_FROM" };
        if parent.is_valid() && cx.trace_id() == trace && cx.span_id() == parent {
            // A link to the parent retypes the parent reference.
            refs[0]["refType"] = json!(ref_type);
            continue;
        }
        refs.push(json!({
            "refType": ref_type,
            "traceID": trace_id(cx.trace_id()),
            "spanID": span_id(cx.span_id()),
        }));
    }
    refs
}

/// The span tags, in the translation's order.
fn tags(span: &SpanData) -> Vec<Value> {
    let scope = span.instrumentation_scope();
    let mut tags = Vec::new();
    if !scope.name().is_empty() {
        tags.push(string_tag("otel.scope.name", scope.name()));
    }
    if let Some(version) = scope.version().filter(|v| !v.is_empty()) {
        tags.push(string_tag("otel.scope.version", version));
    }
    tags.extend(span.attributes().iter().map(tag));
    tags.push(string_tag("span.kind", span.kind().as_str()));
    match span.status() {
        Status::Unset => {}
        Status::Ok => tags.push(string_tag("otel.status_code", "OK")),
        Status::Error { description } => {
            tags.push(string_tag("otel.status_code", "ERROR"));
            tags.push(json!({ "key": "error", "type": "bool", "value": true }));
            if !description.is_empty() {
                tags.push(string_tag("otel.status_description", description));
            }
        }
    }
    let state = span.span_context().trace_state().header();
    if !state.is_empty() {
        tags.push(string_tag("w3c.tracestate", &state));
    }
    tags
}

/// The span that `/api/traces/{id}?raw=true` must return for `span`, with
/// its process embedded (see [`spans_for_comparison`]).
pub fn expected_span(span: &SpanData) -> Value {
    let cx = span.span_context();
    json!({
        "traceID": trace_id(cx.trace_id()),
        "spanID": span_id(cx.span_id()),
        "operationName": span.name(),
        "references": references(span),
        "startTime": span.start_unix_nanos() / 1_000,
        // The translation subtracts in nanoseconds, then truncates.
        "duration": span.end_unix_nanos().saturating_sub(span.start_unix_nanos()) / 1_000,
        "tags": tags(span),
        "logs": span.events().iter().map(log).collect::<Vec<_>>(),
        "process": expected_process(span.resource()),
    })
}

fn sort_by_key(list: &mut [Value]) {
    list.sort_by(|a, b| {
        let key = |v: &Value| {
            v.get("key")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        key(a).cmp(&key(b))
    });
}

/// `span` (as [`expected_span`] makes it) the way Jaeger's query adjusters
/// return it without `raw=true`: span and process tags sorted by key, and
/// in each log the `event` field first, the others sorted by key.
pub fn sorted_like_jaeger(span: &Value) -> Value {
    let mut span = span.clone();
    if let Some(Value::Array(tags)) = span.get_mut("tags") {
        sort_by_key(tags);
    }
    if let Some(Value::Array(tags)) = span.pointer_mut("/process/tags") {
        sort_by_key(tags);
    }
    if let Some(Value::Array(logs)) = span.get_mut("logs") {
        for log in logs {
            if let Some(Value::Array(fields)) = log.get_mut("fields") {
                let first = usize::from(
                    fields
                        .first()
                        .and_then(|f| f.get("key"))
                        .and_then(Value::as_str)
                        == Some("event"),
                );
                sort_by_key(&mut fields[first..]);
            }
        }
    }
    span
}

/// The warning Jaeger's clock skew adjuster adds to a span whose parent is
/// not in the trace (a remote parent, for one).
pub fn missing_parent_warning(parent: SpanId) -> String {
    format!(
        "invalid parent span IDs={}; skipping clock skew adjustment",
        span_id(parent)
    )
}

/// `span` (as [`expected_span`] makes it) with Jaeger's `warnings`.
pub fn with_warnings(span: &Value, warnings: &[String]) -> Value {
    let mut span = span.clone();
    if !warnings.is_empty() {
        span["warnings"] = json!(warnings);
    }
    span
}

/// If `value` is a string tag whose value is a JSON array (how Jaeger
/// writes array attributes), the array parsed.
fn parse_array_tag(tag: &mut Value) {
    let parsed = match (tag.get("type").and_then(Value::as_str), tag.get("value")) {
        (Some("string"), Some(Value::String(s))) if s.starts_with('[') => {
            serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_array)
        }
        _ => None,
    };
    if let Some(array) = parsed {
        tag["value"] = array;
    }
}

fn parse_array_tags(list: Option<&mut Value>) {
    if let Some(Value::Array(tags)) = list {
        tags.iter_mut().for_each(parse_array_tag);
    }
}

/// The spans of a `/api/traces/{id}` answer (`{"data":[trace]}`) or of a
/// bare trace, each with `processID` replaced by the `process` it names and
/// with array tags (JSON in a string) parsed. `None` when the answer has
/// no trace.
pub fn spans_for_comparison(body: &Value) -> Option<Vec<Value>> {
    let trace = match body.get("data") {
        Some(data) => data.as_array()?.first()?,
        None => body,
    };
    let processes: &Map<String, Value> = trace.get("processes")?.as_object()?;
    let mut out = Vec::new();
    for span in trace.get("spans")?.as_array()? {
        let mut span = span.clone();
        if let Value::Object(object) = &mut span {
            if let Some(id) = object.remove("processID") {
                let process = id.as_str().and_then(|id| processes.get(id)).cloned();
                object.insert("process".to_owned(), process.unwrap_or(Value::Null));
            }
        }
        parse_array_tags(span.get_mut("tags"));
        parse_array_tags(span.pointer_mut("/process/tags"));
        if let Some(Value::Array(logs)) = span.get_mut("logs") {
            for log in logs {
                parse_array_tags(log.get_mut("fields"));
            }
        }
        out.push(span);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_drop_a_zero_high_half() {
        assert_eq!(trace_id(TraceId::from_int(0xab)), "00000000000000ab");
        assert_eq!(
            trace_id(TraceId::from_int(1 << 64 | 2)),
            "00000000000000010000000000000002"
        );
        assert_eq!(span_id(SpanId::from_int(0x1f)), "000000000000001f");
    }

    #[test]
    fn answers_are_flattened_with_processes_and_parsed_arrays() {
        let body = json!({"data": [{"processes": {"p1": {"serviceName": "svc", "tags": []}},
            "spans": [{"spanID": "01", "processID": "p1",
                "tags": [{"key": "a", "type": "string", "value": "[1,2.5]"},
                         {"key": "s", "type": "string", "value": "[not json"}]}]}]});
        let spans = spans_for_comparison(&body).unwrap();
        assert_eq!(
            spans,
            vec![
                json!({"spanID": "01", "process": {"serviceName": "svc", "tags": []},
                "tags": [{"key": "a", "type": "string", "value": [1, 2.5]},
                         {"key": "s", "type": "string", "value": "[not json"}]})
            ]
        );
        assert!(spans_for_comparison(&json!({"data": []})).is_none());
    }

    #[test]
    fn sorting_keeps_the_event_field_first() {
        let span = json!({"tags": [{"key": "b"}, {"key": "a"}],
            "logs": [{"fields": [{"key": "event"}, {"key": "z"}, {"key": "c"}]}]});
        assert_eq!(
            sorted_like_jaeger(&span),
            json!({"tags": [{"key": "a"}, {"key": "b"}],
                "logs": [{"fields": [{"key": "event"}, {"key": "c"}, {"key": "z"}]}]})
        );
    }
}
