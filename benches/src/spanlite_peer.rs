//! spanlite with its default batch pipeline into a discarding exporter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use spanlite::{
    AlwaysOff, AlwaysOn, BatchConfig, BatchSpanProcessor, Context, ExportError, KeyValue,
    ParentBased, SpanData, SpanExporter, TraceIdRatioBased, Tracer, TracerProvider,
};

/// Counts and discards.
#[derive(Debug, Clone, Default)]
pub struct Discard(pub Arc<AtomicU64>);

impl SpanExporter for Discard {
    fn export(&mut self, batch: &[SpanData], _deadline: Instant) -> Result<(), ExportError> {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// Which sampler a benchmark uses.
#[derive(Debug, Clone, Copy)]
pub enum Sampling {
    /// Everything.
    AlwaysOn,
    /// Nothing.
    AlwaysOff,
    /// `ParentBased(TraceIdRatioBased(0.01))`.
    Ratio1Pct,
}

/// A provider with the default batch settings, and its exporter's counter.
/// The sampler is given as users give it: the concrete type, boxed once
/// by the builder.
pub fn provider(sampling: Sampling) -> (TracerProvider, Arc<AtomicU64>) {
    let exported = Arc::new(AtomicU64::new(0));
    let processor = BatchSpanProcessor::new(Discard(exported.clone()), BatchConfig::default());
    let builder = TracerProvider::builder().with_span_processor(processor);
    let builder = match sampling {
        Sampling::AlwaysOn => builder.with_sampler(AlwaysOn),
        Sampling::AlwaysOff => builder.with_sampler(AlwaysOff),
        Sampling::Ratio1Pct => builder.with_sampler(ParentBased::new(TraceIdRatioBased::new(0.01))),
    };
    (builder.build(), exported)
}

/// The benchmark's unit of work: a root span with three attributes.
#[inline]
pub fn root_span(tracer: &Tracer) {
    let mut span = tracer.start_with_context("GET /api/products/{id}", &Context::new());
    span.set_attribute(KeyValue::new("http.route", crate::ROUTE));
    span.set_attribute(KeyValue::new("http.response.status_code", 200));
    span.set_attribute(KeyValue::new("cache.hit", true));
    span.end();
}

/// The same as a child of `parent`.
#[inline]
pub fn child_span(tracer: &Tracer, parent: &Context) {
    let mut span = tracer.start_with_context("SELECT products", parent);
    span.set_attribute(KeyValue::new("http.route", crate::ROUTE));
    span.set_attribute(KeyValue::new("http.response.status_code", 200));
    span.set_attribute(KeyValue::new("cache.hit", true));
    span.end();
}

/// `n` finished spans with ten attributes and one event each.
pub fn finished_spans(n: usize) -> Vec<SpanData> {
    let exporter = spanlite::InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_resource(
            spanlite::Resource::builder()
                .with_service_name("bench")
                .build(),
        )
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("bench");
    for i in 0..n {
        let mut span = tracer.start_with_context("GET /api/products/{id}", &Context::new());
        for (k, key) in crate::TEN_KEYS.iter().enumerate() {
            span.set_attribute(KeyValue::new(*key, (i * 10 + k) as i64));
        }
        span.add_event("cache miss", vec![KeyValue::new("cache.key", "product:42")]);
        span.end();
    }
    exporter.finished_spans()
}
