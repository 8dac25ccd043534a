//! What a sampler's handles and its polling thread share: the strategy in
//! force, the settings, the stop signal and the poll counters.

use std::fmt;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::current::Current;
use super::http::Endpoint;
use super::{JaegerRemoteStats, StrategyKind};
use crate::Sampler;

/// Where diagnostics go: a stable name and a message.
pub(crate) type Report = Arc<dyn Fn(&'static str, fmt::Arguments<'_>) + Send + Sync>;

/// The state of one sampler.
pub(crate) struct Shared {
    pub(crate) current: Current,
    pub(crate) initial: Box<dyn Sampler>,
    pub(crate) endpoint: Endpoint,
    pub(crate) interval: Duration,
    /// The bound of one request.
    pub(crate) timeout: Duration,
    pub(crate) max_operations: usize,
    pub(crate) report: Report,
    control: Mutex<Control>,
    /// Wakes the poller early: the sampler was dropped.
    wake: Condvar,
    progress: Mutex<JaegerRemoteStats>,
    /// Wakes threads waiting for a poll or an update.
    progressed: Condvar,
}

/// What the poller and the last handle's drop coordinate on.
#[derive(Default)]
struct Control {
    stopped: bool,
    /// A clone of the connection of the request under way, to shut it
    /// down and so end the request at once when the sampler is dropped.
    in_flight: Option<TcpStream>,
}

/// How a poll went, for the counters.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PollOutcome {
    /// A valid strategy; `update` is the kind of the one put in force when
    /// it replaced a different one.
    Succeeded {
        update: Option<StrategyKind>,
    },
    Failed,
}

impl Shared {
    #[allow(clippy::too_many_arguments)] // one private constructor, called once
    pub(crate) fn new(
        current: Current,
        initial: Box<dyn Sampler>,
        endpoint: Endpoint,
        interval: Duration,
        timeout: Duration,
        max_operations: usize,
        report: Report,
    ) -> Shared {
        Shared {
            current,
            initial,
            endpoint,
            interval,
            timeout,
            max_operations,
            report,
            control: Mutex::new(Control::default()),
            wake: Condvar::new(),
            progress: Mutex::new(JaegerRemoteStats::new()),
            progressed: Condvar::new(),
        }
    }

    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn progress(&self) -> MutexGuard<'_, JaegerRemoteStats> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells the poller to stop, ending a request under way and a wait.
    pub(crate) fn stop(&self) {
        let mut control = self.control();
        control.stopped = true;
        if let Some(stream) = control.in_flight.take() {
            // Ends the poller's blocked read at once; an error only means
            // the connection is already gone.
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.wake.notify_all();
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.control().stopped
    }

    /// Records the connection of the request starting, so that `stop` can
    /// end it; false when already stopped (then the request is dropped).
    pub(crate) fn start_request(&self, stream: &TcpStream) -> bool {
        let mut control = self.control();
        if control.stopped {
            return false;
        }
        // Without a clone the request still ends at its timeout.
        control.in_flight = stream.try_clone().ok();
        true
    }

    pub(crate) fn end_request(&self) {
        self.control().in_flight = None;
    }

    /// Waits one polling interval; false when stopped meanwhile.
    pub(crate) fn wait_interval(&self) -> bool {
        let deadline = Instant::now().checked_add(self.interval);
        let mut control = self.control();
        while !control.stopped {
            let left = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return true,
                },
                // An interval past the end of time: wait in long steps.
                None => Duration::from_secs(3600),
            };
            control = self
                .wake
                .wait_timeout(control, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        false
    }

    /// Counts a poll and wakes the threads waiting for one.
    pub(crate) fn record(&self, outcome: PollOutcome) {
        let mut progress = self.progress();
        match outcome {
            PollOutcome::Succeeded { update } => {
                progress.polls_succeeded += 1;
                if let Some(kind) = update {
                    progress.updates += 1;
                    progress.strategy = kind;
                }
            }
            PollOutcome::Failed => progress.polls_failed += 1,
        }
        self.progressed.notify_all();
    }

    pub(crate) fn stats(&self) -> JaegerRemoteStats {
        *self.progress()
    }

    /// Waits until `done` holds for the counters, at most `timeout`;
    /// whether it holds.
    pub(crate) fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&JaegerRemoteStats) -> bool,
    ) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut progress = self.progress();
        loop {
            if done(&progress) {
                return true;
            }
            let left = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return false,
                },
                None => Duration::from_secs(3600),
            };
            progress = self
                .progressed
                .wait_timeout(progress, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JaegerRemoteSampler")
            .field("endpoint", &self.endpoint.url())
            .field("polling_interval", &self.interval)
            .field("initial", &self.initial)
            .field("max_operations", &self.max_operations)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
