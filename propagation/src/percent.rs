//! Percent-encoding as W3C Baggage uses it (also Jaeger's headers).

use std::borrow::Cow;

use crate::scan::byte_table;

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A W3C `baggage-octet` other than `%`: what may be sent unencoded.
/// Everything else (space, `"`, `,`, `;`, `\`, `%`, controls, non-ASCII)
/// is encoded.
fn is_plain(b: u8) -> bool {
    PLAIN[usize::from(b)]
}

const PLAIN: [bool; 256] = byte_table!(|b| matches!(
    b,
    0x21 | 0x23..=0x24 | 0x26..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E
));

/// Appends `value` to `out`, percent-encoding each byte that is not plain.
pub(crate) fn encode_into(value: &str, out: &mut String) {
    let mut plain_from = 0;
    for (i, &b) in value.as_bytes().iter().enumerate() {
        if is_plain(b) {
            continue;
        }
        // Every plain byte is ASCII, so a non-empty `plain_from..i` lies on
        // char boundaries; a non-ASCII char is encoded one UTF-8 byte at a
        // time, and between its bytes the run is empty.
        if plain_from < i {
            out.push_str(&value[plain_from..i]);
        }
        out.push('%');
        out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
        out.push(char::from(UPPER_HEX[usize::from(b & 0x0f)]));
        plain_from = i + 1;
    }
    out.push_str(&value[plain_from..]);
}

/// The length of `value` once encoded.
pub(crate) fn encoded_len(value: &str) -> usize {
    // A plain loop: values are short, and a vectorised sum's set-up costs
    // more than it saves on them.
    let mut len = value.len();
    for &b in value.as_bytes() {
        if !is_plain(b) {
            len += 2;
        }
    }
    len
}

/// Decodes `%XY` sequences (either case). `None` when a `%` is not followed
/// by two hex digits. Bytes that do not form UTF-8 become U+FFFD, as W3C
/// Baggage asks.
pub(crate) fn decode(value: &str) -> Option<Cow<'_, str>> {
    let mut rest = value.as_bytes();
    let Some(mut at) = rest.iter().position(|&b| b == b'%') else {
        return Some(Cow::Borrowed(value));
    };
    let mut bytes = Vec::with_capacity(value.len());
    loop {
        bytes.extend_from_slice(&rest[..at]);
        let [hi, lo] = *rest.get(at + 1..at + 3)? else {
            return None;
        };
        bytes.push((hex_digit(hi)? << 4) | hex_digit(lo)?);
        rest = &rest[at + 3..];
        match rest.iter().position(|&b| b == b'%') {
            Some(next) => at = next,
            None => break,
        }
    }
    bytes.extend_from_slice(rest);
    Some(Cow::Owned(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    }))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: &str) -> String {
        let mut out = String::new();
        encode_into(value, &mut out);
        out
    }

    #[test]
    fn encode_escapes_exactly_the_non_baggage_octets_and_percent() {
        assert_eq!(encode("a b,c;d\\e\"f%g"), "a%20b%2Cc%3Bd%5Ce%22f%25g");
        assert_eq!(encode("é\u{1}"), "%C3%A9%01");
        let plain = "!#$&'()*+-./09:<=>?@AZ[]^_`az{|}~";
        assert_eq!(encode(plain), plain);
    }

    #[test]
    fn encoded_len_matches_encode() {
        for value in ["", "abc", "a b", "é%,", "\u{10ffff}x"] {
            assert_eq!(encoded_len(value), encode(value).len(), "{value:?}");
        }
    }

    #[test]
    fn decode_accepts_either_case_and_borrows_without_percent() {
        assert_eq!(decode("a%2cb%2Cc").as_deref(), Some("a,b,c"));
        assert!(matches!(decode("plain"), Some(Cow::Borrowed("plain"))));
    }

    #[test]
    fn decode_rejects_a_truncated_or_non_hex_escape() {
        assert_eq!(decode("a%2"), None);
        assert_eq!(decode("%"), None);
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%é1"), None);
    }

    #[test]
    fn decode_replaces_invalid_utf8_with_the_replacement_character() {
        assert_eq!(decode("a%FFb").as_deref(), Some("a\u{fffd}b"));
    }
}
