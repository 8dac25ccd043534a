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
    let script = build_script();
    let output = match Command::new("bash").arg(&script).output() {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(HarnessError::prerequisite(
                "`bash` is not on PATH; it runs scripts/build-jaeger.sh, which builds Jaeger",
            ))
        }
        Err(e) => return Err(HarnessError::io(format!("running {}", script.display()), e)),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let tail = tail(&stderr, TAIL_LINES);
        // The script exits with 2 when a prerequisite is missing (no `go`).
        return Err(if output.status.code() == Some(2) {
            HarnessError::prerequisite(format!(
                "cannot build Jaeger: {tail}\nInstall Go >= 1.24.6 (https://go.dev/dl/) and put `go` on PATH, \
                 or point {JAEGER_BIN_VAR} at a Jaeger v2 binary."
            ))
        } else {
            HarnessError::build(format!(
                "{} failed ({}). Last lines:\n{tail}\nThe Go module proxy must be reachable \
                 (GOPROXY) and Go >= 1.24.6 installed; or point {JAEGER_BIN_VAR} at a Jaeger v2 binary.",
                script.display(),
                output.status
            ))
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim);
    match path.map(PathBuf::from) {
        Some(path) if path.is_file() => Ok(path),
        _ => Err(HarnessError::build(format!(
            "{} succeeded but did not print the path of an existing binary (stdout: {stdout:?})",
            script.display()
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
