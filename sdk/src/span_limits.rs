//! How much one span may hold.

use crate::env;

/// Limits on what a span keeps; anything past them is dropped and counted.
/// Defaults are the spec's (128 of each, no value length limit), overridden
/// by the `OTEL_*_LIMIT` environment variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanLimits {
    attribute_count: usize,
    attribute_value_length: Option<usize>,
    event_count: usize,
    link_count: usize,
    attributes_per_event: usize,
    attributes_per_link: usize,
}

impl Default for SpanLimits {
    fn default() -> SpanLimits {
        SpanLimits {
            attribute_count: 128,
            attribute_value_length: None,
            event_count: 128,
            link_count: 128,
            attributes_per_event: 128,
            attributes_per_link: 128,
        }
    }
}

impl SpanLimits {
    /// The defaults, with the environment's overrides:
    ///
    /// | variable | default |
    /// |---|---|
    /// | `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` (else `OTEL_ATTRIBUTE_COUNT_LIMIT`) | 128 |
    /// | `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (else `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`) | none |
    /// | `OTEL_SPAN_EVENT_COUNT_LIMIT` | 128 |
    /// | `OTEL_SPAN_LINK_COUNT_LIMIT` | 128 |
    /// | `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT` | 128 |
    /// | `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` | 128 |
    pub fn from_env() -> SpanLimits {
        let d = SpanLimits::default();
        SpanLimits {
            attribute_count: env::unsigned("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT")
                .or_else(|| env::unsigned("OTEL_ATTRIBUTE_COUNT_LIMIT"))
                .unwrap_or(d.attribute_count),
            attribute_value_length: env::unsigned("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT")
                .or_else(|| env::unsigned("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")),
            event_count: env::unsigned("OTEL_SPAN_EVENT_COUNT_LIMIT").unwrap_or(d.event_count),
            link_count: env::unsigned("OTEL_SPAN_LINK_COUNT_LIMIT").unwrap_or(d.link_count),
            attributes_per_event: env::unsigned("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT")
                .unwrap_or(d.attributes_per_event),
            attributes_per_link: env::unsigned("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT")
                .unwrap_or(d.attributes_per_link),
        }
    }

    /// Most attributes a span keeps.
    pub fn attribute_count(&self) -> usize {
        self.attribute_count
    }

    /// Longest string attribute value, in characters (`None`: unlimited).
    pub fn attribute_value_length(&self) -> Option<usize> {
        self.attribute_value_length
    }

    /// Most events a span keeps.
    pub fn event_count(&self) -> usize {
        self.event_count
    }

    /// Most links a span keeps.
    pub fn link_count(&self) -> usize {
        self.link_count
    }

    /// Most attributes an event keeps.
    pub fn attributes_per_event(&self) -> usize {
        self.attributes_per_event
    }

    /// Most attributes a link keeps.
    pub fn attributes_per_link(&self) -> usize {
        self.attributes_per_link
    }

    /// These limits with another attribute count.
    pub fn with_attribute_count(mut self, limit: usize) -> Self {
        self.attribute_count = limit;
        self
    }

    /// These limits with a value length limit (`None`: unlimited).
    pub fn with_attribute_value_length(mut self, limit: Option<usize>) -> Self {
        self.attribute_value_length = limit;
        self
    }

    /// These limits with another event count.
    pub fn with_event_count(mut self, limit: usize) -> Self {
        self.event_count = limit;
        self
    }

    /// These limits with another link count.
    pub fn with_link_count(mut self, limit: usize) -> Self {
        self.link_count = limit;
        self
    }

    /// These limits with another per-event attribute count.
    pub fn with_attributes_per_event(mut self, limit: usize) -> Self {
        self.attributes_per_event = limit;
        self
    }

    /// These limits with another per-link attribute count.
    pub fn with_attributes_per_link(mut self, limit: usize) -> Self {
        self.attributes_per_link = limit;
        self
    }
}
