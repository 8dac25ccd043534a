//! OTLP over gRPC, without a gRPC library: a `TraceService/Export` call is
//! an HTTP/2 POST of one length-prefixed protobuf message, answered by a
//! `grpc-status` (in trailers, or in headers for an answer without body).

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::HeaderMap;
use prost::encoding::{decode_key, decode_varint, WireType};

use super::response::{self, skip, PartialSuccess};

/// The method path, after the endpoint's own path.
pub(crate) const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// A gRPC message: compressed flag, 4-byte big-endian length, bytes.
pub(crate) fn frame(message: &[u8], compressed: bool) -> Bytes {
    let mut out = BytesMut::with_capacity(message.len() + 5);
    out.put_u8(u8::from(compressed));
    out.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    out.put_slice(message);
    out.freeze()
}

/// What a gRPC answer said.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GrpcStatus {
    pub(crate) code: u32,
    pub(crate) message: String,
    /// `google.rpc.RetryInfo.retry_delay`, when the server sent one.
    pub(crate) retry_delay: Option<Duration>,
}

/// Codes the spec says to retry; RESOURCE_EXHAUSTED (8) only when the
/// server says when (RetryInfo).
pub(crate) fn is_retryable(status: &GrpcStatus) -> bool {
    match status.code {
        1 | 4 | 10 | 11 | 14 | 15 => true,
        8 => status.retry_delay.is_some(),
        _ => false,
    }
}

/// The status from the trailers, else from the headers (a trailers-only
/// answer). `None` when neither has one.
pub(crate) fn status(headers: &HeaderMap, trailers: Option<&HeaderMap>) -> Option<GrpcStatus> {
    let source = trailers
        .filter(|t| t.contains_key("grpc-status"))
        .unwrap_or(headers);
    let code = source
        .get("grpc-status")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let message = source
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .unwrap_or_default();
    let retry_delay = source
        .get("grpc-status-details-bin")
        .and_then(|v| v.to_str().ok())
        .and_then(base64_decode)
        .and_then(|status| retry_delay(&status));
    Some(GrpcStatus {
        code,
        message,
        retry_delay,
    })
}

/// The partial success in an OK answer's message.
pub(crate) fn partial_success(body: &[u8]) -> Option<PartialSuccess> {
    let (&compressed, rest) = body.split_first()?;
    let len = usize::try_from(u32::from_be_bytes(rest.get(..4)?.try_into().ok()?)).ok()?;
    let message = rest.get(4..4 + len)?;
    if compressed == 1 {
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(message), &mut inflated)
            .ok()?;
        response::from_protobuf(&inflated)
    } else {
        response::from_protobuf(message)
    }
}

/// Reads `len`-prefixed bytes of field at the current position.
fn take_bytes<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(decode_varint(buf).ok()?).ok()?;
    let (bytes, rest) = (buf.get(..len)?, buf.get(len..)?);
    *buf = rest;
    Some(bytes)
}

/// `google.rpc.Status { details = 3: repeated Any { type_url = 1, value = 2 } }`
/// -> the `google.rpc.RetryInfo { retry_delay = 1: Duration { seconds = 1, nanos = 2 } }`.
fn retry_delay(mut status: &[u8]) -> Option<Duration> {
    while !status.is_empty() {
        let (tag, wire) = decode_key(&mut status).ok()?;
        if tag != 3 || wire != WireType::LengthDelimited {
            skip(wire, &mut status)?;
            continue;
        }
        let mut any = take_bytes(&mut status)?;
        let (mut type_url, mut value) = ("", &[][..]);
        while !any.is_empty() {
            let (tag, wire) = decode_key(&mut any).ok()?;
            match (tag, wire) {
                (1, WireType::LengthDelimited) => {
                    type_url = std::str::from_utf8(take_bytes(&mut any)?).ok()?
                }
                (2, WireType::LengthDelimited) => value = take_bytes(&mut any)?,
                (_, wire) => skip(wire, &mut any)?,
            }
        }
        if !type_url.ends_with("google.rpc.RetryInfo") {
            continue;
        }
        let mut info = value;
        while !info.is_empty() {
            let (tag, wire) = decode_key(&mut info).ok()?;
            if tag != 1 || wire != WireType::LengthDelimited {
                skip(wire, &mut info)?;
                continue;
            }
            let mut duration = take_bytes(&mut info)?;
            let (mut seconds, mut nanos) = (0u64, 0u64);
            while !duration.is_empty() {
                let (tag, wire) = decode_key(&mut duration).ok()?;
                match (tag, wire) {
                    (1, WireType::Varint) => seconds = decode_varint(&mut duration).ok()?,
                    (2, WireType::Varint) => nanos = decode_varint(&mut duration).ok()?,
                    (_, wire) => skip(wire, &mut duration)?,
                }
            }
            // Negative values arrive as huge varints: treat them as no delay.
            let seconds = if seconds > u64::from(u32::MAX) {
                0
            } else {
                seconds
            };
            let nanos = if nanos >= 1_000_000_000 { 0 } else { nanos };
            return Some(Duration::from_secs(seconds) + Duration::from_nanos(nanos));
        }
    }
    None
}

/// Standard base64, padding optional (gRPC's `-bin` headers omit it).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.trim().bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// `grpc-message` is percent-encoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| char::from(*b).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn a_message_is_framed_with_flag_and_big_endian_length() {
        assert_eq!(
            &frame(b"abc", false)[..],
            &[0, 0, 0, 0, 3, b'a', b'b', b'c']
        );
        assert_eq!(frame(b"", true)[0], 1);
    }

    #[test]
    fn the_status_comes_from_trailers_or_from_headers_alone() {
        let trailers = headers(&[("grpc-status", "14"), ("grpc-message", "no%20capacity")]);
        let status = status(&HeaderMap::new(), Some(&trailers)).unwrap();
        assert_eq!((status.code, status.message.as_str()), (14, "no capacity"));
        assert_eq!(
            super::status(&headers(&[("grpc-status", "3")]), None)
                .unwrap()
                .code,
            3
        );
        assert!(super::status(&HeaderMap::new(), None).is_none());
    }

    #[test]
    fn only_the_specs_codes_are_retryable_and_resource_exhausted_needs_retry_info() {
        let code = |code, delay| GrpcStatus {
            code,
            message: String::new(),
            retry_delay: delay,
        };
        for c in [1, 4, 10, 11, 14, 15] {
            assert!(is_retryable(&code(c, None)), "{c}");
        }
        for c in [0, 2, 3, 5, 6, 7, 9, 12, 13, 16] {
            assert!(!is_retryable(&code(c, None)), "{c}");
        }
        assert!(!is_retryable(&code(8, None)));
        assert!(is_retryable(&code(8, Some(Duration::from_secs(1)))));
    }

    #[test]
    fn retry_info_is_read_from_grpc_status_details_bin() {
        // Status { code: 8, details: [Any { type_url: ".../google.rpc.RetryInfo",
        //   value: RetryInfo { retry_delay: Duration { seconds: 2, nanos: 500000000 } } }] }
        let duration = [0x08, 0x02, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01];
        let mut retry_info = vec![0x0a, duration.len() as u8];
        retry_info.extend_from_slice(&duration);
        let type_url = b"type.googleapis.com/google.rpc.RetryInfo";
        let mut any = vec![0x0a, type_url.len() as u8];
        any.extend_from_slice(type_url);
        any.extend_from_slice(&[0x12, retry_info.len() as u8]);
        any.extend_from_slice(&retry_info);
        let mut status_bytes = vec![0x08, 0x08, 0x1a, any.len() as u8];
        status_bytes.extend_from_slice(&any);
        assert_eq!(
            retry_delay(&status_bytes),
            Some(Duration::from_millis(2500))
        );
        let encoded = base64_encode_for_test(&status_bytes);
        let status = status(
            &headers(&[("grpc-status", "8"), ("grpc-status-details-bin", &encoded)]),
            None,
        )
        .unwrap();
        assert_eq!(status.retry_delay, Some(Duration::from_millis(2500)));
    }

    #[test]
    fn base64_decodes_with_and_without_padding_and_rejects_garbage() {
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert!(base64_decode("a*b").is_none());
    }

    fn base64_encode_for_test(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }
}
