//! The `exception` event's attributes, per the semantic conventions.

use crate::{Key, KeyValue};

/// `exception.type`.
pub const EXCEPTION_TYPE: Key = Key::new("exception.type");
/// `exception.message`.
pub const EXCEPTION_MESSAGE: Key = Key::new("exception.message");
/// `exception.stacktrace`.
pub const EXCEPTION_STACKTRACE: Key = Key::new("exception.stacktrace");

/// The attributes of an `exception` event for `error`: its type name (the
/// static type, so a `dyn Error` reads as such), its message followed by its
/// sources, and a stack trace when one is given.
pub fn exception_attributes<E: std::error::Error + ?Sized>(
    error: &E,
    stacktrace: Option<String>,
) -> Vec<KeyValue> {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    let mut attributes = vec![
        EXCEPTION_TYPE.string(std::any::type_name::<E>()),
        EXCEPTION_MESSAGE.string(message),
    ];
    if let Some(trace) = stacktrace {
        attributes.push(EXCEPTION_STACKTRACE.string(trace));
    }
    attributes
}
