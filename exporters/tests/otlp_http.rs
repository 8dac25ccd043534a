//! The OTLP/HTTP exporter against a fake collector on 127.0.0.1 that the
//! tests script: what is retried, what is dropped and counted, that
//! nothing hangs, and that shutdown returns within its timeout.

use std::collections::VecDeque;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use spanlite::{
    BatchConfig, BatchSpanProcessor, InMemoryExporter, SpanData, SpanExporter, TracerProvider,
};
use spanlite_exporters::otlp::{Compression, OtlpConfig, OtlpHttpExporter, Protocol};

/// What the fake collector does with the next request.
#[derive(Clone, Debug)]
enum Reply {
    Status(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Never answers.
    Hang,
    /// Closes the connection without an answer.
    Reset,
}

/// An address on 127.0.0.1 that refuses connections while the returned
/// socket lives: bound but never listening, so no other test's server in
/// this binary can be given the port (a port merely freed can be).
fn refused_addr() -> (SocketAddr, socket2::Socket) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    (addr, socket)
}

fn ok() -> Reply {
    Reply::Status(200, vec![], vec![])
}

#[derive(Debug, Clone)]
struct Received {
    headers: http::HeaderMap,
    body: Vec<u8>,
}

struct Collector {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    _runtime: std::thread::JoinHandle<()>,
}

impl Collector {
    /// Starts a collector that answers with `script`, then 200 forever.
    fn start(script: Vec<Reply>) -> Collector {
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let recv = received.clone();
        let runtime = std::thread::spawn(move || {
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
                    let next_is_reset =
                        matches!(script.lock().unwrap().front(), Some(Reply::Reset));
                    if next_is_reset {
                        script.lock().unwrap().pop_front();
                        let std_stream = stream.into_std().unwrap();
                        let _ = std_stream.set_nonblocking(false);
                        let mut buf = [0u8; 64];
                        let _ = (&std_stream).read(&mut buf);
                        drop(std_stream);
                        continue;
                    }
                    let script = script.clone();
                    let recv = recv.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                            let script = script.clone();
                            let recv = recv.clone();
                            async move {
                                let (parts, body) = request.into_parts();
                                let body = body
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes().to_vec())
                                    .unwrap_or_default();
                                recv.lock().unwrap().push(Received {
                                    headers: parts.headers,
                                    body,
                                });
                                let reply = script.lock().unwrap().pop_front().unwrap_or_else(ok);
                                match reply {
                                    Reply::Hang => std::future::pending::<()>().await,
                                    Reply::Reset | Reply::Status(..) => {}
                                }
                                let Reply::Status(code, headers, body) = reply else {
                                    unreachable!()
                                };
                                let mut response = Response::builder().status(code);
                                for (k, v) in headers {
                                    response = response.header(k, v);
                                }
                                Ok::<_, hyper::Error>(
                                    response.body(Full::new(Bytes::from(body))).unwrap(),
                                )
                            }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("collector started");
        Collector {
            addr,
            received,
            _runtime: runtime,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn spans(n: usize) -> Vec<SpanData> {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("otlp-http");
    for i in 0..n {
        let mut span = tracer.start(format!("op-{i}"));
        span.set_attribute(spanlite::KeyValue::new("i", i as i64));
        span.end();
    }
    exporter.finished_spans()
}

fn exporter(endpoint: String) -> OtlpHttpExporter {
    let config = OtlpConfig::new()
        .with_endpoint(endpoint)
        .with_retry_delays(Duration::from_millis(20), Duration::from_millis(100));
    OtlpHttpExporter::new(config).unwrap()
}

fn deadline(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}

#[test]
fn spans_arrive_as_protobuf_with_the_spec_headers() {
    let collector = Collector::start(vec![]);
    let config = OtlpConfig::new()
        .with_endpoint(collector.endpoint())
        .with_header("x-api-key", "secret");
    let mut exporter = OtlpHttpExporter::new(config).unwrap();
    let batch = spans(3);
    exporter.export(&batch, deadline(5000)).unwrap();
    let requests = collector.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.headers["content-type"], "application/x-protobuf");
    assert!(r.headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("OTel-OTLP-Exporter-Rust/"));
    assert_eq!(r.headers["x-api-key"], "secret");
    let decoded = ExportTraceServiceRequest::decode(r.body.as_slice()).unwrap();
    let names: Vec<&str> = decoded.resource_spans[0].scope_spans[0]
        .spans
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["op-0", "op-1", "op-2"]);
    assert_eq!(exporter.stats().snapshot().spans_sent(), 3);
}

#[test]
fn json_with_gzip_is_sent_compressed_with_its_headers() {
    let collector = Collector::start(vec![]);
    let config = OtlpConfig::new()
        .with_endpoint(collector.endpoint())
        .with_protocol(Protocol::HttpJson)
        .with_compression(Compression::Gzip);
    let mut exporter = OtlpHttpExporter::new(config).unwrap();
    exporter.export(&spans(2), deadline(5000)).unwrap();
    let r = &collector.requests()[0];
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["content-encoding"], "gzip");
    let mut text = String::new();
    flate2::read::GzDecoder::new(r.body.as_slice())
        .read_to_string(&mut text)
        .unwrap();
    let decoded: ExportTraceServiceRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(decoded.resource_spans[0].scope_spans[0].spans.len(), 2);
}

#[test]
fn a_503_with_retry_after_seconds_is_retried_after_that_delay() {
    let collector = Collector::start(vec![Reply::Status(
        503,
        vec![("retry-after", "1".into())],
        vec![],
    )]);
    let mut exporter = exporter(collector.endpoint());
    let started = Instant::now();
    exporter.export(&spans(1), deadline(5000)).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(collector.requests().len(), 2);
    assert_eq!(exporter.stats().snapshot().retries(), 1);
}

#[test]
fn a_429_with_an_http_date_in_the_past_is_retried_at_once() {
    let date = "Sun, 06 Nov 1994 08:49:37 GMT".to_owned();
    let collector = Collector::start(vec![Reply::Status(
        429,
        vec![("retry-after", date)],
        vec![],
    )]);
    let mut exporter = exporter(collector.endpoint());
    exporter.export(&spans(1), deadline(5000)).unwrap();
    assert_eq!(collector.requests().len(), 2);
}

#[test]
fn a_retry_after_past_the_deadline_gives_up_without_waiting() {
    let collector = Collector::start(vec![Reply::Status(
        503,
        vec![("retry-after", "60".into())],
        vec![],
    )]);
    let mut exporter = exporter(collector.endpoint());
    let started = Instant::now();
    let error = exporter.export(&spans(1), deadline(2000)).unwrap_err();
    assert!(error.is_failed(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(collector.requests().len(), 1);
    assert_eq!(exporter.stats().snapshot().failed_status(), 1);
}

#[test]
fn an_absurd_retry_after_is_refused_without_waiting_or_panicking() {
    let huge = u64::MAX.to_string();
    let collector = Collector::start(vec![Reply::Status(
        503,
        vec![("retry-after", huge)],
        vec![],
    )]);
    let mut exporter = exporter(collector.endpoint());
    let started = Instant::now();
    assert!(exporter.export(&spans(1), deadline(2000)).is_err());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_400_is_not_retried_and_the_batch_is_counted_as_failed() {
    let collector = Collector::start(vec![Reply::Status(400, vec![], b"bad request".to_vec())]);
    let mut exporter = exporter(collector.endpoint());
    let error = exporter.export(&spans(2), deadline(5000)).unwrap_err();
    assert!(error.to_string().contains("400"), "{error}");
    assert_eq!(collector.requests().len(), 1);
    assert_eq!(exporter.stats().snapshot().failed_status(), 1);
}

#[test]
fn a_500_is_not_retried() {
    let collector = Collector::start(vec![Reply::Status(500, vec![], vec![])]);
    let mut exporter = exporter(collector.endpoint());
    assert!(exporter.export(&spans(1), deadline(5000)).is_err());
    assert_eq!(collector.requests().len(), 1);
}

#[test]
fn a_partial_success_is_accepted_counted_and_not_retried() {
    // ExportTraceServiceResponse { partial_success { rejected_spans: 2, error_message: "old" } }
    let body = vec![0x0a, 0x07, 0x08, 0x02, 0x12, 0x03, b'o', b'l', b'd'];
    let collector = Collector::start(vec![Reply::Status(200, vec![], body)]);
    let mut exporter = exporter(collector.endpoint());
    exporter.export(&spans(3), deadline(5000)).unwrap();
    assert_eq!(collector.requests().len(), 1);
    assert_eq!(exporter.stats().snapshot().spans_rejected(), 2);
}

#[test]
fn a_response_that_never_comes_times_out_at_the_deadline() {
    let collector = Collector::start(vec![Reply::Hang]);
    let mut exporter = exporter(collector.endpoint());
    let started = Instant::now();
    let error = exporter.export(&spans(1), deadline(300)).unwrap_err();
    assert!(error.is_timeout(), "{error}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_eq!(exporter.stats().snapshot().failed_timeout(), 1);
}

#[test]
fn a_connection_closed_mid_request_is_retried() {
    let collector = Collector::start(vec![Reply::Reset]);
    let mut exporter = exporter(collector.endpoint());
    exporter.export(&spans(1), deadline(5000)).unwrap();
    assert_eq!(
        collector.requests().len(),
        1,
        "the retry reached the collector"
    );
    assert!(exporter.stats().snapshot().retries() >= 1);
}

#[test]
fn nothing_listening_is_retried_until_the_deadline_then_counted() {
    let (addr, _reserved) = refused_addr();
    let mut exporter = exporter(format!("http://{addr}/v1/traces"));
    let started = Instant::now();
    let error = exporter.export(&spans(1), deadline(500)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        error.to_string().contains("unreachable") || error.is_timeout(),
        "{error}"
    );
    let stats = exporter.stats();
    assert!(
        stats.snapshot().requests() > 1,
        "connection failures are retried"
    );
    assert_eq!(
        stats.snapshot().failed_connection() + stats.snapshot().failed_timeout(),
        1
    );
}

#[test]
fn shutdown_returns_within_its_timeout_while_the_collector_hangs() {
    let collector = Collector::start(vec![Reply::Hang; 100]);
    let config = OtlpConfig::new()
        .with_endpoint(collector.endpoint())
        .with_timeout(Duration::from_secs(60));
    let exporter = OtlpHttpExporter::new(config).unwrap();
    let provider = TracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::new(exporter, BatchConfig::default()))
        .build();
    for _ in 0..10 {
        provider.tracer("t").start("op").end();
    }
    let started = Instant::now();
    let result = provider.shutdown(Duration::from_millis(500));
    assert!(result.unwrap_err().is_timeout());
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn while_the_collector_is_down_memory_stays_bounded_and_every_span_is_counted() {
    let (addr, _reserved) = refused_addr();
    let config = OtlpConfig::new()
        .with_endpoint(format!("http://{addr}/v1/traces"))
        .with_timeout(Duration::from_millis(50))
        .with_retry_delays(Duration::from_millis(10), Duration::from_millis(20));
    let exporter = OtlpHttpExporter::new(config).unwrap();
    let otlp_stats = exporter.stats();
    let batch = BatchConfig::default()
        .with_max_queue_size(256)
        .with_max_export_batch_size(64);
    let provider = TracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::new(exporter, batch))
        .build();
    let tracer = provider.tracer("down");
    for _ in 0..20_000 {
        tracer.start("op").end();
    }
    provider.force_flush(Duration::from_secs(30)).unwrap();
    let stats = provider.stats();
    assert_eq!(stats.ended(), 20_000);
    assert_eq!(stats.exported(), 0);
    assert_eq!(stats.ended(), stats.dropped(), "{stats:?}");
    assert!(
        stats.dropped_queue_full() > 0,
        "the bounded queue dropped while exports failed"
    );
    let counters = otlp_stats.snapshot();
    assert!(counters.requests() > 0);
    // The exporter's failure counts, by reason, reach the provider's stats.
    assert_eq!(stats.exporter(), counters);
    assert!(counters.failed_connection() + counters.failed_timeout() > 0);
    assert_eq!(counters.failed_status(), 0);
}

#[test]
fn after_shutdown_exports_fail() {
    let collector = Collector::start(vec![]);
    let mut exporter = exporter(collector.endpoint());
    exporter.shutdown(Duration::from_secs(1)).unwrap();
    assert!(exporter
        .export(&spans(1), deadline(1000))
        .unwrap_err()
        .is_shut_down());
    assert!(collector.requests().is_empty());
}

#[test]
fn an_endpoint_that_is_not_http_or_https_is_refused_with_a_clear_error() {
    let error =
        OtlpHttpExporter::new(OtlpConfig::new().with_endpoint("ftp://collector:4318/v1/traces"))
            .unwrap_err();
    assert!(error.to_string().contains("http"), "{error}");
    assert!(OtlpHttpExporter::new(OtlpConfig::new().with_endpoint("not a url")).is_err());
}
