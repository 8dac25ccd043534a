//! What an exporter did with its requests, counted by outcome and shared
//! with the pipeline's stats.

use std::ops::Add;
use std::sync::atomic::{AtomicU64, Ordering};

/// One of an exporter's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExporterCounter {
    /// A request was sent (retries included).
    Request,
    /// A request was a retry.
    Retry,
    /// Spans in requests the backend accepted.
    SpansSent,
    /// Spans the backend accepted the request of but reported as rejected
    /// (OTLP partial success).
    SpansRejected,
    /// A batch was dropped on a status that must not be retried.
    FailedStatus,
    /// A batch was dropped because the backend could not be reached before
    /// the deadline.
    FailedConnection,
    /// A batch was dropped because its deadline passed.
    FailedTimeout,
    /// Spans were dropped because one span alone exceeds the size limit of
    /// a request or datagram.
    FailedTooLarge,
    /// A batch was dropped for another reason (encoding, local I/O).
    FailedOther,
}

/// An exporter's counters, updated by the exporter in the export thread and
/// read from anywhere: share them with `Arc` and return them from
/// [`SpanExporter::counters`](crate::SpanExporter::counters) so the
/// provider's [`stats`](crate::TracerProvider::stats) include them.
///
/// ```
/// use spanlite::{ExporterCounter, ExporterCounters};
/// let counters = ExporterCounters::default();
/// counters.add(ExporterCounter::FailedTimeout, 1);
/// assert_eq!(counters.snapshot().failed_timeout(), 1);
/// ```
#[derive(Debug, Default)]
pub struct ExporterCounters {
    requests: AtomicU64,
    retries: AtomicU64,
    spans_sent: AtomicU64,
    spans_rejected: AtomicU64,
    failed_status: AtomicU64,
    failed_connection: AtomicU64,
    failed_timeout: AtomicU64,
    failed_too_large: AtomicU64,
    failed_other: AtomicU64,
}

impl ExporterCounters {
    /// Adds `n` to `counter`.
    pub fn add(&self, counter: ExporterCounter, n: u64) {
        let cell = match counter {
            ExporterCounter::Request => &self.requests,
            ExporterCounter::Retry => &self.retries,
            ExporterCounter::SpansSent => &self.spans_sent,
            ExporterCounter::SpansRejected => &self.spans_rejected,
            ExporterCounter::FailedStatus => &self.failed_status,
            ExporterCounter::FailedConnection => &self.failed_connection,
            ExporterCounter::FailedTimeout => &self.failed_timeout,
            ExporterCounter::FailedTooLarge => &self.failed_too_large,
            ExporterCounter::FailedOther => &self.failed_other,
        };
        // Counters only: nothing is ordered by them.
        cell.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> ExporterStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ExporterStats {
            requests: get(&self.requests),
            retries: get(&self.retries),
            spans_sent: get(&self.spans_sent),
            spans_rejected: get(&self.spans_rejected),
            failed_status: get(&self.failed_status),
            failed_connection: get(&self.failed_connection),
            failed_timeout: get(&self.failed_timeout),
            failed_too_large: get(&self.failed_too_large),
            failed_other: get(&self.failed_other),
        }
    }
}

/// A snapshot of [`ExporterCounters`]; the provider's stats sum them over
/// its exporters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExporterStats {
    requests: u64,
    retries: u64,
    spans_sent: u64,
    spans_rejected: u64,
    failed_status: u64,
    failed_connection: u64,
    failed_timeout: u64,
    failed_too_large: u64,
    failed_other: u64,
}

macro_rules! getters {
    ($($name:ident: $doc:literal,)*) => {
        impl ExporterStats {
            $(
                #[doc = $doc]
                pub fn $name(&self) -> u64 {
                    self.$name
                }
            )*
        }

        impl Add for ExporterStats {
            type Output = ExporterStats;

            fn add(self, o: ExporterStats) -> ExporterStats {
                ExporterStats { $($name: self.$name + o.$name),* }
            }
        }
    };
}

getters! {
    requests: "Requests sent, retries included.",
    retries: "Requests that were retries.",
    spans_sent: "Spans in requests the backend accepted.",
    spans_rejected: "Spans the backend reported as rejected in a partial success.",
    failed_status: "Batches dropped on a status that must not be retried (or retried until the deadline).",
    failed_connection: "Batches dropped because the backend could not be reached before the deadline.",
    failed_timeout: "Batches dropped because the deadline passed.",
    failed_too_large: "Spans dropped because one span alone exceeds the size limit.",
    failed_other: "Batches dropped for another reason (encoding, local I/O).",
}

impl ExporterStats {
    /// Failed batches (and too-large spans), all reasons together.
    pub fn failures(&self) -> u64 {
        self.failed_status
            + self.failed_connection
            + self.failed_timeout
            + self.failed_too_large
            + self.failed_other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_counter_lands_in_its_own_field_and_snapshots_add_up() {
        let c = ExporterCounters::default();
        let all = [
            ExporterCounter::Request,
            ExporterCounter::Retry,
            ExporterCounter::SpansSent,
            ExporterCounter::SpansRejected,
            ExporterCounter::FailedStatus,
            ExporterCounter::FailedConnection,
            ExporterCounter::FailedTimeout,
            ExporterCounter::FailedTooLarge,
            ExporterCounter::FailedOther,
        ];
        for (i, counter) in all.into_iter().enumerate() {
            c.add(counter, 1 << i);
        }
        let s = c.snapshot();
        let got = [
            s.requests(),
            s.retries(),
            s.spans_sent(),
            s.spans_rejected(),
            s.failed_status(),
            s.failed_connection(),
            s.failed_timeout(),
            s.failed_too_large(),
            s.failed_other(),
        ];
        for (i, v) in got.into_iter().enumerate() {
            assert_eq!(v, 1 << i);
        }
        assert_eq!(s.failures(), 16 + 32 + 64 + 128 + 256);
        assert_eq!((s + s).failed_other(), 512);
    }
}
