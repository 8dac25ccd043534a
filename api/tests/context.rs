//! The current context: attach, restore, values, and futures.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use spanlite_api::{Context, FutureExt, SpanContext, SpanId, TraceFlags, TraceId, TraceState};

fn span_context(n: u64) -> SpanContext {
    SpanContext::new(
        TraceId::from_int(n.into()),
        SpanId::from_int(n),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    )
}

#[test]
fn attach_makes_a_context_current_until_the_guard_drops() {
    assert!(!Context::current().has_span());
    let outer = Context::new().with_remote_span_context(span_context(1));
    let guard = outer.attach();
    assert_eq!(Context::current().span().span_context(), &span_context(1));
    {
        let _inner = Context::new()
            .with_remote_span_context(span_context(2))
            .attach();
        assert_eq!(Context::current().span().span_context(), &span_context(2));
    }
    assert_eq!(Context::current().span().span_context(), &span_context(1));
    drop(guard);
    assert!(!Context::current().has_span());
}

#[test]
fn a_context_is_current_only_on_its_own_thread() {
    let _guard = Context::new()
        .with_remote_span_context(span_context(3))
        .attach();
    let elsewhere = std::thread::spawn(|| Context::current().has_span())
        .join()
        .unwrap();
    assert!(!elsewhere);
}

#[test]
fn values_are_kept_by_type_and_replaced_by_a_value_of_the_same_type() {
    #[derive(Debug, PartialEq)]
    struct Tenant(&'static str);
    let cx = Context::new().with_value(Tenant("a")).with_value(7u32);
    assert_eq!(cx.get::<Tenant>(), Some(&Tenant("a")));
    assert_eq!(cx.get::<u32>(), Some(&7));
    let cx2 = cx.with_value(Tenant("b"));
    assert_eq!(cx2.get::<Tenant>(), Some(&Tenant("b")));
    assert_eq!(
        cx.get::<Tenant>(),
        Some(&Tenant("a")),
        "contexts are immutable"
    );
    assert_eq!(cx2.get::<u64>(), None);
}

#[test]
fn values_survive_a_change_of_span() {
    let cx = Context::new()
        .with_value(5i64)
        .with_remote_span_context(span_context(4));
    assert_eq!(cx.get::<i64>(), Some(&5));
    assert!(cx.span().span_context().is_remote());
}

#[test]
fn an_empty_context_has_an_invalid_span_that_does_not_record() {
    let cx = Context::new();
    assert!(!cx.span().span_context().is_valid());
    assert!(!cx.span().is_recording());
    cx.span().end(); // a no-op, not a panic
}

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn a_future_with_a_context_sees_it_on_every_poll_and_leaves_the_thread_clean() {
    let cx = Context::new().with_remote_span_context(span_context(9));
    let mut polls = 0;
    let seen = std::future::poll_fn(|_| {
        polls += 1;
        let current = Context::current().span().span_context().span_id();
        if polls < 3 {
            Poll::Pending
        } else {
            Poll::Ready(current)
        }
    });
    let mut future = pin!(seen.with_context(cx));
    let waker = Waker::from(Arc::new(Noop));
    let mut task = TaskContext::from_waker(&waker);
    let result = loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut task) {
            break v;
        }
        assert!(
            !Context::current().has_span(),
            "context leaked between polls"
        );
    };
    assert_eq!(result, SpanId::from_int(9));
    assert!(!Context::current().has_span());
}

/// A foreign tracing library's current span, as a bridge would report it.
fn foreign_span() -> Option<Context> {
    Some(Context::new().with_span_context(span_context(40)))
}

/// A foreign library with no span it bridges.
fn no_foreign_span() -> Option<Context> {
    None
}

fn current_span_id() -> SpanId {
    Context::current().span().span_context().span_id()
}

#[test]
fn a_foreign_current_span_is_current_until_a_later_attach_and_again_after_it() {
    let outer = Context::new().with_span_context(span_context(1)).attach();
    let previous = Context::set_foreign_current(Some(foreign_span));
    assert!(previous.is_none());
    assert_eq!(current_span_id(), SpanId::from_int(40));
    {
        let _inner = Context::new().with_span_context(span_context(2)).attach();
        assert_eq!(
            current_span_id(),
            SpanId::from_int(2),
            "attached later: wins"
        );
    }
    assert_eq!(
        current_span_id(),
        SpanId::from_int(40),
        "the foreign span again"
    );
    let mine = Context::set_foreign_current(previous);
    assert!(mine.is_some());
    assert_eq!(
        current_span_id(),
        SpanId::from_int(1),
        "the attached one again"
    );
    drop(outer);
    assert!(!Context::current().has_span());
}

#[test]
fn a_foreign_source_without_a_span_falls_back_to_the_attached_context() {
    let _outer = Context::new().with_span_context(span_context(3)).attach();
    let previous = Context::set_foreign_current(Some(no_foreign_span));
    assert_eq!(current_span_id(), SpanId::from_int(3));
    Context::set_foreign_current(previous);
}

#[test]
fn a_foreign_current_span_is_current_only_on_its_own_thread() {
    let previous = Context::set_foreign_current(Some(foreign_span));
    let elsewhere = std::thread::spawn(current_span_id).join().unwrap();
    assert_eq!(elsewhere, SpanId::INVALID);
    assert_eq!(current_span_id(), SpanId::from_int(40));
    Context::set_foreign_current(previous);
}
