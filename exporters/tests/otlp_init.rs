//! `otlp::init` and `OTEL_TRACES_EXPORTER`, in their own process because
//! they read the environment.

use std::sync::Mutex;
use std::time::Duration;

/// The tests of this binary take turns with the process environment.
static ENV: Mutex<()> = Mutex::new(());

#[test]
fn init_reads_the_exporter_and_endpoint_from_the_environment() {
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_var("OTEL_TRACES_EXPORTER", "none");
    let provider = spanlite_exporters::otlp::init().unwrap();
    provider.tracer("t").start("op").end();
    assert_eq!(
        provider.stats().ended(),
        0,
        "no processor with OTEL_TRACES_EXPORTER=none"
    );
    provider.shutdown(Duration::from_secs(1)).unwrap();

    std::env::set_var("OTEL_TRACES_EXPORTER", "otlp");
    std::env::set_var(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "https://collector:4318/v1/traces",
    );
    std::env::set_var(
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "/nonexistent/spanlite-ca.pem",
    );
    let error = spanlite_exporters::otlp::init().unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/spanlite-ca.pem"),
        "a CA file that cannot be read is reported at setup: {error}"
    );
    std::env::remove_var("OTEL_EXPORTER_OTLP_CERTIFICATE");

    std::env::set_var(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "http://127.0.0.1:9/v1/traces",
    );
    let provider = spanlite_exporters::otlp::init().unwrap();
    provider.tracer("t").start("op").end();
    assert_eq!(
        provider.stats().ended(),
        1,
        "a batch pipeline was installed"
    );
    let _ = provider.shutdown(Duration::from_millis(200));
}

#[test]
fn jaeger_and_zipkin_are_installed_from_otel_traces_exporter() {
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    // Each listed exporter gets its own batch processor: one span is seen
    // by both.
    std::env::set_var("OTEL_TRACES_EXPORTER", "jaeger, zipkin");
    std::env::set_var(
        "OTEL_EXPORTER_JAEGER_ENDPOINT",
        "http://127.0.0.1:9/api/traces",
    );
    std::env::set_var(
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
        "http://127.0.0.1:9/api/v2/spans",
    );
    let provider = spanlite_exporters::otlp::init().unwrap();
    provider.tracer("t").start("op").end();
    assert_eq!(provider.stats().ended(), 2);
    let _ = provider.shutdown(Duration::from_millis(200));

    std::env::set_var("OTEL_EXPORTER_JAEGER_PROTOCOL", "udp/thrift.compact");
    std::env::set_var("OTEL_TRACES_EXPORTER", "jaeger");
    let provider = spanlite_exporters::otlp::init().unwrap();
    provider.tracer("t").start("op").end();
    assert_eq!(provider.stats().ended(), 1, "the agent exporter, over UDP");
    let _ = provider.shutdown(Duration::from_millis(200));
    for var in [
        "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_JAEGER_ENDPOINT",
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
        "OTEL_EXPORTER_JAEGER_PROTOCOL",
    ] {
        std::env::remove_var(var);
    }
}
