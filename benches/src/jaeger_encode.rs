//! The `jaeger_encode_512` group: the same 512 finished spans (ten
//! attributes and one event each, as `otlp_encode_512` builds them)
//! encoded as Jaeger Thrift compact `Batch`es and as an OTLP protobuf
//! request, both straight from the span records.

use criterion::Criterion;
use spanlite_exporters::jaeger::{JaegerEncoder, ThriftProtocol};
use spanlite_exporters::otlp::OtlpEncoder;

use crate::spanlite_peer;

/// Registers the group's functions, `spanlite_thrift_compact` and
/// `spanlite_otlp`.
pub fn jaeger_encode_512(c: &mut Criterion) {
    let mut group = c.benchmark_group("jaeger_encode_512");
    let spans = spanlite_peer::finished_spans(512);
    let mut jaeger = JaegerEncoder::new();
    let mut out = Vec::new();
    group.bench_function("spanlite_thrift_compact", |b| {
        b.iter(|| {
            out.clear();
            jaeger.encode_batches(&spans, ThriftProtocol::Compact, &mut out);
            out.len()
        })
    });
    let mut otlp = OtlpEncoder::new();
    group.bench_function("spanlite_otlp", |b| {
        b.iter(|| {
            out.clear();
            otlp.encode_protobuf(&spans, &mut out);
            out.len()
        })
    });
    group.finish();
}
