//! The sampling endpoint's URL, and one plain HTTP/1.1 `GET` of it over a
//! `TcpStream`, bounded in time and size.
//!
//! Only what a Jaeger sampling endpoint needs: a `200` answer whose body is
//! delimited by `Content-Length` or by the server closing the connection.
//! Anything else (another status, a chunked body, a body over 1 MiB, a
//! connection closed early) is a failed fetch, never a panic.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::JaegerRemoteError;

/// The largest response body accepted; a strategy is a few hundred bytes,
/// a thousand per-operation strategies well under this.
pub(crate) const MAX_BODY: usize = 1 << 20;
/// The largest status line plus headers accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The path used when the URL has none.
const DEFAULT_PATH: &str = "/sampling";

/// Where to ask for the strategy: a parsed `http://` URL with the
/// `service` query parameter already appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// The host to connect to, without IPv6 brackets.
    host: String,
    port: u16,
    /// `host:port` as the `Host` header carries it (IPv6 in brackets).
    authority: String,
    /// The request target: path and query, `?service=...` included.
    target: String,
}

impl Endpoint {
    /// Parses `url` (`http://host[:port][/path][?query]`) and appends
    /// `service=<percent-encoded service>` to its query. A missing path (or
    /// just `/`) becomes `/sampling`; a missing port is 80, as in any
    /// `http://` URL; a fragment is dropped.
    pub(crate) fn parse(url: &str, service: &str) -> Result<Endpoint, JaegerRemoteError> {
        let invalid = |why: &str| JaegerRemoteError::invalid_endpoint(url, why);
        let trimmed = url.trim();
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            return Err(invalid("expected http://host:port[/path]"));
        };
        if scheme.eq_ignore_ascii_case("https") {
            return Err(JaegerRemoteError::https(url));
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(invalid("only the http scheme is supported"));
        }
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(split);
        if authority.contains('@') {
            return Err(invalid("credentials in the URL are not supported"));
        }
        let (host, port) = split_host_port(authority).map_err(invalid)?;
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let path = if path.is_empty() || path == "/" {
            DEFAULT_PATH
        } else {
            path
        };
        let mut target = String::with_capacity(path.len() + service.len() + 16);
        target.push_str(path);
        match query.filter(|q| !q.is_empty()) {
            Some(query) => {
                target.push('?');
                target.push_str(query);
                target.push_str("&service=");
            }
            None => target.push_str("?service="),
        }
        percent_encode(service, &mut target);
        if target.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(invalid("spaces and control characters are not allowed"));
        }
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Endpoint {
            host: host.to_owned(),
            port,
            authority,
            target,
        })
    }

    /// The full URL asked, `?service=` included.
    pub(crate) fn url(&self) -> String {
        format!("http://{}{}", self.authority, self.target)
    }

    /// `GET`s the endpoint and returns the body of a `200` answer. The
    /// whole exchange (name lookup excepted: the standard library cannot
    /// bound it) takes at most `timeout`. `register` sees the connected
    /// stream before anything is sent, so that another thread can shut it
    /// down to interrupt the request; when it returns false the request is
    /// abandoned.
    pub(crate) fn get(
        &self,
        timeout: Duration,
        register: impl FnOnce(&TcpStream) -> bool,
    ) -> Result<Vec<u8>, FetchError> {
        let deadline = Deadline(Instant::now() + timeout);
        let mut stream = self.connect(&deadline)?;
        if !register(&stream) {
            return Err(FetchError::Stopped);
        }
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
             User-Agent: spanlite/{}\r\nConnection: close\r\n\r\n",
            self.target,
            self.authority,
            env!("CARGO_PKG_VERSION")
        );
        stream
            .set_write_timeout(Some(deadline.left()?))
            .and_then(|()| stream.write_all(request.as_bytes()))
            .map_err(FetchError::io)?;
        read_response(&mut stream, &deadline)
    }

    fn connect(&self, deadline: &Deadline) -> Result<TcpStream, FetchError> {
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(FetchError::Resolve)?;
        let mut last_error = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, deadline.left()?) {
                Ok(stream) => {
                    // Best effort: the request is one small write anyway.
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(match last_error {
            Some(error) if is_timeout(&error) => FetchError::TimedOut,
            Some(error) => FetchError::Connect(error),
            None => FetchError::NoAddress,
        })
    }
}

/// `host[:port]`, the host without IPv6 brackets; the port defaults to 80.
fn split_host_port(authority: &str) -> Result<(&str, u16), &'static str> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or("an IPv6 address needs a closing ]")?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or("expected :port after ]")?),
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                return Err("an IPv6 address must be in brackets, e.g. http://[::1]:5778")
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the host is missing");
    }
    if host.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err("the host contains spaces or control characters");
    }
    let port = match port {
        None | Some("") => 80,
        Some(port) => match port.parse::<u16>() {
            Ok(0) | Err(_) => return Err("the port is not a number from 1 to 65535"),
            Ok(port) => port,
        },
    };
    Ok((host, port))
}

/// Appends `s` percent-encoded for a query value: RFC 3986 unreserved
/// characters stay, every other byte of the UTF-8 becomes `%XX`.
pub(crate) fn percent_encode(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// When the request must be done.
struct Deadline(Instant);

impl Deadline {
    /// The time left, never zero (a zero timeout means "none" to sockets).
    fn left(&self) -> Result<Duration, FetchError> {
        self.0
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or(FetchError::TimedOut)
    }
}

/// The status line and the headers this client cares about.
struct Head {
    status: u16,
    content_length: Option<usize>,
}

fn read_response(stream: &mut TcpStream, deadline: &Deadline) -> Result<Vec<u8>, FetchError> {
    let mut data = Vec::with_capacity(4096);
    let head_len = loop {
        if let Some(end) = find(&data, b"\r\n\r\n") {
            break end + 4;
        }
        if data.len() > MAX_HEAD {
            return Err(FetchError::Malformed(
                "the response headers are over 16 KiB",
            ));
        }
        if read_some(stream, &mut data, deadline)? == 0 {
            return Err(FetchError::Truncated);
        }
    };
    let head = parse_head(&data[..head_len])?;
    if head.status != 200 {
        return Err(FetchError::Status(head.status));
    }
    let mut body = data.split_off(head_len);
    match head.content_length {
        Some(length) if length > MAX_BODY => return Err(FetchError::TooLarge),
        Some(length) => {
            while body.len() < length {
                if read_some(stream, &mut body, deadline)? == 0 {
                    return Err(FetchError::Truncated);
                }
            }
            body.truncate(length);
        }
        None => loop {
            if body.len() > MAX_BODY {
                return Err(FetchError::TooLarge);
            }
            if read_some(stream, &mut body, deadline)? == 0 {
                break;
            }
        },
    }
    Ok(body)
}

/// Reads what is there (at most 8 KiB) onto `into`; 0 at the end.
fn read_some(
    stream: &mut TcpStream,
    into: &mut Vec<u8>,
    deadline: &Deadline,
) -> Result<usize, FetchError> {
    let mut buf = [0u8; 8192];
    loop {
        stream
            .set_read_timeout(Some(deadline.left()?))
            .map_err(FetchError::io)?;
        match stream.read(&mut buf) {
            Ok(n) => {
                into.extend_from_slice(&buf[..n]);
                return Ok(n);
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(FetchError::io(error)),
        }
    }
}

fn parse_head(head: &[u8]) -> Result<Head, FetchError> {
    let text = std::str::from_utf8(head)
        .map_err(|_| FetchError::Malformed("the response headers are not text"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return Err(FetchError::Malformed("not an HTTP/1.x status line"));
    }
    let status = code
        .parse::<u16>()
        .map_err(|_| FetchError::Malformed("not an HTTP/1.x status line"))?;
    let mut content_length = None;
    for line in lines.filter(|line| !line.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or(FetchError::Malformed("a header line without a colon"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            let length = value
                .parse::<usize>()
                .map_err(|_| FetchError::Malformed("an invalid Content-Length"))?;
            if content_length.is_some_and(|earlier| earlier != length) {
                return Err(FetchError::Malformed("conflicting Content-Length headers"));
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(if value.to_ascii_lowercase().contains("chunked") {
                FetchError::Chunked
            } else {
                FetchError::Malformed("an unsupported Transfer-Encoding")
            });
        }
    }
    Ok(Head {
        status,
        content_length,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Why a fetch of the strategy failed.
#[derive(Debug)]
pub(crate) enum FetchError {
    Resolve(io::Error),
    NoAddress,
    Connect(io::Error),
    TimedOut,
    Io(io::Error),
    Status(u16),
    Chunked,
    TooLarge,
    Truncated,
    Malformed(&'static str),
    /// The sampler was dropped while the request was under way.
    Stopped,
}

impl FetchError {
    fn io(error: io::Error) -> FetchError {
        if is_timeout(&error) {
            FetchError::TimedOut
        } else {
            FetchError::Io(error)
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Resolve(e) => write!(f, "cannot resolve the host: {e}"),
            FetchError::NoAddress => f.write_str("the host has no address"),
            FetchError::Connect(e) => write!(f, "cannot connect: {e}"),
            FetchError::TimedOut => f.write_str("timed out"),
            FetchError::Io(e) => write!(f, "connection error: {e}"),
            FetchError::Status(status) => write!(f, "HTTP status {status}"),
            FetchError::Chunked => f.write_str("chunked responses are not supported"),
            FetchError::TooLarge => write!(f, "the response body is over {MAX_BODY} bytes"),
            FetchError::Truncated => f.write_str("the connection closed before the response ended"),
            FetchError::Malformed(why) => write!(f, "malformed response: {why}"),
            FetchError::Stopped => f.write_str("the sampler was dropped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str, service: &str) -> Result<String, String> {
        Endpoint::parse(url, service)
            .map(|e| e.url())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_url_without_a_path_asks_for_slash_sampling() {
        for url in ["http://localhost:5778", "http://localhost:5778/"] {
            assert_eq!(
                target(url, "svc").as_deref(),
                Ok("http://localhost:5778/sampling?service=svc")
            );
        }
    }

    #[test]
    fn a_given_path_and_query_are_kept() {
        assert_eq!(
            target("http://agent:9000/api/sampling?x=1", "svc").as_deref(),
            Ok("http://agent:9000/api/sampling?x=1&service=svc")
        );
        assert_eq!(
            target("HTTP://agent/custom#frag", "svc").as_deref(),
            Ok("http://agent:80/custom?service=svc")
        );
    }

    #[test]
    fn the_service_name_is_percent_encoded() {
        assert_eq!(
            target("http://h:1", "a b&c=d/é~x").as_deref(),
            Ok("http://h:1/sampling?service=a%20b%26c%3Dd%2F%C3%A9~x")
        );
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        let endpoint = Endpoint::parse("http://[::1]:5778", "s").unwrap();
        assert_eq!(endpoint.host, "::1");
        assert_eq!(endpoint.url(), "http://[::1]:5778/sampling?service=s");
        assert!(Endpoint::parse("http://::1:5778", "s").is_err());
    }

    #[test]
    fn https_is_refused_with_a_clear_error() {
        let error = Endpoint::parse("https://jaeger:5778", "s").unwrap_err();
        assert!(error.is_https() && error.is_invalid_endpoint());
        assert!(
            error.to_string().contains("https is not supported"),
            "{error}"
        );
    }

    #[test]
    fn malformed_urls_are_errors() {
        for url in [
            "",
            "localhost:5778",
            "ftp://h:1",
            "http://",
            "http://:5778",
            "http://h:0",
            "http://h:99999",
            "http://h:port",
            "http://user:pw@h:1",
            "http://h:1/a b",
            "http://[::1",
        ] {
            let error = Endpoint::parse(url, "s").unwrap_err();
            assert!(error.is_invalid_endpoint() && !error.is_https(), "{url}");
        }
    }

    #[test]
    fn status_lines_and_headers_are_checked() {
        let head = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n").unwrap();
        assert_eq!((head.status, head.content_length), (200, Some(12)));
        let head = parse_head(b"HTTP/1.0 404\r\n\r\n").unwrap();
        assert_eq!((head.status, head.content_length), (404, None));
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(FetchError::Chunked)
        ));
        for bad in [
            &b"SSH-2.0\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        ] {
            assert!(matches!(parse_head(bad), Err(FetchError::Malformed(_))));
        }
    }
}
