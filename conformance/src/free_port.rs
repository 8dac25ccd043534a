//! Free TCP and UDP ports on 127.0.0.1, chosen by the kernel.

use std::net::{Ipv4Addr, TcpListener, UdpSocket};

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

#[cfg(test)]
mod tests {
    use super::*;

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
