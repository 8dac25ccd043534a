//! Finished spans as a Zipkin v2 JSON list (`POST /api/v2/spans`),
//! written straight from the span records.

use std::io::Write as _;

use spanlite::{Event, KeyValue, Resource, SpanData, SpanKind, Status, Value};

use super::remote_endpoint::{remote_endpoint, RemoteEndpoint};
use crate::non_otlp::{self, put_f64_text, put_json_array, put_json_f64, put_json_str};

/// A tag the mapping adds, which wins over an attribute of the same key.
type Derived<'a> = (&'static str, DerivedValue<'a>);

#[derive(Debug, Clone, Copy)]
enum DerivedValue<'a> {
    Str(&'a str),
    Count(u32),
}

fn put_key(key: &str, out: &mut Vec<u8>) {
    put_json_str(key, out);
    out.push(b':');
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

fn kind_name(kind: SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Client => Some("CLIENT"),
        SpanKind::Server => Some("SERVER"),
        SpanKind::Producer => Some("PRODUCER"),
        SpanKind::Consumer => Some("CONSUMER"),
        SpanKind::Internal => None,
    }
}

/// Encodes finished spans as a Zipkin v2 JSON list, the body of a
/// `POST /api/v2/spans` (`Content-Type: application/json`), following the
/// OpenTelemetry specification's Zipkin mapping. Reuse one encoder per
/// export thread.
///
/// The mapping: `traceId` (32 hex digits), `id`, `parentId`, `name`,
/// `kind` (none for INTERNAL), `timestamp` and `duration` in whole
/// microseconds (a duration under one is one, as Zipkin asks),
/// `localEndpoint.serviceName` from the resource's `service.name`, and for
/// CLIENT and PRODUCER spans `remoteEndpoint` from the best ranked of
/// `peer.service`, `server.address`, `net.peer.name`,
/// `network.peer.address` (with `network.peer.port`), ... Tags, all
/// strings: the span's attributes (arrays as JSON lists, booleans as
/// `true`/`false`), then the scope's and the resource's other attributes
/// where the span has none of the same key, `otel.scope.name`,
/// `otel.scope.version`, `otel.status_code` (`OK`/`ERROR`), `error` with
/// the status description for an error (an `error` attribute is never
/// sent otherwise), `w3c.tracestate`, and the `otel.dropped_*_count`
/// counts that are not zero. Events become annotations whose value is the
/// event name, followed by `: ` and the attributes as a JSON object when
/// there are any. Links have no place in Zipkin v2.
///
/// ```
/// use spanlite::{InMemoryExporter, TracerProvider};
/// use spanlite_exporters::zipkin::ZipkinEncoder;
///
/// let spans = InMemoryExporter::new();
/// let provider = TracerProvider::builder().with_simple_exporter(spans.clone()).build();
/// provider.tracer("docs").start("encode me").end();
///
/// let mut body = Vec::new();
/// ZipkinEncoder::new().encode(&spans.finished_spans(), &mut body);
/// assert!(body.starts_with(b"[{\"traceId\":"));
/// ```
#[derive(Debug, Default)]
pub struct ZipkinEncoder {
    /// Scratch space for JSON text that becomes a JSON string.
    text: Vec<u8>,
}

impl ZipkinEncoder {
    /// A new encoder.
    pub fn new() -> ZipkinEncoder {
        ZipkinEncoder::default()
    }

    /// Appends `spans` as one JSON list of Zipkin v2 spans to `out`.
    pub fn encode(&mut self, spans: &[SpanData], out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, span) in spans.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.put_span(span, out);
        }
        out.push(b']');
    }

    fn put_span(&mut self, span: &SpanData, out: &mut Vec<u8>) {
        let cx = span.span_context();
        out.extend_from_slice(b"{\"traceId\":");
        put_hex(&cx.trace_id().to_bytes(), out);
        out.extend_from_slice(b",\"id\":");
        put_hex(&cx.span_id().to_bytes(), out);
        let parent = span.parent_span_id();
        if parent.is_valid() {
            out.extend_from_slice(b",\"parentId\":");
            put_hex(&parent.to_bytes(), out);
        }
        if !span.name().is_empty() {
            out.extend_from_slice(b",\"name\":");
            put_json_str(span.name(), out);
        }
        if let Some(kind) = kind_name(span.kind()) {
            let _ = write!(out, ",\"kind\":\"{kind}\"");
        }
        let start = span.start_unix_nanos();
        if start >= 1_000 {
            let _ = write!(out, ",\"timestamp\":{}", start / 1_000);
        }
        if span.end_unix_nanos() != 0 {
            let micros = span.end_unix_nanos().saturating_sub(start) / 1_000;
            let _ = write!(out, ",\"duration\":{}", micros.max(1));
        }
        out.extend_from_slice(b",\"localEndpoint\":{\"serviceName\":");
        put_json_str(&non_otlp::service_name(span.resource()), out);
        out.push(b'}');
        if let Some(endpoint) = remote_endpoint(span.kind(), span.attributes()) {
            out.extend_from_slice(b",\"remoteEndpoint\":{");
            match endpoint {
                RemoteEndpoint::Named(name) => {
                    put_key("serviceName", out);
                    put_json_str(name, out);
                }
                RemoteEndpoint::Address(ip, port) => {
                    let key = if ip.is_ipv4() { "ipv4" } else { "ipv6" };
                    let _ = write!(out, "\"{key}\":\"{ip}\"");
                    if let Some(port) = port {
                        let _ = write!(out, ",\"port\":{port}");
                    }
                }
            }
            out.push(b'}');
        }
        if !span.events().is_empty() {
            out.extend_from_slice(b",\"annotations\":[");
            for (i, event) in span.events().iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.put_annotation(event, out);
            }
            out.push(b']');
        }
        self.put_tags(span, out);
        out.push(b'}');
    }

    /// `{"timestamp":µs,"value":"name"}`, or with the attributes:
    /// `"name: {\"k\":\"v\"}"`.
    fn put_annotation(&mut self, event: &Event, out: &mut Vec<u8>) {
        let _ = write!(
            out,
            "{{\"timestamp\":{},\"value\":",
            event.unix_nanos() / 1_000
        );
        let dropped = event.dropped_attributes_count();
        if event.attributes().is_empty() && dropped == 0 {
            put_json_str(event.name(), out);
        } else {
            let text = &mut self.text;
            text.clear();
            text.extend_from_slice(event.name().as_bytes());
            text.extend_from_slice(b": {");
            for (i, kv) in event.attributes().iter().enumerate() {
                if i > 0 {
                    text.push(b',');
                }
                put_key(kv.key().as_str(), text);
                put_json_value(kv.value(), text);
            }
            if dropped != 0 {
                if !event.attributes().is_empty() {
                    text.push(b',');
                }
                put_key(non_otlp::DROPPED_ATTRIBUTES, text);
                let _ = write!(text, "{dropped}");
            }
            text.push(b'}');
            // JSON text made of valid UTF-8 pieces is valid UTF-8.
            put_json_str(&String::from_utf8_lossy(text), out);
        }
        out.push(b'}');
    }

    fn put_tags(&mut self, span: &SpanData, out: &mut Vec<u8>) {
        let scope = span.instrumentation_scope();
        let trace_state = span.span_context().trace_state().header();
        let mut derived: Vec<Derived<'_>> = Vec::with_capacity(8);
        if !scope.name().is_empty() {
            derived.push((non_otlp::SCOPE_NAME, DerivedValue::Str(scope.name())));
        }
        if let Some(version) = scope.version().filter(|v| !v.is_empty()) {
            derived.push((non_otlp::SCOPE_VERSION, DerivedValue::Str(version)));
        }
        if let Some(code) = non_otlp::status_code(span.status()) {
            derived.push((non_otlp::STATUS_CODE, DerivedValue::Str(code)));
        }
        if let Status::Error { description } = span.status() {
            derived.push((non_otlp::ERROR, DerivedValue::Str(description)));
        }
        if !trace_state.is_empty() {
            derived.push((non_otlp::TRACE_STATE, DerivedValue::Str(&trace_state)));
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
            if n != 0 {
                derived.push((key, DerivedValue::Count(n)));
            }
        }
        // The spec: "If a boolean version ({"error":false} or
        // {"error":"false"}) is present, it SHOULD be removed. Zipkin will
        // treat any span with error sent as failed." Only the status says
        // error here.
        let taken = |key: &str| key == non_otlp::ERROR || derived.iter().any(|(k, _)| *k == key);
        let has = |list: &[KeyValue], key: &str| list.iter().any(|kv| kv.key().as_str() == key);
        let resource = span.resource().map_or(&[][..], Resource::attributes);

        let span_attributes = span
            .attributes()
            .iter()
            .filter(|kv| !taken(kv.key().as_str()));
        let scope_attributes = scope.attributes().iter().filter(|kv| {
            let key = kv.key().as_str();
            !taken(key) && !has(span.attributes(), key)
        });
        let resource_attributes = resource.iter().filter(|kv| {
            let key = kv.key().as_str();
            key != non_otlp::SERVICE_NAME
                && !taken(key)
                && !has(span.attributes(), key)
                && !has(scope.attributes(), key)
        });
        let mut first = true;
        let mut open = |out: &mut Vec<u8>| {
            out.extend_from_slice(if std::mem::take(&mut first) {
                b",\"tags\":{"
            } else {
                b","
            });
        };
        for kv in span_attributes
            .chain(scope_attributes)
            .chain(resource_attributes)
        {
            open(out);
            put_key(kv.key().as_str(), out);
            self.put_tag_value(kv.value(), out);
        }
        for (key, value) in &derived {
            open(out);
            put_key(key, out);
            match value {
                DerivedValue::Str(s) => put_json_str(s, out),
                DerivedValue::Count(n) => {
                    let _ = write!(out, "\"{n}\"");
                }
            }
        }
        if !first {
            out.push(b'}');
        }
    }

    /// A tag value, which Zipkin takes as a string only.
    fn put_tag_value(&mut self, value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::String(s) => put_json_str(s, out),
            Value::Bool(b) => out.extend_from_slice(if *b { b"\"true\"" } else { b"\"false\"" }),
            Value::I64(i) => {
                let _ = write!(out, "\"{i}\"");
            }
            Value::F64(f) => {
                out.push(b'"');
                put_f64_text(*f, out);
                out.push(b'"');
            }
            Value::Array(array) => {
                self.text.clear();
                put_json_array(array, &mut self.text);
                put_json_str(&String::from_utf8_lossy(&self.text), out);
            }
            other => put_json_str(&other.to_string(), out),
        }
    }
}

/// A value as typed JSON (in an annotation's attribute object).
fn put_json_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => put_json_str(s, out),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::I64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::F64(f) => put_json_f64(*f, out),
        Value::Array(array) => put_json_array(array, out),
        other => put_json_str(&other.to_string(), out),
    }
}
