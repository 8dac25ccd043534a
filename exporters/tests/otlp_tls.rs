//! OTLP over `https://` against a TLS collector on 127.0.0.1 with
//! certificates made for the test: a custom CA, an untrusted server, mutual
//! TLS, gRPC over TLS (ALPN h2), and the TLS environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spanlite::{
    BatchConfig, BatchSpanProcessor, InMemoryExporter, SpanData, SpanExporter, TracerProvider,
};
use spanlite_exporters::otlp::{OtlpConfig, OtlpHttpExporter, Protocol};
use spanlite_exporters::TlsConfig;

/// A CA, and certificates it signed for the server and a client.
struct Pki {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
    client_pem: String,
    client_key_pem: String,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn pki() -> Pki {
    let ca = ca("spanlite test CA");
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "spanlite exporter");
    let client = client_params.signed_by(&client_key, &ca).unwrap();
    Pki {
        ca_pem: ca.pem(),
        server_chain: vec![server.der().clone()],
        server_key: server_key.serialize_der(),
        client_pem: client.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

/// What the collector saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    content_type: String,
    http2: bool,
    client_certificate: bool,
    spans: usize,
}

/// An OTLP collector over TLS (HTTP/1.1 and HTTP/2 by ALPN) that answers
/// every export with success, HTTP or gRPC as the request asks.
struct TlsCollector {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    handshake_failures: Arc<Mutex<Vec<String>>>,
}

impl TlsCollector {
    fn start(pki: &Pki, client_ca: Option<&str>) -> TlsCollector {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca_pem) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in rustls_pemfile_certs(ca_pem) {
                    roots.add(cert).unwrap();
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone()));
        let mut config = builder
            .with_single_cert(pki.server_chain.clone(), key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let seen = Arc::new(Mutex::new(Vec::new()));
        let handshake_failures = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let (record, failures) = (seen.clone(), handshake_failures.clone());
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
                    let (acceptor, record, failures) =
                        (acceptor.clone(), record.clone(), failures.clone());
                    tokio::spawn(async move {
                        let tls = match acceptor.accept(stream).await {
                            Ok(tls) => tls,
                            Err(e) => {
                                failures.lock().unwrap().push(e.to_string());
                                return;
                            }
                        };
                        let client_certificate = tls.get_ref().1.peer_certificates().is_some();
                        let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                            let record = record.clone();
                            async move {
                                Ok::<_, hyper::Error>(
                                    answer(request, client_certificate, &record).await,
                                )
                            }
                        });
                        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(tls), service)
                            .await;
                    });
                }
            });
        });
        TlsCollector {
            addr: rx.recv().unwrap(),
            seen,
            handshake_failures,
        }
    }

    fn url(&self, host: &str) -> String {
        format!("https://{host}:{}/v1/traces", self.addr.port())
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn rustls_pemfile_certs(pem: &str) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn answer(
    request: Request<hyper::body::Incoming>,
    client_certificate: bool,
    record: &Mutex<Vec<Seen>>,
) -> Response<http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let content_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let grpc = content_type == "application/grpc";
    // gRPC frames the message behind a 5-byte prefix.
    let message = if grpc && body.len() >= 5 {
        body.slice(5..)
    } else {
        body
    };
    let spans = ExportTraceServiceRequest::decode(message)
        .map(|r| {
            r.resource_spans
                .iter()
                .flat_map(|rs| &rs.scope_spans)
                .map(|ss| ss.spans.len())
                .sum()
        })
        .unwrap_or(0);
    record.lock().unwrap().push(Seen {
        path: parts.uri.path().to_owned(),
        content_type: content_type.clone(),
        http2: parts.version == http::Version::HTTP_2,
        client_certificate,
        spans,
    });
    if grpc {
        Response::builder()
            .header("content-type", "application/grpc")
            .header("grpc-status", "0")
            .body(Full::new(Bytes::new()).boxed())
            .unwrap()
    } else {
        Response::builder()
            .header("content-type", "application/x-protobuf")
            .body(Full::new(Bytes::new()).boxed())
            .unwrap()
    }
}

fn spans(n: usize) -> Vec<SpanData> {
    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("tls-test");
    for i in 0..n {
        tracer.start(format!("op-{i}")).end();
    }
    exporter.finished_spans()
}

fn deadline(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}

fn quick(config: OtlpConfig) -> OtlpConfig {
    config
        .with_timeout(Duration::from_secs(5))
        .with_retry_delays(Duration::from_millis(10), Duration::from_millis(50))
}

/// A file in a directory of the test's own.
fn write_temp(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spanlite-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn exports_over_https_to_a_collector_signed_by_a_custom_ca() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, None);
    let config = quick(OtlpConfig::new().with_endpoint(collector.url("localhost")))
        .with_tls(TlsConfig::new().with_ca_certificate_pem(pki.ca_pem.clone()));
    let mut exporter = OtlpHttpExporter::new(config).unwrap();
    exporter.export(&spans(3), deadline(5000)).unwrap();
    let seen = collector.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/traces");
    assert_eq!(seen[0].content_type, "application/x-protobuf");
    assert_eq!(seen[0].spans, 3);
    assert!(!seen[0].http2, "HTTP exporters offer http/1.1 only");
    assert_eq!(exporter.stats().snapshot().spans_sent(), 3);
}

#[test]
fn the_certificate_is_checked_against_the_ip_address_too() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, None);
    let config = quick(OtlpConfig::new().with_endpoint(collector.url("127.0.0.1")))
        .with_tls(TlsConfig::new().with_ca_certificate_pem(pki.ca_pem.clone()));
    let mut exporter = OtlpHttpExporter::new(config).unwrap();
    exporter.export(&spans(1), deadline(5000)).unwrap();
    assert_eq!(collector.seen().len(), 1);
}

#[test]
fn a_collector_signed_by_another_ca_is_refused_counted_and_sent_nothing() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, None);
    let stranger = ca("some other CA");
    let config = quick(OtlpConfig::new().with_endpoint(collector.url("localhost")))
        .with_tls(TlsConfig::new().with_ca_certificate_pem(stranger.pem()));
    let mut exporter = OtlpHttpExporter::new(config).unwrap();
    let started = Instant::now();
    let error = exporter.export(&spans(2), deadline(1000)).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the deadline"
    );
    assert!(
        error.to_string().contains("certificate") || error.is_timeout(),
        "the error names the certificate problem: {error}"
    );
    assert!(
        collector.seen().is_empty(),
        "nothing crossed an untrusted connection"
    );
    let stats = exporter.stats().snapshot();
    assert_eq!(stats.failed_connection() + stats.failed_timeout(), 1);
    assert_eq!(stats.spans_sent(), 0);
}

#[test]
fn without_a_custom_ca_the_system_store_does_not_trust_a_private_ca() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, None);
    let config = quick(OtlpConfig::new().with_endpoint(collector.url("localhost")));
    let mut exporter = OtlpHttpExporter::new(config).unwrap();
    assert!(exporter.export(&spans(1), deadline(1000)).is_err());
    assert!(collector.seen().is_empty());
}

#[test]
fn mutual_tls_presents_the_client_certificate_and_is_refused_without_one() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, Some(&pki.ca_pem));
    let trust = TlsConfig::new().with_ca_certificate_pem(pki.ca_pem.clone());

    let mut anonymous = OtlpHttpExporter::new(
        quick(OtlpConfig::new().with_endpoint(collector.url("localhost"))).with_tls(trust.clone()),
    )
    .unwrap();
    assert!(anonymous.export(&spans(1), deadline(1000)).is_err());
    assert!(collector.seen().is_empty());
    assert!(!collector.handshake_failures.lock().unwrap().is_empty());

    let identified =
        trust.with_client_identity_pem(pki.client_pem.clone(), pki.client_key_pem.clone());
    let mut exporter = OtlpHttpExporter::new(
        quick(OtlpConfig::new().with_endpoint(collector.url("localhost"))).with_tls(identified),
    )
    .unwrap();
    exporter.export(&spans(2), deadline(5000)).unwrap();
    let seen = collector.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].client_certificate);
    assert_eq!(seen[0].spans, 2);
}

#[test]
fn grpc_runs_over_tls_with_http2_negotiated_by_alpn() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, None);
    let config = quick(
        OtlpConfig::new()
            .with_protocol(Protocol::Grpc)
            .with_endpoint(format!("https://localhost:{}", collector.addr.port())),
    )
    .with_tls(TlsConfig::new().with_ca_certificate_pem(pki.ca_pem.clone()));
    let mut exporter = OtlpHttpExporter::new(config).unwrap();
    exporter.export(&spans(4), deadline(5000)).unwrap();
    let seen = collector.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].http2);
    assert_eq!(seen[0].content_type, "application/grpc");
    assert_eq!(
        seen[0].path,
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    );
    assert_eq!(seen[0].spans, 4);
}

#[test]
fn a_grpc_endpoint_without_a_scheme_uses_tls_unless_insecure() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, None);
    let ca = write_temp("ca-grpc.pem", &pki.ca_pem);
    let vars = [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("localhost:{}", collector.addr.port()),
        ),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.display().to_string()),
    ];
    let config = OtlpConfig::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    });
    let mut exporter = OtlpHttpExporter::new(quick(config)).unwrap();
    exporter.export(&spans(1), deadline(5000)).unwrap();
    assert_eq!(collector.seen().len(), 1);
}

#[test]
fn tls_files_named_by_the_environment_are_used() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, Some(&pki.ca_pem));
    let ca = write_temp("ca.pem", &pki.ca_pem);
    let cert = write_temp("client.pem", &pki.client_pem);
    let key = write_temp("client-key.pem", &pki.client_key_pem);
    let vars = [
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            collector.url("localhost"),
        ),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.display().to_string()),
        (
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            cert.display().to_string(),
        ),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", key.display().to_string()),
    ];
    let config = OtlpConfig::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    });
    let mut exporter = OtlpHttpExporter::new(quick(config)).unwrap();
    exporter.export(&spans(1), deadline(5000)).unwrap();
    let seen = collector.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].client_certificate);
}

#[test]
fn unreadable_or_malformed_tls_files_are_refused_when_the_exporter_is_built() {
    let url = "https://localhost:4318/v1/traces";
    let missing = OtlpHttpExporter::new(
        OtlpConfig::new()
            .with_endpoint(url)
            .with_tls(TlsConfig::new().with_ca_certificate_file("/nonexistent/ca.pem")),
    )
    .unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent/ca.pem"),
        "{missing}"
    );
    let garbage = OtlpHttpExporter::new(
        OtlpConfig::new()
            .with_endpoint(url)
            .with_tls(TlsConfig::new().with_ca_certificate_pem("not a certificate")),
    )
    .unwrap_err();
    assert!(garbage.to_string().contains("CA certificate"), "{garbage}");
    let pki = pki();
    let mismatched = OtlpHttpExporter::new(OtlpConfig::new().with_endpoint(url).with_tls(
        TlsConfig::new().with_client_identity_pem(pki.client_pem.clone(), "no key here"),
    ))
    .unwrap_err();
    assert!(
        mismatched.to_string().contains("client key"),
        "{mismatched}"
    );
    // http:// endpoints read no TLS files at all.
    assert!(OtlpHttpExporter::new(
        OtlpConfig::new()
            .with_endpoint("http://localhost:4318/v1/traces")
            .with_tls(TlsConfig::new().with_ca_certificate_file("/nonexistent/ca.pem")),
    )
    .is_ok());
}

#[test]
fn a_batch_pipeline_over_tls_exports_everything_and_counts_it() {
    let pki = pki();
    let collector = TlsCollector::start(&pki, None);
    let config = quick(OtlpConfig::new().with_endpoint(collector.url("localhost")))
        .with_tls(TlsConfig::new().with_ca_certificate_pem(pki.ca_pem.clone()));
    let provider = TracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::new(
            OtlpHttpExporter::new(config).unwrap(),
            BatchConfig::default(),
        ))
        .build();
    for _ in 0..1000 {
        provider.tracer("t").start("op").end();
    }
    provider.force_flush(Duration::from_secs(10)).unwrap();
    let stats = provider.stats();
    assert_eq!(stats.exported(), 1000);
    assert_eq!(stats.exporter().spans_sent(), 1000);
    assert_eq!(stats.exporter().failures(), 0);
    let delivered: usize = collector.seen().iter().map(|s| s.spans).sum();
    assert_eq!(delivered, 1000);
    provider.shutdown(Duration::from_secs(5)).unwrap();
}
