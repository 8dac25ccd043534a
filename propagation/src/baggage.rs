//! W3C Baggage: the `baggage` header.

use std::borrow::Cow;

use spanlite_api::{Baggage, BaggageEntry, Context};

use crate::scan::{byte_table, split_byte, split_once_byte, trim_ows};
use crate::{percent, Extractor, Injector, TextMapPropagator};

const BAGGAGE: &str = "baggage";
const FIELDS: &[&str] = &[BAGGAGE];

/// W3C: a sender must propagate all members up to this many...
const MAX_MEMBERS: usize = 64;
/// ...and up to this many bytes for the whole header value.
const MAX_BYTES: usize = 8192;
/// The most members the W3C grammar allows in one header; more are ignored
/// when reading, which bounds the work a hostile header can cause.
const MAX_EXTRACT_MEMBERS: usize = 180;

/// W3C Baggage: reads and writes the `baggage` header, keeping the
/// context's [`Baggage`].
///
/// Reading: members are `name=value` with optional `;`-separated
/// properties (kept as the entry's metadata), whitespace around the parts
/// is ignored, values are percent-decoded. An invalid member (a name that
/// is not an HTTP token, a character outside the W3C value set, a broken
/// `%` escape, a malformed property) is dropped on its own. Several headers
/// are read in order, and for a repeated name the last member wins. When
/// at least one member is valid, the result replaces the context's baggage;
/// otherwise the context is returned unchanged.
///
/// Writing: values are percent-encoded; entries whose name is not a token
/// are skipped, and metadata that is not a valid property list is left
/// off. At most 64 members and 8192 bytes are sent: a member that would
/// pass either limit is dropped whole.
///
/// ```
/// use std::collections::HashMap;
/// use spanlite_api::{Baggage, Context};
/// use spanlite_propagation::{BaggagePropagator, TextMapPropagator};
///
/// let cx = Baggage::new().insert("user", "Ada Lovelace").in_context(&Context::new());
/// let mut headers = HashMap::new();
/// BaggagePropagator::new().inject_context(&cx, &mut headers);
/// assert_eq!(headers["baggage"], "user=Ada%20Lovelace");
///
/// let cx = BaggagePropagator::new().extract_with_context(&Context::new(), &headers);
/// assert_eq!(Baggage::from_context(&cx).get("user"), Some("Ada Lovelace"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct BaggagePropagator {}

impl BaggagePropagator {
    /// The W3C Baggage propagator.
    pub const fn new() -> BaggagePropagator {
        BaggagePropagator {}
    }
}

impl TextMapPropagator for BaggagePropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let Some(baggage) = cx.get::<Baggage>() else {
            return;
        };
        let header = format_header(baggage);
        if !header.is_empty() {
            injector.set(BAGGAGE, header);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        // Collected straight from the parser: no list of entries of its own.
        let baggage: Baggage = extractor
            .get_all(BAGGAGE)
            .flat_map(parse_header)
            .take(MAX_EXTRACT_MEMBERS)
            .collect();
        if baggage.is_empty() {
            return cx.clone();
        }
        baggage.in_context(cx)
    }

    fn fields(&self) -> &[&'static str] {
        FIELDS
    }
}

/// The header value for `baggage`, within the W3C limits, written into
/// one allocation of the exact size: a first pass measures what the second
/// writes.
fn format_header(baggage: &Baggage) -> String {
    let len = for_each_member(baggage, |_, _| {});
    let mut header = String::with_capacity(len);
    for_each_member(baggage, |entry, with_metadata| {
        if !header.is_empty() {
            header.push(',');
        }
        header.push_str(entry.name());
        header.push('=');
        percent::encode_into(entry.value(), &mut header);
        if with_metadata {
            header.push(';');
            push_properties(entry.metadata(), &mut header);
        }
    });
    debug_assert_eq!(header.len(), len);
    header
}

/// Calls `write` for each entry that goes into the header, with whether its
/// metadata goes too, and returns the header's length. An entry whose name
/// is not a token is skipped, and so is one that would pass either limit;
/// metadata that is not a valid property list is left off.
fn for_each_member(baggage: &Baggage, mut write: impl FnMut(&BaggageEntry, bool)) -> usize {
    let mut total = 0;
    let mut members = 0;
    for entry in baggage {
        if members == MAX_MEMBERS {
            break;
        }
        if !is_token(entry.name()) {
            continue;
        }
        let metadata_len = normalized_len(entry.metadata()).unwrap_or(0);
        let mut len = entry.name().len() + 1 + percent::encoded_len(entry.value());
        if metadata_len > 0 {
            len += 1 + metadata_len;
        }
        // Every member is at least `n=`, so a non-zero total means a
        // member was written before this one.
        let separator = usize::from(total > 0);
        if total + separator + len > MAX_BYTES {
            continue;
        }
        total += separator + len;
        members += 1;
        write(entry, metadata_len > 0);
    }
    total
}

/// The valid members of one header, in order.
fn parse_header(header: &str) -> impl Iterator<Item = BaggageEntry> + '_ {
    let mut rest = Some(header);
    std::iter::from_fn(move || {
        while let Some(members) = rest {
            let (entry, after) = parse_first_member(members);
            rest = after;
            if entry.is_some() {
                return entry;
            }
        }
        None
    })
}

/// The entry of the first member of `members` (`None` when it is empty or
/// invalid), and what follows the `,` that ends it.
fn parse_first_member(members: &str) -> (Option<BaggageEntry>, Option<&str>) {
    // As senders write a member: `token=octets` up to the `,` or the end,
    // read in one pass.
    let bytes = members.as_bytes();
    let name_len = bytes.iter().take_while(|&&b| TCHAR[usize::from(b)]).count();
    if name_len > 0 && bytes.get(name_len) == Some(&b'=') {
        let value_start = name_len + 1;
        let mut end = value_start;
        let mut escaped = false;
        while let Some(&b) = bytes.get(end) {
            if !is_baggage_octet(b) {
                break;
            }
            escaped |= b == b'%';
            end += 1;
        }
        let after = match bytes.get(end) {
            None => Some(None),
            Some(b',') => Some(Some(&members[end + 1..])),
            Some(_) => None,
        };
        if let Some(after) = after {
            // Every byte before `end` is ASCII: these are char boundaries.
            let (name, value) = (&members[..name_len], &members[value_start..end]);
            let value = if escaped {
                percent::decode(value)
            } else {
                Some(Cow::Borrowed(value))
            };
            return (value.map(|value| BaggageEntry::new(name, value)), after);
        }
    }
    // Anything else: whitespace, properties, a byte out of place.
    let (member, after) = match split_once_byte(members, b',') {
        Some((member, after)) => (member, Some(after)),
        None => (members, None),
    };
    let member = trim_ows(member);
    let entry = if member.is_empty() {
        None
    } else {
        parse_member(member)
    };
    (entry, after)
}

/// `name OWS = OWS value *(OWS ; OWS property)`, already trimmed.
fn parse_member(member: &str) -> Option<BaggageEntry> {
    let (pair, properties) = match split_once_byte(member, b';') {
        Some((pair, properties)) => (pair, properties),
        None => (member, ""),
    };
    let (name, value) = split_once_byte(pair, b'=')?;
    let (name, value) = (trim_ows(name), trim_ows(value));
    if !is_token(name) || !value.bytes().all(is_baggage_octet) {
        return None;
    }
    let value = percent::decode(value)?;
    let metadata = normalize_properties(properties)?;
    let entry = BaggageEntry::new(name, value);
    Some(if metadata.is_empty() {
        entry
    } else {
        entry.with_metadata(metadata)
    })
}

/// A property list with whitespace and empty properties removed: `k=v;k2`,
/// borrowed when `properties` is that already. `None` when a property is
/// malformed.
fn normalize_properties(properties: &str) -> Option<Cow<'_, str>> {
    let len = normalized_len(properties)?;
    // Normalising only removes characters, so the same length means
    // nothing was removed.
    if len == properties.len() {
        return Some(Cow::Borrowed(properties));
    }
    let mut out = String::with_capacity(len);
    push_properties(properties, &mut out);
    Some(Cow::Owned(out))
}

/// The length of the normalised property list; `None` when a property is
/// malformed.
fn normalized_len(properties: &str) -> Option<usize> {
    if properties.is_empty() {
        return Some(0);
    }
    let mut len = 0;
    for property in split_properties(properties) {
        let (key, value) = property?;
        // Keys are never empty, so `len > 0` means a property came before.
        len += usize::from(len > 0) + key.len() + value.map_or(0, |v| 1 + v.len());
    }
    Some(len)
}

/// Appends the normalised form of `properties`, which
/// [`normalized_len`] found valid.
fn push_properties(properties: &str, out: &mut String) {
    for (i, (key, value)) in split_properties(properties).flatten().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(key);
        if let Some(value) = value {
            out.push('=');
            out.push_str(value);
        }
    }
}

/// The non-empty properties as `(key, value)`, trimmed; `None` for a
/// malformed one.
fn split_properties(properties: &str) -> impl Iterator<Item = Option<(&str, Option<&str>)>> {
    split_byte(properties, b';')
        .map(trim_ows)
        .filter(|property| !property.is_empty())
        .map(|property| {
            let (key, value) = match split_once_byte(property, b'=') {
                Some((key, value)) => (trim_ows(key), Some(trim_ows(value))),
                None => (property, None),
            };
            let valid = is_token(key) && value.unwrap_or("").bytes().all(is_baggage_octet);
            valid.then_some((key, value))
        })
}

/// An RFC 7230 token: one or more `tchar`.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| TCHAR[usize::from(b)])
}

/// W3C `baggage-octet`: visible ASCII but `"`, `,`, `;` and `\`.
fn is_baggage_octet(b: u8) -> bool {
    BAGGAGE_OCTET[usize::from(b)]
}

const TCHAR: [bool; 256] = byte_table!(|b| b.is_ascii_alphanumeric()
    || matches!(
        b,
        b'!' | b'#'
            | b'$'
            | b'%'
            | b'&'
            | b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~'
    ));

const BAGGAGE_OCTET: [bool; 256] =
    byte_table!(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_normalized_without_whitespace_or_empty_entries() {
        assert_eq!(
            normalize_properties(" a = 1 ;; b ;").as_deref(),
            Some("a=1;b")
        );
        assert_eq!(normalize_properties("").as_deref(), Some(""));
    }

    #[test]
    fn a_property_with_a_bad_key_or_value_is_malformed() {
        assert_eq!(normalize_properties("a b=1"), None);
        assert_eq!(normalize_properties("a=\"x\""), None);
        assert_eq!(normalize_properties("=1"), None);
    }

    #[test]
    fn the_one_pass_member_reader_agrees_with_the_general_one() {
        let members = [
            "a=1",
            "a=",
            "a=b=c",
            "k=v%20w",
            "k=%zz",
            "k=%2",
            "k=%FF",
            "=1",
            "a",
            "a b=1",
            " a=1",
            "a=1 ",
            "a = 1",
            "a=1;p",
            "a=1;p=2 ; q",
            "a=\"x\"",
            "a=1\\",
            "é=1",
            "a=é",
            "a=1\t",
            "a=%C3%A9",
            "!#$%&'*+-.^_`|~=!#$&'()*+-./:<=>?@[]^_`{|}~",
        ];
        for member in members {
            let general = parse_member(trim_ows(member));
            for tail in ["", ",b=2", ", ,x"] {
                let header = format!("{member}{tail}");
                let (entry, after) = parse_first_member(&header);
                assert_eq!(entry, general, "{header:?}");
                let expected_after = header.split_once(',').map(|(_, after)| after);
                assert_eq!(after, expected_after, "{header:?}");
            }
        }
        let all: Vec<BaggageEntry> = parse_header(" ,a=1,,b=2;p , c d=3,e=4").collect();
        let names: Vec<&str> = all.iter().map(BaggageEntry::name).collect();
        assert_eq!(names, ["a", "b", "e"]);
    }

    #[test]
    fn tokens_are_rfc7230_tchars() {
        assert!(is_token("Key-1.a_b~!#$%&'*+^`|"));
        for bad in ["", "a b", "a=b", "a;b", "a,b", "é", "a\"", "a(b)", "a/b"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }
}
