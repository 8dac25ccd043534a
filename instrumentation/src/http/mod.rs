//! tower layers that trace HTTP: [`HttpServerLayer`] for servers (hyper 1
//! services, axum) and [`HttpClientLayer`] for clients, with the stable
//! HTTP semantic conventions.

/// Defines a tower layer that holds a tracer, and the service it makes
/// around an inner service: the part the client and server layers share.
macro_rules! traced_layer {
    ($(#[$doc:meta])* $layer:ident => $service:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $layer {
            tracer: Tracer,
        }

        impl $layer {
            /// A layer recording through `tracer`.
            pub fn new(tracer: Tracer) -> $layer {
                $layer { tracer }
            }
        }

        impl<S> Layer<S> for $layer {
            type Service = $service<S>;

            fn layer(&self, inner: S) -> $service<S> {
                $service {
                    inner,
                    tracer: self.tracer.clone(),
                }
            }
        }

        #[doc = concat!("The service [`", stringify!($layer), "`] makes.")]
        #[derive(Debug, Clone)]
        pub struct $service<S> {
            inner: S,
            tracer: Tracer,
        }
    };
}

mod body;
mod client;
mod server;

pub use body::TracedBody;
pub use client::{HttpClientLayer, HttpClientService};
pub use server::{ClientAddress, HttpRoute, HttpServerLayer, HttpServerService};

use spanlite::{Context, KeyValue, Status};

/// `server.address` and `server.port` from a host (`host[:port]`), with the
/// scheme's default port.
fn server_attributes(host: &str, scheme: &str, out: &mut Vec<KeyValue>) {
    let (address, port) = match host.rsplit_once(':') {
        Some((address, port)) if !address.ends_with(']') || address.starts_with('[') => {
            (address, port.parse::<i64>().ok())
        }
        _ => (host, None),
    };
    let address = address.trim_start_matches('[').trim_end_matches(']');
    if !address.is_empty() {
        out.push(KeyValue::new("server.address", address.to_owned()));
    }
    let port = port.or(match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    });
    if let Some(port) = port {
        out.push(KeyValue::new("server.port", port));
    }
}

/// The method as the conventions name it: known methods as is, others as
/// `_OTHER`.
fn method_name(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::DELETE => "DELETE",
        http::Method::HEAD => "HEAD",
        http::Method::OPTIONS => "OPTIONS",
        http::Method::PATCH => "PATCH",
        http::Method::CONNECT => "CONNECT",
        http::Method::TRACE => "TRACE",
        _ => "_OTHER",
    }
}

/// Records a response on the request's span (its status code, and an error
/// when `failed` says the status is one) and hands the span to the body,
/// which ends it when done.
fn traced_response<R>(
    cx: Context,
    response: http::Response<R>,
    failed: impl FnOnce(http::StatusCode) -> bool,
) -> http::Response<TracedBody<R>> {
    let status = response.status();
    let span = cx.span();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status.as_u16()),
    ));
    if failed(status) {
        span.set_attribute(KeyValue::new("error.type", status.as_str().to_owned()));
        span.set_status(Status::error(format!("HTTP {}", status.as_u16())));
    }
    response.map(|body| TracedBody::new(body, cx))
}

/// Ends the request's span as failed with no response.
fn failed_without_response(cx: &Context, message: String) {
    let span = cx.span();
    span.set_attribute(KeyValue::new("error.type", "_OTHER"));
    span.set_status(Status::error(message));
    span.end();
}
