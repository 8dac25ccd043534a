//! The HTTP layers with a real hyper server and client on 127.0.0.1: one
//! trace across client -> server -> nested client call -> server, the
//! conventions, errors, and malformed headers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use spanlite::{InMemoryExporter, SpanData, SpanKind, TracerProvider, Value};
use spanlite_instrumentation::http::{ClientAddress, HttpClientLayer, HttpRoute, HttpServerLayer};
use tower::{Service, ServiceBuilder, ServiceExt};

type Body = http_body_util::combinators::BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

fn full(text: &'static str) -> Body {
    Full::new(Bytes::from_static(text.as_bytes()))
        .map_err(|e| match e {})
        .boxed()
}

async fn get(
    tracer: &spanlite::Tracer,
    url: String,
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let mut service = ServiceBuilder::new()
        .layer(HttpClientLayer::new(tracer.clone()))
        .service(client);
    let mut request = Request::get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = service
        .ready()
        .await
        .unwrap()
        .call(request.body(full("")).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn start_server(tracer: spanlite::Tracer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                return;
            };
            let tracer = tracer.clone();
            tokio::spawn(async move {
                let handler_tracer = tracer.clone();
                let service = ServiceBuilder::new()
                    .map_request(move |mut request: Request<hyper::body::Incoming>| {
                        let route = match request.uri().path() {
                            "/nested" | "/leaf" | "/fail" => request.uri().path().to_owned(),
                            _ => "/{other}".to_owned(),
                        };
                        request.extensions_mut().insert(HttpRoute(route));
                        request.extensions_mut().insert(ClientAddress(peer));
                        request
                    })
                    .layer(HttpServerLayer::new(tracer))
                    .service_fn(move |request: Request<hyper::body::Incoming>| {
                        let tracer = handler_tracer.clone();
                        async move {
                            let response = match request.uri().path() {
                                "/nested" => {
                                    let (status, _) =
                                        get(&tracer, format!("http://{addr}/leaf"), &[]).await;
                                    Response::builder()
                                        .status(status)
                                        .body(full("nested"))
                                        .unwrap()
                                }
                                "/fail" => {
                                    Response::builder().status(500).body(full("boom")).unwrap()
                                }
                                _ => Response::new(full("leaf")),
                            };
                            Ok::<_, Infallible>(response)
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    addr
}

fn setup() -> (TracerProvider, spanlite::Tracer, InMemoryExporter) {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("http");
    (provider, tracer, exporter)
}

/// Waits until `n` spans have ended: the server span ends when hyper has
/// written the body, a moment after the client has read it.
fn spans(exporter: &InMemoryExporter, n: usize) -> Vec<SpanData> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let spans = exporter.finished_spans();
        if spans.len() >= n || Instant::now() > deadline {
            return spans;
        }
        std::thread::yield_now();
    }
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes()
        .iter()
        .find(|kv| kv.key().as_str() == key)
        .map(|kv| kv.value())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn one_trace_spans_client_server_and_a_nested_call_with_correct_parents() {
    let (_provider, tracer, exporter) = setup();
    let rt = runtime();
    let (status, body) = rt.block_on(async {
        let addr = start_server(tracer.clone()).await;
        get(
            &tracer,
            format!("http://{addr}/nested"),
            &[("user-agent", "tests/1.0")],
        )
        .await
    });
    assert_eq!((status, body.as_str()), (StatusCode::OK, "nested"));
    let spans = spans(&exporter, 4);
    assert_eq!(spans.len(), 4, "{spans:#?}");
    let find = |kind: SpanKind, path: &str| {
        spans
            .iter()
            .find(|s| {
                s.kind() == kind
                    && attr(
                        s,
                        if kind == SpanKind::Server {
                            "url.path"
                        } else {
                            "url.full"
                        },
                    )
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.ends_with(path))
            })
            .unwrap_or_else(|| panic!("no {kind} span for {path}"))
    };
    let outer_client = find(SpanKind::Client, "/nested");
    let outer_server = find(SpanKind::Server, "/nested");
    let inner_client = find(SpanKind::Client, "/leaf");
    let inner_server = find(SpanKind::Server, "/leaf");
    let trace = outer_client.span_context().trace_id();
    assert!(
        spans.iter().all(|s| s.span_context().trace_id() == trace),
        "one trace"
    );
    assert!(!outer_client.parent_span_id().is_valid());
    assert_eq!(
        outer_server.parent_span_id(),
        outer_client.span_context().span_id()
    );
    assert!(outer_server.parent_is_remote());
    assert_eq!(
        inner_client.parent_span_id(),
        outer_server.span_context().span_id()
    );
    assert_eq!(
        inner_server.parent_span_id(),
        inner_client.span_context().span_id()
    );

    assert_eq!(outer_server.name(), "GET /nested");
    assert_eq!(
        attr(outer_server, "http.request.method").and_then(Value::as_str),
        Some("GET")
    );
    assert_eq!(
        attr(outer_server, "http.route").and_then(Value::as_str),
        Some("/nested")
    );
    assert_eq!(
        attr(outer_server, "url.scheme").and_then(Value::as_str),
        Some("http")
    );
    assert_eq!(
        attr(outer_server, "server.address").and_then(Value::as_str),
        Some("127.0.0.1")
    );
    assert!(matches!(attr(outer_server, "server.port"), Some(Value::I64(p)) if *p > 0));
    assert_eq!(
        attr(outer_server, "client.address").and_then(Value::as_str),
        Some("127.0.0.1")
    );
    assert_eq!(
        attr(outer_server, "user_agent.original").and_then(Value::as_str),
        Some("tests/1.0")
    );
    assert_eq!(
        attr(outer_server, "http.response.status_code"),
        Some(&Value::I64(200))
    );
    assert_eq!(outer_client.name(), "GET");
    assert_eq!(
        attr(outer_client, "http.response.status_code"),
        Some(&Value::I64(200))
    );
    assert!(spans.iter().all(|s| !s.status().is_error()));
}

#[test]
fn a_5xx_marks_both_the_server_and_the_client_span_as_errors() {
    let (_provider, tracer, exporter) = setup();
    let rt = runtime();
    let (status, _) = rt.block_on(async {
        let addr = start_server(tracer.clone()).await;
        get(&tracer, format!("http://{addr}/fail"), &[]).await
    });
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let spans = spans(&exporter, 2);
    for span in &spans {
        assert!(span.status().is_error(), "{span:?}");
        assert_eq!(
            attr(span, "error.type").and_then(Value::as_str),
            Some("500")
        );
    }
}

#[test]
fn a_4xx_is_an_error_for_the_client_only() {
    let (_provider, tracer, exporter) = setup();
    let rt = runtime();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server_tracer = tracer.clone();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let service = ServiceBuilder::new()
                .layer(HttpServerLayer::new(server_tracer))
                .service_fn(|_r: Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(Response::builder().status(404).body(full("")).unwrap())
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await;
        });
        get(&tracer, format!("http://{addr}/missing"), &[]).await
    });
    let spans = spans(&exporter, 2);
    let client = spans.iter().find(|s| s.kind() == SpanKind::Client).unwrap();
    let server = spans.iter().find(|s| s.kind() == SpanKind::Server).unwrap();
    assert!(client.status().is_error());
    assert!(!server.status().is_error());
    assert_eq!(server.name(), "GET", "no route: the method alone");
}

#[test]
fn malformed_trace_headers_start_a_new_trace_without_failing_the_request() {
    let (_provider, tracer, exporter) = setup();
    let rt = runtime();
    let status = rt.block_on(async {
        let addr = start_server(tracer.clone()).await;
        let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
        let request = Request::get(format!("http://{addr}/leaf"))
            .header("traceparent", "00-zzzz-not-a-context-01")
            .header("tracestate", "=,=,@@@")
            .header("baggage", "%%%;;;===")
            .body(full(""))
            .unwrap();
        client.request(request).await.unwrap().status()
    });
    assert_eq!(status, StatusCode::OK);
    let spans = spans(&exporter, 1);
    assert_eq!(spans.len(), 1);
    assert!(
        !spans[0].parent_span_id().is_valid(),
        "garbage is not a parent"
    );
    assert!(spans[0].span_context().is_valid());
}

#[test]
fn a_request_that_gets_no_response_ends_its_spans_as_errors() {
    let (_provider, tracer, exporter) = setup();
    let rt = runtime();
    rt.block_on(async {
        // A port nothing listens on any more: the client call fails.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
        let mut service = ServiceBuilder::new()
            .layer(HttpClientLayer::new(tracer.clone()))
            .service(client);
        let request = Request::get(format!("http://{addr}/gone"))
            .body(full(""))
            .unwrap();
        let result = service.ready().await.unwrap().call(request).await;
        assert!(result.is_err());
        // A handler that fails: the server layer passes the error on.
        let mut handler = ServiceBuilder::new()
            .layer(HttpServerLayer::new(tracer.clone()))
            .service_fn(|_r: Request<Body>| async { Err::<Response<Body>, _>("no database") });
        let failed = handler
            .ready()
            .await
            .unwrap()
            .call(Request::get("/orders").body(full("")).unwrap())
            .await;
        assert_eq!(failed.err(), Some("no database"));
    });
    let spans = spans(&exporter, 2);
    assert_eq!(spans.len(), 2, "{spans:?}");
    for span in &spans {
        assert!(span.status().is_error(), "{span:?}");
        assert_eq!(attr(span, "error.type"), Some(&Value::from("_OTHER")));
        assert_eq!(attr(span, "http.response.status_code"), None);
    }
    let client = spans.iter().find(|s| s.kind() == SpanKind::Client).unwrap();
    assert!(
        matches!(client.status(), spanlite::Status::Error { description } if !description.is_empty()),
        "the client error's text: {:?}",
        client.status()
    );
    let server = spans.iter().find(|s| s.kind() == SpanKind::Server).unwrap();
    assert_eq!(
        server.status(),
        &spanlite::Status::error("the handler failed")
    );
}
