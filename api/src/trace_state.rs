//! The W3C `tracestate` header: vendor-specific key/value members carried
//! alongside the trace context.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The W3C limit on list members; more than this discards the whole header.
const MAX_MEMBERS: usize = 32;
const MAX_KEY_LEN: usize = 256;
const MAX_VALUE_LEN: usize = 256;
/// Propagators should send at least this many characters before truncating.
const MAX_HEADER_LEN: usize = 512;
/// Entries longer than this are the first to go when truncating, as W3C asks.
const LONG_ENTRY_LEN: usize = 128;
/// Keys and values in error messages come from untrusted headers, so only a
/// prefix is kept to stop a huge header from producing a huge message.
const MAX_ERROR_EXCERPT: usize = 64;

/// W3C `tracestate`: an immutable, ordered list of vendor key/value members.
///
/// Members are kept left to right as they appear in the header; the left-most
/// member is the most recently updated one. Every operation returns a new
/// state, and clones share the same storage.
///
/// ```
/// use spanlite_api::TraceState;
///
/// let state: TraceState = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".parse()?;
/// assert_eq!(state.get("congo"), Some("t61rcWkgMzE"));
///
/// let state = state.insert("spanlite", "1")?;
/// assert_eq!(
///     state.header(),
///     "spanlite=1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct TraceState {
    // `None` for the empty state so that it needs no allocation; `Some` is
    // never empty, which keeps the derived equality meaningful.
    members: Option<Arc<[(String, String)]>>,
}

impl TraceState {
    /// The empty trace state.
    pub const NONE: TraceState = TraceState { members: None };

    /// Builds a trace state from `(key, value)` pairs, kept in the given order.
    ///
    /// Fails if any key or value is invalid, if a key appears twice, or if
    /// there are more than 32 members.
    pub fn from_key_value<K, V, I>(members: I) -> Result<TraceState, TraceStateError>
    where
        K: Into<String>,
        V: Into<String>,
        I: IntoIterator<Item = (K, V)>,
    {
        let mut list: Vec<(String, String)> = Vec::new();
        for (key, value) in members {
            let (key, value) = (key.into(), value.into());
            check_key(&key)?;
            check_value(&value)?;
            if list.iter().any(|(k, _)| *k == key) {
                return Err(TraceStateError::new(ErrorKind::DuplicateKey(excerpt(&key))));
            }
            if list.len() == MAX_MEMBERS {
                return Err(TraceStateError::new(ErrorKind::TooManyMembers));
            }
            list.push((key, value));
        }
        Ok(Self::from_vec(list))
    }

    /// Returns the value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.as_slice()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Returns a new state with `key` set to `value` as the left-most member.
    ///
    /// An existing member with the same key is removed first. If the state
    /// was already full, the right-most member is dropped to make room.
    pub fn insert(
        &self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<TraceState, TraceStateError> {
        let (key, value) = (key.into(), value.into());
        check_key(&key)?;
        check_value(&value)?;
        let mut list = Vec::with_capacity(self.len() + 1);
        list.extend(self.as_slice().iter().filter(|(k, _)| *k != key).cloned());
        list.insert(0, (key, value));
        list.truncate(MAX_MEMBERS);
        Ok(Self::from_vec(list))
    }

    /// Returns a new state without `key`.
    ///
    /// The key must be valid; deleting an absent key returns an equal state.
    pub fn delete(&self, key: &str) -> Result<TraceState, TraceStateError> {
        check_key(key)?;
        if self.get(key).is_none() {
            return Ok(self.clone());
        }
        let list = self
            .as_slice()
            .iter()
            .filter(|(k, _)| k != key)
            .cloned()
            .collect();
        Ok(Self::from_vec(list))
    }

    /// Returns `true` if the state has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_none()
    }

    /// Returns the number of members.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Iterates over the `(key, value)` members from left to right.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.as_slice()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Renders the `tracestate` header value for propagation.
    ///
    /// If the full header would exceed 512 characters, entries longer than
    /// 128 characters are removed from the right first, then any remaining
    /// entries from the right, until it fits.
    pub fn header(&self) -> String {
        let members = self.as_slice();
        let entry_len = |(k, v): &(String, String)| k.len() + 1 + v.len();
        let mut total: usize = members.iter().map(entry_len).sum();
        let mut count = members.len();
        let fits = |total: usize, count: usize| total + count.saturating_sub(1) <= MAX_HEADER_LEN;
        if fits(total, count) {
            return join(members.iter(), ",", "=");
        }

        let mut keep = vec![true; members.len()];
        for only_long in [true, false] {
            for (member, kept) in members.iter().zip(keep.iter_mut()).rev() {
                if fits(total, count) {
                    break;
                }
                let len = entry_len(member);
                if *kept && (!only_long || len > LONG_ENTRY_LEN) {
                    *kept = false;
                    total -= len;
                    count -= 1;
                }
            }
        }
        let kept = members
            .iter()
            .zip(keep)
            .filter_map(|(member, kept)| kept.then_some(member));
        join(kept, ",", "=")
    }

    /// Joins all members with the given delimiters, without truncation.
    ///
    /// Useful for propagation formats other than W3C trace context.
    pub fn header_delimited(&self, entry_delimiter: &str, kv_delimiter: &str) -> String {
        join(self.as_slice().iter(), entry_delimiter, kv_delimiter)
    }

    fn as_slice(&self) -> &[(String, String)] {
        self.members.as_deref().unwrap_or(&[])
    }

    fn from_vec(list: Vec<(String, String)>) -> TraceState {
        if list.is_empty() {
            Self::NONE
        } else {
            TraceState {
                members: Some(Arc::from(list)),
            }
        }
    }
}

fn join<'a>(
    members: impl Iterator<Item = &'a (String, String)> + Clone,
    entry_delimiter: &str,
    kv_delimiter: &str,
) -> String {
    // One allocation of the exact size: this runs on every injected header.
    let len: usize = members
        .clone()
        .enumerate()
        .map(|(i, (k, v))| {
            k.len() + kv_delimiter.len() + v.len() + if i > 0 { entry_delimiter.len() } else { 0 }
        })
        .sum();
    let mut out = String::with_capacity(len);
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push_str(entry_delimiter);
        }
        out.push_str(key);
        out.push_str(kv_delimiter);
        out.push_str(value);
    }
    out
}

impl FromStr for TraceState {
    type Err = TraceStateError;

    /// Parses a `tracestate` header value (several headers joined with `,`).
    ///
    /// Empty members and whitespace around members are ignored. Any invalid
    /// member rejects the whole header. For a repeated key the first member
    /// wins; the 32-member limit counts members after those repeats are
    /// dropped.
    fn from_str(header: &str) -> Result<Self, Self::Err> {
        let mut list: Vec<(String, String)> = Vec::new();
        for raw in header.split(',') {
            let member = raw.trim_matches(|c| c == ' ' || c == '\t');
            if member.is_empty() {
                continue;
            }
            let (key, value) = member
                .split_once('=')
                .ok_or_else(|| TraceStateError::new(ErrorKind::InvalidMember(excerpt(member))))?;
            check_key(key)?;
            check_value(value)?;
            if list.iter().any(|(k, _)| k == key) {
                continue;
            }
            if list.len() == MAX_MEMBERS {
                return Err(TraceStateError::new(ErrorKind::TooManyMembers));
            }
            list.push((key.to_owned(), value.to_owned()));
        }
        Ok(Self::from_vec(list))
    }
}

impl fmt::Debug for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TraceState")
            .field(&self.to_string())
            .finish()
    }
}

impl fmt::Display for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(key)?;
            f.write_str("=")?;
            f.write_str(value)?;
        }
        Ok(())
    }
}

fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let Some((first, rest)) = bytes.split_first() else {
        return false;
    };
    bytes.len() <= MAX_KEY_LEN
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && rest.iter().all(|&b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'_' | b'-' | b'*' | b'/' | b'@')
        })
}

fn is_valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    // The grammar ends in a non-blank char, so empty and space-terminated
    // values are both out.
    bytes.len() <= MAX_VALUE_LEN
        && bytes.last().is_some_and(|&b| b != b' ')
        && bytes
            .iter()
            .all(|&b| (0x20..=0x7E).contains(&b) && b != b',' && b != b'=')
}

fn check_key(key: &str) -> Result<(), TraceStateError> {
    if is_valid_key(key) {
        Ok(())
    } else {
        Err(TraceStateError::new(ErrorKind::InvalidKey(excerpt(key))))
    }
}

fn check_value(value: &str) -> Result<(), TraceStateError> {
    if is_valid_value(value) {
        Ok(())
    } else {
        Err(TraceStateError::new(ErrorKind::InvalidValue(excerpt(
            value,
        ))))
    }
}

fn excerpt(s: &str) -> String {
    let mut short: String = s.chars().take(MAX_ERROR_EXCERPT).collect();
    if short.len() < s.len() {
        short.push_str("...");
    }
    short
}

/// Why a tracestate was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStateError {
    kind: ErrorKind,
}

// Kept private so that new kinds or payloads are not breaking changes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ErrorKind {
    InvalidKey(String),
    InvalidValue(String),
    TooManyMembers,
    InvalidMember(String),
    DuplicateKey(String),
}

impl TraceStateError {
    fn new(kind: ErrorKind) -> Self {
        TraceStateError { kind }
    }

    /// A key broke the W3C key grammar.
    pub fn is_invalid_key(&self) -> bool {
        matches!(self.kind, ErrorKind::InvalidKey(_))
    }

    /// A value broke the W3C value grammar.
    pub fn is_invalid_value(&self) -> bool {
        matches!(self.kind, ErrorKind::InvalidValue(_))
    }

    /// There were more than 32 list members.
    pub fn is_too_many_members(&self) -> bool {
        matches!(self.kind, ErrorKind::TooManyMembers)
    }

    /// A header list member was not of the form `key=value`.
    pub fn is_invalid_member(&self) -> bool {
        matches!(self.kind, ErrorKind::InvalidMember(_))
    }

    /// A key was given twice to [`TraceState::from_key_value`].
    pub fn is_duplicate_key(&self) -> bool {
        matches!(self.kind, ErrorKind::DuplicateKey(_))
    }
}

impl fmt::Display for TraceStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::InvalidKey(key) => write!(f, "invalid tracestate key {key:?}"),
            ErrorKind::InvalidValue(value) => write!(f, "invalid tracestate value {value:?}"),
            ErrorKind::TooManyMembers => {
                write!(f, "tracestate has more than {MAX_MEMBERS} list members")
            }
            ErrorKind::InvalidMember(member) => {
                write!(f, "invalid tracestate list member {member:?}")
            }
            ErrorKind::DuplicateKey(key) => write!(f, "duplicate tracestate key {key:?}"),
        }
    }
}

impl std::error::Error for TraceStateError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &str) -> Result<TraceState, TraceStateError> {
        header.parse()
    }

    fn keys(header: &str) -> Vec<String> {
        parse(header)
            .unwrap()
            .iter()
            .map(|(k, _)| k.to_owned())
            .collect()
    }

    fn insert_err(key: &str, value: &str) -> TraceStateError {
        TraceState::NONE.insert(key, value).unwrap_err()
    }

    fn members(n: usize) -> Vec<(String, String)> {
        (0..n).map(|i| (format!("k{i}"), format!("v{i}"))).collect()
    }

    /// The biggest member W3C allows: 256-char key and value, 513 chars.
    fn biggest_entry() -> (String, String) {
        ("k".repeat(256), "v".repeat(256))
    }

    /// A member whose `key=value` rendering is exactly `len` chars long.
    fn entry(key: &str, len: usize) -> (String, String) {
        (key.to_owned(), "x".repeat(len - key.len() - 1))
    }

    #[test]
    fn key_may_contain_at_sign_after_first_char() {
        assert_eq!(parse("foo@bar=1").unwrap().get("foo@bar"), Some("1"));
        assert_eq!(parse("foo@@bar=1").unwrap().get("foo@@bar"), Some("1"));
    }

    #[test]
    fn key_may_start_with_a_digit_and_use_every_allowed_char() {
        assert_eq!(parse("1abc=x").unwrap().get("1abc"), Some("x"));
        assert!(parse("a0_-*/@z=1").is_ok());
    }

    #[test]
    fn key_starting_with_at_is_invalid() {
        let err = parse("@foo=1").unwrap_err();
        assert!(err.is_invalid_key());
        assert_eq!(err.to_string(), "invalid tracestate key \"@foo\"");
    }

    #[test]
    fn uppercase_or_non_ascii_key_is_invalid() {
        assert!(parse("Foo=1").unwrap_err().is_invalid_key());
        assert!(parse("fOo=1").unwrap_err().is_invalid_key());
        assert!(parse("fé=1").unwrap_err().is_invalid_key());
    }

    #[test]
    fn empty_key_is_invalid() {
        assert!(parse("=1").unwrap_err().is_invalid_key());
        assert!(insert_err("", "1").is_invalid_key());
    }

    #[test]
    fn key_of_257_chars_is_invalid_and_256_is_valid() {
        let key = "a".repeat(256);
        assert_eq!(parse(&format!("{key}=1")).unwrap().get(&key), Some("1"));
        let key = "a".repeat(257);
        assert!(parse(&format!("{key}=1")).unwrap_err().is_invalid_key());
    }

    #[test]
    fn space_between_key_and_equals_is_invalid() {
        assert!(parse("foo =1").unwrap_err().is_invalid_key());
    }

    #[test]
    fn value_ending_in_space_is_invalid() {
        assert!(insert_err("a", "b ").is_invalid_value());
    }

    #[test]
    fn value_may_contain_inner_and_leading_spaces() {
        assert_eq!(parse("a=b c").unwrap().get("a"), Some("b c"));
        assert_eq!(parse("a= b").unwrap().get("a"), Some(" b"));
    }

    #[test]
    fn trailing_ows_is_stripped_before_value_validation() {
        assert_eq!(parse("a=b  \t").unwrap().get("a"), Some("b"));
    }

    #[test]
    fn empty_value_is_invalid() {
        assert!(parse("foo=").unwrap_err().is_invalid_value());
        assert!(parse("foo= ").unwrap_err().is_invalid_value());
    }

    #[test]
    fn value_with_comma_or_equals_is_invalid() {
        assert!(insert_err("a", "b,c").is_invalid_value());
        assert!(parse("a=b=c").unwrap_err().is_invalid_value());
    }

    #[test]
    fn value_with_control_or_non_ascii_char_is_invalid() {
        assert!(parse("a=b\tc").unwrap_err().is_invalid_value());
        assert!(parse("a=b\u{7f}").unwrap_err().is_invalid_value());
        assert!(parse("a=é").unwrap_err().is_invalid_value());
    }

    #[test]
    fn value_of_257_chars_is_invalid_and_256_is_valid() {
        let value = "v".repeat(256);
        assert_eq!(
            parse(&format!("a={value}")).unwrap().get("a"),
            Some(value.as_str())
        );
        let value = "v".repeat(257);
        assert!(parse(&format!("a={value}")).unwrap_err().is_invalid_value());
    }

    #[test]
    fn member_without_equals_is_invalid() {
        let err = parse("a=1,novalue").unwrap_err();
        assert!(err.is_invalid_member());
        assert_eq!(
            err.to_string(),
            "invalid tracestate list member \"novalue\""
        );
    }

    #[test]
    fn one_invalid_member_discards_the_header() {
        assert!(parse("a=1,B=2,c=3").is_err());
    }

    #[test]
    fn thirty_three_members_discard_the_header() {
        let header = TraceState::from_key_value(members(32)).unwrap().header() + ",last=1";
        assert!(parse(&header).unwrap_err().is_too_many_members());
    }

    #[test]
    fn thirty_two_members_are_kept() {
        let header = TraceState::from_key_value(members(32)).unwrap().header();
        let state = parse(&header).unwrap();
        assert_eq!(state.len(), 32);
        assert_eq!(state.get("k31"), Some("v31"));
    }

    #[test]
    fn member_limit_counts_after_dedup() {
        let header = TraceState::from_key_value(members(32)).unwrap().header() + ",k0=again";
        assert_eq!(parse(&header).unwrap().len(), 32);
    }

    #[test]
    fn duplicate_keys_keep_the_first() {
        assert_eq!(parse("foo=1,foo=1").unwrap().header(), "foo=1");
        assert_eq!(parse("foo=1,bar=2,foo=3").unwrap().header(), "foo=1,bar=2");
    }

    #[test]
    fn empty_members_and_ows_are_ignored() {
        let state = parse(" ,a=1 ,, \t b=2\t,, ").unwrap();
        assert_eq!(state.header(), "a=1,b=2");
    }

    #[test]
    fn empty_or_blank_header_is_the_empty_state() {
        for header in ["", "   ", ",", " , ,\t,"] {
            assert_eq!(parse(header).unwrap(), TraceState::NONE, "{header:?}");
        }
    }

    #[test]
    fn joined_headers_parse_as_one() {
        let joined = ["a=1,b=2", "c=3"].join(",");
        assert_eq!(parse(&joined).unwrap().len(), 3);
    }

    #[test]
    fn from_key_value_keeps_order() {
        let state = TraceState::from_key_value([("b", "2"), ("a", "1")]).unwrap();
        let pairs: Vec<_> = state.iter().collect();
        assert_eq!(pairs, [("b", "2"), ("a", "1")]);
    }

    #[test]
    fn from_key_value_rejects_duplicate_keys() {
        let err = TraceState::from_key_value([("a", "1"), ("a", "2")]).unwrap_err();
        assert!(err.is_duplicate_key());
        assert!(!err.is_invalid_key());
    }

    #[test]
    fn from_key_value_rejects_more_than_thirty_two_members() {
        assert!(TraceState::from_key_value(members(32)).is_ok());
        let err = TraceState::from_key_value(members(33)).unwrap_err();
        assert!(err.is_too_many_members());
    }

    #[test]
    fn from_key_value_validates_keys_and_values() {
        let err = |k: &str, v: &str| TraceState::from_key_value([(k, v)]).unwrap_err();
        assert!(err("A", "1").is_invalid_key());
        assert!(err("a", "").is_invalid_value());
    }

    #[test]
    fn from_key_value_with_no_members_is_empty() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(TraceState::from_key_value(none).unwrap(), TraceState::NONE);
    }

    #[test]
    fn insert_adds_new_key_at_the_front() {
        let state = parse("a=1,b=2").unwrap().insert("c", "3").unwrap();
        assert_eq!(state.header(), "c=3,a=1,b=2");
    }

    #[test]
    fn insert_moves_existing_key_to_the_front() {
        let state = parse("a=1,b=2,c=3").unwrap().insert("b", "9").unwrap();
        assert_eq!(state.header(), "b=9,a=1,c=3");
    }

    #[test]
    fn insert_into_full_state_drops_rightmost() {
        let full = TraceState::from_key_value(members(32)).unwrap();
        let state = full.insert("new", "1").unwrap();
        assert_eq!(state.len(), 32);
        assert_eq!(state.iter().next(), Some(("new", "1")));
        assert_eq!(state.get("k31"), None);
        assert_eq!(state.get("k30"), Some("v30"));
    }

    #[test]
    fn insert_of_existing_key_into_full_state_drops_nothing() {
        let full = TraceState::from_key_value(members(32)).unwrap();
        let state = full.insert("k31", "x").unwrap();
        assert_eq!(state.len(), 32);
        assert_eq!(state.get("k30"), Some("v30"));
        assert_eq!(state.iter().next(), Some(("k31", "x")));
    }

    #[test]
    fn invalid_insert_returns_error_and_leaves_state_unchanged() {
        let state = parse("a=1").unwrap();
        assert!(state.insert("@bad", "1").unwrap_err().is_invalid_key());
        assert!(state.insert("ok", "bad=").unwrap_err().is_invalid_value());
        assert_eq!(state.header(), "a=1");
    }

    #[test]
    fn delete_removes_the_key() {
        let state = parse("a=1,b=2,c=3").unwrap().delete("b").unwrap();
        assert_eq!(state.header(), "a=1,c=3");
        assert_eq!(state.get("b"), None);
    }

    #[test]
    fn delete_of_last_key_gives_the_empty_state() {
        let state = parse("a=1").unwrap().delete("a").unwrap();
        assert!(state.is_empty());
        assert_eq!(state, TraceState::NONE);
    }

    #[test]
    fn delete_of_absent_key_returns_equal_state() {
        let state = parse("a=1").unwrap();
        assert_eq!(state.delete("zz").unwrap(), state);
    }

    #[test]
    fn delete_of_invalid_key_is_an_error() {
        let state = parse("a=1").unwrap();
        assert!(state.delete("A").unwrap_err().is_invalid_key());
    }

    #[test]
    fn header_round_trips_through_parse() {
        let header = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,t@v=a b!~";
        let state = parse(header).unwrap();
        assert_eq!(state.header(), header);
        assert_eq!(parse(&state.header()).unwrap(), state);
    }

    #[test]
    fn header_of_exactly_512_chars_is_not_truncated() {
        // 4 entries of 127 chars plus 3 commas = 511; one more char makes 512.
        let mut list: Vec<_> = (0..3).map(|i| entry(&format!("s{i}"), 127)).collect();
        list.push(entry("s3", 128));
        let state = TraceState::from_key_value(list).unwrap();
        assert_eq!(state.header().len(), 512);
        assert_eq!(state.header(), state.to_string());
    }

    #[test]
    fn header_truncates_long_entries_first_then_from_the_right() {
        // Removing the right-most long entry is enough: the left one stays.
        let list = vec![
            entry("long1", 200),
            entry("s1", 100),
            entry("s2", 100),
            entry("long2", 200),
            entry("s3", 100),
        ];
        let header = TraceState::from_key_value(list).unwrap().header();
        assert_eq!(keys(&header), ["long1", "s1", "s2", "s3"]);
        assert!(header.len() <= 512);

        // Without the long entry it is still too long, so trim from the right.
        let mut list: Vec<_> = (0..6).map(|i| entry(&format!("s{i}"), 100)).collect();
        list.insert(2, entry("long", 200));
        let header = TraceState::from_key_value(list).unwrap().header();
        assert_eq!(keys(&header), ["s0", "s1", "s2", "s3", "s4"]);
    }

    #[test]
    fn header_drops_a_single_entry_over_512_chars() {
        let state = TraceState::from_key_value([biggest_entry()]).unwrap();
        assert_eq!(state.header(), "");
        assert_eq!(state.to_string().len(), 513);
    }

    #[test]
    fn header_delimited_joins_without_truncation() {
        let state = TraceState::from_key_value([("a", "1"), ("b", "2")]).unwrap();
        assert_eq!(state.header_delimited(";", ":"), "a:1;b:2");
        let big = TraceState::from_key_value([biggest_entry()]).unwrap();
        assert_eq!(big.header_delimited(",", "=").len(), 513);
    }

    #[test]
    fn debug_and_display_show_the_header() {
        let state = parse("a=1,b=2").unwrap();
        assert_eq!(format!("{state:?}"), "TraceState(\"a=1,b=2\")");
        assert_eq!(state.to_string(), "a=1,b=2");
        assert_eq!(format!("{:?}", TraceState::NONE), "TraceState(\"\")");
    }

    #[test]
    fn empty_state_does_not_allocate() {
        assert!(TraceState::NONE.members.is_none());
        assert!(TraceState::default().members.is_none());
        assert_eq!(TraceState::default(), TraceState::NONE);
        assert!(TraceState::NONE.is_empty());
        assert_eq!(TraceState::NONE.len(), 0);
        assert_eq!(TraceState::NONE.iter().count(), 0);
    }

    #[test]
    fn clones_share_storage() {
        let state = parse("a=1").unwrap();
        let clone = state.clone();
        let (Some(a), Some(b)) = (&state.members, &clone.members) else {
            panic!("non-empty state must hold members");
        };
        assert!(Arc::ptr_eq(a, b));
    }

    #[test]
    fn equality_is_order_sensitive() {
        assert_ne!(parse("a=1,b=2").unwrap(), parse("b=2,a=1").unwrap());
        assert_eq!(parse("a=1,b=2").unwrap(), parse(" a=1 , b=2 ").unwrap());
    }

    #[test]
    fn error_message_truncates_huge_input() {
        let key = format!("@{}", "a".repeat(1000));
        let message = parse(&format!("{key}=1")).unwrap_err().to_string();
        assert!(message.len() < 100, "{message}");
        assert!(message.ends_with("...\""), "{message}");
    }
}
