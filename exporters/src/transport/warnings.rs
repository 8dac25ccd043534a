//! What every HTTP exporter does around a send: one warning per 10 s at
//! most, and a deadline that is the exporter's own timeout or the
//! processor's, whichever comes first.

use std::fmt;
use std::time::{Duration, Instant};

use spanlite::report_diagnostic;

/// The least time between two warnings of one exporter.
const EVERY: Duration = Duration::from_secs(10);

/// Reports an exporter's warnings, at most one every 10 s.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    last: Option<Instant>,
}

impl Warnings {
    /// Reports `message` under `name` unless a warning went out less than
    /// 10 s ago.
    pub(crate) fn warn(&mut self, name: &'static str, message: fmt::Arguments<'_>) {
        let now = Instant::now();
        if self.last.is_none_or(|at| now.duration_since(at) >= EVERY) {
            self.last = Some(now);
            report_diagnostic(
                name,
                format_args!("{message} (reported at most every 10 s)"),
            );
        }
    }
}

/// The deadline of one export: `timeout` from now, never past `deadline`.
pub(crate) fn export_deadline(timeout: Duration, deadline: Instant) -> Instant {
    Instant::now()
        .checked_add(timeout)
        .map_or(deadline, |own| own.min(deadline))
}
