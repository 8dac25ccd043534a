//! Waiting for a condition by asking again until a deadline.

use std::time::{Duration, Instant};

use crate::HarnessError;

/// How long to wait between attempts, unless told otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(100);

/// Calls `attempt` until it returns `Some`, an error, or `timeout` has
/// passed (then `None`), pausing `interval` between calls. Always makes at
/// least one attempt.
pub fn poll<T>(
    timeout: Duration,
    interval: Duration,
    mut attempt: impl FnMut() -> Result<Option<T>, HarnessError>,
) -> Result<Option<T>, HarnessError> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = attempt()? {
            return Ok(Some(value));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(interval.min(deadline - now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_first_value() {
        let mut calls = 0;
        let got = poll(Duration::from_secs(5), Duration::from_millis(1), || {
            calls += 1;
            Ok((calls == 3).then_some(calls))
        });
        assert_eq!(got.unwrap(), Some(3));
    }

    #[test]
    fn gives_up_after_the_timeout_with_at_least_one_attempt() {
        let mut calls = 0;
        let started = Instant::now();
        let got: Option<()> = poll(Duration::from_millis(30), Duration::from_millis(5), || {
            calls += 1;
            Ok(None)
        })
        .unwrap();
        assert!(got.is_none());
        assert!(calls >= 1);
        assert!(started.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn stops_at_the_first_error() {
        let mut calls = 0;
        let got: Result<Option<()>, _> =
            poll(Duration::from_secs(5), Duration::from_millis(1), || {
                calls += 1;
                Err(HarnessError::query("no"))
            });
        assert!(got.unwrap_err().is_query_failure());
        assert_eq!(calls, 1);
    }
}
