//! What a tail-sampling processor decided.

/// Counts of a [`TailSamplingProcessor`](crate::TailSamplingProcessor)'s
/// decisions since it was built. A trace decided in parts (its later spans
/// ended after the decision was forgotten) counts once per part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TailSamplingStats {
    pub(super) traces_kept: u64,
    pub(super) traces_dropped: u64,
    pub(super) spans_kept: u64,
    pub(super) spans_dropped: u64,
    pub(super) traces_expired: u64,
    pub(super) traces_forced_out: u64,
    pub(super) pending_traces: u64,
    pub(super) pending_spans: u64,
}

impl TailSamplingStats {
    /// Traces the policies kept.
    pub fn traces_kept(&self) -> u64 {
        self.traces_kept
    }

    /// Traces the policies dropped.
    pub fn traces_dropped(&self) -> u64 {
        self.traces_dropped
    }

    /// Spans passed on to the inner processor, including those that
    /// ended after their trace was kept.
    pub fn spans_kept(&self) -> u64 {
        self.spans_kept
    }

    /// Spans discarded, including those that ended after their trace was
    /// dropped.
    pub fn spans_dropped(&self) -> u64 {
        self.spans_dropped
    }

    /// Traces decided because their decision wait passed before their
    /// local root ended.
    pub fn traces_expired(&self) -> u64 {
        self.traces_expired
    }

    /// Traces decided early, before their local root ended or their wait
    /// passed, to stay within the trace or span bound.
    pub fn traces_forced_out(&self) -> u64 {
        self.traces_forced_out
    }

    /// Traces waiting for a decision now.
    pub fn pending_traces(&self) -> u64 {
        self.pending_traces
    }

    /// Spans held for those traces now.
    pub fn pending_spans(&self) -> u64 {
        self.pending_spans
    }
}
