//! `otlp::init` and `OTEL_TRACES_EXPORTER`, in their own process because
//! they read the environment.

use std::time::Duration;

#[test]
fn init_reads_the_exporter_and_endpoint_from_the_environment() {
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
