//! Where the Zipkin exporter sends: from code or from the
//! `OTEL_EXPORTER_ZIPKIN_*` environment variables.

use crate::{env_vars, TlsConfig};
use std::time::Duration;

/// The default endpoint, Zipkin's v2 span intake.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:9411/api/v2/spans";

/// Where and how the Zipkin exporter sends. Built in code with the
/// `with_*` methods or from the environment with
/// [`ZipkinConfig::from_env`].
///
/// ```
/// use std::time::Duration;
/// use spanlite_exporters::zipkin::ZipkinConfig;
///
/// let config = ZipkinConfig::from_lookup(|name| match name {
///     "OTEL_EXPORTER_ZIPKIN_ENDPOINT" => Some("http://zipkin:9411/api/v2/spans".into()),
///     "OTEL_EXPORTER_ZIPKIN_TIMEOUT" => Some("2000".into()),
///     _ => None,
/// });
/// assert_eq!(config.endpoint(), "http://zipkin:9411/api/v2/spans");
/// assert_eq!(config.timeout(), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipkinConfig {
    endpoint: String,
    timeout: Duration,
    tls: TlsConfig,
    retry_initial: Duration,
    retry_max: Duration,
}

impl Default for ZipkinConfig {
    fn default() -> ZipkinConfig {
        ZipkinConfig {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            timeout: Duration::from_secs(10),
            tls: TlsConfig::default(),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
        }
    }
}

impl ZipkinConfig {
    /// The defaults: `http://localhost:9411/api/v2/spans`, 10 s timeout.
    pub fn new() -> ZipkinConfig {
        ZipkinConfig::default()
    }

    /// The defaults overridden by the environment:
    ///
    /// | variable | default |
    /// |---|---|
    /// | `OTEL_EXPORTER_ZIPKIN_ENDPOINT` | `http://localhost:9411/api/v2/spans` |
    /// | `OTEL_EXPORTER_ZIPKIN_TIMEOUT` | 10000 ms (0: no limit) |
    ///
    /// Empty values count as unset; a malformed value is reported and the
    /// default used.
    pub fn from_env() -> ZipkinConfig {
        ZipkinConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`ZipkinConfig::from_env`] over any source of variables (for tests
    /// and configuration files).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> ZipkinConfig {
        let mut config = ZipkinConfig::default();
        if let Some(endpoint) = env_vars::value(&lookup, "OTEL_EXPORTER_ZIPKIN_ENDPOINT") {
            config.endpoint = endpoint;
        }
        if let Some(timeout) = env_vars::value(&lookup, "OTEL_EXPORTER_ZIPKIN_TIMEOUT") {
            if let Some(timeout) =
                env_vars::timeout_millis("OTEL_EXPORTER_ZIPKIN_TIMEOUT", &timeout)
            {
                config.timeout = timeout;
            }
        }
        config
    }

    /// Sends to `endpoint` (used as is: include `/api/v2/spans`).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Trust and identity for an `https://` endpoint.
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// The first retry delay and the largest (delays double in between,
    /// with jitter). Defaults: 1 s and 30 s.
    pub fn with_retry_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.retry_initial = initial;
        self.retry_max = max.max(initial);
        self
    }

    pub(crate) fn tls(&self) -> &TlsConfig {
        &self.tls
    }

    pub(crate) fn retry_delays(&self) -> (Duration, Duration) {
        (self.retry_initial, self.retry_max)
    }

    /// Time allowed for one export, retries included (never past the
    /// deadline the processor gives).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The export timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_zipkins_v2_endpoint_and_ten_seconds() {
        let config = ZipkinConfig::from_lookup(|_| None);
        assert_eq!(config.endpoint(), DEFAULT_ENDPOINT);
        assert_eq!(config.timeout(), Duration::from_secs(10));
    }

    #[test]
    fn invalid_or_empty_values_fall_back_to_the_defaults() {
        let config = ZipkinConfig::from_lookup(|name| match name {
            "OTEL_EXPORTER_ZIPKIN_ENDPOINT" => Some(" ".into()),
            "OTEL_EXPORTER_ZIPKIN_TIMEOUT" => Some("10s".into()),
            _ => None,
        });
        assert_eq!(config, ZipkinConfig::new());
    }
}
