//! A `tracing_subscriber::Layer` that records `tracing` spans as spanlite
//! spans.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use spanlite::{
    Context, ContextValues, ForeignCurrent, KeyValue, Span, SpanRef, StartFields, Status,
    StringValue, Tracer,
};
use tracing_core::dispatcher::{Dispatch, WeakDispatch};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::fields::Recorded;

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
/// Entering a span costs no context: the span's context is looked up in
/// the registry when code first asks for it during the enter (see
/// [`Context::set_foreign_current`]). Do not ask for it while holding the
/// current span's extensions mutably (`extensions_mut()` in a layer of
/// your own): the lookup reads them.
pub struct SpanliteLayer {
    tracer: Tracer,
    /// Unique per layer, so a thread finds the dispatcher of the layer that
    /// entered a span.
    id: u64,
    /// The dispatcher this layer is part of, once registered.
    dispatch: OnceLock<WeakDispatch>,
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
            dispatch: OnceLock::new(),
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

/// What a `tracing` span keeps in its extensions. The lock is taken only
/// by code reading the extension (a child's start, [`Context::current`]
/// inside the span); the layer's own callbacks hold the extensions
/// exclusively and reach the span without it.
struct Bridged(Mutex<Form>);

enum Form {
    /// The span, owned here until code asks for its context, and the
    /// values of the context it started in (for its children).
    Owned { span: Span, values: ContextValues },
    /// The span shared through a context, once code asked for one.
    Shared(Context),
}

impl Bridged {
    fn form(&mut self) -> &mut Form {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    fn locked(&self) -> MutexGuard<'_, Form> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The context a child of this span starts in.
    fn child_parent(&self) -> Context {
        match &*self.locked() {
            Form::Owned { span, values } => {
                Context::from(values.clone()).with_span_context(span.span_context().clone())
            }
            Form::Shared(cx) => cx.clone(),
        }
    }

    /// The span's context, through which code can record on it: the span
    /// is shared from the first call on.
    fn context(&self) -> Context {
        let mut form = self.locked();
        let cx = match std::mem::replace(&mut *form, Form::Shared(Context::new())) {
            Form::Owned { span, values } => span.into_context(&Context::from(values)),
            Form::Shared(cx) => cx,
        };
        *form = Form::Shared(cx.clone());
        cx
    }

    /// Records on the span, in whichever form it is.
    fn record(&mut self, record: impl FnOnce(&mut dyn Target)) {
        match self.form() {
            Form::Owned { span, .. } => record(span),
            Form::Shared(cx) => record(&mut cx.span()),
        }
    }

    /// Ends the span, leaving an empty context in its place for the
    /// registry to drop with the extensions.
    fn end(&mut self) {
        match self.form() {
            Form::Owned { span, .. } => span.end(),
            Form::Shared(cx) => std::mem::take(cx).end_span(),
        }
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
    id: Id,
    /// The [`SpanliteLayer::id`] of the layer that bridged it (a dispatcher
    /// may be set inside another).
    layer: u64,
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
    /// The dispatcher of each layer that entered spans on this thread, by
    /// layer id: held weakly, to look a span up when its context is asked
    /// for, even from inside another layer's callback (where `tracing`
    /// shows no current dispatcher).
    dispatchers: Vec<(u64, WeakDispatch)>,
}

thread_local! {
    static LOCAL: RefCell<Local> = const {
        RefCell::new(Local {
            entered: Vec::new(),
            asked: Vec::new(),
            dispatchers: Vec::new(),
        })
    };
}

impl Local {
    /// Keeps `layer`'s dispatcher, unless already kept; forgets the
    /// dispatchers that are gone.
    #[inline]
    fn know(&mut self, layer: &SpanliteLayer) {
        if self.dispatchers.last().map(|(id, _)| *id) != Some(layer.id) {
            self.know_more(layer);
        }
    }

    #[cold]
    fn know_more(&mut self, layer: &SpanliteLayer) {
        if self.dispatchers.iter().any(|(id, _)| *id == layer.id) {
            return;
        }
        let Some(dispatch) = layer.dispatch.get() else {
            return;
        };
        self.dispatchers.retain(|(_, d)| d.upgrade().is_some());
        self.dispatchers.push((layer.id, dispatch.clone()));
    }
}

/// The context of the innermost `tracing` span entered on this thread, for
/// [`Context::current`] (set as the foreign current span on enter): looked
/// up only when code asks, so entering a span costs no context.
fn entered_context<S>() -> Option<Context>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    /// What the thread knows of its innermost entered span.
    enum Found {
        /// Its context, asked for earlier in this enter.
        Context(Context),
        /// Where to look it up.
        Span(Id, Dispatch),
    }
    let found = LOCAL
        .try_with(|local| {
            let local = local.try_borrow().ok()?;
            let depth = local.entered.len().checked_sub(1)?;
            let innermost = &local.entered[depth];
            if let Some((_, cx)) = local.asked.last().filter(|(at, _)| *at == depth) {
                return Some(Found::Context(cx.clone()));
            }
            let (_, dispatch) = local
                .dispatchers
                .iter()
                .find(|(layer, _)| *layer == innermost.layer)?;
            Some(Found::Span(innermost.id.clone(), dispatch.upgrade()?))
        })
        .ok()
        .flatten()?;
    let (id, dispatch) = match found {
        Found::Context(cx) => return Some(cx),
        Found::Span(id, dispatch) => (id, dispatch),
    };
    let cx = {
        let span = dispatch.downcast_ref::<S>()?.span(&id)?;
        let extensions = span.extensions();
        extensions.get::<Bridged>()?.context()
    };
    // Kept for the rest of this enter: asking again costs a clone.
    let _ = LOCAL.try_with(|local| {
        if let Ok(mut local) = local.try_borrow_mut() {
            let depth = local.entered.len().wrapping_sub(1);
            let innermost = local.entered.last().filter(|e| e.id == id);
            let kept = local.asked.last().is_some_and(|(at, _)| *at == depth);
            if innermost.is_some() && !kept {
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
        let Some(span) = ctx.span(id) else {
            return;
        };
        let parent_cx = span
            .parent()
            .and_then(|parent| {
                parent
                    .extensions()
                    .get::<Bridged>()
                    .map(Bridged::child_parent)
            })
            .unwrap_or_else(Context::current);
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
        span.extensions_mut()
            .insert(Bridged(Mutex::new(Form::Owned {
                span: started,
                values: parent_cx.values(),
            })));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        let Some(bridged) = extensions.get_mut::<Bridged>() else {
            return;
        };
        let mut recorded: Recorded = Recorded::default();
        values.record(&mut recorded);
        bridged.record(|target| {
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
            Some(span) => {
                if let Some(bridged) = span.extensions_mut().get_mut::<Bridged>() {
                    bridged.record(record);
                }
            }
            // Outside any `tracing` span: the spanlite span current here.
            None => Context::map_current(|cx| record(&mut cx.span())),
        }
    }

    fn on_register_dispatch(&self, dispatch: &Dispatch) {
        let _ = self.dispatch.set(dispatch.downgrade());
    }

    fn on_enter(&self, id: &Id, _ctx: LayerContext<'_, S>) {
        let _ = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else {
                return;
            };
            local.know(self);
            let previous = Context::set_foreign_current(Some(entered_context::<S>));
            local.entered.push(Entered {
                id: id.clone(),
                layer: self.id,
                previous,
            });
        });
    }

    fn on_exit(&self, id: &Id, _ctx: LayerContext<'_, S>) {
        let _ = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else {
                return;
            };
            let Local { entered, asked, .. } = &mut *local;
            if let Some(at) = entered.iter().rposition(|e| e.id == *id) {
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

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(bridged) = extensions.get_mut::<Bridged>() {
            bridged.end();
        }
    }
}
