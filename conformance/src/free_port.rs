//! Free TCP and UDP ports on 127.0.0.1, chosen by the kernel.

use std::net::{Ipv4Addr, TcpListener, TcpStream, UdpSocket};

/// `count` distinct ports that were free on 127.0.0.1 a moment ago: each is
/// bound to port 0, read back, and released only once all are chosen, so
/// the kernel cannot hand out the same one twice. Another process may still
/// take one before the peer binds it; [`Jaeger::start`](crate::Jaeger::start)
/// retries on "address already in use".
pub fn free_ports(count: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

/// `count` distinct UDP ports that were free on 127.0.0.1 a moment ago,
/// chosen as [`free_ports`] chooses TCP ports.
pub fn free_udp_ports(count: usize) -> std::io::Result<Vec<u16>> {
    let sockets = (0..count)
        .map(|_| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()?;
    sockets
        .iter()
        .map(|s| s.local_addr().map(|a| a.port()))
        .collect()
}

/// A port on 127.0.0.1 that refuses connections for as long as it lives.
///
/// A port merely freed (bound to 0, read back, released) can be handed to
/// the next bind in the same moment, say to a Jaeger another test is
/// starting, and then it answers. This one is the local end of a
/// connection the value holds open: nothing listens on it, and the kernel
/// gives it to no other bind until the value is dropped.
#[derive(Debug)]
pub struct RefusedPort {
    port: u16,
    _connection: (TcpListener, TcpStream, TcpStream),
}

impl RefusedPort {
    /// Reserves one.
    pub fn new() -> std::io::Result<RefusedPort> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let client = TcpStream::connect(listener.local_addr()?)?;
        let (server, _) = listener.accept()?;
        Ok(RefusedPort {
            port: client.local_addr()?.port(),
            _connection: (listener, client, server),
        })
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_port_refuses_connections_and_cannot_be_bound_meanwhile() {
        let refused = RefusedPort::new().unwrap();
        let error = TcpStream::connect((Ipv4Addr::LOCALHOST, refused.port())).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
        assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, refused.port())).is_err());
    }

    #[test]
    fn ports_are_distinct_and_bindable_on_loopback() {
        let ports = free_ports(6).unwrap();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 6);
        assert!(ports.iter().all(|&p| p != 0));
        for port in ports {
            // Released: binding again succeeds (barring a race with another process).
            TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
        }
    }
}
