//! The Jaeger v2 configuration the harness runs: every listener on
//! 127.0.0.1 at a port chosen per run, memory storage, no self-telemetry.

use std::fmt::Write as _;

/// The ports of one Jaeger run, all on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct JaegerPorts {
    /// OTLP over HTTP (`/v1/traces`).
    pub otlp_http: u16,
    /// OTLP over gRPC.
    pub otlp_grpc: u16,
    /// The query service's HTTP API (`/api/traces`, `/api/v3/...`).
    pub query_http: u16,
    /// The query service's gRPC API.
    pub query_grpc: u16,
    /// The health check over HTTP (`/status`).
    pub health_http: u16,
    /// The health check over gRPC.
    pub health_grpc: u16,
    /// Jaeger Thrift over HTTP (`POST /api/traces`), the old collector port.
    pub jaeger_thrift_http: u16,
    /// Zipkin v2 JSON over HTTP (`POST /api/v2/spans`).
    pub zipkin: u16,
    /// The remote sampling extension over HTTP (`GET /sampling?service=..`).
    pub sampling_http: u16,
    /// The remote sampling extension over gRPC.
    pub sampling_grpc: u16,
    /// UDP: the agent's `emitBatch` in Thrift compact.
    pub jaeger_thrift_compact_udp: u16,
    /// UDP: the agent's `emitBatch` in Thrift binary.
    pub jaeger_thrift_binary_udp: u16,
}

impl JaegerPorts {
    /// How many TCP ports a run needs.
    pub const TCP_COUNT: usize = 10;
    /// How many UDP ports a run needs.
    pub const UDP_COUNT: usize = 2;

    /// Ports from [`JaegerPorts::TCP_COUNT`] TCP ports and
    /// [`JaegerPorts::UDP_COUNT`] UDP ports, each list in field order.
    pub fn from_slices(tcp: &[u16], udp: &[u16]) -> Option<JaegerPorts> {
        match (tcp, udp) {
            (
                &[otlp_http, otlp_grpc, query_http, query_grpc, health_http, health_grpc, jaeger_thrift_http, zipkin, sampling_http, sampling_grpc],
                &[jaeger_thrift_compact_udp, jaeger_thrift_binary_udp],
            ) => Some(JaegerPorts {
                otlp_http,
                otlp_grpc,
                query_http,
                query_grpc,
                health_http,
                health_grpc,
                jaeger_thrift_http,
                zipkin,
                sampling_http,
                sampling_grpc,
                jaeger_thrift_compact_udp,
                jaeger_thrift_binary_udp,
            }),
            _ => None,
        }
    }

    /// The TCP ports, in field order.
    pub fn tcp(&self) -> [u16; JaegerPorts::TCP_COUNT] {
        [
            self.otlp_http,
            self.otlp_grpc,
            self.query_http,
            self.query_grpc,
            self.health_http,
            self.health_grpc,
            self.jaeger_thrift_http,
            self.zipkin,
            self.sampling_http,
            self.sampling_grpc,
        ]
    }

    /// The UDP ports, in field order.
    pub fn udp(&self) -> [u16; JaegerPorts::UDP_COUNT] {
        [
            self.jaeger_thrift_compact_udp,
            self.jaeger_thrift_binary_udp,
        ]
    }
}

/// The receive buffer of Jaeger's UDP agent sockets: a burst of
/// datagrams larger than the kernel's default (about 200 KB) would be
/// dropped whole by the kernel before Jaeger reads it.
pub(crate) const UDP_SOCKET_BUFFER: usize = 4 << 20;

/// The most traces the memory store keeps (older ones are evicted).
pub const MAX_TRACES: usize = 100_000;

/// The sampling strategies Jaeger serves unless a test gives its own:
/// sample everything.
pub const DEFAULT_SAMPLING_STRATEGIES: &str =
    r#"{"default_strategy": {"type": "probabilistic", "param": 1.0}}"#;

/// The YAML configuration for `jaeger --config`, with the remote sampling
/// extension serving the strategies file at `strategies` (reloaded every
/// second, so a test may rewrite it).
///
/// Any `--config` replaces Jaeger's built-in all-in-one configuration
/// entirely, so what is not named here does not run: OTLP, Jaeger (gRPC
/// receiver left out) and Zipkin receivers, and the `remote_sampling`
/// extension run; no Kafka receiver, no `expvar` or `zpages` extensions.
/// Jaeger's `batch` processor is left out too: without it (and with the
/// storage exporter's queue off by default) a span is in storage when the
/// OTLP request that carried it is answered. Internal metrics (a Prometheus
/// endpoint on localhost:8888 by default) are off, and the query service's
/// self-tracing (to localhost:4317 by default) is off.
pub fn render_config(ports: &JaegerPorts, strategies: &std::path::Path) -> String {
    let mut yaml = String::new();
    let endpoint = |port: u16| format!("127.0.0.1:{port}");
    // Writing to a String cannot fail.
    let _ = write!(
        yaml,
        "\
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2, remote_sampling]
  pipelines:
    traces:
      receivers: [otlp, jaeger, zipkin]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: info

extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: {health_http}
    grpc:
      endpoint: {health_grpc}

  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: {MAX_TRACES}

  remote_sampling:
    file:
      path: {strategies}
      reload_interval: 1s
    http:
      endpoint: {sampling_http}
    grpc:
      endpoint: {sampling_grpc}

  jaeger_query:
    storage:
      traces: memstore
    enable_tracing: false
    max_clock_skew_adjust: 0s
    http:
      endpoint: {query_http}
    grpc:
      endpoint: {query_grpc}

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: {otlp_grpc}
      http:
        endpoint: {otlp_http}
  jaeger:
    protocols:
      thrift_http:
        endpoint: {jaeger_thrift_http}
      thrift_compact:
        endpoint: {jaeger_thrift_compact}
        socket_buffer_size: {UDP_SOCKET_BUFFER}
      thrift_binary:
        endpoint: {jaeger_thrift_binary}
        socket_buffer_size: {UDP_SOCKET_BUFFER}
  zipkin:
    endpoint: {zipkin}

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
",
        health_http = endpoint(ports.health_http),
        health_grpc = endpoint(ports.health_grpc),
        query_http = endpoint(ports.query_http),
        query_grpc = endpoint(ports.query_grpc),
        otlp_grpc = endpoint(ports.otlp_grpc),
        otlp_http = endpoint(ports.otlp_http),
        jaeger_thrift_http = endpoint(ports.jaeger_thrift_http),
        jaeger_thrift_compact = endpoint(ports.jaeger_thrift_compact_udp),
        jaeger_thrift_binary = endpoint(ports.jaeger_thrift_binary_udp),
        zipkin = endpoint(ports.zipkin),
        sampling_http = endpoint(ports.sampling_http),
        sampling_grpc = endpoint(ports.sampling_grpc),
        strategies = strategies.display(),
    );
    yaml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_on_loopback_at_its_own_port() {
        let tcp: Vec<u16> = (4001..=4010).collect();
        let ports = JaegerPorts::from_slices(&tcp, &[4011, 4012]).unwrap();
        let yaml = render_config(&ports, std::path::Path::new("/tmp/s.json"));
        let endpoints: Vec<&str> = yaml
            .lines()
            .filter_map(|l| l.trim().strip_prefix("endpoint: "))
            .collect();
        assert_eq!(
            endpoints.len(),
            JaegerPorts::TCP_COUNT + JaegerPorts::UDP_COUNT
        );
        assert!(yaml.contains("path: /tmp/s.json"));
        for port in 4001..=4012 {
            assert!(endpoints.contains(&format!("127.0.0.1:{port}").as_str()));
        }
        assert!(!yaml.contains("localhost") && !yaml.contains("0.0.0.0"));
        assert!(yaml.contains("enable_tracing: false"));
    }

    #[test]
    fn ports_need_exactly_ten_tcp_and_two_udp_values() {
        let tcp: Vec<u16> = (1..=10).collect();
        assert!(JaegerPorts::from_slices(&tcp[..3], &[11, 12]).is_none());
        assert!(JaegerPorts::from_slices(&tcp, &[11]).is_none());
        assert!(JaegerPorts::from_slices(&tcp, &[11, 12]).is_some());
    }
}
