//! A key with its value.

use crate::{Key, Value};

/// An attribute: a key and its value.
///
/// ```
/// use spanlite_api::KeyValue;
/// let kv = KeyValue::new("http.response.status_code", 200);
/// assert_eq!(kv.key().as_str(), "http.response.status_code");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    key: Key,
    value: Value,
}

impl KeyValue {
    /// An attribute from a key and anything that converts into a value.
    #[inline]
    pub fn new(key: impl Into<Key>, value: impl Into<Value>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }

    /// The key.
    #[inline]
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The value.
    #[inline]
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The value, to change in place (e.g. truncation).
    #[inline]
    pub fn value_mut(&mut self) -> &mut Value {
        &mut self.value
    }

    /// Whether the attribute owns nothing: its key is a static string and
    /// its value a bool, a number or a static string. Cloning or dropping
    /// such an attribute frees and allocates nothing.
    ///
    /// ```
    /// use spanlite_api::KeyValue;
    /// assert!(KeyValue::new("cache.hit", true).is_static());
    /// assert!(KeyValue::new("http.route", "/users/{id}").is_static());
    /// assert!(!KeyValue::new("user.name", String::from("ada")).is_static());
    /// ```
    #[inline]
    pub fn is_static(&self) -> bool {
        self.key.is_static()
            && match &self.value {
                Value::Bool(_) | Value::I64(_) | Value::F64(_) => true,
                Value::String(s) => s.is_static(),
                Value::Array(_) => false,
            }
    }

    /// The key and the value.
    #[inline]
    pub fn into_parts(self) -> (Key, Value) {
        (self.key, self.value)
    }
}
