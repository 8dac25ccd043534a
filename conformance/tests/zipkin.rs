//! spanlite's Zipkin v2 exporter against a real Jaeger v2's `zipkin`
//! receiver: the trace that uses every field comes back with what the
//! Zipkin model carries: ids and parents, names, kinds, microsecond times,
//! the service, tags as strings, Error status from the `error` tag, events
//! as annotations.
//!
//! Two things do not survive Jaeger's Zipkin receiver (the OpenTelemetry
//! Collector's translator), by its design rather than ours: it reads the
//! status message from `otel.status_description` where the spec's mapping
//! puts it in `error`, and it knows `otel.status_code` values `Ok` and
//! `STATUS_CODE_OK` but not the spec's `OK`, so an Ok status reads back as
//! unset. It also keeps an annotation whose value is not its own
//! `name|json|dropped` form whole, as the event name: the spec's
//! `name: {attributes}` form comes back as one name.

mod common;

use std::collections::HashMap;

use common::every_field::{
    assert_scenario, provider_for, send_everything, start_jaeger, unique_trace_id, FLUSH,
};
use serde_json::Value;
use spanlite::{SpanData, SpanKind, Status};
use spanlite_conformance::otlp_json_view;
use spanlite_exporters::zipkin::{ZipkinConfig, ZipkinExporter};

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The OTLP JSON attributes of `v` as key -> string value (Zipkin carries
/// every tag as a string).
fn string_attributes(v: &Value) -> HashMap<String, String> {
    v.get("attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            let key = kv.get("key")?.as_str()?.to_owned();
            let value = kv.get("value")?.get("stringValue")?.as_str()?.to_owned();
            Some((key, value))
        })
        .collect()
}

fn micros(nanos: u64) -> u64 {
    nanos / 1_000
}

fn nanos_of(v: &Value, key: &str) -> u64 {
    str_of(v, key).parse().unwrap_or(0)
}

fn kind_number(kind: SpanKind) -> u64 {
    otlp_json_view::kind_number(kind)
}

#[test]
fn every_zipkin_field_survives_into_jaeger() {
    let jaeger = start_jaeger();
    let exporter =
        ZipkinExporter::new(ZipkinConfig::new().with_endpoint(jaeger.zipkin_endpoint())).unwrap();
    let stats = exporter.stats();
    let (provider, sent) = provider_for(exporter, "spanlite-zipkin");
    let trace_id = unique_trace_id(true, 41);

    send_everything(&provider, trace_id);
    provider.force_flush(FLUSH).unwrap();
    let sent: Vec<SpanData> = sent.finished_spans();
    assert_scenario(&sent, trace_id);
    let counts = stats.snapshot();
    assert_eq!(counts.spans_sent(), sent.len() as u64);
    assert_eq!(counts.failures(), 0);

    let answer = jaeger.wait_for_spans(trace_id, sent.len()).unwrap();
    let stored = otlp_json_view::spans(&answer).unwrap();
    assert_eq!(stored.len(), sent.len());
    let mut problems = Vec::new();
    for span in &sent {
        let id = span.span_context().span_id().to_string();
        let Some(entry) = stored.iter().find(|e| e.span_id() == id) else {
            problems.push(format!("span {id} ({}) is not in Jaeger", span.name()));
            continue;
        };
        let got = entry.span;
        let mut check = |what: &str, expected: String, actual: String| {
            if expected != actual {
                problems.push(format!(
                    "{} {what}: sent {expected:?}, Jaeger has {actual:?}",
                    span.name()
                ));
            }
        };
        check(
            "traceId",
            span.span_context().trace_id().to_string(),
            str_of(got, "traceId").to_owned(),
        );
        check(
            "parentSpanId",
            span.parent_span_id().to_string(),
            str_of(got, "parentSpanId").to_owned(),
        );
        check(
            "name",
            span.name().to_owned(),
            str_of(got, "name").to_owned(),
        );
        // Zipkin has no INTERNAL kind: it is left out and read back as
        // unspecified.
        let kind = match span.kind() {
            SpanKind::Internal => 0,
            other => kind_number(other),
        };
        check(
            "kind",
            kind.to_string(),
            got.get("kind")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .to_string(),
        );
        check(
            "start (µs)",
            micros(span.start_unix_nanos()).to_string(),
            micros(nanos_of(got, "startTimeUnixNano")).to_string(),
        );
        let duration = micros(span.end_unix_nanos() - span.start_unix_nanos());
        check(
            "duration (µs)",
            duration.max(1).to_string(),
            (micros(nanos_of(got, "endTimeUnixNano")) - micros(nanos_of(got, "startTimeUnixNano")))
                .to_string(),
        );
        // The service is the resource's.
        let service = string_attributes(entry.resource)
            .get("service.name")
            .cloned()
            .unwrap_or_default();
        check("service.name", "spanlite-zipkin".into(), service);
        // Every string attribute comes back as it was sent.
        let attributes = string_attributes(got);
        for kv in span.attributes() {
            if let spanlite::Value::String(s) = kv.value() {
                if kv.key().as_str() == "error" {
                    continue; // the spec's mapping removes an `error` attribute
                }
                check(
                    &format!("attribute {}", kv.key().as_str()),
                    s.as_str().to_owned(),
                    attributes
                        .get(kv.key().as_str())
                        .cloned()
                        .unwrap_or_default(),
                );
            }
        }
        // Status: Error (code 2) with its description; Ok (1); else unset.
        let status = got.get("status").cloned().unwrap_or(Value::Null);
        let code = status.get("code").and_then(Value::as_u64).unwrap_or(0);
        match span.status() {
            Status::Error { .. } => check("status code", "2".into(), code.to_string()),
            // See the module docs: `OK` is not a value Jaeger's receiver knows.
            Status::Ok | Status::Unset => check("status code", "0".into(), code.to_string()),
        }
        // Events come back at their microsecond time, named `name` or, with
        // attributes, `name: {attributes as JSON}`.
        let events: Vec<(String, u64)> = got
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    str_of(e, "name").to_owned(),
                    micros(nanos_of(e, "timeUnixNano")),
                )
            })
            .collect();
        for event in span.events() {
            let at = micros(event.unix_nanos());
            let found = events.iter().any(|(name, time)| {
                *time == at
                    && (name == event.name()
                        || (!event.attributes().is_empty()
                            && name.starts_with(&format!("{}: {{", event.name()))))
            });
            let wanted = (event.name().to_owned(), at);
            if !found {
                problems.push(format!(
                    "{}: event {wanted:?} missing from {events:?}",
                    span.name()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}\nJaeger log tail:\n{}",
        problems.len(),
        problems.join("\n"),
        jaeger.log_tail(20)
    );
    provider.shutdown(FLUSH).unwrap();
}
