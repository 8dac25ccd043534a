//! What spanlite says about itself: warnings with stable names (dropped
//! spans, a bad environment variable, a failed export), sent to a handler
//! the application may replace. The default handler writes to stderr.

use std::fmt;
use std::sync::{Arc, RwLock};

/// One warning.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    name: &'static str,
    message: String,
}

impl Diagnostic {
    /// A stable name for the kind of warning, e.g. `span_dropped`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spanlite: {}: {}", self.name, self.message)
    }
}

type Handler = Arc<dyn Fn(&Diagnostic) + Send + Sync>;

static HANDLER: RwLock<Option<Handler>> = RwLock::new(None);

/// Sends spanlite's warnings to `handler` instead of stderr, for the whole
/// process.
pub fn set_diagnostic_handler(handler: impl Fn(&Diagnostic) + Send + Sync + 'static) {
    let mut slot = HANDLER.write().unwrap_or_else(|e| e.into_inner());
    *slot = Some(Arc::new(handler));
}

/// Reports a warning to the diagnostic handler, for exporters and
/// integrations built on spanlite. `name` is a stable identifier
/// (`export_failed`, `invalid_env_var`, ...). Callers rate-limit warnings
/// that could repeat per span or per export.
pub fn report_diagnostic(name: &'static str, message: fmt::Arguments<'_>) {
    warn(name, message);
}

/// Reports a warning. Callers rate-limit it where it could repeat per span.
pub(crate) fn warn(name: &'static str, message: fmt::Arguments<'_>) {
    let diagnostic = Diagnostic {
        name,
        message: message.to_string(),
    };
    let handler = HANDLER.read().unwrap_or_else(|e| e.into_inner()).clone();
    match handler {
        Some(handler) => handler(&diagnostic),
        None => eprintln!("{diagnostic}"),
    }
}
