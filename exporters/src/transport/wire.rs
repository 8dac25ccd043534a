//! What differs between the protocols the HTTP transport carries: the
//! content type, extra headers, and how an answer is judged.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::request::Builder;
use http::{HeaderMap, StatusCode};

use super::retry::{is_retryable_status, parse_retry_after};

/// How an answer is judged.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Delivered; the body may say more (OTLP partial success).
    Accepted,
    /// Try again, after `after` if the server said when.
    Retry {
        after: Option<Duration>,
        why: String,
    },
    /// Failed for good: do not retry.
    Rejected { why: String },
}

/// One protocol over HTTP: OTLP/HTTP, OTLP/gRPC, Jaeger Thrift, Zipkin.
pub(crate) trait Wire: Send + Sync {
    /// The `Content-Type` of requests.
    fn content_type(&self) -> &'static str;

    /// Whether requests go over HTTP/2 only (gRPC).
    fn http2_only(&self) -> bool {
        false
    }

    /// Adds protocol headers; `left` is the time to the deadline.
    fn headers(&self, request: Builder, left: Duration) -> Builder {
        let _ = left;
        request
    }

    /// Judges an answer.
    fn judge(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &Bytes,
        trailers: Option<&HeaderMap>,
    ) -> Verdict {
        let _ = trailers;
        plain_http_verdict(status, headers, body)
    }
}

/// A protocol that is only a content type: success is any 2xx, and the
/// HTTP rules below decide retries (Jaeger's collector, Zipkin).
#[cfg(any(feature = "jaeger", feature = "zipkin"))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlainWire(pub(crate) &'static str);

#[cfg(any(feature = "jaeger", feature = "zipkin"))]
impl Wire for PlainWire {
    fn content_type(&self) -> &'static str {
        self.0
    }
}

/// The HTTP rules the OTLP spec writes down, which suit any push protocol:
/// 2xx delivered; 429, 502, 503 and 504 retried (after `Retry-After` when
/// given); anything else rejected.
pub(crate) fn plain_http_verdict(status: StatusCode, headers: &HeaderMap, body: &Bytes) -> Verdict {
    if status.is_success() {
        return Verdict::Accepted;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(256)]).into_owned();
    if !is_retryable_status(status.as_u16()) {
        return Verdict::Rejected {
            why: format!("HTTP {status} (not retryable): {text}"),
        };
    }
    let after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    Verdict::Retry {
        after,
        why: format!("HTTP {status}"),
    }
}
