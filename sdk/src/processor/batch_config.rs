//! How a batch span processor buffers and exports.

use std::time::Duration;

use crate::env;

/// What a thread does when its span buffer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverflowPolicy {
    /// Drop the span and count it (the spec's behaviour; the default).
    #[default]
    Drop,
    /// Wait until the export thread makes room: for batch jobs that must
    /// not lose spans and may slow down instead. The wait is bounded by the
    /// export timeout (30 s when that is unlimited), after which the span is
    /// dropped and counted, so a hung collector never stops the application.
    Block,
}

/// Settings of a [`BatchSpanProcessor`](super::BatchSpanProcessor). The
/// defaults are the spec's, overridden by the environment:
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `OTEL_BSP_MAX_QUEUE_SIZE` | 2048 | spans each producing thread may buffer |
/// | `OTEL_BSP_SCHEDULE_DELAY` | 5000 ms | time between scheduled exports |
/// | `OTEL_BSP_EXPORT_TIMEOUT` | 30000 ms | deadline given to each export (0: none) |
/// | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | 512 | most spans per export call |
///
/// The queue is per producing thread, so that ending a span writes only
/// memory the thread owns: memory is bounded by
/// `threads x max_queue_size` spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    max_queue_size: usize,
    scheduled_delay: Duration,
    export_timeout: Duration,
    max_export_batch_size: usize,
    overflow: OverflowPolicy,
}

impl Default for BatchConfig {
    fn default() -> BatchConfig {
        BatchConfig {
            max_queue_size: 2048,
            scheduled_delay: Duration::from_millis(5000),
            export_timeout: Duration::from_millis(30000),
            max_export_batch_size: 512,
            overflow: OverflowPolicy::Drop,
        }
    }
}

impl BatchConfig {
    /// The defaults with the environment's overrides.
    pub fn from_env() -> BatchConfig {
        let d = BatchConfig::default();
        BatchConfig {
            max_queue_size: env::unsigned("OTEL_BSP_MAX_QUEUE_SIZE").unwrap_or(d.max_queue_size),
            scheduled_delay: env::millis("OTEL_BSP_SCHEDULE_DELAY").unwrap_or(d.scheduled_delay),
            export_timeout: env::millis("OTEL_BSP_EXPORT_TIMEOUT").unwrap_or(d.export_timeout),
            max_export_batch_size: env::unsigned("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")
                .unwrap_or(d.max_export_batch_size),
            overflow: d.overflow,
        }
        .normalized()
    }

    /// Keeps the values usable: sizes at least 1, and a batch no larger
    /// than the queue (the spec requires it).
    fn normalized(mut self) -> Self {
        self.max_queue_size = self.max_queue_size.max(1);
        self.max_export_batch_size = self.max_export_batch_size.clamp(1, self.max_queue_size);
        self
    }

    /// Spans each producing thread may buffer.
    pub fn max_queue_size(&self) -> usize {
        self.max_queue_size
    }

    /// Time between scheduled exports.
    pub fn scheduled_delay(&self) -> Duration {
        self.scheduled_delay
    }

    /// Deadline of each export call; zero means none.
    pub fn export_timeout(&self) -> Duration {
        self.export_timeout
    }

    /// Most spans per export call.
    pub fn max_export_batch_size(&self) -> usize {
        self.max_export_batch_size
    }

    /// What happens when a thread's buffer is full.
    pub fn overflow_policy(&self) -> OverflowPolicy {
        self.overflow
    }

    /// With another per-thread queue size.
    pub fn with_max_queue_size(mut self, size: usize) -> Self {
        self.max_queue_size = size;
        self.normalized()
    }

    /// With another schedule.
    pub fn with_scheduled_delay(mut self, delay: Duration) -> Self {
        self.scheduled_delay = delay;
        self
    }

    /// With another export deadline.
    pub fn with_export_timeout(mut self, timeout: Duration) -> Self {
        self.export_timeout = timeout;
        self
    }

    /// With another batch size (at most the queue size).
    pub fn with_max_export_batch_size(mut self, size: usize) -> Self {
        self.max_export_batch_size = size;
        self.normalized()
    }

    /// With another overflow policy.
    pub fn with_overflow_policy(mut self, policy: OverflowPolicy) -> Self {
        self.overflow = policy;
        self
    }
}
