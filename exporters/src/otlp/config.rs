//! Where and how the OTLP exporter sends: from code or from the
//! `OTEL_EXPORTER_OTLP_*` environment variables.

use std::fmt;
use std::time::Duration;

use spanlite::{parse_key_value_list, report_diagnostic};

use crate::{env_vars, TlsConfig};

/// The default endpoint of OTLP over HTTP.
pub const DEFAULT_HTTP_ENDPOINT: &str = "http://localhost:4318/v1/traces";
/// The default endpoint of OTLP over gRPC.
pub const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

/// The wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// `http/protobuf`: protobuf over HTTP (the default).
    #[default]
    HttpProtobuf,
    /// `http/json`: OTLP/JSON over HTTP.
    HttpJson,
    /// `grpc`: protobuf in `TraceService/Export` calls over HTTP/2.
    Grpc,
}

impl Protocol {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::HttpJson => "application/json",
            Protocol::Grpc => "application/grpc",
        }
    }
}

/// Request body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// None (the default).
    #[default]
    None,
    /// gzip (`Content-Encoding: gzip`).
    Gzip,
}

/// How the OTLP exporter sends. Built in code with the `with_*` methods or
/// from the environment with [`OtlpConfig::from_env`].
#[derive(Clone, PartialEq, Eq)]
pub struct OtlpConfig {
    pub(crate) endpoint: String,
    pub(crate) protocol: Protocol,
    pub(crate) compression: Compression,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) timeout: Duration,
    pub(crate) retry_initial: Duration,
    pub(crate) retry_max: Duration,
    pub(crate) tls: TlsConfig,
    pub(crate) insecure: bool,
}

impl Default for OtlpConfig {
    fn default() -> OtlpConfig {
        OtlpConfig {
            endpoint: DEFAULT_HTTP_ENDPOINT.to_owned(),
            protocol: Protocol::HttpProtobuf,
            compression: Compression::None,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
            tls: TlsConfig::default(),
            insecure: false,
        }
    }
}

impl fmt::Debug for OtlpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values often carry credentials: show the names only.
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("OtlpConfig")
            .field("endpoint", &self.endpoint)
            .field("protocol", &self.protocol)
            .field("compression", &self.compression)
            .field("headers", &names)
            .field("timeout", &self.timeout)
            .field("tls", &self.tls)
            .field("insecure", &self.insecure)
            .finish()
    }
}

impl OtlpConfig {
    /// The defaults: `http/protobuf` to `http://localhost:4318/v1/traces`,
    /// no compression, 10 s timeout.
    pub fn new() -> OtlpConfig {
        OtlpConfig::default()
    }

    /// The defaults overridden by the environment:
    ///
    /// | variable (the `_TRACES_` one wins) | default |
    /// |---|---|
    /// | `OTEL_EXPORTER_OTLP_ENDPOINT` (gets `v1/traces` appended), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) | `http://localhost:4318/v1/traces` |
    /// | `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` | `http/protobuf` (also `http/json`, `grpc`, whose endpoints are used as is, default `http://localhost:4317`) |
    /// | `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TRACES_HEADERS` | none (`k=v,...`, percent-encoded) |
    /// | `OTEL_EXPORTER_OTLP_COMPRESSION`, `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION` | none (`gzip`) |
    /// | `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` | 10000 ms |
    /// | `OTEL_EXPORTER_OTLP_CERTIFICATE`, `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE` | the system's trust store (a PEM file: trust only its CA) |
    /// | `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `..._CLIENT_KEY` (and `_TRACES_` forms) | none (PEM files: mutual TLS) |
    /// | `OTEL_EXPORTER_OTLP_INSECURE`, `OTEL_EXPORTER_OTLP_TRACES_INSECURE` | `false` (a gRPC endpoint without a scheme uses TLS; `true`: plain HTTP/2) |
    ///
    /// Malformed values are reported and ignored.
    pub fn from_env() -> OtlpConfig {
        OtlpConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`OtlpConfig::from_env`] over any source of variables (for tests and
    /// for configuration files).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> OtlpConfig {
        let get = |name: &str| env_vars::value(&lookup, name);
        let pick = |suffix: &str| {
            get(&format!("OTEL_EXPORTER_OTLP_TRACES_{suffix}"))
                .map(|v| (v, true))
                .or_else(|| get(&format!("OTEL_EXPORTER_OTLP_{suffix}")).map(|v| (v, false)))
        };
        let mut config = OtlpConfig::default();
        if let Some((protocol, _)) = pick("PROTOCOL") {
            match protocol.as_str() {
                "http/protobuf" => config.protocol = Protocol::HttpProtobuf,
                "http/json" => config.protocol = Protocol::HttpJson,
                "grpc" => {
                    config.protocol = Protocol::Grpc;
                    config.endpoint = DEFAULT_GRPC_ENDPOINT.to_owned();
                }
                other => report_diagnostic(
                    "invalid_env_var",
                    format_args!(
                        "OTEL_EXPORTER_OTLP_PROTOCOL={other:?} is not grpc, http/protobuf or http/json; using http/protobuf"
                    ),
                ),
            }
        }
        if let Some((endpoint, per_signal)) = pick("ENDPOINT") {
            // gRPC names the service in the path itself: its endpoints are
            // used as given; the generic HTTP one gets the traces path.
            config.endpoint = if per_signal || config.protocol == Protocol::Grpc {
                endpoint
            } else {
                signal_endpoint(&endpoint)
            };
        }
        if let Some((compression, _)) = pick("COMPRESSION") {
            match compression.as_str() {
                "gzip" => config.compression = Compression::Gzip,
                "none" => config.compression = Compression::None,
                other => report_diagnostic(
                    "invalid_env_var",
                    format_args!(
                        "OTEL_EXPORTER_OTLP_COMPRESSION={other:?} is not gzip or none; ignored"
                    ),
                ),
            }
        }
        if let Some((timeout, _)) = pick("TIMEOUT") {
            // The spec reads 0 as "no limit".
            if let Some(timeout) = env_vars::timeout_millis("OTEL_EXPORTER_OTLP_TIMEOUT", &timeout)
            {
                config.timeout = timeout;
            }
        }
        if let Some((ca, _)) = pick("CERTIFICATE") {
            config.tls = config.tls.with_ca_certificate_file(ca);
        }
        let certificate = pick("CLIENT_CERTIFICATE").map(|(v, _)| v.into());
        let key = pick("CLIENT_KEY").map(|(v, _)| v.into());
        if let Err(why) = config.tls.set_client_identity_files(certificate, key) {
            report_diagnostic(
                "invalid_env_var",
                format_args!("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE/_CLIENT_KEY: {why}; no client certificate is used"),
            );
        }
        if let Some((insecure, _)) = pick("INSECURE") {
            match insecure.to_ascii_lowercase().as_str() {
                "true" => config.insecure = true,
                "false" => config.insecure = false,
                _ => report_diagnostic(
                    "invalid_env_var",
                    format_args!(
                        "OTEL_EXPORTER_OTLP_INSECURE={insecure:?} is not true or false; ignored"
                    ),
                ),
            }
        }
        if let Some((headers, _)) = pick("HEADERS") {
            match parse_key_value_list(&headers) {
                Ok(headers) => config.headers = headers,
                Err(why) => report_diagnostic(
                    "invalid_env_var",
                    format_args!("OTEL_EXPORTER_OTLP_HEADERS discarded: {why}"),
                ),
            }
        }
        config
    }

    /// Sends to `endpoint` (used as is: include `/v1/traces`).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The wire format. For gRPC, the endpoint is the collector's base URL
    /// (`http://host:4317`).
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        if protocol == Protocol::Grpc && self.endpoint == DEFAULT_HTTP_ENDPOINT {
            self.endpoint = DEFAULT_GRPC_ENDPOINT.to_owned();
        }
        self.protocol = protocol;
        self
    }

    /// Body compression.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Adds a header to every request.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Time allowed for one export, retries included (and never past the
    /// deadline the processor gives).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The first retry delay and the largest; delays double in between,
    /// with jitter. Defaults: 1 s and 30 s.
    pub fn with_retry_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.retry_initial = initial;
        self.retry_max = max.max(initial);
        self
    }

    /// Trust and identity for `https://` endpoints.
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// For a gRPC endpoint given without a scheme (`collector:4317`):
    /// `true` connects in plain HTTP/2, `false` (the default) over TLS.
    pub fn with_insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The endpoint with a scheme: a gRPC endpoint given without one gets
    /// `https://`, or `http://` when insecure (as the spec says).
    pub(crate) fn endpoint_with_scheme(&self) -> String {
        if self.protocol == Protocol::Grpc && !self.endpoint.contains("://") {
            let scheme = if self.insecure { "http" } else { "https" };
            format!("{scheme}://{}", self.endpoint)
        } else {
            self.endpoint.clone()
        }
    }

    /// The wire format.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The compression.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The extra headers.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The export timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// The generic endpoint with the traces path appended, as the spec says.
fn signal_endpoint(base: &str) -> String {
    if base.ends_with('/') {
        format!("{base}v1/traces")
    } else {
        format!("{base}/v1/traces")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> OtlpConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        OtlpConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn the_generic_endpoint_gets_v1_traces_appended() {
        assert_eq!(
            from(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).endpoint(),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            from(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/base/")]).endpoint(),
            "http://c:4318/base/v1/traces"
        );
    }

    #[test]
    fn the_traces_endpoint_is_used_as_is_and_wins() {
        let config = from(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://traces:9999/custom",
            ),
        ]);
        assert_eq!(config.endpoint(), "http://traces:9999/custom");
    }

    #[test]
    fn defaults_apply_when_nothing_is_set_or_values_are_empty() {
        let config = from(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]);
        assert_eq!(config.endpoint(), DEFAULT_HTTP_ENDPOINT);
        assert_eq!(config.protocol(), Protocol::HttpProtobuf);
        assert_eq!(config.timeout(), Duration::from_secs(10));
    }

    #[test]
    fn protocol_compression_timeout_and_headers_are_read() {
        let config = from(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%20e,team = core"),
        ]);
        assert_eq!(config.protocol(), Protocol::HttpJson);
        assert_eq!(config.compression(), Compression::Gzip);
        assert_eq!(config.timeout(), Duration::from_millis(2500));
        assert_eq!(
            config.headers(),
            &[
                ("api-key".into(), "s e".into()),
                ("team".into(), "core".into())
            ]
        );
    }

    #[test]
    fn grpc_endpoints_are_used_as_given_with_their_own_default() {
        let config = from(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        assert_eq!(
            (config.protocol(), config.endpoint()),
            (Protocol::Grpc, DEFAULT_GRPC_ENDPOINT)
        );
        let config = from(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
        ]);
        assert_eq!(config.endpoint(), "http://c:4317");
    }

    #[test]
    fn malformed_headers_are_discarded_whole() {
        assert!(parse_key_value_list("a=1,broken").is_err());
        assert!(parse_key_value_list("a=%zz").is_err());
        assert!(from(&[("OTEL_EXPORTER_OTLP_HEADERS", "a=1,broken")])
            .headers()
            .is_empty());
    }

    #[test]
    fn tls_files_come_from_the_environment_and_the_traces_variables_win() {
        let config = from(&[
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/generic/ca.pem"),
            ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/traces/ca.pem"),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/c.pem"),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/k.pem"),
        ]);
        let expected = TlsConfig::new()
            .with_ca_certificate_file("/traces/ca.pem")
            .with_client_identity_files("/c.pem", "/k.pem");
        assert_eq!(config.tls, expected);
    }

    #[test]
    fn a_client_certificate_without_its_key_is_ignored() {
        let config = from(&[("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/c.pem")]);
        assert_eq!(config.tls, TlsConfig::new());
    }

    #[test]
    fn insecure_applies_to_grpc_endpoints_without_a_scheme() {
        // "This option only applies to OTLP/gRPC when an endpoint is
        // provided without the http or https scheme."
        let grpc = |insecure: &str| {
            from(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
                ("OTEL_EXPORTER_OTLP_INSECURE", insecure),
            ])
            .endpoint_with_scheme()
        };
        assert_eq!(grpc("true"), "http://collector:4317");
        assert_eq!(grpc("false"), "https://collector:4317");
        assert_eq!(grpc("maybe"), "https://collector:4317");
        let with_scheme = OtlpConfig::new()
            .with_protocol(Protocol::Grpc)
            .with_endpoint("http://c:4317")
            .with_insecure(false);
        assert_eq!(with_scheme.endpoint_with_scheme(), "http://c:4317");
    }

    #[test]
    fn debug_output_does_not_show_header_values() {
        let config = OtlpConfig::new().with_header("authorization", "Bearer secret");
        let text = format!("{config:?}");
        assert!(text.contains("authorization") && !text.contains("secret"));
    }
}
