//! Where and how the Jaeger exporters send: from code or from the
//! historical `OTEL_EXPORTER_JAEGER_*` environment variables.

use crate::{env_vars, TlsConfig};
use std::fmt;
use std::time::Duration;

use spanlite::report_diagnostic;

/// The collector's default endpoint (Thrift binary over HTTP).
pub const DEFAULT_COLLECTOR_ENDPOINT: &str = "http://localhost:14268/api/traces";
/// The agent's default host.
pub const DEFAULT_AGENT_HOST: &str = "localhost";
/// The agent's default port for Thrift compact.
pub const DEFAULT_AGENT_COMPACT_PORT: u16 = 6831;
/// The agent's default port for Thrift binary.
pub const DEFAULT_AGENT_BINARY_PORT: u16 = 6832;

/// How spans travel to Jaeger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum JaegerProtocol {
    /// `http/thrift.binary`: Thrift binary `POST`ed to the collector (the
    /// default).
    #[default]
    HttpThriftBinary,
    /// `udp/thrift.compact`: Thrift compact datagrams to the agent (port
    /// 6831).
    UdpThriftCompact,
    /// `udp/thrift.binary`: Thrift binary datagrams to the agent (port
    /// 6832).
    UdpThriftBinary,
}

impl JaegerProtocol {
    /// The name `OTEL_EXPORTER_JAEGER_PROTOCOL` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            JaegerProtocol::HttpThriftBinary => "http/thrift.binary",
            JaegerProtocol::UdpThriftCompact => "udp/thrift.compact",
            JaegerProtocol::UdpThriftBinary => "udp/thrift.binary",
        }
    }

    /// Whether spans go to the agent over UDP.
    pub fn is_udp(self) -> bool {
        self != JaegerProtocol::HttpThriftBinary
    }
}

impl fmt::Display for JaegerProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a Jaeger exporter could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JaegerConfigError(pub(crate) String);

impl fmt::Display for JaegerConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JaegerConfigError {}

/// How the Jaeger exporters send. Built in code with the `with_*` methods
/// or from the environment with [`JaegerConfig::from_env`].
///
/// ```
/// use std::time::Duration;
/// use spanlite_exporters::jaeger::{JaegerConfig, JaegerProtocol};
///
/// let config = JaegerConfig::new()
///     .with_protocol(JaegerProtocol::UdpThriftCompact)
///     .with_agent_host("127.0.0.1")
///     .with_timeout(Duration::from_secs(2));
/// assert_eq!(config.agent_port(), 6831);
///
/// let from_env = JaegerConfig::from_lookup(|name| match name {
///     "OTEL_EXPORTER_JAEGER_PROTOCOL" => Some("udp/thrift.binary".into()),
///     _ => None,
/// });
/// assert_eq!(from_env.agent_port(), 6832);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct JaegerConfig {
    protocol: JaegerProtocol,
    endpoint: String,
    agent_host: String,
    agent_port: Option<u16>,
    timeout: Duration,
    user: Option<String>,
    password: Option<String>,
    tls: TlsConfig,
    retry_initial: Duration,
    retry_max: Duration,
}

impl Default for JaegerConfig {
    fn default() -> JaegerConfig {
        JaegerConfig {
            protocol: JaegerProtocol::HttpThriftBinary,
            endpoint: DEFAULT_COLLECTOR_ENDPOINT.to_owned(),
            agent_host: DEFAULT_AGENT_HOST.to_owned(),
            agent_port: None,
            timeout: Duration::from_secs(10),
            user: None,
            password: None,
            tls: TlsConfig::default(),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for JaegerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password is a credential: say only whether there is one.
        f.debug_struct("JaegerConfig")
            .field("protocol", &self.protocol)
            .field("endpoint", &self.endpoint)
            .field("agent_host", &self.agent_host)
            .field("agent_port", &self.agent_port())
            .field("timeout", &self.timeout)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl JaegerConfig {
    /// The defaults: `http/thrift.binary` to
    /// `http://localhost:14268/api/traces`, agent at `localhost:6831`,
    /// 10 s timeout, no credentials.
    pub fn new() -> JaegerConfig {
        JaegerConfig::default()
    }

    /// The defaults overridden by the environment (the variables of the
    /// Jaeger exporter the OpenTelemetry specification had until 2023):
    ///
    /// | variable | default |
    /// |---|---|
    /// | `OTEL_EXPORTER_JAEGER_PROTOCOL` | `http/thrift.binary` (also `udp/thrift.compact`, `udp/thrift.binary`) |
    /// | `OTEL_EXPORTER_JAEGER_ENDPOINT` | `http://localhost:14268/api/traces` |
    /// | `OTEL_EXPORTER_JAEGER_AGENT_HOST` | `localhost` |
    /// | `OTEL_EXPORTER_JAEGER_AGENT_PORT` | 6831 (6832 for `udp/thrift.binary`) |
    /// | `OTEL_EXPORTER_JAEGER_TIMEOUT` | 10000 ms (0: no limit) |
    /// | `OTEL_EXPORTER_JAEGER_USER`, `OTEL_EXPORTER_JAEGER_PASSWORD` | none (basic authentication to the collector) |
    ///
    /// Empty values count as unset; a malformed value is reported once and
    /// the default used.
    pub fn from_env() -> JaegerConfig {
        JaegerConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`JaegerConfig::from_env`] over any source of variables (for tests
    /// and configuration files).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> JaegerConfig {
        let get = |name: &str| env_vars::value(&lookup, name);
        let mut config = JaegerConfig::default();
        if let Some(protocol) = get("OTEL_EXPORTER_JAEGER_PROTOCOL") {
            match protocol.as_str() {
                "http/thrift.binary" => config.protocol = JaegerProtocol::HttpThriftBinary,
                "udp/thrift.compact" => config.protocol = JaegerProtocol::UdpThriftCompact,
                "udp/thrift.binary" => config.protocol = JaegerProtocol::UdpThriftBinary,
                other => env_vars::report_invalid(
                    "OTEL_EXPORTER_JAEGER_PROTOCOL",
                    other,
                    "http/thrift.binary, udp/thrift.compact or udp/thrift.binary",
                ),
            }
        }
        if let Some(endpoint) = get("OTEL_EXPORTER_JAEGER_ENDPOINT") {
            config.endpoint = endpoint;
        }
        if let Some(host) = get("OTEL_EXPORTER_JAEGER_AGENT_HOST") {
            config.agent_host = host;
        }
        if let Some(port) = get("OTEL_EXPORTER_JAEGER_AGENT_PORT") {
            match port.parse::<u16>() {
                Ok(port) if port != 0 => config.agent_port = Some(port),
                _ => env_vars::report_invalid(
                    "OTEL_EXPORTER_JAEGER_AGENT_PORT",
                    &port,
                    "a port number",
                ),
            }
        }
        if let Some(timeout) = get("OTEL_EXPORTER_JAEGER_TIMEOUT") {
            if let Some(timeout) =
                env_vars::timeout_millis("OTEL_EXPORTER_JAEGER_TIMEOUT", &timeout)
            {
                config.timeout = timeout;
            }
        }
        config.user = get("OTEL_EXPORTER_JAEGER_USER");
        config.password = get("OTEL_EXPORTER_JAEGER_PASSWORD");
        if config.password.is_some() && config.user.is_none() {
            report_diagnostic(
                "invalid_env_var",
                format_args!(
                    "OTEL_EXPORTER_JAEGER_PASSWORD is set without OTEL_EXPORTER_JAEGER_USER; no authentication is sent"
                ),
            );
        }
        config
    }

    /// The transport and encoding.
    pub fn with_protocol(mut self, protocol: JaegerProtocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// The collector URL for `http/thrift.binary` (used as is: include
    /// `/api/traces`).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The agent's host name or address for the UDP protocols.
    pub fn with_agent_host(mut self, host: impl Into<String>) -> Self {
        self.agent_host = host.into();
        self
    }

    /// The agent's UDP port (default 6831 for compact, 6832 for binary).
    pub fn with_agent_port(mut self, port: u16) -> Self {
        self.agent_port = Some(port);
        self
    }

    /// Time allowed for one export (never past the deadline the processor
    /// gives).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trust and identity for an `https://` collector endpoint.
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// The collector exporter's first retry delay and its largest (delays
    /// double in between, with jitter). Defaults: 1 s and 30 s.
    pub fn with_retry_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.retry_initial = initial;
        self.retry_max = max.max(initial);
        self
    }

    pub(crate) fn tls(&self) -> &TlsConfig {
        &self.tls
    }

    pub(crate) fn retry_delays(&self) -> (Duration, Duration) {
        (self.retry_initial, self.retry_max)
    }

    /// Basic authentication to the collector.
    pub fn with_basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self.password = Some(password.into());
        self
    }

    /// The transport and encoding.
    pub fn protocol(&self) -> JaegerProtocol {
        self.protocol
    }

    /// The collector URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The agent's host.
    pub fn agent_host(&self) -> &str {
        &self.agent_host
    }

    /// The agent's port: the one set, else the protocol's default (6832 for
    /// `udp/thrift.binary`, 6831 otherwise).
    pub fn agent_port(&self) -> u16 {
        self.agent_port.unwrap_or(match self.protocol {
            JaegerProtocol::UdpThriftBinary => DEFAULT_AGENT_BINARY_PORT,
            _ => DEFAULT_AGENT_COMPACT_PORT,
        })
    }

    /// The export timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The user for basic authentication.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The password for basic authentication.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The `Authorization` header value for the collector, `Basic
    /// base64(user:password)`, when a user is set (an unset password is
    /// empty).
    pub fn authorization(&self) -> Option<String> {
        let user = self.user.as_deref()?;
        let credentials = format!("{user}:{}", self.password.as_deref().unwrap_or(""));
        Some(format!("Basic {}", base64(credentials.as_bytes())))
    }
}

/// Standard base64 with padding (RFC 4648 section 4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> JaegerConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        JaegerConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn the_defaults_are_the_collector_over_http_and_the_agent_on_6831() {
        let config = from(&[]);
        assert_eq!(config.protocol(), JaegerProtocol::HttpThriftBinary);
        assert_eq!(config.endpoint(), "http://localhost:14268/api/traces");
        assert_eq!(
            (config.agent_host(), config.agent_port()),
            ("localhost", 6831)
        );
        assert_eq!(config.timeout(), Duration::from_secs(10));
        assert_eq!(config.authorization(), None);
    }

    #[test]
    fn every_variable_is_read() {
        let config = from(&[
            ("OTEL_EXPORTER_JAEGER_PROTOCOL", "udp/thrift.compact"),
            ("OTEL_EXPORTER_JAEGER_ENDPOINT", "http://c:1/api/traces"),
            ("OTEL_EXPORTER_JAEGER_AGENT_HOST", "agent"),
            ("OTEL_EXPORTER_JAEGER_AGENT_PORT", "7777"),
            ("OTEL_EXPORTER_JAEGER_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_JAEGER_USER", "ann"),
            ("OTEL_EXPORTER_JAEGER_PASSWORD", "s3cret"),
        ]);
        assert_eq!(config.protocol(), JaegerProtocol::UdpThriftCompact);
        assert_eq!(config.endpoint(), "http://c:1/api/traces");
        assert_eq!((config.agent_host(), config.agent_port()), ("agent", 7777));
        assert_eq!(config.timeout(), Duration::from_millis(2500));
        assert_eq!(
            (config.user(), config.password()),
            (Some("ann"), Some("s3cret"))
        );
    }

    #[test]
    fn udp_thrift_binary_defaults_to_the_agents_binary_port() {
        let config = from(&[("OTEL_EXPORTER_JAEGER_PROTOCOL", "udp/thrift.binary")]);
        assert_eq!(config.agent_port(), 6832);
    }

    #[test]
    fn invalid_values_fall_back_to_the_defaults() {
        let config = from(&[
            ("OTEL_EXPORTER_JAEGER_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_JAEGER_AGENT_PORT", "70000"),
            ("OTEL_EXPORTER_JAEGER_TIMEOUT", "soon"),
        ]);
        assert_eq!(config, JaegerConfig::new());
    }

    #[test]
    fn empty_values_count_as_unset_and_zero_timeout_means_no_limit() {
        let config = from(&[
            ("OTEL_EXPORTER_JAEGER_ENDPOINT", "  "),
            ("OTEL_EXPORTER_JAEGER_TIMEOUT", "0"),
        ]);
        assert_eq!(config.endpoint(), DEFAULT_COLLECTOR_ENDPOINT);
        assert!(config.timeout() >= Duration::from_secs(86_400));
    }

    #[test]
    fn basic_authentication_is_base64_of_user_colon_password() {
        // RFC 7617's example: Aladdin / open sesame.
        let config = JaegerConfig::new().with_basic_auth("Aladdin", "open sesame");
        assert_eq!(
            config.authorization().as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn debug_output_does_not_show_the_password() {
        let config = JaegerConfig::new().with_basic_auth("ann", "s3cret");
        let text = format!("{config:?}");
        assert!(text.contains("ann") && !text.contains("s3cret"));
    }
}
