//! The W3C test service (`w3c-service`) driven the way the W3C Trace
//! Context harness drives it: requests written byte for byte on a raw
//! socket (repeated headers, odd case, padded values), call backs received
//! by a recorder on 127.0.0.1 that keeps everything it is sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

/// No read or write in these tests waits longer than this.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const PARENT_ID: &str = "b7ad6b7169203331";
const VALID: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/// The service binary, killed when dropped.
struct Service {
    child: Child,
    address: SocketAddr,
}

impl Service {
    fn start() -> Service {
        let mut child = Command::new(env!("CARGO_BIN_EXE_w3c-service"))
            .arg("127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("w3c-service starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        // The guard kills the child even if the address cannot be read.
        let mut service = Service {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("w3c-service prints its address");
        service.address = line
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("w3c-service printed {line:?}, not an address: {e}"));
        service
    }

    /// Sends `POST /` with `headers` (raw header lines, written as given)
    /// and `body`, and reads the whole answer.
    fn post(&self, headers: &[&[u8]], body: &[u8]) -> Answer {
        self.request("POST", headers, body)
    }

    fn request(&self, method: &str, headers: &[&[u8]], body: &[u8]) -> Answer {
        let mut stream = TcpStream::connect(self.address).expect("connect to w3c-service");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut request = format!(
            "{method} / HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.address,
            body.len()
        )
        .into_bytes();
        for header in headers {
            request.extend_from_slice(header);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(body);
        stream.write_all(&request).expect("send the request");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).expect("read the answer");
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        Answer { status, body }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Answer {
    status: u16,
    body: String,
}

/// One call back as the recorder received it.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    /// Every value of `name`, matched ignoring case.
    fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single value of `name`; fails the test if there are several.
    fn header(&self, name: &str) -> Option<&str> {
        let values = self.header_values(name);
        assert!(values.len() <= 1, "{name} sent {} times", values.len());
        values.first().copied()
    }

    fn traceparent(&self) -> Traceparent {
        let value = self.header("traceparent").expect("a traceparent is sent");
        let parts: Vec<&str> = value.split('-').collect();
        let [version, trace_id, parent_id, flags] = parts[..] else {
            panic!("traceparent {value:?} is not four fields");
        };
        let hex = |s: &str, len: usize| {
            s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        assert!(
            hex(version, 2) && hex(trace_id, 32) && hex(parent_id, 16) && hex(flags, 2),
            "traceparent {value:?} is malformed"
        );
        assert!(
            trace_id.bytes().any(|b| b != b'0'),
            "{value:?}: zero trace id"
        );
        assert!(
            parent_id.bytes().any(|b| b != b'0'),
            "{value:?}: zero parent id"
        );
        Traceparent {
            version: version.to_owned(),
            trace_id: trace_id.to_owned(),
            parent_id: parent_id.to_owned(),
            flags: flags.to_owned(),
        }
    }
}

#[derive(Debug)]
struct Traceparent {
    version: String,
    trace_id: String,
    parent_id: String,
    flags: String,
}

/// A plain HTTP/1.1 server on 127.0.0.1 that records each request before
/// answering `200 {}`, one connection at a time, so the record's order is
/// the order the calls arrived in.
struct Recorder {
    address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the recorder");
        let address = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let record = received.clone();
        // The thread ends with the test process; it only ever blocks in
        // accept or in a read bounded by IO_TIMEOUT.
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(request) = read_request(&stream) {
                    record.lock().unwrap().push(request);
                    let _ = (&stream).write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                          Content-Length: 2\r\nConnection: close\r\n\r\n{}",
                    );
                }
            }
        });
        Recorder { address, received }
    }

    fn url(&self, id: &str) -> String {
        format!("http://{}/{id}", self.address)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn read_request(stream: &TcpStream) -> Option<Received> {
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut request_line = line.split_whitespace();
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let mut headers = Vec::new();
    // An HTTP/1.1 head from hyper is a few headers; 100 bounds a bad one.
    for _ in 0..100 {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(Some(0), |(_, v)| v.parse::<usize>().ok())?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        method,
        path,
        headers,
        body,
    })
}

/// Asks the service for one call back to `recorder` with `headers`, and
/// returns what the recorder received.
fn one_call_back(headers: &[&[u8]]) -> Received {
    let recorder = Recorder::start();
    let service = Service::start();
    let body = json!([{"url": recorder.url("callback"), "arguments": []}]);
    let answer = service.post(headers, body.to_string().as_bytes());
    assert_eq!(answer.status, 200, "{answer:?}");
    let mut received = recorder.received();
    assert_eq!(received.len(), 1, "{received:#?}");
    received.remove(0)
}

/// A call back in a new trace: valid ids, not the ones sent, no tracestate.
fn assert_new_trace(received: &Received) {
    let traceparent = received.traceparent();
    assert_eq!(traceparent.version, "00");
    assert_ne!(traceparent.trace_id, TRACE_ID);
    assert_ne!(traceparent.parent_id, PARENT_ID);
    assert_eq!(received.header("tracestate"), None);
}

// "the vendor MUST modify the parent-id field to the new value"; the trace
// id and the sampled flag carry on.
#[test]
fn a_valid_traceparent_is_continued_with_a_new_parent_id() {
    let received = one_call_back(&[format!("traceparent: {VALID}").as_bytes()]);
    let traceparent = received.traceparent();
    assert_eq!(traceparent.version, "00");
    assert_eq!(traceparent.trace_id, TRACE_ID);
    assert_ne!(traceparent.parent_id, PARENT_ID);
    assert_eq!(traceparent.flags, "01");
}

// A caller that did not sample: the child is not sampled either.
#[test]
fn an_unsampled_traceparent_is_continued_unsampled() {
    let received =
        one_call_back(&[b"traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"]);
    let traceparent = received.traceparent();
    assert_eq!(traceparent.trace_id, TRACE_ID);
    assert_eq!(traceparent.flags, "00");
}

// Level 2: keep the random bit (0x02) when continuing a trace.
#[test]
fn the_random_flag_is_kept_when_continuing() {
    let received =
        one_call_back(&[b"traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"]);
    assert_eq!(received.traceparent().flags, "03");
}

// "send unknown flag bits as 0".
#[test]
fn unknown_flag_bits_are_sent_as_zero() {
    let received =
        one_call_back(&[b"traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff"]);
    let traceparent = received.traceparent();
    assert_eq!(traceparent.trace_id, TRACE_ID);
    assert_eq!(traceparent.flags, "03");
}

// A higher version: read the first 55 characters, re-emit as version 00.
#[test]
fn a_higher_version_is_continued_as_version_00() {
    let received = one_call_back(&[
        b"traceparent: cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-comes-next",
    ]);
    let traceparent = received.traceparent();
    assert_eq!(traceparent.version, "00");
    assert_eq!(traceparent.trace_id, TRACE_ID);
    assert_eq!(traceparent.flags, "01");
}

// Roots SHOULD get random trace ids and set the random flag; this service
// samples every new trace.
#[test]
fn no_traceparent_starts_a_sampled_random_trace() {
    let received = one_call_back(&[]);
    assert_new_trace(&received);
    assert_eq!(received.traceparent().flags, "03");
}

#[test]
fn tracestate_is_propagated_beside_a_continued_traceparent() {
    let received = one_call_back(&[
        format!("traceparent: {VALID}").as_bytes(),
        b"tracestate: foo=1,bar=2",
    ]);
    assert_eq!(received.traceparent().trace_id, TRACE_ID);
    assert_eq!(received.header("tracestate"), Some("foo=1,bar=2"));
}

// "Several tracestate headers: join them in order."
#[test]
fn two_tracestate_headers_are_joined_in_order() {
    let received = one_call_back(&[
        format!("traceparent: {VALID}").as_bytes(),
        b"tracestate: foo=1",
        b"tracestate: bar=2",
    ]);
    assert_eq!(received.traceparent().trace_id, TRACE_ID);
    assert_eq!(received.header("tracestate"), Some("foo=1,bar=2"));
}

// "Two traceparent headers: treat as invalid and start a new trace."
#[test]
fn two_traceparent_headers_start_a_new_trace() {
    let received = one_call_back(&[
        format!("traceparent: {VALID}").as_bytes(),
        format!("traceparent: {VALID}").as_bytes(),
        b"tracestate: foo=1",
    ]);
    assert_new_trace(&received);
}

// "Header names are case-insensitive."
#[test]
fn header_names_in_odd_case_are_read() {
    let received = one_call_back(&[
        format!("TraceParent: {VALID}").as_bytes(),
        b"TRACESTATE: foo=1",
    ]);
    assert_eq!(received.traceparent().trace_id, TRACE_ID);
    assert_eq!(received.header("tracestate"), Some("foo=1"));
}

// "Surrounding spaces and tabs are tolerated."
#[test]
fn header_values_padded_with_spaces_and_tabs_are_read() {
    let received = one_call_back(&[
        format!("traceparent: \t {VALID} \t").as_bytes(),
        b"tracestate:\t foo=1 ,\tbar=2 \t",
    ]);
    let traceparent = received.traceparent();
    assert_eq!(traceparent.trace_id, TRACE_ID);
    assert_ne!(traceparent.parent_id, PARENT_ID);
    assert_eq!(received.header("tracestate"), Some("foo=1,bar=2"));
}

// traceparent hex is lowercase only.
#[test]
fn an_upper_case_traceparent_starts_a_new_trace() {
    let received = one_call_back(&[
        b"traceparent: 00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        b"tracestate: foo=1",
    ]);
    assert_new_trace(&received);
}

// Version ff is forbidden.
#[test]
fn version_ff_starts_a_new_trace() {
    let received = one_call_back(&[
        b"traceparent: ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        b"tracestate: foo=1",
    ]);
    assert_new_trace(&received);
}

// An all-zero trace id is invalid.
#[test]
fn an_all_zero_trace_id_starts_a_new_trace() {
    let received = one_call_back(&[
        b"traceparent: 00-00000000000000000000000000000000-b7ad6b7169203331-01",
        b"tracestate: foo=1",
    ]);
    assert_new_trace(&received);
}

// An all-zero parent id is invalid.
#[test]
fn an_all_zero_parent_id_starts_a_new_trace() {
    let received = one_call_back(&[
        b"traceparent: 00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        b"tracestate: foo=1",
    ]);
    assert_new_trace(&received);
}

// Bytes that are not ASCII in a header: no crash, a new trace.
#[test]
fn a_traceparent_that_is_not_ascii_starts_a_new_trace() {
    let received = one_call_back(&[
        b"traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033\xff\xfe-01",
        b"tracestate: foo=\xff",
    ]);
    assert_new_trace(&received);
}

#[test]
fn baggage_is_propagated() {
    let received = one_call_back(&[
        format!("traceparent: {VALID}").as_bytes(),
        b"baggage: tenant=acme,user=ada",
    ]);
    assert_eq!(received.header("baggage"), Some("tenant=acme,user=ada"));
}

// Each outgoing call carries its own new span id; calls are made in order
// and all finish before the service answers.
#[test]
fn several_call_backs_get_distinct_span_ids_in_order_before_the_answer() {
    let recorder = Recorder::start();
    let service = Service::start();
    let ids = ["first", "second", "third", "fourth"];
    let body: Vec<Value> = ids
        .iter()
        .map(|id| json!({"url": recorder.url(id), "arguments": [id]}))
        .collect();
    let answer = service.post(
        &[format!("traceparent: {VALID}").as_bytes()],
        Value::Array(body).to_string().as_bytes(),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body, "{}");

    // The recorder keeps a call before answering it, so what it holds once
    // the service has answered is every call the service made.
    let received = recorder.received();
    let paths: Vec<String> = received.iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ids.map(|id| format!("/{id}")));
    let parents: Vec<String> = received.iter().map(|r| r.traceparent().parent_id).collect();
    for (i, parent) in parents.iter().enumerate() {
        assert_ne!(parent, PARENT_ID);
        assert!(
            !parents[..i].contains(parent),
            "span id reused: {parents:?}"
        );
    }
    assert!(received
        .iter()
        .all(|r| r.traceparent().trace_id == TRACE_ID));
}

#[test]
fn arguments_arrive_as_the_json_body_of_a_post() {
    let recorder = Recorder::start();
    let service = Service::start();
    let arguments = json!([
        {"url": "http://127.0.0.1:1/next", "arguments": [1, "two", null, {"three": [3.5]}]},
        "ünïcödé"
    ]);
    let body = json!([{"url": recorder.url("args?x=1"), "arguments": arguments}]);
    let answer = service.post(&[], body.to_string().as_bytes());
    assert_eq!(answer.status, 200, "{answer:?}");

    let received = recorder.received();
    assert_eq!(received.len(), 1);
    let call = &received[0];
    assert_eq!(call.method, "POST");
    assert_eq!(call.path, "/args?x=1");
    assert_eq!(call.header("content-type"), Some("application/json"));
    let sent: Value = serde_json::from_slice(&call.body).expect("the body is JSON");
    assert_eq!(sent, arguments);
}

#[test]
fn a_malformed_body_is_refused_and_the_service_keeps_serving() {
    let recorder = Recorder::start();
    let service = Service::start();
    let malformed: [&[u8]; 12] = [
        b"",
        b"not json",
        b"[",
        b"\xff\xfe",
        b"{}",
        b"[1]",
        b"[{\"arguments\": []}]",
        b"[{\"url\": 5, \"arguments\": []}]",
        b"[{\"url\": \"not a url\", \"arguments\": []}]",
        b"[{\"url\": \"ftp://127.0.0.1:1/x\", \"arguments\": []}]",
        b"[{\"url\": \"/relative\", \"arguments\": []}]",
        b"[{\"url\": \"http:///no-host\", \"arguments\": []}]",
    ];
    for body in malformed {
        let answer = service.post(&[format!("traceparent: {VALID}").as_bytes()], body);
        assert!(
            (400..500).contains(&answer.status),
            "{:?} got {answer:?}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(recorder.received().is_empty(), "a refused body made calls");

    let body = json!([{"url": recorder.url("after"), "arguments": []}]);
    let answer = service.post(&[], body.to_string().as_bytes());
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(recorder.received().len(), 1);
}

// A call back that cannot connect is reported, the later ones are still
// made, and the service keeps serving.
#[test]
fn an_unreachable_call_back_is_a_bad_gateway_and_the_rest_are_made() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let recorder = Recorder::start();
    let service = Service::start();
    let body = json!([
        {"url": format!("http://{closed}/gone"), "arguments": []},
        {"url": recorder.url("after"), "arguments": []},
    ]);
    let answer = service.post(&[], body.to_string().as_bytes());
    assert_eq!(answer.status, 502, "{answer:?}");
    assert_eq!(recorder.received().len(), 1);
}

#[test]
fn only_post_is_served() {
    let service = Service::start();
    let answer = service.request("GET", &[], b"");
    assert_eq!(answer.status, 405, "{answer:?}");
}

#[test]
fn an_empty_list_is_answered_at_once() {
    let service = Service::start();
    let answer = service.post(&[], b"[]");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body, "{}");
}
