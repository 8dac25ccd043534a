//! OTLP over gRPC against a fake collector on 127.0.0.1 (HTTP/2 cleartext):
//! the spec's retryable codes, RESOURCE_EXHAUSTED only with RetryInfo,
//! partial success, and the request's framing and metadata.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use spanlite::{InMemoryExporter, SpanData, SpanExporter, TracerProvider};
use spanlite_exporters::otlp::{OtlpConfig, OtlpHttpExporter, Protocol};

/// The next answer: a grpc-status with optional details, and an optional
/// message body (in trailers when a body is sent, else trailers-only).
#[derive(Clone)]
struct Answer {
    code: u32,
    details: Option<&'static str>,
    body: Option<Vec<u8>>,
}

fn answer(code: u32) -> Answer {
    Answer {
        code,
        details: None,
        body: None,
    }
}

#[derive(Clone)]
struct Seen {
    path: String,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

fn start(script: Vec<Answer>) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let record = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (script, record) = (script.clone(), record.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let (script, record) = (script.clone(), record.clone());
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes().to_vec())
                                .unwrap_or_default();
                            record.lock().unwrap().push(Seen {
                                path: parts.uri.path().to_owned(),
                                headers: parts.headers,
                                body,
                            });
                            let next = script
                                .lock()
                                .unwrap()
                                .pop_front()
                                .unwrap_or_else(|| answer(0));
                            let mut status = http::HeaderMap::new();
                            status.insert("grpc-status", next.code.to_string().parse().unwrap());
                            if let Some(details) = next.details {
                                status.insert("grpc-status-details-bin", details.parse().unwrap());
                            }
                            let response =
                                Response::builder().header("content-type", "application/grpc");
                            let body = match next.body {
                                Some(message) => {
                                    let mut framed = vec![0u8];
                                    framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
                                    framed.extend_from_slice(&message);
                                    Full::new(Bytes::from(framed))
                                        .with_trailers(async move { Some(Ok(status)) })
                                        .boxed()
                                }
                                None => {
                                    let mut response = response;
                                    for (k, v) in &status {
                                        response = response.header(k, v);
                                    }
                                    return Ok::<_, hyper::Error>(
                                        response
                                            .body(
                                                Full::new(Bytes::new())
                                                    .with_trailers(async { None })
                                                    .boxed(),
                                            )
                                            .unwrap(),
                                    );
                                }
                            };
                            Ok(response.body(body).unwrap())
                        }
                    });
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    (rx.recv_timeout(Duration::from_secs(10)).unwrap(), seen)
}

fn spans(n: usize) -> Vec<SpanData> {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    for i in 0..n {
        provider.tracer("grpc").start(format!("op-{i}")).end();
    }
    exporter.finished_spans()
}

fn exporter(addr: SocketAddr) -> OtlpHttpExporter {
    let config = OtlpConfig::new()
        .with_protocol(Protocol::Grpc)
        .with_endpoint(format!("http://{addr}"))
        .with_retry_delays(Duration::from_millis(10), Duration::from_millis(50));
    OtlpHttpExporter::new(config).unwrap()
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

#[test]
fn an_export_is_one_framed_protobuf_message_on_the_trace_service_path() {
    let (addr, seen) = start(vec![]);
    let mut exporter = exporter(addr);
    exporter.export(&spans(2), deadline()).unwrap();
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(
        seen.path,
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    );
    assert_eq!(seen.headers["content-type"], "application/grpc");
    assert_eq!(seen.headers["te"], "trailers");
    assert!(seen.headers.contains_key("grpc-timeout"));
    assert_eq!(seen.body[0], 0, "not compressed");
    let len = u32::from_be_bytes(seen.body[1..5].try_into().unwrap()) as usize;
    assert_eq!(len, seen.body.len() - 5);
    let request = ExportTraceServiceRequest::decode(&seen.body[5..]).unwrap();
    assert_eq!(request.resource_spans[0].scope_spans[0].spans.len(), 2);
}

#[test]
fn unavailable_is_retried() {
    let (addr, seen) = start(vec![answer(14)]);
    let mut exporter = exporter(addr);
    exporter.export(&spans(1), deadline()).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(exporter.stats().snapshot().retries(), 1);
}

#[test]
fn invalid_argument_is_not_retried() {
    let (addr, seen) = start(vec![answer(3)]);
    let mut exporter = exporter(addr);
    let error = exporter.export(&spans(1), deadline()).unwrap_err();
    assert!(error.to_string().contains("gRPC status 3"), "{error}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn resource_exhausted_without_retry_info_is_not_retried() {
    let (addr, seen) = start(vec![answer(8)]);
    let mut exporter = exporter(addr);
    assert!(exporter.export(&spans(1), deadline()).is_err());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn resource_exhausted_with_retry_info_waits_the_given_delay_and_retries() {
    // google.rpc.Status { code: 8, details: [Any { RetryInfo { retry_delay: 0.2 s } }] }, base64.
    let details = "CAgaMwoodHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLlJldHJ5SW5mbxIHCgUQgISvXw";
    let (addr, seen) = start(vec![Answer {
        code: 8,
        details: Some(details),
        body: None,
    }]);
    let mut exporter = exporter(addr);
    let started = Instant::now();
    exporter.export(&spans(1), deadline()).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_partial_success_in_the_answer_is_counted_and_not_retried() {
    let partial = vec![0x0a, 0x04, 0x08, 0x01, 0x12, 0x00];
    let (addr, seen) = start(vec![Answer {
        code: 0,
        details: None,
        body: Some(partial),
    }]);
    let mut exporter = exporter(addr);
    exporter.export(&spans(3), deadline()).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(exporter.stats().snapshot().spans_rejected(), 1);
}
