//! The traced microservices demo against a real Jaeger v2: every request's
//! trace, read back through `/api/v3/traces/{id}`, holds the three
//! services, the right parent links, the parallel calls, the database spans
//! and the cache events.

use std::time::Duration;

use serde_json::Value;
use spanlite_conformance::{otlp_json_view, Jaeger};
use spanlite_examples::demo::{run, DemoConfig, Sink};
use spanlite_exporters::otlp::OtlpConfig;

/// OTLP `SpanKind` numbers.
const SERVER: u64 = 2;
const CLIENT: u64 = 3;
/// OTLP `Status.code` of an error.
const STATUS_ERROR: u64 = 2;

/// A span as Jaeger stored it, with the fields the shape needs.
#[derive(Debug)]
struct StoredSpan {
    service: String,
    span_id: String,
    parent_span_id: String,
    name: String,
    kind: u64,
    start: u64,
    end: u64,
    status_code: u64,
    attributes: Value,
    events: Vec<String>,
}

fn number(value: Option<&Value>) -> u64 {
    match value {
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        Some(v) => v.as_u64().unwrap_or(0),
        None => 0,
    }
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or("").to_owned()
}

/// The value of the attribute `key` in an OTLP JSON attribute list, as text.
fn attribute(list: &Value, key: &str) -> Option<String> {
    let value = list
        .as_array()?
        .iter()
        .find(|kv| kv.get("key").and_then(Value::as_str) == Some(key))?
        .get("value")?;
    value
        .get("stringValue")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| value.get("intValue").map(|v| number(Some(v)).to_string()))
}

fn stored_spans(answer: &Value) -> Vec<StoredSpan> {
    otlp_json_view::spans(answer)
        .expect("an OTLP JSON answer")
        .into_iter()
        .map(|entry| {
            let span = entry.span;
            StoredSpan {
                service: attribute(&entry.resource["attributes"], "service.name")
                    .unwrap_or_default(),
                span_id: text(span.get("spanId")),
                parent_span_id: text(span.get("parentSpanId")),
                name: text(span.get("name")),
                kind: number(span.get("kind")),
                start: number(span.get("startTimeUnixNano")),
                end: number(span.get("endTimeUnixNano")),
                status_code: number(span.get("status").and_then(|s| s.get("code"))),
                attributes: span.get("attributes").cloned().unwrap_or(Value::Null),
                events: span
                    .get("events")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|e| text(e.get("name")))
                    .collect(),
            }
        })
        .collect()
}

fn one<'a>(spans: &'a [StoredSpan], what: &str, f: impl Fn(&StoredSpan) -> bool) -> &'a StoredSpan {
    let found: Vec<&StoredSpan> = spans.iter().filter(|s| f(s)).collect();
    assert_eq!(found.len(), 1, "exactly one {what} in {spans:#?}");
    found[0]
}

#[test]
fn the_demo_traces_arrive_in_jaeger_with_their_shape() {
    let jaeger = Jaeger::start()
        .unwrap_or_else(|e| panic!("Jaeger v2 is needed for this test and did not start:\n{e}"));
    let otlp = OtlpConfig::new()
        .with_endpoint(jaeger.otlp_http_endpoint())
        .with_timeout(Duration::from_secs(10));
    let outcomes = run(DemoConfig::new(Sink::Otlp(otlp))).expect("the demo runs and exports");
    let statuses: Vec<u16> = outcomes.iter().map(|o| o.status).collect();
    assert_eq!(statuses, [200, 200, 200, 404]);

    // The third request finds product 1 in the cache: no product DB span.
    for (outcome, cache_hit) in outcomes.iter().zip([false, false, true, false]) {
        let trace_id = outcome.trace_id.expect("the gateway names the trace");
        let expected = if cache_hit { 6 } else { 7 };
        let answer = jaeger
            .wait_for_spans(trace_id, expected)
            .unwrap_or_else(|e| panic!("trace {trace_id}: {e}\n{}", jaeger.log_tail(20)));
        let spans = stored_spans(&answer);
        assert_eq!(spans.len(), expected, "trace {trace_id}: {spans:#?}");

        let mut services: Vec<&str> = spans.iter().map(|s| s.service.as_str()).collect();
        services.sort_unstable();
        services.dedup();
        assert_eq!(services, ["api-gateway", "product-service", "user-service"]);

        let root = one(&spans, "root", |s| s.parent_span_id.is_empty());
        assert_eq!((root.service.as_str(), root.kind), ("api-gateway", SERVER));
        assert_eq!(root.name, "GET /api/products/{id}");

        let client_to = |path: &str| {
            one(&spans, path, |s| {
                s.kind == CLIENT
                    && s.service == "api-gateway"
                    && attribute(&s.attributes, "url.full").is_some_and(|u| u.contains(path))
            })
        };
        let users = client_to("/users/");
        let products = client_to("/products/");
        for client in [users, products] {
            assert_eq!(client.parent_span_id, root.span_id);
        }
        assert!(
            users.start < products.end && products.start < users.end,
            "the calls overlap: {users:?} {products:?}"
        );

        let user_server = one(&spans, "user SERVER", |s| s.name == "GET /users/{id}");
        assert_eq!(
            (user_server.service.as_str(), user_server.kind),
            ("user-service", SERVER)
        );
        assert_eq!(user_server.parent_span_id, users.span_id);
        let user_db = one(&spans, "SELECT users", |s| s.name == "SELECT users");
        assert_eq!(
            (user_db.service.as_str(), user_db.kind),
            ("user-service", CLIENT)
        );
        assert_eq!(user_db.parent_span_id, user_server.span_id);
        assert_eq!(
            attribute(&user_db.attributes, "db.system.name").as_deref(),
            Some("sqlite")
        );
        assert_eq!(
            attribute(&user_db.attributes, "db.collection.name").as_deref(),
            Some("users")
        );

        let product_server = one(&spans, "product SERVER", |s| s.name == "GET /products/{id}");
        assert_eq!(
            (product_server.service.as_str(), product_server.kind),
            ("product-service", SERVER)
        );
        assert_eq!(product_server.parent_span_id, products.span_id);
        let event = if cache_hit { "cache hit" } else { "cache miss" };
        assert_eq!(product_server.events, [event]);
        let product_db = spans.iter().find(|s| s.name == "SELECT products");
        match product_db {
            Some(db) => {
                assert!(!cache_hit);
                assert_eq!((db.service.as_str(), db.kind), ("product-service", CLIENT));
                assert_eq!(db.parent_span_id, product_server.span_id);
                assert_eq!(
                    attribute(&db.attributes, "db.operation.name").as_deref(),
                    Some("SELECT")
                );
            }
            None => assert!(cache_hit, "a miss reads the database"),
        }

        let code = attribute(&root.attributes, "http.response.status_code");
        assert_eq!(code, Some(outcome.status.to_string()));
        let product_error = products.status_code == STATUS_ERROR;
        assert_eq!(product_error, outcome.status == 404, "{products:?}");
        assert_ne!(root.status_code, STATUS_ERROR, "a 404 is no server error");
    }
}
