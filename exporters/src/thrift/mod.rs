//! Thrift writers: the binary and the compact protocol, for what Jaeger's
//! IDL uses (structs, lists, bool, i32, i64, double, binary, and the
//! message header of a oneway call).
//!
//! Encoders are written once, generic over [`ThriftWriter`], and
//! monomorphized per protocol. Writers keep only the protocol's own state
//! (the compact protocol's last field id); the bytes go to a `Vec<u8>` the
//! caller owns. A struct's encoding does not depend on where it sits, so a
//! struct written alone can be copied into any list of such structs.

mod binary;
mod compact;
#[cfg(test)]
pub(crate) mod reader;

pub(crate) use binary::BinaryWriter;
pub(crate) use compact::CompactWriter;

/// The Thrift types this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    Bool,
    I32,
    I64,
    Double,
    /// `string` and `binary`: length-prefixed bytes.
    Binary,
    Struct,
    List,
}

/// Writes Thrift values in one protocol.
pub(crate) trait ThriftWriter: Default {
    /// The header of a oneway call of `name`.
    fn message_begin_oneway(&mut self, out: &mut Vec<u8>, name: &str, seq_id: i32);

    /// Starts a struct (its fields follow). Returns what
    /// [`struct_end`](ThriftWriter::struct_end) needs to resume the
    /// enclosing struct.
    fn struct_begin(&mut self) -> i16;

    /// Ends a struct (the stop field) and resumes the enclosing one.
    fn struct_end(&mut self, out: &mut Vec<u8>, saved: i16);

    /// A field header; the value follows.
    fn field_begin(&mut self, out: &mut Vec<u8>, kind: FieldType, id: i16);

    /// A whole bool field (the compact protocol folds the value into the
    /// header).
    fn field_bool(&mut self, out: &mut Vec<u8>, id: i16, value: bool);

    /// A list header; `len` elements of type `element` follow.
    fn list_begin(&mut self, out: &mut Vec<u8>, element: FieldType, len: usize);

    /// An i16 value.
    fn write_i16(&mut self, out: &mut Vec<u8>, value: i16);

    /// An i32 value.
    fn write_i32(&mut self, out: &mut Vec<u8>, value: i32);

    /// An i64 value.
    fn write_i64(&mut self, out: &mut Vec<u8>, value: i64);

    /// A double value.
    fn write_double(&mut self, out: &mut Vec<u8>, value: f64);

    /// A string or binary value.
    fn write_binary(&mut self, out: &mut Vec<u8>, value: &[u8]);

    /// An i32 field.
    #[inline]
    fn field_i32(&mut self, out: &mut Vec<u8>, id: i16, value: i32) {
        self.field_begin(out, FieldType::I32, id);
        self.write_i32(out, value);
    }

    /// An i64 field.
    #[inline]
    fn field_i64(&mut self, out: &mut Vec<u8>, id: i16, value: i64) {
        self.field_begin(out, FieldType::I64, id);
        self.write_i64(out, value);
    }

    /// A double field.
    #[inline]
    fn field_double(&mut self, out: &mut Vec<u8>, id: i16, value: f64) {
        self.field_begin(out, FieldType::Double, id);
        self.write_double(out, value);
    }

    /// A string or binary field.
    #[inline]
    fn field_binary(&mut self, out: &mut Vec<u8>, id: i16, value: &[u8]) {
        self.field_begin(out, FieldType::Binary, id);
        self.write_binary(out, value);
    }

    /// A list field's header; `len` elements follow.
    #[inline]
    fn field_list(&mut self, out: &mut Vec<u8>, id: i16, element: FieldType, len: usize) {
        self.field_begin(out, FieldType::List, id);
        self.list_begin(out, element, len);
    }
}
