//! One call for the common case: read the environment, install a batch
//! pipeline.

use spanlite::{
    report_diagnostic, BatchSpanProcessor, ConsoleExporter, TracerProvider, TracerProviderBuilder,
};

use super::{OtlpConfig, OtlpConfigError, OtlpHttpExporter};

/// A tracer provider configured from the environment: `OTEL_TRACES_EXPORTER`
/// (`otlp`, the default; `jaeger` with the `OTEL_EXPORTER_JAEGER_*`
/// variables; `zipkin` with `OTEL_EXPORTER_ZIPKIN_*`; `console`; `none`;
/// a comma-separated list installs each), the `OTEL_EXPORTER_OTLP_*`
/// variables ([`OtlpConfig::from_env`]), `OTEL_BSP_*`, the sampler,
/// resource and limit variables of the SDK. Spans go through a batch
/// processor per exporter. Shut the provider down (or drop it) before
/// exiting.
///
/// ```no_run
/// let provider = spanlite_exporters::otlp::init().expect("a valid OTLP endpoint");
/// provider.tracer("app").in_span("main", |_| { /* work */ });
/// provider.shutdown(std::time::Duration::from_secs(5)).ok();
/// ```
pub fn init() -> Result<TracerProvider, OtlpConfigError> {
    let mut builder = TracerProvider::builder();
    let value = std::env::var("OTEL_TRACES_EXPORTER").unwrap_or_default();
    let mut names: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        names.push("otlp");
    }
    names.dedup();
    for name in names {
        builder = add_exporter(builder, name)?;
    }
    Ok(builder.build())
}

fn add_exporter(
    builder: TracerProviderBuilder,
    name: &str,
) -> Result<TracerProviderBuilder, OtlpConfigError> {
    let batch = |builder: TracerProviderBuilder, exporter| {
        builder.with_span_processor(BatchSpanProcessor::from_env(exporter))
    };
    Ok(match name {
        "otlp" => batch(
            builder,
            Box::new(OtlpHttpExporter::new(OtlpConfig::from_env())?)
                as Box<dyn spanlite::SpanExporter>,
        ),
        #[cfg(feature = "jaeger")]
        "jaeger" => {
            use crate::jaeger::{JaegerAgentExporter, JaegerCollectorExporter, JaegerConfig};
            let config = JaegerConfig::from_env();
            let exporter: Box<dyn spanlite::SpanExporter> = if config.protocol().is_udp() {
                Box::new(
                    JaegerAgentExporter::new(config).map_err(|e| OtlpConfigError(e.to_string()))?,
                )
            } else {
                Box::new(
                    JaegerCollectorExporter::new(config)
                        .map_err(|e| OtlpConfigError(e.to_string()))?,
                )
            };
            batch(builder, exporter)
        }
        #[cfg(feature = "zipkin")]
        "zipkin" => {
            use crate::zipkin::{ZipkinConfig, ZipkinExporter};
            let exporter = ZipkinExporter::new(ZipkinConfig::from_env())
                .map_err(|e| OtlpConfigError(e.to_string()))?;
            batch(builder, Box::new(exporter))
        }
        "console" | "logging" => batch(builder, Box::new(ConsoleExporter::new())),
        "none" => builder,
        other => {
            report_diagnostic(
                "invalid_env_var",
                format_args!(
                    "OTEL_TRACES_EXPORTER={other:?} is not otlp, jaeger, zipkin, console or none; using otlp"
                ),
            );
            batch(
                builder,
                Box::new(OtlpHttpExporter::new(OtlpConfig::from_env())?),
            )
        }
    })
}
