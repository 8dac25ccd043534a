//! Reading a collector's answer: the partial success of an
//! `ExportTraceServiceResponse`, in protobuf or JSON.

use prost::encoding::{decode_key, decode_varint, WireType};

/// Spans the collector rejected, and why.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PartialSuccess {
    pub(crate) rejected_spans: i64,
    pub(crate) error_message: String,
}

impl PartialSuccess {
    pub(crate) fn is_empty(&self) -> bool {
        self.rejected_spans == 0 && self.error_message.is_empty()
    }
}

/// `ExportTraceServiceResponse { partial_success = 1 { rejected_spans = 1;
/// error_message = 2 } }`; unknown fields are skipped, garbage gives `None`.
pub(crate) fn from_protobuf(mut body: &[u8]) -> Option<PartialSuccess> {
    let mut out = PartialSuccess::default();
    while !body.is_empty() {
        let (tag, wire) = decode_key(&mut body).ok()?;
        if tag == 1 && wire == WireType::LengthDelimited {
            let len = usize::try_from(decode_varint(&mut body).ok()?).ok()?;
            let mut inner = body.get(..len)?;
            body = &body[len..];
            while !inner.is_empty() {
                let (tag, wire) = decode_key(&mut inner).ok()?;
                match (tag, wire) {
                    (1, WireType::Varint) => {
                        out.rejected_spans = decode_varint(&mut inner).ok()? as i64
                    }
                    (2, WireType::LengthDelimited) => {
                        let len = usize::try_from(decode_varint(&mut inner).ok()?).ok()?;
                        out.error_message = String::from_utf8_lossy(inner.get(..len)?).into_owned();
                        inner = &inner[len..];
                    }
                    (_, wire) => skip(wire, &mut inner)?,
                }
            }
        } else {
            skip(wire, &mut body)?;
        }
    }
    Some(out)
}

/// Skips one field's value of wire type `wire`.
pub(crate) fn skip(wire: WireType, buf: &mut &[u8]) -> Option<()> {
    match wire {
        WireType::Varint => {
            decode_varint(buf).ok()?;
        }
        WireType::SixtyFourBit => *buf = buf.get(8..)?,
        WireType::ThirtyTwoBit => *buf = buf.get(4..)?,
        WireType::LengthDelimited => {
            let len = usize::try_from(decode_varint(buf).ok()?).ok()?;
            *buf = buf.get(len..)?;
        }
        _ => return None,
    }
    Some(())
}

/// The same from OTLP/JSON, by a small scan for the two fields (a full JSON
/// parser is not worth a dependency for two values of a rare answer).
pub(crate) fn from_json(body: &[u8]) -> Option<PartialSuccess> {
    let text = std::str::from_utf8(body).ok()?;
    let mut out = PartialSuccess::default();
    if let Some(rest) = after_key(text, "rejectedSpans") {
        let digits: String = rest
            .trim_start_matches('"')
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        out.rejected_spans = digits.parse().unwrap_or(0);
    }
    if let Some(rest) = after_key(text, "errorMessage") {
        out.error_message = json_string(rest)?;
    }
    Some(out)
}

/// What follows `"key":` (with spaces allowed around the colon).
fn after_key<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let quoted = format!("\"{key}\"");
    let at = text.find(&quoted)? + quoted.len();
    text[at..]
        .trim_start()
        .strip_prefix(':')
        .map(str::trim_start)
}

/// A JSON string literal at the start of `s`, unescaped.
fn json_string(s: &str) -> Option<String> {
    let mut chars = s.strip_prefix('"')?.chars();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(
                        char::from_u32(u32::from_str_radix(&hex, 16).ok()?).unwrap_or('\u{fffd}'),
                    );
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_success_is_read_from_protobuf() {
        // partial_success { rejected_spans: 3, error_message: "bad" }
        let body = [0x0a, 0x07, 0x08, 0x03, 0x12, 0x03, b'b', b'a', b'd'];
        let partial = from_protobuf(&body).unwrap();
        assert_eq!(
            partial,
            PartialSuccess {
                rejected_spans: 3,
                error_message: "bad".into()
            }
        );
        assert!(from_protobuf(&[]).unwrap().is_empty());
        assert!(from_protobuf(&[0x0a, 0x09, 0x08]).is_none());
    }

    #[test]
    fn partial_success_is_read_from_json() {
        let body = br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too \"old\""}}"#;
        let partial = from_json(body).unwrap();
        assert_eq!(partial.rejected_spans, 2);
        assert_eq!(partial.error_message, "too \"old\"");
        assert!(from_json(b"{}").unwrap().is_empty());
    }
}
