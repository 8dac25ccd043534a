//! The entity that produces telemetry: a service, its host, the SDK.

use std::sync::Arc;

use crate::{diagnostics, env, Key, KeyValue, StringValue, Value};

/// `service.name`.
pub const SERVICE_NAME: Key = Key::new("service.name");
const SDK_NAME: Key = Key::new("telemetry.sdk.name");
const SDK_LANGUAGE: Key = Key::new("telemetry.sdk.language");
const SDK_VERSION: Key = Key::new("telemetry.sdk.version");

/// Attributes describing what produces the spans. Cloning is cheap.
///
/// Built from, lowest precedence first: the SDK's own attributes and the
/// fallback `service.name` `unknown_service:<executable>`;
/// `OTEL_RESOURCE_ATTRIBUTES`; `OTEL_SERVICE_NAME`; what the builder was given.
///
/// ```
/// use spanlite::Resource;
/// let resource = Resource::builder().with_service_name("checkout").build();
/// assert_eq!(resource.service_name(), Some("checkout"));
/// assert_eq!(resource.get("telemetry.sdk.name").map(|v| v.to_string()).as_deref(), Some("spanlite"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    attributes: Arc<[KeyValue]>,
    schema_url: Option<StringValue>,
}

impl Default for Resource {
    fn default() -> Resource {
        Resource::builder().build()
    }
}

impl Resource {
    /// A builder that starts from the SDK and environment attributes.
    pub fn builder() -> ResourceBuilder {
        let mut builder = ResourceBuilder::empty();
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        builder.set(SERVICE_NAME.string(format!("unknown_service:{exe}")));
        builder.set(SDK_NAME.string("spanlite"));
        builder.set(SDK_LANGUAGE.string("rust"));
        builder.set(SDK_VERSION.string(env!("CARGO_PKG_VERSION")));
        if let Some(raw) = env::string("OTEL_RESOURCE_ATTRIBUTES") {
            match parse_key_value_list(&raw) {
                Ok(pairs) => pairs
                    .into_iter()
                    .for_each(|(k, v)| builder.set(KeyValue::new(k, v))),
                Err(why) => diagnostics::warn(
                    "invalid_env_var",
                    format_args!("OTEL_RESOURCE_ATTRIBUTES discarded: {why}"),
                ),
            }
        }
        if let Some(name) = env::string("OTEL_SERVICE_NAME") {
            builder.set(SERVICE_NAME.string(name));
        }
        builder
    }

    /// A resource with exactly these attributes, nothing detected.
    pub fn new(attributes: impl IntoIterator<Item = KeyValue>) -> Resource {
        let mut builder = ResourceBuilder::empty();
        attributes.into_iter().for_each(|kv| builder.set(kv));
        builder.build()
    }

    /// The attributes, each key once.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|kv| kv.key().as_str() == key)
            .map(KeyValue::value)
    }

    /// `service.name`, when it is a string.
    pub fn service_name(&self) -> Option<&str> {
        self.get(SERVICE_NAME.as_str()).and_then(Value::as_str)
    }

    /// The schema URL.
    pub fn schema_url(&self) -> Option<&str> {
        self.schema_url.as_deref()
    }
}

/// Builds a [`Resource`]; a later value for a key replaces an earlier one.
#[derive(Debug, Clone, Default)]
pub struct ResourceBuilder {
    attributes: Vec<KeyValue>,
    schema_url: Option<StringValue>,
}

impl ResourceBuilder {
    /// A builder with nothing detected.
    pub fn empty() -> ResourceBuilder {
        ResourceBuilder::default()
    }

    fn set(&mut self, kv: KeyValue) {
        match self.attributes.iter_mut().find(|a| a.key() == kv.key()) {
            Some(existing) => *existing = kv,
            None => self.attributes.push(kv),
        }
    }

    /// Sets `service.name`.
    pub fn with_service_name(mut self, name: impl Into<StringValue>) -> Self {
        self.set(SERVICE_NAME.string(name));
        self
    }

    /// Sets one attribute.
    pub fn with_attribute(mut self, attribute: KeyValue) -> Self {
        self.set(attribute);
        self
    }

    /// Sets attributes.
    pub fn with_attributes(mut self, attributes: impl IntoIterator<Item = KeyValue>) -> Self {
        attributes.into_iter().for_each(|kv| self.set(kv));
        self
    }

    /// Sets the schema URL.
    pub fn with_schema_url(mut self, schema_url: impl Into<StringValue>) -> Self {
        self.schema_url = Some(schema_url.into());
        self
    }

    /// The resource.
    pub fn build(self) -> Resource {
        Resource {
            attributes: self.attributes.into(),
            schema_url: self.schema_url,
        }
    }
}

/// Parses the `key1=value1,key2=value2` lists of the OpenTelemetry
/// environment variables (`OTEL_RESOURCE_ATTRIBUTES`,
/// `OTEL_EXPORTER_OTLP_HEADERS`): keys and values trimmed and
/// percent-decoded, empty members skipped. Any malformed member rejects the
/// whole list, as the spec asks; the error says which.
///
/// ```
/// let pairs = spanlite::parse_key_value_list("team=core, note=a%2Cb").unwrap();
/// assert_eq!(pairs, [("team".to_owned(), "core".to_owned()), ("note".to_owned(), "a,b".to_owned())]);
/// assert!(spanlite::parse_key_value_list("a=1,broken").is_err());
/// ```
pub fn parse_key_value_list(raw: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for member in raw.split(',') {
        let member = member.trim();
        if member.is_empty() {
            continue;
        }
        let (key, value) = member
            .split_once('=')
            .ok_or_else(|| format!("member {member:?} has no '='"))?;
        let key = percent_decode(key.trim())?;
        if key.is_empty() {
            return Err(format!("member {member:?} has an empty key"));
        }
        let value = percent_decode(value.trim())?;
        out.push((key, value));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| hex_digit(*b));
            let lo = bytes.get(i + 2).and_then(|b| hex_digit(*b));
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(format!("bad percent-encoding in {s:?}")),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} does not decode to UTF-8"))
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_attributes_are_percent_decoded() {
        let parsed = parse_key_value_list("deployment.environment=prod%20eu, team=a%2Cb").unwrap();
        assert_eq!(
            parsed[0],
            ("deployment.environment".to_owned(), "prod eu".to_owned())
        );
        assert_eq!(parsed[1].1, "a,b");
    }

    #[test]
    fn a_malformed_member_discards_the_whole_variable() {
        assert!(parse_key_value_list("a=1,broken,b=2").is_err());
        assert!(parse_key_value_list("a=%zz").is_err());
        assert!(parse_key_value_list("=1").is_err());
        assert!(parse_key_value_list("a=%ff").is_err());
    }

    #[test]
    fn a_later_value_for_a_key_replaces_the_earlier_one() {
        let resource = Resource::new([KeyValue::new("k", 1), KeyValue::new("k", 2)]);
        assert_eq!(resource.attributes().len(), 1);
        assert_eq!(resource.get("k"), Some(&Value::I64(2)));
    }
}
