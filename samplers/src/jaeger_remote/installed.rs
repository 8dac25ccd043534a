//! The strategy in force: the samplers built from the last good answer,
//! or the initial sampler before there was one.

use std::time::Duration;

use super::per_operation::PerOperation;
use super::strategy::Strategy;
use super::StrategyKind;
use crate::{RateLimiting, Sampler, SamplingParams, SamplingResult, TraceIdRatioBased};

/// One version of the strategy in force. Immutable once built: a new
/// answer builds a new one.
#[derive(Debug)]
pub(crate) struct Installed {
    /// Bumped by every install; caches compare it.
    pub(crate) version: u64,
    /// `None` while the initial sampler decides.
    pub(crate) strategy: Option<Strategy>,
    sampler: Active,
}

#[derive(Debug)]
enum Active {
    Initial,
    Probabilistic(TraceIdRatioBased),
    RateLimiting(RateLimiting),
    PerOperation(PerOperation),
}

impl Installed {
    /// The state before the first good answer.
    pub(crate) fn initial() -> Installed {
        Installed {
            version: 0,
            strategy: None,
            sampler: Active::Initial,
        }
    }

    /// The samplers for `strategy`.
    pub(crate) fn new(version: u64, strategy: Strategy, max_operations: usize) -> Installed {
        let sampler = match &strategy {
            Strategy::Probabilistic { rate } => {
                Active::Probabilistic(TraceIdRatioBased::new(*rate))
            }
            Strategy::RateLimiting { per_second } => {
                Active::RateLimiting(rate_limiter(*per_second))
            }
            Strategy::PerOperation(s) => Active::PerOperation(PerOperation::new(s, max_operations)),
        };
        Installed {
            version,
            strategy: Some(strategy),
            sampler,
        }
    }

    /// The decision, by `initial` while no answer has come.
    pub(crate) fn should_sample(
        &self,
        initial: &dyn Sampler,
        params: &SamplingParams<'_>,
    ) -> SamplingResult {
        match &self.sampler {
            Active::Initial => initial.should_sample(params),
            Active::Probabilistic(sampler) => sampler.should_sample(params),
            Active::RateLimiting(sampler) => sampler.should_sample(params),
            Active::PerOperation(sampler) => sampler.should_sample(params),
        }
    }

    /// What kind of strategy is in force.
    pub(crate) fn kind(&self) -> StrategyKind {
        match &self.sampler {
            Active::Initial => StrategyKind::Initial,
            Active::Probabilistic(_) => StrategyKind::Probabilistic,
            Active::RateLimiting(_) => StrategyKind::RateLimiting,
            Active::PerOperation(_) => StrategyKind::PerOperation,
        }
    }

    /// `initial:<initial's description>` or the strategy's summary.
    pub(crate) fn summary(&self, initial: &dyn Sampler) -> String {
        match &self.strategy {
            None => format!("initial:{}", initial.description()),
            Some(strategy) => strategy.summary(),
        }
    }
}

/// A token bucket for `per_second` traces per second (a fraction allowed),
/// holding at most `max(per_second, 1)` tokens, as Jaeger's clients'
/// limiters do. 0 (or less) admits no root.
pub(crate) fn rate_limiter(per_second: f64) -> RateLimiting {
    if per_second.is_nan() || per_second <= 0.0 {
        return RateLimiting::per_second(0);
    }
    if per_second.fract() == 0.0 && per_second <= f64::from(u32::MAX) {
        return RateLimiting::per_second(per_second as u32);
    }
    // One token every 1/r seconds, in a bucket of max(r, 1) tokens; the
    // casts saturate, and a period under a nanosecond is made one.
    let period = Duration::try_from_secs_f64(1.0 / per_second).unwrap_or(Duration::MAX);
    RateLimiting::new(1, period).with_burst(per_second.max(1.0) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limiters_take_whole_and_fractional_rates() {
        assert_eq!(rate_limiter(5.0).description(), "RateLimiting{5 per 1s}");
        assert_eq!(rate_limiter(0.5).description(), "RateLimiting{1 per 2s}");
        assert_eq!(rate_limiter(4.0).description(), "RateLimiting{4 per 1s}");
        assert_eq!(rate_limiter(0.0).description(), "RateLimiting{0 per 1s}");
        assert_eq!(
            rate_limiter(f64::NAN).description(),
            "RateLimiting{0 per 1s}"
        );
        // Huge rates do not overflow.
        let _ = rate_limiter(1e300).description();
        let _ = rate_limiter(1e-300).description();
    }
}
