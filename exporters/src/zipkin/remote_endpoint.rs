//! Zipkin's `remoteEndpoint` from a span's attributes, by the spec's
//! ranking: for CLIENT and PRODUCER spans, so that Zipkin sees the
//! dependency.

use std::net::IpAddr;

use spanlite::{KeyValue, SpanKind, Value};

/// Where the remote endpoint comes from, best first: a name, or an address
/// with the attribute that holds its port.
const RANKING: &[(&str, Option<&str>)] = &[
    ("peer.service", None),
    ("server.address", None),
    ("net.peer.name", None),
    ("network.peer.address", Some("network.peer.port")),
    ("server.socket.domain", None),
    ("server.socket.address", Some("server.socket.port")),
    ("net.sock.peer.name", None),
    ("net.sock.peer.addr", Some("net.sock.peer.port")),
    ("peer.hostname", None),
    ("peer.address", None),
    ("db.name", None),
];

/// A Zipkin `Endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RemoteEndpoint<'a> {
    /// `{"serviceName": ...}`.
    Named(&'a str),
    /// `{"ipv4"|"ipv6": ..., "port": ...}`.
    Address(IpAddr, Option<u16>),
}

fn get<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|kv| kv.key().as_str() == key)
        .map(KeyValue::value)
}

fn port(value: &Value) -> Option<u16> {
    match value {
        Value::I64(p) => u16::try_from(*p).ok(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The remote endpoint of a span of `kind` with `attributes`: `None` for
/// kinds other than CLIENT and PRODUCER, and when no ranked attribute is
/// there (an address attribute that is not an IP address is passed over).
pub(crate) fn remote_endpoint(
    kind: SpanKind,
    attributes: &[KeyValue],
) -> Option<RemoteEndpoint<'_>> {
    if !matches!(kind, SpanKind::Client | SpanKind::Producer) {
        return None;
    }
    RANKING.iter().find_map(|&(key, port_key)| {
        let value = get(attributes, key)?.as_str().filter(|s| !s.is_empty())?;
        match port_key {
            None => Some(RemoteEndpoint::Named(value)),
            Some(port_key) => {
                let ip: IpAddr = value.parse().ok()?;
                Some(RemoteEndpoint::Address(
                    ip,
                    get(attributes, port_key).and_then(port),
                ))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn peer_service_ranks_first() {
        let attributes = [
            KeyValue::new("server.address", "db.internal"),
            KeyValue::new("peer.service", "billing"),
        ];
        assert_eq!(
            remote_endpoint(SpanKind::Client, &attributes),
            Some(RemoteEndpoint::Named("billing"))
        );
    }

    #[test]
    fn server_address_is_used_when_there_is_no_peer_service() {
        let attributes = [
            KeyValue::new("db.name", "orders"),
            KeyValue::new("server.address", "db.internal"),
        ];
        assert_eq!(
            remote_endpoint(SpanKind::Producer, &attributes),
            Some(RemoteEndpoint::Named("db.internal"))
        );
    }

    #[test]
    fn a_peer_address_is_combined_with_its_port() {
        // "network.peer.address ... should be combined with
        // network.peer.port if it is also present."
        let attributes = [
            KeyValue::new("network.peer.port", 5432_i64),
            KeyValue::new("network.peer.address", "10.0.0.7"),
        ];
        assert_eq!(
            remote_endpoint(SpanKind::Client, &attributes),
            Some(RemoteEndpoint::Address(
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
                Some(5432)
            ))
        );
    }

    #[test]
    fn only_client_and_producer_spans_get_a_remote_endpoint() {
        let attributes = [KeyValue::new("peer.service", "billing")];
        for kind in [SpanKind::Server, SpanKind::Consumer, SpanKind::Internal] {
            assert_eq!(remote_endpoint(kind, &attributes), None);
        }
    }

    #[test]
    fn an_address_that_is_not_an_ip_is_passed_over() {
        let attributes = [
            KeyValue::new("network.peer.address", "not-an-ip"),
            KeyValue::new("peer.hostname", "h1"),
        ];
        assert_eq!(
            remote_endpoint(SpanKind::Client, &attributes),
            Some(RemoteEndpoint::Named("h1"))
        );
        assert_eq!(remote_endpoint(SpanKind::Client, &[]), None);
    }
}
