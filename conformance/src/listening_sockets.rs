//! The sockets a process listens on (Linux `/proc`), to check that a peer
//! binds loopback only.

use std::collections::HashSet;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A listening TCP socket or a bound UDP socket of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListeningSocket {
    /// `"tcp"` or `"udp"`.
    pub protocol: &'static str,
    /// The local address.
    pub address: SocketAddr,
}

/// TCP `st` value of a listening socket.
const TCP_LISTEN: &str = "0A";

/// Every TCP socket `pid` listens on and every UDP socket it has bound.
pub fn listening_sockets(pid: u32) -> std::io::Result<Vec<ListeningSocket>> {
    let mut inodes = HashSet::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        // A descriptor closed while we read is no longer of interest.
        let Ok(target) = fs::read_link(entry?.path()) else {
            continue;
        };
        let target = target.to_string_lossy();
        if let Some(inode) = target
            .strip_prefix("socket:[")
            .and_then(|t| t.strip_suffix(']'))
        {
            inodes.insert(inode.to_owned());
        }
    }
    let mut out = Vec::new();
    for (table, protocol) in [
        ("tcp", "tcp"),
        ("tcp6", "tcp"),
        ("udp", "udp"),
        ("udp6", "udp"),
    ] {
        let Ok(text) = fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue; // IPv6 may be disabled.
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if !inodes.contains(*inode) || (protocol == "tcp" && *state != TCP_LISTEN) {
                continue;
            }
            if let Some(address) = parse_address(local) {
                out.push(ListeningSocket { protocol, address });
            }
        }
    }
    Ok(out)
}

/// `0100007F:1F90` or a 32-digit IPv6 form, as the kernel prints it: the
/// address as 32-bit words in the host's byte order, the port in hex.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| {
        ip.get(i * 8..i * 8 + 8)
            .and_then(|w| u32::from_str_radix(w, 16).ok())
            .map(u32::to_ne_bytes)
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn finds_this_process_listening_on_loopback() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let sockets = listening_sockets(std::process::id()).unwrap();
        assert!(
            sockets.contains(&ListeningSocket {
                protocol: "tcp",
                address
            }),
            "{address} not in {sockets:?}"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        assert_eq!(parse_address("zz:0050"), None);
        assert_eq!(parse_address("0100007F"), None);
        assert_eq!(
            parse_address("00000000000000000000000000000000:0050").map(|a| a.port()),
            Some(80)
        );
    }
}
