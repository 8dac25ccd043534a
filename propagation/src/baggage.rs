//! W3C Baggage: the `baggage` header.

use spanlite_api::{Baggage, BaggageEntry, Context};

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
        let mut entries = Vec::new();
        for header in extractor.get_all(BAGGAGE) {
            parse_header(header, &mut entries);
        }
        if entries.is_empty() {
            return cx.clone();
        }
        entries.into_iter().collect::<Baggage>().in_context(cx)
    }

    fn fields(&self) -> &[&'static str] {
        FIELDS
    }
}

/// The header value for `baggage`, within the W3C limits.
fn format_header(baggage: &Baggage) -> String {
    let mut header = String::new();
    let mut members = 0;
    for entry in baggage {
        if members == MAX_MEMBERS {
            break;
        }
        if !is_token(entry.name()) {
            continue;
        }
        let metadata = normalize_properties(entry.metadata()).unwrap_or_default();
        let mut len = entry.name().len() + 1 + percent::encoded_len(entry.value());
        if !metadata.is_empty() {
            len += 1 + metadata.len();
        }
        let separator = usize::from(!header.is_empty());
        if header.len() + separator + len > MAX_BYTES {
            continue;
        }
        if separator == 1 {
            header.push(',');
        }
        header.push_str(entry.name());
        header.push('=');
        percent::encode_into(entry.value(), &mut header);
        if !metadata.is_empty() {
            header.push(';');
            header.push_str(&metadata);
        }
        members += 1;
    }
    header
}

/// Appends the valid members of one header to `out`.
fn parse_header(header: &str, out: &mut Vec<BaggageEntry>) {
    for member in header.split(',') {
        if out.len() >= MAX_EXTRACT_MEMBERS {
            return;
        }
        let member = trim_ows(member);
        if member.is_empty() {
            continue;
        }
        if let Some(entry) = parse_member(member) {
            out.push(entry);
        }
    }
}

/// `name OWS = OWS value *(OWS ; OWS property)`, already trimmed.
fn parse_member(member: &str) -> Option<BaggageEntry> {
    let (pair, properties) = match member.split_once(';') {
        Some((pair, properties)) => (pair, properties),
        None => (member, ""),
    };
    let (name, value) = pair.split_once('=')?;
    let (name, value) = (trim_ows(name), trim_ows(value));
    if !is_token(name) || !value.bytes().all(is_baggage_octet) {
        return None;
    }
    let value = percent::decode(value)?;
    let metadata = normalize_properties(properties)?;
    Some(BaggageEntry::new(name, value).with_metadata(metadata))
}

/// A property list with whitespace and empty properties removed: `k=v;k2`.
/// `None` when a property is malformed.
fn normalize_properties(properties: &str) -> Option<String> {
    let mut out = String::new();
    for property in properties.split(';') {
        let property = trim_ows(property);
        if property.is_empty() {
            continue;
        }
        let (key, value) = match property.split_once('=') {
            Some((key, value)) => (trim_ows(key), Some(trim_ows(value))),
            None => (property, None),
        };
        if !is_token(key) || !value.unwrap_or("").bytes().all(is_baggage_octet) {
            return None;
        }
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(key);
        if let Some(value) = value {
            out.push('=');
            out.push_str(value);
        }
    }
    Some(out)
}

fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// An RFC 7230 token: one or more `tchar`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
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
                )
        })
}

/// W3C `baggage-octet`: visible ASCII but `"`, `,`, `;` and `\`.
fn is_baggage_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

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
    fn tokens_are_rfc7230_tchars() {
        assert!(is_token("Key-1.a_b~!#$%&'*+^`|"));
        for bad in ["", "a b", "a=b", "a;b", "a,b", "é", "a\"", "a(b)", "a/b"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }
}
