//! Samplers for spanlite: the [`Sampler`] trait and the spec's head samplers.
//!
//! ```
//! use spanlite_api::{Context, SpanKind, TraceId};
//! use spanlite_samplers::{AlwaysOff, ParentBased, Sampler, SamplingParams};
//! let sampler = ParentBased::new(AlwaysOff);
//! let root = Context::new();
//! let params = SamplingParams::new(&root, TraceId::from_int(42), "GET /", SpanKind::Server);
//! assert!(!sampler.should_sample(&params).decision().is_recording());
//! ```

mod always;
mod parent_based;
mod sampler;
mod trace_id_ratio;

pub use always::{AlwaysOff, AlwaysOn};
pub use parent_based::ParentBased;
pub use sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
pub use trace_id_ratio::TraceIdRatioBased;
