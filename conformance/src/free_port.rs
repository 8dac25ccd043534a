//! Free TCP ports on 127.0.0.1, chosen by the kernel.

use std::net::{Ipv4Addr, TcpListener};

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
