//! `JaegerRemoteSampler` against a scripted HTTP server on 127.0.0.1: what
//! it asks, how each strategy samples, and that no failure of the server
//! changes the strategy in force. Tests wait on the sampler's counters
//! (with a deadline), never on the clock.

#![cfg(feature = "jaeger-remote")]

use spanlite_test_support::{allocations_on_this_thread, CountingAllocator};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use spanlite_api::{Context, SpanKind, TraceId};
use spanlite_samplers::{
    sampler_from_config_for_service, AlwaysOff, AlwaysOn, JaegerRemoteSampler, JaegerRemoteStats,
    Sampler, SamplingDecision, SamplingParams, SamplingResult, StrategyKind,
};

/// How long any wait may take before the test fails.
const WAIT: Duration = Duration::from_secs(20);
/// Short, so that tests see several polls quickly.
const INTERVAL: Duration = Duration::from_millis(20);

/// A trace id sampled by any probability above 0.
const HIGH: u128 = (1 << 56) - 1;
/// A trace id sampled by probability 1 only.
const LOW: u128 = 1;

// ------------------------------------------------- allocation counting

/// Counts the allocations of each thread, for the hot-path test.
#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

// ---------------------------------------------------------------- server

/// What the server answers to every request.
#[derive(Debug, Clone)]
enum Reply {
    /// `200` with this JSON body and its `Content-Length`.
    Json(String),
    /// This status, empty body.
    Status(u16),
    /// These bytes as they are, then the connection closes.
    Raw(Vec<u8>),
    /// Reads the request and never answers (until the server stops).
    Hang,
}

#[derive(Debug)]
struct ServerState {
    reply: Reply,
    /// The request line of each request, in order.
    requests: Vec<String>,
    /// Connections `Reply::Hang` keeps open.
    held: Vec<TcpStream>,
    stopped: bool,
}

#[derive(Debug)]
struct Server {
    addr: SocketAddr,
    state: Arc<(Mutex<ServerState>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(reply: Reply) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new((
            Mutex::new(ServerState {
                reply,
                requests: Vec::new(),
                held: Vec::new(),
                stopped: false,
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.0.lock().unwrap().stopped {
                    break;
                }
                if let Ok(stream) = stream {
                    serve(stream, &shared);
                }
            }
        });
        Server {
            addr,
            state,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn reply(&self, reply: Reply) {
        self.state.0.lock().unwrap().reply = reply;
    }

    fn requests(&self) -> Vec<String> {
        self.state.0.lock().unwrap().requests.clone()
    }

    /// Waits until the server has read `count` requests.
    fn wait_for_requests(&self, count: usize) {
        let (lock, changed) = &*self.state;
        let guard = lock.lock().unwrap();
        let (guard, timeout) = changed
            .wait_timeout_while(guard, WAIT, |s| s.requests.len() < count)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "{} requests of {count}",
            guard.requests.len()
        );
    }

    /// Stops listening: later connections are refused.
    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        {
            let mut state = self.state.0.lock().unwrap();
            state.stopped = true;
            state.held.clear();
        }
        // Wakes the accept loop, which then sees `stopped`.
        let _ = TcpStream::connect(self.addr);
        thread.join().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(mut stream: TcpStream, state: &(Mutex<ServerState>, Condvar)) {
    let _ = stream.set_read_timeout(Some(WAIT));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let reply = {
        let mut guard = state.0.lock().unwrap();
        guard.requests.push(line);
        state.1.notify_all();
        guard.reply.clone()
    };
    let bytes = match reply {
        Reply::Json(body) => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
        Reply::Status(status) => {
            format!("HTTP/1.1 {status} Oops\r\nContent-Length: 0\r\n\r\n").into_bytes()
        }
        Reply::Raw(bytes) => bytes,
        Reply::Hang => {
            state.0.lock().unwrap().held.push(stream);
            return;
        }
    };
    // The client may hang up early (on a body too large): not our failure.
    let _ = stream.write_all(&bytes);
}

// ---------------------------------------------------------------- helpers

fn probabilistic(rate: f64) -> Reply {
    Reply::Json(format!(
        r#"{{"strategyType":0,"probabilisticSampling":{{"samplingRate":{rate}}}}}"#
    ))
}

fn rate_limiting(per_second: u32) -> Reply {
    Reply::Json(format!(
        r#"{{"strategyType":1,"rateLimitingSampling":{{"maxTracesPerSecond":{per_second}}}}}"#
    ))
}

/// Jaeger's per-operation answer: `operations` are `(name, probability)`.
fn per_operation(default: f64, lower_bound: u32, operations: &[(&str, f64)]) -> Reply {
    let list: Vec<String> = operations
        .iter()
        .map(|(name, p)| {
            format!(r#"{{"operation":"{name}","probabilisticSampling":{{"samplingRate":{p}}}}}"#)
        })
        .collect();
    Reply::Json(format!(
        r#"{{"strategyType":1,"rateLimitingSampling":{{"maxTracesPerSecond":1000}},
        "operationSampling":{{"defaultSamplingProbability":{default},
        "defaultLowerBoundTracesPerSecond":{lower_bound},"perOperationStrategies":[{}],
        "defaultUpperBoundTracesPerSecond":0}}}}"#,
        list.join(",")
    ))
}

/// A sampler polling `server` every `INTERVAL`, `AlwaysOff` until the
/// first answer, quiet about failures.
fn sampler_for(server: &Server) -> JaegerRemoteSampler {
    JaegerRemoteSampler::builder("svc")
        .endpoint(server.url())
        .polling_interval(INTERVAL)
        .initial_sampler(AlwaysOff)
        .diagnostics(|_, _| {})
        .build()
        .expect("a valid endpoint")
}

fn decision(sampler: &dyn Sampler, name: &str, trace: u128) -> SamplingDecision {
    let cx = Context::new();
    let params = SamplingParams::new(&cx, TraceId::from_int(trace), name, SpanKind::Server);
    sampler.should_sample(&params).decision()
}

fn sampled(sampler: &dyn Sampler, name: &str, trace: u128) -> bool {
    decision(sampler, name, trace).is_sampled()
}

/// Waits, by the sampler's poll counter, until `done` holds.
fn wait_until(
    sampler: &JaegerRemoteSampler,
    what: &str,
    done: impl Fn(&JaegerRemoteStats) -> bool,
) {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = sampler.stats();
        if done(&stats) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out waiting for {what}: {stats:?}");
        sampler.wait_for_poll(stats.polls(), left);
    }
}

/// Replies `reply` from now on and waits until the sampler has put the
/// strategy in force.
fn switch_to(server: &Server, sampler: &JaegerRemoteSampler, reply: Reply) {
    let updates = sampler.stats().updates();
    server.reply(reply);
    assert!(
        sampler.wait_for_update(updates, WAIT),
        "no update: {:?}",
        sampler.stats()
    );
}

/// Counts the roots of `name` sampled out of `tries` at once, and the
/// seconds that took (the limiters refill meanwhile).
fn count_roots(sampler: &dyn Sampler, name: &str, trace: u128, tries: usize) -> (usize, f64) {
    let started = Instant::now();
    let kept = (0..tries).filter(|_| sampled(sampler, name, trace)).count();
    (kept, started.elapsed().as_secs_f64())
}

// ---------------------------------------------------------------- tests

#[test]
fn the_initial_sampler_decides_before_the_first_answer() {
    let server = Server::start(Reply::Hang);
    let sampler = JaegerRemoteSampler::builder("svc")
        .endpoint(server.url())
        .initial_sampling_rate(1.0)
        .build()
        .unwrap();
    server.wait_for_requests(1);
    assert!(sampled(&sampler, "op", LOW));
    assert_eq!(sampler.stats().strategy(), StrategyKind::Initial);
    assert_eq!(sampler.stats().polls(), 0);
    assert_eq!(
        sampler.description(),
        "JaegerRemoteSampler{initial:TraceIdRatioBased{1}}"
    );

    let off = JaegerRemoteSampler::builder("svc")
        .endpoint(server.url())
        .initial_sampler(AlwaysOff)
        .build()
        .unwrap();
    assert!(!sampled(&off, "op", HIGH));
}

#[test]
fn the_default_initial_sampler_samples_one_in_a_thousand() {
    let server = Server::start(Reply::Hang);
    let sampler = JaegerRemoteSampler::builder("svc")
        .endpoint(server.url())
        .build()
        .unwrap();
    assert_eq!(
        sampler.description(),
        "JaegerRemoteSampler{initial:TraceIdRatioBased{0.001}}"
    );
}

#[test]
fn a_probabilistic_strategy_of_one_then_zero_takes_effect() {
    let server = Server::start(Reply::Hang);
    let sampler = sampler_for(&server);
    assert!(!sampled(&sampler, "op", LOW));

    switch_to(&server, &sampler, probabilistic(1.0));
    assert!(sampled(&sampler, "op", LOW) && sampled(&sampler, "other", HIGH));
    assert_eq!(sampler.stats().strategy(), StrategyKind::Probabilistic);
    assert_eq!(
        sampler.description(),
        "JaegerRemoteSampler{probabilistic:1}"
    );

    switch_to(&server, &sampler, probabilistic(0.0));
    assert!(!sampled(&sampler, "op", LOW) && !sampled(&sampler, "op", HIGH));
    assert_eq!(
        sampler.description(),
        "JaegerRemoteSampler{probabilistic:0}"
    );
    assert_eq!(sampler.stats().updates(), 2);
}

#[test]
fn a_probabilistic_strategy_decides_by_the_trace_id_like_trace_id_ratio_based() {
    let server = Server::start(probabilistic(0.5));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    assert!(sampled(&sampler, "op", 1 << 55));
    assert!(!sampled(&sampler, "op", (1 << 55) - 1));
}

#[test]
fn a_rate_limiting_strategy_samples_at_most_its_rate() {
    let server = Server::start(rate_limiting(3));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    assert_eq!(sampler.stats().strategy(), StrategyKind::RateLimiting);
    assert_eq!(sampler.description(), "JaegerRemoteSampler{ratelimiting:3}");
    let (kept, seconds) = count_roots(&sampler, "op", HIGH, 200);
    // A full bucket of 3, plus what came back while counting.
    assert!(
        kept >= 3 && kept as f64 <= 3.0 + (seconds * 3.0).floor(),
        "{kept} in {seconds}s"
    );
}

#[test]
fn an_unchanged_answer_is_not_an_update() {
    let server = Server::start(rate_limiting(3));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    wait_until(&sampler, "three more polls", |s| s.polls_succeeded() >= 4);
    assert_eq!(sampler.stats().updates(), 1);
}

#[test]
fn a_known_operation_uses_its_probability_and_an_unknown_one_the_default() {
    let server = Server::start(per_operation(0.0, 0, &[("always", 1.0), ("never", 0.0)]));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    assert_eq!(sampler.stats().strategy(), StrategyKind::PerOperation);
    assert!(sampled(&sampler, "always", LOW));
    assert!(!sampled(&sampler, "never", HIGH));
    assert!(!sampled(&sampler, "unknown", HIGH));
    assert_eq!(
        sampler.description(),
        "JaegerRemoteSampler{perOperation{default:0,lowerBound:0,operations:2}}"
    );

    switch_to(&server, &sampler, per_operation(1.0, 0, &[("never", 0.0)]));
    assert!(sampled(&sampler, "unknown", LOW));
    assert!(!sampled(&sampler, "never", HIGH));
}

#[test]
fn operation_sampling_wins_over_the_rate_limit_beside_it() {
    // The answer also carries rateLimitingSampling of 1000 per second.
    let server = Server::start(per_operation(0.0, 0, &[]));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    assert!(!sampled(&sampler, "op", HIGH));
}

#[test]
fn the_lower_bound_guarantees_each_operation_some_traces_per_second() {
    let server = Server::start(per_operation(0.0, 2, &[("never", 0.0)]));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    for name in ["never", "unknown-1", "unknown-2"] {
        let (kept, seconds) = count_roots(&sampler, name, HIGH, 200);
        assert!(
            kept >= 2 && kept as f64 <= 2.0 + (seconds * 2.0).floor(),
            "{name}: {kept} in {seconds}s"
        );
    }
}

#[test]
fn at_most_max_operations_get_a_sampler_of_their_own() {
    let server = Server::start(per_operation(0.0, 1, &[("a", 1.0), ("b", 1.0)]));
    let sampler = JaegerRemoteSampler::builder("svc")
        .endpoint(server.url())
        .polling_interval(INTERVAL)
        .initial_sampler(AlwaysOff)
        .max_operations(1)
        .build()
        .unwrap();
    assert!(sampler.wait_for_update(0, WAIT));
    assert!(sampled(&sampler, "a", LOW));
    // "b" is past the cap: the default probability, 0, and no lower bound.
    assert!((0..5).all(|_| !sampled(&sampler, "b", LOW)));
    assert!((0..5).all(|_| !sampled(&sampler, "c", LOW)));
}

/// Puts probability 1 in force, then answers `failure` and checks that
/// the failed polls changed nothing.
fn assert_failure_keeps_the_strategy(failure: Reply) {
    let server = Server::start(probabilistic(1.0));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    server.reply(failure.clone());
    wait_until(&sampler, "two failed polls", |s| s.polls_failed() >= 2);
    let stats = sampler.stats();
    assert_eq!(stats.updates(), 1, "{failure:?}");
    assert_eq!(stats.strategy(), StrategyKind::Probabilistic, "{failure:?}");
    assert!(sampled(&sampler, "op", LOW), "{failure:?}");
    assert_eq!(
        sampler.description(),
        "JaegerRemoteSampler{probabilistic:1}"
    );
}

#[test]
fn a_500_keeps_the_last_good_strategy() {
    assert_failure_keeps_the_strategy(Reply::Status(500));
    assert_failure_keeps_the_strategy(Reply::Status(404));
}

#[test]
fn garbage_json_keeps_the_last_good_strategy() {
    assert_failure_keeps_the_strategy(Reply::Json("<html>oops</html>".to_owned()));
    assert_failure_keeps_the_strategy(Reply::Json(
        r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":7}}"#.to_owned(),
    ));
    assert_failure_keeps_the_strategy(Reply::Json(String::new()));
}

#[test]
fn a_connection_closed_mid_response_keeps_the_last_good_strategy() {
    let body = r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.0}}"#;
    let cut = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..20]
    );
    assert_failure_keeps_the_strategy(Reply::Raw(cut.into_bytes()));
    // Cut inside the headers, and a close before any answer.
    assert_failure_keeps_the_strategy(Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Le".to_vec()));
    assert_failure_keeps_the_strategy(Reply::Raw(Vec::new()));
    // Without Content-Length the close ends the body: here half a strategy.
    let without_length = format!("HTTP/1.1 200 OK\r\n\r\n{}", &body[..30]);
    assert_failure_keeps_the_strategy(Reply::Raw(without_length.into_bytes()));
}

#[test]
fn an_oversize_body_keeps_the_last_good_strategy() {
    let mut announced = b"HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\n".to_vec();
    announced.extend_from_slice(b"{}");
    assert_failure_keeps_the_strategy(Reply::Raw(announced));
    // Read to the close: cut off past 1 MiB.
    let mut streamed = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
    streamed.extend(std::iter::repeat_n(b' ', 1 << 21));
    assert_failure_keeps_the_strategy(Reply::Raw(streamed));
}

#[test]
fn a_chunked_or_non_http_answer_keeps_the_last_good_strategy() {
    let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
    assert_failure_keeps_the_strategy(Reply::Raw(chunked.as_bytes().to_vec()));
    assert_failure_keeps_the_strategy(Reply::Raw(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()));
}

#[test]
fn nothing_listening_keeps_the_last_good_strategy() {
    let mut server = Server::start(probabilistic(1.0));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    server.stop();
    wait_until(&sampler, "two failed polls", |s| s.polls_failed() >= 2);
    assert!(sampled(&sampler, "op", LOW));
    assert_eq!(sampler.stats().updates(), 1);
}

#[test]
fn nothing_listening_from_the_start_keeps_the_initial_sampler() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sampler = JaegerRemoteSampler::builder("svc")
        .endpoint(format!("http://127.0.0.1:{port}"))
        .polling_interval(INTERVAL)
        .initial_sampler(AlwaysOn)
        .diagnostics(|_, _| {})
        .build()
        .unwrap();
    wait_until(&sampler, "two failed polls", |s| s.polls_failed() >= 2);
    assert!(sampled(&sampler, "op", LOW));
    assert_eq!(sampler.stats().strategy(), StrategyKind::Initial);
}

#[test]
fn a_good_answer_after_failures_is_put_in_force() {
    let server = Server::start(Reply::Status(503));
    let sampler = sampler_for(&server);
    wait_until(&sampler, "a failed poll", |s| s.polls_failed() >= 1);
    switch_to(&server, &sampler, probabilistic(1.0));
    assert!(sampled(&sampler, "op", LOW));
}

#[test]
fn a_server_that_never_answers_fails_the_poll_at_the_request_timeout() {
    let server = Server::start(Reply::Hang);
    let sampler = sampler_for(&server);
    let started = Instant::now();
    wait_until(&sampler, "a failed poll", |s| s.polls_failed() >= 1);
    // The timeout of a 20 ms interval is 1 s; well under WAIT in any case.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn failed_polls_are_reported_once_then_rate_limited() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let server = Server::start(Reply::Status(500));
    let sampler = JaegerRemoteSampler::builder("svc")
        .endpoint(server.url())
        .polling_interval(INTERVAL)
        .diagnostics(move |name, message| {
            sink.lock().unwrap().push(format!("{name}: {message}"));
        })
        .build()
        .unwrap();
    wait_until(&sampler, "five failed polls", |s| s.polls_failed() >= 5);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with(&format!(
            "jaeger_remote_poll_failed: GET {}/sampling?service=svc: HTTP status 500",
            server.url()
        )),
        "{reports:?}"
    );
}

#[test]
fn the_service_query_parameter_is_sent_percent_encoded() {
    let server = Server::start(probabilistic(1.0));
    let sampler = JaegerRemoteSampler::builder("check out/ü&x=1")
        .endpoint(server.url())
        .build()
        .unwrap();
    assert!(sampler.wait_for_update(0, WAIT));
    assert_eq!(
        server.requests()[0],
        "GET /sampling?service=check%20out%2F%C3%BC%26x%3D1 HTTP/1.1"
    );
    assert_eq!(
        sampler.endpoint(),
        format!(
            "{}/sampling?service=check%20out%2F%C3%BC%26x%3D1",
            server.url()
        )
    );
}

#[test]
fn a_given_path_and_query_are_kept() {
    let server = Server::start(probabilistic(1.0));
    let sampler = JaegerRemoteSampler::builder("svc")
        .endpoint(format!("{}/api/sampling?tenant=a", server.url()))
        .build()
        .unwrap();
    assert!(sampler.wait_for_update(0, WAIT));
    assert_eq!(
        server.requests()[0],
        "GET /api/sampling?tenant=a&service=svc HTTP/1.1"
    );
}

#[test]
fn https_and_malformed_endpoints_are_errors_not_panics() {
    let error = JaegerRemoteSampler::builder("svc")
        .endpoint("https://jaeger:5778/sampling")
        .build()
        .unwrap_err();
    assert!(error.is_https() && error.is_invalid_endpoint(), "{error}");
    assert!(
        error.to_string().contains("https is not supported"),
        "{error}"
    );
    for url in ["jaeger:5778", "http://", "http://h:99999", "udp://h:1"] {
        let error = JaegerRemoteSampler::builder("svc")
            .endpoint(url)
            .build()
            .unwrap_err();
        assert!(
            error.is_invalid_endpoint() && !error.is_https(),
            "{url}: {error}"
        );
    }
    let error = JaegerRemoteSampler::builder("").build().unwrap_err();
    assert!(error.is_empty_service_name(), "{error}");
}

/// The initial sampler: tells the test when it is dropped, which happens
/// when the polling thread has let go of the sampler's state.
#[derive(Debug)]
struct DropProbe(mpsc::Sender<()>);

impl Sampler for DropProbe {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::new(SamplingDecision::Drop)
    }

    fn description(&self) -> String {
        "DropProbe".to_owned()
    }
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// A sampler polling `server` once an hour, with a drop probe.
fn hourly_sampler(server: &Server) -> (JaegerRemoteSampler, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    let sampler = JaegerRemoteSampler::builder("svc")
        .endpoint(server.url())
        .polling_interval(Duration::from_secs(3600))
        .initial_sampler(DropProbe(tx))
        .diagnostics(|_, _| {})
        .build()
        .unwrap();
    (sampler, rx)
}

#[test]
fn dropping_the_last_clone_stops_the_poller_without_waiting_out_the_interval() {
    let server = Server::start(Reply::Status(500));
    let (sampler, dropped) = hourly_sampler(&server);
    assert!(sampler.wait_for_poll(0, WAIT));
    let clone = sampler.clone();
    drop(sampler);
    // A clone keeps it alive.
    assert!(dropped.try_recv().is_err());
    assert!(!sampled(&clone, "op", HIGH));
    drop(clone);
    dropped
        .recv_timeout(WAIT)
        .expect("the poller stops well within the hour");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn dropping_the_sampler_ends_a_poll_under_way() {
    let server = Server::start(Reply::Hang);
    let (sampler, dropped) = hourly_sampler(&server);
    server.wait_for_requests(1);
    let started = Instant::now();
    drop(sampler);
    dropped
        .recv_timeout(WAIT)
        .expect("the poller stops without waiting for an answer");
    // The request itself would have waited 10 s for its timeout.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_polling_thread_is_named() {
    let server = Server::start(Reply::Hang);
    let sampler = sampler_for(&server);
    server.wait_for_requests(1);
    // Linux shows the first 15 bytes of a thread's name.
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        let names: Vec<String> = tasks
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
            .collect();
        assert!(
            names.iter().any(|n| n.trim() == "spanlite-jaeger"),
            "{names:?}"
        );
    }
    drop(sampler);
}

#[test]
fn every_thread_sees_a_new_strategy_once_it_is_in_force() {
    let server = Server::start(probabilistic(0.0));
    let sampler = sampler_for(&server);
    assert!(sampler.wait_for_update(0, WAIT));
    // 0: probability 0 in force; 1: probability 1 in force; 2: changing.
    let phase = AtomicU8::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut checks = 0u64;
                while !stop.load(Ordering::Acquire) && checks < 50_000_000 {
                    let before = phase.load(Ordering::Acquire);
                    let got = sampled(&sampler, "op", LOW);
                    let after = phase.load(Ordering::Acquire);
                    // A sample that began and ended in one settled phase
                    // must show it; one may straddle a change.
                    if before == after && before != 2 {
                        assert_eq!(got, before == 1, "phase {before}");
                    }
                    checks += 1;
                }
            });
        }
        for round in 0..4 {
            let (reply, next) = if round % 2 == 0 {
                (probabilistic(1.0), 1)
            } else {
                (probabilistic(0.0), 0)
            };
            phase.store(2, Ordering::Release);
            switch_to(&server, &sampler, reply);
            phase.store(next, Ordering::Release);
            // Let the threads sample in this phase for a few polls.
            let polls = sampler.stats().polls();
            wait_until(&sampler, "two polls", |st| st.polls() >= polls + 2);
        }
        stop.store(true, Ordering::Release);
    });
}

#[test]
fn the_env_argument_configures_endpoint_interval_and_initial_rate() {
    let server = Server::start(Reply::Hang);
    let arg = format!(
        "endpoint={},pollingIntervalMs=1234,initialSamplingRate=0.25",
        server.url()
    );
    let sampler =
        sampler_from_config_for_service("parentbased_jaeger_remote", Some(&arg), "my svc").unwrap();
    server.wait_for_requests(1);
    assert_eq!(
        server.requests()[0],
        "GET /sampling?service=my%20svc HTTP/1.1"
    );
    let description = sampler.description();
    assert!(
        description
            .starts_with("ParentBased{root:JaegerRemoteSampler{initial:TraceIdRatioBased{0.25}},"),
        "{description}"
    );
    assert!(format!("{sampler:?}").contains("polling_interval: 1.234s"));
}

#[test]
fn the_env_sampler_follows_the_strategy_it_polls() {
    let server = Server::start(probabilistic(1.0));
    let arg = format!(
        "endpoint={},pollingIntervalMs=20,initialSamplingRate=0",
        server.url()
    );
    let sampler = sampler_from_config_for_service("jaeger_remote", Some(&arg), "svc").unwrap();
    // Nothing to wait on through `dyn Sampler`: the description says
    // when the answer is in force.
    let deadline = Instant::now() + WAIT;
    while sampler.description() != "JaegerRemoteSampler{probabilistic:1}" {
        assert!(Instant::now() < deadline, "{}", sampler.description());
        server.wait_for_requests(server.requests().len() + 1);
    }
    assert!(sampled(&*sampler, "op", LOW));
}

#[test]
fn sampling_allocates_nothing_once_the_thread_has_the_strategy() {
    let strategies = [
        ("initial", Reply::Hang),
        ("probabilistic", probabilistic(0.5)),
        ("rate limiting", rate_limiting(10)),
        ("per operation", per_operation(0.5, 0, &[("a", 0.5)])),
        ("lower bound", per_operation(0.5, 5, &[("a", 0.5)])),
    ];
    for (what, reply) in strategies {
        let server = Server::start(reply.clone());
        let sampler = JaegerRemoteSampler::builder("svc")
            .endpoint(server.url())
            .initial_sampling_rate(0.5)
            .build()
            .unwrap();
        if matches!(reply, Reply::Hang) {
            server.wait_for_requests(1);
        } else {
            assert!(sampler.wait_for_update(0, WAIT), "{what}");
        }
        // This thread's cache of the strategy, and the limiter of the
        // unnamed operation "b", are made once.
        let names = ["a", "b"];
        for name in names {
            sampled(&sampler, name, HIGH);
        }
        let before = allocations_on_this_thread();
        let mut kept = 0;
        for i in 0..10_000u128 {
            for name in names {
                kept += usize::from(sampled(&sampler, name, i << 42));
            }
        }
        assert_eq!(allocations_on_this_thread() - before, 0, "{what}");
        assert!(kept > 0, "{what}");
    }
}
