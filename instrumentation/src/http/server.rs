//! The server side: a SERVER span per request, current for the handler.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use http::{Request, Response};
use spanlite::{
    get_text_map_propagator, Context, FutureExt, KeyValue, SpanKind, Tracer, WithContext,
};
use tower_layer::Layer;
use tower_service::Service;

use super::{failed_without_response, method_name, server_attributes, traced_response, TracedBody};

/// The route template that matched a request (`/users/{id}`), inserted into
/// the request's extensions by the router (or the application) so the span
/// is named `{method} {route}`. With the `axum` feature, axum's
/// `MatchedPath` is read when this is absent: `Router::layer` applies the
/// layer after routing, so the route is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute(pub String);

/// The peer's address, inserted into the request's extensions by the
/// accept loop, recorded as `client.address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::SocketAddr);

traced_layer! {
    /// Traces every request: extracts the caller's context with the global
    /// propagator, starts a SERVER span named `{method} {route}` (the method
    /// alone without a route), records the HTTP semantic conventions, makes the
    /// span current for the handler (across `.await` too), sets status Error on
    /// 5xx, and ends the span when the response body is done.
    HttpServerLayer => HttpServerService
}

impl<S, B, R> Service<Request<B>> for HttpServerService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<TracedBody<R>>;
    type Error = S::Error;
    type Future = ServerFuture<S::Future>;

    fn poll_ready(&mut self, task: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(task)
    }

    fn call(&mut self, request: Request<B>) -> ServerFuture<S::Future> {
        let parent =
            get_text_map_propagator().extract_with_context(&Context::current(), request.headers());
        let method = method_name(request.method());
        let route = route(&request);
        let name = match &route {
            Some(route) => format!("{method} {route}"),
            None => method.to_owned(),
        };
        let mut attributes = vec![
            KeyValue::new("http.request.method", method),
            KeyValue::new("url.path", request.uri().path().to_owned()),
        ];
        let scheme = request.uri().scheme_str().unwrap_or("http").to_owned();
        attributes.push(KeyValue::new("url.scheme", scheme.clone()));
        if let Some(route) = route {
            attributes.push(KeyValue::new("http.route", route));
        }
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| request.uri().authority().map(|a| a.to_string()));
        if let Some(host) = host {
            server_attributes(&host, &scheme, &mut attributes);
        }
        if let Some(ClientAddress(addr)) = request.extensions().get::<ClientAddress>() {
            attributes.push(KeyValue::new("client.address", addr.ip().to_string()));
        }
        if let Some(agent) = request
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
        {
            attributes.push(KeyValue::new("user_agent.original", agent.to_owned()));
        }
        let span = self
            .tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .with_parent(&parent)
            .with_attributes(attributes)
            .start();
        let cx = span.into_context(&parent);
        let inner = {
            let _guard = cx.clone().attach();
            self.inner.call(request)
        };
        ServerFuture {
            inner: inner.with_context(cx.clone()),
            cx: Some(cx),
        }
    }
}

/// The route template: the application's [`HttpRoute`], else (with the
/// `axum` feature) the path pattern axum's router matched.
fn route<B>(request: &Request<B>) -> Option<String> {
    if let Some(HttpRoute(route)) = request.extensions().get::<HttpRoute>() {
        return Some(route.clone());
    }
    #[cfg(feature = "axum")]
    if let Some(matched) = request.extensions().get::<axum::extract::MatchedPath>() {
        return Some(matched.as_str().to_owned());
    }
    None
}

pin_project_lite::pin_project! {
    /// The future of a traced request.
    pub struct ServerFuture<F> {
        #[pin]
        inner: WithContext<F>,
        cx: Option<Context>,
    }
}

impl<F> std::fmt::Debug for ServerFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerFuture").finish()
    }
}

impl<F, R, E> Future for ServerFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
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
                status.is_server_error()
            })),
            Err(e) => {
                failed_without_response(&cx, "the handler failed".to_owned());
                Err(e)
            }
        })
    }
}
