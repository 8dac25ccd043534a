//! The process-wide text map propagator.

use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use crate::{
    BaggagePropagator, TextMapCompositePropagator, TextMapPropagator, TraceContextPropagator,
};

static GLOBAL: RwLock<Option<Arc<dyn TextMapPropagator>>> = RwLock::new(None);
static DEFAULT: OnceLock<Arc<dyn TextMapPropagator>> = OnceLock::new();

/// Makes `propagator` the one [`get_text_map_propagator`] returns, for the
/// whole process. Instrumentation that already holds the previous one
/// keeps using it.
pub fn set_text_map_propagator(propagator: impl TextMapPropagator + 'static) {
    let mut slot = GLOBAL.write().unwrap_or_else(PoisonError::into_inner);
    *slot = Some(Arc::new(propagator));
}

/// The process-wide propagator: the last one set, else
/// [`default_propagator`].
///
/// ```
/// use std::collections::HashMap;
/// use spanlite_propagation::get_text_map_propagator;
///
/// let headers = HashMap::from([("baggage".to_owned(), "user=ada".to_owned())]);
/// let cx = get_text_map_propagator().extract(&headers);
/// assert_eq!(spanlite_api::Baggage::from_context(&cx).get("user"), Some("ada"));
/// ```
pub fn get_text_map_propagator() -> Arc<dyn TextMapPropagator> {
    let slot = GLOBAL.read().unwrap_or_else(PoisonError::into_inner);
    match &*slot {
        Some(propagator) => Arc::clone(propagator),
        None => Arc::clone(DEFAULT.get_or_init(|| Arc::new(default_propagator()))),
    }
}

/// W3C Trace Context, then W3C Baggage: the OpenTelemetry default
/// (`OTEL_PROPAGATORS=tracecontext,baggage`).
pub fn default_propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}
