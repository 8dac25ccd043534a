//! Finding the Jaeger binary: a path from the environment, or the one
//! `scripts/build-jaeger.sh` builds (once) into the version-keyed cache.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::HarnessError;

/// Names an existing Jaeger v2 binary to use instead of building one.
pub const JAEGER_BIN_VAR: &str = "SPANLITE_JAEGER_BIN";

/// Lines of build output kept in an error.
const TAIL_LINES: usize = 40;

/// The path of the build script.
pub fn build_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join("build-jaeger.sh")
}

/// The Jaeger binary: `$SPANLITE_JAEGER_BIN` when set, else what
/// `scripts/build-jaeger.sh` prints (it builds on the first call and reuses
/// the cached binary afterwards). Runs the script at most once per process.
pub fn jaeger_binary() -> Result<PathBuf, HarnessError> {
    static BINARY: OnceLock<Result<PathBuf, HarnessError>> = OnceLock::new();
    BINARY.get_or_init(locate_or_build).clone()
}

fn locate_or_build() -> Result<PathBuf, HarnessError> {
    if let Some(path) = std::env::var_os(JAEGER_BIN_VAR).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(HarnessError::prerequisite(format!(
                "{JAEGER_BIN_VAR}={} is not a file; unset it to build Jaeger with {}",
                path.display(),
                build_script().display()
            )))
        };
    }
    run_build_script(&BuildScript {
        path: build_script(),
        builds: "Jaeger",
        prerequisite_hint: &format!(
            "Install Go >= 1.24.6 (https://go.dev/dl/) and put `go` on PATH, \
             or point {JAEGER_BIN_VAR} at a Jaeger v2 binary."
        ),
        failure_hint: &format!(
            "The Go module proxy must be reachable (GOPROXY) and Go >= 1.24.6 installed; \
             or point {JAEGER_BIN_VAR} at a Jaeger v2 binary."
        ),
    })
}

/// A script that builds a binary into its cache and prints the binary's
/// path as its last line; it exits with 2 when a prerequisite is missing.
pub(crate) struct BuildScript<'a> {
    pub(crate) path: PathBuf,
    /// What it builds, for messages ("Jaeger", "the Go peer").
    pub(crate) builds: &'a str,
    /// What to do when a prerequisite is missing.
    pub(crate) prerequisite_hint: &'a str,
    /// What to check when the build fails.
    pub(crate) failure_hint: &'a str,
}

/// Runs `script` with bash and returns the binary it printed, or an error
/// that says what is missing or what failed, with the output's last lines.
pub(crate) fn run_build_script(script: &BuildScript<'_>) -> Result<PathBuf, HarnessError> {
    let path = &script.path;
    let output = match Command::new("bash").arg(path).output() {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            return Err(HarnessError::prerequisite(format!(
                "`bash` is not on PATH; it runs scripts/{name}, which builds {}",
                script.builds
            )));
        }
        Err(e) => return Err(HarnessError::io(format!("running {}", path.display()), e)),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let tail = tail(&stderr, TAIL_LINES);
        // The script exits with 2 when a prerequisite is missing (no `go`).
        return Err(if output.status.code() == Some(2) {
            HarnessError::prerequisite(format!(
                "cannot build {}: {tail}\n{}",
                script.builds, script.prerequisite_hint
            ))
        } else {
            HarnessError::build(format!(
                "{} failed ({}). Last lines:\n{tail}\n{}",
                path.display(),
                output.status,
                script.failure_hint
            ))
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let printed = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim);
    match printed.map(PathBuf::from) {
        Some(binary) if binary.is_file() => Ok(binary),
        _ => Err(HarnessError::build(format!(
            "{} succeeded but did not print the path of an existing binary (stdout: {stdout:?})",
            path.display()
        ))),
    }
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }

    #[test]
    fn the_build_script_is_part_of_the_crate() {
        assert!(build_script().is_file(), "{}", build_script().display());
    }
}
