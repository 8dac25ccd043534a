//! What the Jaeger and Zipkin mappings share, from the spec's
//! "mapping to non-OTLP formats" rules: the tag names for scope, status,
//! dropped counts and trace state, and arrays as JSON text.

use std::io::Write as _;

use std::borrow::Cow;

use spanlite::{Array, Resource, Status, Value};

/// The instrumentation scope's name.
pub(crate) const SCOPE_NAME: &str = "otel.scope.name";
/// The instrumentation scope's version.
pub(crate) const SCOPE_VERSION: &str = "otel.scope.version";
/// `OK` or `ERROR`; absent for an unset status.
pub(crate) const STATUS_CODE: &str = "otel.status_code";
/// The `error` tag.
pub(crate) const ERROR: &str = "error";
/// Attributes the limits dropped (of a span or an event).
pub(crate) const DROPPED_ATTRIBUTES: &str = "otel.dropped_attributes_count";
/// Events the limits dropped.
pub(crate) const DROPPED_EVENTS: &str = "otel.dropped_events_count";
/// Links the limits dropped.
pub(crate) const DROPPED_LINKS: &str = "otel.dropped_links_count";
/// The W3C trace state, as its header value.
pub(crate) const TRACE_STATE: &str = "w3c.tracestate";
/// The resource attribute that names the service.
pub(crate) const SERVICE_NAME: &str = "service.name";
/// The service name when the resource has none.
pub(crate) const UNKNOWN_SERVICE: &str = "unknown_service";

/// The service name of spans of `resource`: its `service.name`, or
/// `unknown_service` when it has none (a resource built by spanlite always
/// has one).
pub(crate) fn service_name(resource: Option<&Resource>) -> Cow<'_, str> {
    match resource.and_then(|r| r.get(SERVICE_NAME)) {
        Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
        Some(other) => Cow::Owned(other.to_string()),
        None => Cow::Borrowed(UNKNOWN_SERVICE),
    }
}

/// The `otel.status_code` value, `None` for an unset status.
pub(crate) fn status_code(status: &Status) -> Option<&'static str> {
    match status {
        Status::Unset => None,
        Status::Ok => Some("OK"),
        Status::Error { .. } => Some("ERROR"),
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn put_json_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `v` as text: the shortest decimal that reads back as the same
/// double (exponent form when very large or small), `NaN`, `Infinity` or
/// `-Infinity`.
pub(crate) fn put_f64_text(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else {
        let _ = write!(out, "{v:?}");
    }
}

/// Appends `v` as a JSON value: a number, or a string for the values JSON
/// numbers cannot hold (`"NaN"`, `"Infinity"`, `"-Infinity"`).
pub(crate) fn put_json_f64(v: f64, out: &mut Vec<u8>) {
    if v.is_finite() {
        put_f64_text(v, out);
    } else {
        out.push(b'"');
        put_f64_text(v, out);
        out.push(b'"');
    }
}

/// Appends `array` as a JSON list, as the spec asks of array attributes
/// in formats without arrays: `["a","b"]`, `[1,2]`, `[true,false]`,
/// `[1.5,0.25]`.
pub(crate) fn put_json_array(array: &Array, out: &mut Vec<u8>) {
    fn list<T>(items: &[T], out: &mut Vec<u8>, mut each: impl FnMut(&T, &mut Vec<u8>)) {
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            each(item, out);
        }
        out.push(b']');
    }
    match array {
        Array::Bool(v) => list(v, out, |b, out| {
            out.extend_from_slice(if *b { b"true" } else { b"false" })
        }),
        Array::I64(v) => list(v, out, |i, out| {
            let _ = write!(out, "{i}");
        }),
        Array::F64(v) => list(v, out, |f, out| put_json_f64(*f, out)),
        Array::String(v) => list(v, out, |s, out| put_json_str(s, out)),
        _ => out.extend_from_slice(b"[]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn arrays_are_serialized_like_a_json_list() {
        // "Array values MUST be serialized to string like a JSON list."
        assert_eq!(
            text(|o| put_json_array(&Array::String(vec!["a".into(), "\"q\"".into()]), o)),
            r#"["a","\"q\""]"#
        );
        assert_eq!(
            text(|o| put_json_array(&Array::I64(vec![-1, 0, i64::MAX]), o)),
            "[-1,0,9223372036854775807]"
        );
        assert_eq!(
            text(|o| put_json_array(&Array::Bool(vec![true, false]), o)),
            "[true,false]"
        );
        assert_eq!(
            text(|o| put_json_array(&Array::F64(vec![1.5, -0.25, 1e-7]), o)),
            "[1.5,-0.25,1e-7]"
        );
        assert_eq!(text(|o| put_json_array(&Array::I64(vec![]), o)), "[]");
    }

    #[test]
    fn json_has_no_nan_or_infinity_so_they_become_strings() {
        assert_eq!(
            text(|o| put_json_array(&Array::F64(vec![f64::NAN, f64::NEG_INFINITY]), o)),
            r#"["NaN","-Infinity"]"#
        );
    }

    #[test]
    fn control_characters_quotes_and_backslashes_are_escaped() {
        assert_eq!(
            text(|o| put_json_str("a\"b\\c\nd\u{1}é", o)),
            "\"a\\\"b\\\\c\\nd\\u0001é\""
        );
    }

    #[test]
    fn every_json_text_parses_back_to_the_same_values() {
        let array = Array::F64(vec![0.1, -1.5e300, 2.0, 5e-324]);
        let json = text(|o| put_json_array(&array, o));
        let parsed: Vec<f64> = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, [0.1, -1.5e300, 2.0, 5e-324]);
    }
}
