//! The OpenTelemetry to Zipkin v2 mapping, one rule per test, checked by
//! parsing what the encoder wrote.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use spanlite::{
    Context, InMemoryExporter, KeyValue, Resource, SpanContext, SpanData, SpanId, SpanKind,
    SpanLimits, Status, TraceFlags, TraceId, TraceState, TracerProvider,
};

use super::ZipkinEncoder;

fn provider(resource: Resource, limits: SpanLimits) -> (TracerProvider, InMemoryExporter) {
    let spans = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_resource(resource)
        .with_span_limits(limits)
        .with_simple_exporter(spans.clone())
        .build();
    (provider, spans)
}

fn spans_of(f: impl FnOnce(&spanlite::Tracer)) -> Vec<SpanData> {
    let (provider, spans) = provider(
        Resource::new([KeyValue::new("service.name", "svc")]),
        SpanLimits::default(),
    );
    f(&provider.tracer("test"));
    spans.finished_spans()
}

fn encoded(spans: &[SpanData]) -> Vec<Value> {
    let mut out = Vec::new();
    ZipkinEncoder::new().encode(spans, &mut out);
    match serde_json::from_slice(&out) {
        Ok(Value::Array(list)) => list,
        other => panic!(
            "not a JSON list: {other:?}\n{}",
            String::from_utf8_lossy(&out)
        ),
    }
}

fn only(spans: &[SpanData]) -> Value {
    let mut list = encoded(spans);
    assert_eq!(list.len(), 1);
    list.remove(0)
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

#[test]
fn ids_are_lowercase_hex_and_the_parent_only_when_there_is_one() {
    let parent = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_int(0xab << 64 | 1),
        SpanId::from_int(0xcd),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    ));
    let spans = spans_of(|t| {
        t.start_with_context("child", &parent).end();
        t.start_with_context("root", &Context::new()).end();
    });
    let list = encoded(&spans);
    assert_eq!(list[0]["traceId"], "00000000000000ab0000000000000001");
    assert_eq!(list[0]["parentId"], "00000000000000cd");
    assert_eq!(
        list[0]["id"],
        spans[0].span_context().span_id().to_string().as_str()
    );
    assert!(list[1].get("parentId").is_none());
}

#[test]
fn kinds_are_upper_case_and_internal_is_omitted() {
    let kinds = [
        (SpanKind::Client, json!("CLIENT")),
        (SpanKind::Server, json!("SERVER")),
        (SpanKind::Producer, json!("PRODUCER")),
        (SpanKind::Consumer, json!("CONSUMER")),
        (SpanKind::Internal, Value::Null),
    ];
    for (kind, expected) in kinds {
        let spans = spans_of(|t| t.span_builder("op").with_kind(kind).start().end());
        assert_eq!(only(&spans)["kind"], expected, "{kind:?}");
    }
}

#[test]
fn timestamp_and_duration_are_whole_microseconds() {
    // "duration of 1234 nanoseconds will be represented as 1 microsecond"
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_start_time(at(1_700_000_000_000_000_500))
            .start()
            .end_with_timestamp(at(1_700_000_000_000_001_734));
    });
    let span = only(&spans);
    assert_eq!(span["timestamp"], 1_700_000_000_000_000_u64);
    assert_eq!(span["duration"], 1);
}

#[test]
fn a_duration_under_a_microsecond_is_one() {
    // Zipkin: "Durations of less than one are rounded up."
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_start_time(at(5_000_000))
            .start()
            .end_with_timestamp(at(5_000_100));
    });
    assert_eq!(only(&spans)["duration"], 1);
}

#[test]
fn the_local_endpoint_is_the_service_name() {
    let spans = spans_of(|t| t.start("op").end());
    assert_eq!(only(&spans)["localEndpoint"], json!({"serviceName": "svc"}));
}

#[test]
fn attribute_values_are_strings_and_arrays_json_lists() {
    // "Boolean values MUST use lower case strings "true" and "false"."
    // "Array values MUST be serialized to string like a JSON list."
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_attributes([
                KeyValue::new("s", "x\"y"),
                KeyValue::new("b", true),
                KeyValue::new("i", -7_i64),
                KeyValue::new("d", 0.5),
                KeyValue::new("a", vec!["p", "q"]),
            ])
            .start()
            .end()
    });
    assert_eq!(
        only(&spans)["tags"],
        json!({"s": "x\"y", "b": "true", "i": "-7", "d": "0.5", "a": "[\"p\",\"q\"]",
            "otel.scope.name": "test"})
    );
}

#[test]
fn an_unset_status_adds_no_status_tags() {
    let spans = spans_of(|t| t.start("op").end());
    let tags = &only(&spans)["tags"];
    assert!(tags.get("otel.status_code").is_none() && tags.get("error").is_none());
}

#[test]
fn an_ok_status_is_otel_status_code_ok_and_no_error() {
    let spans = spans_of(|t| {
        let mut span = t.start("op");
        span.set_status(Status::Ok);
        span.end();
    });
    let tags = &only(&spans)["tags"];
    assert_eq!(tags["otel.status_code"], "OK");
    assert!(tags.get("error").is_none());
}

#[test]
fn an_error_status_puts_the_description_in_the_error_tag() {
    // "Description of the Status. MUST be set if the code is ERROR, use an
    // empty string if Description has no value."
    for (description, expected) in [("boom", "boom"), ("", "")] {
        let spans = spans_of(|t| {
            let mut span = t.start("op");
            span.set_status(Status::error(description));
            span.end();
        });
        let tags = &only(&spans)["tags"];
        assert_eq!(tags["otel.status_code"], "ERROR");
        assert_eq!(tags["error"], expected);
        assert!(tags.get("otel.status_description").is_none());
    }
}

#[test]
fn an_error_attribute_is_removed_unless_the_status_is_error() {
    // "If a boolean version ({"error":false} or {"error":"false"}) is
    // present, it SHOULD be removed."
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_attributes([KeyValue::new("error", false)])
            .start()
            .end()
    });
    assert!(only(&spans)["tags"].get("error").is_none());
}

#[test]
fn scope_and_dropped_counts_are_tags() {
    let limits = SpanLimits::default().with_attribute_count(1);
    let (provider, exported) = provider(
        Resource::new([KeyValue::new("service.name", "svc")]),
        limits,
    );
    provider
        .tracer_builder("lib")
        .with_version("2.0")
        .build()
        .span_builder("op")
        .with_attributes([KeyValue::new("a", 1_i64), KeyValue::new("b", 2_i64)])
        .start()
        .end();
    let tags = &only(&exported.finished_spans())["tags"];
    assert_eq!(tags["otel.scope.name"], "lib");
    assert_eq!(tags["otel.scope.version"], "2.0");
    assert_eq!(tags["otel.dropped_attributes_count"], "1");
    assert!(tags.get("otel.dropped_events_count").is_none());
}

#[test]
fn resource_attributes_are_tags_unless_the_span_has_the_key() {
    // "the attribute service.namespace MUST NOT be used for the Zipkin
    // service name and should be sent as a Zipkin tag."
    let (provider, exported) = provider(
        Resource::new([
            KeyValue::new("service.name", "svc"),
            KeyValue::new("service.namespace", "shop"),
            KeyValue::new("host.name", "resource"),
        ]),
        SpanLimits::default(),
    );
    provider
        .tracer("t")
        .span_builder("op")
        .with_attributes([KeyValue::new("host.name", "span")])
        .start()
        .end();
    let tags = &only(&exported.finished_spans())["tags"];
    assert_eq!(tags["service.namespace"], "shop");
    assert_eq!(tags["host.name"], "span");
    assert!(tags.get("service.name").is_none());
}

#[test]
fn events_become_annotations_with_their_attributes_as_json() {
    let spans = spans_of(|t| {
        let mut span = t.start("op");
        span.add_event_with_timestamp("plain", at(2_000_999), vec![]);
        span.add_event_with_timestamp(
            "cache.miss",
            at(3_000_000),
            vec![KeyValue::new("key", "k\"1"), KeyValue::new("n", 2_i64)],
        );
        span.end();
    });
    let annotations = only(&spans)["annotations"].clone();
    assert_eq!(annotations[0], json!({"timestamp": 2000, "value": "plain"}));
    assert_eq!(annotations[1]["timestamp"], 3000);
    let value = annotations[1]["value"].as_str().unwrap();
    let (name, attributes) = value.split_once(": ").unwrap();
    assert_eq!(name, "cache.miss");
    assert_eq!(
        serde_json::from_str::<Value>(attributes).unwrap(),
        json!({"key": "k\"1", "n": 2})
    );
}

#[test]
fn absent_fields_are_omitted() {
    // "an OpenTelemetry Span without any Event should not have an
    // annotations field"
    let spans = spans_of(|t| t.start("op").end());
    let span = only(&spans);
    for field in ["annotations", "remoteEndpoint", "parentId", "kind"] {
        assert!(span.get(field).is_none(), "{field}");
    }
}

#[test]
fn a_client_span_has_its_peer_service_as_remote_endpoint() {
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_kind(SpanKind::Client)
            .with_attributes([KeyValue::new("peer.service", "billing")])
            .start()
            .end()
    });
    assert_eq!(
        only(&spans)["remoteEndpoint"],
        json!({"serviceName": "billing"})
    );
}

#[test]
fn a_peer_address_becomes_an_ip_and_port() {
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_kind(SpanKind::Producer)
            .with_attributes([
                KeyValue::new("network.peer.address", "::1"),
                KeyValue::new("network.peer.port", 9092_i64),
            ])
            .start()
            .end()
    });
    assert_eq!(
        only(&spans)["remoteEndpoint"],
        json!({"ipv6": "::1", "port": 9092})
    );
}

#[test]
fn the_trace_state_is_a_tag() {
    let parent = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_int(1),
        SpanId::from_int(2),
        TraceFlags::SAMPLED,
        true,
        "k=v".parse().unwrap(),
    ));
    let spans = spans_of(|t| t.start_with_context("op", &parent).end());
    assert_eq!(only(&spans)["tags"]["w3c.tracestate"], "k=v");
}
