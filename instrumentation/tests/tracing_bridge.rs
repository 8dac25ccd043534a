//! The `tracing` bridge: nesting, fields, events, errors, async, and the
//! spanlite context of the current `tracing` span.

use spanlite::{Context, InMemoryExporter, SpanData, SpanKind, Status, TracerProvider, Value};
use spanlite_instrumentation::{log_correlation, SpanliteLayer};
use tracing::Instrument as _;
use tracing_subscriber::prelude::*;

/// A provider exporting each span to memory as it ends.
fn recording() -> (TracerProvider, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    (provider, exporter)
}

fn run(f: impl FnOnce(&spanlite::Tracer)) -> Vec<SpanData> {
    let (provider, exporter) = recording();
    let tracer = provider.tracer("bridge");
    let subscriber = tracing_subscriber::registry().with(SpanliteLayer::new(tracer.clone()));
    tracing::subscriber::with_default(subscriber, || f(&tracer));
    exporter.finished_spans()
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name() == name)
        .unwrap_or_else(|| panic!("no span {name}: {spans:?}"))
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes()
        .iter()
        .find(|kv| kv.key().as_str() == key)
        .map(|kv| kv.value())
}

#[test]
fn nested_tracing_spans_become_parent_and_child() {
    let spans = run(|_| {
        let _outer = tracing::info_span!("outer").entered();
        let _inner = tracing::info_span!("inner").entered();
    });
    let (outer, inner) = (named(&spans, "outer"), named(&spans, "inner"));
    assert_eq!(inner.parent_span_id(), outer.span_context().span_id());
    assert_eq!(
        inner.span_context().trace_id(),
        outer.span_context().trace_id()
    );
    assert!(!outer.parent_span_id().is_valid());
}

#[test]
fn each_span_keeps_its_own_string_values_whether_they_repeat_or_not() {
    let routes = ["/a", "/b", "/b", "/a", "/a", "/c"];
    let spans = run(|_| {
        for (i, route) in routes.iter().enumerate() {
            let _s = tracing::info_span!("request", i = i as i64, route = *route).entered();
        }
    });
    assert_eq!(spans.len(), routes.len());
    for span in &spans {
        let Some(Value::I64(i)) = attribute(span, "i") else {
            panic!("no index: {span:?}");
        };
        assert_eq!(
            attribute(span, "route"),
            Some(&Value::from(routes[*i as usize])),
            "{span:?}"
        );
    }
}

#[test]
fn fields_become_attributes_with_their_types() {
    let spans = run(|_| {
        let _s = tracing::info_span!("typed", b = true, i = -3i64, u = u64::MAX, f = 1.5, s = "text", d = ?vec![1, 2]).entered();
    });
    let span = named(&spans, "typed");
    assert_eq!(attribute(span, "b"), Some(&Value::Bool(true)));
    assert_eq!(attribute(span, "i"), Some(&Value::I64(-3)));
    assert_eq!(
        attribute(span, "u"),
        Some(&Value::from(u64::MAX.to_string()))
    );
    assert_eq!(attribute(span, "f"), Some(&Value::F64(1.5)));
    assert_eq!(attribute(span, "s").and_then(Value::as_str), Some("text"));
    assert_eq!(attribute(span, "d").and_then(Value::as_str), Some("[1, 2]"));
}

#[test]
fn fields_recorded_later_are_added() {
    let spans = run(|_| {
        let span = tracing::info_span!("late", status = tracing::field::Empty);
        span.record("status", 200);
    });
    assert_eq!(
        attribute(named(&spans, "late"), "status"),
        Some(&Value::I64(200))
    );
}

#[test]
fn otel_name_and_otel_kind_fields_override_name_and_kind() {
    let spans = run(|_| {
        let _s = tracing::info_span!(
            "handler",
            otel.name = "GET /users/{id}",
            otel.kind = "server"
        )
        .entered();
    });
    let span = named(&spans, "GET /users/{id}");
    assert_eq!(span.kind(), SpanKind::Server);
}

#[test]
fn events_become_span_events_and_error_events_set_the_status() {
    let spans = run(|_| {
        let _s = tracing::info_span!("work").entered();
        tracing::info!(rows = 3, "query done");
        tracing::error!("disk full");
    });
    let span = named(&spans, "work");
    assert_eq!(span.events()[0].name(), "query done");
    assert!(span.events()[0]
        .attributes()
        .iter()
        .any(|kv| kv.key().as_str() == "rows"));
    assert_eq!(span.events()[1].name(), "disk full");
    assert_eq!(span.status(), &Status::error("disk full"));
}

#[test]
fn an_error_field_marks_the_span_as_failed() {
    let spans = run(|_| {
        let _s = tracing::info_span!("failing", error = true).entered();
    });
    assert!(named(&spans, "failing").status().is_error());
}

#[test]
fn an_entered_tracing_span_is_the_current_spanlite_context() {
    let mut seen = None;
    let spans = run(|tracer| {
        let _s = tracing::info_span!("request").entered();
        seen = log_correlation();
        tracer.start("manual child").end();
    });
    let request = named(&spans, "request");
    let ids = seen.expect("ids inside the span");
    assert_eq!(ids.span_id(), request.span_context().span_id());
    assert_eq!(
        named(&spans, "manual child").parent_span_id(),
        request.span_context().span_id()
    );
    assert!(
        !Context::current().has_span(),
        "the context is restored after exit"
    );
}

#[test]
fn a_tracing_root_continues_the_current_spanlite_span() {
    let spans = run(|tracer| {
        tracer.in_span("http request", |_| {
            let _s = tracing::info_span!("handler").entered();
        });
    });
    assert_eq!(
        named(&spans, "handler").parent_span_id(),
        named(&spans, "http request").span_context().span_id()
    );
}

#[test]
fn the_values_of_the_context_a_tracing_root_starts_in_reach_its_descendants() {
    /// A value the application keeps in its context (as baggage is).
    #[derive(Debug, PartialEq)]
    struct Tenant(&'static str);
    let mut seen = Vec::new();
    run(|_| {
        let _guard = Context::current().with_value(Tenant("acme")).attach();
        let _root = tracing::info_span!("root").entered();
        {
            // The child starts while the root's span is still owned by the
            // layer (nobody asked for its context yet).
            let _child = tracing::info_span!("child").entered();
            seen.push(Context::map_current(|cx| cx.get::<Tenant>().map(|t| t.0)));
            // A grandchild of a span whose context was asked for.
            let _grandchild = tracing::info_span!("grandchild").entered();
            seen.push(Context::map_current(|cx| cx.get::<Tenant>().map(|t| t.0)));
        }
        seen.push(Context::map_current(|cx| cx.get::<Tenant>().map(|t| t.0)));
    });
    assert_eq!(seen, vec![Some("acme"); 3]);
}

#[test]
fn spans_follow_futures_across_await() {
    let spans = run(|tracer| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(
            async {
                tokio::task::yield_now().await;
                tracing::info!("after await");
                tracer.start("inside").end();
            }
            .instrument(tracing::info_span!("task")),
        );
    });
    let task = named(&spans, "task");
    assert_eq!(task.events()[0].name(), "after await");
    assert_eq!(
        named(&spans, "inside").parent_span_id(),
        task.span_context().span_id()
    );
}

/// Asserts that each span id seen is that of the span named beside it.
fn assert_seen(spans: &[SpanData], seen: Vec<(&str, spanlite::SpanId)>) {
    for (name, id) in seen {
        assert_eq!(id, named(spans, name).span_context().span_id(), "{name}");
    }
}

/// The span current inside `f`, as the spanlite context sees it.
fn current_span_id() -> spanlite::SpanId {
    Context::current().span().span_context().span_id()
}

#[test]
fn entering_a_span_other_than_the_last_started_makes_that_span_current() {
    let mut inside = Vec::new();
    let spans = run(|_| {
        let first = tracing::info_span!("first");
        let second = tracing::info_span!("second");
        first.in_scope(|| inside.push(("first", current_span_id())));
        second.in_scope(|| inside.push(("second", current_span_id())));
        // Again, now that neither is the thread's last started span.
        first.in_scope(|| inside.push(("first", current_span_id())));
    });
    assert_seen(&spans, inside);
}

#[test]
fn a_span_started_on_one_thread_and_entered_on_another_is_current_there() {
    let mut seen = None;
    let spans = run(|_| {
        let span = tracing::info_span!("moved");
        let dispatch = tracing::dispatcher::get_default(|d| d.clone());
        seen = std::thread::spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                let _entered = span.enter();
                // A span started here meanwhile is not the entered one.
                let _other = tracing::info_span!("other");
                current_span_id()
            })
        })
        .join()
        .ok();
    });
    assert_eq!(seen, Some(named(&spans, "moved").span_context().span_id()));
}

#[test]
fn a_span_ended_through_its_context_is_still_current_when_entered() {
    let mut seen = None;
    let spans = run(|_| {
        let span = tracing::info_span!("ended early");
        span.in_scope(|| Context::current().span().end());
        // Entered again after its spanlite span ended: the same context.
        span.in_scope(|| seen = Some(current_span_id()));
    });
    assert_eq!(spans.len(), 1);
    assert_eq!(
        seen,
        Some(named(&spans, "ended early").span_context().span_id())
    );
}

#[test]
fn a_context_kept_past_its_span_still_names_that_span_and_no_longer_records() {
    let mut kept = None;
    let spans = run(|_| {
        tracing::info_span!("kept").in_scope(|| kept = Some(Context::current()));
        // Later spans reuse the storage of ended spans that nothing holds;
        // the kept context holds its span, so they must not reuse it.
        for _ in 0..4 {
            let _s = tracing::info_span!("later", n = 1).entered();
            Context::current()
                .span()
                .set_attribute(spanlite::KeyValue::new("later", true));
        }
    });
    let kept = kept.expect("a context inside the span");
    assert_eq!(
        kept.span().span_context().span_id(),
        named(&spans, "kept").span_context().span_id()
    );
    assert!(!kept.span().is_recording());
    kept.span()
        .set_attribute(spanlite::KeyValue::new("after end", true));
    let later: Vec<_> = spans.iter().filter(|s| s.name() == "later").collect();
    assert_eq!(later.len(), 4);
    let ids: std::collections::HashSet<_> =
        later.iter().map(|s| s.span_context().span_id()).collect();
    assert_eq!(ids.len(), 4, "each later span has its own identity");
    for span in later {
        assert_eq!(attribute(span, "later"), Some(&Value::Bool(true)));
    }
    assert!(attribute(named(&spans, "kept"), "after end").is_none());
}

#[test]
fn spans_closed_in_turn_reuse_storage_without_mixing_their_data() {
    let spans = run(|_| {
        for i in 0..100i64 {
            let _s = tracing::info_span!("turn", i = i).entered();
            Context::current()
                .span()
                .set_attribute(spanlite::KeyValue::new("again", i));
        }
    });
    assert_eq!(spans.len(), 100);
    let mut ids = std::collections::HashSet::new();
    for span in &spans {
        assert_eq!(attribute(span, "i"), attribute(span, "again"), "{span:?}");
        assert!(ids.insert(span.span_context().span_id()));
    }
}

#[test]
fn a_sampler_that_reads_attributes_sees_the_fields_and_the_otel_overrides() {
    use spanlite::{AlwaysOff, AlwaysOn, RuleBased, SpanMatcher};
    let exporter = InMemoryExporter::new();
    // Keep only server spans named "checkout" whose `tenant` field is "a".
    let sampler = RuleBased::builder()
        .rule(
            SpanMatcher::new()
                .name("checkout")
                .kind(SpanKind::Server)
                .attribute("tenant", "a"),
            AlwaysOn,
        )
        .build(AlwaysOff);
    let provider = TracerProvider::builder()
        .with_sampler(sampler)
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber =
        tracing_subscriber::registry().with(SpanliteLayer::new(provider.tracer("bridge")));
    tracing::subscriber::with_default(subscriber, || {
        for tenant in ["a", "b"] {
            let _s = tracing::info_span!(
                "handler",
                otel.name = "checkout",
                otel.kind = "server",
                tenant
            )
            .entered();
        }
        let _s = tracing::info_span!("handler", tenant = "a").entered();
    });
    let spans = exporter.finished_spans();
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(spans[0].name(), "checkout");
    assert_eq!(spans[0].kind(), SpanKind::Server);
    assert_eq!(attribute(&spans[0], "tenant"), Some(&Value::from("a")));
}

/// A layer that, like a structured-log layer, asks for the log correlation
/// ids of every event from inside its callback (where `tracing` shows no
/// current dispatcher).
struct Correlating(std::sync::Arc<std::sync::Mutex<Vec<Option<spanlite::SpanId>>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Correlating {
    fn on_event(
        &self,
        _event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let ids = log_correlation().map(|ids| ids.span_id());
        self.0.lock().unwrap().push(ids);
    }
}

#[test]
fn a_log_layer_sees_the_entered_span_from_inside_its_event_callback() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (provider, exporter) = recording();
    let subscriber = tracing_subscriber::registry()
        .with(SpanliteLayer::new(provider.tracer("bridge")))
        .with(Correlating(seen.clone()));
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("outside");
        let _outer = tracing::info_span!("outer").entered();
        tracing::info!("in outer");
        let _inner = tracing::info_span!("inner").entered();
        tracing::info!("in inner");
    });
    let spans = exporter.finished_spans();
    let id = |name| Some(named(&spans, name).span_context().span_id());
    assert_eq!(*seen.lock().unwrap(), vec![None, id("outer"), id("inner")]);
}

#[test]
fn a_context_attached_inside_a_tracing_span_is_current_until_its_guard_drops() {
    let mut inside = Vec::new();
    let spans = run(|tracer| {
        let _s = tracing::info_span!("tracing span").entered();
        inside.push(("tracing span", current_span_id()));
        {
            let _g = tracer
                .start("attached")
                .into_context(&Context::current())
                .attach();
            inside.push(("attached", current_span_id()));
        }
        inside.push(("tracing span", current_span_id()));
    });
    assert_eq!(inside.len(), 3);
    assert_seen(&spans, inside);
    assert_eq!(
        named(&spans, "attached").parent_span_id(),
        named(&spans, "tracing span").span_context().span_id()
    );
}

#[test]
fn a_tracing_span_entered_inside_an_attached_context_is_current_while_entered() {
    let mut inside = Vec::new();
    let spans = run(|tracer| {
        let _g = tracer
            .start("attached")
            .into_context(&Context::new())
            .attach();
        {
            let _s = tracing::info_span!("tracing span").entered();
            inside.push(("tracing span", current_span_id()));
        }
        inside.push(("attached", current_span_id()));
    });
    assert_seen(&spans, inside);
}

#[test]
fn events_and_fields_land_on_the_span_before_and_after_code_asks_for_its_context() {
    let spans = run(|_| {
        let span = tracing::info_span!(
            "request",
            before = tracing::field::Empty,
            after = tracing::field::Empty
        );
        let _s = span.enter();
        tracing::info!("first");
        span.record("before", 1);
        // From here the span is shared through its context.
        Context::current()
            .span()
            .set_attribute(spanlite::KeyValue::new("through context", true));
        tracing::info!("second");
        span.record("after", 2);
    });
    let request = named(&spans, "request");
    let events: Vec<_> = request
        .events()
        .iter()
        .map(|e| e.name().to_owned())
        .collect();
    assert_eq!(events, ["first", "second"]);
    assert_eq!(attribute(request, "before"), Some(&Value::I64(1)));
    assert_eq!(attribute(request, "after"), Some(&Value::I64(2)));
    assert_eq!(
        attribute(request, "through context"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn a_span_entered_under_another_dispatcher_set_inside_is_still_current() {
    let mut seen = None;
    let spans = run(|_| {
        let _s = tracing::info_span!("outer dispatcher").entered();
        let other = tracing::Dispatch::new(tracing_subscriber::registry());
        tracing::dispatcher::with_default(&other, || seen = Some(current_span_id()));
    });
    assert_eq!(
        seen,
        Some(named(&spans, "outer dispatcher").span_context().span_id())
    );
}

#[test]
fn asking_again_during_one_enter_gives_the_same_span_and_inner_spans_their_own() {
    let mut inside = Vec::new();
    let spans = run(|_| {
        let _a = tracing::info_span!("a").entered();
        inside.push(("a", current_span_id()));
        inside.push(("a", current_span_id()));
        {
            let _b = tracing::info_span!("b").entered();
            inside.push(("b", current_span_id()));
            inside.push(("b", current_span_id()));
        }
        inside.push(("a", current_span_id()));
    });
    assert_eq!(inside.len(), 5);
    assert_seen(&spans, inside);
}

#[test]
fn a_parent_a_filter_left_out_gives_its_children_the_nearest_ancestor_bridged() {
    use tracing_subscriber::filter::filter_fn;
    let (provider, exporter) = recording();
    let layer = SpanliteLayer::new(provider.tracer("bridge"))
        .with_filter(filter_fn(|metadata| metadata.name() != "hidden"));
    // Another layer sees every span, so `tracing` makes the hidden one.
    let subscriber = tracing_subscriber::registry().with(layer).with(Sees);
    tracing::subscriber::with_default(subscriber, || {
        // Nothing bridged is entered: only the registry knows the way up.
        let outer = tracing::info_span!("outer");
        let hidden = tracing::info_span!(parent: &outer, "hidden");
        assert!(hidden.id().is_some());
        hidden.in_scope(|| drop(tracing::info_span!("inner")));
        drop(tracing::info_span!(parent: &hidden, "explicit"));
    });
    let spans = exporter.finished_spans();
    assert!(spans.iter().all(|s| s.name() != "hidden"), "{spans:?}");
    let outer = named(&spans, "outer").span_context().span_id();
    assert_eq!(named(&spans, "inner").parent_span_id(), outer);
    assert_eq!(named(&spans, "explicit").parent_span_id(), outer);
}

/// A layer that sees every span and does nothing.
struct Sees;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Sees {}

/// Asks for the current context whenever a span ends, as a processor
/// stamping logs or metrics might.
#[derive(Debug, Default)]
struct AsksOnEnd(std::sync::Mutex<Vec<(String, spanlite::SpanId)>>);

impl spanlite::SpanProcessor for AsksOnEnd {
    fn on_end(&self, span: &SpanData) {
        let current = Context::current().span().span_context().span_id();
        self.0
            .lock()
            .unwrap()
            .push((span.name().to_string(), current));
    }

    fn force_flush(&self, _: std::time::Duration) -> Result<(), spanlite::PipelineError> {
        Ok(())
    }

    fn shutdown(&self, _: std::time::Duration) -> Result<(), spanlite::PipelineError> {
        Ok(())
    }
}

#[test]
fn a_processor_asking_for_the_current_context_as_a_span_ends_sees_the_entered_one() {
    let asks = std::sync::Arc::new(AsksOnEnd::default());
    let provider = TracerProvider::builder()
        .with_span_processor(asks.clone())
        .build();
    let layer = SpanliteLayer::new(provider.tracer("bridge"));
    let mut outer_id = spanlite::SpanId::INVALID;
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        let outer = tracing::info_span!("outer").entered();
        outer_id = current_span_id();
        // Closed while the outer span is entered; its end asks for the
        // outer span's context (from the same table, after the inner span
        // left it).
        tracing::info_span!("inner").in_scope(|| {});
        drop(outer);
    });
    let asked = asks.0.lock().unwrap().clone();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[0], ("inner".to_string(), outer_id));
    assert_eq!(asked[1].0, "outer");
    assert!(outer_id.is_valid());
}

/// A layer of the user's own that asks for the current context while it
/// holds the current span's extensions.
struct AsksHoldingExtensions(std::sync::Arc<std::sync::Mutex<Vec<spanlite::SpanId>>>);

impl<S> tracing_subscriber::Layer<S> for AsksHoldingExtensions
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_event(&self, _: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if let Some(span) = ctx.lookup_current() {
            let mut extensions = span.extensions_mut();
            extensions.replace(1u8);
            let id = Context::current().span().span_context().span_id();
            self.0.lock().unwrap().push(id);
        }
    }
}

#[test]
fn a_layer_may_ask_for_the_current_context_while_it_holds_the_span_s_extensions() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut entered = spanlite::SpanId::INVALID;
    let spans = run(|tracer| {
        let subscriber = tracing_subscriber::registry()
            .with(SpanliteLayer::new(tracer.clone()))
            .with(AsksHoldingExtensions(seen.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let _span = tracing::info_span!("held").entered();
            entered = current_span_id();
            tracing::info!("asks");
        });
    });
    assert!(entered.is_valid());
    assert_eq!(*seen.lock().unwrap(), vec![entered]);
    assert_eq!(named(&spans, "held").span_context().span_id(), entered);
}

#[test]
fn spans_open_when_the_layer_is_replaced_end_with_it() {
    let (provider, exporter) = recording();
    let (layer, handle) =
        tracing_subscriber::reload::Layer::new(SpanliteLayer::new(provider.tracer("first")));
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        let open = tracing::info_span!("open across the reload", n = 1).entered();
        handle
            .reload(SpanliteLayer::new(provider.tracer("second")))
            .unwrap();
        // Ended when the first layer went away; the second never saw it.
        assert_eq!(exporter.finished_spans().len(), 1);
        drop(open);
        let _after = tracing::info_span!("after the reload").entered();
    });
    let spans = exporter.finished_spans();
    assert_eq!(spans.len(), 2, "{spans:?}");
    let open = named(&spans, "open across the reload");
    assert_eq!(attribute(open, "n"), Some(&Value::I64(1)));
    assert_eq!(open.instrumentation_scope().name(), "first");
    assert_eq!(
        named(&spans, "after the reload")
            .instrumentation_scope()
            .name(),
        "second"
    );
}
