//! Where the samplers' warnings go: stderr, unless the SDK (or the
//! application) routes them elsewhere once at start-up.

use std::fmt;
use std::sync::OnceLock;

/// A function that reports a named warning, as
/// `spanlite::report_diagnostic` does.
pub type DiagnosticReporter = fn(&'static str, fmt::Arguments<'_>);

static REPORTER: OnceLock<DiagnosticReporter> = OnceLock::new();

/// Routes the samplers' warnings (`invalid_env_var`,
/// `jaeger_remote_poll_failed`) to `reporter` instead of stderr. The first
/// call wins; the `spanlite` SDK makes it when a provider is built, with its
/// own diagnostic handler, so `spanlite::set_diagnostic_handler` sees them.
///
/// ```
/// fn quiet(_: &'static str, _: std::fmt::Arguments<'_>) {}
/// spanlite_samplers::set_diagnostic_reporter(quiet);
/// ```
pub fn set_diagnostic_reporter(reporter: DiagnosticReporter) {
    let _ = REPORTER.set(reporter);
}

/// Reports a warning to the installed reporter, else to stderr.
pub(crate) fn report(name: &'static str, message: fmt::Arguments<'_>) {
    match REPORTER.get() {
        Some(reporter) => reporter(name, message),
        None => eprintln!("spanlite: {name}: {message}"),
    }
}
