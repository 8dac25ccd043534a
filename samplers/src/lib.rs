//! Samplers for spanlite: the [`Sampler`] trait and the head samplers,
//! which decide when a span starts whether it is recorded and exported.
//!
//! ```
//! use spanlite_api::{Context, SpanKind, TraceId};
//! use spanlite_samplers::{AlwaysOff, ParentBased, Sampler, SamplingParams};
//! let sampler = ParentBased::new(AlwaysOff);
//! let root = Context::new();
//! let params = SamplingParams::new(&root, TraceId::from_int(42), "GET /", SpanKind::Server);
//! assert!(!sampler.should_sample(&params).decision().is_recording());
//! ```
//!
//! **In applications**, give the tracer provider one sampler. The default
//! is `ParentBased(AlwaysOn)`; [`sampler_from_env`] reads the
//! `OTEL_TRACES_SAMPLER` variables. The samplers:
//!
//! | sampler | samples |
//! |---|---|
//! | [`AlwaysOn`], [`AlwaysOff`] | everything, nothing |
//! | [`ParentBased`] | as the parent did; asks its root sampler for roots |
//! | [`ProbabilitySampler`] | a fraction of traces, consistently, recording `ot=th:...` in the trace state |
//! | [`TraceIdRatioBased`] | the same fraction, leaving the trace state alone (the spec's older name) |
//! | [`RateLimiting`] | at most N new traces per second |
//! | [`RuleBased`] | by the first matching rule on name, kind and start attributes |
//! | `JaegerRemoteSampler` | by the strategy a Jaeger sampling endpoint serves for the service, polled in the background (feature `jaeger-remote`, on by default) |
//! | [`AlwaysRecord`] | what its inner sampler samples, and records the rest |
//! | [`sampler_fn`] | whatever a closure says |
//!
//! **In libraries** that provide a sampler, implement [`Sampler`]: it is
//! object-safe, so applications can box it or combine it with the others.
//!
//! # Example: a custom sampler
//!
//! Keep every span that starts with `error = true` or with a
//! `sampling.priority` of 1 or more, and 1% of the others:
//!
//! ```
//! use spanlite_api::{Context, KeyValue, SpanKind, TraceId, Value};
//! use spanlite_samplers::{
//!     AlwaysOn, Sampler, SamplingParams, SamplingResult, TraceIdRatioBased,
//! };
//!
//! #[derive(Debug)]
//! struct ErrorsAndPriority {
//!     important: AlwaysOn,
//!     rest: TraceIdRatioBased,
//! }
//!
//! impl ErrorsAndPriority {
//!     fn new() -> Self {
//!         ErrorsAndPriority { important: AlwaysOn, rest: TraceIdRatioBased::new(0.01) }
//!     }
//! }
//!
//! impl Sampler for ErrorsAndPriority {
//!     fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
//!         let important = params.attributes.iter().any(|kv| {
//!             match (kv.key().as_str(), kv.value()) {
//!                 ("error", Value::Bool(true)) => true,
//!                 ("sampling.priority", Value::I64(p)) => *p >= 1,
//!                 _ => false,
//!             }
//!         });
//!         if important {
//!             self.important.should_sample(params)
//!         } else {
//!             self.rest.should_sample(params)
//!         }
//!     }
//!
//!     fn description(&self) -> String {
//!         format!("ErrorsAndPriority{{rest:{}}}", self.rest.description())
//!     }
//! }
//!
//! let sampler = ErrorsAndPriority::new();
//! let root = Context::new();
//! // A trace id whose random bits fall in the 99% that 1% sampling drops.
//! let id = TraceId::from_int(1);
//! let plain = SamplingParams::new(&root, id, "GET /", SpanKind::Server);
//! assert!(!sampler.should_sample(&plain).decision().is_sampled());
//! let failed = [KeyValue::new("error", true)];
//! assert!(sampler.should_sample(&plain.with_attributes(&failed)).decision().is_sampled());
//! let urgent = [KeyValue::new("sampling.priority", 1_i64)];
//! assert!(sampler.should_sample(&plain.with_attributes(&urgent)).decision().is_sampled());
//! ```
//!
//! The same policy without a new type, as rules (exact values only):
//!
//! ```
//! use spanlite_samplers::{AlwaysOn, RuleBased, SpanMatcher, TraceIdRatioBased};
//!
//! let sampler = RuleBased::builder()
//!     .rule(SpanMatcher::new().attribute("error", true), AlwaysOn)
//!     .rule(SpanMatcher::new().attribute("sampling.priority", 1_i64), AlwaysOn)
//!     .build(TraceIdRatioBased::new(0.01));
//! # let _ = sampler;
//! ```

mod always;
mod always_record;
mod diagnostics;
mod env;
#[cfg(feature = "jaeger-remote")]
mod jaeger_remote;
mod ot_entry;
mod parent_based;
mod probability;
mod rate_limiting;
mod rule_based;
mod sampler;
mod sampler_fn;
mod span_matcher;
mod threshold;
mod trace_id_ratio;

pub use always::{AlwaysOff, AlwaysOn};
pub use always_record::AlwaysRecord;
pub use diagnostics::{set_diagnostic_reporter, DiagnosticReporter};
pub use env::{
    sampler_arg_warning, sampler_from_config, sampler_from_config_for_service, sampler_from_env,
    SamplerConfigError,
};
#[cfg(feature = "jaeger-remote")]
pub use jaeger_remote::{
    JaegerRemoteError, JaegerRemoteSampler, JaegerRemoteSamplerBuilder, JaegerRemoteStats,
    StrategyKind,
};
pub use parent_based::ParentBased;
pub use probability::ProbabilitySampler;
pub use rate_limiting::RateLimiting;
pub use rule_based::{RuleBased, RuleBasedBuilder};
pub use sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
pub use sampler_fn::{sampler_fn, IntoSamplingResult, SamplerFn};
pub use span_matcher::SpanMatcher;
pub use trace_id_ratio::TraceIdRatioBased;
