//! A trace that uses every field of the data model, for round trips into
//! Jaeger over any protocol: every kind, every attribute type and array,
//! events, links (with trace state, and one marked `child_of`), status Ok,
//! Error with and without a message, and Unset, two scopes (one with a
//! version and attributes), resource attributes of every type, something
//! dropped under every limit, and a remote parent with a trace state.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spanlite::{
    Context, InMemoryExporter, KeyValue, Link, Resource, SimpleSpanProcessor, SpanContext,
    SpanData, SpanExporter, SpanId, SpanKind, SpanLimits, Status, TraceFlags, TraceId, TraceState,
    TracerProvider,
};
use spanlite_conformance::Jaeger;

/// How long a flush may take.
pub(crate) const FLUSH: Duration = Duration::from_secs(30);

/// A running Jaeger, or a failure that says why there is none.
pub(crate) fn start_jaeger() -> Jaeger {
    Jaeger::start()
        .unwrap_or_else(|e| panic!("Jaeger v2 is needed for this test and did not start:\n{e}"))
}

/// A trace id no other run shares; `high_half` false makes its high 64
/// bits zero.
pub(crate) fn unique_trace_id(high_half: bool, salt: u8) -> TraceId {
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

/// A resource named `service` with attributes of every type.
pub(crate) fn resource(service: &str) -> Resource {
    Resource::builder()
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
        .build()
}

/// A provider exporting to `exporter` span by span and keeping a copy of
/// every span in the returned in-memory exporter. Its limits are small, so
/// that every dropped count is non-zero somewhere.
pub(crate) fn provider_for(
    exporter: impl SpanExporter + 'static,
    service: &str,
) -> (TracerProvider, InMemoryExporter) {
    let sent = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_resource(resource(service))
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
    (provider, sent)
}

fn at(base: SystemTime, nanos: u64) -> SystemTime {
    base + Duration::from_nanos(nanos)
}

/// Five spans of trace `trace_id` under a remote parent; see the module
/// docs.
pub(crate) fn send_everything(provider: &TracerProvider, trace_id: TraceId) {
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
    let remote = Context::new().with_remote_span_context(SpanContext::new(
        trace_id,
        SpanId::from_int(0x1122_3344_5566_7788),
        TraceFlags::SAMPLED,
        true,
        trace_state,
    ));
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

/// Checks that the scenario sent what it claims to exercise.
pub(crate) fn assert_scenario(sent: &[SpanData], trace_id: TraceId) {
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
}

/// Whether `span` has a parent that is not in `trace` (a remote parent):
/// Jaeger's clock skew adjuster then adds a warning to the span (only when
/// its adjusters run, not for raw reads).
pub(crate) fn parent_is_elsewhere(span: &SpanData, trace: &[SpanData]) -> bool {
    let parent = span.parent_span_id();
    parent.is_valid() && !trace.iter().any(|s| s.span_context().span_id() == parent)
}
