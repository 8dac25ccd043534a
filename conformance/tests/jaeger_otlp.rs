//! spanlite's OTLP/HTTP exporter (protobuf and JSON) against a real Jaeger
//! v2: a trace that uses every field of the data model goes in, and both
//! query APIs must give every field back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use spanlite::{
    Context, ExporterCounters, InMemoryExporter, KeyValue, Link, Resource, SimpleSpanProcessor,
    SpanContext, SpanData, SpanId, SpanKind, SpanLimits, Status, TraceFlags, TraceId, TraceState,
    TracerProvider,
};
use spanlite_conformance::json_compare::{differences, without_defaults};
use spanlite_conformance::{jaeger_ui_view, otlp_json_view, Jaeger, JaegerPorts};
use spanlite_exporters::otlp::{Compression, OtlpConfig, OtlpHttpExporter, Protocol};

const FLUSH: Duration = Duration::from_secs(30);

fn start_jaeger() -> Jaeger {
    Jaeger::start()
        .unwrap_or_else(|e| panic!("Jaeger v2 is needed for this test and did not start:\n{e}"))
}

/// A trace id no other run shares; `high_half` false makes its high 64 bits zero.
fn unique_trace_id(high_half: bool, salt: u8) -> TraceId {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let low = u128::from(nanos.rotate_left(8) ^ u64::from(salt));
    TraceId::from_int(if high_half {
        0x5b1e_c0de_0000_0000_u128 << 64 | u128::from(nanos) << 8 | low
    } else {
        low
    })
}

/// A provider exporting to `jaeger` with `protocol` and `compression`, and
/// keeping a copy of every span in the returned in-memory exporter.
fn provider_for(
    jaeger: &Jaeger,
    protocol: Protocol,
    compression: Compression,
    service: &str,
) -> (TracerProvider, InMemoryExporter, Arc<ExporterCounters>) {
    let exporter = OtlpHttpExporter::new(
        OtlpConfig::new()
            .with_endpoint(match protocol {
                Protocol::Grpc => jaeger.otlp_grpc_endpoint(),
                _ => jaeger.otlp_http_endpoint(),
            })
            .with_protocol(protocol)
            .with_compression(compression)
            .with_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    let otlp_stats = exporter.stats();
    let sent = InMemoryExporter::new();
    let resource = Resource::builder()
        .with_service_name(service.to_owned())
        .with_attributes([
            KeyValue::new("deployment.environment.name", "conformance"),
            KeyValue::new("host.name", "runner-1"),
            KeyValue::new("process.pid", 4242_i64),
            KeyValue::new("resource.bool", true),
            KeyValue::new("resource.double", 2.5),
            KeyValue::new("resource.array", vec!["x", "y"]),
        ])
        .with_schema_url("https://opentelemetry.io/schemas/1.30.0")
        .build();
    let provider = TracerProvider::builder()
        .with_resource(resource)
        // Small limits, so that every dropped count is non-zero somewhere.
        .with_span_limits(
            SpanLimits::default()
                .with_attribute_count(10)
                .with_event_count(3)
                .with_link_count(2)
                .with_attributes_per_event(2)
                .with_attributes_per_link(2),
        )
        .with_span_processor(SimpleSpanProcessor::new(exporter))
        .with_span_processor(SimpleSpanProcessor::new(sent.clone()))
        .build();
    (provider, sent, otlp_stats)
}

fn at(base: SystemTime, nanos: u64) -> SystemTime {
    base + Duration::from_nanos(nanos)
}

/// Five spans of one trace under a remote parent with a trace state: every
/// kind, every attribute type, events, links (with trace state), status
/// Ok, Error with and without a message, and Unset, two scopes, and
/// something dropped under every limit.
fn send_everything(provider: &TracerProvider, trace_id: TraceId) {
    let tracer = provider
        .tracer_builder("spanlite-conformance")
        .with_version("1.2.3")
        .with_schema_url("https://opentelemetry.io/schemas/1.29.0")
        .with_attributes([
            KeyValue::new("scope.string", "s"),
            KeyValue::new("scope.int", 7_i64),
        ])
        .build();
    let plain = provider.tracer("spanlite-conformance.plain");

    let trace_state: TraceState = "vendor1=opaque-value,rojo=00f067aa0ba902b7"
        .parse()
        .unwrap();
    let remote_parent = SpanContext::new(
        trace_id,
        SpanId::from_int(0x1122_3344_5566_7788),
        TraceFlags::SAMPLED,
        true,
        trace_state,
    );
    let remote = Context::new().with_remote_span_context(remote_parent);
    let other_trace = unique_trace_id(true, 0xee);
    let base = SystemTime::now() - Duration::from_secs(5);

    let mut server = tracer
        .span_builder("GET /checkout")
        .with_kind(SpanKind::Server)
        .with_parent(&remote)
        .with_start_time(at(base, 123_456_789))
        .with_attributes([
            KeyValue::new("string", "héllo \"wörld\" \\ / \n\t\u{1} ✓ 🚀 <&>"),
            KeyValue::new("string.empty", ""),
            KeyValue::new("bool", true),
            KeyValue::new("int.max", i64::MAX),
            KeyValue::new("int.min", i64::MIN),
            KeyValue::new("double", 0.1),
            KeyValue::new("array.string", vec!["a", "", "ü \"q\""]),
            KeyValue::new("array.bool", vec![true, false]),
            KeyValue::new("array.int", vec![-1_i64, 0, i64::MAX]),
            KeyValue::new("array.double", vec![1.5, -0.25, 1e-7]),
            // Past the limit of 10: dropped and counted.
            KeyValue::new("dropped.1", 1_i64),
            KeyValue::new("dropped.2", "two"),
        ])
        .with_links([
            Link::new(
                SpanContext::new(
                    other_trace,
                    SpanId::from_int(0xaaaa_bbbb_cccc_dddd),
                    TraceFlags::SAMPLED,
                    true,
                    "congo=t61rcWkgMzE".parse().unwrap(),
                ),
                vec![
                    KeyValue::new("link.kind", "batch"),
                    KeyValue::new("link.n", 3_i64),
                    // Past the per-link limit of 2.
                    KeyValue::new("link.dropped", true),
                ],
            ),
            Link::new(
                SpanContext::new(
                    other_trace,
                    SpanId::from_int(0x0102_0304_0506_0708),
                    TraceFlags::NONE,
                    false,
                    TraceState::NONE,
                ),
                vec![],
            ),
            // Past the link limit of 2.
            Link::new(
                SpanContext::new(
                    other_trace,
                    SpanId::from_int(0x0909),
                    TraceFlags::SAMPLED,
                    false,
                    TraceState::NONE,
                ),
                vec![],
            ),
        ])
        .start();
    server.add_event_with_timestamp(
        "retry",
        at(base, 200_000_001),
        vec![KeyValue::new("attempt", 2_i64), KeyValue::new("ok", false)],
    );
    server.add_event_with_timestamp(
        "cache.miss",
        at(base, 300_000_999),
        vec![
            KeyValue::new("cache.key", "user:42"),
            KeyValue::new("cache.size", 512_i64),
            // Past the per-event limit of 2.
            KeyValue::new("cache.ratio", 0.75),
        ],
    );
    server.add_event_with_timestamp(
        "annotation",
        at(base, 400_000_000),
        vec![KeyValue::new("tags", vec![1.25, 2.0])],
    );
    // Past the event limit of 3.
    server.add_event("dropped.event", vec![]);

    let server_cx = Context::new().with_span_context(server.span_context().clone());

    let mut client = tracer
        .span_builder("POST /payments")
        .with_kind(SpanKind::Client)
        .with_parent(&server_cx)
        .with_start_time(at(base, 500_000_000))
        .with_attributes([
            KeyValue::new("bool.false", false),
            KeyValue::new("double.big", -1.5e300),
            KeyValue::new("int.zero", 0_i64),
            KeyValue::new("http.response.status_code", 503_i64),
        ])
        .start();
    client.set_status(Status::error("upstream said 503: \"unavailable\""));
    client.end_with_timestamp(at(base, 700_000_001));

    let mut producer = tracer
        .span_builder("orders publish")
        .with_kind(SpanKind::Producer)
        .with_parent(&server_cx)
        .with_start_time(at(base, 750_000_000))
        .start();
    producer.set_status(Status::error(""));
    let producer_context = producer.span_context().clone();
    producer.end_with_timestamp(at(base, 800_000_003));

    let mut consumer = tracer
        .span_builder("orders process")
        .with_kind(SpanKind::Consumer)
        .with_parent(&server_cx)
        .with_start_time(at(base, 900_000_000))
        .with_links([Link::new(producer_context.clone(), vec![])])
        .start();
    consumer.end_with_timestamp(at(base, 1_000_000_000));

    let client_context = Context::new().with_span_context(client.span_context().clone());
    let mut internal = plain
        .span_builder("compute total")
        .with_parent(&client_context)
        .with_start_time(at(base, 550_000_000))
        .with_links([Link::new(
            producer_context,
            vec![KeyValue::new("opentracing.ref_type", "child_of")],
        )])
        .start();
    internal.end_with_timestamp(at(base, 650_000_999));

    server.set_status(Status::Ok);
    server.end_with_timestamp(at(base, 1_357_924_680));
}

/// Whether `span` has a parent that is not in `trace` (a remote parent):
/// Jaeger's clock skew adjuster then adds a warning to the span (only when
/// its adjusters run, not for raw reads).
fn parent_is_elsewhere(span: &SpanData, trace: &[SpanData]) -> bool {
    let parent = span.parent_span_id();
    parent.is_valid() && !trace.iter().any(|s| s.span_context().span_id() == parent)
}

/// The differences between each sent span and what `/api/v3` returned for
/// it, `adjusted` saying whether Jaeger's query adjusters ran.
fn compare_v3(sent: &[SpanData], answer: &Value, adjusted: bool) -> Vec<String> {
    let entries = otlp_json_view::spans(answer).expect("an OTLP JSON answer");
    let mut problems = Vec::new();
    if entries.len() != sent.len() {
        problems.push(format!(
            "expected {} spans, got {}",
            sent.len(),
            entries.len()
        ));
    }
    let by_id: HashMap<&str, _> = entries.iter().map(|e| (e.span_id(), e)).collect();
    let shape = |v: Value| {
        if adjusted {
            otlp_json_view::sorted_like_jaeger(&v)
        } else {
            v
        }
    };
    for span in sent {
        let id = span.span_context().span_id().to_string();
        let Some(entry) = by_id.get(id.as_str()) else {
            problems.push(format!("span {:?} ({id}) is missing", span.name()));
            continue;
        };
        let mut expected_span = shape(otlp_json_view::expected_span(span));
        if adjusted && parent_is_elsewhere(span, sent) {
            let warning = otlp_json_view::missing_parent_warning(span.parent_span_id());
            expected_span = otlp_json_view::with_warnings(&expected_span, &[warning]);
        }
        let pairs = [
            ("span", expected_span, entry.span),
            (
                "resource",
                shape(otlp_json_view::expected_resource(span.resource())),
                entry.resource,
            ),
            (
                "scope",
                shape(otlp_json_view::expected_scope(span.instrumentation_scope())),
                entry.scope,
            ),
            // Jaeger's memory storage regroups spans by trace id into new
            // ResourceSpans and ScopeSpans, copying the resource and scope but
            // not their schema URLs (internal/storage/v2/memory/memory.go,
            // reshuffleResourceSpans): what was sent cannot be read back.
            ("resource schemaUrl", Value::Null, entry.resource_schema_url),
            ("scope schemaUrl", Value::Null, entry.scope_schema_url),
        ];
        for (what, expected, actual) in pairs {
            for d in differences(&without_defaults(&expected), &without_defaults(actual)) {
                problems.push(format!("{:?} {what}: {d}", span.name()));
            }
        }
    }
    problems
}

/// The differences between each sent span and what `/api/traces` returned.
fn compare_v1(sent: &[SpanData], answer: &Value, adjusted: bool) -> Vec<String> {
    let spans = jaeger_ui_view::spans_for_comparison(answer).expect("a Jaeger UI answer");
    let mut problems = Vec::new();
    if spans.len() != sent.len() {
        problems.push(format!(
            "expected {} spans, got {}",
            sent.len(),
            spans.len()
        ));
    }
    for span in sent {
        let id = jaeger_ui_view::span_id(span.span_context().span_id());
        let Some(actual) = spans.iter().find(|s| s["spanID"] == id.as_str()) else {
            problems.push(format!("span {:?} ({id}) is missing", span.name()));
            continue;
        };
        let mut expected = jaeger_ui_view::expected_span(span);
        if adjusted {
            expected = jaeger_ui_view::sorted_like_jaeger(&expected);
            if parent_is_elsewhere(span, sent) {
                let warning = jaeger_ui_view::missing_parent_warning(span.parent_span_id());
                expected = jaeger_ui_view::with_warnings(&expected, &[warning]);
            }
        }
        for d in differences(&without_defaults(&expected), &without_defaults(actual)) {
            problems.push(format!("{:?}: {d}", span.name()));
        }
    }
    problems
}

fn assert_no_problems(what: &str, problems: Vec<String>, jaeger: &Jaeger) {
    assert!(
        problems.is_empty(),
        "{what}: {} differences:\n  {}\nJaeger log tail:\n{}",
        problems.len(),
        problems.join("\n  "),
        jaeger.log_tail(20)
    );
}

/// Sends the trace with `protocol` and checks it through all four reads.
fn round_trip(protocol: Protocol, compression: Compression, salt: u8) {
    let jaeger = start_jaeger();
    let service = format!("spanlite-conformance-{salt}");
    let (provider, sent, otlp_stats) = provider_for(&jaeger, protocol, compression, &service);
    let trace_id = unique_trace_id(true, salt);

    send_everything(&provider, trace_id);
    provider.force_flush(FLUSH).unwrap();
    let sent = sent.finished_spans();

    // The scenario really exercises what it claims to.
    assert_eq!(sent.len(), 5);
    let server = sent.iter().find(|s| s.name() == "GET /checkout").unwrap();
    assert_eq!(server.dropped_attributes_count(), 2);
    assert_eq!(server.dropped_events_count(), 1);
    assert_eq!(server.dropped_links_count(), 1);
    assert_eq!(server.events()[1].dropped_attributes_count(), 1);
    assert_eq!(server.links()[0].dropped_attributes_count(), 1);
    assert!(server.parent_is_remote());
    assert!(!server.span_context().trace_state().is_empty());
    assert!(sent.iter().all(|s| s.span_context().trace_id() == trace_id));
    assert_eq!(otlp_stats.snapshot().spans_sent(), 5);
    assert_eq!(
        otlp_stats.snapshot().failed_status() + otlp_stats.snapshot().failed_connection(),
        0
    );

    // The order matters: Jaeger's memory storage hands out the stored
    // trace itself and the /api/v3 adjusters change it in place (they sort
    // its attributes and add a warning attribute, once per read), so the
    // adjusted /api/v3 read comes last. /api/traces adjusts a copy.
    let raw_v3 = jaeger.wait_for_spans(trace_id, sent.len()).unwrap();
    assert_no_problems(
        "/api/v3/traces raw",
        compare_v3(&sent, &raw_v3, false),
        &jaeger,
    );

    let raw_v1 = jaeger
        .get_trace_v1_raw(trace_id)
        .unwrap()
        .expect("the trace in /api/traces");
    assert_no_problems(
        "/api/traces raw",
        compare_v1(&sent, &raw_v1, false),
        &jaeger,
    );

    let v1 = jaeger
        .get_trace_v1(trace_id)
        .unwrap()
        .expect("the trace in /api/traces");
    assert_no_problems("/api/traces", compare_v1(&sent, &v1, true), &jaeger);
    assert_eq!(v1["data"][0]["traceID"], trace_id.to_string().as_str());

    let v3 = jaeger
        .get_trace_v3(trace_id)
        .unwrap()
        .expect("the trace in /api/v3");
    assert_no_problems("/api/v3/traces", compare_v3(&sent, &v3, true), &jaeger);

    provider.shutdown(FLUSH).unwrap();
}

#[test]
fn every_field_survives_otlp_http_protobuf_into_jaeger() {
    round_trip(Protocol::HttpProtobuf, Compression::None, 1);
}

#[test]
fn every_field_survives_otlp_http_json_into_jaeger() {
    round_trip(Protocol::HttpJson, Compression::None, 2);
}

#[test]
fn every_field_survives_gzipped_otlp_http_protobuf_into_jaeger() {
    round_trip(Protocol::HttpProtobuf, Compression::Gzip, 4);
}

#[test]
fn every_field_survives_gzipped_otlp_http_json_into_jaeger() {
    round_trip(Protocol::HttpJson, Compression::Gzip, 5);
}

/// Jaeger prints a trace id whose high 64 bits are zero as 16 hex digits in
/// its own model (`/api/traces`), and as 32 in OTLP (`/api/v3`).
#[test]
fn every_field_survives_otlp_grpc_into_jaeger() {
    round_trip(Protocol::Grpc, Compression::None, 7);
}

#[test]
fn every_field_survives_gzipped_otlp_grpc_into_jaeger() {
    round_trip(Protocol::Grpc, Compression::Gzip, 8);
}

#[test]
fn a_trace_id_with_a_zero_high_half_keeps_its_value() {
    let jaeger = start_jaeger();
    let (provider, sent, _) = provider_for(
        &jaeger,
        Protocol::HttpProtobuf,
        Compression::None,
        "spanlite-conformance-short-id",
    );
    let trace_id = unique_trace_id(false, 3);
    assert_eq!(trace_id.to_int() >> 64, 0);
    let parent = Context::new().with_remote_span_context(SpanContext::new(
        trace_id,
        SpanId::from_int(7),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    ));
    provider
        .tracer("short")
        .span_builder("short id")
        .with_parent(&parent)
        .start()
        .end();
    provider.force_flush(FLUSH).unwrap();
    let sent = sent.finished_spans();

    let raw_v3 = jaeger.wait_for_spans(trace_id, 1).unwrap();
    assert_no_problems(
        "/api/v3/traces raw",
        compare_v3(&sent, &raw_v3, false),
        &jaeger,
    );
    let stored = otlp_json_view::spans(&raw_v3).unwrap()[0].span["traceId"].clone();
    assert_eq!(stored, format!("{:032x}", trace_id.to_int()).as_str());

    let v1 = jaeger
        .get_trace_v1_raw(trace_id)
        .unwrap()
        .expect("the trace in /api/traces");
    assert_no_problems("/api/traces raw", compare_v1(&sent, &v1, false), &jaeger);
    assert_eq!(
        v1["data"][0]["traceID"],
        format!("{:016x}", trace_id.to_int()).as_str()
    );
}

/// Every socket Jaeger opens for listening is on 127.0.0.1, and its
/// configured ports are among them.
#[cfg(target_os = "linux")]
#[test]
fn jaeger_listens_on_loopback_only() {
    let jaeger = start_jaeger();
    let sockets = spanlite_conformance::listening_sockets(jaeger.pid()).unwrap();
    let ports = jaeger.ports();
    let expected = ports
        .tcp()
        .map(|p| ("tcp", p))
        .into_iter()
        .chain(ports.udp().map(|p| ("udp", p)));
    for (protocol, port) in expected {
        assert!(
            sockets
                .iter()
                .any(|s| s.protocol == protocol && s.address.port() == port),
            "nothing listens on {protocol} port {port}: {sockets:?}"
        );
    }
    let exposed: Vec<_> = sockets
        .iter()
        .filter(|s| !s.address.ip().is_loopback())
        .collect();
    assert!(
        exposed.is_empty(),
        "Jaeger listens beyond loopback: {exposed:?}"
    );
    assert_eq!(
        sockets.len(),
        JaegerPorts::TCP_COUNT + JaegerPorts::UDP_COUNT,
        "unexpected listeners: {sockets:?}"
    );
}
