//! spanlite beside opentelemetry_sdk and fastrace, in one criterion run so
//! the ratios hold on a noisy machine. The group and function ids are a
//! contract: results land in target/criterion/<group>/<function>/.
//!
//! `cargo bench -p spanlite-benches --bench compare`

// criterion_group! generates public functions without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use spanlite_benches::jaeger_encode::jaeger_encode_512;
use spanlite_benches::spanlite_peer::{self, Sampling};
use spanlite_benches::{fastrace_peer, floor, otel_peer, propagation, sampling, tracing_bridge};
use tracing::Dispatch;

fn span_root_3_attrs(c: &mut Criterion) {
    let mut group = c.benchmark_group("span_root_3_attrs");
    let (provider, _) = spanlite_peer::provider(Sampling::AlwaysOn);
    let tracer = provider.tracer("bench");
    group.bench_function("spanlite", |b| b.iter(|| spanlite_peer::root_span(&tracer)));
    let (otel, _) = otel_peer::provider(Sampling::AlwaysOn);
    let otel_tracer = otel_peer::tracer(&otel);
    group.bench_function("opentelemetry_sdk", |b| {
        b.iter(|| otel_peer::root_span(&otel_tracer))
    });
    fastrace_peer::install();
    group.bench_function("fastrace", |b| b.iter(fastrace_peer::root_span));
    group.finish();
}

fn span_child_3_attrs(c: &mut Criterion) {
    let mut group = c.benchmark_group("span_child_3_attrs");
    let (provider, _) = spanlite_peer::provider(Sampling::AlwaysOn);
    let tracer = provider.tracer("bench");
    let parent = tracer
        .start_with_context("parent", &spanlite::Context::new())
        .into_context(&spanlite::Context::new());
    group.bench_function("spanlite", |b| {
        b.iter(|| spanlite_peer::child_span(&tracer, &parent))
    });
    let (otel, _) = otel_peer::provider(Sampling::AlwaysOn);
    let otel_tracer = otel_peer::tracer(&otel);
    let otel_parent = otel_peer::parent_context(&otel_tracer);
    group.bench_function("opentelemetry_sdk", |b| {
        b.iter(|| otel_peer::child_span(&otel_tracer, &otel_parent))
    });
    fastrace_peer::install();
    let root = fastrace_peer::parent();
    let _local = root.set_local_parent();
    group.bench_function("fastrace", |b| b.iter(fastrace_peer::local_child_span));
    group.finish();
}

fn span_unsampled(c: &mut Criterion) {
    let mut group = c.benchmark_group("span_unsampled");
    let (provider, _) = spanlite_peer::provider(Sampling::AlwaysOff);
    let tracer = provider.tracer("bench");
    group.bench_function("spanlite", |b| b.iter(|| spanlite_peer::root_span(&tracer)));
    let (otel, _) = otel_peer::provider(Sampling::AlwaysOff);
    let otel_tracer = otel_peer::tracer(&otel);
    group.bench_function("opentelemetry_sdk", |b| {
        b.iter(|| otel_peer::root_span(&otel_tracer))
    });
    group.finish();
}

fn span_ratio_1pct(c: &mut Criterion) {
    let mut group = c.benchmark_group("span_ratio_1pct");
    let (provider, _) = spanlite_peer::provider(Sampling::Ratio1Pct);
    let tracer = provider.tracer("bench");
    group.bench_function("spanlite", |b| b.iter(|| spanlite_peer::root_span(&tracer)));
    let (otel, _) = otel_peer::provider(Sampling::Ratio1Pct);
    let otel_tracer = otel_peer::tracer(&otel);
    group.bench_function("opentelemetry_sdk", |b| {
        b.iter(|| otel_peer::root_span(&otel_tracer))
    });
    group.finish();
}

/// Two threads doing the root-span work at once; reported per span.
fn on_two_threads(iters: u64, work: impl Fn() + Sync) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..iters {
                    work();
                }
            });
        }
    });
    start.elapsed() / 2
}

fn span_root_3_attrs_2threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("span_root_3_attrs_2threads");
    let (provider, _) = spanlite_peer::provider(Sampling::AlwaysOn);
    let tracer = provider.tracer("bench");
    group.bench_function("spanlite", |b| {
        b.iter_custom(|iters| on_two_threads(iters, || spanlite_peer::root_span(&tracer)))
    });
    let (otel, _) = otel_peer::provider(Sampling::AlwaysOn);
    let otel_tracer = otel_peer::tracer(&otel);
    group.bench_function("opentelemetry_sdk", |b| {
        b.iter_custom(|iters| on_two_threads(iters, || otel_peer::root_span(&otel_tracer)))
    });
    group.finish();
}

fn otlp_encode_512(c: &mut Criterion) {
    let mut group = c.benchmark_group("otlp_encode_512");
    let spans = spanlite_peer::finished_spans(512);
    let mut encoder = spanlite_exporters::otlp::OtlpEncoder::new();
    let mut out = Vec::new();
    group.bench_function("spanlite", |b| {
        b.iter(|| {
            out.clear();
            encoder.encode_protobuf(&spans, &mut out);
            out.len()
        })
    });
    let otel_spans = otel_peer::finished_spans(512);
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("bench")
        .build();
    group.bench_function("opentelemetry_proto", |b| {
        b.iter_batched(
            || otel_spans.clone(),
            |batch| {
                let mut out = Vec::new();
                otel_peer::encode_with_opentelemetry_proto(batch, &resource, &mut out);
                out.len()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// One head-sampling decision for a span about to start; the trace id
/// changes every iteration.
fn sampler_decision(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampler_decision");
    let root = spanlite::Context::new();
    let otel_root = opentelemetry::Context::new();
    let remote = sampling::spanlite_remote_parent();
    let otel_remote = sampling::otel_remote_parent();

    let ratio = sampling::spanlite_ratio();
    let mut i = 0u64;
    group.bench_function("spanlite_ratio", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            sampling::spanlite_decide(black_box(&ratio), black_box(&root), black_box(i))
        })
    });
    let otel_ratio = sampling::otel_ratio();
    group.bench_function("opentelemetry_sdk_ratio", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            sampling::otel_decide(black_box(&otel_ratio), black_box(&otel_root), black_box(i))
        })
    });

    let parent_based = sampling::spanlite_parent_based();
    group.bench_function("spanlite_parentbased", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            sampling::spanlite_decide(black_box(&parent_based), black_box(&remote), black_box(i))
        })
    });
    let otel_parent_based = sampling::otel_parent_based();
    group.bench_function("opentelemetry_sdk_parentbased", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            sampling::otel_decide(
                black_box(&otel_parent_based),
                black_box(&otel_remote),
                black_box(i),
            )
        })
    });

    let rule_based = sampling::spanlite_rule_based();
    group.bench_function("spanlite_rule_based", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            sampling::spanlite_decide(black_box(&rule_based), black_box(&root), black_box(i))
        })
    });
    group.finish();
}

/// W3C Trace Context + Baggage: inject into a fresh `http::HeaderMap` and
/// extract from it.
fn propagation_inject_extract(c: &mut Criterion) {
    let mut group = c.benchmark_group("propagation_inject_extract");
    let propagator = propagation::spanlite_propagator();
    let cx = propagation::spanlite_context();
    group.bench_function("spanlite", |b| {
        b.iter(|| propagation::spanlite_round_trip(black_box(&propagator), black_box(&cx)))
    });
    let otel_propagator = propagation::otel_propagator();
    let otel_cx = propagation::otel_context();
    group.bench_function("opentelemetry_sdk", |b| {
        b.iter(|| propagation::otel_round_trip(black_box(&otel_propagator), black_box(&otel_cx)))
    });
    group.finish();
}

criterion_group! {
    name = decisions;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = sampler_decision, propagation_inject_extract
}

fn tracing_bridge_span(c: &mut Criterion) {
    let mut group = c.benchmark_group("tracing_bridge_span");
    let (dispatch, _provider) = tracing_bridge::spanlite_dispatch();
    bench_traced(&mut group, "spanlite", &dispatch);
    let (dispatch, _otel_provider) = tracing_bridge::otel_dispatch();
    bench_traced(&mut group, "tracing_opentelemetry", &dispatch);
    group.finish();
}

/// Benchmarks `tracing_bridge_span`'s unit of work as `id`, under
/// `dispatch`.
fn bench_traced(group: &mut BenchmarkGroup<'_, WallTime>, id: &str, dispatch: &Dispatch) {
    tracing::dispatcher::with_default(dispatch, || {
        group.bench_function(id, |b| b.iter(tracing_bridge::span_with_three_fields));
    });
}

criterion_group! {
    name = encoding;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = otlp_encode_512, jaeger_encode_512, tracing_bridge_span
}

/// The least a sampled span costs on this machine, beside which the
/// per-span targets read: two reads of the TSC clock (fastant, as fastrace
/// reads it; spanlite's own clock is the same instruction), two of the OS
/// clock, a span that is only its data handed to a reading thread, the
/// `span_root_3_attrs` work through spanlite with a processor that keeps
/// nothing (no export path at all), and the `tracing_bridge_span` work
/// through the `tracing` registry alone and with a layer doing only the
/// registry work of a bridge keeping its spans in the registry's extensions
/// (`spanlite_benches::floor`).
fn floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    group.bench_function("tsc_now_x2", |b| {
        b.iter(|| (fastant::Instant::now(), fastant::Instant::now()))
    });
    group.bench_function("std_instant_now_x2", |b| {
        b.iter(|| (Instant::now(), Instant::now()))
    });
    let mut minimal = floor::MinimalTracer::new();
    group.bench_function("minimal_span", |b| b.iter(|| minimal.root_span()));
    let (provider, _) = floor::no_export_provider();
    let tracer = provider.tracer("bench");
    group.bench_function("spanlite_no_export", |b| {
        b.iter(|| spanlite_peer::root_span(&tracer))
    });
    bench_traced(&mut group, "tracing_registry", &floor::registry_dispatch());
    let (dispatch, _) = floor::layer_protocol_dispatch();
    bench_traced(&mut group, "tracing_layer_protocol", &dispatch);
    group.finish();
}

criterion_group! {
    name = spans;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = span_root_3_attrs, span_child_3_attrs, span_unsampled, span_ratio_1pct, span_root_3_attrs_2threads, floor
}
criterion_main!(spans, encoding, decisions);
