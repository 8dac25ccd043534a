//! spanlite's warnings raised while the bridge records on a span reach a
//! handler that itself asks for the current context (as a handler logging
//! through `tracing` would). Its own test binary because the diagnostic
//! handler is process-wide.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spanlite::{Context, InMemoryExporter, SpanId, SpanLimits, TracerProvider};
use spanlite_instrumentation::SpanliteLayer;
use tracing_subscriber::prelude::*;

#[test]
fn a_warning_handler_asking_for_the_current_context_sees_the_span_being_recorded_on() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    spanlite::set_diagnostic_handler(move |d| {
        let current = Context::current().span().span_context().span_id();
        sink.lock().unwrap().push((d.name(), current));
    });
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_span_limits(SpanLimits::default().with_event_count(1))
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = SpanliteLayer::new(provider.tracer("bridge"));
    // On a thread of its own, so a deadlock fails the test instead of
    // hanging it.
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let subscriber = tracing_subscriber::registry().with(layer);
        let id = tracing::subscriber::with_default(subscriber, || {
            let _span = tracing::info_span!("busy").entered();
            tracing::info!("kept");
            // Past the event limit: the SDK warns while the bridge records.
            tracing::info!("dropped");
            Context::current().span().span_context().span_id()
        });
        // The span has ended (and been exported) by now.
        done.send(id).unwrap();
    });
    let id: SpanId = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("recording past a span limit deadlocked with the warning handler");
    assert!(id.is_valid());
    assert_eq!(*seen.lock().unwrap(), vec![("span_limit_reached", id)]);
    let spans = exporter.finished_spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].events().len(), 1);
}
