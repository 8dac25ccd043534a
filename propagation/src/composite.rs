//! [`TextMapCompositePropagator`]: several formats run as one.

use spanlite_api::Context;

use crate::{Extractor, Injector, TextMapPropagator};

/// Runs several propagators in order, as one.
///
/// Injection lets each write its headers. Extraction passes the context
/// through each in turn, so when two formats carry a span context the
/// later one's wins. `fields` is the union of theirs, first seen first.
/// With no propagators it does nothing: the no-op propagator.
///
/// ```
/// use spanlite_propagation::{
///     BaggagePropagator, TextMapCompositePropagator, TextMapPropagator,
///     TraceContextPropagator,
/// };
/// let propagator = TextMapCompositePropagator::new(vec![
///     Box::new(TraceContextPropagator::new()),
///     Box::new(BaggagePropagator::new()),
/// ]);
/// assert_eq!(propagator.fields(), ["traceparent", "tracestate", "baggage"]);
/// assert!(TextMapCompositePropagator::new(vec![]).fields().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct TextMapCompositePropagator {
    propagators: Vec<Box<dyn TextMapPropagator>>,
    fields: Vec<&'static str>,
}

impl TextMapCompositePropagator {
    /// Runs `propagators` in the order given.
    pub fn new(propagators: Vec<Box<dyn TextMapPropagator>>) -> TextMapCompositePropagator {
        let mut fields: Vec<&'static str> = Vec::new();
        for field in propagators.iter().flat_map(|p| p.fields()) {
            if !fields.contains(field) {
                fields.push(field);
            }
        }
        TextMapCompositePropagator {
            propagators,
            fields,
        }
    }

    /// How many propagators it runs.
    pub fn len(&self) -> usize {
        self.propagators.len()
    }

    /// Whether it runs none (and so does nothing).
    pub fn is_empty(&self) -> bool {
        self.propagators.is_empty()
    }
}

impl TextMapPropagator for TextMapCompositePropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        for propagator in &self.propagators {
            propagator.inject_context(cx, injector);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        self.propagators.iter().fold(cx.clone(), |cx, propagator| {
            propagator.extract_with_context(&cx, extractor)
        })
    }

    fn fields(&self) -> &[&'static str] {
        &self.fields
    }
}
