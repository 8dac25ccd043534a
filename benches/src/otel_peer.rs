//! opentelemetry_sdk with its default batch pipeline into a discarding
//! exporter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider, SpanData, SpanExporter};

use crate::spanlite_peer::Sampling;

/// Keeps every span it is given, for building encoding inputs.
#[derive(Debug, Clone, Default)]
pub struct Capture(pub Arc<std::sync::Mutex<Vec<SpanData>>>);

impl SpanExporter for Capture {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0
            .lock()
            .map_err(|_| {
                opentelemetry_sdk::error::OTelSdkError::InternalFailure("poisoned".into())
            })?
            .extend(batch);
        Ok(())
    }
}

/// Counts and discards.
#[derive(Debug, Clone, Default)]
pub struct Discard(pub Arc<AtomicU64>);

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

fn sampler(sampling: Sampling) -> Sampler {
    match sampling {
        Sampling::AlwaysOn => Sampler::AlwaysOn,
        Sampling::AlwaysOff => Sampler::AlwaysOff,
        Sampling::Ratio1Pct => Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.01))),
    }
}

/// A provider with the default batch processor, and its exporter's counter.
pub fn provider(sampling: Sampling) -> (SdkTracerProvider, Arc<AtomicU64>) {
    let exported = Arc::new(AtomicU64::new(0));
    let provider = SdkTracerProvider::builder()
        .with_sampler(sampler(sampling))
        .with_batch_exporter(Discard(exported.clone()))
        .build();
    (provider, exported)
}

/// A tracer from `provider`.
pub fn tracer(provider: &SdkTracerProvider) -> SdkTracer {
    provider.tracer("bench")
}

/// A root span with three attributes.
#[inline]
pub fn root_span(tracer: &SdkTracer) {
    let mut span = tracer.start_with_context("GET /api/products/{id}", &Context::new());
    span.set_attribute(KeyValue::new("http.route", crate::ROUTE));
    span.set_attribute(KeyValue::new("http.response.status_code", 200));
    span.set_attribute(KeyValue::new("cache.hit", true));
    span.end();
}

/// The same as a child of `parent`.
#[inline]
pub fn child_span(tracer: &SdkTracer, parent: &Context) {
    let mut span = tracer.start_with_context("SELECT products", parent);
    span.set_attribute(KeyValue::new("http.route", crate::ROUTE));
    span.set_attribute(KeyValue::new("http.response.status_code", 200));
    span.set_attribute(KeyValue::new("cache.hit", true));
    span.end();
}

/// A context whose span is a sampled root, to be a parent.
pub fn parent_context(tracer: &SdkTracer) -> Context {
    Context::new().with_span(tracer.start_with_context("parent", &Context::new()))
}

/// Flushes the provider.
pub fn flush(provider: &SdkTracerProvider) {
    let _ = provider.force_flush();
}

use opentelemetry::trace::TraceContextExt as _;

/// `n` finished spans with ten attributes and one event each, as
/// opentelemetry_sdk hands them to exporters.
pub fn finished_spans(n: usize) -> Vec<SpanData> {
    let capture = Capture::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(capture.clone())
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("bench")
                .build(),
        )
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
    let spans = capture.0.lock().map(|s| s.clone()).unwrap_or_default();
    spans
}

/// What opentelemetry-otlp does with a batch: group into
/// opentelemetry-proto messages, then encode with prost.
pub fn encode_with_opentelemetry_proto(
    spans: Vec<SpanData>,
    resource: &opentelemetry_sdk::Resource,
    out: &mut Vec<u8>,
) {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    use prost::Message as _;
    let resource = ResourceAttributesWithSchema::from(resource);
    let request = ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(spans, &resource),
    };
    let _ = request.encode(out);
}
