//! A `tracing_subscriber::Layer` that records `tracing` spans as spanlite
//! spans.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use spanlite::{
    Context, ForeignCurrent, KeyValue, Span, SpanRef, StartFields, Status, StringValue, Tracer,
};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::fields::Recorded;
use crate::open::{self, Form, Key};

/// Records every `tracing` span as a spanlite span:
///
/// - parent and child as `tracing` nests them; a `tracing` root continues
///   the spanlite span current on the thread (an HTTP server span, say);
/// - fields become attributes, recorded later too; `otel.name` and
///   `otel.kind` set the name and kind; `otel.status_code`,
///   `otel.status_message` and `error` fields set the status;
/// - events become span events named by their message, and `ERROR` events
///   set the status to Error;
/// - while a `tracing` span is entered (also across `.await` with
///   `Instrument`), its spanlite context is current, so
///   `spanlite::Context::current()` and `log_correlation()` see it (also
///   from inside another layer's callbacks, as a log layer calls them),
///   and spanlite code can record on the span through it. A context
///   attached inside the span is current until its guard drops.
///
/// The layer keeps its spans in a table of its own, not in the registry's
/// extensions, and entering a span costs no context: the span's context is
/// made when code first asks for it during the enter (see
/// [`Context::set_foreign_current`]).
pub struct SpanliteLayer {
    tracer: Tracer,
    /// Unique per layer: the first half of its spans' keys.
    id: u64,
}

/// The next [`SpanliteLayer::id`].
static NEXT_LAYER: AtomicU64 = AtomicU64::new(1);

impl fmt::Debug for SpanliteLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanliteLayer")
            .field("tracer", &self.tracer)
            .finish()
    }
}

impl SpanliteLayer {
    /// A layer recording through `tracer`.
    pub fn new(tracer: Tracer) -> SpanliteLayer {
        SpanliteLayer {
            tracer,
            id: NEXT_LAYER.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The key of this layer's span `id`.
    #[inline]
    fn key(&self, id: &Id) -> Key {
        (self.id, id.into_u64())
    }

    /// The context a new span `id` starts in: its parent's, when this layer
    /// bridged the parent, else the current one.
    fn parent_context<S>(
        &self,
        attrs: &Attributes<'_>,
        id: &Id,
        ctx: &LayerContext<'_, S>,
    ) -> Context
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        // The parent `tracing` gives the span, found without asking the
        // registry.
        let parent = if attrs.is_contextual() {
            ctx.current_span().id().cloned()
        } else {
            attrs.parent().cloned()
        };
        let Some(parent) = parent else {
            return Context::current();
        };
        if let Some(cx) = open::with(self.key(&parent), Form::child_parent) {
            return cx;
        }
        // A parent this layer did not see (a filter left it out): the
        // nearest ancestor it did, as the registry knows them.
        ctx.span(id)
            .and_then(|span| span.parent())
            .and_then(|ancestor| open::with(self.key(&ancestor.id()), Form::child_parent))
            .unwrap_or_else(Context::current)
    }
}

impl Drop for SpanliteLayer {
    /// Ends the spans still open, which no close will reach now (the layer
    /// was replaced through `tracing_subscriber::reload`, say), as the
    /// registry's extensions would end them when dropped.
    fn drop(&mut self) {
        for form in open::remove_layer(self.id) {
            form.end();
        }
    }
}

/// A starting span's fields, as the place [`Recorded`] puts attributes.
struct Fields<'a, 'b>(&'a mut StartFields<'b>);

impl Extend<KeyValue> for Fields<'_, '_> {
    #[inline]
    fn extend<I: IntoIterator<Item = KeyValue>>(&mut self, attributes: I) {
        self.0.extend(attributes);
    }
}

/// Records on the span under `key`, if the table has it: in place while
/// the table owns it (with spanlite's warnings, which run the application's
/// handler, held back until the table is unlocked), else through its
/// context once the table is unlocked.
fn record_on(key: Key, record: impl FnOnce(&mut dyn Target)) {
    let mut record = Some(record);
    let shared = spanlite::defer_diagnostics(|| {
        open::with(key, |form| match form {
            Form::Owned { span, .. } => {
                if let Some(record) = record.take() {
                    record(span);
                }
                None
            }
            Form::Shared(cx) => Some(cx.clone()),
        })
    });
    if let (Some(Some(cx)), Some(record)) = (shared, record) {
        record(&mut cx.span());
    }
}

/// What the layer records on a span, owned or shared.
trait Target {
    fn set_attribute(&mut self, attribute: KeyValue);
    fn update_name(&mut self, name: StringValue);
    fn set_status(&mut self, status: Status);
    fn add_event(&mut self, name: StringValue, attributes: Vec<KeyValue>);
}

/// Implements [`Target`] for a span type by its own methods of the same
/// names.
macro_rules! target_by_own_methods {
    ($span:ty) => {
        impl Target for $span {
            fn set_attribute(&mut self, attribute: KeyValue) {
                <$span>::set_attribute(self, attribute);
            }
            fn update_name(&mut self, name: StringValue) {
                <$span>::update_name(self, name);
            }
            fn set_status(&mut self, status: Status) {
                <$span>::set_status(self, status);
            }
            fn add_event(&mut self, name: StringValue, attributes: Vec<KeyValue>) {
                <$span>::add_event(self, name, attributes);
            }
        }
    };
}

target_by_own_methods!(Span);
target_by_own_methods!(SpanRef<'_>);

/// A `tracing` span entered on this thread.
struct Entered {
    /// The span's key in the table of open spans (the layer that bridged
    /// it, as a dispatcher may be set inside another, and its id).
    key: Key,
    /// What was the foreign current span before this enter.
    previous: Option<ForeignCurrent>,
}

/// What a thread keeps of the spans entered on it.
struct Local {
    /// Innermost last.
    entered: Vec<Entered>,
    /// The contexts code asked for during enters still in `entered`, by
    /// their place there (innermost last): asking again costs a clone.
    asked: Vec<(usize, Context)>,
}

thread_local! {
    static LOCAL: RefCell<Local> = const {
        RefCell::new(Local {
            entered: Vec::new(),
            asked: Vec::new(),
        })
    };
}

/// The context of the innermost `tracing` span entered on this thread, for
/// [`Context::current`] (set as the foreign current span on enter): made
/// only when code asks, so entering a span costs no context.
fn entered_context() -> Option<Context> {
    /// What the thread knows of its innermost entered span.
    enum Found {
        /// Its context, asked for earlier in this enter.
        Context(Context),
        /// Its key, and its place among the entered spans.
        Span(Key, usize),
    }
    let found = LOCAL
        .try_with(|local| {
            let local = local.try_borrow().ok()?;
            let depth = local.entered.len().checked_sub(1)?;
            if let Some((_, cx)) = local.asked.last().filter(|(at, _)| *at == depth) {
                return Some(Found::Context(cx.clone()));
            }
            Some(Found::Span(local.entered[depth].key, depth))
        })
        .ok()
        .flatten()?;
    let (key, depth) = match found {
        Found::Context(cx) => return Some(cx),
        Found::Span(key, depth) => (key, depth),
    };
    let cx = open::with(key, Form::context)?;
    // Kept for the rest of this enter: asking again costs a clone.
    let _ = LOCAL.try_with(|local| {
        if let Ok(mut local) = local.try_borrow_mut() {
            let same = local.entered.len() == depth + 1 && local.entered[depth].key == key;
            let kept = local.asked.last().is_some_and(|(at, _)| *at == depth);
            if same && !kept {
                local.asked.push((depth, cx.clone()));
            }
        }
    });
    Some(cx)
}

impl<S> Layer<S> for SpanliteLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let parent_cx = self.parent_context(attrs, id, &ctx);
        // The fields go straight into the starting span (or to the sampler
        // first, when it reads them); the callsite's name is static:
        // borrowed, not copied.
        let mut status = None;
        let mut started =
            self.tracer
                .start_with_fields(attrs.metadata().name(), &parent_cx, |fields| {
                    let mut recorded = Recorded::into(Fields(fields));
                    attrs.record(&mut recorded);
                    let Fields(fields) = recorded.attributes;
                    if let Some(name) = recorded.name {
                        fields.set_name(name);
                    }
                    if let Some(kind) = recorded.kind {
                        fields.set_kind(kind);
                    }
                    status = recorded.status;
                });
        if let Some(status) = status {
            started.set_status(status);
        }
        open::insert(
            self.key(id),
            Form::Owned {
                span: started,
                values: parent_cx.values(),
            },
        );
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: LayerContext<'_, S>) {
        // Read before the table is locked: reading runs the values' code.
        let mut recorded: Recorded = Recorded::default();
        values.record(&mut recorded);
        record_on(self.key(id), |target| {
            for kv in recorded.attributes {
                target.set_attribute(kv);
            }
            if let Some(name) = recorded.name {
                target.update_name(name.into());
            }
            if let Some(status) = recorded.status {
                target.set_status(status);
            }
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let mut recorded: Recorded = Recorded::default();
        event.record(&mut recorded);
        let metadata = event.metadata();
        // The message, or else the callsite's name (static: borrowed, not
        // copied); moved into the span event, not cloned.
        let name = match recorded.message.take() {
            Some(message) => StringValue::from(message),
            None => StringValue::from(metadata.name()),
        };
        let status = if *metadata.level() == Level::ERROR {
            Some(Status::error(name.clone()))
        } else {
            recorded.status.take()
        };
        let mut attributes = recorded.attributes;
        attributes.push(KeyValue::new("level", metadata.level().as_str()));
        let record = move |target: &mut dyn Target| {
            if let Some(status) = status {
                target.set_status(status);
            }
            target.add_event(name, attributes);
        };
        match ctx.event_span(event) {
            Some(span) => record_on(self.key(&span.id()), record),
            // Outside any `tracing` span: the spanlite span current here.
            None => Context::map_current(|cx| record(&mut cx.span())),
        }
    }

    fn on_enter(&self, id: &Id, _ctx: LayerContext<'_, S>) {
        let _ = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else {
                return;
            };
            let previous = Context::set_foreign_current(Some(entered_context));
            local.entered.push(Entered {
                key: self.key(id),
                previous,
            });
        });
    }

    fn on_exit(&self, id: &Id, _ctx: LayerContext<'_, S>) {
        let _ = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else {
                return;
            };
            let key = self.key(id);
            let Local { entered, asked } = &mut *local;
            if let Some(at) = entered.iter().rposition(|e| e.key == key) {
                // Spans entered after this one and not exited yet leave
                // with it.
                let previous = entered[at].previous;
                entered.truncate(at);
                while asked.last().is_some_and(|(depth, _)| *depth >= at) {
                    asked.pop();
                }
                Context::set_foreign_current(previous);
            }
        });
    }

    fn on_close(&self, id: Id, _ctx: LayerContext<'_, S>) {
        // Out of the table first: ending runs the processors, whose code
        // may ask for the current context.
        if let Some(form) = open::remove(self.key(&id)) {
            form.end();
        }
    }
}
