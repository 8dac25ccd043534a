//! spanlite and the official OpenTelemetry Go SDK in one trace: spanlite
//! services and the Go peer (otelhttp) call each other over HTTP with W3C
//! Trace Context, all export OTLP/HTTP to a real Jaeger v2, and Jaeger must
//! hold one trace per request with spans from both languages and every
//! parent link right.

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use spanlite::{BatchConfig, BatchSpanProcessor, Context, Resource, TraceId, TracerProvider};
use spanlite_conformance::{
    otlp_json_view, poll, GoPeer, Jaeger, DEFAULT_INTERVAL, GO_CLIENT_SERVICE, GO_PEER_SERVICE,
};
use spanlite_exporters::otlp::{OtlpConfig, OtlpHttpExporter};
use spanlite_instrumentation::http::{HttpClientLayer, HttpServerLayer};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tower::{Layer, ServiceExt};

/// The spanlite service a request enters by.
const RUST_FRONT: &str = "rust-front";
/// The spanlite service at the end of the chain.
const RUST_LEAF: &str = "rust-leaf";
/// OTLP `SpanKind` numbers.
const INTERNAL: u64 = 1;
const SERVER: u64 = 2;
const CLIENT: u64 = 3;
/// How long a spanlite provider may take to deliver its last spans.
const FLUSH: Duration = Duration::from_secs(10);

type Body = Full<Bytes>;
type ResponseFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;
/// Answers one request; runs with the request's SERVER span current.
type Handler = Arc<dyn Fn(Request<Incoming>) -> ResponseFuture + Send + Sync>;
type PlainClient = Client<HttpConnector, Body>;

fn start_jaeger() -> Jaeger {
    Jaeger::start()
        .unwrap_or_else(|e| panic!("Jaeger v2 is needed for this test and did not start:\n{e}"))
}

fn start_go_peer(jaeger: &Jaeger, downstream: Option<&str>) -> GoPeer {
    GoPeer::serve(&jaeger.otlp_http_endpoint(), downstream)
        .unwrap_or_else(|e| panic!("the Go peer is needed for this test and did not start:\n{e}"))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A provider for `service` exporting OTLP/HTTP protobuf to `jaeger` in
/// batches every 100 ms, so a test polling Jaeger sees the spans soon.
fn provider_for(jaeger: &Jaeger, service: &'static str) -> TracerProvider {
    let exporter = OtlpHttpExporter::new(
        OtlpConfig::new()
            .with_endpoint(jaeger.otlp_http_endpoint())
            .with_timeout(Duration::from_secs(10)),
    )
    .unwrap();
    let batches = BatchConfig::default().with_scheduled_delay(Duration::from_millis(100));
    TracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(service).build())
        .with_span_processor(BatchSpanProcessor::new(exporter, batches))
        .build()
}

/// Waits until `spans` spans of `provider` have ended (a SERVER span ends
/// when its response body is done, which may be just after the caller has
/// read it), shuts the provider down, and checks that it delivered them all.
fn flush(provider: &TracerProvider, spans: u64) {
    let service = provider.resource().service_name().unwrap_or("?").to_owned();
    let ended = poll(FLUSH, DEFAULT_INTERVAL, || {
        Ok((provider.stats().ended() >= spans).then_some(()))
    })
    .unwrap();
    assert!(
        ended.is_some(),
        "{service}: {} of {spans} spans ended within {FLUSH:?}",
        provider.stats().ended()
    );
    provider
        .shutdown(FLUSH)
        .unwrap_or_else(|e| panic!("{service} did not deliver its spans: {e}"));
    let stats = provider.stats();
    assert_eq!(
        (stats.exported(), stats.dropped()),
        (spans, 0),
        "{service}: {stats:?}"
    );
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// Serves `handler` on a free port of 127.0.0.1, each request in a SERVER
/// span of `provider`'s (spanlite's hyper instrumentation). Runs until the
/// runtime is dropped.
async fn start_rust_service(provider: &TracerProvider, handler: Handler) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let traced = HttpServerLayer::new(provider.tracer("spanlite-conformance/go-peer-traces"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            let service = traced.layer(tower::service_fn(move |request| {
                let response = handler(request);
                async move { Ok::<_, Infallible>(response.await) }
            }));
            tokio::spawn(
                http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)),
            );
        }
    });
    addr
}

/// `rust-leaf`: answers every request with 200.
fn leaf() -> Handler {
    Arc::new(|_request| Box::pin(async { text(StatusCode::OK, "rust-leaf: ok\n") }))
}

/// `rust-front`: calls `downstream` through spanlite's traced client inside
/// its SERVER span and answers 200 with the id of its trace, 502 when the
/// call failed.
fn front(provider: &TracerProvider, downstream: String) -> Handler {
    let client = HttpClientLayer::new(provider.tracer("spanlite-conformance/go-peer-traces"))
        .layer(Client::builder(TokioExecutor::new()).build_http::<Body>());
    Arc::new(move |_request| {
        let client = client.clone();
        let url = downstream.clone();
        Box::pin(async move {
            let trace_id = Context::current().span().span_context().trace_id();
            let request = Request::get(&url).body(Body::default()).unwrap();
            let answer = match client.oneshot(request).await {
                Ok(response) => {
                    let status = response.status();
                    match response.into_body().collect().await {
                        Ok(_) if status == StatusCode::OK => Ok(()),
                        Ok(body) => Err(format!("{status}: {:?}", body.to_bytes())),
                        Err(e) => Err(format!("reading the answer: {e}")),
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            match answer {
                Ok(()) => text(StatusCode::OK, trace_id.to_string()),
                Err(why) => text(StatusCode::BAD_GATEWAY, format!("GET {url}: {why}")),
            }
        })
    })
}

/// GETs `rust-front` at `addr` without tracing (so its SERVER span is the
/// root) and returns the trace id it answers with.
async fn request_front(client: &PlainClient, addr: SocketAddr) -> TraceId {
    let request = Request::get(format!("http://{addr}/"))
        .body(Body::default())
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, StatusCode::OK, "rust-front answered {body}");
    TraceId::from_hex(body.trim()).unwrap_or_else(|_| panic!("not a trace id: {body:?}"))
}

/// A span as Jaeger stored it, with the fields the tests check.
#[derive(Debug)]
struct StoredSpan {
    service: String,
    language: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    name: String,
    kind: u64,
}

fn text_of(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or("").to_owned()
}

/// The string value of the attribute `key` in an OTLP JSON attribute list.
fn string_attribute(list: &Value, key: &str) -> String {
    let found = list.as_array().and_then(|list| {
        list.iter()
            .find(|kv| kv.get("key").and_then(Value::as_str) == Some(key))
    });
    text_of(found.and_then(|kv| kv.get("value")?.get("stringValue")))
}

/// Waits until Jaeger holds `count` spans of `trace_id` and returns them.
fn stored_spans(jaeger: &Jaeger, trace_id: TraceId, count: usize) -> Vec<StoredSpan> {
    match jaeger.wait_for_spans(trace_id, count) {
        Ok(answer) => spans_of(&answer),
        Err(e) => {
            let seen = jaeger.get_trace_v3_raw(trace_id).ok().flatten();
            panic!(
                "{e}; Jaeger holds {:#?}",
                seen.as_ref().map(spans_of).unwrap_or_default()
            )
        }
    }
}

fn spans_of(answer: &Value) -> Vec<StoredSpan> {
    otlp_json_view::spans(answer)
        .expect("an OTLP JSON answer")
        .into_iter()
        .map(|entry| {
            let attributes = &entry.resource["attributes"];
            let span = entry.span;
            StoredSpan {
                service: string_attribute(attributes, "service.name"),
                language: string_attribute(attributes, "telemetry.sdk.language"),
                trace_id: text_of(span.get("traceId")),
                span_id: text_of(span.get("spanId")),
                parent_span_id: text_of(span.get("parentSpanId")),
                name: text_of(span.get("name")),
                kind: span.get("kind").and_then(Value::as_u64).unwrap_or(0),
            }
        })
        .collect()
}

/// The trace is exactly one chain: the first span a root, each next one a
/// child of the one before, with the services and kinds of `chain`, every
/// span of `trace_id`, and each span's SDK language that of its service.
fn assert_chain(trace_id: TraceId, spans: &[StoredSpan], chain: &[(&str, u64)]) {
    assert_eq!(spans.len(), chain.len(), "trace {trace_id}: {spans:#?}");
    let mut parent = String::new();
    for (step, &(service, kind)) in chain.iter().enumerate() {
        let found: Vec<&StoredSpan> = spans
            .iter()
            .filter(|s| s.service == service && s.kind == kind)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one {service} span of kind {kind} in {spans:#?}"
        );
        let span = found[0];
        assert_eq!(span.trace_id, trace_id.to_string(), "{span:?}");
        assert_eq!(
            span.parent_span_id, parent,
            "step {step} ({service}, kind {kind}) is a child of the step before: {spans:#?}"
        );
        let language = if service.starts_with("go-") {
            "go"
        } else {
            "rust"
        };
        assert_eq!(span.language, language, "{span:?}");
        assert!(!span.name.is_empty(), "{span:?}");
        parent = span.span_id.clone();
    }
}

/// rust-front SERVER -> rust-front CLIENT -> go-peer SERVER -> go-peer
/// CLIENT -> rust-leaf SERVER.
const FRONT_TO_GO_TO_LEAF: [(&str, u64); 5] = [
    (RUST_FRONT, SERVER),
    (RUST_FRONT, CLIENT),
    (GO_PEER_SERVICE, SERVER),
    (GO_PEER_SERVICE, CLIENT),
    (RUST_LEAF, SERVER),
];

/// Runs rust-front -> Go peer -> rust-leaf, sends `requests` requests to
/// rust-front one after the other, stops everything (each side delivering
/// its spans) and returns the trace ids rust-front answered with.
fn front_to_go_to_leaf(jaeger: &Jaeger, requests: usize) -> Vec<TraceId> {
    let front_provider = provider_for(jaeger, RUST_FRONT);
    let leaf_provider = provider_for(jaeger, RUST_LEAF);
    let runtime = runtime();
    let leaf_addr = runtime.block_on(start_rust_service(&leaf_provider, leaf()));
    let go = start_go_peer(jaeger, Some(&format!("http://{leaf_addr}/leaf")));
    let handler = front(&front_provider, format!("{}front", go.url()));
    let front_addr = runtime.block_on(start_rust_service(&front_provider, handler));

    let trace_ids = runtime.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
        let mut trace_ids = Vec::new();
        for _ in 0..requests {
            trace_ids.push(request_front(&client, front_addr).await);
        }
        trace_ids
    });
    go.shutdown()
        .unwrap_or_else(|e| panic!("the Go peer stops cleanly: {e}"));
    let requests = requests as u64;
    // rust-front: a SERVER and a CLIENT span per request; rust-leaf: a SERVER.
    flush(&front_provider, 2 * requests);
    flush(&leaf_provider, requests);
    trace_ids
}

#[test]
fn rust_service_calls_go_service_which_calls_rust_service_in_one_trace() {
    let jaeger = start_jaeger();
    let trace_ids = front_to_go_to_leaf(&jaeger, 1);
    let trace_id = trace_ids[0];

    let spans = stored_spans(&jaeger, trace_id, FRONT_TO_GO_TO_LEAF.len());
    assert_chain(trace_id, &spans, &FRONT_TO_GO_TO_LEAF);
}

#[test]
fn go_client_calls_rust_server_in_one_trace() {
    let jaeger = start_jaeger();
    let leaf_provider = provider_for(&jaeger, RUST_LEAF);
    let runtime = runtime();
    let leaf_addr = runtime.block_on(start_rust_service(&leaf_provider, leaf()));

    let trace_id = GoPeer::call(
        &format!("http://{leaf_addr}/"),
        &jaeger.otlp_http_endpoint(),
    )
    .unwrap_or_else(|e| panic!("the Go client's call succeeds: {e}"));
    flush(&leaf_provider, 1);

    let spans = stored_spans(&jaeger, trace_id, 3);
    // The Go peer's root span, its otelhttp CLIENT span, spanlite's SERVER.
    assert_chain(
        trace_id,
        &spans,
        &[
            (GO_CLIENT_SERVICE, INTERNAL),
            (GO_CLIENT_SERVICE, CLIENT),
            (RUST_LEAF, SERVER),
        ],
    );
}

#[test]
fn each_request_across_both_languages_is_its_own_complete_trace() {
    let jaeger = start_jaeger();
    let trace_ids = front_to_go_to_leaf(&jaeger, 2);
    assert_ne!(trace_ids[0], trace_ids[1], "two requests, two traces");

    for trace_id in trace_ids {
        let spans = stored_spans(&jaeger, trace_id, FRONT_TO_GO_TO_LEAF.len());
        assert_chain(trace_id, &spans, &FRONT_TO_GO_TO_LEAF);
    }
}
