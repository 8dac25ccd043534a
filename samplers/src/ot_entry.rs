//! The OpenTelemetry `ot` entry of the W3C trace state: `k:v;k:v`, at most
//! 256 characters, keys unique. Samplers read its `th` (rejection threshold)
//! and `rv` (explicit randomness) sub-keys and rewrite `th`.
//!
//! An entry that breaks the grammar is treated as absent; a `th` or `rv`
//! whose value is malformed is treated as absent too (and not written
//! back). Parsing does not allocate: the entry is walked in place.

use spanlite_api::{TraceId, TraceState};

use crate::threshold::{decode_rv, decode_th, encode_th, trace_id_randomness};

/// The trace state key OpenTelemetry's own values live under.
pub(crate) const OT_KEY: &str = "ot";
/// The whole `ot` value may not be longer than this.
const MAX_LEN: usize = 256;
const TH: &str = "th";
const RV: &str = "rv";

/// A well-formed `ot` entry, borrowed from the trace state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OtEntry<'a> {
    value: &'a str,
    th: Option<u64>,
    rv: Option<u64>,
    has_th_key: bool,
}

impl<'a> OtEntry<'a> {
    /// The `ot` entry of `state`, if present and well formed.
    pub(crate) fn from_trace_state(state: &'a TraceState) -> Option<OtEntry<'a>> {
        state.get(OT_KEY).and_then(OtEntry::parse)
    }

    /// Parses an `ot` value; `None` if it breaks the grammar.
    pub(crate) fn parse(value: &'a str) -> Option<OtEntry<'a>> {
        if value.is_empty() || value.len() > MAX_LEN {
            return None;
        }
        let mut entry = OtEntry {
            value,
            th: None,
            rv: None,
            has_th_key: false,
        };
        for (index, member) in value.split(';').enumerate() {
            let (key, sub_value) = member.split_once(':')?;
            if !is_valid_key(key) || !sub_value.bytes().all(is_value_byte) {
                return None;
            }
            // Keys must be unique; entries are short, so a rescan is cheap.
            if value
                .split(';')
                .take(index)
                .any(|earlier| member_key(earlier) == key)
            {
                return None;
            }
            match key {
                TH => {
                    entry.has_th_key = true;
                    entry.th = decode_th(sub_value);
                }
                RV => entry.rv = decode_rv(sub_value),
                _ => {}
            }
        }
        Some(entry)
    }

    /// The rejection threshold, when `th` is present and valid.
    pub(crate) fn th(&self) -> Option<u64> {
        self.th
    }

    /// The explicit randomness, when `rv` is present and valid.
    pub(crate) fn rv(&self) -> Option<u64> {
        self.rv
    }

    /// Whether a `th` sub-key is present, valid or not.
    pub(crate) fn has_th_key(&self) -> bool {
        self.has_th_key
    }

    /// The entry with `th` set to `threshold` (appended), or removed when
    /// `None`. Other sub-keys keep their order; a malformed `rv` is left
    /// out. `None` when nothing would be left.
    pub(crate) fn with_th(&self, threshold: Option<u64>) -> Option<String> {
        let mut out = String::with_capacity(self.value.len() + 18);
        for member in self.value.split(';') {
            let (key, sub_value) = member.split_once(':').unwrap_or((member, ""));
            let keep = match key {
                TH => false,
                RV => decode_rv(sub_value).is_some(),
                _ => true,
            };
            if keep {
                if !out.is_empty() {
                    out.push(';');
                }
                out.push_str(member);
            }
        }
        let without_th = out.len();
        if let Some(threshold) = threshold {
            if !out.is_empty() {
                out.push(';');
            }
            out.push_str(TH);
            out.push(':');
            out.push_str(&encode_th(threshold));
            // Too long: keep the entry valid and drop the threshold rather
            // than the other concerns' values (the spec's advice is to
            // abort the update).
            if out.len() > MAX_LEN {
                out.truncate(without_th);
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

/// `state` with its `ot` entry replaced by `ot_value` (moved to the front),
/// or removed when `None`. Both values come from this module and are valid
/// trace state values, so the update cannot fail; if it ever did, the state
/// is returned unchanged rather than lost.
pub(crate) fn replace_ot(state: &TraceState, ot_value: Option<String>) -> TraceState {
    let updated = match ot_value {
        Some(value) => state.insert(OT_KEY, value),
        None => state.delete(OT_KEY),
    };
    updated.unwrap_or_else(|_| state.clone())
}

/// The randomness a sampling decision compares with the threshold: the
/// explicit `rv` when the parent's `ot` entry has a valid one, otherwise
/// the low 56 bits of the trace id (presumed random, as the spec says).
pub(crate) fn randomness(trace_id: TraceId, entry: Option<&OtEntry<'_>>) -> u64 {
    entry
        .and_then(OtEntry::rv)
        .unwrap_or_else(|| trace_id_randomness(trace_id))
}

fn member_key(member: &str) -> &str {
    member.split_once(':').map_or(member, |(key, _)| key)
}

/// `key = lcalpha *(lcalpha / DIGIT)`
fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            first.is_ascii_lowercase()
                && rest
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        None => false,
    }
}

/// `chr = ucalpha / lcalpha / DIGIT / "." / "_" / "-"`
fn is_value_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn th_and_rv_are_read_from_a_well_formed_entry() {
        let entry = OtEntry::parse("rv:7479cfb506891d;th:c;foo:bar").unwrap();
        assert_eq!(entry.rv(), Some(0x7479cfb506891d));
        assert_eq!(entry.th(), Some(0xc0000000000000));
        assert!(entry.has_th_key());
    }

    #[test]
    fn an_entry_that_breaks_the_grammar_is_treated_as_absent() {
        for bad in [
            "",
            "th",
            "th:8;",
            ";th:8",
            "th:8;;rv:7479cfb506891d",
            "Th:8",
            "1th:8",
            "th:8;th:c",
            "th:8 ",
            "foo:b@r",
            "foo:bár",
        ] {
            assert!(OtEntry::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn an_entry_longer_than_256_characters_is_treated_as_absent() {
        let long = format!("th:8;x:{}", "a".repeat(250));
        assert!(long.len() > 256);
        assert!(OtEntry::parse(&long).is_none());
        let fits = format!("th:8;x:{}", "a".repeat(249));
        assert_eq!(fits.len(), 256);
        assert!(OtEntry::parse(&fits).is_some());
    }

    #[test]
    fn a_malformed_th_or_rv_value_is_treated_as_absent() {
        let entry = OtEntry::parse("th:fffffffffffffff;rv:123").unwrap();
        assert_eq!(entry.th(), None);
        assert_eq!(entry.rv(), None);
        assert!(entry.has_th_key());
    }

    #[test]
    fn setting_th_replaces_it_and_keeps_the_other_sub_keys_in_order() {
        let entry = OtEntry::parse("th:8;rv:7479cfb506891d;foo:bar").unwrap();
        assert_eq!(
            entry.with_th(Some(0xc0000000000000)).as_deref(),
            Some("rv:7479cfb506891d;foo:bar;th:c")
        );
    }

    #[test]
    fn removing_th_keeps_the_rest_or_leaves_nothing() {
        let entry = OtEntry::parse("foo:bar;th:8").unwrap();
        assert_eq!(entry.with_th(None).as_deref(), Some("foo:bar"));
        assert_eq!(OtEntry::parse("th:8").unwrap().with_th(None), None);
    }

    #[test]
    fn a_malformed_rv_is_not_written_back() {
        let entry = OtEntry::parse("rv:12;foo:bar").unwrap();
        assert_eq!(entry.with_th(Some(0)).as_deref(), Some("foo:bar;th:0"));
    }

    #[test]
    fn a_th_that_would_pass_256_characters_is_left_out() {
        let value = format!("x:{}", "a".repeat(252));
        assert_eq!(value.len(), 254);
        let entry = OtEntry::parse(&value).unwrap();
        assert_eq!(
            entry.with_th(Some(0x80000000000000)).as_deref(),
            Some(value.as_str())
        );
    }

    #[test]
    fn replacing_the_entry_moves_it_to_the_front_and_none_deletes_it() {
        let state: TraceState = "a=1,ot=th:8,b=2".parse().unwrap();
        let updated = replace_ot(&state, Some("th:c".to_owned()));
        assert_eq!(updated.header(), "ot=th:c,a=1,b=2");
        assert_eq!(replace_ot(&state, None).header(), "a=1,b=2");
    }
}
