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

/// `info_span!` with three fields (one a string).
fn product_span() -> tracing::Span {
    tracing::info_span!(
        "GET /api/products/{id}",
        http.route = ROUTE,
        status = 200,
        cache.hit = true
    )
}

/// The span, entered and dropped.
fn one_span() {
    let _entered = product_span().entered();
}

/// The same span with one event in it, with or without a message.
fn one_span_with_an_event(with_message: bool) {
    let _entered = product_span().entered();
    if with_message {
        tracing::info!(rows = 3, "served");
    } else {
        tracing::info!(rows = 3);
    }
}

/// Allocations per call of `work` on this thread once warm, through the
/// bridge into a batch pipeline that discards; checks every span is
/// exported.
fn allocations_per_span(work: impl Fn()) -> f64 {
    let config = BatchConfig::default()
        .with_max_queue_size(2048)
        .with_max_export_batch_size(2048);
    let provider = TracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::new(Discard, config))
        .build();
    let subscriber =
        tracing_subscriber::registry().with(SpanliteLayer::new(provider.tracer("bridge")));
    let per_span = tracing::subscriber::with_default(subscriber, || {
        let round = || {
            for _ in 0..1000 {
                work();
            }
            provider.force_flush(Duration::from_secs(10)).unwrap();
        };
        for _ in 0..3 {
            round();
        }
        let before = allocations_on_this_thread();
        round();
        (allocations_on_this_thread() - before) as f64 / 1000.0
    });
    assert_eq!(provider.stats().exported(), 4000);
    per_span
}

#[test]
fn a_bridged_span_with_three_fields_allocates_nothing_once_warm() {
    let per_span = allocations_per_span(one_span);
    // The span record, the string field's text (the same value every
    // time) and the layer's table of open spans are reused, and no shared
    // span cell is taken: nothing asks for the span's context.
    assert_eq!(per_span, 0.0, "{per_span} allocations per bridged span");
}

#[test]
fn an_event_allocates_its_attributes_and_its_message_alone() {
    // The event's attribute vector; the event's name is the callsite's
    // static name, borrowed.
    let per_span = allocations_per_span(|| one_span_with_an_event(false));
    assert!(
        per_span <= 1.0,
        "{per_span} allocations per span with an event"
    );
    // Plus the formatted message, moved into the event, not copied.
    let per_span = allocations_per_span(|| one_span_with_an_event(true));
    assert!(
        per_span <= 2.0,
        "{per_span} allocations per span with a message event"
    );
}
