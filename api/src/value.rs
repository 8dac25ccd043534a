//! Attribute values: the primitive types and their homogeneous arrays.

use std::fmt;

use crate::StringValue;

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    I64(i64),
    /// A double-precision float.
    F64(f64),
    /// A UTF-8 string.
    String(StringValue),
    /// A homogeneous array.
    Array(Array),
}

/// A homogeneous array of primitive values.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Array {
    /// Booleans.
    Bool(Vec<bool>),
    /// Integers.
    I64(Vec<i64>),
    /// Floats.
    F64(Vec<f64>),
    /// Strings.
    String(Vec<StringValue>),
}

impl Array {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Array::Bool(v) => v.len(),
            Array::I64(v) => v.len(),
            Array::F64(v) => v.len(),
            Array::String(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Value {
    /// The string, when this is a string value.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// Shortens strings, alone or in an array, to at most `max_chars`
    /// characters (the spec's attribute value length limit).
    pub fn truncate_strings(&mut self, max_chars: usize) {
        match self {
            Value::String(s) => s.truncate_chars(max_chars),
            Value::Array(Array::String(items)) => {
                for s in items {
                    s.truncate_chars(max_chars);
                }
            }
            _ => {}
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str("]")
        }
        match self {
            Value::Bool(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::String(v) => f.write_str(v),
            Value::Array(Array::Bool(v)) => list(f, v),
            Value::Array(Array::I64(v)) => list(f, v),
            Value::Array(Array::F64(v)) => list(f, v),
            Value::Array(Array::String(v)) => list(f, v),
        }
    }
}

macro_rules! from_primitive {
    ($($from:ty => $variant:ident,)*) => {$(
        impl From<$from> for Value {
            #[inline]
            fn from(v: $from) -> Value {
                Value::$variant(v.into())
            }
        }
    )*};
}

from_primitive! {
    bool => Bool,
    i64 => I64,
    i32 => I64,
    u32 => I64,
    f64 => F64,
    &'static str => String,
    String => String,
    StringValue => String,
    Array => Array,
}

macro_rules! from_vec {
    ($($from:ty => $variant:ident,)*) => {$(
        impl From<Vec<$from>> for Value {
            #[inline]
            fn from(v: Vec<$from>) -> Value {
                Value::Array(Array::$variant(v.into_iter().map(Into::into).collect()))
            }
        }
    )*};
}

from_vec! {
    bool => Bool,
    i64 => I64,
    f64 => F64,
    StringValue => String,
    &'static str => String,
    String => String,
}
