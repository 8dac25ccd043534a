//! One call for the common case: read the environment, install a batch
//! pipeline.

use spanlite::{report_diagnostic, BatchSpanProcessor, ConsoleExporter, TracerProvider};

use super::{OtlpConfig, OtlpConfigError, OtlpHttpExporter};

/// A tracer provider configured from the environment: `OTEL_TRACES_EXPORTER`
/// (`otlp`, the default; `console`; `none`), the `OTEL_EXPORTER_OTLP_*`
/// variables ([`OtlpConfig::from_env`]), `OTEL_BSP_*`, the sampler,
/// resource and limit variables of the SDK. Spans go through a batch
/// processor. Shut the provider down (or drop it) before exiting.
///
/// ```no_run
/// let provider = spanlite_exporters::otlp::init().expect("a valid OTLP endpoint");
/// provider.tracer("app").in_span("main", |_| { /* work */ });
/// provider.shutdown(std::time::Duration::from_secs(5)).ok();
/// ```
pub fn init() -> Result<TracerProvider, OtlpConfigError> {
    let builder = TracerProvider::builder();
    let exporter = std::env::var("OTEL_TRACES_EXPORTER").unwrap_or_default();
    let builder = match exporter.trim() {
        "" | "otlp" => builder.with_span_processor(BatchSpanProcessor::from_env(
            OtlpHttpExporter::new(OtlpConfig::from_env())?,
        )),
        "console" | "logging" => {
            builder.with_span_processor(BatchSpanProcessor::from_env(ConsoleExporter::new()))
        }
        "none" => builder,
        other => {
            report_diagnostic(
                "invalid_env_var",
                format_args!(
                    "OTEL_TRACES_EXPORTER={other:?} is not otlp, console or none; using otlp"
                ),
            );
            builder.with_span_processor(BatchSpanProcessor::from_env(OtlpHttpExporter::new(
                OtlpConfig::from_env(),
            )?))
        }
    };
    Ok(builder.build())
}
