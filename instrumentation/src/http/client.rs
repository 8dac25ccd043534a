//! The client side: a CLIENT span per request, its context injected.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use http::{Request, Response};
use spanlite::{get_text_map_propagator, Context, KeyValue, SpanKind, Tracer};
use tower_layer::Layer;
use tower_service::Service;

use super::{failed_without_response, method_name, server_attributes, traced_response, TracedBody};

traced_layer! {
    /// Traces outgoing requests: a CLIENT span (child of the current context)
    /// named by the method, the context injected into the request headers with
    /// the global propagator, the HTTP client conventions recorded, 4xx and 5xx
    /// marked as errors, and the span ended when the response body is done.
    HttpClientLayer => HttpClientService
}

impl<S, B, R> Service<Request<B>> for HttpClientService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Error: std::fmt::Display,
{
    type Response = Response<TracedBody<R>>;
    type Error = S::Error;
    type Future = ClientFuture<S::Future>;

    fn poll_ready(&mut self, task: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(task)
    }

    fn call(&mut self, mut request: Request<B>) -> ClientFuture<S::Future> {
        let parent = Context::current();
        let method = method_name(request.method());
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("http").to_owned();
        let mut attributes = vec![
            KeyValue::new("http.request.method", method),
            KeyValue::new("url.full", uri.to_string()),
        ];
        if let Some(authority) = uri.authority() {
            server_attributes(authority.as_str(), &scheme, &mut attributes);
        }
        let span = self
            .tracer
            .span_builder(method)
            .with_kind(SpanKind::Client)
            .with_parent(&parent)
            .with_attributes(attributes)
            .start();
        let cx = span.into_context(&parent);
        get_text_map_propagator().inject_context(&cx, request.headers_mut());
        ClientFuture {
            inner: self.inner.call(request),
            cx: Some(cx),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a traced outgoing request.
    pub struct ClientFuture<F> {
        #[pin]
        inner: F,
        cx: Option<Context>,
    }
}

impl<F> std::fmt::Debug for ClientFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientFuture").finish()
    }
}

impl<F, R, E> Future for ClientFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
    E: std::fmt::Display,
{
    type Output = Result<Response<TracedBody<R>>, E>;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(task));
        let Some(cx) = this.cx.take() else {
            return Poll::Pending;
        };
        Poll::Ready(match result {
            Ok(response) => Ok(traced_response(cx, response, |status| {
                status.is_client_error() || status.is_server_error()
            })),
            Err(e) => {
                failed_without_response(&cx, e.to_string());
                Err(e)
            }
        })
    }
}
