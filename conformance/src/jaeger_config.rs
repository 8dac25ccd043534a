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
}

impl JaegerPorts {
    /// How many ports a run needs.
    pub const COUNT: usize = 6;

    /// Ports from a list of [`JaegerPorts::COUNT`] ports, in field order.
    pub fn from_slice(ports: &[u16]) -> Option<JaegerPorts> {
        match *ports {
            [otlp_http, otlp_grpc, query_http, query_grpc, health_http, health_grpc] => {
                Some(JaegerPorts {
                    otlp_http,
                    otlp_grpc,
                    query_http,
                    query_grpc,
                    health_http,
                    health_grpc,
                })
            }
            _ => None,
        }
    }
}

/// The most traces the memory store keeps (older ones are evicted).
pub const MAX_TRACES: usize = 100_000;

/// The YAML configuration for `jaeger --config`.
///
/// Any `--config` replaces Jaeger's built-in all-in-one configuration
/// entirely, so what is not named here does not run: no Jaeger, Zipkin or
/// Kafka receivers, no `remote_sampling`, `expvar` or `zpages` extensions.
/// Jaeger's `batch` processor is left out too: without it (and with the
/// storage exporter's queue off by default) a span is in storage when the
/// OTLP request that carried it is answered. Internal metrics (a Prometheus
/// endpoint on localhost:8888 by default) are off, and the query service's
/// self-tracing (to localhost:4317 by default) is off.
pub fn render_config(ports: &JaegerPorts) -> String {
    let mut yaml = String::new();
    let endpoint = |port: u16| format!("127.0.0.1:{port}");
    // Writing to a String cannot fail.
    let _ = write!(
        yaml,
        "\
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
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
    );
    yaml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_on_loopback_at_its_own_port() {
        let ports = JaegerPorts::from_slice(&[4001, 4002, 4003, 4004, 4005, 4006]).unwrap();
        let yaml = render_config(&ports);
        let endpoints: Vec<&str> = yaml
            .lines()
            .filter_map(|l| l.trim().strip_prefix("endpoint: "))
            .collect();
        assert_eq!(endpoints.len(), JaegerPorts::COUNT);
        for port in 4001..=4006 {
            assert!(endpoints.contains(&format!("127.0.0.1:{port}").as_str()));
        }
        assert!(!yaml.contains("localhost") && !yaml.contains("0.0.0.0"));
        assert!(yaml.contains("enable_tracing: false"));
    }

    #[test]
    fn ports_need_exactly_six_values() {
        assert!(JaegerPorts::from_slice(&[1, 2, 3]).is_none());
    }
}
