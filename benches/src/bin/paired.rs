//! The per-span target ratios measured in pairs: each round times a batch
//! of spanlite's work and a batch of the peer's, back to back and in
//! alternating order, and the ratio is taken within the round. A slow
//! window of the host (this virtual machine has them, up to 2x, lasting
//! longer than a criterion run) then slows both sides of a ratio alike,
//! where criterion, measuring one function after the other, can catch one
//! side in it and not the other. The work is the `compare` benchmark's, from
//! the same library functions; criterion's ids stay the contract, this is a
//! second view of the same ratios.
//!
//! `cargo run --release -p spanlite-benches --bin paired -- [--rounds R] [filter]`
//!
//! Prints, per pair, each side's median time per operation, the median
//! ratio over the rounds with its quartiles, and the target it is judged by.
//! Two `floor/` pairs put the part of the work no design of ours can shed
//! (`benches/src/floor.rs`) beside the same peer and target.
//! For operations of a few nanoseconds (the sampler decision) the ratio
//! also depends on how the harness's loop is compiled around them: this
//! binary and criterion give different times there, for both sides.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use spanlite_benches::spanlite_peer::{self, Sampling};
use spanlite_benches::{floor, otel_peer, propagation, sampling, tracing_bridge};

/// How long one side's batch runs in a round, about.
const BATCH_TIME: Duration = Duration::from_millis(2);

/// Times `n` runs of `work`.
#[inline(never)]
fn time(n: u64, mut work: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        work();
    }
    start.elapsed()
}

/// One side of a pair: runs its work the given number of times and says
/// how long that took.
type Side<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

/// A side whose unit of work is `work`.
fn timed<'a>(mut work: impl FnMut() + 'a) -> Side<'a> {
    Box::new(move |n| time(n, &mut work))
}

/// A side whose unit of work is `work` given the next count (a sampler's
/// next trace id).
fn counted<'a>(mut work: impl FnMut(u64) + 'a) -> Side<'a> {
    let mut i = 0u64;
    timed(move || {
        i = i.wrapping_add(1);
        work(i);
    })
}

/// A side making `tracing` spans with `span` under `dispatch` (set once per
/// batch, not per span).
fn traced(dispatch: &tracing::Dispatch, span: fn()) -> Side<'_> {
    Box::new(move |n| tracing::dispatcher::with_default(dispatch, || time(n, span)))
}

/// Two ways of doing the same work, and the most the first may take as a
/// fraction of the second.
struct Pair<'a> {
    name: &'static str,
    target: f64,
    spanlite: Side<'a>,
    peer: Side<'a>,
}

/// The pair's measurement: median times per span and ratio quartiles.
struct Measured {
    spanlite_ns: f64,
    peer_ns: f64,
    ratios: [f64; 3],
}

/// How many runs of `side` take about [`BATCH_TIME`] (after a warm-up).
fn batch_size(side: &mut Side<'_>) -> u64 {
    side(10_000);
    let per_run = side(10_000).as_secs_f64() / 10_000.0;
    ((BATCH_TIME.as_secs_f64() / per_run.max(1e-9)) as u64).clamp(1_000, 1_000_000)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn measure(pair: &mut Pair<'_>, rounds: usize) -> Measured {
    let n_spanlite = batch_size(&mut pair.spanlite);
    let n_peer = batch_size(&mut pair.peer);
    let mut spanlite = Vec::with_capacity(rounds);
    let mut peer = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (a, b) = if round % 2 == 0 {
            let a = (pair.spanlite)(n_spanlite);
            (a, (pair.peer)(n_peer))
        } else {
            let b = (pair.peer)(n_peer);
            ((pair.spanlite)(n_spanlite), b)
        };
        let a = a.as_secs_f64() * 1e9 / n_spanlite as f64;
        let b = b.as_secs_f64() * 1e9 / n_peer as f64;
        spanlite.push(a);
        peer.push(b);
        ratios.push(a / b);
    }
    for v in [&mut spanlite, &mut peer, &mut ratios] {
        v.sort_by(f64::total_cmp);
    }
    Measured {
        spanlite_ns: quantile(&spanlite, 0.5),
        peer_ns: quantile(&peer, 0.5),
        ratios: [
            quantile(&ratios, 0.25),
            quantile(&ratios, 0.5),
            quantile(&ratios, 0.75),
        ],
    }
}

fn shown(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} us", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn main() -> ExitCode {
    let mut rounds = 200;
    let mut filter = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => match args.next().and_then(|r| r.parse().ok()) {
                Some(r) if r > 0 => rounds = r,
                _ => {
                    eprintln!("paired: --rounds needs a positive number");
                    return ExitCode::FAILURE;
                }
            },
            other if !other.starts_with('-') => filter = other.to_owned(),
            other => {
                eprintln!("usage: paired [--rounds R] [filter] (unknown option {other})");
                return ExitCode::FAILURE;
            }
        }
    }

    let (on, _) = spanlite_peer::provider(Sampling::AlwaysOn);
    let on_tracer = on.tracer("bench");
    let (off, _) = spanlite_peer::provider(Sampling::AlwaysOff);
    let off_tracer = off.tracer("bench");
    let parent = on_tracer
        .start_with_context("parent", &spanlite::Context::new())
        .into_context(&spanlite::Context::new());
    let (otel_on, _) = otel_peer::provider(Sampling::AlwaysOn);
    let otel_on_tracer = otel_peer::tracer(&otel_on);
    let (otel_off, _) = otel_peer::provider(Sampling::AlwaysOff);
    let otel_off_tracer = otel_peer::tracer(&otel_off);
    let otel_parent = otel_peer::parent_context(&otel_on_tracer);
    let parent_based = sampling::spanlite_parent_based();
    let remote = sampling::spanlite_remote_parent();
    let otel_parent_based = sampling::otel_parent_based();
    let otel_remote = sampling::otel_remote_parent();
    let propagator = propagation::spanlite_propagator();
    let cx = propagation::spanlite_context();
    let otel_propagator = propagation::otel_propagator();
    let otel_cx = propagation::otel_context();
    let (bridge, _bridge_provider) = tracing_bridge::spanlite_dispatch();
    let (otel_bridge, _otel_bridge_provider) = tracing_bridge::otel_dispatch();
    let (no_export, _) = floor::no_export_provider();
    let no_export_tracer = no_export.tracer("bench");
    let (layer_protocol, _) = floor::layer_protocol_dispatch();

    let mut pairs = [
        Pair {
            name: "span_root_3_attrs",
            target: 0.1,
            spanlite: timed(|| spanlite_peer::root_span(&on_tracer)),
            peer: timed(|| otel_peer::root_span(&otel_on_tracer)),
        },
        Pair {
            name: "span_child_3_attrs",
            target: 0.125,
            spanlite: timed(|| spanlite_peer::child_span(&on_tracer, &parent)),
            peer: timed(|| otel_peer::child_span(&otel_on_tracer, &otel_parent)),
        },
        Pair {
            name: "span_unsampled",
            target: 0.1,
            spanlite: timed(|| spanlite_peer::root_span(&off_tracer)),
            peer: timed(|| otel_peer::root_span(&otel_off_tracer)),
        },
        Pair {
            name: "sampler_decision parent-based",
            target: 1.0 / 3.0,
            spanlite: counted(|i| {
                black_box(sampling::spanlite_decide(
                    black_box(&parent_based),
                    black_box(&remote),
                    black_box(i),
                ));
            }),
            peer: counted(|i| {
                black_box(sampling::otel_decide(
                    black_box(&otel_parent_based),
                    black_box(&otel_remote),
                    black_box(i),
                ));
            }),
        },
        Pair {
            name: "propagation_inject_extract",
            target: 1.0 / 3.0,
            spanlite: timed(|| {
                black_box(propagation::spanlite_round_trip(
                    black_box(&propagator),
                    black_box(&cx),
                ));
            }),
            peer: timed(|| {
                black_box(propagation::otel_round_trip(
                    black_box(&otel_propagator),
                    black_box(&otel_cx),
                ));
            }),
        },
        Pair {
            name: "tracing_bridge_span",
            target: 0.2,
            spanlite: traced(&bridge, tracing_bridge::span_with_three_fields),
            peer: traced(&otel_bridge, tracing_bridge::span_with_three_fields),
        },
        // The floors against the same peers and targets: whether the part
        // of the work that a design cannot shed would already miss.
        Pair {
            name: "floor/spanlite_no_export",
            target: 0.1,
            spanlite: timed(|| spanlite_peer::root_span(&no_export_tracer)),
            peer: timed(|| otel_peer::root_span(&otel_on_tracer)),
        },
        Pair {
            name: "floor/tracing_layer_protocol",
            target: 0.2,
            spanlite: traced(&layer_protocol, tracing_bridge::span_with_three_fields),
            peer: traced(&otel_bridge, tracing_bridge::span_with_three_fields),
        },
    ];

    println!(
        "{:30} {:>10} {:>18} {:>24} {:>8}",
        "pair",
        "spanlite",
        "opentelemetry_sdk",
        format!("ratio (p25 med p75, {rounds} rounds)"),
        "target"
    );
    for pair in pairs.iter_mut().filter(|p| p.name.contains(&filter)) {
        let m = measure(pair, rounds);
        let verdict = if m.ratios[1] <= pair.target {
            "met"
        } else {
            "not met"
        };
        println!(
            "{:30} {:>10} {:>18} {:>8.3} {:>6.3} {:>8.3} {:>8.3} {verdict}",
            pair.name,
            shown(m.spanlite_ns),
            shown(m.peer_ns),
            m.ratios[0],
            m.ratios[1],
            m.ratios[2],
            pair.target,
        );
    }
    ExitCode::SUCCESS
}
