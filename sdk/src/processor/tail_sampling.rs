//! Tail sampling: hold a trace's spans until it can be judged whole, then
//! pass on the traces worth keeping.

mod pending;
mod policy;
mod stats;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use self::pending::{Limits, State};
use self::policy::{KeepAttribute, KeepErrors, KeepRatio, KeepSlow};
use crate::{
    Context, Key, KeyValue, PipelineError, PipelineStats, Span, SpanData, SpanProcessor,
    TraceIdRatioBased, Value,
};

pub use self::policy::{TailPolicy, TraceView};
pub use self::stats::TailSamplingStats;

/// The default [`TailSamplingBuilder::with_decision_wait`].
const DEFAULT_DECISION_WAIT: Duration = Duration::from_secs(10);
/// The default [`TailSamplingBuilder::with_max_traces`].
const DEFAULT_MAX_TRACES: usize = 10_000;
/// The default [`TailSamplingBuilder::with_max_spans`].
const DEFAULT_MAX_SPANS: usize = 100_000;

type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// Decides which traces are exported by looking at each trace once it has
/// ended, then passes the kept traces' spans to an inner processor.
///
/// **Holding.** Sampled spans that end are held, grouped by trace id, until
/// their trace is decided. A trace is decided when its *local root* ends
/// (a span whose parent is invalid or remote: the first span of the trace
/// in this process), or when its decision wait passes (10 s by default,
/// counted from its first held span), or when a memory bound needs room,
/// or on `force_flush` and `shutdown`, which decide every pending trace.
/// Expiry is checked whenever a span ends and on flush and shutdown; there
/// is no background thread.
///
/// **Deciding.** A trace is kept when *any* policy says keep (with no
/// policy, every trace is dropped). Kept spans go to the inner processor's
/// `on_end` in the order they ended; dropped spans are counted. A trace
/// decided before its local root ended is judged on the spans held so far.
/// The decision is remembered (for as many traces as
/// [`with_max_traces`](TailSamplingBuilder::with_max_traces)), so spans of
/// the trace that end later follow it at once.
///
/// **Memory.** At most `max_traces` traces and `max_spans` spans are held
/// (10 000 and 100 000 by default). When a new span would pass either
/// bound, the oldest pending trace is decided now, by the same policies,
/// and counted in [`TailSamplingStats::traces_forced_out`].
///
/// **With head sampling.** Only spans that are recorded *and* sampled are
/// considered: head sampling runs first, at span start, and a trace it
/// drops never reaches this processor. Use `AlwaysOn` (or a high ratio) as
/// the provider's sampler and let this processor choose what reaches the
/// exporter. Spans that record but are not sampled are passed straight to
/// the inner processor, untouched.
///
/// **Counts.** [`stats`](SpanProcessor::stats) is the inner processor's,
/// with the spans held here counted as `queued` and those dropped here as
/// `dropped` ([`PipelineStats::dropped_tail_sampling`]), so after a flush
/// `ended == exported + dropped` still holds. [`tail_stats`] counts the
/// decisions.
///
/// The processor takes one lock per span that ends: it suits services
/// that need tail decisions, not the hottest paths.
///
/// [`tail_stats`]: TailSamplingProcessor::tail_stats
///
/// ```
/// use spanlite::{
///     AlwaysOn, InMemoryExporter, SimpleSpanProcessor, Status, TailSamplingProcessor,
///     TracerProvider,
/// };
/// use std::time::Duration;
///
/// let exporter = InMemoryExporter::new();
/// let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(exporter.clone()))
///     .keep_errors()
///     .keep_slow_roots(Duration::from_millis(500))
///     .keep_ratio(0.01)
///     .build();
/// let provider = TracerProvider::builder()
///     .with_sampler(AlwaysOn)
///     .with_span_processor(tail)
///     .build();
/// let tracer = provider.tracer("shop");
///
/// tracer.in_span("checkout", |cx| {
///     let mut charge = tracer.start("charge card");
///     charge.set_status(Status::error("card declined"));
///     charge.end(); // held: its trace is not decided yet
///     assert!(exporter.finished_spans().is_empty());
/// });
/// // The root ended: the trace has an error, so both spans are exported.
/// assert_eq!(exporter.finished_spans().len(), 2);
/// provider.shutdown(Duration::from_secs(5)).unwrap();
/// ```
pub struct TailSamplingProcessor {
    inner: Box<dyn SpanProcessor>,
    policies: Vec<Box<dyn TailPolicy>>,
    limits: Limits,
    clock: Clock,
    state: Mutex<State>,
}

impl TailSamplingProcessor {
    /// A builder for a processor passing kept traces to `inner`.
    pub fn builder(inner: impl SpanProcessor + 'static) -> TailSamplingBuilder {
        TailSamplingBuilder {
            inner: Box::new(inner),
            policies: Vec::new(),
            limits: Limits {
                decision_wait: DEFAULT_DECISION_WAIT,
                max_traces: DEFAULT_MAX_TRACES,
                max_spans: DEFAULT_MAX_SPANS,
            },
            clock: Arc::new(Instant::now),
        }
    }

    /// What the processor decided so far, and what it holds now.
    pub fn tail_stats(&self) -> TailSamplingStats {
        self.lock().stats()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn forward(&self, spans: &[SpanData]) {
        for span in spans {
            self.inner.on_end(span);
        }
    }

    /// Decides every pending trace and passes on the kept spans; `false`
    /// when already shut down.
    fn decide_all(&self, shut_down: bool) -> bool {
        let mut kept = Vec::new();
        {
            let mut state = self.lock();
            if state.shut_down {
                return false;
            }
            state.shut_down = shut_down;
            let now = (self.clock)();
            state.expire(now, &self.limits, &self.policies, &mut kept);
            state.decide_all(&self.limits, &self.policies, &mut kept);
        }
        self.forward(&kept);
        true
    }
}

impl SpanProcessor for TailSamplingProcessor {
    fn on_start(&self, span: &mut Span, parent: &Context) {
        self.inner.on_start(span, parent);
    }

    fn wants_on_start(&self) -> bool {
        self.inner.wants_on_start()
    }

    fn on_end(&self, span: &SpanData) {
        if !span.span_context().is_sampled() {
            self.inner.on_end(span);
            return;
        }
        let now = (self.clock)();
        let mut kept = Vec::new();
        let after_shutdown = {
            let mut state = self.lock();
            if !state.shut_down {
                state.on_end(span, now, &self.limits, &self.policies, &mut kept);
            }
            state.shut_down
        };
        if after_shutdown {
            // The inner processor counts it as ended after shutdown.
            self.inner.on_end(span);
        }
        self.forward(&kept);
    }

    /// Decides every pending trace, then flushes the inner processor.
    fn force_flush(&self, timeout: Duration) -> Result<(), PipelineError> {
        if !self.decide_all(false) {
            return Err(PipelineError::already_shutdown());
        }
        self.inner.force_flush(timeout)
    }

    /// Decides every pending trace, then shuts the inner processor down.
    fn shutdown(&self, timeout: Duration) -> Result<(), PipelineError> {
        if !self.decide_all(true) {
            return Err(PipelineError::already_shutdown());
        }
        self.inner.shutdown(timeout)
    }

    fn stats(&self) -> Option<PipelineStats> {
        let inner = self.inner.stats()?;
        let tail = self.tail_stats();
        let own = PipelineStats {
            ended: tail.spans_dropped() + tail.pending_spans(),
            dropped_tail_sampling: tail.spans_dropped(),
            queued: tail.pending_spans(),
            ..PipelineStats::default()
        };
        Some(inner + own)
    }
}

impl fmt::Debug for TailSamplingProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TailSamplingProcessor")
            .field("inner", &self.inner)
            .field("policies", &self.policies)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Configures a [`TailSamplingProcessor`]: its policies (a trace is kept
/// when any of them says so) and its bounds.
///
/// | setting | default |
/// |---|---|
/// | [`with_decision_wait`](Self::with_decision_wait) | 10 s |
/// | [`with_max_traces`](Self::with_max_traces) | 10 000 |
/// | [`with_max_spans`](Self::with_max_spans) | 100 000 |
/// | [`with_clock`](Self::with_clock) | `Instant::now` |
pub struct TailSamplingBuilder {
    inner: Box<dyn SpanProcessor>,
    policies: Vec<Box<dyn TailPolicy>>,
    limits: Limits,
    clock: Clock,
}

impl TailSamplingBuilder {
    /// Keeps traces in which any span has status `Error`.
    pub fn keep_errors(self) -> Self {
        self.keep_if(KeepErrors)
    }

    /// Keeps traces whose local root lasted at least `threshold`. A trace
    /// decided before its root ended is measured from its earliest held
    /// start to its latest held end (see [`TraceView::duration`]).
    pub fn keep_slow_roots(self, threshold: Duration) -> Self {
        self.keep_if(KeepSlow(threshold))
    }

    /// Keeps `ratio` of traces, decided by the trace id as
    /// [`TraceIdRatioBased`] decides: the low 56 bits (or the `rv` in the
    /// trace state's `ot` entry) against the rejection threshold
    /// `(1 - ratio) * 2^56`. The same trace id always gets the same
    /// answer, in every process using the same ratio.
    pub fn keep_ratio(self, ratio: f64) -> Self {
        self.keep_if(KeepRatio(TraceIdRatioBased::new(ratio)))
    }

    /// Keeps traces in which any span has attribute `key` with exactly
    /// `value` (same type, equal value).
    pub fn keep_attribute(self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        self.keep_if(KeepAttribute(KeyValue::new(key, value)))
    }

    /// Keeps traces `policy` keeps.
    pub fn keep_if(mut self, policy: impl TailPolicy + 'static) -> Self {
        self.policies.push(Box::new(policy));
        self
    }

    /// How long a trace waits for its local root before it is decided on
    /// the spans held so far.
    pub fn with_decision_wait(mut self, wait: Duration) -> Self {
        self.limits.decision_wait = wait;
        self
    }

    /// The most traces held at once (at least 1); also how many decisions
    /// are remembered for spans that end after their trace was decided.
    pub fn with_max_traces(mut self, max: usize) -> Self {
        self.limits.max_traces = max.max(1);
        self
    }

    /// The most spans held at once, over all traces (at least 1).
    pub fn with_max_spans(mut self, max: usize) -> Self {
        self.limits.max_spans = max.max(1);
        self
    }

    /// The monotonic clock decision waits are measured with: for tests
    /// that move time by hand.
    pub fn with_clock(mut self, clock: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The processor.
    pub fn build(self) -> TailSamplingProcessor {
        TailSamplingProcessor {
            inner: self.inner,
            policies: self.policies,
            limits: self.limits,
            clock: self.clock,
            state: Mutex::new(State::default()),
        }
    }
}

impl fmt::Debug for TailSamplingBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TailSamplingBuilder")
            .field("inner", &self.inner)
            .field("policies", &self.policies)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
