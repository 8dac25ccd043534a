//! Carriers: where propagators write headers ([`Injector`]) and read them
//! ([`Extractor`]), with implementations for `HashMap<String, String>`.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;

/// Something a propagator writes header fields into.
pub trait Injector {
    /// Sets `key` to `value`, replacing any earlier value of `key`.
    fn set(&mut self, key: &str, value: String);
}

/// Something a propagator reads header fields from. Keys are matched
/// ignoring ASCII case, as HTTP header names are.
pub trait Extractor {
    /// The first value of `key`.
    fn get(&self, key: &str) -> Option<&str>;

    /// Every value of `key`, in order: a header sent more than once gives
    /// several. The default gives [`get`](Extractor::get)'s value alone.
    fn get_all(&self, key: &str) -> Values<'_> {
        Values::from(self.get(key))
    }

    /// The keys, each once.
    fn keys(&self) -> Vec<&str>;
}

/// The values of one key in an [`Extractor`], in order. It does not
/// allocate for a key given once or not at all.
///
/// ```
/// use spanlite_propagation::Values;
/// let values = Values::from(vec!["a=1", "b=2"]);
/// assert_eq!(values.collect::<Vec<_>>(), ["a=1", "b=2"]);
/// assert_eq!(Values::from(None).count(), 0);
/// ```
pub struct Values<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    One(Option<&'a str>),
    Many(std::vec::IntoIter<&'a str>),
    #[cfg(feature = "http")]
    Header(http::header::ValueIter<'a, http::HeaderValue>),
}

impl<'a> Values<'a> {
    #[cfg(feature = "http")]
    pub(crate) fn header(values: http::header::ValueIter<'a, http::HeaderValue>) -> Values<'a> {
        Values {
            inner: Inner::Header(values),
        }
    }
}

impl<'a> From<Option<&'a str>> for Values<'a> {
    fn from(value: Option<&'a str>) -> Values<'a> {
        Values {
            inner: Inner::One(value),
        }
    }
}

impl<'a> From<Vec<&'a str>> for Values<'a> {
    fn from(values: Vec<&'a str>) -> Values<'a> {
        Values {
            inner: Inner::Many(values.into_iter()),
        }
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match &mut self.inner {
            Inner::One(value) => value.take(),
            Inner::Many(values) => values.next(),
            // A value that is not visible ASCII is skipped, not an error.
            #[cfg(feature = "http")]
            Inner::Header(values) => values.find_map(|v| v.to_str().ok()),
        }
    }
}

impl fmt::Debug for Values<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Values { .. }")
    }
}

/// Keys are stored as given; setting a key first removes any key that
/// differs from it only in case.
impl<S: BuildHasher> Injector for HashMap<String, String, S> {
    fn set(&mut self, key: &str, value: String) {
        self.retain(|k, _| !k.eq_ignore_ascii_case(key));
        self.insert(key.to_owned(), value);
    }
}

/// Lookups ignore ASCII case. Keys that differ only in case count as one
/// repeated key: `get_all` gives their values ordered by key.
impl<S: BuildHasher> Extractor for HashMap<String, String, S> {
    fn get(&self, key: &str) -> Option<&str> {
        if let Some(value) = HashMap::get(self, key) {
            return Some(value);
        }
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    fn get_all(&self, key: &str) -> Values<'_> {
        let mut matches = self.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key));
        let Some(first) = matches.next() else {
            return Values::from(None);
        };
        let Some(second) = matches.next() else {
            return Values::from(Some(first.1.as_str()));
        };
        let mut all: Vec<(&String, &String)> = vec![first, second];
        all.extend(matches);
        all.sort();
        Values::from(all.into_iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>())
    }

    fn keys(&self) -> Vec<&str> {
        HashMap::keys(self).map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_map_lookup_ignores_case() {
        let map = HashMap::from([("TraceParent".to_owned(), "x".to_owned())]);
        assert_eq!(Extractor::get(&map, "traceparent"), Some("x"));
        assert_eq!(Extractor::get(&map, "TRACEPARENT"), Some("x"));
        assert_eq!(Extractor::get(&map, "tracestate"), None);
    }

    #[test]
    fn hash_map_keys_differing_in_case_are_a_repeated_key() {
        let map = HashMap::from([
            ("tracestate".to_owned(), "b=2".to_owned()),
            ("TraceState".to_owned(), "a=1".to_owned()),
        ]);
        let all: Vec<&str> = map.get_all("TRACESTATE").collect();
        assert_eq!(all, ["a=1", "b=2"]);
    }

    #[test]
    fn hash_map_set_replaces_a_key_of_other_case() {
        let mut map = HashMap::from([("TraceParent".to_owned(), "old".to_owned())]);
        map.set("traceparent", "new".to_owned());
        assert_eq!(map.len(), 1);
        assert_eq!(map.get("traceparent").map(String::as_str), Some("new"));
    }

    #[test]
    fn default_get_all_gives_the_single_value() {
        struct One;
        impl Extractor for One {
            fn get(&self, key: &str) -> Option<&str> {
                (key == "k").then_some("v")
            }
            fn keys(&self) -> Vec<&str> {
                vec!["k"]
            }
        }
        assert_eq!(One.get_all("k").collect::<Vec<_>>(), ["v"]);
        assert_eq!(One.get_all("other").count(), 0);
    }
}
