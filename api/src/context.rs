//! The immutable execution-scoped context and the thread's current one.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::{SharedSpan, SpanContext, SpanRef};

/// An immutable bag of execution-scoped values: the current span, baggage,
/// and anything else keyed by type. Making one *current* on a thread is
/// [`Context::attach`]; reading the current one is [`Context::current`].
///
/// A context that carries only a span context (remote, or a span that is
/// not sampled) does not allocate.
///
/// ```
/// use spanlite_api::{Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
/// let remote = SpanContext::new(TraceId::from_int(7), SpanId::from_int(9),
///     TraceFlags::SAMPLED, true, TraceState::NONE);
/// let cx = Context::new().with_remote_span_context(remote.clone());
/// {
///     let _guard = cx.attach();
///     assert_eq!(Context::current().span().span_context(), &remote);
/// }
/// assert!(!Context::current().span().span_context().is_valid());
/// ```
#[derive(Clone, Default)]
pub struct Context {
    span: SpanSlot,
    entries: Option<Arc<Entries>>,
}

#[derive(Clone, Default)]
enum SpanSlot {
    #[default]
    Empty,
    /// A span context alone: remote, or a local span that does not record.
    Context(SpanContext),
    /// A recording span shared with whoever holds this context.
    Active(Arc<dyn SharedSpan>),
}

type Entries = Vec<(TypeId, Arc<dyn Any + Send + Sync>)>;

thread_local! {
    static CURRENT: RefCell<Context> = const { RefCell::new(Context::new()) };
    /// Set while another tracing library's span is current on this thread
    /// and was made current after `CURRENT`'s context: how to find that
    /// span's context (see [`Context::set_foreign_current`]).
    static FOREIGN: Cell<Option<ForeignCurrent>> = const { Cell::new(None) };
}

/// Finds the context of the span another tracing library (a bridge's
/// source, like `tracing`) holds current on this thread, or `None` when it
/// has none that it bridges. See [`Context::set_foreign_current`].
pub type ForeignCurrent = fn() -> Option<Context>;

impl Context {
    /// The empty context.
    #[inline]
    pub const fn new() -> Context {
        Context {
            span: SpanSlot::Empty,
            entries: None,
        }
    }

    /// A clone of this thread's current context.
    pub fn current() -> Context {
        Context::map_current(Context::clone)
    }

    /// Calls `f` with the current context without cloning it. During thread
    /// teardown, or from inside another `map_current`'s attach, `f` sees an
    /// empty context.
    pub fn map_current<T>(f: impl FnOnce(&Context) -> T) -> T {
        if let Some(foreign) = FOREIGN.try_with(Cell::get).ok().flatten() {
            if let Some(cx) = foreign() {
                return f(&cx);
            }
        }
        let mut f = Some(f);
        let mut run = |cx: &Context| f.take().map(|f| f(cx));
        let out = CURRENT
            .try_with(|current| current.try_borrow().ok().and_then(|cx| run(&cx)))
            .ok()
            .flatten();
        match out {
            Some(value) => value,
            None => match run(&Context::new()) {
                Some(value) => value,
                // `run` returns None only once `f` has run, and then `out` is Some.
                None => unreachable!("map_current's closure ran but returned nothing"),
            },
        }
    }

    /// The span in this context (a no-op view when there is none).
    #[inline]
    pub fn span(&self) -> SpanRef<'_> {
        match &self.span {
            SpanSlot::Empty => SpanRef::new(&SpanContext::INVALID, None),
            SpanSlot::Context(cx) => SpanRef::new(cx, None),
            SpanSlot::Active(span) => SpanRef::new(span.span_context(), Some(&**span)),
        }
    }

    /// Whether this context carries a span context (valid or not).
    #[inline]
    pub fn has_span(&self) -> bool {
        !matches!(self.span, SpanSlot::Empty)
    }

    /// This context with `span` as its span.
    pub fn with_span(&self, span: Arc<dyn SharedSpan>) -> Context {
        Context {
            span: SpanSlot::Active(span),
            entries: self.entries.clone(),
        }
    }

    /// Ends this context's span now, if it records, and drops the context.
    /// When this was the last context holding the span, the SDK may reuse
    /// the span's storage (see [`SharedSpan::end_and_release`]): code that
    /// owns a context made for one span (a bridge from another tracing
    /// library, say) ends it this way.
    ///
    /// ```
    /// use spanlite_api::Context;
    /// // A context without a recording span: nothing to end.
    /// Context::new().end_span();
    /// ```
    pub fn end_span(mut self) {
        if let SpanSlot::Active(span) = std::mem::take(&mut self.span) {
            span.end_and_release(None);
        }
    }

    /// This context with a span context alone as its span: a span that does
    /// not record, or one received from another process.
    pub fn with_span_context(&self, span_context: SpanContext) -> Context {
        Context {
            span: SpanSlot::Context(span_context),
            entries: self.entries.clone(),
        }
    }

    /// This context with a span context received from another process (the
    /// remote flag is what the propagator set).
    pub fn with_remote_span_context(&self, span_context: SpanContext) -> Context {
        self.with_span_context(span_context)
    }

    /// This context with `value` stored under its type, replacing any value
    /// of the same type.
    pub fn with_value<T: Any + Send + Sync>(&self, value: T) -> Context {
        let mut entries: Entries = self
            .entries
            .as_deref()
            .map(|e| {
                e.iter()
                    .filter(|(id, _)| *id != TypeId::of::<T>())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        entries.push((TypeId::of::<T>(), Arc::new(value)));
        Context {
            span: self.span.clone(),
            entries: Some(Arc::new(entries)),
        }
    }

    /// The value of type `T`, if one was stored.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.entries
            .as_deref()?
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .and_then(|(_, value)| value.downcast_ref())
    }

    /// This context's values (everything but its span), to keep apart from
    /// a span and join again with [`Context::from`]: a bridge that owns a
    /// span keeps the values its children inherit this way, in 8 bytes.
    ///
    /// ```
    /// use spanlite_api::{Context, ContextValues, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    /// let span = SpanContext::new(TraceId::from_int(1), SpanId::from_int(2),
    ///     TraceFlags::SAMPLED, false, TraceState::NONE);
    /// let cx = Context::new().with_value(7u32).with_span_context(span);
    /// let values: ContextValues = cx.values();
    /// let again = Context::from(values);
    /// assert_eq!(again.get::<u32>(), Some(&7));
    /// assert!(!again.has_span());
    /// ```
    #[inline]
    pub fn values(&self) -> ContextValues {
        ContextValues(self.entries.clone())
    }

    /// Makes another tracing library's current span the current context on
    /// this thread, from now until the previous setting (returned) is put
    /// back: [`current`](Self::current) then asks `foreign` for the context
    /// (falling back to the attached one when it answers `None`), and a
    /// context [attached](Self::attach) later is current until its guard
    /// drops. For bridges: entering a span of the other library costs this
    /// call, and the context is looked up only when asked for. `foreign`
    /// must not itself ask for the current context.
    ///
    /// ```
    /// use spanlite_api::{Context, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    /// fn bridged() -> Option<Context> {
    ///     let span = SpanContext::new(TraceId::from_int(1), SpanId::from_int(2),
    ///         TraceFlags::SAMPLED, false, TraceState::NONE);
    ///     Some(Context::new().with_span_context(span))
    /// }
    /// let previous = Context::set_foreign_current(Some(bridged));
    /// assert_eq!(Context::current().span().span_context().span_id(), SpanId::from_int(2));
    /// Context::set_foreign_current(previous);
    /// assert!(!Context::current().has_span());
    /// ```
    pub fn set_foreign_current(foreign: Option<ForeignCurrent>) -> Option<ForeignCurrent> {
        FOREIGN.try_with(|f| f.replace(foreign)).ok().flatten()
    }

    /// Makes this context current on this thread until the guard drops,
    /// when the previous one is restored.
    pub fn attach(self) -> ContextGuard {
        // Attached later than a foreign span was made current: this
        // context is the current one until the guard drops.
        let foreign = Context::set_foreign_current(None);
        let previous = CURRENT
            .try_with(|current| {
                current
                    .try_borrow_mut()
                    .ok()
                    .map(|mut c| std::mem::replace(&mut *c, self))
            })
            .ok()
            .flatten();
        ContextGuard {
            previous,
            foreign,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Context {
    /// The empty context (as in `&Context::new()`, the usual explicit root)
    /// owns nothing: dropping it is a test instead of a call to the
    /// generic drop of its parts.
    #[inline]
    fn drop(&mut self) {
        if !matches!(self.span, SpanSlot::Empty) || self.entries.is_some() {
            drop_parts(std::mem::take(&mut self.span), self.entries.take());
        }
    }
}

#[inline(never)]
fn drop_parts(span: SpanSlot, entries: Option<Arc<Entries>>) {
    drop((span, entries));
}

/// A [`Context`]'s values without its span (see [`Context::values`]).
#[derive(Clone, Default)]
pub struct ContextValues(Option<Arc<Entries>>);

impl From<ContextValues> for Context {
    /// A context with `values` and no span.
    #[inline]
    fn from(values: ContextValues) -> Context {
        Context {
            span: SpanSlot::Empty,
            entries: values.0,
        }
    }
}

impl fmt::Debug for ContextValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextValues")
            .field("entries", &self.0.as_ref().map_or(0, |e| e.len()))
            .finish()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("span", &self.span().span_context())
            .field("entries", &self.entries.as_ref().map_or(0, |e| e.len()))
            .finish()
    }
}

/// Restores the previous current context when dropped. Not `Send`: a
/// context is current on one thread.
#[must_use = "the context stops being current when the guard drops"]
pub struct ContextGuard {
    previous: Option<Context>,
    /// The foreign current span's source that the attach displaced.
    foreign: Option<ForeignCurrent>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        if self.foreign.is_some() {
            Context::set_foreign_current(self.foreign);
        }
        if let Some(previous) = self.previous.take() {
            // During thread teardown the slot may be gone; nothing to restore.
            let _ = CURRENT.try_with(|current| {
                if let Ok(mut c) = current.try_borrow_mut() {
                    *c = previous;
                }
            });
        }
    }
}

impl fmt::Debug for ContextGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContextGuard")
    }
}
