//! One tracer provider per service, all feeding the run's sink.

use std::time::Duration;

use spanlite::{BatchSpanProcessor, Resource, SimpleSpanProcessor, Tracer, TracerProvider};
use spanlite_exporters::otlp::OtlpHttpExporter;

use super::shared_console::SharedConsole;
use super::{DemoError, Sink};

/// The instrumentation scope of the demo's own spans.
const SCOPE: &str = "spanlite-examples/demo";
/// How long each provider may take to deliver its last spans.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// The providers of a run, in the order they were made.
#[derive(Debug)]
pub(crate) struct Telemetry {
    sink: Sink,
    console: Option<SharedConsole>,
    providers: Vec<TracerProvider>,
}

impl Telemetry {
    /// Providers for `sink`; `live` prints console traces as they end.
    pub(crate) fn new(sink: Sink, live: bool) -> Telemetry {
        let console = matches!(sink, Sink::Console).then(|| SharedConsole::new(live));
        Telemetry {
            sink,
            console,
            providers: Vec::new(),
        }
    }

    /// A tracer of a new provider whose resource names `service`.
    pub(crate) fn tracer_for(&mut self, service: &'static str) -> Result<Tracer, DemoError> {
        let builder = TracerProvider::builder()
            .with_resource(Resource::builder().with_service_name(service).build());
        let builder = match (&self.sink, &self.console) {
            (Sink::Otlp(config), _) => {
                let exporter = OtlpHttpExporter::new(config.clone())
                    .map_err(|e| DemoError::new("configuring the OTLP exporter", e))?;
                builder.with_span_processor(BatchSpanProcessor::from_env(exporter))
            }
            (Sink::InMemory(exporter), _) => {
                builder.with_span_processor(SimpleSpanProcessor::new(exporter.clone()))
            }
            (Sink::Console, Some(console)) => {
                builder.with_span_processor(SimpleSpanProcessor::new(console.exporter()))
            }
            (Sink::Console, None) => builder,
        };
        let provider = builder.build();
        let tracer = provider.tracer(SCOPE);
        self.providers.push(provider);
        Ok(tracer)
    }

    /// Shuts every provider down in order, then prints what the console
    /// holds. Reports the first failure (an error, or spans dropped) after
    /// trying everything.
    pub(crate) fn shutdown(self) -> Result<(), DemoError> {
        let mut result = Ok(());
        for provider in &self.providers {
            let service = provider.resource().service_name().unwrap_or("?");
            let step = format!("delivering the spans of {service}");
            if let Err(e) = provider.shutdown(SHUTDOWN_TIMEOUT) {
                result = result.and(Err(DemoError::new(&step, e)));
            }
            let dropped = provider.stats().dropped();
            if dropped > 0 {
                let why = format!("{dropped} spans were dropped");
                result = result.and(Err(DemoError::new(&step, why)));
            }
        }
        if let Some(console) = &self.console {
            if let Err(e) = console.finish() {
                result = result.and(Err(DemoError::new("printing the traces", e)));
            }
        }
        result
    }
}
