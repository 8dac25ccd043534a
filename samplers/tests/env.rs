//! `sampler_from_env` reads the process environment, so its tests live in
//! their own test binary (their own process) and take turns through a lock.

use std::sync::{Mutex, MutexGuard};

use spanlite_samplers::sampler_from_env;

static ENV: Mutex<()> = Mutex::new(());

const SAMPLER: &str = "OTEL_TRACES_SAMPLER";
const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";

/// Holds the lock with the two variables set as given (`None`: removed).
fn with_env(sampler: Option<&str>, arg: Option<&str>) -> MutexGuard<'static, ()> {
    let guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    for (var, value) in [(SAMPLER, sampler), (ARG, arg)] {
        match value {
            Some(value) => std::env::set_var(var, value),
            None => std::env::remove_var(var),
        }
    }
    guard
}

fn description() -> Option<String> {
    sampler_from_env().map(|s| s.description())
}

#[test]
fn an_unset_sampler_variable_leaves_the_callers_default() {
    let _env = with_env(None, Some("0.5"));
    assert_eq!(description(), None);
}

#[test]
fn an_empty_sampler_variable_counts_as_unset() {
    let _env = with_env(Some(""), Some("0.5"));
    assert_eq!(description(), None);
    drop(_env);
    let _env = with_env(Some("   "), None);
    assert_eq!(description(), None);
}

#[test]
fn the_named_sampler_is_built_with_its_argument() {
    let _env = with_env(Some("traceidratio"), Some("0.125"));
    assert_eq!(description().as_deref(), Some("TraceIdRatioBased{0.125}"));
}

#[test]
fn an_empty_argument_counts_as_unset_so_the_ratio_is_one() {
    let _env = with_env(Some("traceidratio"), Some(""));
    assert_eq!(description().as_deref(), Some("TraceIdRatioBased{1}"));
}

#[test]
fn an_invalid_argument_falls_back_to_ratio_one() {
    let _env = with_env(Some("parentbased_traceidratio"), Some("lots"));
    let description = description().unwrap_or_default();
    assert!(
        description.starts_with("ParentBased{root:TraceIdRatioBased{1},"),
        "{description}"
    );
}

#[test]
fn an_unknown_sampler_is_reported_and_the_default_kept() {
    let _env = with_env(Some("sometimes"), None);
    assert_eq!(description(), None);
}

#[cfg(feature = "jaeger-remote")]
#[test]
fn the_jaeger_remote_sampler_is_built_from_the_environment() {
    // A listener that never answers: the sampler stays on its initial one.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let arg = format!("endpoint=http://{}", silent.local_addr().unwrap());
    let _env = with_env(Some("parentbased_jaeger_remote"), Some(&arg));
    let description = description().unwrap_or_default();
    assert!(
        description.starts_with("ParentBased{root:JaegerRemoteSampler{initial:"),
        "{description}"
    );
}

#[cfg(not(feature = "jaeger-remote"))]
#[test]
fn without_the_feature_the_jaeger_remote_sampler_is_reported_and_the_default_kept() {
    let _env = with_env(
        Some("parentbased_jaeger_remote"),
        Some("endpoint=http://localhost:14250"),
    );
    assert_eq!(description(), None);
}

/// Set in the environment of a child run of this test binary.
const CHILD: &str = "SPANLITE_SAMPLERS_ENV_CHILD";

#[test]
#[ignore = "a child process of bad_values_are_reported_on_stderr_as_invalid_env_var"]
fn child_reads_the_environment() {
    if std::env::var_os(CHILD).is_some() {
        let _ = sampler_from_env();
    }
}

/// The stderr of this binary re-run on `child_reads_the_environment` with
/// the two variables set.
fn child_stderr(sampler: &str, arg: &str) -> String {
    let output = std::env::current_exe()
        .and_then(|exe| {
            std::process::Command::new(exe)
                .args([
                    "--exact",
                    "child_reads_the_environment",
                    "--ignored",
                    "--nocapture",
                ])
                .env(CHILD, "1")
                .env(SAMPLER, sampler)
                .env(ARG, arg)
                .output()
        })
        .expect("the test binary runs again");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_values_are_reported_on_stderr_as_invalid_env_var() {
    let stderr = child_stderr("sometimes", "");
    assert!(
        stderr.contains(
            "spanlite: invalid_env_var: OTEL_TRACES_SAMPLER=\"sometimes\": unknown sampler"
        ),
        "{stderr}"
    );
    let stderr = child_stderr("traceidratio", "2");
    assert!(
        stderr.contains("spanlite: invalid_env_var: OTEL_TRACES_SAMPLER_ARG=\"2\""),
        "{stderr}"
    );
    let stderr = child_stderr("traceidratio", "0.5");
    assert!(!stderr.contains("invalid_env_var"), "{stderr}");
}
