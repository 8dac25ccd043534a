//! Why a Jaeger remote sampler could not be built.

use std::fmt;

/// Why [`JaegerRemoteSamplerBuilder::build`](crate::JaegerRemoteSamplerBuilder::build)
/// failed. Nothing here is about the collector: a collector that is down or
/// answers nonsense only makes polls fail (see
/// [`JaegerRemoteStats`](crate::JaegerRemoteStats)); it is never an error
/// of the sampler.
#[derive(Debug)]
pub struct JaegerRemoteError {
    kind: ErrorKind,
}

// Private so that new kinds are not breaking changes.
#[derive(Debug)]
enum ErrorKind {
    Https(String),
    InvalidEndpoint { url: String, why: String },
    EmptyServiceName,
    Thread(std::io::Error),
}

impl JaegerRemoteError {
    pub(crate) fn https(url: &str) -> JaegerRemoteError {
        JaegerRemoteError {
            kind: ErrorKind::Https(excerpt(url)),
        }
    }

    pub(crate) fn invalid_endpoint(url: &str, why: impl Into<String>) -> JaegerRemoteError {
        JaegerRemoteError {
            kind: ErrorKind::InvalidEndpoint {
                url: excerpt(url),
                why: why.into(),
            },
        }
    }

    pub(crate) fn empty_service_name() -> JaegerRemoteError {
        JaegerRemoteError {
            kind: ErrorKind::EmptyServiceName,
        }
    }

    pub(crate) fn thread(error: std::io::Error) -> JaegerRemoteError {
        JaegerRemoteError {
            kind: ErrorKind::Thread(error),
        }
    }

    /// The endpoint is not a plain `http://host[:port][/path]` URL. An
    /// `https://` URL is one of these: this sampler speaks plain HTTP only
    /// ([`is_https`](JaegerRemoteError::is_https) says so).
    pub fn is_invalid_endpoint(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Https(_) | ErrorKind::InvalidEndpoint { .. }
        )
    }

    /// The endpoint is an `https://` URL, which this sampler does not
    /// support: the sampling endpoint is normally a local agent or a
    /// collector on the same network.
    pub fn is_https(&self) -> bool {
        matches!(self.kind, ErrorKind::Https(_))
    }

    /// The service name is empty: Jaeger needs one to pick a strategy.
    pub fn is_empty_service_name(&self) -> bool {
        matches!(self.kind, ErrorKind::EmptyServiceName)
    }

    /// The operating system refused to start the polling thread.
    pub fn is_thread_failed(&self) -> bool {
        matches!(self.kind, ErrorKind::Thread(_))
    }
}

impl fmt::Display for JaegerRemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Https(url) => write!(
                f,
                "{url:?}: https is not supported by the Jaeger remote sampler; \
                 use an http:// endpoint"
            ),
            ErrorKind::InvalidEndpoint { url, why } => {
                write!(f, "{url:?} is not a usable sampling endpoint: {why}")
            }
            ErrorKind::EmptyServiceName => {
                write!(
                    f,
                    "the Jaeger remote sampler needs a non-empty service name"
                )
            }
            ErrorKind::Thread(error) => {
                write!(f, "could not start the polling thread: {error}")
            }
        }
    }
}

impl std::error::Error for JaegerRemoteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Thread(error) => Some(error),
            _ => None,
        }
    }
}

/// URLs may come from the environment: keep messages short.
fn excerpt(s: &str) -> String {
    const MAX: usize = 200;
    let mut short: String = s.chars().take(MAX).collect();
    if short.len() < s.len() {
        short.push_str("...");
    }
    short
}
