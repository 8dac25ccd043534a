//! A Thrift reader for tests: decodes what the writers wrote, in either
//! protocol, into a tree, so tests check fields by id.

/// A decoded Thrift value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Thrift {
    Bool(bool),
    I32(i32),
    I64(i64),
    Double(f64),
    Bin(Vec<u8>),
    Struct(Vec<(i16, Thrift)>),
    List(Vec<Thrift>),
}

impl Thrift {
    /// Field `id` of a struct.
    pub(crate) fn field(&self, id: i16) -> Option<&Thrift> {
        match self {
            Thrift::Struct(fields) => fields.iter().find(|(i, _)| *i == id).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The ids of a struct's fields, in order.
    pub(crate) fn ids(&self) -> Vec<i16> {
        match self {
            Thrift::Struct(fields) => fields.iter().map(|(i, _)| *i).collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn i64(&self) -> i64 {
        match self {
            Thrift::I64(v) => *v,
            other => panic!("not an i64: {other:?}"),
        }
    }

    pub(crate) fn i32(&self) -> i32 {
        match self {
            Thrift::I32(v) => *v,
            other => panic!("not an i32: {other:?}"),
        }
    }

    pub(crate) fn str(&self) -> &str {
        match self {
            Thrift::Bin(v) => std::str::from_utf8(v).expect("UTF-8"),
            other => panic!("not a string: {other:?}"),
        }
    }

    pub(crate) fn list(&self) -> &[Thrift] {
        match self {
            Thrift::List(v) => v,
            other => panic!("not a list: {other:?}"),
        }
    }
}

/// Which protocol to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Binary,
    Compact,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    protocol: Protocol,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.bytes[self.pos];
        self.pos += 1;
        b
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        s
    }

    fn varint(&mut self) -> u64 {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }

    fn zigzag(&mut self) -> i64 {
        let v = self.varint();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    fn be<const N: usize>(&mut self) -> [u8; N] {
        self.take(N).try_into().unwrap()
    }

    /// A value of wire type `t` (the protocol's own type ids).
    fn value(&mut self, t: u8) -> Thrift {
        match (self.protocol, t) {
            (Protocol::Compact, 1) => Thrift::Bool(self.byte() == 1),
            (Protocol::Compact, 5) => Thrift::I32(self.zigzag() as i32),
            (Protocol::Compact, 6) => Thrift::I64(self.zigzag()),
            (Protocol::Compact, 7) => Thrift::Double(f64::from_le_bytes(self.be())),
            (Protocol::Compact, 8) => {
                let n = self.varint() as usize;
                Thrift::Bin(self.take(n).to_vec())
            }
            (Protocol::Compact, 9) => {
                let header = self.byte();
                let mut n = usize::from(header >> 4);
                if n == 15 {
                    n = self.varint() as usize;
                }
                Thrift::List((0..n).map(|_| self.value(header & 0x0f)).collect())
            }
            (Protocol::Binary, 2) => Thrift::Bool(self.byte() == 1),
            (Protocol::Binary, 4) => Thrift::Double(f64::from_be_bytes(self.be())),
            (Protocol::Binary, 8) => Thrift::I32(i32::from_be_bytes(self.be())),
            (Protocol::Binary, 10) => Thrift::I64(i64::from_be_bytes(self.be())),
            (Protocol::Binary, 11) => {
                let n = i32::from_be_bytes(self.be()) as usize;
                Thrift::Bin(self.take(n).to_vec())
            }
            (Protocol::Binary, 15) => {
                let element = self.byte();
                let n = i32::from_be_bytes(self.be()) as usize;
                Thrift::List((0..n).map(|_| self.value(element)).collect())
            }
            (_, 12) => self.structure(),
            (p, t) => panic!("{p:?}: unexpected type {t} at {}", self.pos),
        }
    }

    fn structure(&mut self) -> Thrift {
        let mut fields = Vec::new();
        let mut last = 0i16;
        loop {
            let header = self.byte();
            if header == 0 {
                return Thrift::Struct(fields);
            }
            let (id, value) = match self.protocol {
                Protocol::Binary => {
                    let id = i16::from_be_bytes(self.be());
                    (id, self.value(header))
                }
                Protocol::Compact => {
                    let t = header & 0x0f;
                    let delta = i16::from(header >> 4);
                    let id = if delta == 0 {
                        self.zigzag() as i16
                    } else {
                        last + delta
                    };
                    last = id;
                    let value = match t {
                        1 => Thrift::Bool(true),
                        2 => Thrift::Bool(false),
                        t => self.value(t),
                    };
                    (id, value)
                }
            };
            fields.push((id, value));
        }
    }
}

/// Reads one struct from `bytes`; returns it and how many bytes it took.
pub(crate) fn read_struct(protocol: Protocol, bytes: &[u8]) -> (Thrift, usize) {
    let mut r = Reader {
        bytes,
        pos: 0,
        protocol,
    };
    let value = r.structure();
    (value, r.pos)
}

/// Reads a oneway message: its name, seq id and arguments struct; checks
/// the header says oneway and that nothing follows.
pub(crate) fn read_oneway(protocol: Protocol, bytes: &[u8]) -> (String, i32, Thrift) {
    let mut r = Reader {
        bytes,
        pos: 0,
        protocol,
    };
    let (name, seq) = match protocol {
        Protocol::Binary => {
            assert_eq!(r.be::<4>(), [0x80, 0x01, 0x00, 0x04]);
            let n = i32::from_be_bytes(r.be()) as usize;
            let name = String::from_utf8(r.take(n).to_vec()).unwrap();
            (name, i32::from_be_bytes(r.be()))
        }
        Protocol::Compact => {
            assert_eq!([r.byte(), r.byte()], [0x82, 0x81]);
            let seq = r.varint() as u32 as i32;
            let n = r.varint() as usize;
            (String::from_utf8(r.take(n).to_vec()).unwrap(), seq)
        }
    };
    let args = r.structure();
    assert_eq!(r.pos, bytes.len(), "bytes after the message");
    (name, seq, args)
}
