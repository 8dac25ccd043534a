//! Once warm, the span hot path allocates nothing on the producing thread:
//! records are recycled through the thread's buffer and pool.
//!
//! Its own test binary, because it installs a counting global allocator.

use spanlite_test_support::{allocations_on_this_thread, CountingAllocator};
use std::time::Duration;

use spanlite::{
    AlwaysOff, BatchConfig, BatchSpanProcessor, Context, KeyValue, SpanExporter, TracerProvider,
};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Discards what it is given.
#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    fn export(
        &mut self,
        _: &[spanlite::SpanData],
        _: std::time::Instant,
    ) -> Result<(), spanlite::ExportError> {
        Ok(())
    }
}

const FLUSH: Duration = Duration::from_secs(10);

/// Runs `rounds` rounds of 1,000 spans made by `make`, flushing between
/// rounds so recycled records are back before the next round, and returns
/// the allocations the producing thread made.
fn allocations_for(provider: &TracerProvider, rounds: usize, mut make: impl FnMut()) -> u64 {
    let before = allocations_on_this_thread();
    for _ in 0..rounds {
        for _ in 0..1000 {
            make();
        }
        provider.force_flush(FLUSH).unwrap();
    }
    allocations_on_this_thread() - before
}

/// The batch size equals the queue size, so exports happen on flush only:
/// then the records a round needs are exactly its span count, and the
/// warm-up provably leaves enough in circulation. (With mid-round exports
/// the pool still converges, but how many records a round needs depends on
/// thread timing, which a test should not.)
fn provider(sampler_off: bool) -> TracerProvider {
    let config = BatchConfig::default()
        .with_max_queue_size(2048)
        .with_max_export_batch_size(2048);
    let processor = BatchSpanProcessor::new(Discard, config);
    let builder = TracerProvider::builder().with_span_processor(processor);
    let builder = if sampler_off {
        builder.with_sampler(AlwaysOff)
    } else {
        builder
    };
    builder.build()
}

#[test]
fn ten_thousand_sampled_root_spans_with_three_static_attributes_allocate_nothing_once_warm() {
    let provider = provider(false);
    let tracer = provider.tracer("alloc");
    let mut one = || {
        let mut span = tracer.start_with_context("GET /", &Context::new());
        span.set_attribute(KeyValue::new("http.route", "/"));
        span.set_attribute(KeyValue::new("http.response.status_code", 200));
        span.set_attribute(KeyValue::new("cache.hit", true));
        span.end();
    };
    allocations_for(&provider, 3, &mut one); // warm-up
    let allocations = allocations_for(&provider, 10, &mut one);
    assert_eq!(allocations, 0);
    let stats = provider.stats();
    assert_eq!(stats.exported(), 13_000);
}

#[test]
fn ten_thousand_child_spans_of_an_explicit_parent_allocate_nothing_once_warm() {
    let provider = provider(false);
    let tracer = provider.tracer("alloc");
    let parent = tracer.start("parent").into_context(&Context::new());
    let mut one = || {
        let mut span = tracer.start_with_context("child", &parent);
        span.set_attribute(KeyValue::new("a", "static"));
        span.set_attribute(KeyValue::new("b", 7));
        span.set_attribute(KeyValue::new("c", false));
        span.end();
    };
    allocations_for(&provider, 3, &mut one);
    assert_eq!(allocations_for(&provider, 10, &mut one), 0);
}

#[test]
fn ten_thousand_unsampled_spans_allocate_nothing() {
    let provider = provider(true);
    let tracer = provider.tracer("alloc");
    let mut one = || {
        let mut span = tracer.start_with_context("quiet", &Context::new());
        span.set_attribute(KeyValue::new("a", "static"));
        span.set_attribute(KeyValue::new("b", 7));
        span.set_attribute(KeyValue::new("c", false));
        span.end();
    };
    allocations_for(&provider, 1, &mut one);
    assert_eq!(allocations_for(&provider, 10, &mut one), 0);
}

/// Three static attributes, ended at once.
fn root_span(tracer: &spanlite::Tracer) {
    let mut span = tracer.start_with_context("GET /", &Context::new());
    span.set_attribute(KeyValue::new("http.route", "/"));
    span.set_attribute(KeyValue::new("http.response.status_code", 200));
    span.set_attribute(KeyValue::new("cache.hit", true));
    span.end();
}

#[test]
fn sampled_spans_that_no_processor_keeps_reuse_their_records() {
    let provider = TracerProvider::builder().build();
    let tracer = provider.tracer("alloc");
    allocations_for(&provider, 1, || root_span(&tracer));
    assert_eq!(allocations_for(&provider, 10, || root_span(&tracer)), 0);
}

/// Holds every export until the test lets go, so the queue stays full;
/// says when the first export has begun.
#[derive(Debug)]
struct Stuck {
    gate: std::sync::Arc<std::sync::Mutex<()>>,
    exporting: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl SpanExporter for Stuck {
    fn export(
        &mut self,
        _: &[spanlite::SpanData],
        _: std::time::Instant,
    ) -> Result<(), spanlite::ExportError> {
        self.exporting
            .store(true, std::sync::atomic::Ordering::Release);
        drop(self.gate.lock());
        Ok(())
    }
}

#[test]
fn spans_dropped_on_a_full_queue_reuse_their_records_and_are_counted() {
    let gate = std::sync::Arc::new(std::sync::Mutex::new(()));
    let exporting = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let held = gate.lock().unwrap();
    let config = BatchConfig::default()
        .with_max_queue_size(16)
        .with_max_export_batch_size(16);
    let exporter = Stuck {
        gate: gate.clone(),
        exporting: exporting.clone(),
    };
    let provider = TracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::new(exporter, config))
        .build();
    let tracer = provider.tracer("alloc");
    // Warm-up: spans until the export thread is stuck in its first export
    // (it can take no more from the queue), then enough to fill the queue
    // and report the first drop. Bounded: the thread is woken every 16.
    let mut warm_up = 0_u64;
    while !exporting.load(std::sync::atomic::Ordering::Acquire) {
        assert!(
            warm_up < 10_000_000,
            "the export thread never began exporting"
        );
        root_span(&tracer);
        warm_up += 1;
        std::thread::yield_now();
    }
    for _ in 0..1000 {
        root_span(&tracer);
    }
    let before = allocations_on_this_thread();
    for _ in 0..10_000 {
        root_span(&tracer);
    }
    assert_eq!(allocations_on_this_thread() - before, 0);
    let stats = provider.stats();
    assert_eq!(stats.ended(), warm_up + 11_000);
    assert!(
        stats.dropped_queue_full() >= 10_000,
        "{stats:?}: every span of the measured loop found the queue full"
    );
    drop(held);
    provider.shutdown(FLUSH).unwrap();
    let stats = provider.stats();
    assert_eq!(
        stats.ended(),
        stats.exported() + stats.dropped_queue_full(),
        "{stats:?}"
    );
}

#[test]
fn spans_built_with_start_attributes_allocate_nothing_once_warm() {
    let provider = provider(false);
    let tracer = provider.tracer("alloc");
    let mut one = || {
        tracer
            .span_builder("GET /")
            .with_kind(spanlite::SpanKind::Server)
            .with_attributes([
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("url.path", "/"),
                KeyValue::new("server.port", 8080),
            ])
            .with_parent(&Context::new())
            .start()
            .end();
    };
    allocations_for(&provider, 3, &mut one);
    assert_eq!(allocations_for(&provider, 10, &mut one), 0);
    assert_eq!(provider.stats().exported(), 13_000);
}

#[test]
fn spans_started_with_fields_allocate_nothing_once_warm_even_when_limits_apply() {
    // A value length limit (and a repeated key) sends the fields through
    // the one-by-one path, which must reuse storage too.
    let limits = spanlite::SpanLimits::default().with_attribute_value_length(Some(8));
    let config = BatchConfig::default()
        .with_max_queue_size(2048)
        .with_max_export_batch_size(2048);
    let provider = TracerProvider::builder()
        .with_span_limits(limits)
        .with_span_processor(BatchSpanProcessor::new(Discard, config))
        .build();
    let tracer = provider.tracer("alloc");
    let mut one = || {
        tracer
            .start_with_fields("GET /", &Context::new(), |fields| {
                fields.set_kind(spanlite::SpanKind::Server);
                fields.add_attribute(KeyValue::new("url.path", "/a/rather/long/path"));
                fields.add_attribute(KeyValue::new("server.port", 8080));
                fields.add_attribute(KeyValue::new("server.port", 8081));
            })
            .end();
    };
    allocations_for(&provider, 3, &mut one);
    assert_eq!(allocations_for(&provider, 10, &mut one), 0);
    assert_eq!(provider.stats().exported(), 13_000);
}
