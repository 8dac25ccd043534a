//! Ends spans as fast as N threads can for S seconds through the default
//! batch pipeline into an exporter that discards, then flushes, and prints
//! one line of counts. For spanlite it exits non-zero unless
//! `ended == exported + dropped`.
//!
//! `cargo run --release -p spanlite-benches --bin saturate -- --sdk spanlite --threads 2 --seconds 2`

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use spanlite_benches::spanlite_peer::{self, Sampling};
use spanlite_benches::{otel_peer, rss};

struct Args {
    sdk: String,
    threads: usize,
    seconds: f64,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        sdk: "spanlite".into(),
        threads: 1,
        seconds: 2.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--sdk" => args.sdk = value,
            "--threads" => args.threads = value.parse().map_err(|_| "--threads takes a number")?,
            "--seconds" => args.seconds = value.parse().map_err(|_| "--seconds takes a number")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.threads == 0 || !(args.seconds > 0.0 && args.seconds <= 600.0) {
        return Err("--threads must be at least 1 and --seconds in (0, 600]".into());
    }
    Ok(args)
}

/// Runs `work` on `threads` threads until `seconds` pass; returns how many
/// times it ran in all, and the elapsed time.
fn hammer(threads: usize, seconds: f64, work: impl Fn() + Sync) -> (u64, Duration) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let total = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        for _ in 0..1024 {
                            work();
                        }
                        n += 1024;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    (total, started.elapsed())
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("saturate: {e}");
            eprintln!("usage: saturate --sdk spanlite|opentelemetry_sdk --threads N --seconds S");
            return ExitCode::from(2);
        }
    };
    let (ended, exported, dropped, elapsed) = match args.sdk.as_str() {
        "spanlite" => {
            let (provider, exported) = spanlite_peer::provider(Sampling::AlwaysOn);
            let tracer = provider.tracer("saturate");
            let (ended, elapsed) = hammer(args.threads, args.seconds, || {
                spanlite_peer::root_span(&tracer)
            });
            if let Err(e) = provider.force_flush(Duration::from_secs(30)) {
                eprintln!("saturate: flush failed: {e}");
            }
            let stats = provider.stats();
            let exported_by_exporter = exported.load(Ordering::Relaxed);
            if stats.ended() != ended || stats.exported() != exported_by_exporter {
                eprintln!(
                    "saturate: counts disagree: loop ended {ended}, stats {stats:?}, exporter saw {exported_by_exporter}"
                );
                return ExitCode::FAILURE;
            }
            if stats.ended() != stats.exported() + stats.dropped() {
                eprintln!("saturate: ended != exported + dropped: {stats:?}");
                return ExitCode::FAILURE;
            }
            (stats.ended(), stats.exported(), stats.dropped(), elapsed)
        }
        "opentelemetry_sdk" => {
            let (provider, exported) = otel_peer::provider(Sampling::AlwaysOn);
            let tracer = otel_peer::tracer(&provider);
            let (ended, elapsed) =
                hammer(args.threads, args.seconds, || otel_peer::root_span(&tracer));
            otel_peer::flush(&provider);
            let exported = exported.load(Ordering::Relaxed);
            (ended, exported, ended.saturating_sub(exported), elapsed)
        }
        other => {
            eprintln!("saturate: unknown --sdk {other} (spanlite or opentelemetry_sdk)");
            return ExitCode::from(2);
        }
    };
    let secs = elapsed.as_secs_f64();
    println!(
        "sdk={} threads={} ended={ended} exported={exported} dropped={dropped} ended_per_s={:.0} exported_per_s={:.0} peak_rss_mb={:.1}",
        args.sdk,
        args.threads,
        ended as f64 / secs,
        exported as f64 / secs,
        rss::peak_rss_mb()
    );
    ExitCode::SUCCESS
}
