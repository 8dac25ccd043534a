//! Which spans a rule of [`RuleBased`](crate::RuleBased) applies to.

use std::fmt;

use spanlite_api::{Key, KeyValue, SpanKind, Value};

use crate::SamplingParams;

/// A condition on a span about to start: its name (exact or prefix), its
/// kind, and the values of its start attributes. Every condition given must
/// hold; a matcher with none matches every span.
///
/// Attribute conditions look at the attributes given at span start (the
/// only ones a sampler sees). When a key appears more than once, the last
/// value counts. String values match exactly or by prefix; other values
/// match when equal (`Value::I64(1)` does not equal `Value::F64(1.0)`, and
/// NaN equals nothing).
///
/// ```
/// use spanlite_api::{KeyValue, SpanKind};
/// use spanlite_samplers::SpanMatcher;
///
/// let checkout = SpanMatcher::new()
///     .name_prefix("POST /checkout")
///     .kind(SpanKind::Server)
///     .attribute("tenant.tier", "gold");
/// assert_eq!(
///     checkout.to_string(),
///     r#"name^="POST /checkout" kind=server tenant.tier="gold""#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanMatcher {
    name: Option<TextMatch>,
    kind: Option<SpanKind>,
    attributes: Vec<(Key, ValueMatch)>,
}

#[derive(Debug, Clone, PartialEq)]
enum TextMatch {
    Exact(String),
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq)]
enum ValueMatch {
    Exact(Value),
    Prefix(String),
}

impl SpanMatcher {
    /// A matcher without conditions: it matches every span.
    pub fn new() -> SpanMatcher {
        SpanMatcher::default()
    }

    /// Only spans named exactly `name` (replaces an earlier name condition).
    pub fn name(mut self, name: impl Into<String>) -> SpanMatcher {
        self.name = Some(TextMatch::Exact(name.into()));
        self
    }

    /// Only spans whose name starts with `prefix` (replaces an earlier name
    /// condition).
    pub fn name_prefix(mut self, prefix: impl Into<String>) -> SpanMatcher {
        self.name = Some(TextMatch::Prefix(prefix.into()));
        self
    }

    /// Only spans of this kind (replaces an earlier kind condition).
    pub fn kind(mut self, kind: SpanKind) -> SpanMatcher {
        self.kind = Some(kind);
        self
    }

    /// Only spans started with attribute `key` equal to `value`.
    pub fn attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> SpanMatcher {
        self.attributes
            .push((key.into(), ValueMatch::Exact(value.into())));
        self
    }

    /// Only spans started with a string attribute `key` whose value starts
    /// with `prefix`. Values that are not strings do not match.
    pub fn attribute_prefix(
        mut self,
        key: impl Into<Key>,
        prefix: impl Into<String>,
    ) -> SpanMatcher {
        self.attributes
            .push((key.into(), ValueMatch::Prefix(prefix.into())));
        self
    }

    /// Whether the span described by `params` meets every condition.
    pub fn matches(&self, params: &SamplingParams<'_>) -> bool {
        let name_ok = match &self.name {
            None => true,
            Some(TextMatch::Exact(name)) => params.name == name.as_str(),
            Some(TextMatch::Prefix(prefix)) => params.name.starts_with(prefix.as_str()),
        };
        name_ok
            && self.kind.is_none_or(|kind| kind == params.kind)
            && self.attributes.iter().all(|(key, wanted)| {
                match last_value(params.attributes, key) {
                    None => false,
                    Some(value) => match wanted {
                        ValueMatch::Exact(wanted) => value == wanted,
                        ValueMatch::Prefix(prefix) => value
                            .as_str()
                            .is_some_and(|s| s.starts_with(prefix.as_str())),
                    },
                }
            })
    }
}

fn last_value<'a>(attributes: &'a [KeyValue], key: &Key) -> Option<&'a Value> {
    attributes
        .iter()
        .rev()
        .find(|kv| kv.key() == key)
        .map(KeyValue::value)
}

/// Conditions separated by spaces: `name="..."`, `name^="..."` (prefix),
/// `kind=server`, `key=value`, `key^="..."`; `*` when there are none.
impl fmt::Display for SpanMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        match &self.name {
            Some(TextMatch::Exact(name)) => parts.push(format!("name={name:?}")),
            Some(TextMatch::Prefix(prefix)) => parts.push(format!("name^={prefix:?}")),
            None => {}
        }
        if let Some(kind) = self.kind {
            parts.push(format!("kind={kind}"));
        }
        for (key, wanted) in &self.attributes {
            parts.push(match wanted {
                ValueMatch::Exact(Value::String(s)) => format!("{key}={:?}", s.as_str()),
                ValueMatch::Exact(value) => format!("{key}={value}"),
                ValueMatch::Prefix(prefix) => format!("{key}^={prefix:?}"),
            });
        }
        if parts.is_empty() {
            f.write_str("*")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spanlite_api::{Context, TraceId};

    fn matches(matcher: &SpanMatcher, name: &str, kind: SpanKind, attributes: &[KeyValue]) -> bool {
        let cx = Context::new();
        let params =
            SamplingParams::new(&cx, TraceId::from_int(1), name, kind).with_attributes(attributes);
        matcher.matches(&params)
    }

    #[test]
    fn a_matcher_without_conditions_matches_every_span() {
        assert!(matches(
            &SpanMatcher::new(),
            "anything",
            SpanKind::Producer,
            &[]
        ));
        assert_eq!(SpanMatcher::new().to_string(), "*");
    }

    #[test]
    fn an_exact_name_matches_only_that_name() {
        let m = SpanMatcher::new().name("GET /health");
        assert!(matches(&m, "GET /health", SpanKind::Server, &[]));
        assert!(!matches(&m, "GET /healthz", SpanKind::Server, &[]));
        assert!(!matches(&m, "GET /", SpanKind::Server, &[]));
    }

    #[test]
    fn a_name_prefix_matches_names_that_start_with_it() {
        let m = SpanMatcher::new().name_prefix("payment.");
        assert!(matches(&m, "payment.charge", SpanKind::Internal, &[]));
        assert!(matches(&m, "payment.", SpanKind::Internal, &[]));
        assert!(!matches(&m, "payments", SpanKind::Internal, &[]));
    }

    #[test]
    fn a_kind_matches_only_that_kind() {
        let m = SpanMatcher::new().kind(SpanKind::Consumer);
        assert!(matches(&m, "x", SpanKind::Consumer, &[]));
        assert!(!matches(&m, "x", SpanKind::Producer, &[]));
    }

    #[test]
    fn string_attributes_match_exactly_or_by_prefix() {
        let exact = SpanMatcher::new().attribute("http.route", "/api/v1");
        let prefix = SpanMatcher::new().attribute_prefix("http.route", "/api/");
        let v1 = [KeyValue::new("http.route", "/api/v1")];
        let v2 = [KeyValue::new("http.route", "/api/v2")];
        assert!(matches(&exact, "x", SpanKind::Server, &v1));
        assert!(!matches(&exact, "x", SpanKind::Server, &v2));
        assert!(matches(&prefix, "x", SpanKind::Server, &v2));
        assert!(!matches(
            &prefix,
            "x",
            SpanKind::Server,
            &[KeyValue::new("http.route", "/web")]
        ));
    }

    #[test]
    fn other_values_match_only_when_equal_and_never_by_prefix() {
        let error = SpanMatcher::new().attribute("error", true);
        assert!(matches(
            &error,
            "x",
            SpanKind::Internal,
            &[KeyValue::new("error", true)]
        ));
        assert!(!matches(
            &error,
            "x",
            SpanKind::Internal,
            &[KeyValue::new("error", false)]
        ));
        // A string "true" is not the bool true.
        assert!(!matches(
            &error,
            "x",
            SpanKind::Internal,
            &[KeyValue::new("error", "true")]
        ));
        let one = SpanMatcher::new().attribute("n", 1_i64);
        assert!(!matches(
            &one,
            "x",
            SpanKind::Internal,
            &[KeyValue::new("n", 1.0)]
        ));
        let prefix = SpanMatcher::new().attribute_prefix("n", "1");
        assert!(!matches(
            &prefix,
            "x",
            SpanKind::Internal,
            &[KeyValue::new("n", 1_i64)]
        ));
        let nan = SpanMatcher::new().attribute("x", f64::NAN);
        assert!(!matches(
            &nan,
            "x",
            SpanKind::Internal,
            &[KeyValue::new("x", f64::NAN)]
        ));
    }

    #[test]
    fn a_missing_attribute_does_not_match() {
        let m = SpanMatcher::new().attribute("error", true);
        assert!(!matches(&m, "x", SpanKind::Internal, &[]));
    }

    #[test]
    fn the_last_value_of_a_repeated_key_counts() {
        let m = SpanMatcher::new().attribute("error", true);
        let attrs = [KeyValue::new("error", true), KeyValue::new("error", false)];
        assert!(!matches(&m, "x", SpanKind::Internal, &attrs));
    }

    #[test]
    fn every_condition_must_hold() {
        let m = SpanMatcher::new()
            .name_prefix("GET ")
            .kind(SpanKind::Server)
            .attribute("a", 1_i64)
            .attribute("b", "x");
        let both = [KeyValue::new("a", 1_i64), KeyValue::new("b", "x")];
        assert!(matches(&m, "GET /", SpanKind::Server, &both));
        assert!(!matches(&m, "GET /", SpanKind::Client, &both));
        assert!(!matches(&m, "PUT /", SpanKind::Server, &both));
        assert!(!matches(&m, "GET /", SpanKind::Server, &both[..1]));
    }

    #[test]
    fn a_later_name_or_kind_condition_replaces_the_earlier_one() {
        let m = SpanMatcher::new()
            .name("a")
            .name_prefix("b")
            .kind(SpanKind::Client)
            .kind(SpanKind::Server);
        assert!(matches(&m, "bee", SpanKind::Server, &[]));
        assert!(!matches(&m, "a", SpanKind::Server, &[]));
        assert!(!matches(&m, "bee", SpanKind::Client, &[]));
    }
}
