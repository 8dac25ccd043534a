//! The [`TextMapPropagator`] trait: how a context crosses a process
//! boundary as text headers.

use std::fmt;
use std::sync::Arc;

use spanlite_api::Context;

use crate::{Extractor, Injector};

/// Writes a [`Context`] into headers and reads it back.
///
/// Object-safe: `Box<dyn TextMapPropagator>` and `Arc<dyn TextMapPropagator>`
/// are propagators too. Implementations never panic on any input: a header
/// they cannot read leaves the context as it was.
pub trait TextMapPropagator: Send + Sync + fmt::Debug {
    /// Writes the parts of `cx` this format carries into `injector`.
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector);

    /// Returns `cx` with what this format finds in `extractor` added. When
    /// it finds nothing valid, the result is `cx` unchanged.
    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context;

    /// The header names [`inject_context`](Self::inject_context) may
    /// write, lowercase. A carrier that is reused can clear them first.
    fn fields(&self) -> &[&'static str];

    /// [`inject_context`](Self::inject_context) with the thread's current
    /// context.
    fn inject(&self, injector: &mut dyn Injector) {
        Context::map_current(|cx| self.inject_context(cx, injector));
    }

    /// [`extract_with_context`](Self::extract_with_context) on top of the
    /// thread's current context.
    fn extract(&self, extractor: &dyn Extractor) -> Context {
        Context::map_current(|cx| self.extract_with_context(cx, extractor))
    }
}

macro_rules! forward {
    ($($pointer:ident),*) => {$(
        impl<P: TextMapPropagator + ?Sized> TextMapPropagator for $pointer<P> {
            fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
                (**self).inject_context(cx, injector);
            }

            fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
                (**self).extract_with_context(cx, extractor)
            }

            fn fields(&self) -> &[&'static str] {
                (**self).fields()
            }
        }
    )*};
}

forward!(Box, Arc);
