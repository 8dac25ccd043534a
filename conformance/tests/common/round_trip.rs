//! Reading a sent trace back from Jaeger four ways (raw and adjusted,
//! `/api/v3` and `/api/traces`) and comparing every field with what the
//! sending path promises, given as an [`Expected`].

use std::collections::HashMap;

use serde_json::Value;
use spanlite::{Resource, SpanData, TraceId};
use spanlite_conformance::json_compare::{differences, without_defaults};
use spanlite_conformance::{jaeger_ui_view, otlp_json_view, Jaeger};

use super::every_field::parent_is_elsewhere;
use super::jaeger_thrift_fields::parse_json_strings;

/// What Jaeger must answer for a sent span, per sending path.
pub(crate) struct Expected {
    /// The span in `/api/v3` (OTLP JSON).
    pub(crate) v3_span: fn(&SpanData) -> Value,
    /// Its resource in `/api/v3`.
    pub(crate) v3_resource: fn(Option<&Resource>) -> Value,
    /// Its scope in `/api/v3`.
    pub(crate) v3_scope: fn(&SpanData) -> Value,
    /// The span in `/api/traces` (the Jaeger UI model).
    pub(crate) v1_span: fn(&SpanData) -> Value,
    /// Whether string attribute values holding JSON are compared parsed.
    pub(crate) parse_json_strings: bool,
}

/// The differences between each sent span and what `/api/v3` returned for
/// it, `adjusted` saying whether Jaeger's query adjusters ran.
pub(crate) fn compare_v3(
    sent: &[SpanData],
    answer: &Value,
    adjusted: bool,
    expected: &Expected,
) -> Vec<String> {
    let parsed;
    let answer = if expected.parse_json_strings {
        parsed = parse_json_strings(answer);
        &parsed
    } else {
        answer
    };
    let entries = otlp_json_view::spans(answer).expect("an OTLP JSON answer");
    let mut problems = Vec::new();
    if entries.len() != sent.len() {
        problems.push(format!(
            "expected {} spans, got {}",
            sent.len(),
            entries.len()
        ));
    }
    let by_id: HashMap<&str, _> = entries.iter().map(|e| (e.span_id(), e)).collect();
    let shape = |v: Value| {
        if adjusted {
            otlp_json_view::sorted_like_jaeger(&v)
        } else {
            v
        }
    };
    for span in sent {
        let id = span.span_context().span_id().to_string();
        let Some(entry) = by_id.get(id.as_str()) else {
            problems.push(format!("span {:?} ({id}) is missing", span.name()));
            continue;
        };
        let mut expected_span = shape((expected.v3_span)(span));
        if adjusted && parent_is_elsewhere(span, sent) {
            let warning = otlp_json_view::missing_parent_warning(span.parent_span_id());
            expected_span = otlp_json_view::with_warnings(&expected_span, &[warning]);
        }
        let pairs = [
            ("span", expected_span, entry.span),
            (
                "resource",
                shape((expected.v3_resource)(span.resource())),
                entry.resource,
            ),
            ("scope", shape((expected.v3_scope)(span)), entry.scope),
            // Jaeger's memory storage regroups spans by trace id into new
            // ResourceSpans and ScopeSpans, copying the resource and scope
            // but not their schema URLs (internal/storage/v2/memory/
            // memory.go, reshuffleResourceSpans): what was sent cannot be
            // read back.
            ("resource schemaUrl", Value::Null, entry.resource_schema_url),
            ("scope schemaUrl", Value::Null, entry.scope_schema_url),
        ];
        for (what, expected, actual) in pairs {
            for d in differences(&without_defaults(&expected), &without_defaults(actual)) {
                problems.push(format!("{:?} {what}: {d}", span.name()));
            }
        }
    }
    problems
}

/// The differences between each sent span and what `/api/traces`
/// returned.
pub(crate) fn compare_v1(
    sent: &[SpanData],
    answer: &Value,
    adjusted: bool,
    expected: &Expected,
) -> Vec<String> {
    let spans = jaeger_ui_view::spans_for_comparison(answer).expect("a Jaeger UI answer");
    let mut problems = Vec::new();
    if spans.len() != sent.len() {
        problems.push(format!(
            "expected {} spans, got {}",
            sent.len(),
            spans.len()
        ));
    }
    for span in sent {
        let id = jaeger_ui_view::span_id(span.span_context().span_id());
        let Some(actual) = spans.iter().find(|s| s["spanID"] == id.as_str()) else {
            problems.push(format!("span {:?} ({id}) is missing", span.name()));
            continue;
        };
        let mut wanted = (expected.v1_span)(span);
        if adjusted {
            wanted = jaeger_ui_view::sorted_like_jaeger(&wanted);
            if parent_is_elsewhere(span, sent) {
                let warning = jaeger_ui_view::missing_parent_warning(span.parent_span_id());
                wanted = jaeger_ui_view::with_warnings(&wanted, &[warning]);
            }
        }
        for d in differences(&without_defaults(&wanted), &without_defaults(actual)) {
            problems.push(format!("{:?}: {d}", span.name()));
        }
    }
    problems
}

/// Fails with every difference and the tail of Jaeger's log.
pub(crate) fn assert_no_problems(what: &str, problems: Vec<String>, jaeger: &Jaeger) {
    assert!(
        problems.is_empty(),
        "{what}: {} differences:\n  {}\nJaeger log tail:\n{}",
        problems.len(),
        problems.join("\n  "),
        jaeger.log_tail(20)
    );
}

/// Reads the trace of `sent` back four ways (raw and adjusted, `/api/v3`
/// and `/api/traces`) and compares every field. The adjusted `/api/v3`
/// read comes last: Jaeger's memory storage hands out the stored trace
/// itself and those adjusters change it in place (they sort its
/// attributes and add a warning attribute, once per read); `/api/traces`
/// adjusts a copy.
pub(crate) fn check_round_trip(
    jaeger: &Jaeger,
    sent: &[SpanData],
    trace_id: TraceId,
    expected: &Expected,
) {
    let raw_v3 = jaeger.wait_for_spans(trace_id, sent.len()).unwrap();
    assert_no_problems(
        "/api/v3/traces raw",
        compare_v3(sent, &raw_v3, false, expected),
        jaeger,
    );
    let raw_v1 = jaeger
        .get_trace_v1_raw(trace_id)
        .unwrap()
        .expect("the trace in /api/traces");
    assert_no_problems(
        "/api/traces raw",
        compare_v1(sent, &raw_v1, false, expected),
        jaeger,
    );
    let v1 = jaeger
        .get_trace_v1(trace_id)
        .unwrap()
        .expect("the trace in /api/traces");
    assert_no_problems("/api/traces", compare_v1(sent, &v1, true, expected), jaeger);
    assert_eq!(
        v1["data"][0]["traceID"],
        jaeger_ui_view::trace_id(trace_id).as_str()
    );
    let v3 = jaeger
        .get_trace_v3(trace_id)
        .unwrap()
        .expect("the trace in /api/v3");
    assert_no_problems(
        "/api/v3/traces",
        compare_v3(sent, &v3, true, expected),
        jaeger,
    );
}
