//! The Thrift compact protocol: zigzag varints for integers, field ids as
//! deltas from the previous field folded into the type byte, bool values
//! folded into the field type, little-endian doubles, and the message
//! header `0x82`, version and type in one byte, varint seq id.

use super::{FieldType, ThriftWriter};

/// The compact protocol's id, the first byte of every message.
const PROTOCOL_ID: u8 = 0x82;
/// The protocol version, in the low five bits of the second byte.
const VERSION: u8 = 1;
/// The message type of a oneway call, in the high three bits.
const ONEWAY: u8 = 4;
/// The stop field that ends a struct.
const STOP: u8 = 0;
/// A bool field holding true, or the element type of a bool list.
const BOOLEAN_TRUE: u8 = 1;
/// A bool field holding false.
const BOOLEAN_FALSE: u8 = 2;

#[inline]
fn type_id(kind: FieldType) -> u8 {
    match kind {
        FieldType::Bool => BOOLEAN_TRUE,
        FieldType::I32 => 5,
        FieldType::I64 => 6,
        FieldType::Double => 7,
        FieldType::Binary => 8,
        FieldType::List => 9,
        FieldType::Struct => 12,
    }
}

#[inline]
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[inline]
fn zigzag32(value: i32) -> u32 {
    ((value << 1) ^ (value >> 31)) as u32
}

#[inline]
fn zigzag64(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Writes the compact protocol. Remembers the last field id of the struct
/// being written, for the deltas.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CompactWriter {
    last_field_id: i16,
}

impl CompactWriter {
    #[inline]
    fn field_header(&mut self, out: &mut Vec<u8>, type_id: u8, id: i16) {
        let delta = i32::from(id) - i32::from(self.last_field_id);
        if (1..=15).contains(&delta) {
            out.push(((delta as u8) << 4) | type_id);
        } else {
            out.push(type_id);
            self.write_i16(out, id);
        }
        self.last_field_id = id;
    }
}

impl ThriftWriter for CompactWriter {
    #[inline]
    fn message_begin_oneway(&mut self, out: &mut Vec<u8>, name: &str, seq_id: i32) {
        out.push(PROTOCOL_ID);
        out.push((ONEWAY << 5) | VERSION);
        // The seq id is a plain varint of its 32 bits, not zigzag.
        put_varint(out, u64::from(seq_id as u32));
        self.write_binary(out, name.as_bytes());
    }

    #[inline]
    fn struct_begin(&mut self) -> i16 {
        std::mem::take(&mut self.last_field_id)
    }

    #[inline]
    fn struct_end(&mut self, out: &mut Vec<u8>, saved: i16) {
        out.push(STOP);
        self.last_field_id = saved;
    }

    #[inline]
    fn field_begin(&mut self, out: &mut Vec<u8>, kind: FieldType, id: i16) {
        self.field_header(out, type_id(kind), id);
    }

    #[inline]
    fn field_bool(&mut self, out: &mut Vec<u8>, id: i16, value: bool) {
        let type_id = if value { BOOLEAN_TRUE } else { BOOLEAN_FALSE };
        self.field_header(out, type_id, id);
    }

    #[inline]
    fn list_begin(&mut self, out: &mut Vec<u8>, element: FieldType, len: usize) {
        if len < 15 {
            out.push(((len as u8) << 4) | type_id(element));
        } else {
            out.push(0xf0 | type_id(element));
            put_varint(out, len as u64);
        }
    }

    #[inline]
    fn write_i16(&mut self, out: &mut Vec<u8>, value: i16) {
        put_varint(out, u64::from(zigzag32(i32::from(value))));
    }

    #[inline]
    fn write_i32(&mut self, out: &mut Vec<u8>, value: i32) {
        put_varint(out, u64::from(zigzag32(value)));
    }

    #[inline]
    fn write_i64(&mut self, out: &mut Vec<u8>, value: i64) {
        put_varint(out, zigzag64(value));
    }

    #[inline]
    fn write_double(&mut self, out: &mut Vec<u8>, value: f64) {
        out.extend_from_slice(&value.to_bits().to_le_bytes());
    }

    #[inline]
    fn write_binary(&mut self, out: &mut Vec<u8>, value: &[u8]) {
        put_varint(out, value.len() as u64);
        out.extend_from_slice(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut CompactWriter, &mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut CompactWriter::default(), &mut out);
        out
    }

    #[test]
    fn a_oneway_message_is_0x82_then_version_and_type_then_varint_seq_id_and_name() {
        // type ONEWAY (4) << 5 | version 1 = 0x81.
        assert_eq!(
            written(|w, o| w.message_begin_oneway(o, "emitBatch", 300)),
            [[0x82, 0x81, 0xac, 0x02, 9].as_slice(), b"emitBatch"].concat()
        );
    }

    #[test]
    fn a_negative_seq_id_is_a_varint_of_its_32_bits_not_zigzag() {
        assert_eq!(
            written(|w, o| w.message_begin_oneway(o, "", -1)),
            [0x82, 0x81, 0xff, 0xff, 0xff, 0xff, 0x0f, 0]
        );
    }

    #[test]
    fn integers_are_zigzag_varints() {
        // zigzag: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, 2147483647 -> 4294967294.
        assert_eq!(written(|w, o| w.write_i32(o, 0)), [0]);
        assert_eq!(written(|w, o| w.write_i32(o, -1)), [1]);
        assert_eq!(written(|w, o| w.write_i32(o, 1)), [2]);
        assert_eq!(written(|w, o| w.write_i32(o, -2)), [3]);
        assert_eq!(written(|w, o| w.write_i32(o, 64)), [0x80, 0x01]);
        assert_eq!(
            written(|w, o| w.write_i32(o, i32::MAX)),
            [0xfe, 0xff, 0xff, 0xff, 0x0f]
        );
        assert_eq!(
            written(|w, o| w.write_i64(o, i64::MIN)),
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        assert_eq!(written(|w, o| w.write_i16(o, -3)), [5]);
    }

    #[test]
    fn doubles_are_little_endian_ieee_754() {
        assert_eq!(
            written(|w, o| w.write_double(o, 1.0)),
            [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]
        );
    }

    #[test]
    fn field_ids_are_deltas_in_the_high_nibble_of_the_type_byte() {
        let bytes = written(|w, o| {
            w.field_i32(o, 1, 0);
            w.field_i32(o, 3, 0);
            w.field_i64(o, 18, 0);
        });
        // id 1: delta 1, I32 (5); id 3: delta 2; id 18: delta 15, I64 (6).
        assert_eq!(bytes, [0x15, 0, 0x25, 0, 0xf6, 0]);
    }

    #[test]
    fn a_delta_over_15_or_a_smaller_id_writes_the_id_as_a_zigzag_i16() {
        let bytes = written(|w, o| {
            w.field_i32(o, 17, 0);
            w.field_i32(o, 2, 0);
        });
        // id 17 from 0: long form, type 5 then zigzag(17) = 34; id 2 after
        // 17 goes backwards: long form again, zigzag(2) = 4.
        assert_eq!(bytes, [0x05, 34, 0, 0x05, 4, 0]);
    }

    #[test]
    fn a_bool_field_carries_its_value_in_the_type_nibble() {
        let bytes = written(|w, o| {
            w.field_bool(o, 5, true);
            w.field_bool(o, 6, false);
        });
        assert_eq!(bytes, [0x51, 0x12]);
    }

    #[test]
    fn strings_have_a_varint_length_prefix() {
        assert_eq!(
            written(|w, o| w.field_binary(o, 1, b"key")),
            [0x18, 3, b'k', b'e', b'y']
        );
        let long = vec![b'x'; 200];
        assert_eq!(written(|w, o| w.write_binary(o, &long))[..2], [0xc8, 0x01]);
    }

    #[test]
    fn a_short_list_puts_its_size_in_the_high_nibble_a_long_one_a_varint() {
        assert_eq!(
            written(|w, o| w.list_begin(o, FieldType::Struct, 14)),
            [0xec]
        );
        assert_eq!(
            written(|w, o| w.list_begin(o, FieldType::Struct, 15)),
            [0xfc, 15]
        );
        assert_eq!(
            written(|w, o| w.list_begin(o, FieldType::Struct, 300)),
            [0xfc, 0xac, 0x02]
        );
    }

    #[test]
    fn a_nested_struct_starts_its_deltas_from_zero_and_the_outer_one_resumes() {
        let bytes = written(|w, o| {
            let outer = w.struct_begin();
            w.field_begin(o, FieldType::Struct, 2);
            let inner = w.struct_begin();
            w.field_i32(o, 1, 0);
            w.struct_end(o, inner);
            w.field_i32(o, 3, 0);
            w.struct_end(o, outer);
        });
        // Outer field 2 (struct, delta 2), inner field 1 (delta 1), stop,
        // outer field 3 (delta 1 from 2), stop.
        assert_eq!(bytes, [0x2c, 0x15, 0, 0, 0x15, 0, 0]);
    }
}
