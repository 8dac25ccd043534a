//! Strings that are borrowed for `'static` or owned, never copied needlessly.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A string attribute value or name: a `&'static str` is kept as a pointer,
/// an owned `String` is moved in, an `Arc<str>` is shared. None is copied,
/// and cloning a static or shared one does not copy the text either.
#[derive(Clone)]
pub struct StringValue(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Owned(String),
    Shared(Arc<str>),
}

impl StringValue {
    /// A string from a static one, without copying it.
    #[inline]
    pub const fn from_static(s: &'static str) -> StringValue {
        StringValue(Repr::Static(s))
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Owned(s) => s,
            Repr::Shared(s) => s,
        }
    }

    /// Whether the text is borrowed for `'static` (so cloning is free).
    #[inline]
    pub fn is_static(&self) -> bool {
        matches!(self.0, Repr::Static(_))
    }

    /// Shortens the text to at most `max_chars` characters, cutting on a
    /// character boundary. A static string is re-sliced, not copied.
    pub fn truncate_chars(&mut self, max_chars: usize) {
        let cut = match self.as_str().char_indices().nth(max_chars) {
            Some((byte, _)) => byte,
            None => return,
        };
        match &mut self.0 {
            Repr::Static(s) => *s = &s[..cut],
            Repr::Owned(s) => s.truncate(cut),
            Repr::Shared(s) => *s = Arc::from(&s[..cut]),
        }
    }
}

impl Default for StringValue {
    #[inline]
    fn default() -> StringValue {
        StringValue::from_static("")
    }
}

impl Deref for StringValue {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for StringValue {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for StringValue {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for StringValue {
    #[inline]
    fn eq(&self, other: &StringValue) -> bool {
        let (a, b) = (self.as_str(), other.as_str());
        // Different lengths settle most comparisons of attribute keys; the
        // same static string settles the rest without reading bytes.
        a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
    }
}

impl Eq for StringValue {}

impl PartialEq<str> for StringValue {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for StringValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Hash for StringValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for StringValue {
    fn partial_cmp(&self, other: &StringValue) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StringValue {
    fn cmp(&self, other: &StringValue) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl From<&'static str> for StringValue {
    #[inline]
    fn from(s: &'static str) -> StringValue {
        StringValue::from_static(s)
    }
}

impl From<String> for StringValue {
    #[inline]
    fn from(s: String) -> StringValue {
        StringValue(Repr::Owned(s))
    }
}

/// Shares the text: values that repeat across spans (a route, a method)
/// can be one allocation for all of them.
impl From<Arc<str>> for StringValue {
    #[inline]
    fn from(s: Arc<str>) -> StringValue {
        StringValue(Repr::Shared(s))
    }
}

impl From<std::borrow::Cow<'static, str>> for StringValue {
    fn from(s: std::borrow::Cow<'static, str>) -> StringValue {
        match s {
            std::borrow::Cow::Borrowed(s) => StringValue::from_static(s),
            std::borrow::Cow::Owned(s) => StringValue::from(s),
        }
    }
}

impl From<StringValue> for String {
    fn from(s: StringValue) -> String {
        match s.0 {
            Repr::Static(s) => s.to_owned(),
            Repr::Owned(s) => s,
            Repr::Shared(s) => s.as_ref().to_owned(),
        }
    }
}

impl fmt::Display for StringValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for StringValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_strings_are_not_copied() {
        static TEXT: &str = "checkout";
        let value = StringValue::from(TEXT);
        assert!(value.is_static());
        assert!(std::ptr::eq(value.as_str(), TEXT));
    }

    #[test]
    fn shared_strings_are_shared_not_copied() {
        let text: Arc<str> = Arc::from("GET /api/products/{id}");
        let value = StringValue::from(text.clone());
        let copy = value.clone();
        assert!(std::ptr::eq(value.as_str(), &*text));
        assert!(std::ptr::eq(copy.as_str(), &*text));
        assert_eq!(Arc::strong_count(&text), 3);
        assert!(!value.is_static());
        assert_eq!(copy, StringValue::from("GET /api/products/{id}"));
        assert_eq!(String::from(copy), "GET /api/products/{id}");
        let mut cut = value;
        cut.truncate_chars(3);
        assert_eq!(cut, "GET");
        assert_eq!(&*text, "GET /api/products/{id}");
    }

    #[test]
    fn truncation_cuts_on_a_character_boundary() {
        let mut value = StringValue::from("héllo".to_owned());
        value.truncate_chars(2);
        assert_eq!(value, "hé");
        let mut value = StringValue::from("héllo");
        value.truncate_chars(10);
        assert_eq!(value, "héllo");
        value.truncate_chars(0);
        assert_eq!(value, "");
    }
}
