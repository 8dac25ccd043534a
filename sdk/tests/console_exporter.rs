//! The console exporter's waterfall, pinned as a snapshot.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use spanlite::{
    ConsoleExporter, Context, IdGenerator, Resource, SpanId, Status, TraceId, TracerProvider,
};

/// Ids 1, 2, 3, ... so the output is stable.
#[derive(Debug, Default)]
struct Sequential(AtomicU64);

impl IdGenerator for Sequential {
    fn new_trace_id(&self) -> TraceId {
        TraceId::from_int(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736)
    }
    fn new_span_id(&self) -> SpanId {
        SpanId::from_int(self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
}

#[test]
fn a_finished_trace_prints_as_an_indented_waterfall_when_its_root_ends() {
    let out = Shared::default();
    let provider = TracerProvider::builder()
        .with_resource(Resource::builder().with_service_name("api-gateway").build())
        .with_id_generator(Sequential::default())
        .with_simple_exporter(ConsoleExporter::with_writer(out.clone()))
        .build();
    let tracer = provider.tracer("console");

    let root = tracer
        .span_builder("GET /checkout")
        .with_start_time(at(0))
        .start();
    let root_cx = root.into_context(&Context::new());
    let mut auth = tracer
        .span_builder("verify token")
        .with_start_time(at(20))
        .with_parent(&root_cx)
        .start();
    let auth_cx = auth.span_context().clone();
    let mut db = tracer
        .span_builder("SELECT users")
        .with_start_time(at(25))
        .with_parent(&Context::new().with_span_context(auth_cx))
        .start();
    db.end_with_timestamp(at(45));
    auth.end_with_timestamp(at(70));
    let mut cart = tracer
        .span_builder("load cart")
        .with_start_time(at(80))
        .with_parent(&root_cx)
        .start();
    cart.set_status(Status::error("cache down"));
    cart.end_with_timestamp(at(200));
    assert!(
        out.0.lock().unwrap().is_empty(),
        "nothing is printed before the root ends"
    );

    root_cx.span().end_with_timestamp(at(200));
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let expected = "\
trace 4bf92f3577b34da6a3ce929d0e0e4736 (4 spans, 200.00 ms)
  api-gateway  GET /checkout      200.00 ms |████████████████████████████████████████|
  api-gateway  └ verify token      50.00 ms |    ██████████                          |
  api-gateway    └ SELECT users    20.00 ms |     ████                               |
  api-gateway  └ load cart        120.00 ms |                ████████████████████████| ERROR
";
    assert_eq!(text, expected, "\n{text}");
}

#[test]
fn spans_whose_root_never_ends_here_are_printed_on_flush() {
    let out = Shared::default();
    let provider = TracerProvider::builder()
        .with_resource(Resource::builder().with_service_name("worker").build())
        .with_simple_exporter(ConsoleExporter::with_writer(out.clone()))
        .build();
    let tracer = provider.tracer("console");
    let parent = tracer
        .start("never ends here")
        .into_context(&Context::new());
    tracer.start_with_context("child", &parent).end();
    assert!(out.0.lock().unwrap().is_empty());
    provider.force_flush(Duration::from_secs(1)).unwrap();
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(text.starts_with("trace "), "{text}");
    assert!(text.contains("(1 span, "), "{text}");
    assert!(text.contains("  worker  child "), "{text}");
}

#[test]
fn a_root_that_comes_before_its_children_in_a_batch_still_prints_the_whole_tree() {
    use spanlite::{InMemoryExporter, SpanExporter};
    let collected = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(collected.clone())
        .build();
    let tracer = provider.tracer("console");
    tracer.in_span("root", |_| {
        tracer.start("child a").end();
        tracer.start("child b").end();
    });
    let mut spans = collected.finished_spans();
    spans.reverse(); // root first, as a drain of several thread buffers may deliver it
    assert_eq!(spans[0].name(), "root");

    let out = Shared::default();
    let mut console = ConsoleExporter::with_writer(out.clone());
    console.export(&spans, std::time::Instant::now()).unwrap();
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.matches("trace ").count(), 1, "{text}");
    assert!(text.contains("(3 spans, "), "{text}");
    assert!(
        text.contains("└ child a") && text.contains("└ child b"),
        "{text}"
    );
}
