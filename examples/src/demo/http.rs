//! HTTP plumbing shared by the services: bodies, JSON responses and the
//! traced client.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use spanlite::Tracer;
use spanlite_instrumentation::http::{HttpClientLayer, HttpClientService};
use tower::{Layer, ServiceExt};

/// Any error a body may fail with.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body of every request and response the demo makes: small, whole.
pub(crate) type Body = Full<Bytes>;
/// A pooled hyper client whose requests are CLIENT spans.
pub(crate) type TracedClient = HttpClientService<Client<HttpConnector, Body>>;

/// An empty body.
pub(crate) fn empty() -> Body {
    Full::default()
}

/// A response with `value` as its JSON body.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `{"error": message}` with `status`.
pub(crate) fn error_response(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    json_response(status, &json!({ "error": message.into() }))
}

/// A client tracing through `tracer`.
pub(crate) fn traced_client(tracer: Tracer) -> TracedClient {
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    HttpClientLayer::new(tracer).layer(client)
}

/// GETs `url` and reads the body as JSON (`null` when it is not JSON).
pub(crate) async fn get_json(
    client: &TracedClient,
    url: String,
) -> Result<(StatusCode, Value), BoxError> {
    let request = Request::get(url).body(empty())?;
    let response = client.clone().oneshot(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// The id after `prefix` in `path` (`/users/7` -> 7).
pub(crate) fn id_after(path: &str, prefix: &str) -> Option<i64> {
    path.strip_prefix(prefix)?.parse().ok()
}
