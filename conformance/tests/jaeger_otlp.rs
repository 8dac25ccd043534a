//! spanlite's OTLP/HTTP exporter (protobuf and JSON) against a real Jaeger
//! v2: a trace that uses every field of the data model goes in, and both
//! query APIs must give every field back.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::every_field::{
    assert_scenario, provider_for, send_everything, start_jaeger, unique_trace_id, FLUSH,
};
use common::round_trip::{assert_no_problems, check_round_trip, compare_v1, compare_v3, Expected};

use serde_json::Value;
use spanlite::{
    Context, ExporterCounters, InMemoryExporter, SpanContext, SpanData, SpanId, TraceFlags,
    TraceState, TracerProvider,
};
use spanlite_conformance::{jaeger_ui_view, otlp_json_view, Jaeger, JaegerPorts};
use spanlite_exporters::otlp::{Compression, OtlpConfig, OtlpHttpExporter, Protocol};

/// A provider exporting to `jaeger` with `protocol` and `compression`, and
/// keeping a copy of every span in the returned in-memory exporter.
fn otlp_provider(
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
    let (provider, sent) = provider_for(exporter, service);
    (provider, sent, otlp_stats)
}

/// What Jaeger answers for a span sent over OTLP: the OpenTelemetry model
/// as it is, in both query APIs.
const OTLP: Expected = Expected {
    v3_span: otlp_json_view::expected_span,
    v3_resource: otlp_json_view::expected_resource,
    v3_scope: otlp_scope,
    v1_span: jaeger_ui_view::expected_span,
    parse_json_strings: false,
};

fn otlp_scope(span: &SpanData) -> Value {
    otlp_json_view::expected_scope(span.instrumentation_scope())
}

/// Sends the trace with `protocol` and checks it through all four reads.
fn round_trip(protocol: Protocol, compression: Compression, salt: u8) {
    let jaeger = start_jaeger();
    let service = format!("spanlite-conformance-{salt}");
    let (provider, sent, otlp_stats) = otlp_provider(&jaeger, protocol, compression, &service);
    let trace_id = unique_trace_id(true, salt);

    send_everything(&provider, trace_id);
    provider.force_flush(FLUSH).unwrap();
    let sent = sent.finished_spans();

    // The scenario really exercises what it claims to.
    assert_scenario(&sent, trace_id);
    assert_eq!(otlp_stats.snapshot().spans_sent(), 5);
    assert_eq!(
        otlp_stats.snapshot().failed_status() + otlp_stats.snapshot().failed_connection(),
        0
    );

    check_round_trip(&jaeger, &sent, trace_id, &OTLP);
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

#[test]
fn every_field_survives_otlp_grpc_into_jaeger() {
    round_trip(Protocol::Grpc, Compression::None, 7);
}

#[test]
fn every_field_survives_gzipped_otlp_grpc_into_jaeger() {
    round_trip(Protocol::Grpc, Compression::Gzip, 8);
}

/// Jaeger prints a trace id whose high 64 bits are zero as 16 hex digits in
/// its own model (`/api/traces`), and as 32 in OTLP (`/api/v3`).
#[test]
fn a_trace_id_with_a_zero_high_half_keeps_its_value() {
    let jaeger = start_jaeger();
    let (provider, sent, _) = otlp_provider(
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
        compare_v3(&sent, &raw_v3, false, &OTLP),
        &jaeger,
    );
    let stored = otlp_json_view::spans(&raw_v3).unwrap()[0].span["traceId"].clone();
    assert_eq!(stored, format!("{:032x}", trace_id.to_int()).as_str());

    let v1 = jaeger
        .get_trace_v1_raw(trace_id)
        .unwrap()
        .expect("the trace in /api/traces");
    assert_no_problems(
        "/api/traces raw",
        compare_v1(&sent, &v1, false, &OTLP),
        &jaeger,
    );
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
