//! What spanlite says about itself: warnings with stable names (dropped
//! spans, a bad environment variable, a failed export), sent to a handler
//! the application may replace. The default handler writes to stderr.

use std::cell::RefCell;
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

thread_local! {
    /// The warnings this thread holds back, while it does (see
    /// [`defer_diagnostics`]).
    static DEFERRED: RefCell<Option<Vec<Diagnostic>>> = const { RefCell::new(None) };
}

/// Runs `f`, holding back the warnings spanlite raises on this thread
/// meanwhile, and reports them to the handler once `f` has returned: for
/// code that calls into spanlite while it holds a lock the handler's code
/// might take (a bridge recording on a span inside its own table's lock,
/// whose handler may log through that bridge).
///
/// ```
/// use spanlite::{defer_diagnostics, report_diagnostic};
/// let answer = defer_diagnostics(|| {
///     report_diagnostic("example", format_args!("reported after the closure"));
///     42
/// });
/// assert_eq!(answer, 42);
/// ```
pub fn defer_diagnostics<T>(f: impl FnOnce() -> T) -> T {
    /// Reports what was held back when the outermost deferral ends, even
    /// if `f` panics.
    struct Release(bool);
    impl Drop for Release {
        fn drop(&mut self) {
            if !self.0 {
                return;
            }
            let held = DEFERRED.try_with(|d| d.borrow_mut().take()).ok().flatten();
            for diagnostic in held.unwrap_or_default() {
                deliver(&diagnostic);
            }
        }
    }
    let outermost = DEFERRED
        .try_with(|d| {
            let mut d = d.borrow_mut();
            d.is_none() && {
                *d = Some(Vec::new());
                true
            }
        })
        .unwrap_or(false);
    let _release = Release(outermost);
    f()
}

/// Reports a warning. Callers rate-limit it where it could repeat per span.
pub(crate) fn warn(name: &'static str, message: fmt::Arguments<'_>) {
    let mut diagnostic = Some(Diagnostic {
        name,
        message: message.to_string(),
    });
    // Held back while this thread defers its warnings.
    let _ = DEFERRED.try_with(|d| {
        if let Ok(mut d) = d.try_borrow_mut() {
            if let Some(held) = d.as_mut() {
                held.extend(diagnostic.take());
            }
        }
    });
    if let Some(diagnostic) = diagnostic {
        deliver(&diagnostic);
    }
}

/// Hands a warning to the handler, or to stderr.
fn deliver(diagnostic: &Diagnostic) {
    let handler = HANDLER.read().unwrap_or_else(|e| e.into_inner()).clone();
    match handler {
        Some(handler) => handler(diagnostic),
        None => eprintln!("{diagnostic}"),
    }
}
