//! The Jaeger agent exporter against a UDP socket on 127.0.0.1: every
//! datagram is one `emitBatch` oneway message in Thrift compact, decoded
//! here by a reader of its own, under the 65,000-byte limit, with
//! `seqNo` counting up, and a batch of any size arrives whole.

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use spanlite::{
    InMemoryExporter, KeyValue, Resource, Span, SpanData, SpanExporter, SpanKind, Status,
    TracerProvider,
};
use spanlite_exporters::jaeger::{JaegerAgentExporter, JaegerConfig, JaegerProtocol};

/// A decoded Thrift compact value.
#[derive(Debug, Clone, PartialEq)]
enum Thrift {
    Bool(bool),
    I32(i32),
    I64(i64),
    Double(f64),
    Bin(Vec<u8>),
    Struct(Vec<(i16, Thrift)>),
    List(Vec<Thrift>),
}

impl Thrift {
    fn field(&self, id: i16) -> &Thrift {
        match self {
            Thrift::Struct(fields) => fields
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no field {id} in {self:?}")),
            other => panic!("not a struct: {other:?}"),
        }
    }

    fn i64(&self) -> i64 {
        match self {
            Thrift::I64(v) => *v,
            other => panic!("not an i64: {other:?}"),
        }
    }

    fn str(&self) -> &str {
        match self {
            Thrift::Bin(v) => std::str::from_utf8(v).unwrap(),
            other => panic!("not a string: {other:?}"),
        }
    }

    fn list(&self) -> &[Thrift] {
        match self {
            Thrift::List(v) => v,
            other => panic!("not a list: {other:?}"),
        }
    }
}

/// The Thrift compact protocol, read (only what Jaeger's IDL needs).
struct Compact<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.bytes[self.pos];
        self.pos += 1;
        b
    }

    fn varint(&mut self) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
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

    fn bytes(&mut self) -> Vec<u8> {
        let n = self.varint() as usize;
        let out = self.bytes[self.pos..self.pos + n].to_vec();
        self.pos += n;
        out
    }

    fn value(&mut self, kind: u8) -> Thrift {
        match kind {
            1 | 2 => Thrift::Bool(self.byte() == 1),
            5 => Thrift::I32(self.zigzag() as i32),
            6 => Thrift::I64(self.zigzag()),
            7 => {
                let bits: [u8; 8] = self.bytes[self.pos..self.pos + 8].try_into().unwrap();
                self.pos += 8;
                Thrift::Double(f64::from_le_bytes(bits))
            }
            8 => Thrift::Bin(self.bytes()),
            9 => {
                let header = self.byte();
                let mut n = usize::from(header >> 4);
                if n == 15 {
                    n = self.varint() as usize;
                }
                Thrift::List((0..n).map(|_| self.value(header & 0x0f)).collect())
            }
            12 => self.structure(),
            other => panic!("compact type {other} at {}", self.pos),
        }
    }

    fn structure(&mut self) -> Thrift {
        let (mut fields, mut last) = (Vec::new(), 0i16);
        loop {
            let header = self.byte();
            if header == 0 {
                return Thrift::Struct(fields);
            }
            let delta = i16::from(header >> 4);
            let id = if delta == 0 {
                self.zigzag() as i16
            } else {
                last + delta
            };
            last = id;
            let value = match header & 0x0f {
                1 => Thrift::Bool(true),
                2 => Thrift::Bool(false),
                kind => self.value(kind),
            };
            fields.push((id, value));
        }
    }

    /// A whole datagram: `emitBatch` oneway, returns (seq id, Batch).
    fn emit_batch(datagram: &[u8]) -> (u32, Thrift) {
        let mut r = Compact {
            bytes: datagram,
            pos: 0,
        };
        // Protocol id 0x82; type ONEWAY (4) << 5 | version 1.
        assert_eq!([r.byte(), r.byte()], [0x82, 0x81]);
        let seq = r.varint() as u32;
        assert_eq!(r.bytes(), b"emitBatch");
        let args = r.structure();
        assert_eq!(r.pos, datagram.len(), "bytes after the message");
        (seq, args.field(1).clone())
    }
}

/// A UDP socket on 127.0.0.1 with room for many datagrams.
fn receiver() -> (UdpSocket, SocketAddr) {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
    // The kernel caps this at its maximum; 4 MiB holds a 5,000-span batch.
    socket.set_recv_buffer_size(4 << 20).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let socket: UdpSocket = socket.into();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

fn exporter_to(addr: SocketAddr) -> JaegerAgentExporter {
    JaegerAgentExporter::new(
        JaegerConfig::new()
            .with_protocol(JaegerProtocol::UdpThriftCompact)
            .with_agent_host(addr.ip().to_string())
            .with_agent_port(addr.port()),
    )
    .unwrap()
}

/// Datagrams until `done` says enough, or none arrives for 5 s.
fn receive(socket: &UdpSocket, mut done: impl FnMut(&[Vec<u8>]) -> bool) -> Vec<Vec<u8>> {
    let mut datagrams = Vec::new();
    let mut buf = vec![0u8; 70_000];
    while !done(&datagrams) {
        match socket.recv(&mut buf) {
            Ok(n) => datagrams.push(buf[..n].to_vec()),
            Err(e) => panic!("after {} datagrams: {e}", datagrams.len()),
        }
    }
    datagrams
}

/// `n` CLIENT spans with an `index` attribute, each then given to `each`.
fn spans(n: usize, each: impl Fn(usize, &mut Span)) -> Vec<SpanData> {
    let exported = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .with_resource(Resource::new([
            KeyValue::new("service.name", "udp-test"),
            KeyValue::new("host.name", "h1"),
        ]))
        .with_simple_exporter(exported.clone())
        .build();
    let tracer = provider.tracer("udp");
    for i in 0..n {
        let mut span = tracer
            .span_builder(format!("span {i}"))
            .with_kind(SpanKind::Client)
            .start();
        span.set_attribute(KeyValue::new("index", i as i64));
        each(i, &mut span);
        span.end();
    }
    exported.finished_spans()
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(30)
}

#[test]
fn a_batch_arrives_as_one_emit_batch_message_with_process_and_every_span() {
    let (socket, addr) = receiver();
    let mut exporter = exporter_to(addr);
    let batch = spans(4, |i, span| {
        if i == 3 {
            span.set_status(Status::error("boom"));
        }
    });
    exporter.export(&batch, far()).unwrap();

    let datagrams = receive(&socket, |d| !d.is_empty());
    let (seq, sent) = Compact::emit_batch(&datagrams[0]);
    assert_eq!(seq, 1);
    assert_eq!(sent.field(1).field(1).str(), "udp-test");
    let process_tags = sent.field(1).field(2).list();
    assert_eq!(process_tags[0].field(1).str(), "host.name");
    assert_eq!(process_tags[0].field(3).str(), "h1");
    assert_eq!(sent.field(3).i64(), 1, "seqNo");
    let spans_sent = sent.field(2).list();
    assert_eq!(spans_sent.len(), 4);
    for (span, data) in spans_sent.iter().zip(&batch) {
        let cx = data.span_context();
        let trace = cx.trace_id().to_int();
        assert_eq!(span.field(1).i64(), trace as u64 as i64);
        assert_eq!(span.field(2).i64(), (trace >> 64) as u64 as i64);
        assert_eq!(span.field(3).i64(), cx.span_id().to_int() as i64);
        assert_eq!(span.field(5).str(), data.name());
        assert_eq!(span.field(8).i64(), (data.start_unix_nanos() / 1000) as i64);
    }
    let tags: Vec<(&str, &Thrift)> = spans_sent[3]
        .field(10)
        .list()
        .iter()
        .map(|t| (t.field(1).str(), t))
        .collect();
    let keys: Vec<&str> = tags.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "otel.scope.name",
            "index",
            "span.kind",
            "otel.status_code",
            "error",
            "otel.status_description"
        ]
    );
    assert_eq!(tags[4].1.field(5), &Thrift::Bool(true));
    // ClientStats: nothing dropped so far.
    let stats = sent.field(4);
    assert_eq!([1, 2, 3].map(|id| stats.field(id).i64()), [0, 0, 0]);
    assert_eq!(exporter.stats().spans_sent(), 4);
    assert_eq!(exporter.stats().datagrams_sent(), 1);
}

#[test]
fn a_five_thousand_span_batch_arrives_whole_in_datagrams_under_the_limit() {
    let (socket, addr) = receiver();
    let mut exporter = exporter_to(addr);
    let batch = spans(5_000, |i, span| {
        span.set_attribute(KeyValue::new("payload", "x".repeat(50 + i % 200)))
    });
    exporter.export(&batch, far()).unwrap();
    let stats = exporter.stats();
    let expected = stats.datagrams_sent() as usize;
    assert!(expected > 1, "one datagram for 5,000 spans?");

    let datagrams = receive(&socket, |d| d.len() == expected);
    let mut seen = HashSet::new();
    let mut last_seq = 0;
    for datagram in &datagrams {
        assert!(datagram.len() < 65_000, "{} bytes", datagram.len());
        let (seq, batch) = Compact::emit_batch(datagram);
        let seq_no = batch.field(3).i64();
        assert_eq!(i64::from(seq), seq_no);
        assert_eq!(seq_no, last_seq + 1, "seqNo counts up by one");
        last_seq = seq_no;
        assert_eq!(batch.field(1).field(1).str(), "udp-test");
        for span in batch.field(2).list() {
            assert!(seen.insert(span.field(3).i64()), "a span id twice");
        }
    }
    let sent: HashSet<i64> = batch
        .iter()
        .map(|s| s.span_context().span_id().to_int() as i64)
        .collect();
    assert_eq!(seen, sent);
    assert_eq!(stats.spans_sent(), 5_000);
    assert_eq!(stats.last_seq_no(), last_seq as u64);
    // Full datagrams: far fewer than one per span.
    assert!(datagrams.len() < 40, "{} datagrams", datagrams.len());
}

#[test]
fn a_span_too_large_for_a_datagram_is_counted_and_not_sent() {
    let (socket, addr) = receiver();
    let mut exporter = exporter_to(addr);
    let batch = spans(3, |i, span| {
        if i == 1 {
            span.set_attribute(KeyValue::new("huge", "y".repeat(70_000)));
        }
    });
    let result = exporter.export(&batch, far());
    assert!(result.is_err(), "the dropped span is reported");
    let stats = exporter.stats();
    assert_eq!(stats.too_large_dropped_spans(), 1);
    assert_eq!(stats.spans_sent(), 2);

    let expected = stats.datagrams_sent() as usize;
    let datagrams = receive(&socket, |d| d.len() == expected);
    let ids: Vec<i64> = datagrams
        .iter()
        .flat_map(|d| {
            let (_, batch) = Compact::emit_batch(d);
            batch
                .field(2)
                .list()
                .iter()
                .map(|s| s.field(3).i64())
                .collect::<Vec<_>>()
        })
        .collect();
    let id = |i: usize| batch[i].span_context().span_id().to_int() as i64;
    assert_eq!(ids, [id(0), id(2)]);
    assert!(exporter.counters().unwrap().snapshot().failed_too_large() == 1);

    // The next datagram reports the drop in its ClientStats.
    exporter.export(&spans(1, |_, _| {}), far()).unwrap();
    let next = receive(&socket, |d| !d.is_empty());
    let (_, batch) = Compact::emit_batch(&next[0]);
    assert_eq!(batch.field(4).field(2).i64(), 1, "tooLargeDroppedSpans");
}

#[test]
fn a_send_error_is_counted_as_failed_to_emit_and_returned() {
    // Nothing listens on this port: the ICMP answer to one datagram makes
    // the next send fail with "connection refused".
    let addr = {
        let (socket, addr) = receiver();
        drop(socket);
        addr
    };
    let mut exporter = exporter_to(addr);
    let batch = spans(2, |_, _| {});
    let mut failures = 0;
    for _ in 0..20 {
        if exporter.export(&batch, far()).is_err() {
            failures += 1;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(failures, 1, "no send failed");
    let stats = exporter.stats();
    assert!(stats.failed_to_emit_spans() >= 2);
    assert!(exporter.counters().unwrap().snapshot().failed_connection() >= 1);
}

#[test]
fn nothing_is_sent_after_the_deadline() {
    let (socket, addr) = receiver();
    let mut exporter = exporter_to(addr);
    let result = exporter.export(&spans(2, |_, _| {}), Instant::now());
    assert!(result.unwrap_err().is_timeout());
    assert_eq!(exporter.stats().failed_to_emit_spans(), 2);
    assert_eq!(exporter.stats().datagrams_sent(), 0);
    socket.set_nonblocking(true).unwrap();
    assert!(socket.recv(&mut [0u8; 100]).is_err(), "a datagram was sent");
}

#[test]
fn an_http_protocol_is_refused_by_the_agent_exporter() {
    let error = JaegerAgentExporter::new(JaegerConfig::new()).unwrap_err();
    assert!(error.to_string().contains("collector"), "{error}");
}
