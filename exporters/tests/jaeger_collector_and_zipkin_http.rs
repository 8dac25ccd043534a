//! The Jaeger collector and Zipkin exporters against a scripted HTTP server
//! on 127.0.0.1: what they send (path, content type, credentials, body
//! shape), that 503 is retried and 400 is not, and that both count.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use spanlite::{InMemoryExporter, SpanData, SpanExporter, TracerProvider};
use spanlite_exporters::jaeger::{JaegerCollectorExporter, JaegerConfig};
use spanlite_exporters::zipkin::{ZipkinConfig, ZipkinExporter};

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Answers each connection's one request with the next status of
/// `statuses` (then 202), and reports what it saw.
fn server(statuses: Vec<u16>) -> (SocketAddr, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                continue;
            }
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let status = statuses.next().unwrap_or(202);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nretry-after: 0\r\nconnection: close\r\n\r\n"
            );
            if tx
                .send(Seen {
                    request_line: request_line.trim_end().to_owned(),
                    headers,
                    body,
                })
                .is_err()
            {
                return;
            }
        }
    });
    (addr, rx)
}

fn spans(n: usize) -> Vec<SpanData> {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    for i in 0..n {
        provider.tracer("http-test").start(format!("op-{i}")).end();
    }
    exporter.finished_spans()
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

const QUICK: (Duration, Duration) = (Duration::from_millis(10), Duration::from_millis(20));

#[test]
fn the_collector_exporter_posts_thrift_with_credentials_and_retries_a_503() {
    let (addr, seen) = server(vec![503]);
    let mut exporter = JaegerCollectorExporter::new(
        JaegerConfig::new()
            .with_endpoint(format!("http://{addr}/api/traces"))
            .with_basic_auth("user", "pass")
            .with_retry_delays(QUICK.0, QUICK.1),
    )
    .unwrap();
    exporter.export(&spans(3), deadline()).unwrap();
    let first = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    let second = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    for request in [&first, &second] {
        assert_eq!(request.request_line, "POST /api/traces HTTP/1.1");
        assert_eq!(request.header("content-type"), Some("application/x-thrift"));
        // base64("user:pass")
        assert_eq!(request.header("authorization"), Some("Basic dXNlcjpwYXNz"));
        // A Thrift binary struct: its first field (process, id 1) is a struct.
        assert_eq!(request.body[0], 12, "TType STRUCT");
    }
    assert_eq!(first.body, second.body, "the retry sends the same batch");
    let counts = exporter.stats().snapshot();
    assert_eq!((counts.requests(), counts.retries()), (2, 1));
    assert_eq!(counts.spans_sent(), 3);
}

#[test]
fn the_collector_exporter_drops_and_counts_a_batch_refused_with_400() {
    let (addr, seen) = server(vec![400]);
    let mut exporter = JaegerCollectorExporter::new(
        JaegerConfig::new()
            .with_endpoint(format!("http://{addr}/api/traces"))
            .with_retry_delays(QUICK.0, QUICK.1),
    )
    .unwrap();
    assert!(exporter.export(&spans(2), deadline()).is_err());
    assert!(seen.recv_timeout(Duration::from_secs(5)).is_ok());
    let counts = exporter.stats().snapshot();
    assert_eq!((counts.requests(), counts.failed_status()), (1, 1));
    assert_eq!(counts.spans_sent(), 0);
}

#[test]
fn the_collector_exporter_refuses_a_udp_protocol() {
    let config = JaegerConfig::new()
        .with_protocol(spanlite_exporters::jaeger::JaegerProtocol::UdpThriftCompact);
    let error = JaegerCollectorExporter::new(config).unwrap_err();
    assert!(error.to_string().contains("agent"), "{error}");
}

#[test]
fn the_zipkin_exporter_posts_a_json_array_and_retries_a_503() {
    let (addr, seen) = server(vec![503]);
    let mut exporter = ZipkinExporter::new(
        ZipkinConfig::new()
            .with_endpoint(format!("http://{addr}/api/v2/spans"))
            .with_retry_delays(QUICK.0, QUICK.1),
    )
    .unwrap();
    exporter.export(&spans(2), deadline()).unwrap();
    let _refused = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    let accepted = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(accepted.request_line, "POST /api/v2/spans HTTP/1.1");
    assert_eq!(accepted.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&accepted.body).unwrap();
    let names: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["op-0", "op-1"]);
    let counts = exporter.stats().snapshot();
    assert_eq!(
        (counts.requests(), counts.retries(), counts.spans_sent()),
        (2, 1, 2)
    );
}
