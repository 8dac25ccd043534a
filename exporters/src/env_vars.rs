//! Reading the exporters' `OTEL_EXPORTER_*` variables one way everywhere:
//! values trimmed, empty ones unset, malformed ones reported to the SDK's
//! diagnostic handler and ignored (the default stays).

use std::time::Duration;

use spanlite::report_diagnostic;

/// The variable `name` from `lookup`, trimmed; empty counts as unset.
pub(crate) fn value(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Reports that `name` holds `value`, which is not `expected`; the
/// default is used.
pub(crate) fn report_invalid(name: &str, value: &str, expected: &str) {
    report_diagnostic(
        "invalid_env_var",
        format_args!("{name}={value:?} is not {expected}; using the default"),
    );
}

/// A timeout in milliseconds from variable `name`; 0 means no limit (a
/// day stands in for that). `None`, reported, for anything else.
pub(crate) fn timeout_millis(name: &str, value: &str) -> Option<Duration> {
    match value.parse::<u64>() {
        Ok(0) => Some(Duration::from_secs(86_400)),
        Ok(ms) => Some(Duration::from_millis(ms)),
        Err(_) => {
            report_invalid(name, value, "milliseconds");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_and_empty_ones_unset() {
        let lookup = |name: &str| match name {
            "A" => Some("  x ".to_owned()),
            "B" => Some("   ".to_owned()),
            _ => None,
        };
        assert_eq!(value(&lookup, "A").as_deref(), Some("x"));
        assert_eq!(value(&lookup, "B"), None);
        assert_eq!(value(&lookup, "C"), None);
    }

    #[test]
    fn timeouts_are_milliseconds_and_zero_means_no_limit() {
        assert_eq!(
            timeout_millis("T", "2500"),
            Some(Duration::from_millis(2500))
        );
        assert!(timeout_millis("T", "0").unwrap() >= Duration::from_secs(86_400));
        assert_eq!(timeout_millis("T", "10s"), None);
        assert_eq!(timeout_millis("T", "-1"), None);
    }
}
