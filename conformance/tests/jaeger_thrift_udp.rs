//! spanlite's Jaeger agent exporter (`emitBatch` over UDP, Thrift compact
//! and binary) against a real Jaeger v2's `jaeger` receiver: a trace that
//! uses every field goes in, and both query APIs must give back every
//! field the Jaeger Thrift model can carry; a 5,000-span batch arrives
//! whole.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::every_field::{
    assert_scenario, provider_for, send_everything, start_jaeger, unique_trace_id, FLUSH,
};
use common::jaeger_thrift_fields::check_round_trip;
use spanlite::{
    Context, InMemoryExporter, KeyValue, Resource, SpanContext, SpanExporter, SpanId, TraceFlags,
    TraceState, TracerProvider,
};
use spanlite_conformance::{otlp_json_view, Jaeger};
use spanlite_exporters::jaeger::{JaegerAgentExporter, JaegerConfig, JaegerProtocol};

/// The kernel's count of UDP datagrams dropped because a socket's receive
/// buffer was full (`RcvbufErrors` in /proc/net/snmp; 0 elsewhere).
fn udp_receive_buffer_errors() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut rows = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(names), Some(values)) = (rows.next(), rows.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(name, _)| *name == "RcvbufErrors")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0)
}

fn agent_exporter(jaeger: &Jaeger, protocol: JaegerProtocol) -> JaegerAgentExporter {
    let addr = match protocol {
        JaegerProtocol::UdpThriftBinary => jaeger.jaeger_agent_binary_addr(),
        _ => jaeger.jaeger_agent_compact_addr(),
    };
    JaegerAgentExporter::new(
        JaegerConfig::new()
            .with_protocol(protocol)
            .with_agent_host(addr.ip().to_string())
            .with_agent_port(addr.port())
            .with_timeout(Duration::from_secs(10)),
    )
    .unwrap()
}

fn round_trip(protocol: JaegerProtocol, salt: u8) {
    let jaeger = start_jaeger();
    let exporter = agent_exporter(&jaeger, protocol);
    let stats = exporter.stats();
    let service = format!("spanlite-thrift-udp-{salt}");
    let (provider, sent) = provider_for(exporter, &service);
    let trace_id = unique_trace_id(true, salt);

    send_everything(&provider, trace_id);
    provider.force_flush(FLUSH).unwrap();
    let sent = sent.finished_spans();
    assert_scenario(&sent, trace_id);
    assert_eq!(stats.spans_sent(), 5);
    assert_eq!(
        stats.failed_to_emit_spans() + stats.too_large_dropped_spans(),
        0
    );

    check_round_trip(&jaeger, &sent, trace_id);
    provider.shutdown(FLUSH).unwrap();
}

#[test]
fn every_field_survives_udp_thrift_compact_into_jaeger() {
    round_trip(JaegerProtocol::UdpThriftCompact, 21);
}

#[test]
fn every_field_survives_udp_thrift_binary_into_jaeger() {
    round_trip(JaegerProtocol::UdpThriftBinary, 22);
}

#[test]
fn a_five_thousand_span_batch_over_udp_compact_arrives_whole_in_jaeger() {
    let mut jaeger = start_jaeger();
    jaeger.set_poll_timeout(Duration::from_secs(60));
    let mut exporter = agent_exporter(&jaeger, JaegerProtocol::UdpThriftCompact);
    let trace_id = unique_trace_id(true, 23);

    let collected = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_resource(Resource::new([KeyValue::new(
            "service.name",
            "spanlite-thrift-udp-load",
        )]))
        .with_simple_exporter(collected.clone())
        .build();
    let parent = Context::new().with_remote_span_context(SpanContext::new(
        trace_id,
        SpanId::from_int(1),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    ));
    let tracer = provider.tracer("load");
    for i in 0..5_000_i64 {
        let mut span = tracer.start_with_context("load span", &parent);
        span.set_attribute(KeyValue::new("index", i));
        span.set_attribute(KeyValue::new(
            "payload",
            "x".repeat(40 + (i % 100) as usize),
        ));
        span.end();
    }
    let batch = collected.finished_spans();
    assert_eq!(batch.len(), 5_000);

    let kernel_drops_before = udp_receive_buffer_errors();
    exporter
        .export(&batch, Instant::now() + Duration::from_secs(30))
        .unwrap();
    let stats = exporter.stats();
    assert_eq!(stats.spans_sent(), 5_000);
    assert!(stats.datagrams_sent() > 1, "the batch was split");

    let answer = jaeger.wait_for_spans(trace_id, 5_000).unwrap_or_else(|e| {
        let dropped = udp_receive_buffer_errors().saturating_sub(kernel_drops_before);
        panic!(
            "{e}\nDatagrams the kernel dropped for a full receive buffer meanwhile: {dropped} \
             (Jaeger's thrift_compact socket_buffer_size must hold the burst)\n\
             Jaeger log tail:\n{}",
            jaeger.log_tail(20)
        )
    });
    let stored: HashSet<String> = otlp_json_view::spans(&answer)
        .unwrap()
        .iter()
        .map(|e| e.span_id().to_owned())
        .collect();
    let expected: HashSet<String> = batch
        .iter()
        .map(|s| s.span_context().span_id().to_string())
        .collect();
    assert_eq!(stored.len(), 5_000, "a span stored twice or lost");
    assert_eq!(stored, expected);
}
