//! [`Injector`] and [`Extractor`] for `http::HeaderMap` (feature `http`).

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::{Extractor, Injector, Values};

/// The names spanlite's propagators use, made at compile time. A name
/// parsed from a `&str` is validated on every call and, not being a
/// standard HTTP header, copied into a new allocation on every `set`.
///
/// `const`s rather than one `static` array: a name is then built in place
/// where it is used, where cloning a shared one costs an indirect call
/// (and, moved on through a `Result`, a store-forwarding stall on every
/// header set).
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
const BAGGAGE: HeaderName = HeaderName::from_static("baggage");
const B3: HeaderName = HeaderName::from_static("b3");
const B3_TRACE_ID: HeaderName = HeaderName::from_static("x-b3-traceid");
const B3_SPAN_ID: HeaderName = HeaderName::from_static("x-b3-spanid");
const B3_PARENT_SPAN_ID: HeaderName = HeaderName::from_static("x-b3-parentspanid");
const B3_SAMPLED: HeaderName = HeaderName::from_static("x-b3-sampled");
const B3_FLAGS: HeaderName = HeaderName::from_static("x-b3-flags");
const UBER_TRACE_ID: HeaderName = HeaderName::from_static("uber-trace-id");

/// The ready-made name for `key`, when it is one of the names above as
/// written. A `match` on the string branches on the length first.
#[inline]
fn known(key: &str) -> Option<HeaderName> {
    Some(match key {
        "traceparent" => TRACEPARENT,
        "tracestate" => TRACESTATE,
        "baggage" => BAGGAGE,
        "b3" => B3,
        "x-b3-traceid" => B3_TRACE_ID,
        "x-b3-spanid" => B3_SPAN_ID,
        "x-b3-parentspanid" => B3_PARENT_SPAN_ID,
        "x-b3-sampled" => B3_SAMPLED,
        "x-b3-flags" => B3_FLAGS,
        "uber-trace-id" => UBER_TRACE_ID,
        _ => return None,
    })
}

/// A key that is not a valid header name, or a value that is not a valid
/// header value, is skipped: the header is not set.
impl Injector for HeaderMap {
    fn set(&mut self, key: &str, value: String) {
        let name = match known(key) {
            Some(name) => Ok(name),
            None => HeaderName::from_bytes(key.as_bytes()),
        };
        let (Ok(name), Ok(value)) = (name, HeaderValue::try_from(value)) else {
            return;
        };
        self.insert(name, value);
    }
}

/// Values that are not visible ASCII (and so not `&str`) are skipped.
impl Extractor for HeaderMap {
    fn get(&self, key: &str) -> Option<&str> {
        Extractor::get_all(self, key).next()
    }

    fn get_all(&self, key: &str) -> Values<'_> {
        match known(key) {
            Some(name) => Values::header(HeaderMap::get_all(self, name).iter()),
            None => Values::header(HeaderMap::get_all(self, key).iter()),
        }
    }

    fn keys(&self) -> Vec<&str> {
        HeaderMap::keys(self).map(HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_map_lookup_ignores_case() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", HeaderValue::from_static("x"));
        assert_eq!(Extractor::get(&headers, "TraceParent"), Some("x"));
    }

    #[test]
    fn repeated_headers_are_visible_through_get_all() {
        let mut headers = HeaderMap::new();
        headers.append("tracestate", HeaderValue::from_static("a=1"));
        headers.append("tracestate", HeaderValue::from_static("b=2"));
        let all: Vec<&str> = Extractor::get_all(&headers, "tracestate").collect();
        assert_eq!(all, ["a=1", "b=2"]);
    }

    #[test]
    fn non_ascii_header_values_are_skipped() {
        let mut headers = HeaderMap::new();
        headers.append("baggage", HeaderValue::from_bytes(b"a=\xff").unwrap());
        headers.append("baggage", HeaderValue::from_static("b=2"));
        assert_eq!(Extractor::get(&headers, "baggage"), Some("b=2"));
        let all: Vec<&str> = Extractor::get_all(&headers, "baggage").collect();
        assert_eq!(all, ["b=2"]);
    }

    #[test]
    fn an_invalid_header_name_finds_nothing() {
        let mut headers = HeaderMap::new();
        headers.insert("b3", HeaderValue::from_static("0"));
        assert_eq!(Extractor::get(&headers, "b 3\n"), None);
        assert_eq!(Extractor::get_all(&headers, "").count(), 0);
    }

    #[test]
    fn set_lowercases_the_name_and_replaces_earlier_values() {
        let mut headers = HeaderMap::new();
        headers.append("x-b3-traceid", HeaderValue::from_static("old"));
        headers.append("x-b3-traceid", HeaderValue::from_static("older"));
        headers.set("X-B3-TraceId", "new".to_owned());
        let all: Vec<&str> = Extractor::get_all(&headers, "x-b3-traceid").collect();
        assert_eq!(all, ["new"]);
        assert_eq!(Extractor::keys(&headers), ["x-b3-traceid"]);
    }

    #[test]
    fn known_names_are_valid_lowercase_header_names() {
        let names = [
            "traceparent",
            "tracestate",
            "baggage",
            "b3",
            "x-b3-traceid",
            "x-b3-spanid",
            "x-b3-parentspanid",
            "x-b3-sampled",
            "x-b3-flags",
            "uber-trace-id",
        ];
        for name in names {
            let parsed = HeaderName::from_bytes(name.as_bytes()).unwrap();
            assert_eq!(known(name), Some(parsed));
        }
        assert_eq!(known("TraceParent"), None);
        let mut headers = HeaderMap::new();
        headers.set("traceparent", "a".to_owned());
        headers.set("TRACEPARENT", "b".to_owned());
        assert_eq!(
            Extractor::get_all(&headers, "traceparent").collect::<Vec<_>>(),
            ["b"]
        );
    }

    #[test]
    fn set_skips_invalid_names_and_values() {
        let mut headers = HeaderMap::new();
        headers.set("bad name", "v".to_owned());
        headers.set("good", "line\nbreak".to_owned());
        assert!(headers.is_empty());
    }
}
