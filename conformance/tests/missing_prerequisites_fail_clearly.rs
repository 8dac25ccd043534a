//! A missing prerequisite is a failure that says how to fix it, never a
//! silent skip. In its own file (its own process) because it sets an
//! environment variable.

use std::path::PathBuf;
use std::process::Command;

use spanlite_conformance::{build_script, go_peer_build_script, Jaeger, JAEGER_BIN_VAR};

/// `bash` from this process's PATH.
fn bash() -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("bash"))
        .find(|p| p.is_file())
        .expect("bash on PATH")
}

/// Runs `script` with an empty PATH and HOME: it must exit with 2, say
/// that `go` is missing and how to install it, and print no binary.
fn assert_fails_without_go(script: PathBuf, tag: &str) {
    let empty = std::env::temp_dir().join(format!("spanlite-no-go-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let output = Command::new(bash())
        .arg(script)
        .env_clear()
        .env("PATH", &empty)
        .env("HOME", &empty)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&empty).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("'go' is not on PATH"), "stderr: {stderr}");
    assert!(stderr.contains("install Go"), "stderr: {stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn the_build_script_without_go_exits_2_and_says_to_install_go() {
    assert_fails_without_go(build_script(), "jaeger");
}

#[test]
fn the_go_peer_build_script_without_go_exits_2_and_says_to_install_go() {
    assert_fails_without_go(go_peer_build_script(), "gopeer");
}

#[test]
fn a_jaeger_binary_variable_naming_nothing_is_a_prerequisite_failure() {
    std::env::set_var(JAEGER_BIN_VAR, "/nonexistent/jaeger");
    let error = Jaeger::start().unwrap_err();
    assert!(error.is_prerequisite_missing(), "{error}");
    let message = error.to_string();
    assert!(message.contains("/nonexistent/jaeger"), "{message}");
    assert!(message.contains("build-jaeger.sh"), "{message}");
}
