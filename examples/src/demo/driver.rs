//! The demo's own traffic: plain (untraced) requests to the gateway, so
//! that the gateway's SERVER span is the root of each trace.

use std::net::SocketAddr;

use http_body_util::BodyExt;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use spanlite::TraceId;

use super::gateway::TRACE_RESPONSE;
use super::http::{empty, Body};
use super::{DemoError, DemoRequest, RequestOutcome};

/// Sends `requests` one after the other and reports each answer.
pub(crate) async fn send_all(
    gateway: SocketAddr,
    requests: &[DemoRequest],
) -> Result<Vec<RequestOutcome>, DemoError> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let mut outcomes = Vec::with_capacity(requests.len());
    for &request in requests {
        let url = format!("http://{gateway}{}", request.path());
        let fail = |e: &dyn std::fmt::Display| DemoError::new(&format!("GET {url}"), e);
        let http_request = Request::get(&url).body(empty()).map_err(|e| fail(&e))?;
        let response = client.request(http_request).await.map_err(|e| fail(&e))?;
        let status = response.status().as_u16();
        let trace_id = response
            .headers()
            .get(TRACE_RESPONSE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_trace_response);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(&e))?
            .to_bytes();
        outcomes.push(RequestOutcome {
            request,
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            trace_id,
        });
    }
    Ok(outcomes)
}

/// The trace id of a `traceresponse` value (`00-{trace}-{span}-{flags}`).
fn parse_trace_response(value: &str) -> Option<TraceId> {
    let mut parts = value.split('-');
    let _version = parts.next()?;
    TraceId::from_hex(parts.next()?).ok()
}
