//! Turning `tracing` fields into spanlite attributes, and the special
//! `otel.*` fields that steer the span itself.

use std::borrow::Cow;

use spanlite::{KeyValue, SpanKind, Status, StringValue};
use tracing_core::field::{Field, Visit};

/// What a set of fields says about a span. Attributes go to `A`: a vector,
/// or the builder of the span about to start.
#[derive(Debug, Default)]
pub(crate) struct Recorded<A = Vec<KeyValue>> {
    pub(crate) attributes: A,
    pub(crate) name: Option<String>,
    pub(crate) kind: Option<SpanKind>,
    pub(crate) status: Option<Status>,
    /// An event's `message` field.
    pub(crate) message: Option<String>,
}

fn kind_from(value: &str) -> Option<SpanKind> {
    match value.to_ascii_lowercase().as_str() {
        "server" => Some(SpanKind::Server),
        "client" => Some(SpanKind::Client),
        "producer" => Some(SpanKind::Producer),
        "consumer" => Some(SpanKind::Consumer),
        "internal" => Some(SpanKind::Internal),
        _ => None,
    }
}

impl<A: Extend<KeyValue>> Recorded<A> {
    /// Nothing recorded yet; attributes will go to `attributes`.
    pub(crate) fn into(attributes: A) -> Recorded<A> {
        Recorded {
            attributes,
            name: None,
            kind: None,
            status: None,
            message: None,
        }
    }

    fn add(&mut self, attribute: KeyValue) {
        self.attributes.extend(std::iter::once(attribute));
    }

    /// A text field: one of the fields that steer the span, or an
    /// attribute (a borrowed text shared with the field's recent values).
    fn string(&mut self, field: &Field, value: Cow<'_, str>) {
        match field.name() {
            "message" => self.message = Some(value.into_owned()),
            "otel.name" => self.name = Some(value.into_owned()),
            "otel.kind" => self.kind = kind_from(&value),
            "otel.status_code" => match value.to_ascii_lowercase().as_str() {
                "ok" => self.status = Some(Status::Ok),
                "error" => self.status = Some(Status::error("")),
                _ => {}
            },
            "otel.status_message" | "otel.status_description" => {
                self.status = Some(Status::error(value.into_owned()));
            }
            "error" => {
                self.status = Some(Status::error(value.clone().into_owned()));
                self.add(KeyValue::new(field.name(), value.into_owned()));
            }
            name => {
                let value = match value {
                    Cow::Borrowed(text) => recent_values::shared(name, text),
                    Cow::Owned(text) => StringValue::from(text),
                };
                self.add(KeyValue::new(name, value));
            }
        }
    }
}

impl<A: Extend<KeyValue>> Visit for Recorded<A> {
    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "error" && value {
            self.status.get_or_insert_with(|| Status::error(""));
        }
        self.add(KeyValue::new(field.name(), value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.add(KeyValue::new(field.name(), value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        // Beyond i64, a number keeps its digits as a string.
        match i64::try_from(value) {
            Ok(v) => self.add(KeyValue::new(field.name(), v)),
            Err(_) => self.add(KeyValue::new(field.name(), value.to_string())),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.add(KeyValue::new(field.name(), value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.string(field, Cow::Borrowed(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let message = value.to_string();
        self.status = Some(Status::error(message.clone()));
        self.add(KeyValue::new(field.name(), message));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.string(field, Cow::Owned(format!("{value:?}")));
    }
}

/// String field values shared between spans. A `tracing` visitor lends a
/// `&str` for an unknown lifetime, so keeping one means copying it; but the
/// same field mostly carries the same few values (a route, a method, a
/// peer). Each thread remembers the last value of a few fields and hands
/// out that allocation again when the text matches: one reference count
/// instead of an allocation and a free per span. A value that keeps
/// repeating is then kept for good, so it is handed out as a static text:
/// no reference count, and nothing to drop when the span's record is
/// reused. Memory stays bounded: `SLOTS` texts of at most `MAX_LEN` bytes per
/// thread, and at most `KEPT_BYTES` kept for good in the whole process
/// (past that, repeating values stay shared).
mod recent_values {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use spanlite::StringValue;

    /// How many fields a thread remembers a value for.
    const SLOTS: usize = 64;
    /// Longer texts are copied, not remembered.
    const MAX_LEN: usize = 128;
    /// How many times in a row a field's value is seen before it is kept
    /// for good.
    const KEEP_AFTER: u32 = 16;
    /// The most bytes of text kept for good, over all threads.
    const KEPT_BYTES: usize = 256 * 1024;

    /// Bytes of text kept for good so far.
    static KEPT: AtomicUsize = AtomicUsize::new(0);

    /// A field's last value: shared, with how many times in a row it was
    /// seen, or kept for good.
    enum Text {
        Shared(Arc<str>, u32),
        Kept(&'static str),
    }

    impl Text {
        fn as_str(&self) -> &str {
            match self {
                Text::Shared(text, _) => text,
                Text::Kept(text) => text,
            }
        }
    }

    /// A field (by its name's address: callsites' names are `'static`) and
    /// its last value.
    type Recent = Option<(usize, Text)>;

    thread_local! {
        static RECENT: RefCell<[Recent; SLOTS]> = const { RefCell::new([const { None }; SLOTS]) };
    }

    /// `value` as an attribute value of field `name`: the remembered text
    /// when the field had the same text last time.
    pub(super) fn shared(name: &'static str, value: &str) -> StringValue {
        if value.len() > MAX_LEN {
            return StringValue::from(value.to_owned());
        }
        let field = name.as_ptr() as usize;
        let slot = (field ^ (field >> 7)) % SLOTS;
        RECENT
            .try_with(|recent| {
                let mut recent = recent.try_borrow_mut().ok()?;
                let entry = &mut recent[slot];
                if let Some((known, text)) = entry {
                    if *known == field && text.as_str() == value {
                        return Some(again(text));
                    }
                }
                let text: Arc<str> = Arc::from(value);
                *entry = Some((field, Text::Shared(Arc::clone(&text), 1)));
                Some(StringValue::from(text))
            })
            .ok()
            .flatten()
            .unwrap_or_else(|| StringValue::from(value.to_owned()))
    }

    /// The remembered `text`, seen once more.
    #[inline]
    fn again(text: &mut Text) -> StringValue {
        match text {
            Text::Kept(kept) => StringValue::from_static(kept),
            Text::Shared(shared, seen) => {
                *seen = seen.saturating_add(1);
                if *seen >= KEEP_AFTER {
                    if let Some(kept) = keep_for_good(shared) {
                        *text = Text::Kept(kept);
                        return StringValue::from_static(kept);
                    }
                }
                StringValue::from(Arc::clone(shared))
            }
        }
    }

    /// A copy of `text` that lives as long as the process, unless the
    /// process has kept all it may.
    #[cold]
    fn keep_for_good(text: &str) -> Option<&'static str> {
        KEPT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |kept| {
            kept.checked_add(text.len())
                .filter(|&total| total <= KEPT_BYTES)
        })
        .ok()?;
        Some(Box::leak(Box::<str>::from(text)))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_repeated_value_is_shared_and_a_different_one_is_not() {
            let first = shared("http.route", "/a");
            let again = shared("http.route", "/a");
            assert!(std::ptr::eq(first.as_str(), again.as_str()));
            let other = shared("http.route", "/b");
            assert_eq!(other, "/b");
            assert!(!std::ptr::eq(first.as_str(), other.as_str()));
            // The same text under another field is that field's own.
            let elsewhere = shared("peer.route", "/b");
            assert_eq!(elsewhere, "/b");
            // The field now remembers "/b": "/a" is a new allocation, with
            // the same text.
            let back = shared("http.route", "/a");
            assert_eq!(back, first);
            assert!(!std::ptr::eq(first.as_str(), back.as_str()));
        }

        #[test]
        fn a_value_that_keeps_repeating_becomes_static() {
            let values: Vec<StringValue> = (0..KEEP_AFTER + 2)
                .map(|_| shared("repeating.field", "/steady"))
                .collect();
            assert!(values.iter().all(|v| v == "/steady"));
            assert!(!values[0].is_static());
            assert!(!values[KEEP_AFTER as usize - 2].is_static());
            assert!(values[KEEP_AFTER as usize - 1].is_static());
            let last = values.last().unwrap();
            assert!(last.is_static());
            assert!(std::ptr::eq(
                values[KEEP_AFTER as usize - 1].as_str(),
                last.as_str()
            ));
            // A new value starts over as a shared one.
            let changed = shared("repeating.field", "/moved");
            assert_eq!(changed, "/moved");
            assert!(!changed.is_static());
        }

        #[test]
        fn long_values_are_copied_not_remembered() {
            let long = "x".repeat(MAX_LEN + 1);
            let a = shared("body", &long);
            let b = shared("body", &long);
            assert_eq!(a, b);
            assert!(!std::ptr::eq(a.as_str(), b.as_str()));
        }
    }
}
