//! Dropping spans on overload is reported once, not per span. Its own test
//! binary because the diagnostic handler is process-wide.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use spanlite::{
    BatchConfig, BatchSpanProcessor, ExportError, SpanData, SpanExporter, TracerProvider,
};

/// Holds every export until released, so the queue fills.
#[derive(Debug, Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl SpanExporter for Gate {
    fn export(&mut self, _: &[SpanData], _: Instant) -> Result<(), ExportError> {
        let mut open = self.0 .0.lock().unwrap();
        while !*open {
            open = self.0 .1.wait(open).unwrap();
        }
        Ok(())
    }
}

#[test]
fn the_first_dropped_span_is_reported_once_and_every_drop_is_counted() {
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let sink = warnings.clone();
    spanlite::set_diagnostic_handler(move |d| sink.lock().unwrap().push(d.name()));

    let gate = Gate::default();
    let config = BatchConfig::default()
        .with_max_queue_size(4)
        .with_max_export_batch_size(4);
    let provider = TracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::new(gate.clone(), config))
        .build();
    let tracer = provider.tracer("t");
    for _ in 0..100 {
        tracer.start("op").end();
    }
    *gate.0 .0.lock().unwrap() = true;
    gate.0 .1.notify_all();
    provider.force_flush(Duration::from_secs(10)).unwrap();

    let stats = provider.stats();
    assert!(stats.dropped_queue_full() >= 92, "{stats:?}");
    assert_eq!(stats.ended(), stats.exported() + stats.dropped());
    let drops = warnings
        .lock()
        .unwrap()
        .iter()
        .filter(|n| **n == "span_dropped")
        .count();
    assert_eq!(drops, 1);
}
