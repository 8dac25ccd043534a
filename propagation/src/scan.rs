//! Byte-level scanning of header values. Header values and their parts are
//! short, and for them a plain byte loop beats `str::split`'s memchr and
//! `trim_matches`' char decoding; every byte searched for is ASCII, so
//! every split falls on a char boundary.

/// `s` split at each `sep`, like `s.split(char::from(sep))`.
pub(crate) fn split_byte(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        match split_once_byte(s, sep) {
            Some((part, tail)) => {
                rest = Some(tail);
                Some(part)
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

/// `s` split at its first `sep`, like `s.split_once(char::from(sep))`.
#[inline]
pub(crate) fn split_once_byte(s: &str, sep: u8) -> Option<(&str, &str)> {
    debug_assert!(sep.is_ascii());
    let i = s.bytes().position(|b| b == sep)?;
    Some((&s[..i], &s[i + 1..]))
}

/// `s` without the optional whitespace (spaces and tabs) around it.
#[inline]
pub(crate) fn trim_ows(s: &str) -> &str {
    let bytes = s.as_bytes();
    let is_ows = |b: &&u8| **b == b' ' || **b == b'\t';
    let start = bytes.iter().take_while(is_ows).count();
    let end = bytes.len() - bytes[start..].iter().rev().take_while(is_ows).count();
    &s[start..end]
}

/// A lookup table of a test over every byte, `byte_table!(|b| ...)`, made
/// at compile time: one load per byte in a validation loop instead of a
/// chain of comparisons.
macro_rules! byte_table {
    (|$b:ident| $test:expr) => {{
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            let $b = i as u8;
            table[i] = $test;
            i += 1;
        }
        table
    }};
}
pub(crate) use byte_table;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_byte_matches_str_split() {
        for s in ["", ",", "a", "a,b", ",a,,b,", "é,日,\u{1F600}"] {
            let ours: Vec<&str> = split_byte(s, b',').collect();
            let std: Vec<&str> = s.split(',').collect();
            assert_eq!(ours, std, "{s:?}");
            assert_eq!(split_once_byte(s, b','), s.split_once(','), "{s:?}");
        }
    }

    #[test]
    fn byte_table_holds_the_test_for_every_byte() {
        const DIGIT: [bool; 256] = byte_table!(|b| b.is_ascii_digit());
        for b in 0..=255u8 {
            assert_eq!(DIGIT[usize::from(b)], b.is_ascii_digit());
        }
    }

    #[test]
    fn trim_ows_matches_trim_matches() {
        for s in [
            "",
            " ",
            "\t \t",
            " a ",
            "\ta b\t",
            "é ",
            " \u{a0}x\u{a0} ",
            "a",
        ] {
            assert_eq!(trim_ows(s), s.trim_matches([' ', '\t']), "{s:?}");
        }
    }
}
