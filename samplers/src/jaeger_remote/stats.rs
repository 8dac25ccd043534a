//! What a Jaeger remote sampler's poller has done so far.

/// The kind of strategy a [`JaegerRemoteSampler`](crate::JaegerRemoteSampler)
/// samples by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StrategyKind {
    /// No good answer yet: the initial sampler decides.
    Initial,
    /// A fraction of traces, by trace id.
    Probabilistic,
    /// At most so many traces per second.
    RateLimiting,
    /// A probability per span name, with a lower bound of traces per second.
    PerOperation,
}

/// Counters of a [`JaegerRemoteSampler`](crate::JaegerRemoteSampler)'s
/// polls, from [`stats`](crate::JaegerRemoteSampler::stats). Every count
/// only grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JaegerRemoteStats {
    pub(crate) polls_succeeded: u64,
    pub(crate) polls_failed: u64,
    pub(crate) updates: u64,
    pub(crate) strategy: StrategyKind,
}

impl JaegerRemoteStats {
    pub(crate) const fn new() -> JaegerRemoteStats {
        JaegerRemoteStats {
            polls_succeeded: 0,
            polls_failed: 0,
            updates: 0,
            strategy: StrategyKind::Initial,
        }
    }

    /// Polls that got a valid strategy (a new one or the one in force).
    pub fn polls_succeeded(&self) -> u64 {
        self.polls_succeeded
    }

    /// Polls that got no valid strategy: no connection, a timeout, a
    /// status other than 200, a body that is too large, cut short or not a
    /// strategy. The strategy in force stayed.
    pub fn polls_failed(&self) -> u64 {
        self.polls_failed
    }

    /// All polls done: succeeded and failed.
    pub fn polls(&self) -> u64 {
        self.polls_succeeded + self.polls_failed
    }

    /// How many times a strategy different from the one in force was put
    /// in force (the first good answer counts).
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// The kind of strategy in force.
    pub fn strategy(&self) -> StrategyKind {
        self.strategy
    }
}
