//! The Jaeger remote sampler: samples by the strategy a Jaeger sampling
//! endpoint serves for the service, polled in the background.

mod builder;
mod current;
mod env_arg;
mod error;
mod http;
mod installed;
mod per_operation;
mod poller;
mod shared;
mod stats;
mod strategy;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use builder::JaegerRemoteSamplerBuilder;
pub(crate) use env_arg::JaegerArg;
pub use error::JaegerRemoteError;
pub use stats::{JaegerRemoteStats, StrategyKind};

use crate::{Sampler, SamplingParams, SamplingResult};
use shared::Shared;

/// Samples by the strategy Jaeger's sampling endpoint serves for a
/// service (the spec's `JaegerRemoteSampler`), so sampling can be changed
/// centrally, without a redeploy.
///
/// A thread named `spanlite-jaeger-sampler` asks
/// `GET <endpoint>?service=<service>` at once and then every polling
/// interval, and puts each valid answer in force:
///
/// - `probabilisticSampling`: a fraction of traces by trace id (the
///   decision [`TraceIdRatioBased`](crate::TraceIdRatioBased) makes);
/// - `rateLimitingSampling`: at most so many traces per second
///   ([`RateLimiting`](crate::RateLimiting));
/// - `operationSampling` (wins over the other two when present, as in
///   Jaeger's clients): per span name, its probability, or else a
///   guaranteed lower bound of traces per second per name; names without
///   a strategy of their own use the default probability, and at most
///   [`max_operations`](JaegerRemoteSamplerBuilder::max_operations) names
///   get a sampler of their own.
///
/// Until the first valid answer the initial sampler decides. A failed poll
/// (nothing listening, a timeout, a status other than 200, an invalid or
/// cut-short answer, a body over 1 MiB) changes nothing: the strategy in
/// force stays, the failure is counted in [`stats`](Self::stats) and
/// reported as `jaeger_remote_poll_failed` (at most once per five minutes).
///
/// Sampling never waits for the network: it reads the strategy in force
/// without a lock or an allocation (per-operation sampling with a lower
/// bound takes a read lock, and allocates once per new span name).
///
/// Rate limiters (the strategy's and the lower bounds) count traces, not
/// spans: as in [`RateLimiting`](crate::RateLimiting), a span with a valid
/// parent follows its parent's sampled flag and takes no token. Wrap the
/// sampler in [`ParentBased`](crate::ParentBased) so that every child span
/// follows its parent (`parentbased_jaeger_remote`).
///
/// Clones share one poller. Dropping the last one never blocks: it wakes
/// the poller, which exits at once, and shuts down the connection of a
/// request under way (a name lookup or a connection attempt under way
/// still runs to its end, at most the request timeout, on the poller's
/// thread).
///
/// ```
/// use std::time::Duration;
/// use spanlite_api::{Context, SpanKind, TraceId};
/// use spanlite_samplers::{JaegerRemoteSampler, ParentBased, Sampler, SamplingParams, StrategyKind};
///
/// # // A Jaeger that never answers, so that the initial sampler decides.
/// # let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// # let endpoint = format!("http://{}", silent.local_addr().unwrap());
/// // e.g. "http://jaeger-agent:5778": asks /sampling?service=checkout there
/// let sampler = JaegerRemoteSampler::builder("checkout")
///     .endpoint(endpoint)
///     .polling_interval(Duration::from_secs(30))
///     .initial_sampling_rate(1.0)
///     .build()
///     .expect("a valid http:// endpoint");
///
/// // Before the first answer, the initial sampler decides.
/// let root = Context::new();
/// let params = SamplingParams::new(&root, TraceId::from_int(7), "GET /cart", SpanKind::Server);
/// assert!(sampler.should_sample(&params).decision().is_sampled());
/// assert_eq!(sampler.stats().strategy(), StrategyKind::Initial);
/// assert_eq!(sampler.description(), "JaegerRemoteSampler{initial:TraceIdRatioBased{1}}");
///
/// // Children follow their parent: `parentbased_jaeger_remote`.
/// let sampler = ParentBased::new(sampler);
/// # let _ = sampler;
/// ```
#[derive(Clone)]
pub struct JaegerRemoteSampler {
    shared: Arc<Shared>,
    /// The last clone's drop stops the poller.
    _stopper: Arc<Stopper>,
}

/// Stops the poller when the last handle goes.
struct Stopper(Arc<Shared>);

impl Drop for Stopper {
    fn drop(&mut self) {
        self.0.stop();
    }
}

impl JaegerRemoteSampler {
    /// A builder for the sampler of `service_name` (the resource's
    /// `service.name`; Jaeger picks the strategy by it).
    pub fn builder(service_name: impl Into<String>) -> JaegerRemoteSamplerBuilder {
        JaegerRemoteSamplerBuilder::new(service_name.into())
    }

    fn new(shared: Shared) -> Result<JaegerRemoteSampler, JaegerRemoteError> {
        let shared = Arc::new(shared);
        poller::spawn(Arc::clone(&shared)).map_err(JaegerRemoteError::thread)?;
        Ok(JaegerRemoteSampler {
            _stopper: Arc::new(Stopper(Arc::clone(&shared))),
            shared,
        })
    }

    /// The polls so far, and the kind of strategy in force.
    pub fn stats(&self) -> JaegerRemoteStats {
        self.shared.stats()
    }

    /// Waits until [`updates`](JaegerRemoteStats::updates) is above
    /// `after`, at most `timeout`; whether it is. For tests and for
    /// applications that want the central strategy before they start.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use spanlite_samplers::JaegerRemoteSampler;
    /// let sampler = JaegerRemoteSampler::builder("checkout").build().unwrap();
    /// if !sampler.wait_for_update(0, Duration::from_secs(2)) {
    ///     eprintln!("no sampling strategy from Jaeger yet; sampling 0.1%");
    /// }
    /// ```
    pub fn wait_for_update(&self, after: u64, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |stats| stats.updates() > after)
    }

    /// Waits until [`polls`](JaegerRemoteStats::polls) (succeeded or
    /// failed) is above `after`, at most `timeout`; whether it is.
    pub fn wait_for_poll(&self, after: u64, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |stats| stats.polls() > after)
    }

    /// The URL polled, `?service=` included.
    pub fn endpoint(&self) -> String {
        self.shared.endpoint.url()
    }

    /// The time between polls.
    pub fn polling_interval(&self) -> Duration {
        self.shared.interval
    }
}

impl Sampler for JaegerRemoteSampler {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let shared = &*self.shared;
        shared
            .current
            .with(|installed| installed.should_sample(&*shared.initial, params))
    }

    /// `JaegerRemoteSampler{<strategy>}`: `initial:<the initial sampler>`,
    /// `probabilistic:<rate>`, `ratelimiting:<traces per second>` or
    /// `perOperation{default:<p>,lowerBound:<per second>,operations:<n>}`.
    fn description(&self) -> String {
        let summary = self.shared.current.load().summary(&*self.shared.initial);
        format!("JaegerRemoteSampler{{{summary}}}")
    }
}

impl fmt::Debug for JaegerRemoteSampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}
