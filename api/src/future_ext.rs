//! Carrying a Context across `.await`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::Context;

/// Makes a Context current whenever a future is polled, so spans started
/// inside it (on whatever thread the executor runs it) get the right parent.
///
/// ```
/// use spanlite_api::{Context, FutureExt};
/// async fn handler() { /* Context::current() is `cx` here */ }
/// let cx = Context::current();
/// let _future = handler().with_context(cx);
/// ```
pub trait FutureExt: Sized {
    /// Polls `self` with `cx` current.
    fn with_context(self, cx: Context) -> WithContext<Self> {
        WithContext { inner: self, cx }
    }

    /// Polls `self` with the context that is current now.
    fn with_current_context(self) -> WithContext<Self> {
        self.with_context(Context::current())
    }
}

impl<F: Future> FutureExt for F {}

/// A future polled with a Context current; see [`FutureExt`].
pub struct WithContext<F> {
    inner: F,
    cx: Context,
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of
        // `WithContext`, which has no Drop impl and no `Unpin` impl that
        // would let it move, and the `cx` field is only cloned.
        let this = unsafe { self.get_unchecked_mut() };
        let _guard = this.cx.clone().attach();
        // SAFETY: `this` came from a pinned reference and `inner` stays in
        // place for as long as `this` lives (see above).
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        inner.poll(task)
    }
}

impl<F> fmt::Debug for WithContext<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithContext").field("cx", &self.cx).finish()
    }
}
