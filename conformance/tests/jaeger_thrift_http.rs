//! spanlite's Jaeger collector exporter (`POST /api/traces`, Thrift binary)
//! against a real Jaeger v2's `jaeger` receiver: every field the Jaeger
//! model carries comes back through both query APIs; a collector that is
//! not there costs a bounded, counted failure.

mod common;

use std::time::{Duration, Instant};

use common::every_field::{
    assert_scenario, provider_for, send_everything, start_jaeger, unique_trace_id, FLUSH,
};
use common::jaeger_thrift_fields::check_round_trip;
use spanlite::{InMemoryExporter, SpanExporter, TracerProvider};
use spanlite_conformance::RefusedPort;
use spanlite_exporters::jaeger::{JaegerCollectorExporter, JaegerConfig};

#[test]
fn every_field_survives_thrift_over_http_into_jaeger() {
    let jaeger = start_jaeger();
    let exporter = JaegerCollectorExporter::new(
        JaegerConfig::new()
            .with_endpoint(jaeger.jaeger_thrift_http_endpoint())
            // Jaeger ignores it; the header must not break the request.
            .with_basic_auth("spanlite", "secret"),
    )
    .unwrap();
    let stats = exporter.stats();
    let (provider, sent) = provider_for(exporter, "spanlite-thrift-http");
    let trace_id = unique_trace_id(true, 31);

    send_everything(&provider, trace_id);
    provider.force_flush(FLUSH).unwrap();
    let sent = sent.finished_spans();
    assert_scenario(&sent, trace_id);
    let counts = stats.snapshot();
    assert_eq!(counts.spans_sent(), 5);
    assert_eq!(counts.failures(), 0);

    check_round_trip(&jaeger, &sent, trace_id);
    provider.shutdown(FLUSH).unwrap();
}

#[test]
fn a_missing_collector_is_retried_until_the_deadline_and_counted() {
    // Not a freed port: the Jaeger of the other test may be given that.
    let refused = RefusedPort::new().unwrap();
    let port = refused.port();
    let mut exporter = JaegerCollectorExporter::new(
        JaegerConfig::new()
            .with_endpoint(format!("http://127.0.0.1:{port}/api/traces"))
            .with_retry_delays(Duration::from_millis(10), Duration::from_millis(50)),
    )
    .unwrap();
    let spans = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(spans.clone())
        .build();
    provider.tracer("t").start("op").end();
    let started = Instant::now();
    let result = exporter.export(
        &spans.finished_spans(),
        Instant::now() + Duration::from_millis(300),
    );
    assert!(result.is_err());
    assert!(started.elapsed() < Duration::from_secs(3));
    let counts = exporter.stats().snapshot();
    assert!(counts.requests() > 1, "connection failures are retried");
    assert_eq!(counts.failed_connection() + counts.failed_timeout(), 1);
    assert_eq!(counts.spans_sent(), 0);
}
