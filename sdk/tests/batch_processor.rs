//! The batch span processor: triggers, accounting, overflow, and flush and
//! shutdown that return within their timeout whatever the exporter does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use spanlite::{
    BatchConfig, BatchSpanProcessor, ExportError, InMemoryExporter, OverflowPolicy, SpanData,
    SpanExporter, TracerProvider,
};

const WAIT: Duration = Duration::from_secs(10);

/// What the test exporter does with a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Accept,
    Fail,
    PanicOnce,
    BlockForever,
}

/// Reports every batch on a channel; can wait at a gate, fail, panic, or
/// block forever; records how many exports ever overlapped.
#[derive(Debug, Clone)]
struct TestExporter {
    batches: Sender<usize>,
    mode: Arc<Mutex<Mode>>,
    gate: Arc<(Mutex<bool>, Condvar)>,
    active: Arc<AtomicUsize>,
    max_active: Arc<AtomicUsize>,
    shutdowns: Arc<AtomicUsize>,
}

impl TestExporter {
    fn new(mode: Mode) -> (TestExporter, Receiver<usize>) {
        let (tx, rx) = mpsc::channel();
        let exporter = TestExporter {
            batches: tx,
            mode: Arc::new(Mutex::new(mode)),
            gate: Arc::new((Mutex::new(true), Condvar::new())),
            active: Arc::default(),
            max_active: Arc::default(),
            shutdowns: Arc::default(),
        };
        (exporter, rx)
    }

    fn set_gate(&self, open: bool) {
        *self.gate.0.lock().unwrap() = open;
        self.gate.1.notify_all();
    }
}

impl SpanExporter for TestExporter {
    fn export(&mut self, batch: &[SpanData], _deadline: Instant) -> Result<(), ExportError> {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_active.fetch_max(now, Ordering::SeqCst);
        {
            let mut open = self.gate.0.lock().unwrap();
            while !*open {
                open = self.gate.1.wait(open).unwrap();
            }
        }
        let mode = *self.mode.lock().unwrap();
        let result = match mode {
            Mode::Accept => Ok(()),
            Mode::Fail => Err(ExportError::failed("collector said no")),
            Mode::PanicOnce => {
                *self.mode.lock().unwrap() = Mode::Accept;
                self.active.fetch_sub(1, Ordering::SeqCst);
                panic!("exporter bug");
            }
            Mode::BlockForever => loop {
                std::thread::park();
            },
        };
        self.active.fetch_sub(1, Ordering::SeqCst);
        let _ = self.batches.send(batch.len());
        result
    }

    fn shutdown(&mut self, _timeout: Duration) -> Result<(), ExportError> {
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn provider(exporter: impl SpanExporter + 'static, config: BatchConfig) -> TracerProvider {
    TracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::new(exporter, config))
        .build()
}

/// A queue of `queue` spans exported in batches of `batch`, with an
/// hour-long schedule: within a test, only full batches (and flushes)
/// export.
fn batches_only(queue: usize, batch: usize) -> BatchConfig {
    BatchConfig::default()
        .with_scheduled_delay(Duration::from_secs(3600))
        .with_max_queue_size(queue)
        .with_max_export_batch_size(batch)
}

fn end_spans(provider: &TracerProvider, n: usize) {
    let tracer = provider.tracer("batch");
    for _ in 0..n {
        tracer.start("span").end();
    }
}

#[test]
fn spans_are_exported_on_force_flush() {
    let exporter = InMemoryExporter::new();
    let provider = provider(exporter.clone(), BatchConfig::default());
    end_spans(&provider, 3);
    provider.force_flush(WAIT).unwrap();
    assert_eq!(exporter.finished_spans().len(), 3);
    let stats = provider.stats();
    assert_eq!(
        (
            stats.ended(),
            stats.exported(),
            stats.dropped(),
            stats.queued()
        ),
        (3, 3, 0, 0)
    );
}

#[test]
fn spans_are_exported_on_the_schedule_without_a_flush() {
    let (exporter, batches) = TestExporter::new(Mode::Accept);
    let config = BatchConfig::default().with_scheduled_delay(Duration::from_millis(20));
    let provider = provider(exporter, config);
    end_spans(&provider, 2);
    assert_eq!(batches.recv_timeout(WAIT), Ok(2));
}

#[test]
fn a_full_batch_in_one_thread_triggers_an_export_before_the_schedule() {
    let (exporter, batches) = TestExporter::new(Mode::Accept);
    let config = batches_only(64, 8);
    let provider = provider(exporter, config);
    end_spans(&provider, 8);
    assert_eq!(batches.recv_timeout(WAIT), Ok(8));
}

#[test]
fn no_full_batch_waits_for_the_schedule_also_as_the_export_thread_stops_pacing() {
    // Bursts of spans at full speed make the export thread pace itself
    // (threads filling a batch then leave it to look on its own); each
    // pause makes it stop. Whatever the interleaving, a full batch must not
    // be left queued for the hour-long schedule; less than a batch may.
    let (exporter, _batches) = TestExporter::new(Mode::Accept);
    let config = batches_only(4096, 64);
    let provider = provider(exporter, config);
    for round in 0..300 {
        end_spans(&provider, 64 * (1 + round % 8));
        let deadline = Instant::now() + WAIT;
        while provider.stats().queued() >= 64 {
            assert!(
                Instant::now() < deadline,
                "round {round}: a full batch waited for the schedule"
            );
            std::thread::yield_now();
        }
    }
    provider.force_flush(WAIT).unwrap();
    let stats = provider.stats();
    assert_eq!(stats.ended(), 300 / 8 * 64 * 36 + 64 * (1 + 2 + 3 + 4));
    assert_eq!((stats.exported(), stats.dropped()), (stats.ended(), 0));
}

#[test]
fn no_export_is_larger_than_the_max_export_batch_size() {
    let (exporter, batches) = TestExporter::new(Mode::Accept);
    let config = batches_only(100, 10);
    let provider = provider(exporter, config);
    end_spans(&provider, 95);
    provider.force_flush(WAIT).unwrap();
    let sizes: Vec<usize> = batches.try_iter().collect();
    assert!(sizes.iter().all(|&n| (1..=10).contains(&n)), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 95);
}

#[test]
fn exports_never_run_concurrently() {
    let (exporter, _batches) = TestExporter::new(Mode::Accept);
    let max_active = exporter.max_active.clone();
    let config = BatchConfig::default()
        .with_max_queue_size(32)
        .with_max_export_batch_size(4);
    let provider = provider(exporter, config);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..20 {
                    end_spans(&provider, 10);
                    let _ = provider.force_flush(WAIT);
                }
            });
        }
    });
    provider.force_flush(WAIT).unwrap();
    assert!(provider.stats().exported() > 0);
    assert_eq!(max_active.load(Ordering::SeqCst), 1);
}

#[test]
fn two_threads_overflowing_a_small_queue_account_for_every_span_exactly() {
    let (exporter, _batches) = TestExporter::new(Mode::Accept);
    exporter.set_gate(false);
    let gate = exporter.clone();
    let config = BatchConfig::default()
        .with_max_queue_size(16)
        .with_max_export_batch_size(16);
    let provider = provider(exporter, config);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| end_spans(&provider, 1000));
        }
    });
    gate.set_gate(true);
    provider.force_flush(WAIT).unwrap();
    let stats = provider.stats();
    assert_eq!(stats.ended(), 2000);
    assert_eq!(
        stats.ended(),
        stats.exported() + stats.dropped(),
        "{stats:?}"
    );
    assert_eq!(stats.dropped(), stats.dropped_queue_full());
    assert!(stats.dropped() > 0 && stats.exported() > 0, "{stats:?}");
    assert_eq!(stats.queued(), 0);
}

#[test]
fn the_blocking_policy_waits_instead_of_dropping() {
    let exporter = InMemoryExporter::new();
    let config = BatchConfig::default()
        .with_max_queue_size(8)
        .with_max_export_batch_size(8)
        .with_overflow_policy(OverflowPolicy::Block);
    let provider = provider(exporter.clone(), config);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| end_spans(&provider, 500));
        }
    });
    provider.force_flush(WAIT).unwrap();
    let stats = provider.stats();
    assert_eq!(
        (stats.ended(), stats.exported(), stats.dropped()),
        (1000, 1000, 0)
    );
    assert_eq!(exporter.finished_spans().len(), 1000);
}

#[test]
fn shutdown_inside_a_tokio_current_thread_runtime_returns_within_its_timeout_while_the_exporter_blocks_forever(
) {
    let (exporter, _batches) = TestExporter::new(Mode::BlockForever);
    let provider = provider(exporter, BatchConfig::default());
    end_spans(&provider, 1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let started = Instant::now();
    let result = runtime.block_on(async { provider.shutdown(Duration::from_millis(200)) });
    let elapsed = started.elapsed();
    assert!(result.unwrap_err().is_timeout());
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(3),
        "shutdown took {elapsed:?}"
    );
}

#[test]
fn force_flush_returns_within_its_timeout_while_the_exporter_blocks_forever() {
    let (exporter, _batches) = TestExporter::new(Mode::BlockForever);
    let provider = provider(exporter, BatchConfig::default());
    end_spans(&provider, 1);
    let started = Instant::now();
    let result = provider.force_flush(Duration::from_millis(100));
    assert!(result.unwrap_err().is_timeout());
    assert!(started.elapsed() < Duration::from_secs(3));
    // Dropping the provider must not hang either: it waits at most 5 s.
    let started = Instant::now();
    drop(provider);
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[test]
fn spans_ended_on_threads_that_have_exited_are_exported() {
    let exporter = InMemoryExporter::new();
    let provider = provider(exporter.clone(), BatchConfig::default());
    for _ in 0..4 {
        let p = provider.clone();
        std::thread::spawn(move || end_spans(&p, 10))
            .join()
            .unwrap();
    }
    provider.force_flush(WAIT).unwrap();
    assert_eq!(exporter.finished_spans().len(), 40);
    let stats = provider.stats();
    assert_eq!((stats.ended(), stats.exported()), (40, 40));
}

#[test]
fn a_failed_export_drops_and_counts_its_spans() {
    let (exporter, _batches) = TestExporter::new(Mode::Fail);
    let provider = provider(exporter, BatchConfig::default());
    end_spans(&provider, 5);
    provider.force_flush(WAIT).unwrap();
    let stats = provider.stats();
    assert_eq!(
        (
            stats.ended(),
            stats.exported(),
            stats.dropped_export_failed()
        ),
        (5, 0, 5)
    );
}

#[test]
fn a_panicking_exporter_counts_as_a_failure_and_the_pipeline_goes_on() {
    let (exporter, _batches) = TestExporter::new(Mode::PanicOnce);
    let provider = provider(exporter, BatchConfig::default());
    end_spans(&provider, 3);
    provider.force_flush(WAIT).unwrap();
    end_spans(&provider, 2);
    provider.force_flush(WAIT).unwrap();
    let stats = provider.stats();
    assert_eq!(
        (
            stats.ended(),
            stats.exported(),
            stats.dropped_export_failed()
        ),
        (5, 2, 3)
    );
}

#[test]
fn shutdown_exports_what_is_queued_then_shuts_the_exporter_down() {
    let (exporter, batches) = TestExporter::new(Mode::Accept);
    let shutdowns = exporter.shutdowns.clone();
    let provider = provider(exporter, BatchConfig::default());
    end_spans(&provider, 7);
    provider.shutdown(WAIT).unwrap();
    assert_eq!(batches.try_iter().sum::<usize>(), 7);
    assert_eq!(shutdowns.load(Ordering::SeqCst), 1);
    let stats = provider.stats();
    assert_eq!(
        (stats.ended(), stats.exported(), stats.dropped()),
        (7, 7, 0)
    );
}

#[test]
fn dropping_the_last_provider_handle_exports_and_shuts_down() {
    let (exporter, batches) = TestExporter::new(Mode::Accept);
    let shutdowns = exporter.shutdowns.clone();
    let provider = provider(exporter, BatchConfig::default());
    let tracer = provider.tracer("t");
    tracer.start("a").end();
    drop(provider);
    assert_eq!(batches.recv_timeout(WAIT), Ok(1));
    assert_eq!(shutdowns.load(Ordering::SeqCst), 1);
    assert!(!tracer.start("after").is_recording());
}

#[test]
fn a_span_ended_after_shutdown_is_dropped_and_counted() {
    let exporter = InMemoryExporter::new();
    let provider = provider(exporter.clone(), BatchConfig::default());
    let tracer = provider.tracer("t");
    let span = tracer.start("straddles shutdown");
    provider.shutdown(WAIT).unwrap();
    drop(span);
    let stats = provider.stats();
    assert_eq!(
        (stats.ended(), stats.exported(), stats.dropped_shutdown()),
        (1, 0, 1)
    );
    assert!(exporter.finished_spans().is_empty());
}

#[test]
fn only_sampled_spans_reach_the_exporter() {
    let exporter = InMemoryExporter::new();
    let processor = BatchSpanProcessor::new(exporter.clone(), BatchConfig::default());
    let provider = TracerProvider::builder()
        .with_sampler(RecordOnly)
        .with_span_processor(processor)
        .build();
    end_spans(&provider, 3);
    provider.force_flush(WAIT).unwrap();
    assert!(exporter.finished_spans().is_empty());
    assert_eq!(provider.stats().ended(), 0);
}

#[derive(Debug)]
struct RecordOnly;

impl spanlite::Sampler for RecordOnly {
    fn should_sample(&self, _: &spanlite::SamplingParams<'_>) -> spanlite::SamplingResult {
        spanlite::SamplingResult::new(spanlite::SamplingDecision::RecordOnly)
    }
    fn description(&self) -> String {
        "RecordOnly".into()
    }
}

#[test]
fn the_blocking_policy_gives_up_after_the_export_timeout_when_the_exporter_hangs() {
    let (exporter, _batches) = TestExporter::new(Mode::BlockForever);
    let config = BatchConfig::default()
        .with_max_queue_size(2)
        .with_max_export_batch_size(2)
        .with_export_timeout(Duration::from_millis(100))
        .with_overflow_policy(OverflowPolicy::Block);
    let provider = provider(exporter, config);
    let started = Instant::now();
    end_spans(&provider, 10);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let stats = provider.stats();
    assert_eq!(stats.ended(), 10);
    assert!(stats.dropped_queue_full() >= 1, "{stats:?}");
}
