//! Attribute keys.

use std::fmt;

use crate::{KeyValue, StringValue, Value};

/// An attribute key. A `&'static str` key is kept as a pointer.
///
/// ```
/// use spanlite_api::Key;
/// let kv = Key::new("http.request.method").string("GET");
/// assert_eq!(kv.key().as_str(), "http.request.method");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Key(StringValue);

impl Key {
    /// A key from a static string, without copying it.
    #[inline]
    pub const fn new(name: &'static str) -> Key {
        Key(StringValue::from_static(name))
    }

    /// Whether the key is borrowed for `'static` (so dropping it frees
    /// nothing).
    #[inline]
    pub fn is_static(&self) -> bool {
        self.0.is_static()
    }

    /// The key's text.
    #[inline]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// This key with a value.
    pub fn value(self, value: impl Into<Value>) -> KeyValue {
        KeyValue::new(self, value)
    }

    /// This key with a bool value.
    pub fn bool(self, value: bool) -> KeyValue {
        self.value(value)
    }

    /// This key with an integer value.
    pub fn i64(self, value: i64) -> KeyValue {
        self.value(value)
    }

    /// This key with a floating-point value.
    pub fn f64(self, value: f64) -> KeyValue {
        self.value(value)
    }

    /// This key with a string value.
    pub fn string(self, value: impl Into<StringValue>) -> KeyValue {
        self.value(Value::String(value.into()))
    }
}

impl From<&'static str> for Key {
    #[inline]
    fn from(name: &'static str) -> Key {
        Key::new(name)
    }
}

impl From<String> for Key {
    #[inline]
    fn from(name: String) -> Key {
        Key(StringValue::from(name))
    }
}

impl From<StringValue> for Key {
    #[inline]
    fn from(name: StringValue) -> Key {
        Key(name)
    }
}

impl From<Key> for StringValue {
    #[inline]
    fn from(key: Key) -> StringValue {
        key.0
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
