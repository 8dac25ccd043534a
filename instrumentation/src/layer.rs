//! A `tracing_subscriber::Layer` that records `tracing` spans as spanlite
//! spans.

use std::cell::RefCell;
use std::fmt;

use spanlite::{Context, ContextGuard, KeyValue, StartFields, Status, StringValue, Tracer};
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
///   `spanlite::Context::current()` and `log_correlation()` see it.
pub struct SpanliteLayer {
    tracer: Tracer,
}

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
        SpanliteLayer { tracer }
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

/// What a `tracing` span keeps in its extensions: the spanlite context
/// holding the recording span.
struct Bridged {
    cx: Context,
}

/// What a thread keeps between the callbacks of its `tracing` spans.
struct Local {
    /// The context of the span this thread started last, for the enter that
    /// usually follows at once: taken by it without a registry lookup.
    started: Option<(Id, Context)>,
    /// The contexts attached by `on_enter`, innermost last.
    entered: Vec<(Id, ContextGuard)>,
}

thread_local! {
    static LOCAL: RefCell<Local> = const {
        RefCell::new(Local {
            started: None,
            entered: Vec::new(),
        })
    };
}

/// Keeps `cx` as the context of the span `id` this thread just started
/// (cloned in place: a context is too large to pass around by value).
fn remember_started(id: &Id, cx: &Context) {
    let _ = LOCAL.try_with(|local| {
        if let Ok(mut local) = local.try_borrow_mut() {
            local.started = Some((id.clone(), cx.clone()));
        }
    });
}

impl Local {
    /// The context kept by [`remember_started`] when it is span `id`'s.
    ///
    /// `tracing` reuses a closed span's id, and the span may have closed on
    /// another thread, so the id alone does not prove the context is still
    /// that span's: a span closes only after its spanlite span ends, so a
    /// context whose span still records belongs to a span that is still
    /// open, and the open span with this id is this one.
    fn take_started(&mut self, id: &Id) -> Option<Context> {
        self.started
            .take_if(|(started_id, cx)| started_id == id && cx.span().is_recording())
            .map(|(_, cx)| cx)
    }
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
            .and_then(|parent| parent.extensions().get::<Bridged>().map(|b| b.cx.clone()))
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
        let cx = started.into_context(&parent_cx);
        remember_started(id, &cx);
        span.extensions_mut().insert(Bridged { cx });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let extensions = span.extensions();
        let Some(bridged) = extensions.get::<Bridged>() else {
            return;
        };
        let mut recorded: Recorded = Recorded::default();
        values.record(&mut recorded);
        let target = bridged.cx.span();
        for kv in recorded.attributes {
            target.set_attribute(kv);
        }
        if let Some(name) = recorded.name {
            target.update_name(name);
        }
        if let Some(status) = recorded.status {
            target.set_status(status);
        }
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
        let record = move |target: spanlite::SpanRef<'_>| {
            if let Some(status) = status {
                target.set_status(status);
            }
            target.add_event(name, attributes);
        };
        match ctx.event_span(event) {
            Some(span) => {
                if let Some(bridged) = span.extensions().get::<Bridged>() {
                    record(bridged.cx.span());
                }
            }
            // Outside any `tracing` span: the spanlite span current here.
            None => Context::map_current(|cx| record(cx.span())),
        }
    }

    fn on_enter(&self, id: &Id, ctx: LayerContext<'_, S>) {
        let _ = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else {
                return;
            };
            let cx = match local.take_started(id) {
                Some(cx) => cx,
                None => {
                    let Some(span) = ctx.span(id) else {
                        return;
                    };
                    let Some(cx) = span.extensions().get::<Bridged>().map(|b| b.cx.clone()) else {
                        return;
                    };
                    cx
                }
            };
            local.entered.push((id.clone(), cx.attach()));
        });
    }

    fn on_exit(&self, id: &Id, _ctx: LayerContext<'_, S>) {
        let _ = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else {
                return;
            };
            let entered = &mut local.entered;
            if let Some(at) = entered.iter().rposition(|(entered_id, _)| entered_id == id) {
                // Guards restore in reverse order of attach: drop the ones
                // above this span first.
                while entered.len() > at {
                    entered.pop();
                }
            }
        });
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let bridged = span.extensions_mut().remove::<Bridged>();
        if let Some(bridged) = bridged {
            bridged.cx.end_span();
        }
    }
}
