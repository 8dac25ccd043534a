//! The batch span processor: per-thread lock-free buffers drained by one
//! export thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use super::pacing::Pacing;
use super::thread_buffer::{self, Counts, ThreadBuffer};
use super::{BatchConfig, OverflowPolicy};
use crate::unique_record::UniqueRecord;
use crate::{
    diagnostics, ExporterCounters, PipelineError, PipelineStats, SpanData, SpanExporter,
    SpanProcessor,
};

/// Exports sampled spans in batches from a thread of its own.
///
/// Ending a span pushes it into a buffer owned by the ending thread: no
/// lock, no shared write. The export thread drains every thread's buffer
/// on the schedule, when a full batch is queued, on `force_flush` and on
/// `shutdown`, and calls the exporter from that one thread, so exports
/// never overlap. While spans arrive faster than a batch per 10 ms, the
/// export thread looks again on its own before the next batch is full, so
/// the threads ending spans need not wake it (a system call each time)
/// unless their buffer is half full. When a thread's buffer is full the
/// span is dropped and counted (or, with [`OverflowPolicy::Block`], the
/// thread waits).
/// `force_flush` and `shutdown` return within their timeout from any
/// thread, including inside an async runtime, even if the exporter hangs.
///
/// ```
/// use spanlite::{BatchConfig, BatchSpanProcessor, InMemoryExporter, TracerProvider};
/// use std::time::Duration;
/// let exporter = InMemoryExporter::new();
/// let processor = BatchSpanProcessor::new(exporter.clone(), BatchConfig::default());
/// let provider = TracerProvider::builder().with_span_processor(processor).build();
/// provider.tracer("app").start("work").end();
/// provider.force_flush(Duration::from_secs(5)).unwrap();
/// assert_eq!(exporter.finished_spans().len(), 1);
/// assert_eq!(provider.stats().exported(), 1);
/// ```
#[derive(Debug)]
pub struct BatchSpanProcessor {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    id: u64,
    config: BatchConfig,
    registry: Mutex<Registry>,
    worker: OnceLock<Thread>,
    /// Set while the export thread paces itself (see [`Pace`]).
    pacing: Pacing,
    flush_requested: AtomicU64,
    shutdown_requested: AtomicBool,
    /// Set once the export thread has finished for good.
    terminated: AtomicBool,
    state: Mutex<WorkerState>,
    state_changed: Condvar,
    room: Mutex<()>,
    room_made: Condvar,
    exported: AtomicU64,
    export_failed: AtomicU64,
    in_flight: AtomicU64,
    /// Spans ended on a thread that was tearing down (no buffer reachable).
    late: AtomicU64,
    drop_warned: AtomicBool,
    exporter_counters: Option<Arc<ExporterCounters>>,
}

#[derive(Debug, Default)]
struct Registry {
    buffers: Vec<Arc<ThreadBuffer>>,
    retired: Counts,
}

#[derive(Debug)]
struct WorkerState {
    flush_done: u64,
    flush_result: Result<(), PipelineError>,
    shutdown_deadline: Option<Instant>,
    shutdown_result: Result<(), PipelineError>,
    finished: bool,
}

/// An instant far enough away to mean "no deadline".
pub(crate) fn far_deadline() -> Instant {
    let now = Instant::now();
    now.checked_add(Duration::from_secs(100 * 365 * 86_400))
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl BatchSpanProcessor {
    /// A processor exporting to `exporter` with `config`.
    pub fn new(exporter: impl SpanExporter + 'static, config: BatchConfig) -> BatchSpanProcessor {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let exporter_counters = exporter.counters();
        let shared = Arc::new(Shared {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            config,
            registry: Mutex::new(Registry::default()),
            worker: OnceLock::new(),
            pacing: Pacing::default(),
            flush_requested: AtomicU64::new(0),
            shutdown_requested: AtomicBool::new(false),
            terminated: AtomicBool::new(false),
            state: Mutex::new(WorkerState {
                flush_done: 0,
                flush_result: Ok(()),
                shutdown_deadline: None,
                shutdown_result: Ok(()),
                finished: false,
            }),
            state_changed: Condvar::new(),
            room: Mutex::new(()),
            room_made: Condvar::new(),
            exported: AtomicU64::new(0),
            export_failed: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            late: AtomicU64::new(0),
            drop_warned: AtomicBool::new(false),
            exporter_counters,
        });
        let exporter: Box<dyn SpanExporter> = Box::new(exporter);
        let worker_shared = shared.clone();
        let spawned = thread::Builder::new()
            .name("spanlite-export".into())
            .spawn(move || Worker::new(worker_shared, exporter).run());
        match spawned {
            Ok(handle) => {
                let _ = shared.worker.set(handle.thread().clone());
            }
            Err(e) => {
                diagnostics::warn(
                    "export_thread_failed",
                    format_args!("could not start the export thread ({e}); spans will be dropped"),
                );
                shared.finish(Err(PipelineError::failed("no export thread")));
            }
        }
        BatchSpanProcessor { shared }
    }

    /// A processor with the spec's defaults and the `OTEL_BSP_*` overrides.
    pub fn from_env(exporter: impl SpanExporter + 'static) -> BatchSpanProcessor {
        BatchSpanProcessor::new(exporter, BatchConfig::from_env())
    }

    /// The settings in use.
    pub fn config(&self) -> &BatchConfig {
        &self.shared.config
    }
}

impl Shared {
    fn wake_worker(&self) {
        if let Some(worker) = self.worker.get() {
            worker.unpark();
        }
    }

    /// A thread has queued a whole batch since it last said so: wakes the
    /// export thread, unless that paces itself and this thread's buffer is
    /// less than half full.
    fn batch_queued(&self, local: &thread_buffer::Local<'_>) {
        if !self.pacing.will_look() || local.len() >= self.config.max_queue_size() / 2 {
            self.wake_worker();
        }
    }

    fn register(&self) -> Arc<ThreadBuffer> {
        let buffer = Arc::new(ThreadBuffer::new(
            self.config.max_queue_size(),
            self.config.max_export_batch_size(),
        ));
        lock(&self.registry).buffers.push(buffer.clone());
        buffer
    }

    fn warn_first_drop(&self) {
        // A load first: under overload every dropped span comes here, and
        // a swap would write the line that every producing thread reads.
        if !self.drop_warned.load(Ordering::Relaxed)
            && !self.drop_warned.swap(true, Ordering::Relaxed)
        {
            diagnostics::warn(
                "span_dropped",
                format_args!(
                    "a thread's span buffer is full ({} spans); spans are being dropped and \
                     counted (see TracerProvider::stats); this is reported once",
                    self.config.max_queue_size()
                ),
            );
        }
    }

    fn finish(&self, result: Result<(), PipelineError>) {
        for buffer in &lock(&self.registry).buffers {
            buffer.close();
        }
        self.terminated.store(true, Ordering::Release);
        let mut state = lock(&self.state);
        state.finished = true;
        state.shutdown_result = result;
        drop(state);
        self.state_changed.notify_all();
        self.room_made.notify_all();
    }

    /// Waits until `done` holds or `deadline` passes.
    fn wait_for(
        &self,
        deadline: Instant,
        done: impl Fn(&WorkerState) -> bool,
    ) -> Result<MutexGuard<'_, WorkerState>, PipelineError> {
        let mut state = lock(&self.state);
        while !done(&state) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(PipelineError::timeout());
            }
            state = self
                .state_changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(state)
    }

    /// Waits for room, at most one export timeout (30 s when that is
    /// unlimited): a hung exporter slows a batch job down but never stops
    /// it; past the wait the span is dropped and counted.
    fn block_until_pushed(&self, local: &thread_buffer::Local<'_>, mut span: SpanData) {
        let patience = match self.config.export_timeout() {
            t if t.is_zero() => Duration::from_secs(30),
            t => t,
        };
        let give_up = Instant::now()
            .checked_add(patience)
            .unwrap_or_else(far_deadline);
        loop {
            self.wake_worker();
            if self.terminated.load(Ordering::Acquire) {
                local.count_dropped_closed();
                return;
            }
            if Instant::now() >= give_up {
                local.count_dropped_full();
                self.warn_first_drop();
                return;
            }
            let guard = lock(&self.room);
            // Bounded wait: a wake-up that raced ahead of us only costs this.
            let _ = self
                .room_made
                .wait_timeout(guard, Duration::from_millis(10));
            match local.push(span, self.config.max_export_batch_size()) {
                Ok(_) => return,
                Err(back) => span = back,
            }
        }
    }
}

impl SpanProcessor for BatchSpanProcessor {
    fn wants_on_start(&self) -> bool {
        false
    }

    fn on_end(&self, span: &SpanData) {
        if !span.span_context().is_sampled() {
            return;
        }
        let s = &*self.shared;
        let pushed = thread_buffer::with_local(
            s.id,
            || s.register(),
            |local| {
                local.count_ended();
                if s.terminated.load(Ordering::Acquire) {
                    local.count_dropped_closed();
                    return;
                }
                match local.push(span.clone(), s.config.max_export_batch_size()) {
                    Ok(true) => s.batch_queued(local),
                    Ok(false) => {}
                    Err(span) => match s.config.overflow_policy() {
                        OverflowPolicy::Drop => {
                            local.count_dropped_full();
                            s.warn_first_drop();
                            // The export thread may be napping, or the
                            // countdown out of step with a buffer it
                            // drained: a full buffer always wakes it (no
                            // system call unless it sleeps).
                            s.wake_worker();
                        }
                        OverflowPolicy::Block => s.block_until_pushed(local, span),
                    },
                }
            },
        );
        if pushed.is_none() {
            s.late.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn force_flush(&self, timeout: Duration) -> Result<(), PipelineError> {
        let s = &*self.shared;
        if s.shutdown_requested.load(Ordering::Acquire) {
            return Err(PipelineError::already_shutdown());
        }
        let ticket = s.flush_requested.fetch_add(1, Ordering::AcqRel) + 1;
        s.wake_worker();
        let deadline = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(far_deadline);
        let state = s.wait_for(deadline, |st| st.flush_done >= ticket || st.finished)?;
        if state.flush_done >= ticket {
            state.flush_result.clone()
        } else {
            Err(PipelineError::already_shutdown())
        }
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), PipelineError> {
        let s = &*self.shared;
        if s.shutdown_requested.swap(true, Ordering::AcqRel) {
            return Err(PipelineError::already_shutdown());
        }
        let deadline = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(far_deadline);
        lock(&s.state).shutdown_deadline = Some(deadline);
        s.wake_worker();
        let state = s.wait_for(deadline, |st| st.finished)?;
        state.shutdown_result.clone()
    }

    fn stats(&self) -> Option<PipelineStats> {
        let s = &*self.shared;
        let registry = lock(&s.registry);
        let terminated = s.terminated.load(Ordering::Acquire);
        let late = s.late.load(Ordering::Relaxed);
        let mut stats = PipelineStats {
            ended: registry.retired.ended + late,
            dropped_queue_full: registry.retired.dropped_full,
            dropped_shutdown: registry.retired.dropped_closed + late,
            ..PipelineStats::default()
        };
        let mut queued = 0u64;
        for buffer in &registry.buffers {
            let counts = buffer.counts();
            stats.ended += counts.ended;
            stats.dropped_queue_full += counts.dropped_full;
            stats.dropped_shutdown += counts.dropped_closed;
            queued += buffer.len() as u64;
        }
        stats.exported = s.exported.load(Ordering::Acquire);
        if let Some(counters) = &s.exporter_counters {
            stats.exporter = counters.snapshot();
        }
        stats.dropped_export_failed = s.export_failed.load(Ordering::Acquire);
        if terminated {
            stats.dropped_shutdown += queued;
        } else {
            stats.queued = queued + s.in_flight.load(Ordering::Acquire);
        }
        Some(stats)
    }
}

impl Drop for BatchSpanProcessor {
    fn drop(&mut self) {
        // Without a shutdown the export thread would wait forever; ask it to
        // finish in the background, without waiting here.
        if !self.shared.shutdown_requested.swap(true, Ordering::AcqRel) {
            self.shared.wake_worker();
        }
    }
}

/// The export thread's state: everything here is touched by it alone.
struct Worker {
    shared: Arc<Shared>,
    exporter: Box<dyn SpanExporter>,
    buffers: Vec<Arc<ThreadBuffer>>,
    quotas: Vec<usize>,
    batch: Vec<SpanData>,
    runs: Vec<(usize, usize)>,
    pace: Pace,
    last_failure_warning: Option<Instant>,
}

/// How the export thread paces itself while spans arrive fast: it naps
/// for half the time a batch takes to fill and then looks again on its
/// own, so the threads ending spans need not wake it. A wake is a system
/// call on the ending thread, taking as long as tens of spans.
#[derive(Debug)]
struct Pace {
    /// When the export thread last looked at the buffers.
    looked: Instant,
    /// How many spans had been queued in all by then.
    seen: u64,
    /// Spans taken out of the buffers so far.
    drained: u64,
}

impl Pace {
    /// The shortest nap: shorter ones would wake the export thread more
    /// often than the ending threads would.
    const MIN_NAP: Duration = Duration::from_micros(50);
    /// Past this fill time a batch's wake costs the ending threads little:
    /// the export thread sleeps until woken or due.
    const MAX_NAP: Duration = Duration::from_millis(10);

    fn new() -> Pace {
        Pace {
            looked: Instant::now(),
            seen: 0,
            drained: 0,
        }
    }

    /// After a look at `now` that found `queued` spans: how long to nap
    /// before looking again, or `None` to sleep until woken or due.
    fn nap(&mut self, now: Instant, queued: usize, batch_size: usize) -> Option<Duration> {
        let seen = self.drained + queued as u64;
        let arrived = seen.saturating_sub(self.seen);
        let elapsed = now.saturating_duration_since(self.looked);
        self.looked = now;
        self.seen = seen;
        if arrived == 0 {
            return None;
        }
        // The time a batch takes to arrive at the rate seen since the last
        // look; napping half that, a look finds at most about 1.5 batches.
        let fill = elapsed.as_nanos() * batch_size as u128 / u128::from(arrived);
        let fill = Duration::from_nanos(u64::try_from(fill).unwrap_or(u64::MAX));
        (fill <= Pace::MAX_NAP).then(|| (fill / 2).max(Pace::MIN_NAP))
    }
}

impl Worker {
    fn new(shared: Arc<Shared>, exporter: Box<dyn SpanExporter>) -> Worker {
        let batch_size = shared.config.max_export_batch_size();
        Worker {
            shared,
            exporter,
            buffers: Vec::new(),
            quotas: Vec::new(),
            batch: Vec::with_capacity(batch_size),
            runs: Vec::new(),
            pace: Pace::new(),
            last_failure_warning: None,
        }
    }

    fn run(mut self) {
        let delay = self.shared.config.scheduled_delay();
        let mut next_export = Instant::now()
            .checked_add(delay)
            .unwrap_or_else(far_deadline);
        let mut flushes_done = 0;
        loop {
            let shutdown = self.shared.shutdown_requested.load(Ordering::Acquire);
            let flushes = self.shared.flush_requested.load(Ordering::Acquire);
            let queued = self.snapshot();
            let now = Instant::now();
            let nap = self.pace.nap(now, queued, self.batch.capacity().max(1));
            let due = now >= next_export;
            if due || shutdown || flushes != flushes_done || queued >= self.batch.capacity() {
                self.export_queued();
                if due {
                    next_export = now.checked_add(delay).unwrap_or_else(far_deadline);
                }
            }
            if flushes != flushes_done {
                let result = self
                    .call_exporter(|e| e.force_flush())
                    .map_err(PipelineError::from);
                flushes_done = flushes;
                let mut state = lock(&self.shared.state);
                state.flush_done = flushes;
                state.flush_result = result;
                drop(state);
                self.shared.state_changed.notify_all();
            }
            if shutdown {
                let deadline = lock(&self.shared.state).shutdown_deadline;
                let left = deadline.map_or(Duration::from_secs(5), |d| {
                    d.saturating_duration_since(Instant::now())
                });
                let result = self
                    .call_exporter(|e| e.shutdown(left))
                    .map_err(PipelineError::from);
                self.shared.finish(result);
                return;
            }
            let until_due = next_export.saturating_duration_since(Instant::now());
            match nap {
                Some(nap) => {
                    self.shared.pacing.start();
                    thread::park_timeout(nap.min(until_due));
                }
                // Threads that saw this one pacing did not wake it for
                // their batches: look once more before sleeping.
                None if self.shared.pacing.stop() => {}
                None => thread::park_timeout(until_due),
            }
        }
    }

    /// Refreshes the list of buffers, retires those of exited threads that
    /// are empty, and returns how many spans are queued.
    fn snapshot(&mut self) -> usize {
        let mut registry = lock(&self.shared.registry);
        let Registry { buffers, retired } = &mut *registry;
        buffers.retain(|buffer| {
            // Orphaned first: once set, no push follows, so an empty ring
            // stays empty.
            let keep = !(buffer.is_orphaned() && buffer.len() == 0);
            if !keep {
                let c = buffer.counts();
                retired.ended += c.ended;
                retired.dropped_full += c.dropped_full;
                retired.dropped_closed += c.dropped_closed;
            }
            keep
        });
        self.buffers.clear();
        self.buffers.extend(buffers.iter().cloned());
        self.buffers.iter().map(|b| b.len()).sum()
    }

    /// Exports what is queued now, in batches; spans ended meanwhile wait
    /// for the next round, so a busy producer cannot keep this going.
    fn export_queued(&mut self) {
        let batch_size = self.batch.capacity().max(1);
        self.quotas.clear();
        self.quotas.extend(self.buffers.iter().map(|b| b.len()));
        let mut next = 0;
        loop {
            self.batch.clear();
            self.runs.clear();
            while next < self.buffers.len() && self.batch.len() < batch_size {
                let want = self.quotas[next].min(batch_size - self.batch.len());
                // SAFETY: this is the export thread, the only consumer.
                let got = unsafe { self.buffers[next].drain_into(&mut self.batch, want) };
                self.quotas[next] -= got;
                if got > 0 {
                    self.runs.push((next, got));
                }
                if self.quotas[next] == 0 || got < want {
                    next += 1;
                }
            }
            if self.batch.is_empty() {
                return;
            }
            self.pace.drained += self.batch.len() as u64;
            self.export_batch();
        }
    }

    fn export_batch(&mut self) {
        let n = self.batch.len() as u64;
        self.shared.in_flight.store(n, Ordering::Release);
        let timeout = self.shared.config.export_timeout();
        let deadline = if timeout.is_zero() {
            far_deadline()
        } else {
            Instant::now()
                .checked_add(timeout)
                .unwrap_or_else(far_deadline)
        };
        let batch = std::mem::take(&mut self.batch);
        let result = self.call_exporter(|e| e.export(&batch, deadline));
        self.batch = batch;
        match result {
            Ok(()) => self.shared.exported.fetch_add(n, Ordering::AcqRel),
            Err(e) => {
                self.warn_failure(&e.to_string(), n);
                self.shared.export_failed.fetch_add(n, Ordering::AcqRel)
            }
        };
        self.shared.in_flight.store(0, Ordering::Release);
        self.recycle();
        if self.shared.config.overflow_policy() == OverflowPolicy::Block {
            self.shared.room_made.notify_all();
        }
    }

    /// Returns each exported record to the thread whose buffer it came
    /// from, unless an exporter kept a reference to it.
    fn recycle(&mut self) {
        let mut spans = self.batch.drain(..);
        for &(index, count) in &self.runs {
            let buffer = &self.buffers[index];
            for span in spans.by_ref().take(count) {
                if let Some(record) = reclaim(span) {
                    // SAFETY: this is the export thread, the only producer
                    // of the free ring.
                    unsafe { buffer.give_back(record) };
                }
            }
        }
    }

    fn call_exporter<T>(
        &mut self,
        f: impl FnOnce(&mut dyn SpanExporter) -> Result<T, crate::ExportError>,
    ) -> Result<T, crate::ExportError> {
        let exporter = &mut *self.exporter;
        catch_unwind(AssertUnwindSafe(|| f(exporter)))
            .unwrap_or_else(|_| Err(crate::ExportError::failed("the exporter panicked")))
    }

    fn warn_failure(&mut self, why: &str, spans: u64) {
        let now = Instant::now();
        let quiet = self
            .last_failure_warning
            .is_some_and(|at| now.duration_since(at) < Duration::from_secs(10));
        if !quiet {
            self.last_failure_warning = Some(now);
            diagnostics::warn(
                "export_failed",
                format_args!("{spans} spans dropped: {why} (reported at most every 10 s)"),
            );
        }
    }
}

/// The record of an exported span, unless an exporter kept a handle. It is
/// not emptied here: the thread that reuses it does that, so this thread
/// never writes to records.
fn reclaim(span: SpanData) -> Option<UniqueRecord> {
    UniqueRecord::from_shared(span.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TracerProvider;

    /// Takes every batch and keeps nothing.
    #[derive(Debug)]
    struct Discard;

    impl SpanExporter for Discard {
        fn export(&mut self, _: &[SpanData], _: Instant) -> Result<(), crate::ExportError> {
            Ok(())
        }
    }

    #[test]
    fn the_nap_is_half_a_batch_s_fill_time_within_its_bounds() {
        let start = Instant::now();
        let mut pace = Pace {
            looked: start,
            seen: 0,
            drained: 0,
        };
        let at = |micros| start + Duration::from_micros(micros);
        // 1024 spans in 2 ms: a batch of 512 fills in 1 ms.
        assert_eq!(
            pace.nap(at(2_000), 1024, 512),
            Some(Duration::from_micros(500))
        );
        // Drained meanwhile, then 512 more in 100 us: the shortest nap.
        pace.drained = 1024;
        assert_eq!(pace.nap(at(2_100), 512, 512), Some(Pace::MIN_NAP));
        // Nothing new: sleep until woken.
        pace.drained = 1536;
        assert_eq!(pace.nap(at(3_000), 0, 512), None);
        // 100 spans in 10 ms: a batch would take 51 ms, past the longest
        // nap; waking for it is cheap enough.
        assert_eq!(pace.nap(at(13_000), 100, 512), None);
        // 100 more in 1 ms: 5.12 ms a batch, within bounds.
        assert_eq!(
            pace.nap(at(14_000), 200, 512),
            Some(Duration::from_micros(2_560))
        );
        // A clock that did not move does not divide by zero or panic.
        assert_eq!(pace.nap(at(14_000), 300, 512), Some(Pace::MIN_NAP));
    }

    #[test]
    fn a_fast_stream_makes_the_export_thread_pace_itself_and_a_pause_puts_it_to_sleep() {
        let config = BatchConfig::default()
            .with_max_queue_size(4096)
            .with_max_export_batch_size(64);
        let processor = BatchSpanProcessor::new(Discard, config);
        let shared = processor.shared.clone();
        let provider = TracerProvider::builder()
            .with_span_processor(processor)
            .build();
        let tracer = provider.tracer("pace");
        // A batch's worth at a time, at full speed, until the export
        // thread paces itself (bounded).
        let paced = (0..10_000).any(|_| {
            for _ in 0..64 {
                tracer.start("fast").end();
            }
            shared.pacing.is_on()
        });
        assert!(
            paced,
            "a fast stream of spans never made the export thread pace itself"
        );
        // Nothing more arrives: the export thread stops pacing on its own.
        let deadline = Instant::now() + Duration::from_secs(10);
        while shared.pacing.is_on() {
            assert!(
                Instant::now() < deadline,
                "the export thread kept pacing with nothing arriving"
            );
            thread::yield_now();
        }
        provider.force_flush(Duration::from_secs(10)).unwrap();
        let stats = provider.stats();
        assert_eq!(stats.ended(), stats.exported() + stats.dropped());
        assert_eq!(stats.queued(), 0);
    }
}
