//! Errors of flush, shutdown and export.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    AlreadyShutdown,
    Timeout,
    Failed(String),
}

/// Why `force_flush` or `shutdown` did not complete: the pipeline was
/// already shut down, the timeout passed first, or a processor or exporter
/// reported a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineError(Kind);

impl PipelineError {
    pub(crate) fn already_shutdown() -> Self {
        PipelineError(Kind::AlreadyShutdown)
    }

    pub(crate) fn timeout() -> Self {
        PipelineError(Kind::Timeout)
    }

    pub(crate) fn failed(message: impl Into<String>) -> Self {
        PipelineError(Kind::Failed(message.into()))
    }

    /// Shutdown had already been called.
    pub fn is_already_shutdown(&self) -> bool {
        self.0 == Kind::AlreadyShutdown
    }

    /// The timeout passed before the work was done.
    pub fn is_timeout(&self) -> bool {
        self.0 == Kind::Timeout
    }

    /// A processor or exporter failed.
    pub fn is_failed(&self) -> bool {
        matches!(self.0, Kind::Failed(_))
    }
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::AlreadyShutdown => f.write_str("the tracer provider is already shut down"),
            Kind::Timeout => f.write_str("the timeout passed before the pipeline finished"),
            Kind::Failed(why) => write!(f, "the pipeline failed: {why}"),
        }
    }
}

impl std::error::Error for PipelineError {}

/// Why an exporter could not deliver a batch: its deadline passed, it was
/// shut down, or the destination failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError(Kind);

impl ExportError {
    /// The deadline passed.
    pub fn timeout() -> Self {
        ExportError(Kind::Timeout)
    }

    /// The exporter was shut down.
    pub fn shut_down() -> Self {
        ExportError(Kind::AlreadyShutdown)
    }

    /// The destination refused the batch or could not be reached.
    pub fn failed(message: impl Into<String>) -> Self {
        ExportError(Kind::Failed(message.into()))
    }

    /// Whether the deadline passed.
    pub fn is_timeout(&self) -> bool {
        self.0 == Kind::Timeout
    }

    /// Whether the exporter was shut down.
    pub fn is_shut_down(&self) -> bool {
        self.0 == Kind::AlreadyShutdown
    }

    /// Whether the destination failed.
    pub fn is_failed(&self) -> bool {
        matches!(self.0, Kind::Failed(_))
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::AlreadyShutdown => f.write_str("the exporter is shut down"),
            Kind::Timeout => f.write_str("the export deadline passed"),
            Kind::Failed(why) => write!(f, "export failed: {why}"),
        }
    }
}

impl std::error::Error for ExportError {}

impl From<ExportError> for PipelineError {
    fn from(e: ExportError) -> PipelineError {
        match e.0 {
            Kind::Timeout => PipelineError::timeout(),
            Kind::AlreadyShutdown => PipelineError::already_shutdown(),
            Kind::Failed(why) => PipelineError::failed(why),
        }
    }
}
