//! Ids written in fewer hex digits than their width, as B3 and Jaeger
//! allow: read either case and pad with zeros on the left.

/// Calls `f` with the full-width lowercase hex of `span_context`'s trace id
/// and span id, written on the stack.
pub(crate) fn with_hex_ids<R>(
    span_context: &spanlite_api::SpanContext,
    f: impl FnOnce(&str, &str) -> R,
) -> Option<R> {
    let mut trace_id = [0u8; 32];
    let mut span_id = [0u8; 16];
    span_context.trace_id().write_hex(&mut trace_id);
    span_context.span_id().write_hex(&mut span_id);
    // Both buffers hold ASCII hex digits only.
    let trace_id = std::str::from_utf8(&trace_id).ok()?;
    let span_id = std::str::from_utf8(&span_id).ok()?;
    Some(f(trace_id, span_id))
}

/// Reads 1 to `N * 2` hex digits (either case) into `N` bytes,
/// big-endian, padding on the left.
pub(crate) fn parse_padded<const N: usize>(digits: &str) -> Option<[u8; N]> {
    let digits = digits.as_bytes();
    if digits.is_empty() || digits.len() > N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    // Walk from the right: digit i (counting from the last) fills the low
    // or high half of byte N - 1 - i / 2.
    for (i, &c) in digits.iter().rev().enumerate() {
        let value = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        let byte = &mut out[N - 1 - i / 2];
        *byte |= if i % 2 == 0 { value } else { value << 4 };
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_padded_on_the_left() {
        assert_eq!(parse_padded::<2>("1"), Some([0x00, 0x01]));
        assert_eq!(parse_padded::<2>("abc"), Some([0x0a, 0xbc]));
        assert_eq!(parse_padded::<2>("ABCD"), Some([0xab, 0xcd]));
    }

    #[test]
    fn empty_too_long_or_non_hex_is_refused() {
        assert_eq!(parse_padded::<2>(""), None);
        assert_eq!(parse_padded::<2>("12345"), None);
        assert_eq!(parse_padded::<2>("12g4"), None);
        assert_eq!(parse_padded::<2>("1é"), None);
    }
}
