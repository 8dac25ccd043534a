//! The SDK's environment variables. Their own test binary: the environment
//! is process-wide, and these tests take turns through a lock.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use spanlite::{
    BatchConfig, InMemoryExporter, KeyValue, Resource, SpanLimits, TracerProvider, Value,
};

static ENV: Mutex<()> = Mutex::new(());

/// Holds the lock and clears the variables it set when dropped.
struct Env(
    #[allow(dead_code)] MutexGuard<'static, ()>,
    Vec<&'static str>,
);

fn env(vars: &[(&'static str, &str)]) -> Env {
    let guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    for (k, v) in vars {
        // Tests hold ENV while touching the environment, so no other
        // thread of this binary reads it meanwhile.
        std::env::set_var(k, v);
    }
    Env(guard, vars.iter().map(|(k, _)| *k).collect())
}

impl Drop for Env {
    fn drop(&mut self) {
        for k in &self.1 {
            std::env::remove_var(k);
        }
    }
}

#[test]
fn otel_service_name_wins_over_service_name_in_otel_resource_attributes() {
    let _env = env(&[
        ("OTEL_SERVICE_NAME", "from-service-name"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=from-attributes,team=core",
        ),
    ]);
    let resource = Resource::default();
    assert_eq!(resource.service_name(), Some("from-service-name"));
    assert_eq!(resource.get("team"), Some(&Value::from("core".to_owned())));
}

#[test]
fn otel_resource_attributes_are_percent_decoded() {
    let _env = env(&[(
        "OTEL_RESOURCE_ATTRIBUTES",
        "deployment.environment=eu%20west,k%3D=v%2C1",
    )]);
    let resource = Resource::default();
    assert_eq!(
        resource
            .get("deployment.environment")
            .and_then(Value::as_str),
        Some("eu west")
    );
    assert_eq!(resource.get("k=").and_then(Value::as_str), Some("v,1"));
}

#[test]
fn a_malformed_otel_resource_attributes_is_discarded_whole_with_one_warning() {
    let _env = env(&[("OTEL_RESOURCE_ATTRIBUTES", "good=1,bad")]);
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let sink = warnings.clone();
    spanlite::set_diagnostic_handler(move |d| sink.lock().unwrap().push(d.name()));
    let resource = Resource::default();
    assert_eq!(resource.get("good"), None);
    assert_eq!(warnings.lock().unwrap().as_slice(), &["invalid_env_var"]);
}

#[test]
fn without_a_service_name_the_fallback_is_unknown_service_and_the_executable() {
    let _env = env(&[]);
    let exe = std::env::current_exe().unwrap();
    let exe = exe.file_name().unwrap().to_string_lossy();
    let resource = Resource::default();
    assert_eq!(
        resource.service_name(),
        Some(format!("unknown_service:{exe}").as_str())
    );
    for key in [
        "telemetry.sdk.name",
        "telemetry.sdk.language",
        "telemetry.sdk.version",
    ] {
        assert!(resource.get(key).is_some(), "{key}");
    }
    assert_eq!(
        resource
            .get("telemetry.sdk.language")
            .and_then(Value::as_str),
        Some("rust")
    );
}

#[test]
fn an_empty_variable_counts_as_unset() {
    let _env = env(&[
        ("OTEL_SERVICE_NAME", ""),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", ""),
    ]);
    assert!(Resource::default()
        .service_name()
        .unwrap()
        .starts_with("unknown_service:"));
    assert_eq!(SpanLimits::from_env().event_count(), 128);
}

#[test]
fn otel_sdk_disabled_true_makes_tracers_record_nothing() {
    let _env = env(&[("OTEL_SDK_DISABLED", "TRUE")]);
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let span = provider.tracer("t").start("op");
    assert!(!span.is_recording());
    drop(span);
    assert!(exporter.finished_spans().is_empty());
}

#[test]
fn otel_sdk_disabled_with_any_other_value_leaves_the_sdk_on() {
    let _env = env(&[("OTEL_SDK_DISABLED", "yes")]);
    let provider = TracerProvider::builder().build();
    assert!(provider.tracer("t").start("op").is_recording());
}

#[test]
fn span_limits_come_from_the_environment_with_the_general_attribute_limits_as_fallback() {
    let _env = env(&[
        ("OTEL_ATTRIBUTE_COUNT_LIMIT", "7"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "16"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "3"),
        ("OTEL_SPAN_LINK_COUNT_LIMIT", "4"),
        ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "5"),
        ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "6"),
    ]);
    let limits = SpanLimits::from_env();
    assert_eq!(limits.attribute_count(), 7);
    assert_eq!(limits.attribute_value_length(), Some(16));
    assert_eq!(limits.event_count(), 3);
    assert_eq!(limits.link_count(), 4);
    assert_eq!(limits.attributes_per_event(), 5);
    assert_eq!(limits.attributes_per_link(), 6);
    drop(_env);
    let _env = env(&[
        ("OTEL_ATTRIBUTE_COUNT_LIMIT", "7"),
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "9"),
    ]);
    assert_eq!(SpanLimits::from_env().attribute_count(), 9);
}

#[test]
fn span_limits_from_the_environment_apply_to_spans() {
    let _env = env(&[("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "1")]);
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let mut span = provider.tracer("t").start("op");
    span.set_attributes([KeyValue::new("a", 1), KeyValue::new("b", 2)]);
    span.end();
    assert_eq!(exporter.finished_spans()[0].dropped_attributes_count(), 1);
}

#[test]
fn batch_settings_come_from_otel_bsp_variables() {
    let _env = env(&[
        ("OTEL_BSP_SCHEDULE_DELAY", "250"),
        ("OTEL_BSP_EXPORT_TIMEOUT", "1000"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"),
    ]);
    let config = BatchConfig::from_env();
    assert_eq!(config.scheduled_delay(), Duration::from_millis(250));
    assert_eq!(config.export_timeout(), Duration::from_millis(1000));
    assert_eq!(config.max_queue_size(), 100);
    assert_eq!(config.max_export_batch_size(), 10);
}

#[test]
fn a_batch_larger_than_the_queue_is_cut_to_the_queue_and_garbage_is_ignored() {
    let _env = env(&[
        ("OTEL_BSP_MAX_QUEUE_SIZE", "8"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "lots"),
    ]);
    let config = BatchConfig::from_env();
    assert_eq!(config.max_queue_size(), 8);
    assert_eq!(config.max_export_batch_size(), 8);
    assert_eq!(BatchConfig::default().max_export_batch_size(), 512);
}

#[test]
fn otel_traces_sampler_chooses_the_sampler() {
    let _env = env(&[("OTEL_TRACES_SAMPLER", "always_off")]);
    let provider = TracerProvider::builder().build();
    assert!(!provider.tracer("t").start("op").is_recording());
    drop(_env);
    let _env = env(&[
        ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0"),
    ]);
    let provider = TracerProvider::builder().build();
    assert!(!provider.tracer("t").start("op").is_recording());
}

#[test]
fn an_unknown_otel_traces_sampler_is_reported_and_the_default_kept() {
    let _env = env(&[("OTEL_TRACES_SAMPLER", "sometimes")]);
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let sink = warnings.clone();
    spanlite::set_diagnostic_handler(move |d| sink.lock().unwrap().push(d.message().to_owned()));
    let provider = TracerProvider::builder().build();
    assert!(provider.tracer("t").start("op").is_recording());
    let warnings = warnings.lock().unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("OTEL_TRACES_SAMPLER")),
        "{warnings:?}"
    );
}

#[test]
fn a_jaeger_remote_sampler_from_the_environment_reports_failed_polls_to_the_sdk_handler() {
    // Nothing listens here once the listener is dropped: every poll fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let arg = format!("endpoint=http://127.0.0.1:{port},pollingIntervalMs=1000");
    let _env = env(&[
        ("OTEL_TRACES_SAMPLER", "parentbased_jaeger_remote"),
        ("OTEL_TRACES_SAMPLER_ARG", &arg),
    ]);
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    spanlite::set_diagnostic_handler(move |d| {
        let _ = tx.lock().unwrap().send(d.name());
    });
    let provider = TracerProvider::builder().build();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok("jaeger_remote_poll_failed") => break,
            Ok(name) => seen.push(name),
            Err(_) => panic!("no jaeger_remote_poll_failed within 20 s; saw {seen:?}"),
        }
    }
    drop(provider);
}
