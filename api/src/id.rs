//! The two id types, [`TraceId`] and [`SpanId`]: 128- and 64-bit numbers that
//! read and write as lowercase hex and are valid when not all zero.

use std::fmt;
use std::str::FromStr;

use crate::hex;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $bytes:literal, $int:ty, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name($int);

        impl $name {
            /// The all-zero id, which the spec calls invalid.
            pub const INVALID: $name = $name(0);

            /// An id from its big-endian bytes.
            #[inline]
            pub const fn from_bytes(bytes: [u8; $bytes]) -> $name {
                $name(<$int>::from_be_bytes(bytes))
            }

            /// An id from a number (big-endian byte order on the wire).
            #[inline]
            pub const fn from_int(value: $int) -> $name {
                $name(value)
            }

            /// The big-endian bytes.
            #[inline]
            pub const fn to_bytes(self) -> [u8; $bytes] {
                self.0.to_be_bytes()
            }

            /// The id as a number.
            #[inline]
            pub const fn to_int(self) -> $int {
                self.0
            }

            /// Whether any byte is non-zero.
            #[inline]
            pub const fn is_valid(self) -> bool {
                self.to_int() != 0
            }

            /// Parses exactly twice as many hex digits as the id has bytes.
            /// Upper case is accepted (formats other than W3C allow it); the
            /// W3C propagator rejects it on its own.
            pub fn from_hex(s: &str) -> Result<$name, ParseIdError> {
                hex::decode::<$bytes>(s.as_bytes())
                    .map($name::from_bytes)
                    .ok_or(ParseIdError { what: $what, digits: $bytes * 2 })
            }

            /// Writes the lowercase hex digits into `out` without allocating.
            pub fn write_hex(self, out: &mut [u8; $bytes * 2]) {
                hex::encode_into(&self.to_bytes(), out);
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::from_hex(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = [0u8; $bytes * 2];
                self.write_hex(&mut buf);
                // Hex digits are ASCII, so the conversion cannot fail.
                f.write_str(std::str::from_utf8(&buf).unwrap_or_default())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }
    };
}

id_type!(
    /// A 16-byte trace id. Valid when at least one byte is non-zero.
    ///
    /// ```
    /// use spanlite_api::TraceId;
    /// let id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse().unwrap();
    /// assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    /// assert!(id.is_valid());
    /// assert!(!TraceId::INVALID.is_valid());
    /// ```
    TraceId, 16, u128, "trace id"
);

id_type!(
    /// An 8-byte span id. Valid when at least one byte is non-zero.
    ///
    /// ```
    /// use spanlite_api::SpanId;
    /// let id: SpanId = "00f067aa0ba902b7".parse().unwrap();
    /// assert_eq!(id.to_string(), "00f067aa0ba902b7");
    /// assert!(!SpanId::from_int(0).is_valid());
    /// ```
    SpanId, 8, u64, "span id"
);

/// A string was not the hex form of an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseIdError {
    what: &'static str,
    digits: usize,
}

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} is exactly {} hex digits", self.what, self.digits)
    }
}

impl std::error::Error for ParseIdError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_lowercase_hex() {
        let id = TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736").unwrap();
        assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(SpanId::from_int(0xff).to_string(), "00000000000000ff");
    }

    #[test]
    fn an_all_zero_id_is_invalid() {
        assert!(!TraceId::from_hex("00000000000000000000000000000000")
            .unwrap()
            .is_valid());
        assert!(TraceId::from_int(1).is_valid());
        assert!(!SpanId::INVALID.is_valid());
    }

    #[test]
    fn wrong_length_or_non_hex_is_an_error() {
        assert!(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473").is_err());
        assert!(SpanId::from_hex("00f067aa0ba902bz").is_err());
        assert!(SpanId::from_hex("").is_err());
        assert!(SpanId::from_hex("00f067aa0ba902b7ä").is_err());
    }
}
