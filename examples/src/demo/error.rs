//! Why a demo run failed.

use std::fmt;

/// A demo run could not start its services, reach them, or deliver its
/// spans. The message says which step failed and why.
#[derive(Debug, Clone)]
pub struct DemoError {
    message: String,
}

impl DemoError {
    /// An error for `step`, caused by `cause`.
    pub(crate) fn new(step: &str, cause: impl fmt::Display) -> DemoError {
        DemoError {
            message: format!("{step}: {cause}"),
        }
    }
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DemoError {}
