//! spanlite: a fast OpenTelemetry tracing SDK.
//!
//! **In applications**, build a [`TracerProvider`] with a processor and an
//! exporter, take [`Tracer`]s from it, and start spans:
//!
//! ```
//! use spanlite::{BatchConfig, BatchSpanProcessor, InMemoryExporter, KeyValue, TracerProvider};
//! use std::time::Duration;
//!
//! let exporter = InMemoryExporter::new();
//! let provider = TracerProvider::builder()
//!     .with_span_processor(BatchSpanProcessor::new(exporter.clone(), BatchConfig::default()))
//!     .build();
//! let tracer = provider.tracer("shop");
//! tracer.in_span("checkout", |cx| {
//!     cx.span().set_attribute(KeyValue::new("cart.items", 3));
//!     let mut charge = tracer.start("charge card"); // child of "checkout"
//!     charge.end();
//! });
//! provider.shutdown(Duration::from_secs(5)).unwrap();
//! assert_eq!(exporter.finished_spans().len(), 2);
//! ```
//!
//! **In libraries**, depend on `spanlite-api` only and use the span of the
//! current [`Context`]; the application decides where spans go.
//!
//! Ending a span costs a push into a buffer owned by the ending thread: no
//! lock, no allocation once warm, no shared write. A span that is not
//! sampled costs no clock read, no allocation and no processor call.

mod clock;
mod diagnostics;
mod env;
mod error;
mod exporter;
mod id_generator;
mod instrumentation_scope;
mod processor;
mod record_pool;
mod resource;
mod span;
mod span_data;
mod span_limits;
mod stats;
mod sync;
mod tracer;
mod tracer_provider;
mod unique_record;

pub use spanlite_api::*;
pub use spanlite_propagation::*;
pub use spanlite_samplers::*;

pub use diagnostics::{defer_diagnostics, report_diagnostic, set_diagnostic_handler, Diagnostic};
pub use error::{ExportError, PipelineError};
pub use exporter::{
    ConsoleExporter, ExporterCounter, ExporterCounters, ExporterStats, InMemoryExporter,
    SpanExporter,
};
pub use id_generator::{IdGenerator, RandomIdGenerator};
pub use instrumentation_scope::InstrumentationScope;
pub use processor::{
    BatchConfig, BatchSpanProcessor, OverflowPolicy, SimpleSpanProcessor, SpanProcessor,
    TailPolicy, TailSamplingBuilder, TailSamplingProcessor, TailSamplingStats, TraceView,
};
pub use resource::{parse_key_value_list, Resource, ResourceBuilder, SERVICE_NAME};
pub use span::Span;
pub use span_data::{Event, SpanData};
pub use span_limits::SpanLimits;
pub use stats::PipelineStats;
pub use tracer::{SpanBuilder, StartFields, Tracer, TracerBuilder};
pub use tracer_provider::{TracerProvider, TracerProviderBuilder};

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
