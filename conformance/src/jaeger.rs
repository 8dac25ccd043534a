//! A real Jaeger v2 on 127.0.0.1, started for a test and killed on drop.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use spanlite::TraceId;

use crate::free_port::{free_ports, free_udp_ports};
use crate::http_client::HttpClient;
use crate::jaeger_binary::{jaeger_binary, tail};
use crate::jaeger_config::{render_config, JaegerPorts, DEFAULT_SAMPLING_STRATEGIES};
use crate::poll::{poll, DEFAULT_INTERVAL};
use crate::{otlp_json_view, HarnessError};

/// How long Jaeger may take to report healthy.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a query waits for a trace to appear, unless told otherwise.
const DEFAULT_POLL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Starts tried when another process takes a chosen port first.
const START_ATTEMPTS: u32 = 3;
/// The sampling strategies file, in the run's directory.
const STRATEGIES_FILE: &str = "sampling-strategies.json";
/// Log lines quoted in errors.
const LOG_TAIL_LINES: usize = 30;

/// Kills the process whose id is `$1` and removes the directory `$2` when
/// its standard input closes: when the test process exits without running
/// `Drop` (aborted, killed by a CI timeout), the pipe closes and Jaeger does
/// not outlive it.
const WATCHDOG: &str = "read -r _ ; kill -KILL \"$1\" 2>/dev/null ; rm -rf \"$2\"";

/// A Jaeger v2 process with memory storage, every listener on 127.0.0.1 at
/// a port chosen for this run, and self-tracing and internal metrics off.
/// Dropping it kills the process and removes its directory.
///
/// ```no_run
/// use spanlite_conformance::Jaeger;
///
/// let jaeger = Jaeger::start().expect("Jaeger runs (needs Go to build it the first time)");
/// println!("send OTLP/HTTP to {}", jaeger.otlp_http_endpoint());
/// println!("query at {}", jaeger.query_url());
/// ```
#[derive(Debug)]
pub struct Jaeger {
    binary: PathBuf,
    process: Child,
    watchdog: Child,
    dir: PathBuf,
    log: PathBuf,
    ports: JaegerPorts,
    http: HttpClient,
    poll_timeout: Duration,
}

impl Jaeger {
    /// Builds Jaeger if it is not in the cache yet (see
    /// [`jaeger_binary`](crate::jaeger_binary)), starts it, and waits until
    /// its health check and query API answer.
    pub fn start() -> Result<Jaeger, HarnessError> {
        Jaeger::start_with_sampling_strategies(DEFAULT_SAMPLING_STRATEGIES)
    }

    /// Like [`Jaeger::start`], with the remote sampling extension serving
    /// `strategies` (Jaeger's strategies file format, JSON).
    pub fn start_with_sampling_strategies(strategies: &str) -> Result<Jaeger, HarnessError> {
        let binary = jaeger_binary()?;
        let mut attempt = 1;
        loop {
            match Jaeger::start_with(&binary, strategies) {
                Err(StartError::PortTaken(_)) if attempt < START_ATTEMPTS => attempt += 1,
                Err(StartError::PortTaken(why) | StartError::Other(why)) => return Err(why),
                Ok(jaeger) => return Ok(jaeger),
            }
        }
    }

    fn start_with(binary: &Path, strategies: &str) -> Result<Jaeger, StartError> {
        let dir = private_dir().map_err(StartError::Other)?;
        let ports = free_ports(JaegerPorts::TCP_COUNT)
            .ok()
            .zip(free_udp_ports(JaegerPorts::UDP_COUNT).ok())
            .and_then(|(tcp, udp)| JaegerPorts::from_slices(&tcp, &udp))
            .ok_or_else(|| StartError::Other(HarnessError::start("no free ports on 127.0.0.1")))?;
        let config = dir.join("config.yaml");
        let strategies_file = dir.join(STRATEGIES_FILE);
        let log = dir.join("jaeger.log");
        let prepared = fs::write(&strategies_file, strategies)
            .map_err(|e| HarnessError::io(format!("writing {}", strategies_file.display()), e))
            .and_then(|()| {
                fs::write(&config, render_config(&ports, &strategies_file))
                    .map_err(|e| HarnessError::io(format!("writing {}", config.display()), e))
            })
            .and_then(|()| {
                let out = File::create(&log)
                    .map_err(|e| HarnessError::io(format!("creating {}", log.display()), e))?;
                let err = out
                    .try_clone()
                    .map_err(|e| HarnessError::io("duplicating the log file handle", e))?;
                Ok((out, err))
            });
        let (out, err) = match prepared {
            Ok(files) => files,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(StartError::Other(e));
            }
        };
        let (process, watchdog) = match spawn(binary, &config, out, err, &dir) {
            Ok(children) => children,
            Err(why) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(StartError::Other(why));
            }
        };
        let mut jaeger = Jaeger {
            binary: binary.to_path_buf(),
            process,
            watchdog,
            dir,
            log,
            ports,
            http: HttpClient::new(REQUEST_TIMEOUT),
            poll_timeout: DEFAULT_POLL_TIMEOUT,
        };
        match jaeger.wait_until_ready() {
            Ok(()) => Ok(jaeger),
            Err(why) if read_tail(&jaeger.log, usize::MAX).contains("address already in use") => {
                Err(StartError::PortTaken(why))
            }
            Err(why) => Err(StartError::Other(why)),
        }
    }

    fn wait_until_ready(&mut self) -> Result<(), HarnessError> {
        let health = format!("http://127.0.0.1:{}/status", self.ports.health_http);
        let services = format!("{}/api/services", self.query_url());
        let started = Instant::now();
        let http = self.http.clone();
        let log = self.log.clone();
        let process = &mut self.process;
        let ready = poll(START_TIMEOUT, DEFAULT_INTERVAL, || {
            if let Some(status) = process
                .try_wait()
                .map_err(|e| HarnessError::io("checking the Jaeger process", e))?
            {
                return Err(HarnessError::start(format!(
                    "Jaeger exited ({status}) before it was ready. Log:\n{}",
                    read_tail(&log, LOG_TAIL_LINES)
                )));
            }
            // Connection refused while starting is expected: ask again.
            let healthy = http.get(&health).map(|r| r.status == 200).unwrap_or(false);
            let serving = healthy
                && http
                    .get(&services)
                    .map(|r| r.status == 200)
                    .unwrap_or(false);
            Ok(serving.then_some(()))
        })?;
        match ready {
            Some(()) => Ok(()),
            None => Err(HarnessError::timeout(format!(
                "Jaeger was not healthy at {health} within {:?}. Log:\n{}",
                started.elapsed(),
                self.log_tail(LOG_TAIL_LINES)
            ))),
        }
    }

    /// Kills the Jaeger process, as a crash would: what it stored is gone
    /// (memory storage) and its ports refuse connections until
    /// [`Jaeger::restart`].
    pub fn kill(&mut self) {
        // The watchdog goes first, so it can never signal a reused pid.
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// Starts Jaeger again with the same configuration and ports, and waits
    /// until it is ready.
    pub fn restart(&mut self) -> Result<(), HarnessError> {
        self.kill();
        let config = self.dir.join("config.yaml");
        let out = fs::OpenOptions::new()
            .append(true)
            .open(&self.log)
            .map_err(|e| HarnessError::io(format!("opening {}", self.log.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| HarnessError::io("duplicating the log file handle", e))?;
        let (process, watchdog) = spawn(&self.binary, &config, out, err, &self.dir)?;
        self.process = process;
        self.watchdog = watchdog;
        self.wait_until_ready()
    }

    /// The OTLP/HTTP traces endpoint, `http://127.0.0.1:<port>/v1/traces`.
    pub fn otlp_http_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/v1/traces", self.ports.otlp_http)
    }

    /// The Jaeger Thrift collector endpoint,
    /// `http://127.0.0.1:<port>/api/traces`.
    pub fn jaeger_thrift_http_endpoint(&self) -> String {
        format!(
            "http://127.0.0.1:{}/api/traces",
            self.ports.jaeger_thrift_http
        )
    }

    /// The agent's UDP address for `emitBatch` in Thrift compact.
    pub fn jaeger_agent_compact_addr(&self) -> std::net::SocketAddr {
        (
            std::net::Ipv4Addr::LOCALHOST,
            self.ports.jaeger_thrift_compact_udp,
        )
            .into()
    }

    /// The agent's UDP address for `emitBatch` in Thrift binary.
    pub fn jaeger_agent_binary_addr(&self) -> std::net::SocketAddr {
        (
            std::net::Ipv4Addr::LOCALHOST,
            self.ports.jaeger_thrift_binary_udp,
        )
            .into()
    }

    /// The Zipkin v2 endpoint, `http://127.0.0.1:<port>/api/v2/spans`.
    pub fn zipkin_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/api/v2/spans", self.ports.zipkin)
    }

    /// The remote sampling endpoint over HTTP,
    /// `http://127.0.0.1:<port>/sampling` (add `?service=<name>`).
    pub fn sampling_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/sampling", self.ports.sampling_http)
    }

    /// Replaces the sampling strategies Jaeger serves. Jaeger reloads the
    /// file every second; poll the endpoint to see when it has.
    pub fn set_sampling_strategies(&self, strategies: &str) -> Result<(), HarnessError> {
        let path = self.dir.join(STRATEGIES_FILE);
        // Write aside and rename, so Jaeger never reads half a file.
        let staged = self.dir.join("sampling-strategies.json.new");
        fs::write(&staged, strategies)
            .and_then(|()| fs::rename(&staged, &path))
            .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
    }

    /// The OTLP/gRPC endpoint, `http://127.0.0.1:<port>`.
    pub fn otlp_grpc_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.otlp_grpc)
    }

    /// The query service's base URL, `http://127.0.0.1:<port>`.
    pub fn query_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.query_http)
    }

    /// Every port this run listens on.
    pub fn ports(&self) -> JaegerPorts {
        self.ports
    }

    /// The Jaeger process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// How long the `get_trace_*` and `wait_for_*` methods wait (30 s unless set).
    pub fn set_poll_timeout(&mut self, timeout: Duration) {
        self.poll_timeout = timeout;
    }

    /// The last `lines` lines Jaeger logged.
    pub fn log_tail(&self, lines: usize) -> String {
        read_tail(&self.log, lines)
    }

    /// `GET /api/v3/traces/{id}` (OTLP JSON, after Jaeger's adjusters),
    /// asked again until the trace is there; `None` if it is not there
    /// within the poll timeout.
    pub fn get_trace_v3(&self, trace_id: TraceId) -> Result<Option<Value>, HarnessError> {
        self.poll_trace(&format!("/api/v3/traces/{trace_id}"), |_| true)
    }

    /// [`Jaeger::get_trace_v3`] with `raw_traces=true`: the trace as stored,
    /// without Jaeger's adjusters (which sort attributes and events).
    pub fn get_trace_v3_raw(&self, trace_id: TraceId) -> Result<Option<Value>, HarnessError> {
        self.poll_trace(
            &format!("/api/v3/traces/{trace_id}?raw_traces=true"),
            |_| true,
        )
    }

    /// `GET /api/traces/{id}` (the Jaeger UI model, after Jaeger's
    /// adjusters), asked again until the trace is there.
    pub fn get_trace_v1(&self, trace_id: TraceId) -> Result<Option<Value>, HarnessError> {
        self.poll_trace(&format!("/api/traces/{trace_id}"), |_| true)
    }

    /// [`Jaeger::get_trace_v1`] with `raw=true`: no adjusters (tags keep
    /// the order of the OTLP -> Jaeger translation).
    pub fn get_trace_v1_raw(&self, trace_id: TraceId) -> Result<Option<Value>, HarnessError> {
        self.poll_trace(&format!("/api/traces/{trace_id}?raw=true"), |_| true)
    }

    /// Waits until `/api/v3/traces/{id}?raw_traces=true` holds at least
    /// `count` spans and returns that answer; fails with the number seen
    /// when the poll timeout passes first.
    pub fn wait_for_spans(&self, trace_id: TraceId, count: usize) -> Result<Value, HarnessError> {
        let path = format!("/api/v3/traces/{trace_id}?raw_traces=true");
        let mut seen = 0;
        let found = self.poll_trace(&path, |body| {
            seen = otlp_json_view::spans(body).map_or(0, |s| s.len());
            seen >= count
        })?;
        found.ok_or_else(|| {
            HarnessError::timeout(format!(
                "trace {trace_id}: {seen} of {count} spans in Jaeger after {:?}",
                self.poll_timeout
            ))
        })
    }

    /// GETs `path` until it answers 200 with JSON that `done` accepts.
    /// 404 means "not there yet"; any other status is an error.
    fn poll_trace(
        &self,
        path: &str,
        mut done: impl FnMut(&Value) -> bool,
    ) -> Result<Option<Value>, HarnessError> {
        let url = format!("{}{path}", self.query_url());
        poll(self.poll_timeout, DEFAULT_INTERVAL, || {
            let response = self.http.get(&url)?;
            match response.status {
                200 => {
                    let body = response.json()?;
                    Ok(done(&body).then_some(body))
                }
                404 => Ok(None),
                status => Err(HarnessError::query(format!(
                    "GET {url}: status {status}: {}",
                    response.body.chars().take(500).collect::<String>()
                ))),
            }
        })
    }
}

impl Drop for Jaeger {
    fn drop(&mut self) {
        // The watchdog goes first, so it can never signal a process id that
        // has been reaped and reused.
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Starts `binary --config <config>` with its output in the log, and the
/// watchdog that kills it (and removes `dir`) if the test process dies
/// without dropping the fixture.
fn spawn(
    binary: &Path,
    config: &Path,
    out: File,
    err: File,
    dir: &Path,
) -> Result<(Child, Child), HarnessError> {
    let mut process = Command::new(binary)
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| HarnessError::start(format!("cannot run {}: {e}", binary.display())))?;
    let watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("spanlite-jaeger-watchdog")
        .arg(process.id().to_string())
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match watchdog {
        Ok(watchdog) => Ok((process, watchdog)),
        Err(e) => {
            let _ = process.kill();
            let _ = process.wait();
            Err(if e.kind() == ErrorKind::NotFound {
                HarnessError::prerequisite(
                    "`sh` is not on PATH; it guards against orphaned Jaeger processes",
                )
            } else {
                HarnessError::io("starting the watchdog shell", e)
            })
        }
    }
}

enum StartError {
    /// Another process bound one of the chosen ports first: try new ones.
    PortTaken(HarnessError),
    Other(HarnessError),
}

/// The last `lines` lines of the file at `path` (empty if unreadable).
fn read_tail(path: &Path, lines: usize) -> String {
    let text = fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    tail(&text, lines)
}

/// A new directory for one run's configuration and log.
fn private_dir() -> Result<PathBuf, HarnessError> {
    static RUN: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "spanlite-jaeger-{}-{}-{nanos}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir)
        .map_err(|e| HarnessError::io(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}
