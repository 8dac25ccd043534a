//! Links from a span to spans of other traces or other parts of a trace.

use crate::{KeyValue, SpanContext};

/// A link to another span, with attributes describing it.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    span_context: SpanContext,
    attributes: Vec<KeyValue>,
    dropped_attributes_count: u32,
}

impl Link {
    /// A link to `span_context` with `attributes`.
    pub fn new(span_context: SpanContext, attributes: Vec<KeyValue>) -> Link {
        Link {
            span_context,
            attributes,
            dropped_attributes_count: 0,
        }
    }

    /// The linked span.
    pub fn span_context(&self) -> &SpanContext {
        &self.span_context
    }

    /// The link's attributes.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }

    /// How many attributes the span limits dropped.
    pub fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes_count
    }

    /// Keeps at most `max` attributes, counting the rest as dropped.
    pub fn limit_attributes(&mut self, max: usize) {
        if self.attributes.len() > max {
            let dropped = self.attributes.len() - max;
            self.attributes.truncate(max);
            self.dropped_attributes_count = self
                .dropped_attributes_count
                .saturating_add(u32::try_from(dropped).unwrap_or(u32::MAX));
        }
    }

    /// The attributes, to change in place (e.g. value truncation).
    pub fn attributes_mut(&mut self) -> &mut [KeyValue] {
        &mut self.attributes
    }
}
