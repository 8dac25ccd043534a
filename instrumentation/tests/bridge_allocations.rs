//! What a bridged `tracing` span allocates once warm, counted on the
//! producing thread. Its own test binary: it installs a counting global
//! allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use spanlite::{
    BatchConfig, BatchSpanProcessor, ExportError, SpanData, SpanExporter, TracerProvider,
};
use spanlite_instrumentation::SpanliteLayer;
use tracing_subscriber::prelude::*;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers every call to the system allocator unchanged; the counter
// is a const-initialised thread-local Cell, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
fn a_bridged_span_with_three_fields_allocates_three_times_once_warm() {
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
        let before = ALLOCATIONS.with(Cell::get);
        round();
        let per_span = (ALLOCATIONS.with(Cell::get) - before) as f64 / 1000.0;
        // The string field's copy, the span cell the spanlite context shares,
        // and the registry's box for the layer's extension; the fields
        // vector, the start attributes and the span record are reused.
        assert!(per_span <= 3.0, "{per_span} allocations per bridged span");
    });
    assert_eq!(provider.stats().exported(), 4000);
}
