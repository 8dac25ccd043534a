//! The polling thread: asks the endpoint for the strategy at once and then
//! every interval, puts each new valid strategy in force, and reports
//! failures, at most one report per five minutes.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::http::FetchError;
use super::installed::Installed;
use super::shared::{PollOutcome, Shared};
use super::strategy::Strategy;

/// The name of every sampler's polling thread.
pub(crate) const THREAD_NAME: &str = "spanlite-jaeger-sampler";

/// The diagnostic name of a failed poll.
pub(crate) const POLL_FAILED: &str = "jaeger_remote_poll_failed";

/// At most one report of failed polls per this long.
const REPORT_EVERY: Duration = Duration::from_secs(300);

/// Starts the polling thread. It holds `shared` until told to stop.
pub(crate) fn spawn(shared: Arc<Shared>) -> io::Result<()> {
    std::thread::Builder::new()
        .name(THREAD_NAME.to_owned())
        .spawn(move || run(&shared))
        .map(drop)
}

fn run(shared: &Shared) {
    let mut reports = FailureReports::default();
    loop {
        let outcome = poll(shared);
        if shared.is_stopped() {
            return;
        }
        match outcome {
            Ok(strategy) => {
                let update = install_if_new(shared, strategy);
                shared.record(PollOutcome::Succeeded { update });
            }
            Err(why) => {
                shared.record(PollOutcome::Failed);
                reports.failed(shared, &why);
            }
        }
        if !shared.wait_interval() {
            return;
        }
    }
}

/// One request and its answer.
fn poll(shared: &Shared) -> Result<Strategy, PollError> {
    let body = shared
        .endpoint
        .get(shared.timeout, |stream| shared.start_request(stream));
    shared.end_request();
    Strategy::from_json(&body.map_err(PollError::Fetch)?).map_err(PollError::Invalid)
}

/// Puts `strategy` in force unless it is the one in force (so rate
/// limiters keep their buckets); the kind put in force, if any.
fn install_if_new(shared: &Shared, strategy: Strategy) -> Option<super::StrategyKind> {
    if shared.current.load().strategy.as_ref() == Some(&strategy) {
        return None;
    }
    let installed = Installed::new(
        shared.current.next_version(),
        strategy,
        shared.max_operations,
    );
    let kind = installed.kind();
    shared.current.install(installed);
    Some(kind)
}

#[derive(Debug)]
enum PollError {
    Fetch(FetchError),
    Invalid(String),
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollError::Fetch(why) => why.fmt(f),
            PollError::Invalid(why) => write!(f, "invalid answer: {why}"),
        }
    }
}

/// Rate-limits the reports of failed polls: the first at once, then at
/// most one per `REPORT_EVERY`, saying how many went unreported.
#[derive(Debug, Default)]
struct FailureReports {
    last: Option<Instant>,
    unreported: u64,
}

impl FailureReports {
    fn failed(&mut self, shared: &Shared, why: &PollError) {
        if self.last.is_some_and(|last| last.elapsed() < REPORT_EVERY) {
            self.unreported += 1;
            return;
        }
        let unreported = std::mem::take(&mut self.unreported);
        let more = if unreported > 0 {
            format!(" ({unreported} more failed polls since the last report)")
        } else {
            String::new()
        };
        (shared.report)(
            POLL_FAILED,
            format_args!(
                "GET {}: {why}; the sampling strategy in force stays{more}",
                shared.endpoint.url()
            ),
        );
        self.last = Some(Instant::now());
    }
}
