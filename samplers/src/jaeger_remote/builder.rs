//! Configures a [`JaegerRemoteSampler`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::current::Current;
use super::http::Endpoint;
use super::installed::Installed;
use super::shared::{Report, Shared};
use super::{JaegerRemoteError, JaegerRemoteSampler};
use crate::{Sampler, TraceIdRatioBased};

/// The endpoint of a Jaeger agent or collector on the same host.
pub(crate) const DEFAULT_ENDPOINT: &str = "http://localhost:5778/sampling";
/// Jaeger's clients poll every minute.
pub(crate) const DEFAULT_POLLING_INTERVAL: Duration = Duration::from_secs(60);
/// The spec's and Jaeger's clients' initial sampling rate.
pub(crate) const DEFAULT_INITIAL_SAMPLING_RATE: f64 = 0.001;
/// Jaeger's clients' default.
const DEFAULT_MAX_OPERATIONS: usize = 2000;
/// The shortest polling interval: shorter ones are raised to it.
const MIN_POLLING_INTERVAL: Duration = Duration::from_millis(1);
/// A request may take at least this long, even with a shorter interval.
const MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
/// A request may take at most this long, even with a longer interval.
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Configures a [`JaegerRemoteSampler`]; from
/// [`JaegerRemoteSampler::builder`].
pub struct JaegerRemoteSamplerBuilder {
    service_name: String,
    endpoint: Option<String>,
    polling_interval: Duration,
    initial: Box<dyn Sampler>,
    max_operations: usize,
    report: Report,
}

impl JaegerRemoteSamplerBuilder {
    pub(crate) fn new(service_name: String) -> JaegerRemoteSamplerBuilder {
        JaegerRemoteSamplerBuilder {
            service_name,
            endpoint: None,
            polling_interval: DEFAULT_POLLING_INTERVAL,
            initial: Box::new(TraceIdRatioBased::new(DEFAULT_INITIAL_SAMPLING_RATE)),
            max_operations: DEFAULT_MAX_OPERATIONS,
            report: Arc::new(crate::diagnostics::report),
        }
    }

    /// The sampling endpoint, `http://host[:port][/path]` (default
    /// `http://localhost:5778/sampling`). Without a path (or with just
    /// `/`) the path is `/sampling`; `?service=<name>` is appended,
    /// percent-encoded. Plain HTTP only: `https://` is refused by
    /// [`build`](Self::build).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The time between polls (default 60 s; at least 1 ms). The first
    /// poll is at once. One request may take the interval, but at least
    /// 1 s and at most 10 s.
    pub fn polling_interval(mut self, interval: Duration) -> Self {
        self.polling_interval = interval.max(MIN_POLLING_INTERVAL);
        self
    }

    /// The sampler deciding until the first valid answer (default
    /// `TraceIdRatioBased(0.001)`).
    pub fn initial_sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.initial = Box::new(sampler);
        self
    }

    /// Makes the initial sampler `TraceIdRatioBased(rate)` (default 0.001).
    pub fn initial_sampling_rate(self, rate: f64) -> Self {
        self.initial_sampler(TraceIdRatioBased::new(rate))
    }

    /// At most this many span names get a per-operation sampler of their
    /// own (default 2000, as in Jaeger's clients); the others share the
    /// default probability.
    pub fn max_operations(mut self, max: usize) -> Self {
        self.max_operations = max;
        self
    }

    /// Where the sampler's diagnostics go (default: the reporter set with
    /// [`set_diagnostic_reporter`](crate::set_diagnostic_reporter), which
    /// the SDK points at its diagnostic handler, else stderr as
    /// `spanlite: <name>: <message>`). The one name so far is
    /// `jaeger_remote_poll_failed`, reported at most once per five
    /// minutes. The signature is that of `spanlite::report_diagnostic`,
    /// which sends them to the SDK's diagnostic handler.
    pub fn diagnostics(
        mut self,
        report: impl Fn(&'static str, fmt::Arguments<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.report = Arc::new(report);
        self
    }

    /// The sampler, with its polling thread started.
    ///
    /// # Errors
    ///
    /// - [`is_invalid_endpoint`](JaegerRemoteError::is_invalid_endpoint):
    ///   the endpoint is not an `http://` URL ([`is_https`](JaegerRemoteError::is_https):
    ///   an `https://` one).
    /// - [`is_empty_service_name`](JaegerRemoteError::is_empty_service_name).
    /// - [`is_thread_failed`](JaegerRemoteError::is_thread_failed): the
    ///   operating system refused a thread.
    pub fn build(self) -> Result<JaegerRemoteSampler, JaegerRemoteError> {
        if self.service_name.is_empty() {
            return Err(JaegerRemoteError::empty_service_name());
        }
        let url = self.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT);
        let endpoint = Endpoint::parse(url, &self.service_name)?;
        let timeout = self
            .polling_interval
            .clamp(MIN_REQUEST_TIMEOUT, MAX_REQUEST_TIMEOUT);
        JaegerRemoteSampler::new(Shared::new(
            Current::new(Installed::initial()),
            self.initial,
            endpoint,
            self.polling_interval,
            timeout,
            self.max_operations,
            self.report,
        ))
    }
}

impl fmt::Debug for JaegerRemoteSamplerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JaegerRemoteSamplerBuilder")
            .field("service_name", &self.service_name)
            .field(
                "endpoint",
                &self.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT),
            )
            .field("polling_interval", &self.polling_interval)
            .field("initial", &self.initial)
            .field("max_operations", &self.max_operations)
            .finish_non_exhaustive()
    }
}
