//! What can go wrong while preparing, running or querying a peer.

use std::fmt;

/// Why the harness could not do what a test asked. The message says what
/// happened and, for a missing prerequisite, how to fix it.
#[derive(Debug, Clone)]
pub struct HarnessError {
    kind: Kind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A tool the harness needs is not installed (`go`, `bash`).
    Prerequisite,
    /// The peer could not be built.
    Build,
    /// The peer did not start or stopped.
    Start,
    /// A request to the peer failed or its answer was not what the API promises.
    Query,
    /// Waiting for the peer took longer than allowed.
    Timeout,
    /// A local file or process operation failed.
    Io,
}

impl HarnessError {
    fn new(kind: Kind, message: impl Into<String>) -> HarnessError {
        HarnessError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn prerequisite(message: impl Into<String>) -> HarnessError {
        HarnessError::new(Kind::Prerequisite, message)
    }

    pub(crate) fn build(message: impl Into<String>) -> HarnessError {
        HarnessError::new(Kind::Build, message)
    }

    pub(crate) fn start(message: impl Into<String>) -> HarnessError {
        HarnessError::new(Kind::Start, message)
    }

    pub(crate) fn query(message: impl Into<String>) -> HarnessError {
        HarnessError::new(Kind::Query, message)
    }

    pub(crate) fn timeout(message: impl Into<String>) -> HarnessError {
        HarnessError::new(Kind::Timeout, message)
    }

    pub(crate) fn io(what: impl fmt::Display, error: std::io::Error) -> HarnessError {
        HarnessError::new(Kind::Io, format!("{what}: {error}"))
    }

    /// A tool the harness needs (such as `go`) is missing.
    pub fn is_prerequisite_missing(&self) -> bool {
        self.kind == Kind::Prerequisite
    }

    /// Building the peer failed.
    pub fn is_build_failure(&self) -> bool {
        self.kind == Kind::Build
    }

    /// The peer did not start, or exited.
    pub fn is_start_failure(&self) -> bool {
        self.kind == Kind::Start
    }

    /// A query to the peer failed or returned something unexpected.
    pub fn is_query_failure(&self) -> bool {
        self.kind == Kind::Query
    }

    /// Waiting for the peer ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.kind == Kind::Timeout
    }

    /// A local file or process operation failed.
    pub fn is_io(&self) -> bool {
        self.kind == Kind::Io
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HarnessError {}
