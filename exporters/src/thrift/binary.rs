//! The Thrift binary protocol: fixed-width big-endian integers, a type
//! byte and an i16 id per field, i32 length prefixes, and the strict
//! (versioned) message header.

use super::{FieldType, ThriftWriter};

/// The strict header's version word, `VERSION_1`.
const VERSION_1: u32 = 0x8001_0000;
/// The message type of a oneway call.
const ONEWAY: u32 = 4;
/// The stop field that ends a struct.
const STOP: u8 = 0;

#[inline]
fn type_id(kind: FieldType) -> u8 {
    match kind {
        FieldType::Bool => 2,
        FieldType::Double => 4,
        FieldType::I32 => 8,
        FieldType::I64 => 10,
        FieldType::Binary => 11,
        FieldType::Struct => 12,
        FieldType::List => 15,
    }
}

/// A length as Thrift's i32; Jaeger's lists and strings stay far below
/// 2^31, and a longer one is cut at the largest length Thrift can say.
#[inline]
fn length(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Writes the binary protocol. Stateless.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BinaryWriter;

impl ThriftWriter for BinaryWriter {
    #[inline]
    fn message_begin_oneway(&mut self, out: &mut Vec<u8>, name: &str, seq_id: i32) {
        out.extend_from_slice(&(VERSION_1 | ONEWAY).to_be_bytes());
        self.write_binary(out, name.as_bytes());
        self.write_i32(out, seq_id);
    }

    #[inline]
    fn struct_begin(&mut self) -> i16 {
        0
    }

    #[inline]
    fn struct_end(&mut self, out: &mut Vec<u8>, _saved: i16) {
        out.push(STOP);
    }

    #[inline]
    fn field_begin(&mut self, out: &mut Vec<u8>, kind: FieldType, id: i16) {
        out.push(type_id(kind));
        self.write_i16(out, id);
    }

    #[inline]
    fn field_bool(&mut self, out: &mut Vec<u8>, id: i16, value: bool) {
        self.field_begin(out, FieldType::Bool, id);
        out.push(u8::from(value));
    }

    #[inline]
    fn list_begin(&mut self, out: &mut Vec<u8>, element: FieldType, len: usize) {
        out.push(type_id(element));
        self.write_i32(out, length(len));
    }

    #[inline]
    fn write_i16(&mut self, out: &mut Vec<u8>, value: i16) {
        out.extend_from_slice(&value.to_be_bytes());
    }

    #[inline]
    fn write_i32(&mut self, out: &mut Vec<u8>, value: i32) {
        out.extend_from_slice(&value.to_be_bytes());
    }

    #[inline]
    fn write_i64(&mut self, out: &mut Vec<u8>, value: i64) {
        out.extend_from_slice(&value.to_be_bytes());
    }

    #[inline]
    fn write_double(&mut self, out: &mut Vec<u8>, value: f64) {
        out.extend_from_slice(&value.to_bits().to_be_bytes());
    }

    #[inline]
    fn write_binary(&mut self, out: &mut Vec<u8>, value: &[u8]) {
        let len = length(value.len());
        self.write_i32(out, len);
        out.extend_from_slice(&value[..len as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut BinaryWriter, &mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut BinaryWriter, &mut out);
        out
    }

    #[test]
    fn a_oneway_message_has_the_strict_version_word_then_name_then_seq_id() {
        // "versioned: 0x80 0x01 0x00 type(8 bits), name as i32 length and
        // bytes, then the seq id as i32".
        assert_eq!(
            written(|w, o| w.message_begin_oneway(o, "emitBatch", 7)),
            [
                [0x80, 0x01, 0x00, 0x04].as_slice(),
                &[0, 0, 0, 9],
                b"emitBatch",
                &[0, 0, 0, 7]
            ]
            .concat()
        );
    }

    #[test]
    fn a_field_header_is_a_type_byte_and_a_big_endian_i16_id() {
        assert_eq!(
            written(|w, o| w.field_begin(o, FieldType::I64, 0x0102)),
            [10, 0x01, 0x02]
        );
        assert_eq!(
            written(|w, o| w.field_begin(o, FieldType::Struct, 1)),
            [12, 0, 1]
        );
    }

    #[test]
    fn integers_are_fixed_width_big_endian() {
        assert_eq!(written(|w, o| w.write_i16(o, -2)), [0xff, 0xfe]);
        assert_eq!(written(|w, o| w.write_i32(o, 1)), [0, 0, 0, 1]);
        assert_eq!(
            written(|w, o| w.write_i64(o, -1)),
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            written(|w, o| w.field_i64(o, 3, 0x0102_0304_0506_0708)),
            [10, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8]
        );
    }

    #[test]
    fn doubles_are_big_endian_ieee_754() {
        // 1.0 = 0x3FF0000000000000
        assert_eq!(
            written(|w, o| w.write_double(o, 1.0)),
            [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn a_bool_field_is_a_header_and_one_byte() {
        assert_eq!(written(|w, o| w.field_bool(o, 5, true)), [2, 0, 5, 1]);
        assert_eq!(written(|w, o| w.field_bool(o, 5, false)), [2, 0, 5, 0]);
    }

    #[test]
    fn strings_have_an_i32_length_prefix() {
        assert_eq!(
            written(|w, o| w.field_binary(o, 1, "hé".as_bytes())),
            [11, 0, 1, 0, 0, 0, 3, b'h', 0xc3, 0xa9]
        );
    }

    #[test]
    fn a_list_header_is_the_element_type_and_an_i32_size() {
        assert_eq!(
            written(|w, o| w.field_list(o, 10, FieldType::Struct, 2)),
            [15, 0, 10, 12, 0, 0, 0, 2]
        );
    }

    #[test]
    fn a_struct_ends_with_a_stop_byte() {
        let bytes = written(|w, o| {
            let saved = w.struct_begin();
            w.field_i32(o, 2, 3);
            w.struct_end(o, saved);
        });
        assert_eq!(bytes, [8, 0, 2, 0, 0, 0, 3, 0]);
    }
}
