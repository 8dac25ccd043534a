//! The Jaeger agent exporter: `emitBatch` oneway messages in UDP
//! datagrams, each under the agent's packet size limit.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spanlite::{
    report_diagnostic, ExportError, ExporterCounter, ExporterCounters, SpanData, SpanExporter,
};

use super::config::{JaegerConfig, JaegerConfigError, JaegerProtocol};
use super::datagram::{plan, ClientStats, EncodedSpans, Step};
use super::encoder::group_by_resource;
use crate::thrift::{BinaryWriter, CompactWriter, ThriftWriter};

/// The agent reads datagrams into a buffer of this many bytes (its
/// `max_packet_size`); every datagram sent is smaller.
pub const MAX_PACKET_SIZE: usize = 65_000;

/// What the agent exporter did, in spans and datagrams; the counts the
/// datagrams' `ClientStats` report. Shared: read it while the exporter runs
/// in the export thread.
#[derive(Debug, Default)]
pub struct JaegerAgentStats {
    datagrams_sent: AtomicU64,
    spans_sent: AtomicU64,
    too_large_dropped_spans: AtomicU64,
    failed_to_emit_spans: AtomicU64,
    last_seq_no: AtomicU64,
}

macro_rules! getters {
    ($($name:ident: $doc:literal,)*) => {$(
        #[doc = $doc]
        pub fn $name(&self) -> u64 {
            self.$name.load(Ordering::Relaxed)
        }
    )*};
}

impl JaegerAgentStats {
    getters! {
        datagrams_sent: "Datagrams handed to the operating system.",
        spans_sent: "Spans in those datagrams.",
        too_large_dropped_spans: "Spans dropped because one alone does not fit in a datagram (`tooLargeDroppedSpans`).",
        failed_to_emit_spans: "Spans in datagrams that could not be sent, or not before the deadline (`failedToEmitSpans`).",
        last_seq_no: "The `seqNo` of the last datagram (they count up from 1).",
    }

    fn add(counter: &AtomicU64, n: u64) {
        // Counters only: nothing is ordered by them.
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Sends `datagram`, waiting at most until `deadline` for room in the
/// socket's buffer.
fn send(socket: &UdpSocket, datagram: &[u8], deadline: Instant) -> io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    socket.set_write_timeout(Some(left))?;
    let sent = socket.send(datagram)?;
    if sent != datagram.len() {
        return Err(io::Error::other(format!(
            "sent {sent} of {} bytes",
            datagram.len()
        )));
    }
    Ok(())
}

/// The counter and the export error for a datagram that was not sent.
fn classify(e: &io::Error, agent: SocketAddr) -> (ExporterCounter, ExportError) {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            (ExporterCounter::FailedTimeout, ExportError::timeout())
        }
        // A connected UDP socket learns from an ICMP answer that nothing
        // listens, and says so at the next send.
        io::ErrorKind::ConnectionRefused => (
            ExporterCounter::FailedConnection,
            ExportError::failed(format!("agent {agent}: {e}")),
        ),
        _ => (
            ExporterCounter::FailedOther,
            ExportError::failed(format!("agent {agent}: {e}")),
        ),
    }
}

/// Where the exporter learns how many spans the pipeline dropped because
/// its queue was full, for `ClientStats.fullQueueDroppedSpans`.
type QueueDrops = Box<dyn Fn() -> u64 + Send>;

/// Sends spans to a Jaeger agent (or a Jaeger v2 `jaeger` receiver's
/// `thrift_compact` / `thrift_binary` UDP endpoint) as `emitBatch` oneway
/// messages, one per datagram: Thrift compact to port 6831 by default,
/// Thrift binary (port 6832) with [`JaegerProtocol::UdpThriftBinary`].
///
/// A batch is split by resource (a `Batch` has one `Process`) and then by
/// size, so that every datagram stays under [`MAX_PACKET_SIZE`]; each
/// datagram's `Batch.seqNo` is one more than the last, and its
/// `Batch.stats` carries the exporter's counts so far. A span too large
/// for a datagram on its own is dropped and counted
/// (`tooLargeDroppedSpans`), never sent. Sending never waits past the
/// export deadline or the configured timeout; spans of datagrams that
/// could not be sent are counted (`failedToEmitSpans`) and the export
/// fails. UDP says nothing about delivery: a datagram sent may still be
/// lost on the way.
///
/// ```no_run
/// use spanlite::{BatchSpanProcessor, TracerProvider};
/// use spanlite_exporters::jaeger::{JaegerAgentExporter, JaegerConfig, JaegerProtocol};
///
/// let config = JaegerConfig::from_env().with_protocol(JaegerProtocol::UdpThriftCompact);
/// let exporter = JaegerAgentExporter::new(config).expect("the agent's address resolves");
/// let stats = exporter.stats();
/// let provider = TracerProvider::builder()
///     .with_span_processor(BatchSpanProcessor::from_env(exporter))
///     .build();
/// provider.tracer("app").start("work").end();
/// provider.force_flush(std::time::Duration::from_secs(5)).unwrap();
/// println!("{} datagrams", stats.datagrams_sent());
/// ```
pub struct JaegerAgentExporter {
    config: JaegerConfig,
    agent: SocketAddr,
    socket: UdpSocket,
    max_packet_size: usize,
    encoded: EncodedSpans,
    datagram: Vec<u8>,
    seq_no: i64,
    stats: Arc<JaegerAgentStats>,
    counters: Arc<ExporterCounters>,
    queue_drops: Option<QueueDrops>,
    shut_down: bool,
    last_warning: Option<Instant>,
}

impl fmt::Debug for JaegerAgentExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JaegerAgentExporter")
            .field("config", &self.config)
            .field("agent", &self.agent)
            .field("max_packet_size", &self.max_packet_size)
            .field("seq_no", &self.seq_no)
            .field("shut_down", &self.shut_down)
            .finish()
    }
}

/// The agent's address: the first IPv4 one the host resolves to, else the
/// first (agents usually listen on IPv4, and `localhost` often resolves to
/// `::1` first).
fn resolve(host: &str, port: u16) -> Result<SocketAddr, JaegerConfigError> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| JaegerConfigError(format!("agent {host}:{port}: {e}")))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| JaegerConfigError(format!("agent {host}:{port}: no address")))
}

impl JaegerAgentExporter {
    /// An exporter to the agent of `config` (its `agent_host`,
    /// `agent_port` and UDP protocol). Fails when the protocol is not a UDP
    /// one (`http/thrift.binary` goes to the collector), when the agent's
    /// host does not resolve, or when no UDP socket can be opened.
    pub fn new(config: JaegerConfig) -> Result<JaegerAgentExporter, JaegerConfigError> {
        if !config.protocol().is_udp() {
            return Err(JaegerConfigError(format!(
                "protocol {} sends to the collector, not to the agent; use udp/thrift.compact or udp/thrift.binary",
                config.protocol()
            )));
        }
        let agent = resolve(config.agent_host(), config.agent_port())?;
        let local: SocketAddr = if agent.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)
            .and_then(|s| s.connect(agent).map(|()| s))
            .map_err(|e| JaegerConfigError(format!("UDP socket to {agent}: {e}")))?;
        Ok(JaegerAgentExporter {
            config,
            agent,
            socket,
            max_packet_size: MAX_PACKET_SIZE,
            encoded: EncodedSpans::default(),
            datagram: Vec::new(),
            seq_no: 0,
            stats: Arc::default(),
            counters: Arc::default(),
            queue_drops: None,
            shut_down: false,
            last_warning: None,
        })
    }

    /// Keeps every datagram smaller than `bytes` (default
    /// [`MAX_PACKET_SIZE`]), for an agent configured with a smaller
    /// `max_packet_size`. Values over [`MAX_PACKET_SIZE`] are lowered to it.
    pub fn with_max_packet_size(mut self, bytes: usize) -> Self {
        self.max_packet_size = bytes.min(MAX_PACKET_SIZE);
        self
    }

    /// Where `ClientStats.fullQueueDroppedSpans` comes from: a function
    /// returning how many spans the pipeline has dropped so far because its
    /// queue was full (for example from
    /// [`TracerProvider::stats`](spanlite::TracerProvider::stats)). Without
    /// one the exporter, which cannot see the queue, reports 0.
    pub fn with_full_queue_dropped(mut self, source: impl Fn() -> u64 + Send + 'static) -> Self {
        self.queue_drops = Some(Box::new(source));
        self
    }

    /// The agent's address datagrams go to.
    pub fn agent_addr(&self) -> SocketAddr {
        self.agent
    }

    /// The exporter's counts of datagrams and spans.
    pub fn stats(&self) -> Arc<JaegerAgentStats> {
        self.stats.clone()
    }

    fn warn(&mut self, message: fmt::Arguments<'_>) {
        let now = Instant::now();
        if self
            .last_warning
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(10))
        {
            self.last_warning = Some(now);
            report_diagnostic(
                "export_failed",
                format_args!("{message} (reported at most every 10 s)"),
            );
        }
    }

    fn client_stats(&self) -> ClientStats {
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        ClientStats {
            full_queue_dropped: clamp(self.queue_drops.as_ref().map_or(0, |f| f())),
            too_large_dropped: clamp(self.stats.too_large_dropped_spans()),
            failed_to_emit: clamp(self.stats.failed_to_emit_spans()),
        }
    }

    fn export_with<W: ThriftWriter>(
        &mut self,
        batch: &[SpanData],
        deadline: Instant,
    ) -> Result<(), ExportError> {
        let mut too_large = 0u64;
        let mut failure: Option<(ExportError, String)> = None;
        for group in group_by_resource(batch) {
            self.encoded.encode::<W>(group.resource, &group.spans);
            let envelope = self.encoded.envelope_bound::<W>(&mut self.datagram);
            // "Smaller than the limit": the agent's buffer is the limit.
            let budget = self
                .max_packet_size
                .saturating_sub(1)
                .saturating_sub(envelope);
            let steps = plan(self.encoded.len(), budget, |i| self.encoded.span_len(i));
            for step in steps {
                let run = match step {
                    Step::TooLarge(_) => {
                        too_large += 1;
                        JaegerAgentStats::add(&self.stats.too_large_dropped_spans, 1);
                        self.counters.add(ExporterCounter::FailedTooLarge, 1);
                        continue;
                    }
                    Step::Send(run) => run,
                };
                let spans = run.len() as u64;
                self.seq_no += 1;
                let stats = self.client_stats();
                self.encoded
                    .put_datagram::<W>(&mut self.datagram, self.seq_no, stats, run);
                let sent = send(&self.socket, &self.datagram, deadline);
                self.stats
                    .last_seq_no
                    .store(self.seq_no as u64, Ordering::Relaxed);
                self.counters.add(ExporterCounter::Request, 1);
                match sent {
                    Ok(()) => {
                        JaegerAgentStats::add(&self.stats.datagrams_sent, 1);
                        JaegerAgentStats::add(&self.stats.spans_sent, spans);
                        self.counters.add(ExporterCounter::SpansSent, spans);
                    }
                    Err(e) => {
                        JaegerAgentStats::add(&self.stats.failed_to_emit_spans, spans);
                        let (counter, error) = classify(&e, self.agent);
                        self.counters.add(counter, 1);
                        if failure.is_none() {
                            failure = Some((error, e.to_string()));
                        }
                    }
                }
            }
        }
        if let Some((error, why)) = failure {
            let (failed, agent) = (self.stats.failed_to_emit_spans(), self.agent);
            self.warn(format_args!(
                "datagrams to the Jaeger agent {agent} not sent: {why} ({failed} spans so far)"
            ));
            return Err(error);
        }
        if too_large > 0 {
            let limit = self.max_packet_size;
            self.warn(format_args!(
                "{too_large} spans dropped: each alone is larger than a datagram to the Jaeger agent may be ({limit} bytes)"
            ));
            return Err(ExportError::failed(format!(
                "{too_large} spans too large for a datagram"
            )));
        }
        Ok(())
    }
}

impl SpanExporter for JaegerAgentExporter {
    fn export(&mut self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        if self.shut_down {
            return Err(ExportError::shut_down());
        }
        if batch.is_empty() {
            return Ok(());
        }
        let own = Instant::now()
            .checked_add(self.config.timeout())
            .unwrap_or(deadline);
        let deadline = deadline.min(own);
        match self.config.protocol() {
            JaegerProtocol::UdpThriftBinary => self.export_with::<BinaryWriter>(batch, deadline),
            _ => self.export_with::<CompactWriter>(batch, deadline),
        }
    }

    fn shutdown(&mut self, _timeout: Duration) -> Result<(), ExportError> {
        self.shut_down = true;
        Ok(())
    }

    fn counters(&self) -> Option<Arc<ExporterCounters>> {
        Some(self.counters.clone())
    }
}
