//! One resource's spans as agent datagrams: each an `emitBatch` oneway
//! message whose `Batch` holds as many spans as fit under the size limit.
//!
//! Spans are encoded once, each on its own (a struct's bytes do not depend
//! on where it sits); a datagram is the envelope around a run of them.

use std::ops::Range;

use spanlite::{Resource, SpanData};

use super::span::{put_process, put_span};
use crate::thrift::{FieldType, ThriftWriter};

/// `ClientStats{1 fullQueueDroppedSpans, 2 tooLargeDroppedSpans,
/// 3 failedToEmitSpans}`, cumulative since the exporter started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ClientStats {
    pub(crate) full_queue_dropped: i64,
    pub(crate) too_large_dropped: i64,
    pub(crate) failed_to_emit: i64,
}

/// A resource's process and spans, encoded.
#[derive(Debug, Default)]
pub(crate) struct EncodedSpans {
    process: Vec<u8>,
    spans: Vec<u8>,
    ends: Vec<usize>,
    text: Vec<u8>,
}

impl EncodedSpans {
    /// Encodes `resource` and `spans`, replacing what was there.
    pub(crate) fn encode<W: ThriftWriter>(
        &mut self,
        resource: Option<&Resource>,
        spans: &[&SpanData],
    ) {
        self.process.clear();
        self.spans.clear();
        self.ends.clear();
        put_process(
            &mut W::default(),
            &mut self.process,
            &mut self.text,
            resource,
        );
        for span in spans {
            put_span(&mut W::default(), &mut self.spans, &mut self.text, span);
            self.ends.push(self.spans.len());
        }
    }

    /// How many spans.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    fn start(&self, index: usize) -> usize {
        if index == 0 {
            0
        } else {
            self.ends[index - 1]
        }
    }

    /// The encoded size of span `index`.
    pub(crate) fn span_len(&self, index: usize) -> usize {
        self.ends[index] - self.start(index)
    }

    /// The most bytes the envelope of a datagram of these spans can take:
    /// written with the widest values it can hold.
    pub(crate) fn envelope_bound<W: ThriftWriter>(&self, scratch: &mut Vec<u8>) -> usize {
        scratch.clear();
        let widest = ClientStats {
            full_queue_dropped: i64::MAX,
            too_large_dropped: i64::MAX,
            failed_to_emit: i64::MAX,
        };
        self.put_envelope::<W>(scratch, i64::MAX, widest, self.len(), &[]);
        scratch.len()
    }

    /// Writes the datagram carrying spans `run` to `out` (cleared first).
    pub(crate) fn put_datagram<W: ThriftWriter>(
        &self,
        out: &mut Vec<u8>,
        seq_no: i64,
        stats: ClientStats,
        run: Range<usize>,
    ) {
        out.clear();
        let bytes = &self.spans[self.start(run.start)..self.start(run.end)];
        self.put_envelope::<W>(out, seq_no, stats, run.len(), bytes);
    }

    /// `emitBatch(1: Batch{1 process, 2 spans, 3 seqNo, 4 stats})`.
    fn put_envelope<W: ThriftWriter>(
        &self,
        out: &mut Vec<u8>,
        seq_no: i64,
        stats: ClientStats,
        count: usize,
        spans: &[u8],
    ) {
        let mut w = W::default();
        // The message's seq id is an i32; it only needs to tell calls apart.
        w.message_begin_oneway(out, "emitBatch", seq_no as i32);
        let args = w.struct_begin();
        w.field_begin(out, FieldType::Struct, 1);
        let batch = w.struct_begin();
        w.field_begin(out, FieldType::Struct, 1);
        out.extend_from_slice(&self.process);
        w.field_list(out, 2, FieldType::Struct, count);
        out.extend_from_slice(spans);
        w.field_i64(out, 3, seq_no);
        w.field_begin(out, FieldType::Struct, 4);
        let client_stats = w.struct_begin();
        w.field_i64(out, 1, stats.full_queue_dropped);
        w.field_i64(out, 2, stats.too_large_dropped);
        w.field_i64(out, 3, stats.failed_to_emit);
        w.struct_end(out, client_stats);
        w.struct_end(out, batch);
        w.struct_end(out, args);
    }
}

/// What to do with the spans of one resource, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send these spans in one datagram.
    Send(Range<usize>),
    /// This span alone is over the limit: drop it.
    TooLarge(usize),
}

/// Splits spans of sizes `len(0..n)` into runs whose bytes stay within
/// `budget`, in order; a span bigger than `budget` on its own is dropped.
pub(crate) fn plan(n: usize, budget: usize, len: impl Fn(usize) -> usize) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for i in 0..n {
        let size = len(i);
        if size > budget {
            if start < i {
                steps.push(Step::Send(start..i));
            }
            steps.push(Step::TooLarge(i));
            (start, bytes) = (i + 1, 0);
            continue;
        }
        if bytes + size > budget {
            steps.push(Step::Send(start..i));
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < n {
        steps.push(Step::Send(start..n));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thrift::reader::{read_oneway, Protocol, Thrift};
    use crate::thrift::{BinaryWriter, CompactWriter};
    use spanlite::{InMemoryExporter, KeyValue, TracerProvider};

    fn three_spans() -> Vec<SpanData> {
        let spans = InMemoryExporter::new();
        let provider = TracerProvider::builder()
            .with_resource(Resource::new([KeyValue::new("service.name", "svc")]))
            .with_simple_exporter(spans.clone())
            .build();
        for name in ["a", "b", "c"] {
            provider.tracer("t").start(name).end();
        }
        spans.finished_spans()
    }

    fn datagram<W: ThriftWriter>(protocol: Protocol) -> (String, i32, Thrift, usize, usize) {
        let spans = three_spans();
        let refs: Vec<&SpanData> = spans.iter().collect();
        let mut encoded = EncodedSpans::default();
        encoded.encode::<W>(spans[0].resource(), &refs);
        let mut scratch = Vec::new();
        let bound = encoded.envelope_bound::<W>(&mut scratch);
        let stats = ClientStats {
            full_queue_dropped: 1,
            too_large_dropped: 2,
            failed_to_emit: 3,
        };
        let mut out = Vec::new();
        encoded.put_datagram::<W>(&mut out, 300, stats, 1..3);
        let span_bytes = encoded.span_len(1) + encoded.span_len(2);
        let (name, seq, args) = read_oneway(protocol, &out);
        (name, seq, args, out.len() - span_bytes, bound)
    }

    fn check(
        protocol: Protocol,
        (name, seq, args, envelope, bound): (String, i32, Thrift, usize, usize),
    ) {
        assert_eq!((name.as_str(), seq), ("emitBatch", 300), "{protocol:?}");
        assert!(envelope <= bound, "{protocol:?}: {envelope} > {bound}");
        // emitBatch_args{1: Batch{1 process, 2 spans, 3 seqNo, 4 stats}}
        let batch = args.field(1).unwrap();
        assert_eq!(batch.ids(), [1, 2, 3, 4]);
        assert_eq!(batch.field(1).unwrap().field(1).unwrap().str(), "svc");
        let names: Vec<&str> = batch
            .field(2)
            .unwrap()
            .list()
            .iter()
            .map(|s| s.field(5).unwrap().str())
            .collect();
        assert_eq!(names, ["b", "c"]);
        assert_eq!(batch.field(3).unwrap().i64(), 300);
        let stats = batch.field(4).unwrap();
        assert_eq!(
            [1, 2, 3].map(|id| stats.field(id).unwrap().i64()),
            [1, 2, 3]
        );
    }

    #[test]
    fn a_compact_datagram_is_one_emit_batch_message_with_seq_no_and_stats() {
        check(
            Protocol::Compact,
            datagram::<CompactWriter>(Protocol::Compact),
        );
    }

    #[test]
    fn a_binary_datagram_is_one_emit_batch_message_with_seq_no_and_stats() {
        check(Protocol::Binary, datagram::<BinaryWriter>(Protocol::Binary));
    }

    #[test]
    fn spans_are_packed_in_order_up_to_the_budget() {
        let sizes = [4, 4, 4, 10, 1];
        assert_eq!(
            plan(sizes.len(), 10, |i| sizes[i]),
            [
                Step::Send(0..2),
                Step::Send(2..3),
                Step::Send(3..4),
                Step::Send(4..5)
            ]
        );
        assert_eq!(plan(3, 10, |_| 3), [Step::Send(0..3)]);
    }

    #[test]
    fn a_span_over_the_budget_alone_is_dropped_and_the_runs_around_it_sent() {
        let sizes = [2, 11, 2, 2];
        assert_eq!(
            plan(sizes.len(), 10, |i| sizes[i]),
            [Step::Send(0..1), Step::TooLarge(1), Step::Send(2..4)]
        );
        assert_eq!(plan(1, 10, |_| 11), [Step::TooLarge(0)]);
        assert_eq!(plan(0, 10, |_| 1), []);
    }
}
