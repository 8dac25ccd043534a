//! Random spans -> spanlite's OTLP bytes -> decoded by the official
//! opentelemetry-proto definitions -> equal to the input, for protobuf and
//! for JSON.

use std::time::{Duration, SystemTime};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue as ProtoKeyValue};
use opentelemetry_proto::tonic::trace::v1::{span, status, Span as ProtoSpan};
use prost::Message;
use spanlite::{
    Array, Context, InMemoryExporter, KeyValue, Link, Resource, SpanContext, SpanData, SpanId,
    SpanKind, SpanLimits, Status, TraceFlags, TraceId, TraceState, TracerProvider, Value,
};
use spanlite_exporters::otlp::OtlpEncoder;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Gen(u64, bool);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "9", " ", "\"", "\\", "\n", "\t", "é", "日本", "🦀", "\u{1}", "/", "{}", ",",
        ];
        (0..self.below(12))
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }
    fn float(&mut self) -> f64 {
        let finite_only = self.1;
        match self.below(6) {
            0 if !finite_only => f64::INFINITY,
            1 if !finite_only => f64::NEG_INFINITY,
            2 => -0.5,
            3 => 0.0,
            _ => (self.next() as i64 as f64) / 1e6,
        }
    }
    fn int(&mut self) -> i64 {
        match self.below(4) {
            0 => i64::MIN,
            1 => -1,
            2 => 0,
            _ => self.next() as i64,
        }
    }
    fn value(&mut self) -> Value {
        match self.below(8) {
            0 => Value::Bool(self.below(2) == 1),
            1 => Value::I64(self.int()),
            2 => Value::F64(self.float()),
            3 => Value::Array(Array::Bool(
                (0..self.below(3)).map(|_| self.below(2) == 0).collect(),
            )),
            4 => Value::Array(Array::I64((0..self.below(3)).map(|_| self.int()).collect())),
            5 => Value::Array(Array::F64(
                (0..self.below(3)).map(|_| self.float()).collect(),
            )),
            6 => Value::from(
                (0..self.below(3))
                    .map(|_| self.text())
                    .collect::<Vec<String>>(),
            ),
            _ => Value::from(self.text()),
        }
    }
    fn attributes(&mut self) -> Vec<KeyValue> {
        (0..self.below(5))
            .map(|i| KeyValue::new(format!("k{i}.{}", self.text()), self.value()))
            .collect()
    }
    fn span_context(&mut self) -> SpanContext {
        let state = if self.below(2) == 0 {
            TraceState::NONE
        } else {
            "vendor=v1,other=x".parse().unwrap()
        };
        SpanContext::new(
            TraceId::from_int(u128::from(self.next()) << 64 | u128::from(self.next()) | 1),
            SpanId::from_int(self.next() | 1),
            TraceFlags::new(self.below(4) as u8),
            self.below(2) == 0,
            state,
        )
    }
}

/// `finite_only`: opentelemetry-proto's JSON decoder does not take the
/// proto3 spellings of non-finite doubles ("Infinity"), which spanlite
/// writes; `non_finite_doubles_follow_the_proto3_json_mapping` pins those.
fn random_spans(seed: u64, finite_only: bool) -> Vec<SpanData> {
    let mut g = Gen(seed, finite_only);
    let exporter = InMemoryExporter::new();
    let limits = SpanLimits::default()
        .with_attribute_count(3)
        .with_event_count(2)
        .with_link_count(2);
    let providers: Vec<TracerProvider> = (0..2)
        .map(|i| {
            TracerProvider::builder()
                .with_resource(
                    Resource::builder()
                        .with_service_name(format!("svc-{i}"))
                        .with_attribute(KeyValue::new("host.id", g.int()))
                        .with_schema_url("https://opentelemetry.io/schemas/1.26.0")
                        .build(),
                )
                .with_span_limits(limits)
                .with_simple_exporter(exporter.clone())
                .build()
        })
        .collect();
    for _ in 0..g.below(20) + 1 {
        let provider = &providers[g.below(2) as usize];
        let tracer = if g.below(2) == 0 {
            provider.tracer("plain")
        } else {
            provider
                .tracer_builder("versioned")
                .with_version("1.2.3")
                .with_schema_url("https://example.com/schema")
                .with_attributes([KeyValue::new("scope.k", true)])
                .build()
        };
        let parent = if g.below(2) == 0 {
            Context::new()
        } else {
            Context::new().with_remote_span_context(g.span_context())
        };
        let kind = [
            SpanKind::Internal,
            SpanKind::Server,
            SpanKind::Client,
            SpanKind::Producer,
            SpanKind::Consumer,
        ][g.below(5) as usize];
        let start = SystemTime::UNIX_EPOCH
            + Duration::from_nanos(1_700_000_000_000_000_000 + g.below(1_000_000_000));
        let links: Vec<Link> = (0..g.below(4))
            .map(|_| Link::new(g.span_context(), g.attributes()))
            .collect();
        let mut span = tracer
            .span_builder(g.text())
            .with_kind(kind)
            .with_parent(&parent)
            .with_start_time(start)
            .with_attributes(g.attributes())
            .with_links(links)
            .start();
        for _ in 0..g.below(4) {
            let at = start + Duration::from_nanos(g.below(1000));
            span.add_event_with_timestamp(g.text(), at, g.attributes());
        }
        match g.below(3) {
            0 => span.set_status(Status::Ok),
            1 => span.set_status(Status::error(g.text())),
            _ => {}
        }
        span.end_with_timestamp(start + Duration::from_nanos(g.below(1_000_000)));
    }
    exporter.finished_spans()
}

fn value_of(any: &Option<AnyValue>) -> Value {
    fn one(v: &any_value::Value) -> Value {
        match v {
            any_value::Value::StringValue(s) => Value::from(s.clone()),
            any_value::Value::BoolValue(b) => Value::Bool(*b),
            any_value::Value::IntValue(i) => Value::I64(*i),
            any_value::Value::DoubleValue(f) => Value::F64(*f),
            any_value::Value::ArrayValue(a) => {
                let items: Vec<Value> = a
                    .values
                    .iter()
                    .map(|v| one(v.value.as_ref().expect("array element has a value")))
                    .collect();
                let array = match items.first() {
                    None => Array::String(vec![]),
                    Some(Value::Bool(_)) => Array::Bool(
                        items
                            .iter()
                            .map(|v| matches!(v, Value::Bool(true)))
                            .collect(),
                    ),
                    Some(Value::I64(_)) => Array::I64(
                        items
                            .iter()
                            .map(|v| {
                                if let Value::I64(i) = v {
                                    *i
                                } else {
                                    panic!("mixed")
                                }
                            })
                            .collect(),
                    ),
                    Some(Value::F64(_)) => Array::F64(
                        items
                            .iter()
                            .map(|v| {
                                if let Value::F64(f) = v {
                                    *f
                                } else {
                                    panic!("mixed")
                                }
                            })
                            .collect(),
                    ),
                    Some(_) => Array::String(
                        items
                            .iter()
                            .map(|v| v.as_str().expect("string").to_owned().into())
                            .collect(),
                    ),
                };
                Value::Array(array)
            }
            other => panic!("unexpected value {other:?}"),
        }
    }
    one(any
        .as_ref()
        .and_then(|a| a.value.as_ref())
        .expect("value present"))
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // An empty array has no element type on the wire.
        (Value::Array(x), Value::Array(y)) if x.is_empty() && y.is_empty() => true,
        _ => a == b,
    }
}

fn assert_attributes(ours: &[KeyValue], theirs: &[ProtoKeyValue], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: attribute count");
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a.key().as_str(), b.key, "{what}: key");
        let decoded = value_of(&b.value);
        assert!(
            same_value(a.value(), &decoded),
            "{what}: {:?} != {decoded:?}",
            a.value()
        );
    }
}

fn flags(trace_flags: TraceFlags, remote: bool) -> u32 {
    u32::from(trace_flags.to_u8()) | 0x100 | if remote { 0x200 } else { 0 }
}

fn assert_span(ours: &SpanData, theirs: &ProtoSpan) {
    let cx = ours.span_context();
    assert_eq!(theirs.trace_id, cx.trace_id().to_bytes());
    assert_eq!(theirs.span_id, cx.span_id().to_bytes());
    assert_eq!(theirs.trace_state, cx.trace_state().header());
    let parent = if ours.parent_span_id().is_valid() {
        ours.parent_span_id().to_bytes().to_vec()
    } else {
        vec![]
    };
    assert_eq!(theirs.parent_span_id, parent);
    assert_eq!(
        theirs.flags,
        flags(cx.trace_flags(), ours.parent_is_remote())
    );
    assert_eq!(theirs.name, ours.name());
    let kind = match ours.kind() {
        SpanKind::Internal => span::SpanKind::Internal,
        SpanKind::Server => span::SpanKind::Server,
        SpanKind::Client => span::SpanKind::Client,
        SpanKind::Producer => span::SpanKind::Producer,
        SpanKind::Consumer => span::SpanKind::Consumer,
    };
    assert_eq!(theirs.kind, kind as i32);
    assert_eq!(theirs.start_time_unix_nano, ours.start_unix_nanos());
    assert_eq!(theirs.end_time_unix_nano, ours.end_unix_nanos());
    assert_attributes(ours.attributes(), &theirs.attributes, "span");
    assert_eq!(
        theirs.dropped_attributes_count,
        ours.dropped_attributes_count()
    );
    assert_eq!(theirs.events.len(), ours.events().len());
    for (a, b) in ours.events().iter().zip(&theirs.events) {
        assert_eq!(b.name, a.name());
        assert_eq!(b.time_unix_nano, a.unix_nanos());
        assert_attributes(a.attributes(), &b.attributes, "event");
        assert_eq!(b.dropped_attributes_count, a.dropped_attributes_count());
    }
    assert_eq!(theirs.dropped_events_count, ours.dropped_events_count());
    assert_eq!(theirs.links.len(), ours.links().len());
    for (a, b) in ours.links().iter().zip(&theirs.links) {
        let lcx = a.span_context();
        assert_eq!(b.trace_id, lcx.trace_id().to_bytes());
        assert_eq!(b.span_id, lcx.span_id().to_bytes());
        assert_eq!(b.trace_state, lcx.trace_state().header());
        assert_eq!(b.flags, flags(lcx.trace_flags(), lcx.is_remote()));
        assert_attributes(a.attributes(), &b.attributes, "link");
        assert_eq!(b.dropped_attributes_count, a.dropped_attributes_count());
    }
    assert_eq!(theirs.dropped_links_count, ours.dropped_links_count());
    let (message, code) = match ours.status() {
        Status::Unset => (String::new(), status::StatusCode::Unset),
        Status::Ok => (String::new(), status::StatusCode::Ok),
        Status::Error { description } => (description.to_string(), status::StatusCode::Error),
    };
    let decoded = theirs.status.clone().unwrap_or_default();
    assert_eq!(decoded.message, message);
    assert_eq!(decoded.code, code as i32);
}

fn assert_request(spans: &[SpanData], request: &ExportTraceServiceRequest) {
    let mut seen = 0;
    for resource_spans in &request.resource_spans {
        let resource = resource_spans.resource.clone().unwrap_or_default();
        for scope_spans in &resource_spans.scope_spans {
            let scope = scope_spans.scope.clone().unwrap_or_default();
            for decoded in &scope_spans.spans {
                let ours = spans
                    .iter()
                    .find(|s| {
                        s.span_context().span_id().to_bytes().as_slice()
                            == decoded.span_id.as_slice()
                    })
                    .expect("every decoded span was sent");
                assert_span(ours, decoded);
                let our_resource = ours.resource().expect("resource");
                assert_attributes(our_resource.attributes(), &resource.attributes, "resource");
                assert_eq!(
                    resource_spans.schema_url,
                    our_resource.schema_url().unwrap_or("")
                );
                let our_scope = ours.instrumentation_scope();
                assert_eq!(scope.name, our_scope.name());
                assert_eq!(scope.version, our_scope.version().unwrap_or(""));
                assert_attributes(our_scope.attributes(), &scope.attributes, "scope");
                assert_eq!(scope_spans.schema_url, our_scope.schema_url().unwrap_or(""));
                seen += 1;
            }
        }
    }
    assert_eq!(seen, spans.len(), "every span sent was decoded once");
}

#[test]
fn random_spans_encoded_as_protobuf_decode_to_the_same_spans() {
    let mut encoder = OtlpEncoder::new();
    for seed in 1..=300u64 {
        let spans = random_spans(seed * 0x9e37_79b9, false);
        let mut body = Vec::new();
        encoder.encode_protobuf(&spans, &mut body);
        let request = ExportTraceServiceRequest::decode(body.as_slice())
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_request(&spans, &request);
        // prost's own encoding of what it decoded has the same length: ours
        // is canonical (no default fields written, minimal varints).
        assert_eq!(request.encoded_len(), body.len(), "seed {seed}");
    }
}

#[test]
fn random_spans_encoded_as_json_decode_to_the_same_spans() {
    let mut encoder = OtlpEncoder::new();
    for seed in 1..=300u64 {
        let spans = random_spans(seed * 0x85eb_ca6b, true);
        let mut body = Vec::new();
        encoder.encode_json(&spans, &mut body);
        let text = String::from_utf8(body).expect("JSON is UTF-8");
        let request: ExportTraceServiceRequest =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        assert_request(&spans, &request);
    }
}

#[test]
fn json_uses_hex_ids_integer_enums_and_string_int64s() {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let mut span = provider
        .tracer("t")
        .span_builder("op")
        .with_kind(SpanKind::Server)
        .start();
    span.set_attribute(KeyValue::new("n", 42));
    span.end();
    let mut body = Vec::new();
    OtlpEncoder::new().encode_json(&exporter.finished_spans(), &mut body);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let span_json = &json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    let data = &exporter.finished_spans()[0];
    assert_eq!(
        span_json["traceId"],
        data.span_context().trace_id().to_string()
    );
    assert_eq!(span_json["kind"], 2);
    assert_eq!(span_json["attributes"][0]["value"]["intValue"], "42");
    assert!(span_json["startTimeUnixNano"].is_string());
}

#[test]
fn non_finite_doubles_follow_the_proto3_json_mapping() {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let mut span = provider.tracer("t").start("op");
    span.set_attribute(KeyValue::new("inf", f64::INFINITY));
    span.set_attribute(KeyValue::new("neg", f64::NEG_INFINITY));
    span.set_attribute(KeyValue::new("nan", f64::NAN));
    span.end();
    let mut body = Vec::new();
    OtlpEncoder::new().encode_json(&exporter.finished_spans(), &mut body);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let attributes = &json["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
    assert_eq!(attributes[0]["value"]["doubleValue"], "Infinity");
    assert_eq!(attributes[1]["value"]["doubleValue"], "-Infinity");
    assert_eq!(attributes[2]["value"]["doubleValue"], "NaN");
}
