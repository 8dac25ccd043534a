//! The library that produced a span.

use crate::{KeyValue, StringValue};

/// Names the instrumentation library a tracer belongs to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstrumentationScope {
    name: StringValue,
    version: Option<StringValue>,
    schema_url: Option<StringValue>,
    attributes: Vec<KeyValue>,
}

impl InstrumentationScope {
    /// A scope with only a name.
    pub fn new(name: impl Into<StringValue>) -> InstrumentationScope {
        InstrumentationScope {
            name: name.into(),
            ..InstrumentationScope::default()
        }
    }

    /// This scope with a version.
    pub fn with_version(mut self, version: impl Into<StringValue>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// This scope with a schema URL.
    pub fn with_schema_url(mut self, schema_url: impl Into<StringValue>) -> Self {
        self.schema_url = Some(schema_url.into());
        self
    }

    /// This scope with attributes.
    pub fn with_attributes(mut self, attributes: impl IntoIterator<Item = KeyValue>) -> Self {
        self.attributes = attributes.into_iter().collect();
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The schema URL.
    pub fn schema_url(&self) -> Option<&str> {
        self.schema_url.as_deref()
    }

    /// The attributes.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }
}
