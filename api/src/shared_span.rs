//! The span a [`Context`](crate::Context) carries, as seen by code that only
//! has the context: a shared, object-safe handle.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::{KeyValue, SpanContext, Status, StringValue};

/// A recording span that several places may hold at once (a Context made
/// current, a `tracing` span). Implemented by the SDK; every method takes
/// `&self`, so implementations synchronise inside.
pub trait SharedSpan: Send + Sync + fmt::Debug {
    /// The span's identity.
    fn span_context(&self) -> &SpanContext;

    /// Whether the span still records (it has not ended).
    fn is_recording(&self) -> bool;

    /// Sets an attribute; a later value for the same key replaces it.
    fn set_attribute(&self, attribute: KeyValue);

    /// Adds an event; `timestamp` `None` means now.
    fn add_event(
        &self,
        name: StringValue,
        timestamp: Option<SystemTime>,
        attributes: Vec<KeyValue>,
    );

    /// Adds a link to another span.
    fn add_link(&self, span_context: SpanContext, attributes: Vec<KeyValue>);

    /// Sets the status, with the spec's precedence (Ok is final).
    fn set_status(&self, status: Status);

    /// Replaces the name.
    fn update_name(&self, name: StringValue);

    /// Ends the span; `timestamp` `None` means now. Later calls do nothing.
    fn end(&self, timestamp: Option<SystemTime>);

    /// Ends the span as [`end`](Self::end) does, through a handle the
    /// caller gives up. When it is the last handle, an implementation may
    /// keep the span's storage for a later span instead of freeing it; the
    /// default just ends the span and drops the handle.
    fn end_and_release(self: Arc<Self>, timestamp: Option<SystemTime>) {
        self.end(timestamp);
    }
}

/// A borrowed view of the span in a Context: the active span, a span
/// context alone (remote or not sampled), or nothing. Every operation is a
/// no-op on a span that does not record.
#[derive(Clone, Copy)]
pub struct SpanRef<'a> {
    span_context: &'a SpanContext,
    active: Option<&'a dyn SharedSpan>,
}

impl<'a> SpanRef<'a> {
    #[inline]
    pub(crate) fn new(span_context: &'a SpanContext, active: Option<&'a dyn SharedSpan>) -> Self {
        SpanRef {
            span_context,
            active,
        }
    }

    /// The span's identity; invalid when the context has no span.
    #[inline]
    pub fn span_context(&self) -> &'a SpanContext {
        self.span_context
    }

    /// Whether the span records.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.active.is_some_and(|s| s.is_recording())
    }

    /// Sets an attribute.
    pub fn set_attribute(&self, attribute: KeyValue) {
        if let Some(span) = self.active {
            span.set_attribute(attribute);
        }
    }

    /// Adds an event now.
    pub fn add_event(&self, name: impl Into<StringValue>, attributes: Vec<KeyValue>) {
        if let Some(span) = self.active {
            span.add_event(name.into(), None, attributes);
        }
    }

    /// Adds a link.
    pub fn add_link(&self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        if let Some(span) = self.active {
            span.add_link(span_context, attributes);
        }
    }

    /// Records an error as an `exception` event (type and message), per
    /// the semantic conventions. It does not change the status.
    pub fn record_exception<E: std::error::Error + ?Sized>(&self, error: &E) {
        if let Some(span) = self.active {
            span.add_event(
                StringValue::from_static("exception"),
                None,
                crate::exception_attributes(error, None),
            );
        }
    }

    /// Sets the status.
    pub fn set_status(&self, status: Status) {
        if let Some(span) = self.active {
            span.set_status(status);
        }
    }

    /// Replaces the name.
    pub fn update_name(&self, name: impl Into<StringValue>) {
        if let Some(span) = self.active {
            span.update_name(name.into());
        }
    }

    /// Ends the span now.
    pub fn end(&self) {
        if let Some(span) = self.active {
            span.end(None);
        }
    }

    /// Ends the span at `timestamp`.
    pub fn end_with_timestamp(&self, timestamp: SystemTime) {
        if let Some(span) = self.active {
            span.end(Some(timestamp));
        }
    }
}

impl fmt::Debug for SpanRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanRef")
            .field("span_context", self.span_context)
            .field("recording", &self.is_recording())
            .finish()
    }
}
