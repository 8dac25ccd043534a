//! Tracers: where spans start.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::span_data::SpanRecord;
use crate::tracer_provider::ProviderInner;
use crate::unique_record::UniqueRecord;
use crate::{
    clock, record_pool, Context, InstrumentationScope, KeyValue, Link, RandomIdGenerator,
    SamplingDecision, SamplingParams, Span, SpanContext, SpanId, SpanKind, SpanLimits, StringValue,
    TraceFlags, TraceId,
};

/// What a tracer shares with the spans it starts.
#[derive(Debug)]
pub(crate) struct TracerShared {
    pub(crate) scope: InstrumentationScope,
    pub(crate) provider: Arc<ProviderInner>,
}

/// Starts spans for one instrumentation scope. Cheap to clone.
///
/// ```
/// use spanlite::{KeyValue, TracerProvider};
/// let provider = TracerProvider::builder().build();
/// let tracer = provider.tracer("checkout");
/// let mut span = tracer.start("charge card");
/// span.set_attribute(KeyValue::new("payment.method", "card"));
/// span.end();
/// ```
#[derive(Clone)]
pub struct Tracer(pub(crate) Arc<TracerShared>);

impl Tracer {
    /// Starts a span whose parent is the current context's span.
    pub fn start(&self, name: impl Into<StringValue>) -> Span {
        Context::map_current(|parent| self.start_with_context(name, parent))
    }

    /// Starts a span whose parent is `parent`'s span.
    #[inline(always)]
    pub fn start_with_context(&self, name: impl Into<StringValue>, parent: &Context) -> Span {
        if self.drops_everything() {
            // The name is not even converted.
            return self.dropped_span(parent);
        }
        self.decide_and_start_plain(name.into(), parent)
    }

    /// Starts a span whose parent is `parent`'s span, with the name, kind
    /// and attributes that `fields` sets: for code that gathers them by
    /// visiting something (a bridge from another tracing library), so
    /// nothing is collected twice.
    ///
    /// When the sampler [decides by the context
    /// alone](crate::Sampler::decides_by_context_alone) (`AlwaysOn`, ratio
    /// and parent-based samplers), it is asked first and `fields` writes
    /// straight into the started span; otherwise `fields` runs first and
    /// the sampler sees what it set, as with a [`SpanBuilder`]. `fields` is
    /// not called for a span already known not to record.
    ///
    /// ```
    /// use spanlite::{Context, KeyValue, SpanKind, TracerProvider};
    /// let provider = TracerProvider::builder().build();
    /// let tracer = provider.tracer("bridge");
    /// let span = tracer.start_with_fields("request", &Context::new(), |fields| {
    ///     fields.set_kind(SpanKind::Server);
    ///     fields.add_attribute(KeyValue::new("http.route", "/users/{id}"));
    /// });
    /// assert!(span.is_recording());
    /// ```
    #[inline]
    pub fn start_with_fields(
        &self,
        name: impl Into<StringValue>,
        parent: &Context,
        fields: impl FnOnce(&mut StartFields<'_>),
    ) -> Span {
        if self.drops_everything() {
            return self.dropped_span(parent);
        }
        let name = name.into();
        let provider = &*self.0.provider;
        if !provider.context_only_sampler {
            // The sampler may read the fields: gather them first.
            let mut start = SpanStart::named(name);
            start.attributes = spare_attributes::take();
            fields(&mut StartFields {
                target: FieldsTarget::Start(&mut start),
            });
            return self.start_span(parent, start);
        }
        self.decide_and_begin(name, parent, |record| {
            fields(&mut StartFields {
                target: FieldsTarget::Record(record),
            });
            settle_attributes(record, &provider.limits);
        })
    }

    /// A builder for a span with a kind, attributes, links, a start time or
    /// an explicit parent.
    pub fn span_builder(&self, name: impl Into<StringValue>) -> SpanBuilder<'_> {
        let mut start = SpanStart::named(name.into());
        start.attributes = spare_attributes::take();
        SpanBuilder {
            tracer: self,
            start,
            parent: None,
        }
    }

    /// Runs `f` inside a new span that is current for its duration (the
    /// context `f` receives is the current one), then ends the span.
    pub fn in_span<T>(&self, name: impl Into<StringValue>, f: impl FnOnce(&Context) -> T) -> T {
        let span = self.start(name);
        let cx = Context::map_current(|parent| span.into_context(parent));
        let guard = cx.clone().attach();
        let out = f(&cx);
        drop(guard);
        cx.span().end();
        out
    }

    /// The tracer's scope.
    pub fn instrumentation_scope(&self) -> &InstrumentationScope {
        &self.0.scope
    }

    /// The sampler-asking rest of [`start_with_context`](Self::start_with_context):
    /// a span with a name alone. Nothing but the name travels: the record
    /// is filled in place, without the builder's parts (moved through
    /// memory, and tested, even when they are empty).
    #[inline(never)]
    fn decide_and_start_plain(&self, name: StringValue, parent: &Context) -> Span {
        self.decide_and_begin(name, parent, |_| {})
    }

    /// Asks the sampler about an internal span named `name` (none records
    /// once the provider is shut down), and when it records, takes a
    /// record and fills it in place: identity, the sampler's attributes,
    /// then whatever `fields` writes; then stamps the start and begins the
    /// span.
    #[inline(always)]
    fn decide_and_begin(
        &self,
        name: StringValue,
        parent: &Context,
        fields: impl FnOnce(&mut SpanRecord),
    ) -> Span {
        if !self.0.provider.is_active() {
            return Span::non_recording(SpanContext::INVALID);
        }
        let parent_ref = parent.span();
        let parent_cx = parent_ref.span_context();
        let kind = SpanKind::Internal;
        let (decision, sampler_attributes, span_context) =
            self.decide(parent, parent_cx, &name, kind, &[], &[]);
        if !decision.is_recording() {
            return Span::non_recording(span_context);
        }
        let mut record = record_pool::take();
        self.fill(&mut record, span_context, parent_cx, name, kind);
        // The sampler's attributes first: one set by `fields` with the same
        // key replaces it.
        add_sampler_attributes(&mut record, sampler_attributes);
        fields(&mut record);
        record.start_unix_nanos = clock::now();
        self.begin(record, parent)
    }

    /// A new span's ids, and what the sampler says of it: the decision,
    /// the attributes it adds and the span context (sampled flag and trace
    /// state applied).
    #[inline(always)]
    fn decide(
        &self,
        parent: &Context,
        parent_cx: &SpanContext,
        name: &str,
        kind: SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> (SamplingDecision, Vec<KeyValue>, SpanContext) {
        let provider = &*self.0.provider;
        let (trace_id, span_id, inherited_flags) = new_ids(provider, parent_cx);
        let (decision, sampler_attributes, trace_state) = match provider.constant_decision {
            Some(decision) => (decision, Vec::new(), None),
            None => {
                let params = SamplingParams::new(parent, trace_id, name, kind)
                    .with_attributes(attributes)
                    .with_links(links);
                (*provider.sampler).should_sample(&params).into_parts()
            }
        };
        let flags = inherited_flags.with_sampled(decision.is_sampled());
        let trace_state = trace_state.unwrap_or_else(|| parent_cx.trace_state().clone());
        let span_context = SpanContext::new(trace_id, span_id, flags, false, trace_state);
        (decision, sampler_attributes, span_context)
    }

    /// A span from a builder: the AlwaysOff shortcut, else the sampler.
    #[inline(never)]
    fn start_span(&self, parent: &Context, start: SpanStart) -> Span {
        if self.drops_everything() {
            start.discard();
            return self.dropped_span(parent);
        }
        if !self.0.provider.is_active() {
            start.discard();
            return Span::non_recording(SpanContext::INVALID);
        }
        let parent_ref = parent.span();
        let parent_cx = parent_ref.span_context();
        let (decision, sampler_attributes, span_context) = self.decide(
            parent,
            parent_cx,
            &start.name,
            start.kind,
            &start.attributes,
            &start.links,
        );
        if !decision.is_recording() {
            start.discard();
            return Span::non_recording(span_context);
        }
        self.start_recording(span_context, parent, sampler_attributes, start)
    }

    /// Whether the sampler drops every span (`AlwaysOff`) and the provider
    /// is running: then [`dropped_span`](Self::dropped_span) is the span,
    /// and the sampler need not be asked.
    #[inline(always)]
    fn drops_everything(&self) -> bool {
        let provider = &*self.0.provider;
        provider.constant_decision == Some(SamplingDecision::Drop) && provider.is_active()
    }

    /// A span that `AlwaysOff` dropped: its span context alone, made
    /// inline.
    #[inline(always)]
    fn dropped_span(&self, parent: &Context) -> Span {
        let provider = &*self.0.provider;
        let parent_ref = parent.span();
        let parent_cx = parent_ref.span_context();
        let (trace_id, span_id, flags) = new_ids(provider, parent_cx);
        Span::non_recording(SpanContext::new(
            trace_id,
            span_id,
            flags.with_sampled(false),
            false,
            parent_cx.trace_state().clone(),
        ))
    }

    /// The part of [`start_span`](Self::start_span) that only recording
    /// spans need.
    #[inline(always)]
    fn start_recording(
        &self,
        span_context: SpanContext,
        parent: &Context,
        sampler_attributes: Vec<KeyValue>,
        start: SpanStart,
    ) -> Span {
        let SpanStart {
            name,
            kind,
            mut attributes,
            links,
            start_time,
        } = start;
        let provider = &*self.0.provider;
        let parent_ref = parent.span();
        let parent_cx = parent_ref.span_context();
        let mut record = record_pool::take();
        self.fill(&mut record, span_context, parent_cx, name, kind);
        let r = &mut *record;
        r.start_unix_nanos = match start_time {
            Some(at) => clock::to_unix_nanos(at),
            None => clock::now(),
        };
        // The sampler's attributes first: a builder's with the same key
        // replaces one.
        add_sampler_attributes(r, sampler_attributes);
        if !attributes.is_empty() {
            if r.attributes.is_empty() {
                // The builder's vector becomes the record's, and the
                // record's empty one the next builder's: nothing is moved.
                std::mem::swap(&mut r.attributes, &mut attributes);
            } else {
                r.attributes.append(&mut attributes);
            }
            settle_attributes(r, &provider.limits);
        }
        spare_attributes::give_back(attributes);
        if !links.is_empty() {
            let limits = provider.limits;
            for link in links {
                r.add_link(link, &limits);
            }
        }
        self.begin(record, parent)
    }

    /// Writes a starting span's identity, name and kind into its record
    /// (a recycled record keeps its old ones until overwritten here).
    #[inline(always)]
    fn fill(
        &self,
        r: &mut SpanRecord,
        span_context: SpanContext,
        parent_cx: &SpanContext,
        name: StringValue,
        kind: SpanKind,
    ) {
        if !r.tracer.as_ref().is_some_and(|t| Arc::ptr_eq(t, &self.0)) {
            r.tracer = Some(self.0.clone());
        }
        r.span_context = span_context;
        let has_parent = parent_cx.is_valid();
        r.parent_span_id = if has_parent {
            parent_cx.span_id()
        } else {
            SpanId::INVALID
        };
        r.parent_is_remote = has_parent && parent_cx.is_remote();
        r.end_unix_nanos = 0;
        r.name = name;
        r.kind = kind;
    }

    /// The recording span over a filled record, once the processors that
    /// want to have seen it start.
    #[inline(always)]
    fn begin(&self, record: UniqueRecord, parent: &Context) -> Span {
        let span = Span::recording(record);
        if self.0.provider.on_start {
            return self.on_start(span, parent);
        }
        span
    }

    #[inline(never)]
    fn on_start(&self, mut span: Span, parent: &Context) -> Span {
        for processor in &self.0.provider.processors {
            processor.on_start(&mut span, parent);
        }
        span
    }
}

/// Sets a sampler's attributes (rare) on a starting span, under its
/// limits; a test alone when there are none.
#[inline(always)]
fn add_sampler_attributes(record: &mut SpanRecord, attributes: Vec<KeyValue>) {
    if attributes.is_empty() {
        discard(attributes);
    } else {
        add_attributes(record, attributes);
    }
}

#[inline(never)]
fn add_attributes(record: &mut SpanRecord, attributes: Vec<KeyValue>) {
    for attribute in attributes {
        record.set_attribute_within_limits(attribute);
    }
}

/// Brings a starting span's attributes, put in whole (a builder's or a
/// caller's fields after the sampler's), under the span limits, as if they
/// had been set one by one: the last value of a repeated key in the first
/// one's place. The usual few distinct keys without a length limit are
/// left as they are.
#[inline(always)]
fn settle_attributes(record: &mut SpanRecord, limits: &SpanLimits) {
    if !record.attributes.is_empty() && !fit_whole(&record.attributes, limits) {
        set_again(record);
    }
}

/// Sets a starting span's attributes again one by one, into a spare
/// vector: no allocation once warm.
#[inline(never)]
fn set_again(record: &mut SpanRecord) {
    let mut attributes = std::mem::replace(&mut record.attributes, spare_attributes::take());
    for attribute in attributes.drain(..) {
        record.set_attribute_within_limits(attribute);
    }
    spare_attributes::give_back(attributes);
}

/// Whether start attributes can become a span's attributes as they are:
/// a few, within the count limit, no value length limit, no key twice (the
/// last of a repeated key would have to win).
#[inline]
fn fit_whole(attributes: &[KeyValue], limits: &SpanLimits) -> bool {
    const MAX_CHECKED: usize = 8;
    let n = attributes.len();
    n > 0
        && n <= MAX_CHECKED
        && n <= limits.attribute_count()
        && limits.attribute_value_length().is_none()
        && attributes
            .iter()
            .enumerate()
            .all(|(i, a)| attributes[..i].iter().all(|b| b.key() != a.key()))
}

/// The name, kind and attributes of a span about to start, as
/// [`Tracer::start_with_fields`] gathers them.
pub struct StartFields<'a> {
    target: FieldsTarget<'a>,
}

/// Where [`StartFields`] writes.
enum FieldsTarget<'a> {
    /// The started span's record (the sampler has decided).
    Record(&'a mut SpanRecord),
    /// The parts the sampler will be asked about.
    Start(&'a mut SpanStart),
}

impl StartFields<'_> {
    /// Replaces the name.
    pub fn set_name(&mut self, name: impl Into<StringValue>) {
        let name = name.into();
        match &mut self.target {
            FieldsTarget::Record(record) => record.name = name,
            FieldsTarget::Start(start) => start.name = name,
        }
    }

    /// Sets the kind (default `Internal`).
    pub fn set_kind(&mut self, kind: SpanKind) {
        match &mut self.target {
            FieldsTarget::Record(record) => record.kind = kind,
            FieldsTarget::Start(start) => start.kind = kind,
        }
    }

    /// Adds a start attribute. As on a span, a later value for the same
    /// key replaces an earlier one, and the span limits apply (once all
    /// the fields are set).
    #[inline]
    pub fn add_attribute(&mut self, attribute: KeyValue) {
        let attributes = match &mut self.target {
            FieldsTarget::Record(record) => &mut record.attributes,
            FieldsTarget::Start(start) => &mut start.attributes,
        };
        attributes.push(attribute);
    }
}

impl Extend<KeyValue> for StartFields<'_> {
    fn extend<I: IntoIterator<Item = KeyValue>>(&mut self, attributes: I) {
        for attribute in attributes {
            self.add_attribute(attribute);
        }
    }
}

impl fmt::Debug for StartFields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, kind, attributes) = match &self.target {
            FieldsTarget::Record(record) => (&record.name, record.kind, &record.attributes),
            FieldsTarget::Start(start) => (&start.name, start.kind, &start.attributes),
        };
        f.debug_struct("StartFields")
            .field("name", name)
            .field("kind", &kind)
            .field("attributes", attributes)
            .finish()
    }
}

/// What a span starts with besides its parent: a builder's parts.
struct SpanStart {
    name: StringValue,
    kind: SpanKind,
    attributes: Vec<KeyValue>,
    links: Vec<Link>,
    start_time: Option<SystemTime>,
}

impl SpanStart {
    /// An internal span with a name alone.
    #[inline(always)]
    fn named(name: StringValue) -> SpanStart {
        SpanStart {
            name,
            kind: SpanKind::Internal,
            attributes: Vec::new(),
            links: Vec::new(),
            start_time: None,
        }
    }

    /// Drops the parts of a span that does not record; the attribute
    /// vector's storage goes back for the thread's next builder.
    #[inline(always)]
    fn discard(self) {
        spare_attributes::give_back(self.attributes);
        discard(self.links);
        drop(self.name);
    }
}

/// Drops a vector; a test alone when it never allocated (the usual, empty
/// case), instead of a call to its generic drop.
#[inline(always)]
fn discard<T>(vector: Vec<T>) {
    if vector.capacity() == 0 {
        std::mem::forget(vector);
    } else {
        drop_vector(vector);
    }
}

#[inline(never)]
fn drop_vector<T>(vector: Vec<T>) {
    drop(vector);
}

/// A new span's trace id, span id and the trace flags it inherits (the
/// sampled flag is the sampler's to set): the parent's trace, or a new one.
#[inline(always)]
fn new_ids(provider: &ProviderInner, parent_cx: &SpanContext) -> (TraceId, SpanId, TraceFlags) {
    let ids = provider.id_generator.as_deref();
    if parent_cx.is_valid() {
        let span_id = match ids {
            None => RandomIdGenerator::span_id(),
            Some(ids) => ids.new_span_id(),
        };
        (
            parent_cx.trace_id(),
            span_id,
            parent_cx.trace_flags().known(),
        )
    } else {
        let random = TraceFlags::NONE.with_random(provider.random_trace_flag);
        let (trace_id, span_id) = match ids {
            None => RandomIdGenerator::root_ids(),
            Some(ids) => (ids.new_trace_id(), ids.new_span_id()),
        };
        (trace_id, span_id, random)
    }
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("scope", &self.0.scope)
            .finish()
    }
}

/// Describes a span before it starts. From [`Tracer::span_builder`].
///
/// ```
/// use spanlite::{KeyValue, SpanKind, TracerProvider};
/// let provider = TracerProvider::builder().build();
/// let tracer = provider.tracer("api");
/// let span = tracer
///     .span_builder("GET /users/{id}")
///     .with_kind(SpanKind::Server)
///     .with_attributes([KeyValue::new("http.request.method", "GET")])
///     .start();
/// assert!(span.is_recording());
/// ```
pub struct SpanBuilder<'a> {
    tracer: &'a Tracer,
    start: SpanStart,
    parent: Option<&'a Context>,
}

impl<'a> SpanBuilder<'a> {
    /// Sets the kind (default `Internal`).
    pub fn with_kind(mut self, kind: SpanKind) -> Self {
        self.start.kind = kind;
        self
    }

    /// Replaces the name given to [`Tracer::span_builder`].
    pub fn with_name(mut self, name: impl Into<StringValue>) -> Self {
        self.start.name = name.into();
        self
    }

    /// Adds start attributes; the sampler sees them.
    pub fn with_attributes(mut self, attributes: impl IntoIterator<Item = KeyValue>) -> Self {
        if self.start.attributes.capacity() == 0 {
            // Without spare storage, a vector given whole keeps its own:
            // collecting a vector's own iterator reuses it.
            self.start.attributes = attributes.into_iter().collect();
        } else {
            self.start.attributes.extend(attributes);
        }
        self
    }

    /// Adds links; the sampler sees them.
    pub fn with_links(mut self, links: impl IntoIterator<Item = Link>) -> Self {
        self.start.links.extend(links);
        self
    }

    /// Sets an explicit start time (default: now).
    pub fn with_start_time(mut self, start: SystemTime) -> Self {
        self.start.start_time = Some(start);
        self
    }

    /// Sets an explicit parent (default: the current context).
    pub fn with_parent(mut self, parent: &'a Context) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Starts the span.
    pub fn start(self) -> Span {
        let SpanBuilder {
            tracer,
            start,
            parent,
        } = self;
        match parent {
            Some(parent) => tracer.start_span(parent, start),
            None => Context::map_current(|parent| tracer.start_span(parent, start)),
        }
    }
}

/// Adds start attributes one by one (as [`SpanBuilder::with_attributes`]),
/// for code that collects them through `&mut`.
impl Extend<KeyValue> for SpanBuilder<'_> {
    fn extend<I: IntoIterator<Item = KeyValue>>(&mut self, attributes: I) {
        self.start.attributes.extend(attributes);
    }
}

impl fmt::Debug for SpanBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanBuilder")
            .field("name", &self.start.name)
            .field("kind", &self.start.kind)
            .field("attributes", &self.start.attributes)
            .field("links", &self.start.links)
            .finish()
    }
}

/// Builds a tracer with a version, schema URL or scope attributes. From
/// [`TracerProvider::tracer_builder`](crate::TracerProvider::tracer_builder).
#[derive(Debug)]
pub struct TracerBuilder {
    provider: Arc<ProviderInner>,
    scope: InstrumentationScope,
}

impl TracerBuilder {
    pub(crate) fn new(provider: Arc<ProviderInner>, name: Cow<'static, str>) -> TracerBuilder {
        TracerBuilder {
            provider,
            scope: InstrumentationScope::new(name),
        }
    }

    /// The library's version.
    pub fn with_version(mut self, version: impl Into<StringValue>) -> Self {
        self.scope = self.scope.with_version(version);
        self
    }

    /// The schema URL of the library's attributes.
    pub fn with_schema_url(mut self, schema_url: impl Into<StringValue>) -> Self {
        self.scope = self.scope.with_schema_url(schema_url);
        self
    }

    /// Scope attributes.
    pub fn with_attributes(mut self, attributes: impl IntoIterator<Item = KeyValue>) -> Self {
        self.scope = self.scope.with_attributes(attributes);
        self
    }

    /// The tracer.
    pub fn build(self) -> Tracer {
        Tracer(Arc::new(TracerShared {
            scope: self.scope,
            provider: self.provider,
        }))
    }
}

/// Spare vectors for start attributes, per thread: a builder takes one and
/// the span start gives it back emptied, so start attributes cost no
/// allocation once a thread has started a few spans with them.
mod spare_attributes {
    use std::cell::RefCell;

    use crate::KeyValue;

    /// How many spare vectors a thread keeps.
    const KEEP: usize = 4;
    /// Vectors grown beyond this many attributes go back to the allocator.
    const MAX_CAPACITY: usize = 64;

    thread_local! {
        static SPARE: RefCell<Vec<Vec<KeyValue>>> = const { RefCell::new(Vec::new()) };
    }

    /// A spare empty vector, or a new one (no allocation until used).
    #[inline]
    pub(super) fn take() -> Vec<KeyValue> {
        SPARE
            .try_with(|spare| spare.try_borrow_mut().ok().and_then(|mut s| s.pop()))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Keeps `attributes`' storage for a later builder; a test alone for a
    /// vector that never allocated.
    #[inline(always)]
    pub(super) fn give_back(attributes: Vec<KeyValue>) {
        if attributes.capacity() == 0 {
            std::mem::forget(attributes);
        } else {
            keep(attributes);
        }
    }

    #[inline(never)]
    fn keep(mut attributes: Vec<KeyValue>) {
        if attributes.capacity() > MAX_CAPACITY {
            return;
        }
        attributes.clear();
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                if spare.len() < KEEP {
                    spare.push(attributes);
                }
            }
        });
    }
}
