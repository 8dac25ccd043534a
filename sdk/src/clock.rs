//! Wall-clock time anchored once and advanced by the monotonic clock, so
//! durations never go negative and timestamps from every thread compare.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Anchor {
    instant: Instant,
    unix_nanos: u64,
}

fn anchor() -> &'static Anchor {
    static ANCHOR: OnceLock<Anchor> = OnceLock::new();
    ANCHOR.get_or_init(|| Anchor {
        instant: Instant::now(),
        unix_nanos: to_unix_nanos(SystemTime::now()),
    })
}

/// Nanoseconds since the Unix epoch, now.
pub(crate) fn now() -> u64 {
    let anchor = anchor();
    let elapsed = u64::try_from(anchor.instant.elapsed().as_nanos()).unwrap_or(u64::MAX);
    anchor.unix_nanos.saturating_add(elapsed)
}

/// Nanoseconds since the Unix epoch of `time` (0 before the epoch).
pub(crate) fn to_unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The `SystemTime` of a Unix-nanosecond timestamp.
pub(crate) fn from_unix_nanos(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_never_goes_backwards() {
        let mut last = now();
        for _ in 0..1000 {
            let t = now();
            assert!(t >= last);
            last = t;
        }
    }

    #[test]
    fn the_clock_tracks_the_wall_clock() {
        let wall = to_unix_nanos(SystemTime::now());
        let ours = now();
        let skew = wall.abs_diff(ours);
        assert!(
            skew < Duration::from_secs(5).as_nanos() as u64,
            "skew {skew} ns"
        );
    }
}
