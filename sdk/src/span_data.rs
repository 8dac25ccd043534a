//! A span's recorded data: filled in while the span runs, read by
//! processors and exporters once it ends. The storage is recycled.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::clock;
use crate::tracer::TracerShared;
use crate::{
    InstrumentationScope, KeyValue, Link, Resource, SpanContext, SpanId, SpanKind, Status,
    StringValue,
};

/// Everything a recording span holds. Crate-private: the public view is
/// [`SpanData`]. Its vectors keep their capacity when it is recycled.
#[derive(Debug, Default)]
pub(crate) struct SpanRecord {
    /// The tracer that started the span; kept across recycling so that a
    /// record reused by the same tracer needs no reference-count traffic.
    pub(crate) tracer: Option<Arc<TracerShared>>,
    pub(crate) span_context: SpanContext,
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_is_remote: bool,
    pub(crate) name: StringValue,
    pub(crate) kind: SpanKind,
    pub(crate) start_unix_nanos: u64,
    pub(crate) end_unix_nanos: u64,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) dropped_attributes: u32,
    pub(crate) events: Vec<Event>,
    pub(crate) dropped_events: u32,
    pub(crate) links: Vec<Link>,
    pub(crate) dropped_links: u32,
    pub(crate) status: Status,
    /// Whether this span already reported that a limit dropped something.
    pub(crate) limit_reported: bool,
}

impl SpanRecord {
    /// Empties the record's collections and counters for reuse, keeping
    /// vector capacity and the tracer. Identity, name, kind and times are
    /// not touched: starting a span overwrites them all.
    #[inline]
    pub(crate) fn reset(&mut self) {
        // Attributes built from constants (the usual case) own nothing:
        // they are forgotten in place; only the others are dropped, without
        // moving any out or calling the generic drop of a plain value.
        let len = self.attributes.len();
        let base = self.attributes.as_mut_ptr();
        // SAFETY: the length is cleared first, so the vector never again
        // reaches these elements, even if a drop below panics (they would
        // leak, never be dropped twice). Each of the `len` elements was
        // initialised and is visited once: dropped in place when it owns
        // something, forgotten (nothing to free) otherwise.
        unsafe {
            self.attributes.set_len(0);
            for i in 0..len {
                let attribute = base.add(i);
                if !(*attribute).is_static() {
                    std::ptr::drop_in_place(attribute);
                }
            }
        }
        self.dropped_attributes = 0;
        self.events.clear();
        self.dropped_events = 0;
        self.links.clear();
        self.dropped_links = 0;
        self.status = Status::Unset;
        self.limit_reported = false;
    }
}

/// A finished span, as processors and exporters see it. Cloning shares the
/// data (one reference count), so several processors never copy a span.
#[derive(Clone)]
pub struct SpanData(pub(crate) Arc<SpanRecord>);

impl SpanData {
    /// The span's identity.
    pub fn span_context(&self) -> &SpanContext {
        &self.0.span_context
    }

    /// The parent's span id; invalid for a root span.
    pub fn parent_span_id(&self) -> SpanId {
        self.0.parent_span_id
    }

    /// Whether the parent came from another process.
    pub fn parent_is_remote(&self) -> bool {
        self.0.parent_is_remote
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The kind.
    pub fn kind(&self) -> SpanKind {
        self.0.kind
    }

    /// Start, in nanoseconds since the Unix epoch.
    pub fn start_unix_nanos(&self) -> u64 {
        self.0.start_unix_nanos
    }

    /// End, in nanoseconds since the Unix epoch.
    pub fn end_unix_nanos(&self) -> u64 {
        self.0.end_unix_nanos
    }

    /// Start time.
    pub fn start_time(&self) -> SystemTime {
        clock::from_unix_nanos(self.0.start_unix_nanos)
    }

    /// End time.
    pub fn end_time(&self) -> SystemTime {
        clock::from_unix_nanos(self.0.end_unix_nanos)
    }

    /// The attributes, each key once.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.0.attributes
    }

    /// Attributes the limits dropped.
    pub fn dropped_attributes_count(&self) -> u32 {
        self.0.dropped_attributes
    }

    /// The events, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.0.events
    }

    /// Events the limits dropped.
    pub fn dropped_events_count(&self) -> u32 {
        self.0.dropped_events
    }

    /// The links.
    pub fn links(&self) -> &[Link] {
        &self.0.links
    }

    /// Links the limits dropped.
    pub fn dropped_links_count(&self) -> u32 {
        self.0.dropped_links
    }

    /// The status.
    pub fn status(&self) -> &Status {
        &self.0.status
    }

    /// The instrumentation scope of the tracer that made the span.
    pub fn instrumentation_scope(&self) -> &InstrumentationScope {
        static EMPTY: std::sync::OnceLock<InstrumentationScope> = std::sync::OnceLock::new();
        match &self.0.tracer {
            Some(tracer) => &tracer.scope,
            None => EMPTY.get_or_init(InstrumentationScope::default),
        }
    }

    /// The resource of the provider that made the span.
    pub fn resource(&self) -> Option<&Resource> {
        self.0.tracer.as_ref().map(|t| &t.provider.resource)
    }
}

impl fmt::Debug for SpanData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &*self.0;
        f.debug_struct("SpanData")
            .field("name", &r.name)
            .field("span_context", &r.span_context)
            .field("parent_span_id", &r.parent_span_id)
            .field("kind", &r.kind)
            .field("start_unix_nanos", &r.start_unix_nanos)
            .field("end_unix_nanos", &r.end_unix_nanos)
            .field("attributes", &r.attributes)
            .field("events", &r.events)
            .field("links", &r.links)
            .field("status", &r.status)
            .finish()
    }
}

/// Something that happened at one moment during a span.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    name: StringValue,
    unix_nanos: u64,
    attributes: Vec<KeyValue>,
    dropped_attributes: u32,
}

impl Event {
    pub(crate) fn new(
        name: StringValue,
        unix_nanos: u64,
        attributes: Vec<KeyValue>,
        dropped_attributes: u32,
    ) -> Event {
        Event {
            name,
            unix_nanos,
            attributes,
            dropped_attributes,
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When, in nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> u64 {
        self.unix_nanos
    }

    /// When.
    pub fn timestamp(&self) -> SystemTime {
        clock::from_unix_nanos(self.unix_nanos)
    }

    /// The attributes.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }

    /// Attributes the limits dropped.
    pub fn dropped_attributes_count(&self) -> u32 {
        self.dropped_attributes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_forgets_static_attributes_and_drops_owned_ones() {
        let shared: Arc<str> = Arc::from("a shared value");
        let mut record = SpanRecord::default();
        record.attributes.push(KeyValue::new("static", "value"));
        record.attributes.push(KeyValue::new("number", 7));
        record.reset();
        assert!(record.attributes.is_empty());
        assert!(record.attributes.capacity() >= 2, "storage is kept");

        record.attributes.push(KeyValue::new("static", true));
        record
            .attributes
            .push(KeyValue::new("shared", StringValue::from(shared.clone())));
        record
            .attributes
            .push(KeyValue::new(String::from("owned key"), 1.5));
        assert_eq!(Arc::strong_count(&shared), 2);
        record.reset();
        assert!(record.attributes.is_empty());
        assert_eq!(
            Arc::strong_count(&shared),
            1,
            "the shared value was dropped"
        );
    }
}
