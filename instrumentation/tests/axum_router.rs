//! The server layer on an axum `Router` served on 127.0.0.1: spans named
//! after the route axum matched, the caller's context continued, the span
//! current in handlers across `.await`, 5xx as errors, unmatched paths
//! traced with the method alone.

use std::net::SocketAddr;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use spanlite::{
    Context, InMemoryExporter, SpanData, SpanId, SpanKind, Status, TraceId, TracerProvider, Value,
};
use spanlite_instrumentation::http::HttpServerLayer;

/// The current span's ids as a handler sees them, after an `.await`.
async fn whoami(Path(id): Path<u32>) -> String {
    tokio::task::yield_now().await;
    let cx = Context::current();
    let span = cx.span().span_context().clone();
    format!("{id} {} {}", span.trace_id(), span.span_id())
}

async fn fail() -> (StatusCode, &'static str) {
    (StatusCode::INTERNAL_SERVER_ERROR, "boom")
}

async fn serve(provider: &TracerProvider) -> SocketAddr {
    let app = Router::new()
        .route("/users/{id}", get(whoami))
        .route("/fail", get(fail))
        .layer(HttpServerLayer::new(provider.tracer("axum-test")));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

async fn get_text(url: String, traceparent: Option<&str>) -> (u16, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut request = Request::get(url);
    if let Some(tp) = traceparent {
        request = request.header("traceparent", tp);
    }
    let response = client
        .request(request.body(Empty::new()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn attribute(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes()
        .iter()
        .find(|kv| kv.key().as_str() == key)
        .map(|kv| kv.value().clone())
}

fn provider() -> (TracerProvider, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    (provider, exporter)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_named_after_the_route_axum_matched_and_continue_the_callers_trace() {
    let (provider, exporter) = provider();
    let addr = serve(&provider).await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (status, body) = get_text(format!("http://{addr}/users/42"), Some(traceparent)).await;
    assert_eq!(status, 200);

    let spans = exporter.finished_spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.name(), "GET /users/{id}");
    assert_eq!(span.kind(), SpanKind::Server);
    assert_eq!(
        attribute(span, "http.route"),
        Some(Value::from("/users/{id}"))
    );
    assert_eq!(attribute(span, "url.path"), Some(Value::from("/users/42")));
    assert_eq!(
        attribute(span, "http.response.status_code"),
        Some(Value::from(200i64))
    );
    let trace_id = TraceId::from_int(0x4bf92f3577b34da6a3ce929d0e0e4736);
    assert_eq!(span.span_context().trace_id(), trace_id);
    assert_eq!(span.parent_span_id(), SpanId::from_int(0x00f067aa0ba902b7));
    // The handler ran inside the server span, after an await too.
    assert_eq!(
        body,
        format!("42 {} {}", trace_id, span.span_context().span_id())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_from_an_axum_handler_is_an_error_and_unmatched_paths_use_the_method_alone() {
    let (provider, exporter) = provider();
    let addr = serve(&provider).await;
    assert_eq!(get_text(format!("http://{addr}/fail"), None).await.0, 500);
    assert_eq!(
        get_text(format!("http://{addr}/nowhere"), None).await.0,
        404
    );

    let spans = exporter.finished_spans();
    assert_eq!(spans.len(), 2, "{spans:?}");
    let failed = spans.iter().find(|s| s.name() == "GET /fail").unwrap();
    assert!(
        matches!(failed.status(), Status::Error { .. }),
        "{:?}",
        failed.status()
    );
    assert_eq!(attribute(failed, "error.type"), Some(Value::from("500")));
    // The fallback has no route template: the name is the method alone, and
    // a 404 is not a server error.
    let unmatched = spans.iter().find(|s| s.name() == "GET").unwrap();
    assert_eq!(attribute(unmatched, "http.route"), None);
    assert_eq!(unmatched.status(), &Status::Unset);
    assert_eq!(
        attribute(unmatched, "http.response.status_code"),
        Some(Value::from(404i64))
    );
}
