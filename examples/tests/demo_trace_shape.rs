//! The demo's traces, read from an in-memory exporter: one trace per
//! request, rooted at the gateway, with parallel calls to the two services
//! and their database spans, cache events and 404s where they belong.

use std::collections::HashMap;
use std::sync::OnceLock;

use spanlite::{InMemoryExporter, SpanData, SpanKind, TraceId, Value};
use spanlite_examples::demo::{run, DemoConfig, RequestOutcome, Sink};

struct Run {
    outcomes: Vec<RequestOutcome>,
    traces: HashMap<TraceId, Vec<SpanData>>,
}

/// One run of the default requests, shared by every test.
fn demo() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let outcomes = run(DemoConfig::new(Sink::InMemory(exporter.clone()))).unwrap();
        let mut traces: HashMap<TraceId, Vec<SpanData>> = HashMap::new();
        for span in exporter.finished_spans() {
            traces
                .entry(span.span_context().trace_id())
                .or_default()
                .push(span);
        }
        Run { outcomes, traces }
    })
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes()
        .iter()
        .find(|kv| kv.key().as_str() == key)
        .map(|kv| kv.value())
}

fn attr_str<'a>(span: &'a SpanData, key: &str) -> Option<&'a str> {
    attr(span, key).and_then(Value::as_str)
}

fn attr_int(span: &SpanData, key: &str) -> Option<i64> {
    match attr(span, key) {
        Some(Value::I64(v)) => Some(*v),
        _ => None,
    }
}

fn service(span: &SpanData) -> &str {
    span.resource().and_then(|r| r.service_name()).unwrap_or("")
}

/// The spans of one request's trace, by role.
#[derive(Debug)]
struct Shape<'a> {
    root: &'a SpanData,
    user_client: &'a SpanData,
    user_server: &'a SpanData,
    user_db: Option<&'a SpanData>,
    product_client: &'a SpanData,
    product_server: &'a SpanData,
    product_db: Option<&'a SpanData>,
    all: &'a [SpanData],
}

fn only<'a>(spans: &'a [SpanData], what: &str, f: impl Fn(&SpanData) -> bool) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| f(s)).collect();
    assert_eq!(found.len(), 1, "exactly one {what} in {spans:#?}");
    found[0]
}

fn child_of<'a>(spans: &'a [SpanData], parent: &SpanData, name: &str) -> Option<&'a SpanData> {
    spans
        .iter()
        .find(|s| s.parent_span_id() == parent.span_context().span_id() && s.name() == name)
}

fn shape(outcome: &RequestOutcome) -> Shape<'_> {
    let trace_id = outcome.trace_id.expect("the gateway names the trace");
    let all = demo()
        .traces
        .get(&trace_id)
        .expect("the trace was exported");
    let root = only(all, "root", |s| !s.parent_span_id().is_valid());
    let client_to = |port_of: &str| {
        only(all, port_of, |s| {
            s.kind() == SpanKind::Client
                && service(s) == "api-gateway"
                && attr_str(s, "url.full").is_some_and(|u| u.contains(port_of))
        })
    };
    let user_client = client_to("/users/");
    let product_client = client_to("/products/");
    let user_server = child_of(all, user_client, "GET /users/{id}").expect("user SERVER span");
    let product_server =
        child_of(all, product_client, "GET /products/{id}").expect("product SERVER span");
    Shape {
        root,
        user_client,
        user_server,
        user_db: child_of(all, user_server, "SELECT users"),
        product_client,
        product_server,
        product_db: child_of(all, product_server, "SELECT products"),
        all,
    }
}

#[test]
fn each_request_gets_its_own_trace_with_the_gateways_answer() {
    let run = demo();
    let statuses: Vec<u16> = run.outcomes.iter().map(|o| o.status).collect();
    assert_eq!(statuses, [200, 200, 200, 404]);
    let mut ids: Vec<TraceId> = run.outcomes.iter().filter_map(|o| o.trace_id).collect();
    ids.sort_by_key(|id| id.to_int());
    ids.dedup();
    assert_eq!(ids.len(), 4, "four distinct trace ids");
    assert_eq!(run.traces.len(), 4, "no spans outside those traces");
    assert!(run.outcomes[0].body.contains("Ada Lovelace"));
    assert!(run.outcomes[0].body.contains("Mechanical keyboard"));
    assert!(run.outcomes[3].body.contains("product 99 not found"));
}

#[test]
fn the_root_is_the_gateways_server_span() {
    for outcome in &demo().outcomes {
        let s = shape(outcome);
        assert_eq!(s.root.kind(), SpanKind::Server);
        assert_eq!(s.root.name(), "GET /api/products/{id}");
        assert_eq!(service(s.root), "api-gateway");
        assert_eq!(attr_str(s.root, "http.route"), Some("/api/products/{id}"));
        assert_eq!(
            attr_int(s.root, "http.response.status_code"),
            Some(i64::from(outcome.status))
        );
    }
}

#[test]
fn the_gateway_calls_both_services_in_parallel() {
    for outcome in &demo().outcomes {
        let s = shape(outcome);
        for client in [s.user_client, s.product_client] {
            assert_eq!(client.parent_span_id(), s.root.span_context().span_id());
            assert_eq!(client.name(), "GET");
        }
        let (a, b) = (s.user_client, s.product_client);
        assert!(
            a.start_unix_nanos() < b.end_unix_nanos() && b.start_unix_nanos() < a.end_unix_nanos(),
            "the two CLIENT spans overlap: {a:?} {b:?}"
        );
    }
}

#[test]
fn each_service_reports_its_own_name() {
    for outcome in &demo().outcomes {
        let s = shape(outcome);
        for span in s.all {
            let expected = match span.name() {
                "GET /users/{id}" | "SELECT users" => "user-service",
                "GET /products/{id}" | "SELECT products" => "product-service",
                _ => "api-gateway",
            };
            assert_eq!(service(span), expected, "{span:?}");
        }
    }
}

#[test]
fn user_service_serves_from_sqlite_under_its_server_span() {
    for outcome in &demo().outcomes {
        let s = shape(outcome);
        assert_eq!(s.user_server.kind(), SpanKind::Server);
        assert!(s.user_server.parent_is_remote());
        let db = s.user_db.expect("a SELECT users span");
        assert_eq!(db.kind(), SpanKind::Client);
        assert_eq!(attr_str(db, "db.system.name"), Some("sqlite"));
        assert_eq!(attr_str(db, "db.operation.name"), Some("SELECT"));
        assert_eq!(attr_str(db, "db.collection.name"), Some("users"));
        assert!(attr_str(db, "db.query.text").is_some_and(|q| q.starts_with("SELECT")));
        assert_eq!(attr_int(db, "db.response.returned_rows"), Some(1));
    }
}

#[test]
fn product_service_records_cache_misses_and_reads_sqlite_on_a_miss() {
    let run = demo();
    // Products 1 and 2 and the missing 99 miss; the second request for 1 hits.
    for (i, (outcome, hit)) in run
        .outcomes
        .iter()
        .zip([false, false, true, false])
        .enumerate()
    {
        let s = shape(outcome);
        assert_eq!(s.product_server.kind(), SpanKind::Server);
        assert!(s.product_server.parent_is_remote());
        let events: Vec<&str> = s.product_server.events().iter().map(|e| e.name()).collect();
        let expected = if hit { "cache hit" } else { "cache miss" };
        assert_eq!(events, [expected], "request {i}");
        let key = &s.product_server.events()[0].attributes()[0];
        assert_eq!(key.key().as_str(), "cache.key");
        assert!(key
            .value()
            .as_str()
            .is_some_and(|k| k.starts_with("product:")));
        match s.product_db {
            Some(db) => {
                assert!(!hit, "request {i}: a hit does not query");
                assert_eq!(db.kind(), SpanKind::Client);
                assert_eq!(attr_str(db, "db.system.name"), Some("sqlite"));
                assert_eq!(attr_str(db, "db.collection.name"), Some("products"));
                assert!(db.start_unix_nanos() >= s.product_server.events()[0].unix_nanos());
            }
            None => assert!(hit, "request {i}: a miss queries"),
        }
    }
}

#[test]
fn a_missing_product_is_a_404_error_only_on_the_gateways_client_span() {
    let s = shape(&demo().outcomes[3]);
    assert_eq!(attr_int(s.root, "http.response.status_code"), Some(404));
    assert!(!s.root.status().is_error(), "4xx is no server error");
    assert_eq!(
        attr_int(s.product_server, "http.response.status_code"),
        Some(404)
    );
    assert!(!s.product_server.status().is_error());
    assert_eq!(
        attr_int(s.product_client, "http.response.status_code"),
        Some(404)
    );
    assert!(
        s.product_client.status().is_error(),
        "4xx is a client error"
    );
    assert_eq!(attr_str(s.product_client, "error.type"), Some("404"));
    let db = s.product_db.expect("the miss queried the database");
    assert_eq!(attr_int(db, "db.response.returned_rows"), Some(0));
    assert!(!db.status().is_error());
    assert!(!s.user_client.status().is_error());
    assert_eq!(s.all.len(), 7);
}
