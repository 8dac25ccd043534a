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
    // The members as their canonical header, `k1=v1,k2=v2`: no whitespace
    // around members, no empty members, no repeated key. Neither keys nor
    // values may hold `,` or `=`, so the text splits back into exactly the
    // members, and equal texts mean equal member lists. One allocation
    // however many members, and a header that arrives canonical (the usual
    // case) is stored as it came. `None` for the empty state so that it
    // needs no allocation; `Some` is never empty.
    members: Option<Arc<str>>,
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
        let len = list.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut text = String::with_capacity(len);
        for (key, value) in &list {
            push_member(&mut text, key, value);
        }
        Ok(Self::from_text(&text))
    }

    /// Returns the value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
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
        let mut text = String::with_capacity(key.len() + 1 + value.len() + 1 + self.text().len());
        push_member(&mut text, &key, &value);
        for (k, v) in self.iter().filter(|(k, _)| *k != key).take(MAX_MEMBERS - 1) {
            push_member(&mut text, k, v);
        }
        Ok(Self::from_text(&text))
    }

    /// Returns a new state without `key`.
    ///
    /// The key must be valid; deleting an absent key returns an equal state.
    pub fn delete(&self, key: &str) -> Result<TraceState, TraceStateError> {
        check_key(key)?;
        if self.get(key).is_none() {
            return Ok(self.clone());
        }
        let mut text = String::with_capacity(self.text().len());
        for (k, v) in self.iter().filter(|(k, _)| *k != key) {
            push_member(&mut text, k, v);
        }
        Ok(Self::from_text(&text))
    }

    /// Returns `true` if the state has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_none()
    }

    /// Returns the number of members.
    pub fn len(&self) -> usize {
        self.members
            .as_deref()
            .map_or(0, |text| text.bytes().filter(|&b| b == b',').count() + 1)
    }

    /// Iterates over the `(key, value)` members from left to right.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        split_members(self.text())
    }

    /// Renders the `tracestate` header value for propagation.
    ///
    /// If the full header would exceed 512 characters, entries longer than
    /// 128 characters are removed from the right first, then any remaining
    /// entries from the right, until it fits.
    pub fn header(&self) -> String {
        let text = self.text();
        if text.len() <= MAX_HEADER_LEN {
            return text.to_owned();
        }

        let members: Vec<&str> = text.split(',').collect();
        let mut total: usize = members.iter().map(|m| m.len()).sum();
        let mut count = members.len();
        let fits = |total: usize, count: usize| total + count.saturating_sub(1) <= MAX_HEADER_LEN;
        let mut keep = vec![true; members.len()];
        for only_long in [true, false] {
            for (member, kept) in members.iter().zip(keep.iter_mut()).rev() {
                if fits(total, count) {
                    break;
                }
                if *kept && (!only_long || member.len() > LONG_ENTRY_LEN) {
                    *kept = false;
                    total -= member.len();
                    count -= 1;
                }
            }
        }
        let mut out = String::with_capacity(total + count.saturating_sub(1));
        for (member, _) in members.iter().zip(keep).filter(|(_, kept)| *kept) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(member);
        }
        out
    }

    /// Joins all members with the given delimiters, without truncation.
    ///
    /// Useful for propagation formats other than W3C trace context.
    pub fn header_delimited(&self, entry_delimiter: &str, kv_delimiter: &str) -> String {
        if entry_delimiter == "," && kv_delimiter == "=" {
            return self.text().to_owned();
        }
        let mut out = String::new();
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(entry_delimiter);
            }
            out.push_str(key);
            out.push_str(kv_delimiter);
            out.push_str(value);
        }
        out
    }

    /// The canonical text; empty for the empty state.
    fn text(&self) -> &str {
        self.members.as_deref().unwrap_or("")
    }

    fn from_text(text: &str) -> TraceState {
        if text.is_empty() {
            Self::NONE
        } else {
            TraceState {
                members: Some(Arc::from(text)),
            }
        }
    }
}

/// The `(key, value)` members of a canonical text; none for `""`.
fn split_members(text: &str) -> impl Iterator<Item = (&str, &str)> {
    split_byte(text, b',').filter_map(|member| member.split_once('='))
}

/// Appends `key=value` to a canonical text.
fn push_member(text: &mut String, key: &str, value: &str) {
    if !text.is_empty() {
        text.push(',');
    }
    text.push_str(key);
    text.push('=');
    text.push_str(value);
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
        match parse_canonical(header) {
            Some(state) => Ok(state),
            None => parse_general(header),
        }
    }
}

/// Any header, by the rules [`TraceState::from_str`] gives: a first pass
/// validates, borrowing, and a second writes the canonical text.
fn parse_general(header: &str) -> Result<TraceState, TraceStateError> {
    let mut kept: [&str; MAX_MEMBERS] = [""; MAX_MEMBERS];
    let mut count = 0;
    for member in split_byte(header, b',').map(trim_ows) {
        if member.is_empty() {
            continue;
        }
        let (key, value) = split_member(member)?;
        check_value(value)?;
        if kept[..count].contains(&key) {
            continue;
        }
        if count == MAX_MEMBERS {
            return Err(TraceStateError::new(ErrorKind::TooManyMembers));
        }
        kept[count] = key;
        count += 1;
    }
    // Each kept key's first member, in order.
    let mut text = String::with_capacity(header.len());
    let mut written = 0;
    for member in split_byte(header, b',').map(trim_ows) {
        if written == count {
            break;
        }
        if let Some((key, value)) = member.split_once('=') {
            if key == kept[written] {
                push_member(&mut text, key, value);
                written += 1;
            }
        }
    }
    Ok(TraceState::from_text(&text))
}

/// The state for a header that is already canonical text (what spanlite
/// and most tracers send), read in one pass over its bytes; `None` for any
/// other header, valid or not, which the general parser then reads.
fn parse_canonical(header: &str) -> Option<TraceState> {
    let bytes = header.as_bytes();
    let mut keys: [&str; MAX_MEMBERS] = [""; MAX_MEMBERS];
    let mut count = 0;
    let mut at = 0;
    loop {
        let key_start = at;
        while at < bytes.len() && KEY_BYTE[usize::from(bytes[at])] {
            at += 1;
        }
        // A key byte and `=` are ASCII, so these are char boundaries.
        let key = &header[key_start..at];
        let first_ok = key
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if bytes.get(at) != Some(&b'=') || !first_ok || key.len() > MAX_KEY_LEN {
            return None;
        }
        at += 1;
        let value_start = at;
        // Eight bytes at a time while none of them ends the value.
        while let Some(chunk) = bytes[at..].first_chunk::<8>() {
            if has_non_value_byte(u64::from_le_bytes(*chunk)) {
                break;
            }
            at += 8;
        }
        while at < bytes.len() && VALUE_BYTE[usize::from(bytes[at])] {
            at += 1;
        }
        let value = &header[value_start..at];
        let value_ok = value.len() <= MAX_VALUE_LEN && bytes[..at].last() != Some(&b' ');
        if value.is_empty() || !value_ok || count == MAX_MEMBERS || keys[..count].contains(&key) {
            return None;
        }
        keys[count] = key;
        count += 1;
        match bytes.get(at) {
            None => return Some(TraceState::from_text(header)),
            // A `,` must start another member: `a=1,` is not canonical.
            Some(b',') if at + 1 < bytes.len() => at += 1,
            Some(_) => return None,
        }
    }
}

/// Splits a trimmed, non-empty member at its first `=` into a valid key and
/// the value: one scan that stops at the first byte a key may not hold.
fn split_member(member: &str) -> Result<(&str, &str), TraceStateError> {
    let bytes = member.as_bytes();
    let key_len = bytes
        .iter()
        .take_while(|&&b| KEY_BYTE[usize::from(b)])
        .count();
    if bytes.get(key_len) == Some(&b'=') && is_valid_key(&member[..key_len]) {
        return Ok((&member[..key_len], &member[key_len + 1..]));
    }
    // Not a valid `key=`: say which rule it broke.
    let (key, value) = member
        .split_once('=')
        .ok_or_else(|| TraceStateError::new(ErrorKind::InvalidMember(excerpt(member))))?;
    check_key(key)?;
    Ok((key, value))
}

/// `s` split at each `sep`, by a plain byte loop: tracestate members are
/// short, and for them `str::split`'s memchr costs more than the scan.
fn split_byte(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.bytes().position(|b| b == sep) {
            Some(i) => {
                // `sep` is ASCII, so `i` and `i + 1` are char boundaries.
                rest = Some(&s[i + 1..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

/// `s` without the spaces and tabs around it.
fn trim_ows(s: &str) -> &str {
    let bytes = s.as_bytes();
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().take_while(|b| is_ows(b)).count();
    let end = bytes.len()
        - bytes[start..]
            .iter()
            .rev()
            .take_while(|b| is_ows(b))
            .count();
    // Both ends are next to ASCII bytes or the ends of `s`: char boundaries.
    &s[start..end]
}

impl fmt::Debug for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TraceState").field(&self.text()).finish()
    }
}

impl fmt::Display for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// A lookup table of a `const fn(u8) -> bool` over every byte, made at
/// compile time: one load per byte in the validation loops instead of a
/// chain of comparisons.
macro_rules! byte_table {
    ($test:ident) => {{
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = $test(b as u8);
            b += 1;
        }
        table
    }};
}

/// The bytes a key may hold after its first: `lcalpha / DIGIT / "_" / "-" /
/// "*" / "/" / "@"`.
const KEY_BYTE: [bool; 256] = byte_table!(is_key_byte);
/// The bytes a value may hold: printable ASCII but `,` and `=`.
const VALUE_BYTE: [bool; 256] = byte_table!(is_value_byte);

/// Whether any of the eight bytes in `x` may not be in a value: one below
/// 0x20, above 0x7e, `,` or `=`. The bit tricks are the classic "has a byte
/// less than / more than / equal to" word tests, exact as to whether any
/// byte matches (if not which).
const fn has_non_value_byte(x: u64) -> bool {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const fn has_zero(v: u64) -> u64 {
        v.wrapping_sub(ONES) & !v
    }
    let below_space = x.wrapping_sub(ONES * 0x20) & !x;
    // Adding one carries 0x7f, and only it, into the high bit; bytes from
    // 0x80 have it already.
    let above_tilde = x.wrapping_add(ONES) | x;
    let comma = has_zero(x ^ (ONES * b',' as u64));
    let equals = has_zero(x ^ (ONES * b'=' as u64));
    (below_space | above_tilde | comma | equals) & HIGHS != 0
}

const fn is_key_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'*' | b'/' | b'@')
}

const fn is_value_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x7E) && b != b',' && b != b'='
}

fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let Some((first, rest)) = bytes.split_first() else {
        return false;
    };
    bytes.len() <= MAX_KEY_LEN
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && rest.iter().all(|&b| KEY_BYTE[usize::from(b)])
}

fn is_valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    // The grammar ends in a non-blank char, so empty and space-terminated
    // values are both out.
    bytes.len() <= MAX_VALUE_LEN
        && bytes.last().is_some_and(|&b| b != b' ')
        && bytes.iter().all(|&b| VALUE_BYTE[usize::from(b)])
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
    fn a_canonical_header_is_stored_as_it_came() {
        let header = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,t@v= a b!~";
        let state = parse(header).unwrap();
        assert_eq!(state.members.as_deref(), Some(header));
        assert_eq!(state.len(), 3);
    }

    #[test]
    fn whitespace_empty_members_and_repeats_are_not_stored() {
        let state = parse(" a=1 ,,b=2\t,a=3, c=x y ,b=4").unwrap();
        assert_eq!(state.members.as_deref(), Some("a=1,b=2,c=x y"));
        assert_eq!(state.len(), 3);
        assert_eq!(state, parse("a=1,b=2,c=x y").unwrap());
    }

    #[test]
    fn the_canonical_fast_path_agrees_with_the_general_parser() {
        let long_key = format!("{}=1", "k".repeat(257));
        let long_value = format!("k={}", "v".repeat(257));
        let full = TraceState::from_key_value(members(32)).unwrap().header();
        let over = format!("{full},x=1");
        let repeat = format!("{full},k0=1");
        let headers = [
            "a=1",
            "a=1,b=2",
            "a=1,",
            ",a=1",
            "a=1,,b=2",
            "a=1 ",
            " a=1",
            "a= 1",
            "a=1 2",
            "a=",
            "=1",
            "a",
            "a=1,a=2",
            "A=1",
            "a=1=2",
            "a=\t1",
            "a@b=1",
            "@a=1",
            "a=1,b",
            "a=1;b=2",
            "a=\u{7f}",
            "a=é",
            "",
            ",",
            &long_key,
            &long_value,
            &full,
            &over,
            &repeat,
        ];
        for header in headers {
            if let Some(fast) = parse_canonical(header) {
                assert_eq!(parse_general(header), Ok(fast), "{header:?}");
            }
        }
        assert!(parse_canonical(&full).is_some());
        assert!(parse_canonical(&over).is_none());
    }

    #[test]
    // Safe code throughout, and thousands of cases: Miri would add minutes
    // and find nothing.
    #[cfg_attr(miri, ignore)]
    fn the_word_test_finds_exactly_the_bytes_a_value_may_not_hold() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = b;
                let expected = !is_value_byte(b);
                assert_eq!(
                    has_non_value_byte(u64::from_le_bytes(word)),
                    expected,
                    "{b:#x} at {at}"
                );
                // Next to the most borrow- and carry-prone neighbours too.
                for other in [0x00, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff] {
                    let mut word = [other; 8];
                    word[at] = b;
                    let expected = !is_value_byte(b) || !is_value_byte(other);
                    assert_eq!(has_non_value_byte(u64::from_le_bytes(word)), expected);
                }
            }
        }
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
