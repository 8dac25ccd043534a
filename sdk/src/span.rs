//! The span an application holds while an operation runs.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::record_pool;
use crate::span_data::SpanRecord;
use crate::unique_record::UniqueRecord;
use crate::{
    clock, diagnostics, exception_attributes, Context, Event, KeyValue, Link, SharedSpan,
    SpanContext, SpanData, SpanLimits, Status, StringValue,
};

/// A span in progress. Owned by one place at a time, so recording needs no
/// lock. Ends when [`end`](Span::end) is called or when dropped.
///
/// A span that is not sampled holds only its [`SpanContext`]: every method
/// is a no-op and nothing is allocated or timed.
pub struct Span {
    span_context: SpanContext,
    record: Option<UniqueRecord>,
}

impl Span {
    pub(crate) fn recording(record: UniqueRecord) -> Span {
        Span {
            span_context: record.span_context.clone(),
            record: Some(record),
        }
    }

    pub(crate) fn non_recording(span_context: SpanContext) -> Span {
        Span {
            span_context,
            record: None,
        }
    }

    /// The span's identity.
    pub fn span_context(&self) -> &SpanContext {
        &self.span_context
    }

    /// Whether the span records (sampled or record-only, and not ended).
    pub fn is_recording(&self) -> bool {
        self.record.is_some()
    }

    #[inline]
    fn record(&mut self) -> Option<(&mut SpanRecord, SpanLimits)> {
        let record = &mut **self.record.as_mut()?;
        let limits = record.limits();
        Some((record, limits))
    }

    /// Sets an attribute; a later value for the same key replaces the
    /// earlier one. Past the attribute count limit, new keys are dropped and
    /// counted.
    #[inline(always)]
    pub fn set_attribute(&mut self, attribute: KeyValue) {
        // Inlined so that a span that does not record costs one test, and
        // the attribute (often built from constants) is never materialised.
        match self.record.as_mut() {
            Some(record) => record.set_attribute_within_limits(attribute),
            None => discard(attribute),
        }
    }

    /// Sets several attributes.
    pub fn set_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        if let Some((record, limits)) = self.record() {
            for attribute in attributes {
                record.set_attribute(attribute, &limits);
            }
        }
    }

    /// Adds an event that happens now.
    pub fn add_event(&mut self, name: impl Into<StringValue>, attributes: Vec<KeyValue>) {
        if let Some((record, limits)) = self.record() {
            record.add_event(name.into(), clock::now(), attributes, &limits);
        }
    }

    /// Adds an event that happened at `timestamp`.
    pub fn add_event_with_timestamp(
        &mut self,
        name: impl Into<StringValue>,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) {
        if let Some((record, limits)) = self.record() {
            let at = clock::to_unix_nanos(timestamp);
            record.add_event(name.into(), at, attributes, &limits);
        }
    }

    /// Adds a link to another span. Links to invalid span contexts are kept
    /// only when they carry attributes or a trace state, as the spec allows.
    pub fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        if let Some((record, limits)) = self.record() {
            record.add_link(Link::new(span_context, attributes), &limits);
        }
    }

    /// Records an error as an `exception` event with `exception.type` and
    /// `exception.message`. The status is left alone: set it separately.
    pub fn record_exception<E: std::error::Error + ?Sized>(&mut self, error: &E) {
        if self.is_recording() {
            self.add_event("exception", exception_attributes(error, None));
        }
    }

    /// Records an error with a stack trace (`exception.stacktrace`).
    pub fn record_exception_with_stacktrace<E: std::error::Error + ?Sized>(
        &mut self,
        error: &E,
        stacktrace: impl Into<String>,
    ) {
        if self.is_recording() {
            let attributes = exception_attributes(error, Some(stacktrace.into()));
            self.add_event("exception", attributes);
        }
    }

    /// Sets the status: `Ok` is final, `Unset` is ignored, and `Error`
    /// replaces `Unset` or an earlier `Error`.
    pub fn set_status(&mut self, status: Status) {
        if let Some((record, _)) = self.record() {
            record.status.update(status);
        }
    }

    /// Replaces the name.
    pub fn update_name(&mut self, name: impl Into<StringValue>) {
        if let Some((record, _)) = self.record() {
            record.name = name.into();
        }
    }

    /// Ends the span now. Later calls, and the drop, do nothing.
    #[inline]
    pub fn end(&mut self) {
        self.finish(None);
    }

    /// Ends the span at `timestamp` (never before its start).
    pub fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        self.finish(Some(clock::to_unix_nanos(timestamp)));
    }

    /// Ends the span at `timestamp`, or now when `None`.
    fn end_at(&mut self, timestamp: Option<SystemTime>) {
        self.finish(timestamp.map(clock::to_unix_nanos));
    }

    #[inline]
    fn finish(&mut self, end_unix_nanos: Option<u64>) {
        if let Some(record) = self.record.take() {
            Span::finish_recording(record, end_unix_nanos);
        }
    }

    fn finish_recording(mut record: UniqueRecord, end_unix_nanos: Option<u64>) {
        let end = end_unix_nanos.unwrap_or_else(clock::now);
        record.end_unix_nanos = end.max(record.start_unix_nanos);
        let data = SpanData(record.into_shared());
        if let Some(tracer) = data.0.tracer.as_deref() {
            tracer.provider.end_span(&data);
        }
        // Nobody kept the span: reuse its record rather than free it.
        if let Some(record) = UniqueRecord::from_shared(data.0) {
            record_pool::give_back(record);
        }
    }

    /// A context like `parent` with this span as its span, to make current
    /// or to pass as an explicit parent. A span that does not record is
    /// carried as its span context alone, without allocating.
    pub fn into_context(self, parent: &Context) -> Context {
        if self.is_recording() {
            let cell: Arc<dyn SharedSpan> = cell_pool::holding(self);
            parent.with_span(cell)
        } else {
            parent.with_span_context(self.span_context.clone())
        }
    }
}

impl Drop for Span {
    #[inline]
    fn drop(&mut self) {
        self.finish(None);
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Span")
            .field("span_context", &self.span_context)
            .field("recording", &self.is_recording())
            .finish()
    }
}

impl SpanRecord {
    /// The limits of the provider that started the span.
    #[inline]
    fn limits(&self) -> SpanLimits {
        self.tracer
            .as_ref()
            .map(|t| t.provider.limits)
            .unwrap_or_default()
    }

    /// [`set_attribute`](Self::set_attribute) under the span's own limits.
    /// The common case (a new key, room left, no length limit) is inlined
    /// so the attribute goes straight into the record's storage (passed
    /// through the stack instead, its parts are written in pieces and read
    /// back whole, which stalls the read).
    #[inline(always)]
    pub(crate) fn set_attribute_within_limits(&mut self, attribute: KeyValue) {
        let Some(tracer) = self.tracer.as_deref() else {
            return self.set_attribute(attribute, &SpanLimits::default());
        };
        let limits = &tracer.provider.limits;
        let (count, length) = (limits.attribute_count(), limits.attribute_value_length());
        let len = self.attributes.len();
        if length.is_none()
            && len < count
            && len < self.attributes.capacity()
            && !self.attributes.iter().any(|a| a.key() == attribute.key())
        {
            self.attributes.push(attribute);
        } else {
            self.set_attribute_limited(attribute, count, length);
        }
    }

    pub(crate) fn set_attribute(&mut self, attribute: KeyValue, limits: &SpanLimits) {
        self.set_attribute_limited(
            attribute,
            limits.attribute_count(),
            limits.attribute_value_length(),
        );
    }

    #[inline(never)]
    fn set_attribute_limited(
        &mut self,
        mut attribute: KeyValue,
        max_count: usize,
        max_length: Option<usize>,
    ) {
        if let Some(max) = max_length {
            attribute.value_mut().truncate_strings(max);
        }
        if let Some(existing) = self
            .attributes
            .iter_mut()
            .find(|a| a.key() == attribute.key())
        {
            *existing = attribute;
        } else if self.attributes.len() < max_count {
            self.attributes.push(attribute);
        } else {
            self.dropped_attributes = self.dropped_attributes.saturating_add(1);
            self.report_limit("attributes");
        }
    }

    fn add_event(
        &mut self,
        name: StringValue,
        unix_nanos: u64,
        mut attributes: Vec<KeyValue>,
        limits: &SpanLimits,
    ) {
        if self.events.len() >= limits.event_count() {
            self.dropped_events = self.dropped_events.saturating_add(1);
            self.report_limit("events");
            return;
        }
        let dropped = limit_attributes(&mut attributes, limits.attributes_per_event(), limits);
        if dropped > 0 {
            self.report_limit("event attributes");
        }
        self.events
            .push(Event::new(name, unix_nanos, attributes, dropped));
    }

    pub(crate) fn add_link(&mut self, mut link: Link, limits: &SpanLimits) {
        let cx = link.span_context();
        if !cx.is_valid() && link.attributes().is_empty() && cx.trace_state().is_empty() {
            return;
        }
        if self.links.len() >= limits.link_count() {
            self.dropped_links = self.dropped_links.saturating_add(1);
            self.report_limit("links");
            return;
        }
        let before = link.dropped_attributes_count();
        link.limit_attributes(limits.attributes_per_link());
        if let Some(max) = limits.attribute_value_length() {
            for kv in link.attributes_mut() {
                kv.value_mut().truncate_strings(max);
            }
        }
        if link.dropped_attributes_count() > before {
            self.report_limit("link attributes");
        }
        self.links.push(link);
    }

    /// Logs that a limit discarded something, at most once per span.
    fn report_limit(&mut self, what: &str) {
        if !self.limit_reported {
            self.limit_reported = true;
            diagnostics::warn(
                "span_limit_reached",
                format_args!(
                    "span {:?}: {what} past the span limits were dropped",
                    self.name
                ),
            );
        }
    }
}

/// Drops an attribute a span does not record. Inlined, so that an
/// attribute built from constants (which owns nothing: see
/// [`KeyValue::is_static`]) is forgotten without a call to the generic drop
/// of a `Value`, which is too large to be inlined on its own.
#[inline(always)]
fn discard(attribute: KeyValue) {
    if attribute.is_static() {
        std::mem::forget(attribute);
    } else {
        drop(attribute);
    }
}

/// Keeps at most `max` attributes, truncating values; returns how many
/// were dropped.
fn limit_attributes(attributes: &mut Vec<KeyValue>, max: usize, limits: &SpanLimits) -> u32 {
    let dropped = attributes.len().saturating_sub(max);
    attributes.truncate(max);
    if let Some(len) = limits.attribute_value_length() {
        for kv in attributes.iter_mut() {
            kv.value_mut().truncate_strings(len);
        }
    }
    u32::try_from(dropped).unwrap_or(u32::MAX)
}

/// A recording span shared through a [`Context`]: the owned [`Span`] behind
/// a mutex, which only code holding the context touches.
struct SpanCell {
    span_context: SpanContext,
    /// Set once the span has ended: whether it records, without the lock.
    ended: AtomicBool,
    span: Mutex<Span>,
}

impl SpanCell {
    fn new(span: Span) -> SpanCell {
        SpanCell {
            span_context: span.span_context.clone(),
            ended: AtomicBool::new(false),
            span: Mutex::new(span),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Span)) {
        let mut span = self.span.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut span);
    }
}

impl fmt::Debug for SpanCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanCell")
            .field("span_context", &self.span_context)
            .finish()
    }
}

impl SharedSpan for SpanCell {
    fn span_context(&self) -> &SpanContext {
        &self.span_context
    }

    fn is_recording(&self) -> bool {
        !self.ended.load(Ordering::Acquire)
    }

    fn set_attribute(&self, attribute: KeyValue) {
        self.with(|s| s.set_attribute(attribute));
    }

    fn add_event(
        &self,
        name: StringValue,
        timestamp: Option<SystemTime>,
        attributes: Vec<KeyValue>,
    ) {
        self.with(|s| match timestamp {
            Some(at) => s.add_event_with_timestamp(name, at, attributes),
            None => s.add_event(name, attributes),
        });
    }

    fn add_link(&self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        self.with(|s| s.add_link(span_context, attributes));
    }

    fn set_status(&self, status: Status) {
        self.with(|s| s.set_status(status));
    }

    fn update_name(&self, name: StringValue) {
        self.with(|s| s.update_name(name));
    }

    fn end_and_release(mut self: Arc<Self>, timestamp: Option<SystemTime>) {
        match Arc::get_mut(&mut self) {
            // The last handle: no lock to take, and the cell is kept for
            // the thread's next shared span.
            Some(cell) => {
                let span = cell.span.get_mut().unwrap_or_else(|e| e.into_inner());
                span.end_at(timestamp);
                *cell.ended.get_mut() = true;
                cell_pool::give_back(self);
            }
            None => self.end(timestamp),
        }
    }

    fn end(&self, timestamp: Option<SystemTime>) {
        self.with(|s| {
            s.end_at(timestamp);
            // Under the lock: a span seen ended has ended.
            self.ended.store(true, Ordering::Release);
        });
    }
}

/// Ended span cells kept per thread, so that sharing a span through a
/// context (as the `tracing` bridge does for every span) reuses a cell
/// instead of allocating one and freeing it at the end.
mod cell_pool {
    use std::cell::RefCell;
    use std::sync::Arc;

    use super::{Span, SpanCell};

    /// How many cells a thread keeps.
    const KEEP: usize = 32;

    thread_local! {
        static CELLS: RefCell<Vec<Arc<SpanCell>>> = const { RefCell::new(Vec::new()) };
    }

    /// A cell holding `span`: a kept one when the thread has one.
    #[inline]
    pub(super) fn holding(span: Span) -> Arc<SpanCell> {
        let kept = CELLS
            .try_with(|cells| cells.try_borrow_mut().ok().and_then(|mut c| c.pop()))
            .ok()
            .flatten();
        // Only cells nothing else holds are kept; should one be shared
        // anyway, it is left to its holders.
        if let Some(mut kept) = kept {
            if let Some(cell) = Arc::get_mut(&mut kept) {
                *cell = SpanCell::new(span);
                return kept;
            }
        }
        Arc::new(SpanCell::new(span))
    }

    /// Keeps an ended cell that nothing else holds.
    pub(super) fn give_back(cell: Arc<SpanCell>) {
        let _ = CELLS.try_with(|cells| {
            if let Ok(mut cells) = cells.try_borrow_mut() {
                if cells.len() < KEEP {
                    if cells.capacity() == 0 {
                        cells.reserve_exact(KEEP);
                    }
                    cells.push(cell);
                }
            }
        });
    }
}
