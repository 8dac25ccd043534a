//! fastrace with a reporter that discards.

use fastrace::collector::{Config, Reporter, SpanContext, SpanRecord};
use fastrace::local::LocalSpan;
use fastrace::Span;

/// Discards what it is given.
#[derive(Debug)]
pub struct Discard;

impl Reporter for Discard {
    fn report(&mut self, _spans: Vec<SpanRecord>) {}
}

/// Installs the discarding reporter (once per process).
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| fastrace::set_reporter(Discard, Config::default()));
}

/// A root span with three properties (fastrace properties are strings).
#[inline]
pub fn root_span() {
    let _root = Span::root("GET /api/products/{id}", SpanContext::random()).with_properties(|| {
        [
            ("http.route", crate::ROUTE),
            ("http.response.status_code", "200"),
            ("cache.hit", "true"),
        ]
    });
}

/// A local span under the current local parent with three properties.
#[inline]
pub fn local_child_span() {
    let _child = LocalSpan::enter_with_local_parent("SELECT products").with_properties(|| {
        [
            ("http.route", crate::ROUTE),
            ("http.response.status_code", "200"),
            ("cache.hit", "true"),
        ]
    });
}

/// A root span to be the local parent of [`local_child_span`]s.
pub fn parent() -> Span {
    Span::root("parent", SpanContext::random())
}
