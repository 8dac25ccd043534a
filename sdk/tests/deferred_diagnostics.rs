//! Warnings held back by `defer_diagnostics` reach the handler once the
//! deferral ends, in order, also when the deferred code panics. Its own
//! test binary because the diagnostic handler is process-wide.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use spanlite::{defer_diagnostics, report_diagnostic};

#[test]
fn held_back_warnings_reach_the_handler_after_the_outermost_deferral_in_order() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    spanlite::set_diagnostic_handler(move |d| sink.lock().unwrap().push(d.message().to_owned()));
    let count = || seen.lock().unwrap().len();

    defer_diagnostics(|| {
        report_diagnostic("test", format_args!("one"));
        defer_diagnostics(|| report_diagnostic("test", format_args!("two")));
        // The inner deferral ended, the outer one has not: still held.
        assert_eq!(count(), 0);
        report_diagnostic("test", format_args!("three"));
        assert_eq!(count(), 0);
    });
    assert_eq!(*seen.lock().unwrap(), ["one", "two", "three"]);

    // Not deferred: delivered at once.
    report_diagnostic("test", format_args!("four"));
    assert_eq!(count(), 4);

    // A panic inside still releases what was held, and ends the deferral.
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        defer_diagnostics(|| {
            report_diagnostic("test", format_args!("five"));
            panic!("deferred code failed");
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(
        seen.lock().unwrap().last().map(String::as_str),
        Some("five")
    );
    report_diagnostic("test", format_args!("six"));
    assert_eq!(count(), 6);
}
