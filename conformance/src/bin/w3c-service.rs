//! The service the W3C Trace Context test harness drives.
//!
//! ```sh
//! cargo run -p spanlite-conformance --bin w3c-service -- 127.0.0.1:5000
//! ```
//!
//! It listens on the address given (port 0 picks a free one) and prints the
//! address it listens on as the first line of stdout. On every path it
//! takes `POST` with a JSON array `[{"url": "...", "arguments": ...}, ...]`
//! and, for each element in order, starts a CLIENT span that is a child of
//! the context extracted from the request's headers (W3C Trace Context and
//! Baggage), injects that span into the headers of `POST <url>` with
//! `arguments` as the JSON body, and waits for the answer. Only then does
//! it answer `200 {}`; `400` when the body is not such an array, `502`
//! when a call back failed.

use std::convert::Infallible;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE, HOST};
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use spanlite::{
    AlwaysOn, BaggagePropagator, Context, ParentBased, SpanKind, Status,
    TextMapCompositePropagator, TextMapPropagator, TraceContextPropagator, Tracer, TracerProvider,
};
use tokio::net::{TcpListener, TcpStream};

/// The largest request body read; a JSON list of call backs is far smaller.
const MAX_BODY_BYTES: usize = 1 << 20;
/// The largest call-back answer read (and then discarded).
const MAX_ANSWER_BYTES: usize = 1 << 20;
/// How long one call back may take, connect to last byte.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (out of file descriptors, say), so the
/// accept loop does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(address), None) = (args.next(), args.next()) else {
        eprintln!("usage: w3c-service <listen address, e.g. 127.0.0.1:5000>");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("w3c-service: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(&address)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("w3c-service: {address}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Binds `address`, prints where it listens, and serves until killed.
async fn serve(address: &str) -> io::Result<()> {
    let listener = TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{local}")?;
        stdout.flush()?;
    }

    // The provider is this binary's own, not the global one; without a
    // processor the spans go nowhere, which is all a propagation test needs.
    // ParentBased(AlwaysOn): a new trace is always sampled, and a continued
    // one keeps the caller's sampled flag.
    let provider = TracerProvider::builder()
        .with_sampler(ParentBased::new(AlwaysOn))
        // The service speaks Trace Context Level 2 to the harness: new
        // traces carry the random flag (off by default for Level 1 peers).
        .with_random_trace_flag(true)
        .with_disabled(false)
        .build();
    let service = Arc::new(W3cService {
        propagator: TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]),
        tracer: provider.tracer("spanlite-w3c-service"),
    });

    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                eprintln!("w3c-service: accept: {error}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let service = service.clone();
        tokio::spawn(async move {
            let handler = service_fn(move |request| {
                let service = service.clone();
                async move { Ok::<_, Infallible>(service.handle(request).await) }
            });
            // A peer that hangs up mid-request is its own business.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}

#[derive(Debug)]
struct W3cService {
    propagator: TextMapCompositePropagator,
    tracer: Tracer,
}

/// One element of the request body, checked.
#[derive(Debug)]
struct Callback {
    /// Where to connect: the URL's host without IPv6 brackets, and port.
    host: String,
    port: u16,
    /// The `Host` header: the URL's host and port as written.
    host_header: String,
    path_and_query: String,
    /// `arguments`, serialised.
    body: Bytes,
}

impl W3cService {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        if request.method() != Method::POST {
            let mut response = reply(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({"error": "only POST is served"}),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        let (parts, body) = request.into_parts();
        let body = match read_limited(body, MAX_BODY_BYTES).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return reply(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &json!({"error": format!("the body is over {MAX_BODY_BYTES} bytes")}),
                )
            }
            Err(BodyError::Read(error)) => {
                return reply(StatusCode::BAD_REQUEST, &json!({ "error": error }))
            }
        };
        let callbacks = match parse_callbacks(&body) {
            Ok(callbacks) => callbacks,
            Err(error) => return reply(StatusCode::BAD_REQUEST, &json!({ "error": error })),
        };

        // The whole header map goes to the propagator: it sees repeated
        // headers, and matches names ignoring case. Extraction depends on
        // the headers alone, so once serves every element.
        let parent = self
            .propagator
            .extract_with_context(&Context::new(), &parts.headers);
        let mut failures = Vec::new();
        for (index, callback) in callbacks.iter().enumerate() {
            if let Err(error) = self.call_back(&parent, callback).await {
                failures.push(format!("element {index}: {error}"));
            }
        }
        if failures.is_empty() {
            reply(StatusCode::OK, &json!({}))
        } else {
            eprintln!("w3c-service: {}", failures.join("; "));
            reply(StatusCode::BAD_GATEWAY, &json!({ "errors": failures }))
        }
    }

    /// Sends one call back inside its own child span of `parent`, so each
    /// call carries a new span id.
    async fn call_back(&self, parent: &Context, callback: &Callback) -> Result<(), String> {
        let span = self
            .tracer
            .span_builder("POST")
            .with_kind(SpanKind::Client)
            .with_parent(parent)
            .start();
        let cx = span.into_context(parent);
        let mut headers = HeaderMap::new();
        self.propagator.inject_context(&cx, &mut headers);

        let result = match tokio::time::timeout(CALLBACK_TIMEOUT, post(callback, headers)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {CALLBACK_TIMEOUT:?}")),
        };
        if let Err(error) = &result {
            cx.span().set_status(Status::error(error.clone()));
        }
        cx.span().end();
        result
    }
}

/// `POST`s `callback.body` with `headers` on a connection of its own.
async fn post(callback: &Callback, headers: HeaderMap) -> Result<(), String> {
    let stream = TcpStream::connect((callback.host.as_str(), callback.port))
        .await
        .map_err(|e| format!("connect to {}: {e}", callback.host_header))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake with {}: {e}", callback.host_header))?;
    // The connection ends on its own once `sender` is dropped or the peer
    // closes; its errors show up through `send_request`.
    tokio::spawn(connection);

    let mut request = Request::builder()
        .method(Method::POST)
        .uri(callback.path_and_query.as_str())
        .header(HOST, callback.host_header.as_str())
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(callback.body.clone()))
        .map_err(|e| format!("building the request: {e}"))?;
    request.headers_mut().extend(headers);

    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("POST to {}: {e}", callback.host_header))?;
    let status = response.status();
    // Read the answer through, so the peer is never cut off mid-write.
    if let Err(BodyError::Read(e)) = read_limited(response.into_body(), MAX_ANSWER_BYTES).await {
        return Err(format!("reading the answer: {e}"));
    }
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the call back answered {status}"))
    }
}

enum BodyError {
    TooLarge,
    Read(String),
}

async fn read_limited(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Err(error) => Err(BodyError::Read(error.to_string())),
    }
}

/// Reads the request body: a JSON array of `{"url", "arguments"}` objects.
/// A missing `arguments` is sent as `null`.
fn parse_callbacks(body: &[u8]) -> Result<Vec<Callback>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Value::Array(elements) = value else {
        return Err("the body is not a JSON array".to_owned());
    };
    elements
        .iter()
        .enumerate()
        .map(|(index, element)| {
            parse_callback(element).map_err(|error| format!("element {index}: {error}"))
        })
        .collect()
}

fn parse_callback(element: &Value) -> Result<Callback, String> {
    let Value::Object(fields) = element else {
        return Err("not a JSON object".to_owned());
    };
    let Some(Value::String(url)) = fields.get("url") else {
        return Err("`url` is missing or not a string".to_owned());
    };
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("`url` {url:?} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("`url` {url:?} is not an http:// URL"));
    }
    let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
        return Err(format!("`url` {url:?} has no host"));
    };
    let port = uri.port_u16().unwrap_or(80);
    let host_header = match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let connect_host = host.trim_start_matches('[').trim_end_matches(']');
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let arguments = fields.get("arguments").unwrap_or(&Value::Null);
    Ok(Callback {
        host: connect_host.to_owned(),
        port,
        host_header,
        path_and_query,
        body: Bytes::from(arguments.to_string()),
    })
}

fn reply(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
