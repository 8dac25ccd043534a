//! The public entry point: a batch of finished spans to an OTLP request.

use spanlite::SpanData;

use super::{group, json, proto};

/// Encodes batches of finished spans as an OTLP
/// `ExportTraceServiceRequest`, in protobuf or JSON, straight from the span
/// records. Reuse one encoder (and one output buffer) per export thread.
#[derive(Debug, Default)]
pub struct OtlpEncoder {
    /// Each span's encoded length, computed once per batch.
    span_lens: Vec<usize>,
}

impl OtlpEncoder {
    /// A new encoder.
    pub fn new() -> OtlpEncoder {
        OtlpEncoder::default()
    }

    /// Appends the protobuf encoding of a request carrying `spans` to `out`.
    pub fn encode_protobuf(&mut self, spans: &[SpanData], out: &mut Vec<u8>) {
        let groups = group::group(spans);
        proto::encode_request(&groups, &mut self.span_lens, out);
    }

    /// Appends the OTLP/JSON encoding of a request carrying `spans` to `out`:
    /// hex ids, integer enums, lowerCamelCase names, 64-bit integers as
    /// strings.
    pub fn encode_json(&mut self, spans: &[SpanData], out: &mut Vec<u8>) {
        let groups = group::group(spans);
        json::encode_request(&groups, out);
    }
}
