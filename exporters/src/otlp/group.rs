//! A batch's spans grouped by resource, then by instrumentation scope, as
//! OTLP nests them: `ResourceSpans -> ScopeSpans -> Span`.

use spanlite::{InstrumentationScope, Resource, SpanData};

/// Spans that share a resource, by scope.
#[derive(Debug)]
pub(crate) struct ResourceGroup<'a> {
    pub(crate) resource: Option<&'a Resource>,
    pub(crate) scopes: Vec<ScopeGroup<'a>>,
}

/// Spans that share a resource and a scope.
#[derive(Debug)]
pub(crate) struct ScopeGroup<'a> {
    pub(crate) scope: &'a InstrumentationScope,
    pub(crate) spans: Vec<&'a SpanData>,
}

fn same<T: PartialEq>(a: &T, b: &T) -> bool {
    // Spans of one tracer share one scope and one resource: comparing
    // addresses settles nearly every lookup without comparing contents.
    std::ptr::eq(a, b) || a == b
}

/// Groups `spans` in first-seen order.
pub(crate) fn group(spans: &[SpanData]) -> Vec<ResourceGroup<'_>> {
    let mut groups: Vec<ResourceGroup<'_>> = Vec::new();
    for span in spans {
        let resource = span.resource();
        let scope = span.instrumentation_scope();
        let index = match groups.iter().position(|g| match (g.resource, resource) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        }) {
            Some(index) => index,
            None => {
                groups.push(ResourceGroup {
                    resource,
                    scopes: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let scopes = &mut groups[index].scopes;
        match scopes.iter_mut().find(|s| same(s.scope, scope)) {
            Some(group) => group.spans.push(span),
            None => scopes.push(ScopeGroup {
                scope,
                spans: vec![span],
            }),
        }
    }
    groups
}
