//! The tail-sampling processor: which traces it keeps, when it decides,
//! how it bounds memory, and what it counts.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use spanlite::{
    AlwaysOff, AlwaysOn, AlwaysRecord, BatchConfig, BatchSpanProcessor, Context, InMemoryExporter,
    KeyValue, PipelineError, Sampler, SimpleSpanProcessor, Span, SpanContext, SpanData, SpanId,
    SpanKind, SpanProcessor, Status, TailPolicy, TailSamplingBuilder, TailSamplingProcessor,
    TraceFlags, TraceId, TraceIdRatioBased, TraceState, TraceView, Tracer, TracerProvider,
};

const TIMEOUT: Duration = Duration::from_secs(5);

/// A monotonic clock that moves only when told to.
#[derive(Debug, Clone)]
struct FakeClock {
    base: Instant,
    offset_ms: Arc<AtomicU64>,
}

impl FakeClock {
    fn new() -> FakeClock {
        FakeClock {
            base: Instant::now(),
            offset_ms: Arc::default(),
        }
    }

    fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    fn now(&self) -> Instant {
        self.base + Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// A provider sampling everything into a tail processor around a simple
/// processor into an in-memory exporter.
struct Pipeline {
    provider: TracerProvider,
    tracer: Tracer,
    exporter: InMemoryExporter,
    tail: Arc<TailSamplingProcessor>,
}

fn pipeline(configure: impl FnOnce(TailSamplingBuilder) -> TailSamplingBuilder) -> Pipeline {
    let exporter = InMemoryExporter::new();
    let inner = SimpleSpanProcessor::new(exporter.clone());
    let tail = Arc::new(configure(TailSamplingProcessor::builder(inner)).build());
    let provider = TracerProvider::builder()
        .with_sampler(AlwaysOn)
        .with_span_processor(tail.clone())
        .build();
    let tracer = provider.tracer("test");
    Pipeline {
        provider,
        tracer,
        exporter,
        tail,
    }
}

impl Pipeline {
    fn exported_names(&self) -> Vec<String> {
        self.exporter
            .finished_spans()
            .iter()
            .map(|s| s.name().to_owned())
            .collect()
    }
}

/// A root span, open, carried in a context so children can be started.
fn open_root(tracer: &Tracer, name: &'static str) -> Context {
    tracer
        .start_with_context(name, &Context::new())
        .into_context(&Context::new())
}

fn child(tracer: &Tracer, parent: &Context, name: &'static str) -> Span {
    tracer.start_with_context(name, parent)
}

/// A context whose span came from another process, in trace `trace_id`.
fn remote_parent(trace_id: u128) -> Context {
    let remote = SpanContext::new(
        TraceId::from_int(trace_id),
        SpanId::from_int(0x77),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    );
    Context::new().with_remote_span_context(remote)
}

/// Ends a server span under a remote parent of trace `trace_id`.
fn remote_rooted_request(tracer: &Tracer, trace_id: u128) {
    let parent = remote_parent(trace_id);
    tracer
        .span_builder("GET /")
        .with_kind(SpanKind::Server)
        .with_parent(&parent)
        .start()
        .end();
}

#[test]
fn a_trace_with_an_error_span_is_kept_whole_when_its_root_ends() {
    let p = pipeline(|b| b.keep_errors().keep_ratio(0.0));
    let root = open_root(&p.tracer, "checkout");
    child(&p.tracer, &root, "load cart").end();
    let mut charge = child(&p.tracer, &root, "charge card");
    charge.set_status(Status::error("declined"));
    charge.end();
    root.span().end();
    assert_eq!(p.exported_names(), ["load cart", "charge card", "checkout"]);
    assert_eq!(p.tail.tail_stats().traces_kept(), 1);
    assert_eq!(p.tail.tail_stats().spans_kept(), 3);
}

#[test]
fn a_fast_trace_without_errors_is_dropped_when_no_policy_keeps_it() {
    let p = pipeline(|b| {
        b.keep_errors()
            .keep_slow_roots(Duration::from_secs(1))
            .keep_ratio(0.0)
    });
    let root = open_root(&p.tracer, "GET /");
    child(&p.tracer, &root, "SELECT").end();
    root.span().set_status(Status::Ok);
    root.span().end();
    assert!(p.exporter.finished_spans().is_empty());
    let tail = p.tail.tail_stats();
    assert_eq!((tail.traces_dropped(), tail.spans_dropped()), (1, 2));
    assert_eq!(tail.traces_kept(), 0);
    let stats = p.provider.stats();
    assert_eq!(stats.ended(), 2);
    assert_eq!(stats.exported(), 0);
    assert_eq!(stats.dropped(), 2);
    assert_eq!(stats.dropped_tail_sampling(), 2);
}

#[test]
fn a_root_lasting_at_least_the_threshold_keeps_its_trace() {
    let p = pipeline(|b| b.keep_slow_roots(Duration::from_millis(500)));
    let t0 = SystemTime::now();
    for (name, lasted) in [("slow", 500), ("fast", 499), ("slower", 800)] {
        let root = p
            .tracer
            .span_builder(name)
            .with_start_time(t0)
            .start()
            .into_context(&Context::new());
        child(&p.tracer, &root, "work").end();
        root.span()
            .end_with_timestamp(t0 + Duration::from_millis(lasted));
    }
    assert_eq!(p.exported_names(), ["work", "slow", "work", "slower"]);
    assert_eq!(p.tail.tail_stats().traces_dropped(), 1);
}

#[test]
fn the_ratio_policy_decides_by_the_trace_id_alone_as_trace_id_ratio_based_does() {
    let first = pipeline(|b| b.keep_ratio(0.5));
    let second = pipeline(|b| b.keep_ratio(0.5));
    let head = TraceIdRatioBased::new(0.5);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut expected = 0;
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = (u128::from(x) << 64) | u128::from(x.rotate_left(29));
        remote_rooted_request(&first.tracer, id);
        remote_rooted_request(&second.tracer, id);
        let root = Context::new();
        let params =
            spanlite::SamplingParams::new(&root, TraceId::from_int(id), "GET /", SpanKind::Server);
        if head.should_sample(&params).decision().is_sampled() {
            expected += 1;
        }
    }
    let ids = |p: &Pipeline| -> Vec<TraceId> {
        p.exporter
            .finished_spans()
            .iter()
            .map(|s| s.span_context().trace_id())
            .collect()
    };
    assert_eq!(ids(&first), ids(&second));
    assert_eq!(ids(&first).len(), expected);
    assert!((60..140).contains(&expected), "{expected}");
    // Low 56 bits at or above (1 - 0.5) * 2^56 are kept, below are not,
    // whatever the high bits.
    let p = pipeline(|b| b.keep_ratio(0.5));
    remote_rooted_request(&p.tracer, (0xff << 56) | (1 << 55));
    remote_rooted_request(&p.tracer, (0xff << 56) | ((1 << 55) - 1));
    let kept: Vec<u128> = p
        .exporter
        .finished_spans()
        .iter()
        .map(|s| s.span_context().trace_id().to_int())
        .collect();
    assert_eq!(kept, [(0xff_u128 << 56) | (1 << 55)]);
}

#[test]
fn a_span_with_the_attribute_and_exactly_the_value_keeps_its_trace() {
    let p = pipeline(|b| b.keep_attribute("tenant.tier", "gold"));
    for (name, value) in [
        ("gold", KeyValue::new("tenant.tier", "gold")),
        ("silver", KeyValue::new("tenant.tier", "silver")),
        ("golden", KeyValue::new("tenant.tier", "golden")),
        ("other key", KeyValue::new("tier", "gold")),
        ("not a string", KeyValue::new("tenant.tier", 1_i64)),
    ] {
        let root = open_root(&p.tracer, name);
        let mut work = child(&p.tracer, &root, "work");
        work.set_attribute(value);
        work.end();
        root.span().end();
    }
    assert_eq!(p.exported_names(), ["work", "gold"]);
    assert_eq!(p.tail.tail_stats().traces_dropped(), 4);
}

#[test]
fn children_are_held_until_their_local_root_ends() {
    let p = pipeline(|b| b.keep_ratio(1.0));
    let root = open_root(&p.tracer, "root");
    let mid = child(&p.tracer, &root, "mid").into_context(&root);
    child(&p.tracer, &mid, "leaf").end();
    mid.span().end();
    assert!(p.exporter.finished_spans().is_empty());
    let tail = p.tail.tail_stats();
    assert_eq!((tail.pending_traces(), tail.pending_spans()), (1, 2));
    assert_eq!(p.provider.stats().queued(), 2);
    root.span().end();
    assert_eq!(p.exported_names(), ["leaf", "mid", "root"]);
    assert_eq!(p.tail.tail_stats().pending_spans(), 0);
}

#[test]
fn a_span_under_a_remote_parent_is_a_local_root_that_decides_its_trace() {
    let p = pipeline(|b| b.keep_errors());
    let parent = remote_parent(42);
    let server = p
        .tracer
        .span_builder("GET /orders")
        .with_kind(SpanKind::Server)
        .with_parent(&parent)
        .start()
        .into_context(&parent);
    let mut query = child(&p.tracer, &server, "SELECT orders");
    query.set_status(Status::error("timeout"));
    query.end();
    assert!(p.exporter.finished_spans().is_empty());
    server.span().end();
    let spans = p.exporter.finished_spans();
    assert_eq!(spans.len(), 2);
    assert!(spans[1].parent_is_remote());
    assert_eq!(spans[1].span_context().trace_id(), TraceId::from_int(42));
}

#[test]
fn a_trace_whose_root_never_ends_is_decided_when_its_wait_expires() {
    let clock = FakeClock::new();
    let now = clock.clone();
    let p = pipeline(|b| {
        b.keep_errors()
            .with_decision_wait(Duration::from_secs(10))
            .with_clock(move || now.now())
    });
    let stuck = open_root(&p.tracer, "stuck");
    let mut failed = child(&p.tracer, &stuck, "failed");
    failed.set_status(Status::error("boom"));
    failed.end();

    clock.advance(Duration::from_millis(9_999));
    let other = open_root(&p.tracer, "other");
    child(&p.tracer, &other, "other child").end();
    assert!(p.exporter.finished_spans().is_empty());
    assert_eq!(p.tail.tail_stats().traces_expired(), 0);

    // Any span ending after the deadline makes the processor look.
    clock.advance(Duration::from_millis(1));
    remote_rooted_request(&p.tracer, 7);
    assert_eq!(p.exported_names(), ["failed"]);
    let tail = p.tail.tail_stats();
    assert_eq!(tail.traces_expired(), 1);
    assert_eq!(tail.pending_traces(), 1);
    drop((stuck, other));
}

#[test]
fn expiry_is_also_checked_on_flush() {
    let clock = FakeClock::new();
    let now = clock.clone();
    let p = pipeline(|b| {
        b.keep_ratio(1.0)
            .with_decision_wait(Duration::from_secs(1))
            .with_clock(move || now.now())
    });
    let stuck = open_root(&p.tracer, "stuck");
    child(&p.tracer, &stuck, "held").end();
    clock.advance(Duration::from_secs(2));
    p.provider.force_flush(TIMEOUT).unwrap();
    assert_eq!(p.exported_names(), ["held"]);
    assert_eq!(p.tail.tail_stats().traces_expired(), 1);
    drop(stuck);
}

#[test]
fn spans_ending_after_their_trace_was_decided_follow_the_decision() {
    let clock = FakeClock::new();
    let now = clock.clone();
    let p = pipeline(|b| {
        b.keep_errors()
            .with_decision_wait(Duration::from_secs(1))
            .with_clock(move || now.now())
    });
    // Kept by expiry; its root and a late child then follow at once.
    let kept = open_root(&p.tracer, "kept root");
    let mut failed = child(&p.tracer, &kept, "failed");
    failed.set_status(Status::error("boom"));
    failed.end();
    // Dropped when its root ends; a child ending later is dropped too.
    let dropped = open_root(&p.tracer, "dropped root");
    let late = child(&p.tracer, &dropped, "late child");
    dropped.span().end();
    clock.advance(Duration::from_secs(1));
    remote_rooted_request(&p.tracer, 9);
    assert_eq!(p.exported_names(), ["failed"]);

    child(&p.tracer, &kept, "late kept child").end();
    kept.span().end();
    drop(late);
    assert_eq!(
        p.exported_names(),
        ["failed", "late kept child", "kept root"]
    );
    let tail = p.tail.tail_stats();
    assert_eq!((tail.pending_traces(), tail.pending_spans()), (0, 0));
    // The request under trace 9 and the dropped trace, each with its spans.
    assert_eq!((tail.traces_kept(), tail.traces_dropped()), (1, 2));
    assert_eq!((tail.spans_kept(), tail.spans_dropped()), (3, 3));
}

#[test]
fn the_trace_bound_decides_the_oldest_pending_traces_and_counts_them_exactly() {
    let p = pipeline(|b| b.keep_errors().with_max_traces(10));
    let mut roots = Vec::new();
    for i in 0..25 {
        let root = open_root(&p.tracer, "never ends");
        let mut work = child(&p.tracer, &root, if i % 3 == 0 { "error" } else { "ok" });
        if i % 3 == 0 {
            work.set_status(Status::error("x"));
        }
        work.end();
        roots.push(root);
    }
    let tail = p.tail.tail_stats();
    assert_eq!(tail.pending_traces(), 10);
    assert_eq!(tail.pending_spans(), 10);
    assert_eq!(tail.traces_forced_out(), 15);
    // Of the 15 oldest, 0, 3, ..., 12 had an error.
    assert_eq!(tail.traces_kept(), 5);
    assert_eq!(tail.traces_dropped(), 10);
    assert_eq!(p.exported_names(), ["error"; 5]);
    let forced: Vec<TraceId> = roots[..15]
        .iter()
        .step_by(3)
        .map(|cx| cx.span().span_context().trace_id())
        .collect();
    let exported: Vec<TraceId> = p
        .exporter
        .finished_spans()
        .iter()
        .map(|s| s.span_context().trace_id())
        .collect();
    assert_eq!(exported, forced);
    let stats = p.provider.stats();
    assert_eq!(stats.ended(), 25);
    assert_eq!(stats.exported() + stats.dropped() + stats.queued(), 25);
    assert_eq!(stats.queued(), 10);
}

#[test]
fn the_span_bound_decides_the_oldest_pending_trace_early() {
    let p = pipeline(|b| b.keep_ratio(1.0).with_max_spans(5));
    let a = open_root(&p.tracer, "a");
    for _ in 0..3 {
        child(&p.tracer, &a, "a child").end();
    }
    let b = open_root(&p.tracer, "b");
    for _ in 0..2 {
        child(&p.tracer, &b, "b child").end();
    }
    assert!(p.exporter.finished_spans().is_empty());
    child(&p.tracer, &b, "b child").end();
    assert_eq!(p.exported_names(), ["a child"; 3]);
    let tail = p.tail.tail_stats();
    assert_eq!(tail.traces_forced_out(), 1);
    assert_eq!((tail.pending_traces(), tail.pending_spans()), (1, 3));
    drop((a, b));
}

#[test]
fn force_flush_decides_every_pending_trace() {
    let p = pipeline(|b| b.keep_attribute("keep", true));
    let mut roots = Vec::new();
    for keep in [true, false, true] {
        let root = open_root(&p.tracer, "open");
        let mut work = child(&p.tracer, &root, "work");
        work.set_attribute(KeyValue::new("keep", keep));
        work.end();
        roots.push(root);
    }
    assert_eq!(p.tail.tail_stats().pending_traces(), 3);
    p.provider.force_flush(TIMEOUT).unwrap();
    let tail = p.tail.tail_stats();
    assert_eq!(tail.pending_traces(), 0);
    assert_eq!((tail.traces_kept(), tail.traces_dropped()), (2, 1));
    assert_eq!(p.exporter.finished_spans().len(), 2);
    let stats = p.provider.stats();
    assert_eq!(stats.ended(), stats.exported() + stats.dropped());
}

#[test]
fn shutdown_decides_every_pending_trace_then_shuts_the_inner_processor_down() {
    let p = pipeline(|b| b.keep_ratio(1.0));
    let root = open_root(&p.tracer, "open");
    child(&p.tracer, &root, "held").end();
    p.tail.shutdown(TIMEOUT).unwrap();
    assert_eq!(p.exported_names(), ["held"]);
    assert_eq!(p.tail.tail_stats().pending_traces(), 0);
    // A span ending afterwards reaches the inner processor, which counts it
    // as dropped after shutdown; nothing is held any more.
    root.span().end();
    assert_eq!(p.tail.tail_stats().pending_spans(), 0);
    assert_eq!(p.exported_names(), ["held"]);
    let stats = p.provider.stats();
    assert_eq!(stats.ended(), 2);
    assert_eq!(stats.dropped_shutdown(), 1);
    assert_eq!(stats.ended(), stats.exported() + stats.dropped());
    let again = p.tail.shutdown(TIMEOUT);
    assert!(again
        .as_ref()
        .is_err_and(PipelineError::is_already_shutdown));
    let flush = p.tail.force_flush(TIMEOUT);
    assert!(flush.is_err_and(|e| e.is_already_shutdown()));
}

#[test]
fn with_a_batch_processor_inside_ended_equals_exported_plus_dropped_after_flush() {
    let exporter = InMemoryExporter::new();
    let batch = BatchSpanProcessor::new(exporter.clone(), BatchConfig::default());
    let tail = Arc::new(
        TailSamplingProcessor::builder(batch)
            .keep_errors()
            .keep_ratio(0.25)
            .build(),
    );
    let provider = TracerProvider::builder()
        .with_sampler(AlwaysOn)
        .with_span_processor(tail.clone())
        .build();
    let tracer = provider.tracer("test");
    let mut open = Vec::new();
    for i in 0..200 {
        let root = open_root(&tracer, "root");
        let mut work = child(&tracer, &root, "work");
        if i % 10 == 0 {
            work.set_status(Status::error("x"));
        }
        work.end();
        if i % 7 == 0 {
            open.push(root);
        } else {
            root.span().end();
        }
    }
    provider.force_flush(TIMEOUT).unwrap();
    let stats = provider.stats();
    let t = tail.tail_stats();
    assert_eq!(stats.ended(), 200 + 200 - open.len() as u64);
    assert_eq!(stats.queued(), 0);
    assert_eq!(stats.ended(), stats.exported() + stats.dropped());
    assert_eq!(stats.dropped_tail_sampling(), t.spans_dropped());
    assert_eq!(stats.exported(), t.spans_kept());
    assert_eq!(exporter.finished_spans().len() as u64, t.spans_kept());
    assert!(t.traces_kept() >= 20, "every error trace is kept");
    provider.shutdown(TIMEOUT).unwrap();
    drop(open);
}

#[test]
fn with_no_policy_every_trace_is_dropped() {
    let p = pipeline(|b| b);
    let root = open_root(&p.tracer, "root");
    root.span().set_status(Status::error("even errors"));
    root.span().end();
    assert!(p.exporter.finished_spans().is_empty());
    assert_eq!(p.tail.tail_stats().traces_dropped(), 1);
}

/// Keeps traces of at least `.0` spans, and records what it was shown.
#[derive(Debug, Default)]
struct Wide(usize, std::sync::Mutex<Vec<(usize, Option<String>)>>);

impl TailPolicy for Wide {
    fn should_keep(&self, trace: &TraceView<'_>) -> bool {
        let root = trace.local_root().map(|r| r.name().to_owned());
        self.1.lock().unwrap().push((trace.spans().len(), root));
        trace.spans().len() >= self.0
    }
}

#[test]
fn a_custom_policy_sees_the_held_spans_and_the_local_root_that_ended() {
    let wide = Arc::new(Wide(3, Default::default()));
    let p = pipeline(|b| b.keep_if(wide.clone()));
    for children in [1, 2] {
        let root = open_root(&p.tracer, "root");
        for _ in 0..children {
            child(&p.tracer, &root, "child").end();
        }
        root.span().end();
    }
    let open = open_root(&p.tracer, "open");
    child(&p.tracer, &open, "orphan").end();
    p.provider.force_flush(TIMEOUT).unwrap();
    assert_eq!(p.exported_names(), ["child", "child", "root"]);
    let seen = wide.1.lock().unwrap().clone();
    let root = Some("root".to_owned());
    assert_eq!(seen, [(2, root.clone()), (3, root), (1, None)]);
    drop(open);
}

/// Counts the spans it is given.
#[derive(Debug, Default)]
struct Counting(AtomicUsize);

impl SpanProcessor for Counting {
    fn on_end(&self, _span: &SpanData) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn force_flush(&self, _timeout: Duration) -> Result<(), PipelineError> {
        Ok(())
    }

    fn shutdown(&self, _timeout: Duration) -> Result<(), PipelineError> {
        Ok(())
    }
}

#[test]
fn spans_that_record_but_are_not_sampled_pass_straight_through() {
    let counting = Arc::new(Counting::default());
    let tail = Arc::new(
        TailSamplingProcessor::builder(counting.clone())
            .keep_ratio(0.0)
            .build(),
    );
    let provider = TracerProvider::builder()
        .with_sampler(AlwaysRecord::new(AlwaysOff))
        .with_span_processor(tail.clone())
        .build();
    let tracer = provider.tracer("test");
    let root = open_root(&tracer, "root");
    child(&tracer, &root, "child").end();
    assert_eq!(counting.0.load(Ordering::SeqCst), 1);
    assert_eq!(tail.tail_stats(), Default::default());
    // An inner processor that does not count makes no pipeline counts.
    assert_eq!(tail.stats(), None);
    root.span().end();
    assert_eq!(counting.0.load(Ordering::SeqCst), 2);
}

#[test]
fn a_tail_processor_is_a_span_processor_and_debug_prints() {
    let p = pipeline(|b| b.keep_errors());
    let boxed: Box<dyn SpanProcessor> = Box::new(
        TailSamplingProcessor::builder(SimpleSpanProcessor::new(InMemoryExporter::new()))
            .keep_errors()
            .build(),
    );
    assert!(format!("{boxed:?}").contains("TailSamplingProcessor"));
    assert!(format!("{:?}", p.tail).contains("KeepErrors"));
}
