//! One test per OpenTelemetry SDK rule for spans, through the in-memory
//! exporter behind a simple processor.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use spanlite::{
    sampler_fn, AlwaysOff, AlwaysOn, Context, FutureExt, InMemoryExporter, KeyValue, Link,
    ParentBased, PipelineError, Resource, Sampler, SamplingDecision, SamplingParams,
    SamplingResult, Span, SpanContext, SpanData, SpanId, SpanKind, SpanLimits, SpanProcessor,
    Status, TraceFlags, TraceId, TraceIdRatioBased, TraceState, Tracer, TracerProvider, Value,
};

fn pipeline() -> (TracerProvider, Tracer, InMemoryExporter) {
    pipeline_with(|b| b)
}

fn pipeline_with(
    configure: impl FnOnce(spanlite::TracerProviderBuilder) -> spanlite::TracerProviderBuilder,
) -> (TracerProvider, Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let builder = TracerProvider::builder()
        .with_resource(Resource::builder().with_service_name("tests").build())
        .with_simple_exporter(exporter.clone());
    let provider = configure(builder).build();
    let tracer = provider.tracer("span_rules");
    (provider, tracer, exporter)
}

fn only(exporter: &InMemoryExporter) -> SpanData {
    let spans = exporter.finished_spans();
    assert_eq!(spans.len(), 1, "expected exactly one span, got {spans:?}");
    spans.into_iter().next().unwrap()
}

fn remote_parent(sampled: bool) -> Context {
    let flags = TraceFlags::NONE.with_sampled(sampled);
    let sc = SpanContext::new(
        TraceId::from_int(0x1234),
        SpanId::from_int(0x99),
        flags,
        true,
        "vendor=x".parse().unwrap(),
    );
    Context::new().with_remote_span_context(sc)
}

/// Counts the spans a processor sees.
#[derive(Debug, Default)]
struct Counting {
    started: AtomicUsize,
    ended: AtomicUsize,
}

impl SpanProcessor for Counting {
    fn on_start(&self, _span: &mut Span, _parent: &Context) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }
    fn on_end(&self, _span: &SpanData) {
        self.ended.fetch_add(1, Ordering::SeqCst);
    }
    fn force_flush(&self, _: Duration) -> Result<(), PipelineError> {
        Ok(())
    }
    fn shutdown(&self, _: Duration) -> Result<(), PipelineError> {
        Ok(())
    }
}

#[test]
fn a_span_that_is_not_sampled_still_gets_a_new_span_id() {
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_sampler(AlwaysOff));
    let parent = remote_parent(true);
    let a = tracer.start_with_context("a", &parent);
    let b = tracer.start_with_context("b", &parent);
    assert!(!a.is_recording());
    assert!(a.span_context().span_id().is_valid());
    assert_ne!(a.span_context().span_id(), b.span_context().span_id());
    assert_ne!(
        a.span_context().span_id(),
        parent.span().span_context().span_id()
    );
    assert_eq!(a.span_context().trace_id(), TraceId::from_int(0x1234));
    drop((a, b));
    assert!(exporter.finished_spans().is_empty());
}

#[test]
fn a_span_that_is_not_recorded_reaches_no_processor() {
    let counting = Arc::new(Counting::default());
    let provider = TracerProvider::builder()
        .with_sampler(AlwaysOff)
        .with_span_processor(counting.clone())
        .build();
    provider.tracer("t").start("dropped").end();
    assert_eq!(counting.started.load(Ordering::SeqCst), 0);
    assert_eq!(counting.ended.load(Ordering::SeqCst), 0);
}

#[derive(Debug)]
struct RecordOnly;

impl Sampler for RecordOnly {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::new(SamplingDecision::RecordOnly)
    }
    fn description(&self) -> String {
        "RecordOnly".into()
    }
}

#[test]
fn a_record_only_span_reaches_processors_but_not_exporters() {
    let counting = Arc::new(Counting::default());
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_sampler(RecordOnly)
        .with_span_processor(counting.clone())
        .with_simple_exporter(exporter.clone())
        .build();
    let mut span = provider.tracer("t").start("recorded");
    assert!(span.is_recording());
    assert!(!span.span_context().is_sampled());
    span.end();
    assert_eq!(counting.ended.load(Ordering::SeqCst), 1);
    assert!(exporter.finished_spans().is_empty());
}

#[test]
fn a_child_has_its_parents_trace_id_and_parent_span_id() {
    let (_p, tracer, exporter) = pipeline();
    let parent = tracer.start("parent");
    let parent_cx = parent.span_context().clone();
    let cx = parent.into_context(&Context::new());
    tracer.start_with_context("child", &cx).end();
    let child = only(&exporter);
    assert_eq!(child.span_context().trace_id(), parent_cx.trace_id());
    assert_eq!(child.parent_span_id(), parent_cx.span_id());
    assert!(!child.parent_is_remote());
}

#[test]
fn a_root_span_gets_a_new_trace_id_and_no_random_flag_by_default() {
    // Level 1 parsers (OpenTelemetry Go before v1.42) drop a traceparent
    // whose flags are above 01: the flag is opt-in.
    let (_p, tracer, _e) = pipeline();
    let a = tracer.start_with_context("a", &Context::new());
    let b = tracer.start_with_context("b", &Context::new());
    assert_ne!(a.span_context().trace_id(), b.span_context().trace_id());
    assert!(!a.span_context().trace_flags().is_random());
    assert_eq!(a.span_context().trace_flags().to_u8(), 0x01);
    assert!(a.span_context().is_sampled());
}

#[test]
fn with_the_random_flag_enabled_roots_set_it_when_trace_ids_are_random() {
    // W3C Trace Context Level 2: roots with random trace ids SHOULD set it.
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter)
        .with_random_trace_flag(true)
        .build();
    let span = provider
        .tracer("t")
        .start_with_context("a", &Context::new());
    assert!(span.span_context().trace_flags().is_random());

    #[derive(Debug)]
    struct Sequential(std::sync::atomic::AtomicU64);
    impl spanlite::IdGenerator for Sequential {
        fn new_trace_id(&self) -> TraceId {
            TraceId::from_int(
                u128::from(self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) + 1,
            )
        }
        fn new_span_id(&self) -> SpanId {
            SpanId::from_int(self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1)
        }
    }
    let provider = TracerProvider::builder()
        .with_id_generator(Sequential(Default::default()))
        .with_random_trace_flag(true)
        .build();
    let span = provider
        .tracer("t")
        .start_with_context("a", &Context::new());
    assert!(
        !span.span_context().trace_flags().is_random(),
        "ids that are not random never claim to be"
    );
}

#[test]
fn a_child_keeps_the_parents_random_flag_and_drops_unknown_flags() {
    let (_p, tracer, _e) = pipeline();
    let flags = TraceFlags::new(0xff);
    let sc = SpanContext::new(
        TraceId::from_int(5),
        SpanId::from_int(6),
        flags,
        true,
        TraceState::NONE,
    );
    let child = tracer.start_with_context("child", &Context::new().with_remote_span_context(sc));
    assert_eq!(child.span_context().trace_flags().to_u8(), 0x03);
    let sc = SpanContext::new(
        TraceId::from_int(5),
        SpanId::from_int(6),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    );
    let child = tracer.start_with_context("child", &Context::new().with_remote_span_context(sc));
    assert!(!child.span_context().trace_flags().is_random());
}

#[test]
fn a_remote_parent_is_marked_remote_on_the_child() {
    let (_p, tracer, exporter) = pipeline();
    tracer
        .start_with_context("server", &remote_parent(true))
        .end();
    let span = only(&exporter);
    assert!(span.parent_is_remote());
    assert_eq!(span.parent_span_id(), SpanId::from_int(0x99));
    assert_eq!(span.span_context().trace_state().get("vendor"), Some("x"));
}

#[test]
fn an_explicit_parent_wins_over_the_current_context() {
    let (_p, tracer, exporter) = pipeline();
    let explicit = remote_parent(true);
    tracer.in_span("current", |_| {
        tracer
            .span_builder("child")
            .with_parent(&explicit)
            .start()
            .end();
    });
    let spans = exporter.finished_spans();
    let child = spans.iter().find(|s| s.name() == "child").unwrap();
    assert_eq!(child.span_context().trace_id(), TraceId::from_int(0x1234));
}

#[test]
fn in_span_makes_the_span_current_and_restores_the_previous_context() {
    let (_p, tracer, exporter) = pipeline();
    let before = Context::current().span().span_context().clone();
    let outer_id = tracer.in_span("outer", |cx| {
        assert_eq!(
            Context::current().span().span_context(),
            cx.span().span_context()
        );
        tracer.start("inner").end();
        cx.span().span_context().span_id()
    });
    assert_eq!(Context::current().span().span_context(), &before);
    let spans = exporter.finished_spans();
    let inner = spans.iter().find(|s| s.name() == "inner").unwrap();
    assert_eq!(inner.parent_span_id(), outer_id);
    assert_eq!(spans.len(), 2);
}

#[test]
fn setting_an_attribute_again_replaces_its_value() {
    let (_p, tracer, exporter) = pipeline();
    let mut span = tracer.start("op");
    span.set_attribute(KeyValue::new("k", 1));
    span.set_attribute(KeyValue::new("k", "two"));
    span.end();
    let span = only(&exporter);
    assert_eq!(span.attributes(), &[KeyValue::new("k", "two")]);
}

#[test]
fn attributes_past_the_count_limit_are_dropped_and_counted() {
    let limits = SpanLimits::default().with_attribute_count(2);
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_span_limits(limits));
    let mut span = tracer.start("op");
    for i in 0..5 {
        span.set_attribute(KeyValue::new(format!("k{i}"), i));
    }
    span.set_attribute(KeyValue::new("k0", 100)); // an existing key is still updated
    span.end();
    let span = only(&exporter);
    assert_eq!(span.attributes().len(), 2);
    assert_eq!(span.attributes()[0].value(), &Value::I64(100));
    assert_eq!(span.dropped_attributes_count(), 3);
}

#[test]
fn attribute_values_are_truncated_to_the_length_limit() {
    let limits = SpanLimits::default().with_attribute_value_length(Some(3));
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_span_limits(limits));
    let mut span = tracer.start("op");
    span.set_attribute(KeyValue::new("s", "abcdef"));
    span.set_attribute(KeyValue::new("a", vec!["xyzw", "ab"]));
    span.set_attribute(KeyValue::new("n", 123456));
    span.add_event("e", vec![KeyValue::new("s", "long value")]);
    span.end();
    let span = only(&exporter);
    assert_eq!(span.attributes()[0].value().as_str(), Some("abc"));
    assert_eq!(
        span.attributes()[1].value(),
        &Value::from(vec!["xyz", "ab"])
    );
    assert_eq!(span.attributes()[2].value(), &Value::I64(123456));
    assert_eq!(
        span.events()[0].attributes()[0].value().as_str(),
        Some("lon")
    );
}

#[test]
fn events_past_the_limit_are_dropped_and_counted() {
    let limits = SpanLimits::default()
        .with_event_count(1)
        .with_attributes_per_event(1);
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_span_limits(limits));
    let mut span = tracer.start("op");
    span.add_event("kept", vec![KeyValue::new("a", 1), KeyValue::new("b", 2)]);
    span.add_event("dropped", vec![]);
    span.end();
    let span = only(&exporter);
    assert_eq!(span.events().len(), 1);
    assert_eq!(span.events()[0].name(), "kept");
    assert_eq!(span.events()[0].attributes().len(), 1);
    assert_eq!(span.events()[0].dropped_attributes_count(), 1);
    assert_eq!(span.dropped_events_count(), 1);
}

#[test]
fn links_past_the_limit_are_dropped_and_counted() {
    let limits = SpanLimits::default()
        .with_link_count(1)
        .with_attributes_per_link(1);
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_span_limits(limits));
    let target = remote_parent(true).span().span_context().clone();
    let mut span = tracer
        .span_builder("op")
        .with_links([Link::new(
            target.clone(),
            vec![KeyValue::new("a", 1), KeyValue::new("b", 2)],
        )])
        .start();
    span.add_link(target, vec![]);
    span.end();
    let span = only(&exporter);
    assert_eq!(span.links().len(), 1);
    assert_eq!(span.links()[0].attributes().len(), 1);
    assert_eq!(span.links()[0].dropped_attributes_count(), 1);
    assert_eq!(span.dropped_links_count(), 1);
}

#[test]
fn a_link_to_an_invalid_span_context_without_attributes_is_not_kept() {
    let (_p, tracer, exporter) = pipeline();
    let mut span = tracer.start("op");
    span.add_link(SpanContext::INVALID, vec![]);
    span.add_link(SpanContext::INVALID, vec![KeyValue::new("why", "kept")]);
    span.end();
    assert_eq!(only(&exporter).links().len(), 1);
}

#[test]
fn status_ok_is_final() {
    let (_p, tracer, exporter) = pipeline();
    let mut span = tracer.start("op");
    span.set_status(Status::error("first"));
    span.set_status(Status::Ok);
    span.set_status(Status::error("after ok"));
    span.set_status(Status::Unset);
    span.end();
    assert_eq!(only(&exporter).status(), &Status::Ok);
}

#[test]
fn update_name_changes_the_exported_name() {
    let (_p, tracer, exporter) = pipeline();
    let mut span = tracer.start("GET");
    span.update_name("GET /users/{id}");
    span.end();
    assert_eq!(only(&exporter).name(), "GET /users/{id}");
}

#[test]
fn record_exception_adds_an_exception_event_with_type_message_and_stacktrace() {
    let (_p, tracer, exporter) = pipeline();
    let mut span = tracer.start("op");
    let error = std::io::Error::new(std::io::ErrorKind::NotFound, "no such user");
    span.record_exception(&error);
    span.record_exception_with_stacktrace(&error, "at main.rs:1");
    span.end();
    let span = only(&exporter);
    let event = &span.events()[0];
    assert_eq!(event.name(), "exception");
    let get = |e: &spanlite::Event, k: &str| {
        e.attributes()
            .iter()
            .find(|a| a.key().as_str() == k)
            .map(|a| a.value().to_string())
    };
    assert_eq!(
        get(event, "exception.type").as_deref(),
        Some("std::io::error::Error")
    );
    assert_eq!(
        get(event, "exception.message").as_deref(),
        Some("no such user")
    );
    assert_eq!(
        get(&span.events()[1], "exception.stacktrace").as_deref(),
        Some("at main.rs:1")
    );
    assert_eq!(span.status(), &Status::Unset);
}

#[test]
fn explicit_start_end_and_event_timestamps_are_kept() {
    let (_p, tracer, exporter) = pipeline();
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut span = tracer.span_builder("op").with_start_time(start).start();
    span.add_event_with_timestamp("e", start + Duration::from_millis(5), vec![]);
    span.end_with_timestamp(start + Duration::from_millis(10));
    let span = only(&exporter);
    assert_eq!(span.start_time(), start);
    assert_eq!(
        span.events()[0].timestamp(),
        start + Duration::from_millis(5)
    );
    assert_eq!(span.end_time(), start + Duration::from_millis(10));
}

#[test]
fn an_end_time_before_the_start_is_clamped_so_durations_are_never_negative() {
    let (_p, tracer, exporter) = pipeline();
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut span = tracer.span_builder("op").with_start_time(start).start();
    span.end_with_timestamp(start - Duration::from_secs(1));
    let span = only(&exporter);
    assert_eq!(span.end_time(), span.start_time());
}

#[test]
fn a_span_is_exported_once_however_often_it_is_ended() {
    let (_p, tracer, exporter) = pipeline();
    let mut span = tracer.start("op");
    span.end();
    span.end();
    assert!(!span.is_recording());
    span.set_attribute(KeyValue::new("after", "end"));
    drop(span);
    let spans = exporter.finished_spans();
    assert_eq!(spans.len(), 1);
    assert!(spans[0].attributes().is_empty());
}

#[test]
fn dropping_a_span_ends_it() {
    let (_p, tracer, exporter) = pipeline();
    {
        let _span = tracer.start("scoped");
    }
    assert_eq!(only(&exporter).name(), "scoped");
}

#[test]
fn the_builder_sets_kind_attributes_and_links() {
    let (_p, tracer, exporter) = pipeline();
    let target = remote_parent(false).span().span_context().clone();
    tracer
        .span_builder("op")
        .with_kind(SpanKind::Server)
        .with_attributes([KeyValue::new("a", true)])
        .with_links([Link::new(target.clone(), vec![])])
        .start()
        .end();
    let span = only(&exporter);
    assert_eq!(span.kind(), SpanKind::Server);
    assert_eq!(span.attributes(), &[KeyValue::new("a", true)]);
    assert_eq!(span.links()[0].span_context(), &target);
}

#[test]
fn start_attributes_follow_the_attribute_rules_whole_or_one_by_one() {
    let started = |tracer: &Tracer, attributes: Vec<KeyValue>| {
        tracer
            .span_builder("op")
            .with_attributes(attributes)
            .start()
            .end();
    };
    // Distinct keys within the limits: kept as given, in order.
    let (_p, tracer, exporter) = pipeline();
    let given = vec![
        KeyValue::new("a", 1),
        KeyValue::new("b", "two"),
        KeyValue::new("c", true),
    ];
    started(&tracer, given.clone());
    assert_eq!(only(&exporter).attributes(), &given[..]);

    // A repeated key: the last value wins, in the first one's place.
    exporter.reset();
    started(
        &tracer,
        vec![
            KeyValue::new("a", 1),
            KeyValue::new("b", 2),
            KeyValue::new("a", 3),
        ],
    );
    let span = only(&exporter);
    assert_eq!(
        span.attributes(),
        &[KeyValue::new("a", 3), KeyValue::new("b", 2)]
    );
    assert_eq!(span.dropped_attributes_count(), 0);

    // Over the count limit: the first ones kept, the rest counted.
    let limits = SpanLimits::default().with_attribute_count(2);
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_span_limits(limits));
    started(&tracer, given.clone());
    let span = only(&exporter);
    assert_eq!(span.attributes(), &given[..2]);
    assert_eq!(span.dropped_attributes_count(), 1);

    // A value length limit: strings cut.
    let limits = SpanLimits::default().with_attribute_value_length(Some(1));
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_span_limits(limits));
    started(&tracer, given.clone());
    assert_eq!(only(&exporter).attributes()[1], KeyValue::new("b", "t"));
}

/// Name, kind, attribute count, link count, and whether it was a root.
type Asked = (String, SpanKind, usize, usize, bool);

/// Records what it was asked, samples everything, adds an attribute and
/// sets a trace state.
#[derive(Debug, Default)]
struct Inspecting {
    seen: Mutex<Vec<Asked>>,
}

impl Sampler for Inspecting {
    fn should_sample(&self, p: &SamplingParams<'_>) -> SamplingResult {
        let root = !p.parent.span().span_context().is_valid();
        self.seen.lock().unwrap().push((
            p.name.to_owned(),
            p.kind,
            p.attributes.len(),
            p.links.len(),
            root,
        ));
        SamplingResult::with_parts(
            SamplingDecision::RecordAndSample,
            vec![KeyValue::new("sampler.added", true)],
            "sampler=yes".parse().unwrap(),
        )
    }
    fn description(&self) -> String {
        "Inspecting".into()
    }
}

#[test]
fn the_sampler_sees_name_kind_attributes_and_links_and_its_answer_is_applied() {
    let sampler = Arc::new(Inspecting::default());
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_sampler(sampler.clone()));
    tracer
        .span_builder("op")
        .with_kind(SpanKind::Client)
        .with_attributes([KeyValue::new("a", 1), KeyValue::new("b", 2)])
        .with_links([Link::new(
            remote_parent(true).span().span_context().clone(),
            vec![],
        )])
        .start()
        .end();
    assert_eq!(
        sampler.seen.lock().unwrap()[0],
        ("op".to_owned(), SpanKind::Client, 2, 1, true)
    );
    let span = only(&exporter);
    assert!(span
        .attributes()
        .contains(&KeyValue::new("sampler.added", true)));
    assert_eq!(
        span.span_context().trace_state().get("sampler"),
        Some("yes")
    );
}

#[test]
fn a_span_started_by_name_alone_gets_the_sampler_attributes_and_trace_state() {
    let sampler = Arc::new(Inspecting::default());
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_sampler(sampler.clone()));
    let mut span = tracer.start_with_context("plain", &Context::new());
    span.set_attribute(KeyValue::new("own", 1));
    span.end();
    assert_eq!(
        sampler.seen.lock().unwrap()[0],
        ("plain".to_owned(), SpanKind::Internal, 0, 0, true)
    );
    let span = only(&exporter);
    assert_eq!(
        span.attributes(),
        &[
            KeyValue::new("sampler.added", true),
            KeyValue::new("own", 1)
        ]
    );
    assert_eq!(
        span.span_context().trace_state().get("sampler"),
        Some("yes")
    );
}

#[test]
fn the_default_sampler_is_parent_based_always_on() {
    let (_p, tracer, _e) = pipeline();
    assert!(tracer
        .start_with_context("root", &Context::new())
        .is_recording());
    assert!(tracer
        .start_with_context("child", &remote_parent(true))
        .is_recording());
    assert!(!tracer
        .start_with_context("child", &remote_parent(false))
        .is_recording());
}

#[test]
fn after_shutdown_tracers_make_spans_that_do_not_record() {
    let (provider, tracer, exporter) = pipeline();
    provider.shutdown(Duration::from_secs(1)).unwrap();
    let span = tracer.start("late");
    assert!(!span.is_recording());
    drop(span);
    assert!(exporter.finished_spans().is_empty());
}

#[test]
fn shutdown_happens_once_and_flush_after_it_fails() {
    let (provider, _tracer, _exporter) = pipeline();
    assert!(provider.shutdown(Duration::from_secs(1)).is_ok());
    assert!(provider
        .shutdown(Duration::from_secs(1))
        .unwrap_err()
        .is_already_shutdown());
    assert!(provider
        .force_flush(Duration::from_secs(1))
        .unwrap_err()
        .is_already_shutdown());
}

#[test]
fn a_span_ended_after_shutdown_is_counted_as_dropped() {
    let (provider, tracer, exporter) = pipeline();
    let span = tracer.start("in flight");
    provider.shutdown(Duration::from_secs(1)).unwrap();
    drop(span);
    assert!(exporter.finished_spans().is_empty());
    let stats = provider.stats();
    assert_eq!(
        (stats.ended(), stats.exported(), stats.dropped()),
        (1, 0, 1)
    );
}

#[test]
fn the_tracer_scope_and_the_resource_reach_the_exporter() {
    let (provider, _t, exporter) = pipeline();
    let tracer = provider
        .tracer_builder("my-lib")
        .with_version("1.2.3")
        .with_schema_url("https://opentelemetry.io/schemas/1.26.0")
        .with_attributes([KeyValue::new("scope.attr", 1)])
        .build();
    tracer.start("op").end();
    let span = only(&exporter);
    let scope = span.instrumentation_scope();
    assert_eq!(scope.name(), "my-lib");
    assert_eq!(scope.version(), Some("1.2.3"));
    assert_eq!(
        scope.schema_url(),
        Some("https://opentelemetry.io/schemas/1.26.0")
    );
    assert_eq!(scope.attributes().len(), 1);
    assert_eq!(
        span.resource().and_then(|r| r.service_name()),
        Some("tests")
    );
}

#[test]
fn processors_can_add_attributes_on_start() {
    #[derive(Debug)]
    struct Stamp;
    impl SpanProcessor for Stamp {
        fn on_start(&self, span: &mut Span, _parent: &Context) {
            span.set_attribute(KeyValue::new("stamped", true));
        }
        fn on_end(&self, _: &SpanData) {}
        fn force_flush(&self, _: Duration) -> Result<(), PipelineError> {
            Ok(())
        }
        fn shutdown(&self, _: Duration) -> Result<(), PipelineError> {
            Ok(())
        }
    }
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_span_processor(Stamp));
    tracer.start("op").end();
    assert_eq!(
        only(&exporter).attributes(),
        &[KeyValue::new("stamped", true)]
    );
}

#[test]
fn several_processors_share_one_span_without_copying_it() {
    #[derive(Debug, Default)]
    struct Addresses(Mutex<Vec<usize>>);
    impl SpanProcessor for Addresses {
        fn on_end(&self, span: &SpanData) {
            self.0
                .lock()
                .unwrap()
                .push(span.attributes().as_ptr() as usize);
        }
        fn force_flush(&self, _: Duration) -> Result<(), PipelineError> {
            Ok(())
        }
        fn shutdown(&self, _: Duration) -> Result<(), PipelineError> {
            Ok(())
        }
    }
    let seen = Arc::new(Addresses::default());
    let provider = TracerProvider::builder()
        .with_span_processor(seen.clone())
        .with_span_processor(seen.clone())
        .build();
    let mut span = provider.tracer("t").start("op");
    span.set_attribute(KeyValue::new("k", "v"));
    span.end();
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], seen[1]);
}

#[test]
fn a_disabled_sdk_records_nothing() {
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_disabled(true));
    let span = tracer.start("op");
    assert!(!span.is_recording());
    drop(span);
    assert!(exporter.finished_spans().is_empty());
}

#[test]
fn the_span_of_a_context_can_be_recorded_into_and_ended_through_it() {
    let (_p, tracer, exporter) = pipeline();
    let cx = tracer.start("shared").into_context(&Context::new());
    let span = cx.span();
    assert!(span.is_recording());
    span.set_attribute(KeyValue::new("k", 1));
    span.add_event("e", vec![]);
    span.set_status(Status::error("bad"));
    span.update_name("renamed");
    span.end();
    assert!(!cx.span().is_recording());
    let data = only(&exporter);
    assert_eq!(data.name(), "renamed");
    assert_eq!(data.events().len(), 1);
    assert!(data.status().is_error());
}

#[test]
fn ending_a_context_span_ends_it_once_whoever_else_holds_the_context() {
    let (_p, tracer, exporter) = pipeline();
    // The only holder: ended, and its storage may serve the next span.
    let cx = tracer.start("alone").into_context(&Context::new());
    let alone = cx.span().span_context().clone();
    cx.end_span();
    // A clone kept elsewhere: the span ends all the same, and the clone
    // sees it ended; a second end through the clone changes nothing.
    let cx = tracer.start("shared").into_context(&Context::new());
    let kept = cx.clone();
    cx.end_span();
    assert!(!kept.span().is_recording());
    kept.span().set_attribute(KeyValue::new("too late", 1));
    kept.clone().end_span();
    // Spans shared after these get their own identity and data.
    for i in 0..3 {
        let cx = tracer.start("next").into_context(&Context::new());
        cx.span().set_attribute(KeyValue::new("i", i));
        assert!(cx.span().is_recording());
        cx.end_span();
    }
    let spans = exporter.finished_spans();
    let names: Vec<_> = spans.iter().map(|s| s.name().to_owned()).collect();
    assert_eq!(names, ["alone", "shared", "next", "next", "next"]);
    assert_eq!(spans[0].span_context(), &alone);
    assert_eq!(spans[1].span_context(), kept.span().span_context());
    assert!(spans[1].attributes().is_empty());
    for (i, span) in spans[2..].iter().enumerate() {
        assert_eq!(span.attributes(), [KeyValue::new("i", i as i64)]);
        assert_ne!(span.span_context(), &alone);
    }
}

#[test]
fn a_span_that_is_not_sampled_is_carried_in_a_context_as_its_span_context() {
    let (_p, tracer, _e) = pipeline_with(|b| b.with_sampler(AlwaysOff));
    let span = tracer.start("quiet");
    let sc = span.span_context().clone();
    let cx = span.into_context(&Context::new());
    assert_eq!(cx.span().span_context(), &sc);
    assert!(!cx.span().is_recording());
    let child = tracer.start_with_context("child", &cx);
    assert_eq!(child.span_context().trace_id(), sc.trace_id());
}

#[test]
fn a_context_follows_a_future_across_await_and_threads() {
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_sampler(AlwaysOn));
    let parent = tracer.start("request").into_context(&Context::new());
    let parent_id = parent.span().span_context().span_id();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let t = tracer.clone();
    runtime.block_on(
        async move {
            tokio::task::yield_now().await;
            t.start("after await").end();
        }
        .with_context(parent.clone()),
    );
    assert!(!Context::current().has_span());
    let spans = exporter.finished_spans();
    assert_eq!(spans[0].name(), "after await");
    assert_eq!(spans[0].parent_span_id(), parent_id);
}

#[test]
fn the_core_traits_are_object_safe() {
    let exporter: Box<dyn spanlite::SpanExporter> = Box::new(InMemoryExporter::new());
    let processor: Box<dyn SpanProcessor> = Box::new(spanlite::SimpleSpanProcessor::new(exporter));
    let sampler: Box<dyn Sampler> = Box::new(spanlite::ParentBased::new(AlwaysOn));
    let ids: Box<dyn spanlite::IdGenerator> = Box::new(spanlite::RandomIdGenerator);
    let provider = TracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(sampler)
        .with_id_generator(ids)
        .build();
    assert!(provider.tracer("dyn").start("op").is_recording());
}

#[test]
fn simple_processor_shutdown_returns_within_its_timeout_while_an_export_hangs() {
    #[derive(Debug)]
    struct Hang(std::sync::mpsc::Sender<()>);
    impl spanlite::SpanExporter for Hang {
        fn export(
            &mut self,
            _: &[SpanData],
            _: std::time::Instant,
        ) -> Result<(), spanlite::ExportError> {
            let _ = self.0.send(());
            loop {
                std::thread::park();
            }
        }
    }
    let (entered, inside) = std::sync::mpsc::channel();
    let provider = TracerProvider::builder()
        .with_simple_exporter(Hang(entered))
        .build();
    let tracer = provider.tracer("t");
    std::thread::spawn(move || tracer.start("hangs").end());
    inside.recv_timeout(Duration::from_secs(10)).unwrap();
    let started = std::time::Instant::now();
    let result = provider.shutdown(Duration::from_millis(100));
    assert!(result.unwrap_err().is_timeout());
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// A sampler that adds an attribute and says whether it decides by the
/// context alone, as the test needs.
#[derive(Debug)]
struct Tagging {
    context_only: bool,
    calls: Arc<AtomicUsize>,
}

impl Sampler for Tagging {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
        self.calls.fetch_add(1, Ordering::Relaxed);
        SamplingResult::with_attributes(
            SamplingDecision::RecordAndSample,
            vec![
                KeyValue::new("sampler", "tagging"),
                KeyValue::new("shared", "sampler"),
            ],
        )
    }
    fn description(&self) -> String {
        "Tagging".to_owned()
    }
    fn decides_by_context_alone(&self) -> bool {
        self.context_only
    }
}

/// Starts one span through `start_with_fields` under `sampler` with
/// `limits`, setting a name, a kind and `attributes`.
fn started_with_fields(
    sampler: impl Sampler + 'static,
    limits: SpanLimits,
    attributes: Vec<KeyValue>,
) -> SpanData {
    let (_p, tracer, exporter) =
        pipeline_with(|b| b.with_sampler(sampler).with_span_limits(limits));
    let parent = tracer.start("parent").into_context(&Context::new());
    tracer
        .start_with_fields("by callsite", &parent, |fields| {
            fields.set_name("by field");
            fields.set_kind(SpanKind::Client);
            fields.extend(attributes);
        })
        .end();
    parent.end_span();
    let spans = exporter.finished_spans();
    let span = spans.iter().find(|s| s.name() != "parent").unwrap().clone();
    let parent = spans.iter().find(|s| s.name() == "parent").unwrap();
    assert_eq!(span.parent_span_id(), parent.span_context().span_id());
    assert_eq!(
        span.span_context().trace_id(),
        parent.span_context().trace_id()
    );
    span
}

#[test]
fn fields_set_at_start_become_the_span_s_name_kind_and_attributes_after_the_sampler_s() {
    for context_only in [true, false] {
        let calls = Arc::new(AtomicUsize::new(0));
        let sampler = Tagging {
            context_only,
            calls: calls.clone(),
        };
        let span = started_with_fields(
            sampler,
            SpanLimits::default(),
            vec![
                KeyValue::new("route", "/a"),
                KeyValue::new("shared", "field"),
                KeyValue::new("n", 1),
            ],
        );
        assert_eq!(span.name(), "by field", "context_only: {context_only}");
        assert_eq!(span.kind(), SpanKind::Client);
        assert_eq!(
            span.attributes(),
            [
                KeyValue::new("sampler", "tagging"),
                KeyValue::new("shared", "field"),
                KeyValue::new("route", "/a"),
                KeyValue::new("n", 1),
            ],
            "context_only: {context_only}"
        );
        assert_eq!(span.dropped_attributes_count(), 0);
        assert_eq!(calls.load(Ordering::Relaxed), 2, "the parent and the span");
    }
}

#[test]
fn fields_set_at_start_keep_the_last_value_of_a_key_and_the_span_limits() {
    let limits = SpanLimits::default()
        .with_attribute_count(3)
        .with_attribute_value_length(Some(4));
    for sampler in [
        Box::new(AlwaysOn) as Box<dyn Sampler>,
        Box::new(sampler_fn("Reads", |_: &SamplingParams<'_>| true)),
    ] {
        let span = started_with_fields(
            sampler,
            limits,
            vec![
                KeyValue::new("a", "first"),
                KeyValue::new("b", 2),
                KeyValue::new("a", "second"),
                KeyValue::new("c", true),
                KeyValue::new("d", "past the count"),
            ],
        );
        assert_eq!(
            span.attributes(),
            [
                KeyValue::new("a", "seco"),
                KeyValue::new("b", 2),
                KeyValue::new("c", true),
            ]
        );
        assert_eq!(span.dropped_attributes_count(), 1);
    }
}

#[test]
fn a_sampler_that_reads_fields_sees_those_set_at_start() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let sampler = sampler_fn("Keeps", move |params: &SamplingParams<'_>| {
        let keep = params
            .attributes
            .iter()
            .any(|kv| kv == &KeyValue::new("keep", true));
        record
            .lock()
            .unwrap()
            .push((params.name.to_owned(), params.kind, keep));
        keep
    });
    let (_p, tracer, exporter) = pipeline_with(|b| b.with_sampler(sampler));
    for keep in [true, false] {
        let span = tracer.start_with_fields("callsite", &Context::new(), |fields| {
            fields.set_name("renamed");
            fields.set_kind(SpanKind::Server);
            fields.add_attribute(KeyValue::new("keep", keep));
        });
        assert_eq!(span.is_recording(), keep);
    }
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("renamed".to_owned(), SpanKind::Server, true),
            ("renamed".to_owned(), SpanKind::Server, false),
        ]
    );
    assert_eq!(only(&exporter).name(), "renamed");
}

#[test]
fn fields_are_not_gathered_for_a_span_known_not_to_record() {
    let unsampled_parent = remote_parent(false);
    for sampler in [
        Box::new(AlwaysOff) as Box<dyn Sampler>,
        Box::new(ParentBased::new(AlwaysOn)),
        Box::new(TraceIdRatioBased::new(0.0)),
    ] {
        let description = sampler.description();
        let (_p, tracer, exporter) = pipeline_with(|b| b.with_sampler(sampler));
        let mut called = false;
        let span = tracer.start_with_fields("quiet", &unsampled_parent, |_| called = true);
        assert!(!span.is_recording(), "{description}");
        assert!(!called, "{description}");
        assert_eq!(
            span.span_context().trace_id(),
            unsampled_parent.span().span_context().trace_id()
        );
        drop(span);
        assert!(exporter.finished_spans().is_empty());
    }
}
