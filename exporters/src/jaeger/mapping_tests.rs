//! The OpenTelemetry to Jaeger Thrift mapping, one rule per test, checked
//! by decoding what the encoder wrote.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spanlite::{
    Context, InMemoryExporter, KeyValue, Link, Resource, SpanContext, SpanData, SpanId, SpanKind,
    SpanLimits, Status, TraceFlags, TraceId, TraceState, TracerProvider,
};

use super::{JaegerEncoder, ThriftProtocol};
use crate::thrift::reader::{read_struct, Protocol, Thrift};

/// A tag's type and value.
#[derive(Debug, Clone, PartialEq)]
enum Tag {
    Str(String),
    Double(f64),
    Bool(bool),
    Long(i64),
}

fn provider(resource: Resource, limits: SpanLimits) -> (TracerProvider, InMemoryExporter) {
    let spans = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_resource(resource)
        .with_span_limits(limits)
        .with_simple_exporter(spans.clone())
        .build();
    (provider, spans)
}

fn service(name: &'static str) -> Resource {
    Resource::new([KeyValue::new("service.name", name)])
}

/// Spans made by `f` with a tracer named `test`.
fn spans_of(f: impl FnOnce(&spanlite::Tracer)) -> Vec<SpanData> {
    let (provider, spans) = provider(service("svc"), SpanLimits::default());
    f(&provider.tracer("test"));
    spans.finished_spans()
}

/// The decoded batches, checking that both protocols say the same.
fn batches(spans: &[SpanData]) -> Vec<Thrift> {
    let decode = |protocol: ThriftProtocol, reader: Protocol| {
        let mut out = Vec::new();
        let encoded = JaegerEncoder::new().encode_batches(spans, protocol, &mut out);
        encoded
            .iter()
            .map(|batch| {
                let bytes = &out[batch.range()];
                let (value, used) = read_struct(reader, bytes);
                assert_eq!(used, bytes.len());
                assert_eq!(value.field(2).unwrap().list().len(), batch.span_count());
                value
            })
            .collect::<Vec<_>>()
    };
    let binary = decode(ThriftProtocol::Binary, Protocol::Binary);
    let compact = decode(ThriftProtocol::Compact, Protocol::Compact);
    assert_eq!(binary, compact);
    binary
}

fn only_span(spans: &[SpanData]) -> Thrift {
    let batches = batches(spans);
    assert_eq!(batches.len(), 1);
    let list = batches[0].field(2).unwrap().list();
    assert_eq!(list.len(), 1);
    list[0].clone()
}

fn tag_list(list: Option<&Thrift>) -> Vec<(String, Tag)> {
    let Some(list) = list else {
        return Vec::new();
    };
    list.list()
        .iter()
        .map(|t| {
            let key = t.field(1).unwrap().str().to_owned();
            let value = match t.field(2).unwrap().i32() {
                0 => Tag::Str(t.field(3).unwrap().str().to_owned()),
                1 => match t.field(4) {
                    Some(Thrift::Double(f)) => Tag::Double(*f),
                    other => panic!("vDouble: {other:?}"),
                },
                2 => Tag::Bool(t.field(5) == Some(&Thrift::Bool(true))),
                3 => Tag::Long(t.field(6).unwrap().i64()),
                other => panic!("tag type {other}"),
            };
            (key, value)
        })
        .collect()
}

fn tags(span: &Thrift) -> Vec<(String, Tag)> {
    tag_list(span.field(10))
}

fn tag(span: &Thrift, key: &str) -> Option<Tag> {
    tags(span)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn s(v: &str) -> Tag {
    Tag::Str(v.to_owned())
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

fn remote_parent(trace_id: TraceId, span_id: u64, state: TraceState) -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        trace_id,
        SpanId::from_int(span_id),
        TraceFlags::SAMPLED,
        true,
        state,
    ))
}

#[test]
fn span_fields_have_the_idl_ids_in_order() {
    let spans = spans_of(|t| t.start("op").end());
    // 1 traceIdLow, 2 traceIdHigh, 3 spanId, 4 parentSpanId,
    // 5 operationName, 7 flags, 8 startTime, 9 duration, 10 tags.
    assert_eq!(only_span(&spans).ids(), [1, 2, 3, 4, 5, 7, 8, 9, 10]);
}

#[test]
fn the_trace_id_splits_into_big_endian_halves_read_as_signed_i64() {
    // "The unsigned ints MUST be converted to i64 by re-interpreting the
    // existing 64bit value as signed i64."
    let trace_id = TraceId::from_int(0xff00_0000_0000_0001_8000_0000_0000_0002);
    let parent = remote_parent(trace_id, 7, TraceState::NONE);
    let spans = spans_of(|t| t.start_with_context("op", &parent).end());
    let span = only_span(&spans);
    assert_eq!(
        span.field(1).unwrap().i64(),
        0x8000_0000_0000_0002_u64 as i64
    );
    assert_eq!(span.field(2).unwrap().i64(), -72057594037927935);
    let id = spans[0].span_context().span_id().to_int();
    assert_eq!(span.field(3).unwrap().i64(), id as i64);
}

#[test]
fn the_parent_is_parent_span_id_and_a_root_has_zero() {
    let trace_id = TraceId::from_int(5);
    let parent = remote_parent(trace_id, 0xfedc_ba98_7654_3210, TraceState::NONE);
    let spans = spans_of(|t| {
        t.start_with_context("child", &parent).end();
        t.start_with_context("root", &Context::new()).end();
    });
    let batch = &batches(&spans)[0];
    let list = batch.field(2).unwrap().list();
    assert_eq!(
        list[0].field(4).unwrap().i64(),
        0xfedc_ba98_7654_3210_u64 as i64
    );
    assert_eq!(list[1].field(4).unwrap().i64(), 0);
    // The parent is not repeated as a reference.
    assert_eq!(list[0].field(6), None);
}

#[test]
fn links_become_follows_from_references() {
    // "OpenTelemetry Link(s) MUST be converted to SpanReference(s) in
    // Jaeger, using FOLLOWS_FROM reference type."
    let linked = TraceId::from_int(0x1111_0000_0000_0000_2222_0000_0000_0003);
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_links([Link::new(
                SpanContext::new(
                    linked,
                    SpanId::from_int(9),
                    TraceFlags::SAMPLED,
                    true,
                    TraceState::NONE,
                ),
                vec![KeyValue::new("lost", "in jaeger")],
            )])
            .start()
            .end()
    });
    let span = only_span(&spans);
    let refs = span.field(6).unwrap().list();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].field(1).unwrap().i32(), 1);
    assert_eq!(refs[0].field(2).unwrap().i64(), 0x2222_0000_0000_0003);
    assert_eq!(refs[0].field(3).unwrap().i64(), 0x1111_0000_0000_0000);
    assert_eq!(refs[0].field(4).unwrap().i64(), 9);
}

#[test]
fn a_link_marked_child_of_becomes_a_child_of_reference() {
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_links([Link::new(
                SpanContext::new(
                    TraceId::from_int(1),
                    SpanId::from_int(2),
                    TraceFlags::SAMPLED,
                    false,
                    TraceState::NONE,
                ),
                vec![KeyValue::new("opentracing.ref_type", "child_of")],
            )])
            .start()
            .end()
    });
    let refs = only_span(&spans).field(6).unwrap().list().to_vec();
    assert_eq!(refs[0].field(1).unwrap().i32(), 0);
}

#[test]
fn flags_say_sampled_and_never_debug() {
    // W3C's random flag (0x02) is not Jaeger's debug flag (0x02).
    let parent = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_int(3),
        SpanId::from_int(4),
        TraceFlags::SAMPLED.with_random(true),
        true,
        TraceState::NONE,
    ));
    let spans = spans_of(|t| t.start_with_context("op", &parent).end());
    assert_eq!(only_span(&spans).field(7).unwrap().i32(), 1);
}

#[test]
fn times_are_whole_microseconds_each_truncated() {
    // "the timestamps and durations MUST be represented in microseconds
    // ... rounded or truncated"
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_start_time(at(1_700_000_000_123_456_999))
            .start()
            .end_with_timestamp(at(1_700_000_000_123_458_001));
    });
    let span = only_span(&spans);
    assert_eq!(span.field(8).unwrap().i64(), 1_700_000_000_123_456);
    // End 1_700_000_000_123_458 µs: start + duration is the truncated end.
    assert_eq!(span.field(9).unwrap().i64(), 2);
}

#[test]
fn attributes_keep_their_tag_types() {
    // "Primitive types MUST be represented by the corresponding types of
    // Jaeger tags."
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_attributes([
                KeyValue::new("s", "text"),
                KeyValue::new("b", false),
                KeyValue::new("i", i64::MIN),
                KeyValue::new("d", 0.1),
            ])
            .start()
            .end()
    });
    let span = only_span(&spans);
    assert_eq!(tag(&span, "s"), Some(s("text")));
    assert_eq!(tag(&span, "b"), Some(Tag::Bool(false)));
    assert_eq!(tag(&span, "i"), Some(Tag::Long(i64::MIN)));
    assert_eq!(tag(&span, "d"), Some(Tag::Double(0.1)));
}

#[test]
fn arrays_become_strings_holding_a_json_list() {
    // "Array values MUST be serialized to string like a JSON list."
    let spans = spans_of(|t| {
        t.span_builder("op")
            .with_attributes([
                KeyValue::new("strings", vec!["a", "\"b\""]),
                KeyValue::new("ints", vec![1_i64, -2]),
                KeyValue::new("bools", vec![true]),
                KeyValue::new("doubles", vec![1.5, 2.0]),
            ])
            .start()
            .end()
    });
    let span = only_span(&spans);
    assert_eq!(tag(&span, "strings"), Some(s(r#"["a","\"b\""]"#)));
    assert_eq!(tag(&span, "ints"), Some(s("[1,-2]")));
    assert_eq!(tag(&span, "bools"), Some(s("[true]")));
    assert_eq!(tag(&span, "doubles"), Some(s("[1.5,2.0]")));
}

#[test]
fn span_kind_is_a_tag_except_for_internal() {
    // "SpanKind.INTERNAL ... do not add span.kind tag"
    let kinds = [
        (SpanKind::Client, Some("client")),
        (SpanKind::Server, Some("server")),
        (SpanKind::Producer, Some("producer")),
        (SpanKind::Consumer, Some("consumer")),
        (SpanKind::Internal, None),
    ];
    for (kind, expected) in kinds {
        let spans = spans_of(|t| t.span_builder("op").with_kind(kind).start().end());
        assert_eq!(
            tag(&only_span(&spans), "span.kind"),
            expected.map(s),
            "{kind:?}"
        );
    }
}

#[test]
fn an_unset_status_adds_no_tags() {
    // "Span Status MUST be reported ... unless it is UNSET."
    let spans = spans_of(|t| t.start("op").end());
    let keys: Vec<String> = tags(&only_span(&spans))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["otel.scope.name"]);
}

#[test]
fn an_ok_status_is_otel_status_code_ok_without_error() {
    let spans = spans_of(|t| {
        let mut span = t.start("op");
        span.set_status(Status::Ok);
        span.end();
    });
    let span = only_span(&spans);
    assert_eq!(tag(&span, "otel.status_code"), Some(s("OK")));
    assert_eq!(tag(&span, "error"), None);
    assert_eq!(tag(&span, "otel.status_description"), None);
}

#[test]
fn an_error_status_is_error_code_error_true_and_the_description() {
    // "When Span Status is set to ERROR, an error span tag MUST be added
    // with the Boolean value of true."
    let spans = spans_of(|t| {
        let mut span = t.start("op");
        span.set_status(Status::error("boom"));
        span.end();
    });
    let tags = tags(&only_span(&spans));
    assert_eq!(
        tags[1..],
        [
            ("otel.status_code".to_owned(), s("ERROR")),
            ("error".to_owned(), Tag::Bool(true)),
            ("otel.status_description".to_owned(), s("boom")),
        ]
    );
}

#[test]
fn an_error_without_a_description_has_no_description_tag() {
    let spans = spans_of(|t| {
        let mut span = t.start("op");
        span.set_status(Status::error(""));
        span.end();
    });
    let span = only_span(&spans);
    assert_eq!(tag(&span, "error"), Some(Tag::Bool(true)));
    assert_eq!(tag(&span, "otel.status_description"), None);
}

#[test]
fn scope_name_version_and_attributes_come_first() {
    let (provider, exported) = provider(service("svc"), SpanLimits::default());
    let tracer = provider
        .tracer_builder("lib")
        .with_version("1.2")
        .with_attributes([KeyValue::new("scope.attr", 1_i64)])
        .build();
    tracer
        .span_builder("op")
        .with_attributes([KeyValue::new("a", "x")])
        .start()
        .end();
    let tags = tags(&only_span(&exported.finished_spans()));
    assert_eq!(
        tags,
        [
            ("otel.scope.name".to_owned(), s("lib")),
            ("otel.scope.version".to_owned(), s("1.2")),
            ("scope.attr".to_owned(), Tag::Long(1)),
            ("a".to_owned(), s("x")),
        ]
    );
}

#[test]
fn the_trace_state_is_the_w3c_tracestate_tag() {
    let state: TraceState = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".parse().unwrap();
    let parent = remote_parent(TraceId::from_int(8), 9, state);
    let spans = spans_of(|t| t.start_with_context("op", &parent).end());
    assert_eq!(
        tag(&only_span(&spans), "w3c.tracestate"),
        Some(s("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"))
    );
}

#[test]
fn dropped_counts_are_tags_only_when_not_zero() {
    // "This key-value pair should only be recorded when it contains a
    // non-zero value."
    let limits = SpanLimits::default()
        .with_attribute_count(1)
        .with_event_count(1)
        .with_link_count(0);
    let (provider, exported) = provider(service("svc"), limits);
    let mut span = provider
        .tracer("t")
        .span_builder("op")
        .with_attributes([KeyValue::new("a", 1_i64), KeyValue::new("b", 2_i64)])
        .with_links([Link::new(
            SpanContext::new(
                TraceId::from_int(1),
                SpanId::from_int(1),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            ),
            vec![],
        )])
        .start();
    span.add_event("e1", vec![]);
    span.add_event("e2", vec![]);
    span.add_event("e3", vec![]);
    span.end();
    let span = only_span(&exported.finished_spans());
    assert_eq!(
        tag(&span, "otel.dropped_attributes_count"),
        Some(Tag::Long(1))
    );
    assert_eq!(tag(&span, "otel.dropped_events_count"), Some(Tag::Long(2)));
    assert_eq!(tag(&span, "otel.dropped_links_count"), Some(Tag::Long(1)));

    let plain = spans_of(|t| t.start("op").end());
    assert!(tags(&only_span(&plain))
        .iter()
        .all(|(k, _)| !k.starts_with("otel.dropped")));
}

#[test]
fn events_become_logs_with_an_event_field_first() {
    // "OpenTelemetry Event's name ... should be added to Jaeger Log's
    // fields map as event."
    let spans = spans_of(|t| {
        let mut span = t.start("op");
        span.add_event_with_timestamp(
            "cache.miss",
            at(1_000_999),
            vec![KeyValue::new("key", "k1"), KeyValue::new("n", 2_i64)],
        );
        span.end();
    });
    let logs = only_span(&spans).field(11).unwrap().list().to_vec();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].field(1).unwrap().i64(), 1_000);
    assert_eq!(
        tag_list(logs[0].field(2)),
        [
            ("event".to_owned(), s("cache.miss")),
            ("key".to_owned(), s("k1")),
            ("n".to_owned(), Tag::Long(2)),
        ]
    );
}

#[test]
fn an_event_attribute_called_event_wins_over_the_name() {
    // "If OpenTelemetry Event contains an attributes with the key event,
    // it should take precedence over Event's name field."
    let spans = spans_of(|t| {
        let mut span = t.start("op");
        span.add_event("name", vec![KeyValue::new("event", "from attribute")]);
        span.end();
    });
    let logs = only_span(&spans).field(11).unwrap().list().to_vec();
    assert_eq!(
        tag_list(logs[0].field(2)),
        [("event".to_owned(), s("from attribute"))]
    );
}

#[test]
fn an_events_dropped_attribute_count_is_a_log_field_when_not_zero() {
    let limits = SpanLimits::default().with_attributes_per_event(1);
    let (provider, exported) = provider(service("svc"), limits);
    let mut span = provider.tracer("t").start("op");
    span.add_event(
        "e",
        vec![KeyValue::new("a", 1_i64), KeyValue::new("b", 2_i64)],
    );
    span.end();
    let logs = only_span(&exported.finished_spans())
        .field(11)
        .unwrap()
        .list()
        .to_vec();
    assert_eq!(
        tag_list(logs[0].field(2)).last(),
        Some(&("otel.dropped_attributes_count".to_owned(), Tag::Long(1)))
    );
}

#[test]
fn the_process_is_the_service_name_and_the_other_resource_attributes() {
    let resource = Resource::new([
        KeyValue::new("host.name", "h1"),
        KeyValue::new("service.name", "checkout"),
        KeyValue::new("process.pid", 42_i64),
    ]);
    let (provider, exported) = provider(resource, SpanLimits::default());
    provider.tracer("t").start("op").end();
    let batch = &batches(&exported.finished_spans())[0];
    let process = batch.field(1).unwrap();
    assert_eq!(process.field(1).unwrap().str(), "checkout");
    assert_eq!(
        tag_list(process.field(2)),
        [
            ("host.name".to_owned(), s("h1")),
            ("process.pid".to_owned(), Tag::Long(42)),
        ]
    );
}

#[test]
fn a_process_with_only_a_service_name_has_no_tags_field() {
    let spans = spans_of(|t| t.start("op").end());
    let process = batches(&spans)[0].field(1).unwrap().clone();
    assert_eq!(process.ids(), [1]);
}

#[test]
fn spans_of_two_resources_go_in_two_batches() {
    let (a, exported_a) = provider(service("a"), SpanLimits::default());
    let (b, exported_b) = provider(service("b"), SpanLimits::default());
    a.tracer("t").start("a1").end();
    b.tracer("t").start("b1").end();
    a.tracer("t").start("a2").end();
    let mut spans = exported_a.finished_spans();
    spans.insert(1, exported_b.finished_spans()[0].clone());
    let batches = batches(&spans);
    let names = |batch: &Thrift| -> Vec<String> {
        batch
            .field(2)
            .unwrap()
            .list()
            .iter()
            .map(|s| s.field(5).unwrap().str().to_owned())
            .collect()
    };
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].field(1).unwrap().field(1).unwrap().str(), "a");
    assert_eq!(names(&batches[0]), ["a1", "a2"]);
    assert_eq!(names(&batches[1]), ["b1"]);
}

#[test]
fn batches_for_the_collector_carry_no_seq_no_or_stats() {
    let spans = spans_of(|t| t.start("op").end());
    assert_eq!(batches(&spans)[0].ids(), [1, 2]);
}
