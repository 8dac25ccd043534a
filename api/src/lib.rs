//! The vocabulary of spanlite: what a span is made of and how the current
//! one is found. No dependencies beyond `std`.
//!
//! **In libraries**, depend on this crate alone and take spans from the
//! [`Context`]: the application decides, by linking the `spanlite` SDK,
//! whether and where they are recorded.
//!
//! **In applications**, use the `spanlite` crate, which re-exports all of
//! this beside the tracer provider.
//!
//! ```
//! use spanlite_api::{Context, KeyValue, Status};
//! fn charge(amount_cents: i64) {
//!     let cx = Context::current();
//!     let span = cx.span();
//!     span.set_attribute(KeyValue::new("payment.amount_cents", amount_cents));
//!     span.set_status(Status::Ok);
//! }
//! charge(1299); // without an active span, every call is a no-op
//! ```

mod baggage;
mod context;
mod exception;
mod future_ext;
mod hex;
mod id;
mod key;
mod key_value;
mod link;
mod shared_span;
mod span_context;
mod span_kind;
mod status;
mod string_value;
mod trace_flags;
mod trace_state;
mod value;

pub use baggage::{Baggage, BaggageEntry};
pub use context::{Context, ContextGuard, ContextValues, ForeignCurrent};
pub use exception::{
    exception_attributes, EXCEPTION_MESSAGE, EXCEPTION_STACKTRACE, EXCEPTION_TYPE,
};
pub use future_ext::{FutureExt, WithContext};
pub use id::{ParseIdError, SpanId, TraceId};
pub use key::Key;
pub use key_value::KeyValue;
pub use link::Link;
pub use shared_span::{SharedSpan, SpanRef};
pub use span_context::SpanContext;
pub use span_kind::SpanKind;
pub use status::Status;
pub use string_value::StringValue;
pub use trace_flags::TraceFlags;
pub use trace_state::{TraceState, TraceStateError};
pub use value::{Array, Value};
