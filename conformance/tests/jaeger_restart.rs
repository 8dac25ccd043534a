//! Jaeger killed and restarted under a running exporter: the exporter
//! recovers, and every span ended is either in Jaeger or counted as
//! dropped, exactly.

use std::time::Duration;

use spanlite::{
    BatchConfig, BatchSpanProcessor, Context, Resource, TraceId, Tracer, TracerProvider,
};
use spanlite_conformance::{otlp_json_view, Jaeger};
use spanlite_exporters::otlp::{OtlpConfig, OtlpHttpExporter, Protocol};

const TRACES_PER_PHASE: usize = 20;
const SPANS_PER_TRACE: usize = 10;
const FLUSH: Duration = Duration::from_secs(60);

fn send_phase(tracer: &Tracer) -> Vec<TraceId> {
    (0..TRACES_PER_PHASE)
        .map(|_| {
            let mut root = tracer
                .span_builder("phase root")
                .with_parent(&Context::new())
                .start();
            let cx = Context::new().with_span_context(root.span_context().clone());
            for _ in 1..SPANS_PER_TRACE {
                tracer
                    .span_builder("phase child")
                    .with_parent(&cx)
                    .start()
                    .end();
            }
            root.end();
            root.span_context().trace_id()
        })
        .collect()
}

/// Spans of `traces` that Jaeger holds now.
fn stored(jaeger: &Jaeger, traces: &[TraceId]) -> usize {
    traces
        .iter()
        .map(|id| {
            jaeger
                .get_trace_v3_raw(*id)
                .unwrap()
                .and_then(|answer| otlp_json_view::spans(&answer).map(|s| s.len()))
                .unwrap_or(0)
        })
        .sum()
}

#[test]
fn the_exporter_recovers_from_a_jaeger_restart_and_every_span_is_stored_or_counted_as_dropped() {
    let mut jaeger = Jaeger::start()
        .unwrap_or_else(|e| panic!("Jaeger v2 is needed for this test and did not start:\n{e}"));
    let exporter = OtlpHttpExporter::new(
        OtlpConfig::new()
            .with_endpoint(jaeger.otlp_http_endpoint())
            .with_protocol(Protocol::HttpProtobuf)
            .with_timeout(Duration::from_secs(2))
            .with_retry_delays(Duration::from_millis(50), Duration::from_millis(200)),
    )
    .unwrap();
    let otlp = exporter.stats();
    let otlp = move || otlp.snapshot();
    let provider = TracerProvider::builder()
        .with_resource(
            Resource::builder()
                .with_service_name("spanlite-restart")
                .build(),
        )
        .with_span_processor(BatchSpanProcessor::new(
            exporter,
            BatchConfig::default()
                .with_max_queue_size(4096)
                .with_max_export_batch_size(64)
                .with_export_timeout(Duration::from_secs(2)),
        ))
        .build();
    let tracer = provider.tracer("restart");

    // Phase 1: Jaeger up. Everything arrives.
    let before = send_phase(&tracer);
    provider.force_flush(FLUSH).unwrap();
    for id in &before {
        jaeger.wait_for_spans(*id, SPANS_PER_TRACE).unwrap();
    }
    let exported_before = provider.stats().exported();
    assert_eq!(exported_before, (TRACES_PER_PHASE * SPANS_PER_TRACE) as u64);

    // Phase 2: Jaeger down. Exports fail after their retries and are counted.
    jaeger.kill();
    let during = send_phase(&tracer);
    provider.force_flush(FLUSH).unwrap();
    let down = provider.stats();
    assert!(down.dropped_export_failed() > 0, "{down:?}");
    assert!(
        otlp().retries() > 0,
        "connection failures were retried: {:?}",
        otlp()
    );

    // Phase 3: Jaeger back on the same ports. The exporter recovers.
    jaeger.restart().unwrap();
    let after = send_phase(&tracer);
    provider.force_flush(FLUSH).unwrap();
    for id in &after {
        jaeger.wait_for_spans(*id, SPANS_PER_TRACE).unwrap();
    }

    let stats = provider.stats();
    let ended = (3 * TRACES_PER_PHASE * SPANS_PER_TRACE) as u64;
    assert_eq!(stats.ended(), ended);
    assert_eq!(
        stats.ended(),
        stats.exported() + stats.dropped(),
        "{stats:?}"
    );
    // What the restarted Jaeger holds is exactly what was exported after
    // phase 1 (its memory storage lost phase 1 when it was killed).
    jaeger.set_poll_timeout(Duration::from_millis(100));
    let held = stored(&jaeger, &during) + stored(&jaeger, &after);
    assert_eq!(held as u64, stats.exported() - exported_before, "{stats:?}");
    assert_eq!(stored(&jaeger, &after), TRACES_PER_PHASE * SPANS_PER_TRACE);
    provider.shutdown(Duration::from_secs(10)).unwrap();
}
