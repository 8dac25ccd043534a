//! A response body that ends its span when the body is done.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use http_body::{Body, Frame, SizeHint};
use spanlite::{Context, Status};

pin_project_lite::pin_project! {
    /// Wraps a body so that its span ends when the last frame has been
    /// read, when reading fails, or when the body is dropped unread.
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        cx: Option<Context>,
    }

    impl<B> PinnedDrop for TracedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(cx) = this.cx.take() {
                cx.span().end();
            }
        }
    }
}

impl<B> TracedBody<B> {
    pub(crate) fn new(inner: B, cx: Context) -> TracedBody<B> {
        TracedBody {
            inner,
            cx: Some(cx),
        }
    }
}

impl<B: std::fmt::Debug> std::fmt::Debug for TracedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedBody")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<B: Body> Body for TracedBody<B>
where
    B::Error: std::fmt::Display,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        task: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(task);
        match &polled {
            Poll::Ready(None) => {
                if let Some(cx) = this.cx.take() {
                    cx.span().end();
                }
            }
            Poll::Ready(Some(Err(e))) => {
                if let Some(cx) = this.cx.take() {
                    cx.span()
                        .set_status(Status::error(format!("response body: {e}")));
                    cx.span().end();
                }
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
