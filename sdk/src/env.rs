//! Reading OpenTelemetry environment variables by the spec's rules: an
//! empty value is unset, a malformed one is reported and ignored.

use std::time::Duration;

use crate::diagnostics;

/// The trimmed value of `name`; `None` when unset or empty.
pub(crate) fn string(name: &str) -> Option<String> {
    let value = std::env::var(name).ok()?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A non-negative integer, or `None` (with a warning when malformed).
pub(crate) fn unsigned(name: &'static str) -> Option<usize> {
    let raw = string(name)?;
    match raw.parse::<usize>() {
        Ok(v) => Some(v),
        Err(_) => {
            diagnostics::warn(
                "invalid_env_var",
                format_args!("{name}={raw:?} is not a non-negative integer; ignored"),
            );
            None
        }
    }
}

/// A duration in milliseconds.
pub(crate) fn millis(name: &'static str) -> Option<Duration> {
    unsigned(name).map(|ms| Duration::from_millis(ms as u64))
}

/// A boolean: only a case-insensitive `true` is true; anything else but
/// `false` is reported.
pub(crate) fn boolean(name: &'static str) -> bool {
    match string(name) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            diagnostics::warn(
                "invalid_env_var",
                format_args!("{name}={v:?} is not true or false; treated as false"),
            );
            false
        }
    }
}
