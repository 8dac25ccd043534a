//! The public entry point: finished spans to Jaeger Thrift `Batch`es, one
//! per resource.

use std::ops::Range;

use spanlite::{Resource, SpanData};

use super::span::{put_process, put_span};
use crate::thrift::{BinaryWriter, CompactWriter, FieldType, ThriftWriter};

/// A Thrift protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ThriftProtocol {
    /// The binary protocol: what the collector's `POST /api/traces`
    /// takes, and the agent's UDP port 6832.
    Binary,
    /// The compact protocol: the agent's UDP port 6831.
    Compact,
}

/// One encoded `Batch` in the output buffer: where it is and how many
/// spans it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBatch {
    range: Range<usize>,
    spans: usize,
}

impl EncodedBatch {
    /// Where the batch's bytes are in the buffer given to the encoder.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// How many spans the batch carries.
    pub fn span_count(&self) -> usize {
        self.spans
    }
}

/// Spans that share a resource, in first-seen order.
#[derive(Debug)]
pub(crate) struct ResourceGroup<'a> {
    pub(crate) resource: Option<&'a Resource>,
    pub(crate) spans: Vec<&'a SpanData>,
}

fn same_resource(a: Option<&Resource>, b: Option<&Resource>) -> bool {
    match (a, b) {
        // Spans of one provider share one resource: comparing addresses
        // settles nearly every lookup without comparing contents.
        (Some(a), Some(b)) => std::ptr::eq(a, b) || a == b,
        (None, None) => true,
        _ => false,
    }
}

/// Groups `spans` by resource: Jaeger's `Batch` has one `Process`.
pub(crate) fn group_by_resource(spans: &[SpanData]) -> Vec<ResourceGroup<'_>> {
    let mut groups: Vec<ResourceGroup<'_>> = Vec::new();
    for span in spans {
        let resource = span.resource();
        match groups
            .iter_mut()
            .find(|g| same_resource(g.resource, resource))
        {
            Some(group) => group.spans.push(span),
            None => groups.push(ResourceGroup {
                resource,
                spans: vec![span],
            }),
        }
    }
    groups
}

/// Encodes finished spans as Jaeger Thrift `Batch{1 process, 2 spans}`
/// structs (`jaeger.thrift`), one per resource, straight from the span
/// records: the OpenTelemetry to Jaeger mapping of the (historical)
/// OpenTelemetry specification. Reuse one encoder per export thread.
///
/// The mapping: 128-bit trace ids as `traceIdLow`/`traceIdHigh`; the
/// parent as `parentSpanId`; links as `FOLLOWS_FROM` references (or
/// `CHILD_OF` when the link has `opentracing.ref_type = "child_of"`; link
/// attributes have no place in Jaeger); flags 1 when sampled; times in
/// whole microseconds. Span tags, in order: `otel.scope.name`,
/// `otel.scope.version`, the scope's attributes, the span's attributes,
/// `span.kind` (none for INTERNAL), `otel.status_code` (`OK`/`ERROR`),
/// `error = true` and `otel.status_description` for an error,
/// `w3c.tracestate`, and `otel.dropped_attributes_count`,
/// `otel.dropped_events_count`, `otel.dropped_links_count` when not zero.
/// Strings, bools, integers and doubles keep their tag types; arrays
/// become strings holding a JSON list. Events become logs whose first
/// field is `event = <name>`, then the attributes, then
/// `otel.dropped_attributes_count` when not zero. The process is the
/// resource's `service.name` and its other attributes as tags.
///
/// ```
/// use spanlite::{InMemoryExporter, TracerProvider};
/// use spanlite_exporters::jaeger::JaegerEncoder;
///
/// let spans = InMemoryExporter::new();
/// let provider = TracerProvider::builder().with_simple_exporter(spans.clone()).build();
/// provider.tracer("docs").start("encode me").end();
///
/// let mut encoder = JaegerEncoder::new();
/// let mut body = Vec::new();
/// let batches = encoder.encode_batches_binary(&spans.finished_spans(), &mut body);
/// assert_eq!(batches.len(), 1);
/// assert_eq!(batches[0].span_count(), 1);
/// // POST each batch as its own body, `Content-Type: application/x-thrift`.
/// let first_body = &body[batches[0].range()];
/// assert!(!first_body.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct JaegerEncoder {
    /// Scratch space for JSON lists.
    text: Vec<u8>,
}

impl JaegerEncoder {
    /// A new encoder.
    pub fn new() -> JaegerEncoder {
        JaegerEncoder::default()
    }

    /// Appends one Thrift **binary** `Batch` per resource among `spans` to
    /// `out`, one after the other, and says where each is: the body of a
    /// `POST /api/traces` to the Jaeger collector (`Content-Type:
    /// application/x-thrift`) is one batch, so post each
    /// `&out[batch.range()]` on its own. No `seqNo` or `stats` (those are
    /// for the agent).
    pub fn encode_batches_binary(
        &mut self,
        spans: &[SpanData],
        out: &mut Vec<u8>,
    ) -> Vec<EncodedBatch> {
        self.encode_batches(spans, ThriftProtocol::Binary, out)
    }

    /// [`encode_batches_binary`](JaegerEncoder::encode_batches_binary) in
    /// either protocol.
    pub fn encode_batches(
        &mut self,
        spans: &[SpanData],
        protocol: ThriftProtocol,
        out: &mut Vec<u8>,
    ) -> Vec<EncodedBatch> {
        match protocol {
            ThriftProtocol::Binary => self.encode_with::<BinaryWriter>(spans, out),
            ThriftProtocol::Compact => self.encode_with::<CompactWriter>(spans, out),
        }
    }

    fn encode_with<W: ThriftWriter>(
        &mut self,
        spans: &[SpanData],
        out: &mut Vec<u8>,
    ) -> Vec<EncodedBatch> {
        group_by_resource(spans)
            .into_iter()
            .map(|group| {
                let start = out.len();
                let mut w = W::default();
                let batch = w.struct_begin();
                w.field_begin(out, FieldType::Struct, 1);
                put_process(&mut w, out, &mut self.text, group.resource);
                w.field_list(out, 2, FieldType::Struct, group.spans.len());
                for span in &group.spans {
                    put_span(&mut w, out, &mut self.text, span);
                }
                w.struct_end(out, batch);
                EncodedBatch {
                    range: start..out.len(),
                    spans: group.spans.len(),
                }
            })
            .collect()
    }
}
