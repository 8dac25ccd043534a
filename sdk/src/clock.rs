//! Span timestamps: wall-clock time anchored once and advanced by a
//! monotonic clock, so durations never go negative and timestamps from all
//! threads compare.
//!
//! Reading the OS clock costs ~30 ns here, twice per span. Where the kernel
//! itself trusts the CPU's time-stamp counter (Linux on x86-64 with the
//! `tsc` clocksource: invariant and synchronised across cores), spans read
//! the counter instead (~10 ns) and scale it by a rate measured against the
//! OS clock. The rate and anchor are refreshed every 50 ms, so the counter
//! never drifts from the OS clock by more than a few hundred nanoseconds.

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

/// Nanoseconds since the Unix epoch from the OS monotonic clock.
fn os_now() -> u64 {
    let anchor = anchor();
    let elapsed = u64::try_from(anchor.instant.elapsed().as_nanos()).unwrap_or(u64::MAX);
    anchor.unix_nanos.saturating_add(elapsed)
}

/// Nanoseconds since the Unix epoch, now.
#[inline]
pub(crate) fn now() -> u64 {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
    if let Some(nanos) = tsc::now() {
        return nanos;
    }
    os_now()
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

#[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
mod tsc {
    //! The time-stamp counter, scaled by a rate kept fresh under a seqlock.

    use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
    use std::sync::OnceLock;

    /// How often (in OS-clock nanoseconds) the anchor and rate are renewed.
    const REFRESH_NANOS: u64 = 50_000_000;
    /// The shortest window a rate is measured over: a few microseconds of
    /// jitter in the two readings stay a small fraction of it.
    const MIN_WINDOW_NANOS: u64 = 10_000_000;
    /// Fractional bits of the fixed-point nanoseconds-per-cycle rate.
    const SHIFT: u32 = 32;

    /// Even when stable, odd while a refresh writes.
    static SEQ: AtomicU64 = AtomicU64::new(0);
    static ANCHOR_CYCLES: AtomicU64 = AtomicU64::new(0);
    static ANCHOR_NANOS: AtomicU64 = AtomicU64::new(0);
    /// Nanoseconds per cycle, fixed point; 0 until measured.
    static RATE: AtomicU64 = AtomicU64::new(0);
    /// Cycles after the anchor at which a reader refreshes; 0 until measured.
    static REFRESH_CYCLES: AtomicU64 = AtomicU64::new(0);
    static USABLE: OnceLock<bool> = OnceLock::new();

    fn usable() -> bool {
        *USABLE.get_or_init(|| {
            std::fs::read_to_string(
                "/sys/devices/system/clocksource/clocksource0/current_clocksource",
            )
            .is_ok_and(|source| source.trim() == "tsc")
        })
    }

    #[inline]
    fn cycles() -> u64 {
        // SAFETY: `rdtsc` has no preconditions on x86-64; it reads a
        // counter and touches no memory.
        unsafe { core::arch::x86_64::_rdtsc() }
    }

    /// Unix nanoseconds from the counter, or `None` to use the OS clock
    /// (counter not trusted, not yet calibrated, or a refresh under way).
    #[inline]
    pub(super) fn now() -> Option<u64> {
        let seq = SEQ.load(Ordering::Acquire);
        let anchor_cycles = ANCHOR_CYCLES.load(Ordering::Relaxed);
        let anchor_nanos = ANCHOR_NANOS.load(Ordering::Relaxed);
        let rate = RATE.load(Ordering::Relaxed);
        let refresh = REFRESH_CYCLES.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if seq & 1 == 1 || SEQ.load(Ordering::Relaxed) != seq {
            return None;
        }
        let elapsed = cycles().wrapping_sub(anchor_cycles);
        if rate == 0 || elapsed >= refresh {
            return refresh_anchor();
        }
        let nanos = (u128::from(elapsed) * u128::from(rate)) >> SHIFT;
        Some(anchor_nanos + nanos as u64)
    }

    /// The most cycles two counter readings around one OS-clock reading may
    /// be apart (a few microseconds; the reading itself takes ~100 cycles).
    const MAX_SPREAD_CYCLES: u64 = 20_000;

    /// The counter and the OS clock read at (nearly) the same moment: the
    /// OS reading between two counter readings, paired with their middle.
    /// `None` when the thread was preempted or interrupted between them at
    /// every try: a pair split by a preemption would shift every timestamp
    /// until the next refresh, and the rate measured from it for the
    /// refresh after.
    fn read_together() -> Option<(u64, u64)> {
        (0..4).find_map(|_| {
            let before = cycles();
            let nanos = super::os_now();
            let spread = cycles().wrapping_sub(before);
            (spread <= MAX_SPREAD_CYCLES).then(|| (before.wrapping_add(spread / 2), nanos))
        })
    }

    /// Re-anchors on the OS clock and re-measures the rate over the time
    /// since the last anchor. One thread does it; the others use the OS
    /// clock meanwhile.
    #[cold]
    fn refresh_anchor() -> Option<u64> {
        static STARTED: AtomicBool = AtomicBool::new(false);
        if !usable() {
            return None;
        }
        let seq = SEQ.load(Ordering::Acquire);
        if seq & 1 == 1
            || SEQ
                .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return None;
        }
        // Make the odd sequence visible before the fields change.
        fence(Ordering::Release);
        let Some((cycles_now, nanos_now)) = read_together() else {
            // Preempted at every try: keep the anchor, try again later.
            SEQ.store(seq + 2, Ordering::Release);
            return None;
        };
        let previous_cycles = ANCHOR_CYCLES.load(Ordering::Relaxed);
        let previous_nanos = ANCHOR_NANOS.load(Ordering::Relaxed);
        let dc = cycles_now.wrapping_sub(previous_cycles);
        let dn = nanos_now.saturating_sub(previous_nanos);
        let old_rate = RATE.load(Ordering::Relaxed);
        // A counter that disagrees with the OS clock by more than 1 ms (a
        // migrated virtual machine, a suspended host) is measured anew.
        let predicted =
            previous_nanos.wrapping_add(((u128::from(dc) * u128::from(old_rate)) >> SHIFT) as u64);
        let jumped = old_rate != 0 && predicted.abs_diff(nanos_now) > 1_000_000;
        let measured =
            STARTED.swap(true, Ordering::Relaxed) && !jumped && dn >= MIN_WINDOW_NANOS && dc > 0;
        if measured {
            let rate =
                ((u128::from(dn) << SHIFT) / u128::from(dc)).min(u128::from(u64::MAX)) as u64;
            RATE.store(rate.max(1), Ordering::Relaxed);
            let refresh = (u128::from(REFRESH_NANOS) << SHIFT) / u128::from(rate.max(1));
            REFRESH_CYCLES.store(refresh.min(u128::from(u64::MAX)) as u64, Ordering::Relaxed);
            ANCHOR_CYCLES.store(cycles_now, Ordering::Relaxed);
            ANCHOR_NANOS.store(nanos_now, Ordering::Relaxed);
        } else if jumped || !(previous_nanos != 0 && dn < MIN_WINDOW_NANOS) {
            // First anchor, or a counter that jumped: start measuring anew.
            RATE.store(0, Ordering::Relaxed);
            ANCHOR_CYCLES.store(cycles_now, Ordering::Relaxed);
            ANCHOR_NANOS.store(nanos_now, Ordering::Relaxed);
        }
        SEQ.store(seq + 2, Ordering::Release);
        Some(nanos_now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_never_goes_backwards_on_one_thread_by_more_than_a_refresh_correction() {
        let mut last = now();
        for _ in 0..100_000 {
            let t = now();
            // A refresh may correct the counter's extrapolation by a little.
            assert!(t + 200_000 >= last, "{t} after {last}");
            last = last.max(t);
        }
    }

    /// Our reading, bracketed by two OS-clock readings: it must fall between
    /// them, give or take `slack` nanoseconds. Bracketing keeps a thread
    /// preempted between two reads from failing the test.
    fn assert_between_os_reads(slack: u64) {
        let before = os_now();
        let ours = now();
        let after = os_now();
        assert!(
            ours + slack >= before && ours <= after + slack,
            "{ours} not within [{before}, {after}] +- {slack}"
        );
    }

    #[test]
    fn the_clock_tracks_the_os_clock() {
        for _ in 0..5 {
            let _ = now();
            std::thread::sleep(Duration::from_millis(20));
            assert_between_os_reads(200_000);
        }
        let wall = to_unix_nanos(SystemTime::now());
        assert!(wall.abs_diff(now()) < Duration::from_secs(5).as_nanos() as u64);
    }

    #[test]
    fn after_calibration_the_clock_stays_within_a_few_microseconds_of_the_os_clock() {
        let _ = now();
        std::thread::sleep(Duration::from_millis(60));
        for _ in 0..1000 {
            assert_between_os_reads(20_000);
        }
    }
}
