//! 100,000 spans through the batch processor and each OTLP transport
//! (HTTP/protobuf, HTTP/JSON, gRPC) into a real Jaeger v2: none is lost on
//! the way, by spanlite's count and by Jaeger's.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use spanlite::{
    BatchConfig, BatchSpanProcessor, Context, OverflowPolicy, Resource, TraceId, TracerProvider,
};
use spanlite_conformance::{otlp_json_view, Jaeger};
use spanlite_exporters::otlp::{OtlpConfig, OtlpHttpExporter, Protocol};

const TRACES: usize = 1_000;
const SPANS_PER_TRACE: usize = 100;
const SPANS: u64 = (TRACES * SPANS_PER_TRACE) as u64;

#[test]
fn a_hundred_thousand_spans_reach_jaeger_over_http_protobuf_and_none_is_dropped() {
    load(Protocol::HttpProtobuf);
}

#[test]
fn a_hundred_thousand_spans_reach_jaeger_over_http_json_and_none_is_dropped() {
    load(Protocol::HttpJson);
}

#[test]
fn a_hundred_thousand_spans_reach_jaeger_over_grpc_and_none_is_dropped() {
    load(Protocol::Grpc);
}

fn load(protocol: Protocol) {
    let jaeger = Jaeger::start()
        .unwrap_or_else(|e| panic!("Jaeger v2 is needed for this test and did not start:\n{e}"));
    let endpoint = match protocol {
        Protocol::Grpc => jaeger.otlp_grpc_endpoint(),
        _ => jaeger.otlp_http_endpoint(),
    };
    let exporter = OtlpHttpExporter::new(
        OtlpConfig::new()
            .with_endpoint(endpoint)
            .with_protocol(protocol)
            .with_timeout(Duration::from_secs(30)),
    )
    .unwrap();
    let otlp = exporter.stats();
    let otlp = move || otlp.snapshot();
    let provider = TracerProvider::builder()
        .with_resource(
            Resource::builder()
                .with_service_name("spanlite-load")
                .build(),
        )
        .with_span_processor(BatchSpanProcessor::new(
            exporter,
            BatchConfig::default()
                .with_max_queue_size(8_192)
                .with_max_export_batch_size(512)
                .with_scheduled_delay(Duration::from_millis(200))
                .with_export_timeout(Duration::from_secs(30))
                // A batch job: wait for room rather than drop.
                .with_overflow_policy(OverflowPolicy::Block),
        ))
        .build();
    let tracer = provider.tracer("spanlite-load");

    let started = Instant::now();
    let mut trace_ids: Vec<TraceId> = Vec::with_capacity(TRACES);
    for _ in 0..TRACES {
        let mut root = tracer
            .span_builder("load root")
            .with_parent(&Context::new())
            .start();
        let cx = Context::new().with_span_context(root.span_context().clone());
        for _ in 1..SPANS_PER_TRACE {
            tracer
                .span_builder("load child")
                .with_parent(&cx)
                .start()
                .end();
        }
        trace_ids.push(root.span_context().trace_id());
        root.end();
    }
    let produced = started.elapsed();
    provider.force_flush(Duration::from_secs(120)).unwrap();
    let flushed = started.elapsed();

    let unique: HashSet<TraceId> = trace_ids.iter().copied().collect();
    assert_eq!(unique.len(), TRACES, "trace ids repeat");
    let stats = provider.stats();
    assert_eq!(stats.ended(), SPANS);
    assert_eq!(stats.exported(), SPANS, "{stats:?}");
    assert_eq!(stats.dropped(), 0, "{stats:?}");
    assert_eq!(otlp().spans_sent(), SPANS, "{:?}", otlp());
    assert_eq!(otlp().spans_rejected(), 0, "{:?}", otlp());

    // Jaeger's count, exactly: every trace holds its 100 distinct spans.
    let mut stored = 0;
    for trace_id in &trace_ids {
        let answer = jaeger.wait_for_spans(*trace_id, SPANS_PER_TRACE).unwrap();
        let spans = otlp_json_view::spans(&answer).unwrap();
        let ids: HashSet<&str> = spans.iter().map(|e| e.span_id()).collect();
        assert_eq!(spans.len(), SPANS_PER_TRACE, "trace {trace_id}");
        assert_eq!(
            ids.len(),
            SPANS_PER_TRACE,
            "trace {trace_id} repeats span ids"
        );
        stored += spans.len();
    }
    assert_eq!(stored as u64, SPANS);
    eprintln!(
        "{protocol:?}: {SPANS} spans: produced in {produced:?}, flushed after {flushed:?}, counted in Jaeger after {:?}; {} requests, {} retries",
        started.elapsed(),
        otlp().requests(),
        otlp().retries()
    );
    provider.shutdown(Duration::from_secs(30)).unwrap();
}
