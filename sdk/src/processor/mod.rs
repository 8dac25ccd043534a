//! Span processors: what happens to spans when they start and end.

mod batch;
mod batch_config;
mod pacing;
mod ring;
mod simple;
mod tail_sampling;
mod thread_buffer;

use std::fmt;
use std::time::Duration;

use crate::{Context, PipelineError, PipelineStats, Span, SpanData};

pub use batch::BatchSpanProcessor;
pub use batch_config::{BatchConfig, OverflowPolicy};
pub use simple::SimpleSpanProcessor;
pub use tail_sampling::{
    TailPolicy, TailSamplingBuilder, TailSamplingProcessor, TailSamplingStats, TraceView,
};
pub(crate) use thread_buffer::refill_pool;

/// Hooks called when recording spans start and end. Several processors on
/// one provider all see the same span: `on_end` borrows it, and a
/// processor that keeps it clones the handle, not the data.
/// Object-safe: `Box<dyn SpanProcessor>` works.
pub trait SpanProcessor: Send + Sync + fmt::Debug {
    /// Called when a recording span starts, on the starting thread; it may
    /// add to the span.
    fn on_start(&self, span: &mut Span, parent: &Context) {
        let _ = (span, parent);
    }

    /// Whether [`on_start`](Self::on_start) does anything. A processor
    /// whose `on_start` is the default no-op may say `false`: when no
    /// processor of a provider wants it, starting a span skips the calls.
    fn wants_on_start(&self) -> bool {
        true
    }

    /// Called when a recording span ends, on the ending thread. Keep it
    /// cheap: it runs on the application's hot path.
    fn on_end(&self, span: &SpanData);

    /// Exports everything pending, then flushes the exporter; returns
    /// within `timeout`.
    fn force_flush(&self, timeout: Duration) -> Result<(), PipelineError>;

    /// Flushes and shuts the exporter down; returns within `timeout`.
    /// Later calls fail with `is_already_shutdown`.
    fn shutdown(&self, timeout: Duration) -> Result<(), PipelineError>;

    /// What became of the spans this processor was given, when it counts.
    fn stats(&self) -> Option<PipelineStats> {
        None
    }
}

/// A processor behind a pointer is a processor.
macro_rules! forward_processor {
    ($($pointer:ident)::+) => {
        impl<P: SpanProcessor + ?Sized> SpanProcessor for $($pointer)::+<P> {
            fn on_start(&self, span: &mut Span, parent: &Context) {
                (**self).on_start(span, parent)
            }

            fn wants_on_start(&self) -> bool {
                (**self).wants_on_start()
            }

            fn on_end(&self, span: &SpanData) {
                (**self).on_end(span)
            }

            fn force_flush(&self, timeout: Duration) -> Result<(), PipelineError> {
                (**self).force_flush(timeout)
            }

            fn shutdown(&self, timeout: Duration) -> Result<(), PipelineError> {
                (**self).shutdown(timeout)
            }

            fn stats(&self) -> Option<PipelineStats> {
                (**self).stats()
            }
        }
    };
}

forward_processor!(std::sync::Arc);
forward_processor!(Box);
