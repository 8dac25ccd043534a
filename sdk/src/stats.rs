//! What happened to the spans a pipeline was given.

use std::ops::Add;

use crate::ExporterStats;

/// Counts of what became of the sampled spans a pipeline was given. After
/// a flush, `ended == exported + dropped` exactly; in between, `queued`
/// holds the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineStats {
    pub(crate) ended: u64,
    pub(crate) exported: u64,
    pub(crate) dropped_queue_full: u64,
    pub(crate) dropped_export_failed: u64,
    pub(crate) dropped_shutdown: u64,
    pub(crate) dropped_tail_sampling: u64,
    pub(crate) queued: u64,
    pub(crate) exporter: ExporterStats,
}

impl PipelineStats {
    /// Sampled spans that ended and reached the pipeline.
    pub fn ended(&self) -> u64 {
        self.ended
    }

    /// Spans the exporter accepted.
    pub fn exported(&self) -> u64 {
        self.exported
    }

    /// Spans lost for any reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full
            + self.dropped_export_failed
            + self.dropped_shutdown
            + self.dropped_tail_sampling
    }

    /// Spans dropped because their thread's buffer was full.
    pub fn dropped_queue_full(&self) -> u64 {
        self.dropped_queue_full
    }

    /// Spans in batches the exporter failed to deliver.
    pub fn dropped_export_failed(&self) -> u64 {
        self.dropped_export_failed
    }

    /// Spans that ended after shutdown or were still queued when it ended.
    pub fn dropped_shutdown(&self) -> u64 {
        self.dropped_shutdown
    }

    /// Spans of traces a
    /// [`TailSamplingProcessor`](crate::TailSamplingProcessor) decided not
    /// to keep.
    pub fn dropped_tail_sampling(&self) -> u64 {
        self.dropped_tail_sampling
    }

    /// Spans waiting in buffers or in an export under way.
    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// What the exporters did with their requests: retries, and failures
    /// by reason (summed over the exporters that keep
    /// [`counters`](crate::SpanExporter::counters)).
    pub fn exporter(&self) -> ExporterStats {
        self.exporter
    }
}

impl Add for PipelineStats {
    type Output = PipelineStats;

    fn add(self, o: PipelineStats) -> PipelineStats {
        PipelineStats {
            ended: self.ended + o.ended,
            exported: self.exported + o.exported,
            dropped_queue_full: self.dropped_queue_full + o.dropped_queue_full,
            dropped_export_failed: self.dropped_export_failed + o.dropped_export_failed,
            dropped_shutdown: self.dropped_shutdown + o.dropped_shutdown,
            dropped_tail_sampling: self.dropped_tail_sampling + o.dropped_tail_sampling,
            queued: self.queued + o.queued,
            exporter: self.exporter + o.exporter,
        }
    }
}
