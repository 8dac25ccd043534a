//! `api-gateway`: `GET /api/products/{id}?user={uid}` asks user-service
//! and product-service at the same time and combines their answers.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use spanlite::{Context, Tracer};

use super::http::{error_response, get_json, id_after, json_response, traced_client};
use super::http::{Body, BoxError, TracedClient};
use super::server::{Handler, Server};
use super::DemoError;

/// The service name in the resource.
pub(crate) const SERVICE: &str = "api-gateway";
/// The response header that names the request's trace (W3C Trace Context
/// Level 2 `traceresponse`).
pub(crate) const TRACE_RESPONSE: &str = "traceresponse";

struct Gateway {
    client: TracedClient,
    users: SocketAddr,
    products: SocketAddr,
}

/// The route of `path`.
fn route(path: &str) -> Option<&'static str> {
    path.starts_with("/api/products/")
        .then_some("/api/products/{id}")
}

/// Starts the gateway in front of the two services.
pub(crate) async fn start(
    tracer: Tracer,
    users: SocketAddr,
    products: SocketAddr,
) -> Result<Server, DemoError> {
    let gateway = Arc::new(Gateway {
        client: traced_client(tracer.clone()),
        users,
        products,
    });
    let handler: Handler = Arc::new(move |request| {
        let gateway = gateway.clone();
        Box::pin(async move {
            let mut response = handle(&gateway, request).await;
            if let Some(value) = trace_response(&Context::current()) {
                response.headers_mut().insert(TRACE_RESPONSE, value);
            }
            response
        })
    });
    Server::start(tracer, route, handler)
        .await
        .map_err(|e| DemoError::new("starting api-gateway", e))
}

/// `00-{trace id}-{span id}-{flags}` of the current span.
fn trace_response(cx: &Context) -> Option<HeaderValue> {
    let span = cx.span();
    let sc = span.span_context();
    if !sc.is_valid() {
        return None;
    }
    let text = format!(
        "00-{}-{}-{:02x}",
        sc.trace_id(),
        sc.span_id(),
        sc.trace_flags().to_u8()
    );
    HeaderValue::from_str(&text).ok()
}

/// The value of `name` in a query string.
fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

async fn handle(gateway: &Gateway, request: Request<Incoming>) -> Response<Body> {
    if request.method() != Method::GET {
        return error_response(StatusCode::METHOD_NOT_ALLOWED, "only GET");
    }
    let Some(product) = id_after(request.uri().path(), "/api/products/") else {
        return error_response(StatusCode::NOT_FOUND, "no such route");
    };
    let user = request
        .uri()
        .query()
        .and_then(|q| query_param(q, "user"))
        .and_then(|u| u.parse::<i64>().ok());
    let Some(user) = user else {
        return error_response(StatusCode::BAD_REQUEST, "?user={id} is required");
    };
    let (user, product) = tokio::join!(
        get_json(
            &gateway.client,
            format!("http://{}/users/{user}", gateway.users)
        ),
        get_json(
            &gateway.client,
            format!("http://{}/products/{product}", gateway.products)
        ),
    );
    combine(user, product)
}

/// One answer from both; a missing product or user is a 404, anything
/// else that went wrong a 502.
fn combine(
    user: Result<(StatusCode, Value), BoxError>,
    product: Result<(StatusCode, Value), BoxError>,
) -> Response<Body> {
    let ((user_status, user), (product_status, product)) = match (user, product) {
        (Ok(user), Ok(product)) => (user, product),
        (Err(e), _) => {
            return error_response(StatusCode::BAD_GATEWAY, format!("user-service: {e}"))
        }
        (_, Err(e)) => {
            return error_response(StatusCode::BAD_GATEWAY, format!("product-service: {e}"))
        }
    };
    match (user_status, product_status) {
        (StatusCode::OK, StatusCode::OK) => {
            json_response(StatusCode::OK, &json!({ "user": user, "product": product }))
        }
        (_, StatusCode::NOT_FOUND) => json_response(StatusCode::NOT_FOUND, &product),
        (StatusCode::NOT_FOUND, _) => json_response(StatusCode::NOT_FOUND, &user),
        _ => error_response(
            StatusCode::BAD_GATEWAY,
            format!("user-service answered {user_status}, product-service {product_status}"),
        ),
    }
}
