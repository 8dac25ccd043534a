//! What a bridged `tracing` span allocates once warm, counted on the
//! producing thread. Its own test binary: it installs a counting global
//! allocator.

use spanlite_test_support::{allocations_on_this_thread, CountingAllocator};
use std::time::Duration;

use spanlite::{
    BatchConfig, BatchSpanProcessor, ExportError, SpanData, SpanExporter, TracerProvider,
};
use spanlite_instrumentation::SpanliteLayer;
use tracing_subscriber::prelude::*;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const ROUTE: &str = "/api/products/{id}";

/// Discards spans (keeping none, so their records are recycled).
#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    fn export(&mut self, _: &[SpanData], _: std::time::Instant) -> Result<(), ExportError> {
        Ok(())
    }
}

/// `info_span!` with three fields (one a string), entered and dropped.
fn one_span() {
    let span = tracing::info_span!(
        "GET /api/products/{id}",
        http.route = ROUTE,
        status = 200,
        cache.hit = true
    );
    let _entered = span.enter();
}

#[test]
fn a_bridged_span_with_three_fields_allocates_once_once_warm() {
    let config = BatchConfig::default()
        .with_max_queue_size(2048)
        .with_max_export_batch_size(2048);
    let provider = TracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::new(Discard, config))
        .build();
    let subscriber =
        tracing_subscriber::registry().with(SpanliteLayer::new(provider.tracer("bridge")));
    tracing::subscriber::with_default(subscriber, || {
        let round = || {
            for _ in 0..1000 {
                one_span();
            }
            provider.force_flush(Duration::from_secs(10)).unwrap();
        };
        for _ in 0..3 {
            round();
        }
        let before = allocations_on_this_thread();
        round();
        let per_span = (allocations_on_this_thread() - before) as f64 / 1000.0;
        // The registry's box for the layer's extension; the span cell the
        // spanlite context shares, the fields vector, the start attributes,
        // the span record and the string field's text (the same value
        // every time) are reused.
        assert!(per_span <= 1.0, "{per_span} allocations per bridged span");
    });
    assert_eq!(provider.stats().exported(), 4000);
}
