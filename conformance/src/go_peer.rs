//! The Go peer: a small program on the official OpenTelemetry Go SDK and
//! otelhttp (`conformance/gopeer`), built once into a cache keyed by the
//! hash of its sources, run as an HTTP service or a one-shot client.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use spanlite::TraceId;

use crate::jaeger_binary::{run_build_script, tail, BuildScript};
use crate::poll::{poll, DEFAULT_INTERVAL};
use crate::HarnessError;

/// The `service.name` of [`GoPeer::serve`]'s spans.
pub const GO_PEER_SERVICE: &str = "go-peer";
/// The `service.name` of [`GoPeer::call`]'s spans.
pub const GO_CLIENT_SERVICE: &str = "go-client";

/// How long the peer may take to print where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the peer may take to drain its requests and deliver its spans
/// once told to stop (its own limit is 10 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// Lines of build or peer output kept in an error.
const TAIL_LINES: usize = 40;
/// What `serve` prints, before the address, once it accepts connections.
const LISTENING: &str = "listening on ";

/// The path of the script that builds the Go peer.
pub fn go_peer_build_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join("build-gopeer.sh")
}

/// The Go peer binary: what `scripts/build-gopeer.sh` prints (it builds on
/// the first call and reuses the cached binary afterwards). Runs the script
/// at most once per process.
pub fn go_peer_binary() -> Result<PathBuf, HarnessError> {
    static BINARY: OnceLock<Result<PathBuf, HarnessError>> = OnceLock::new();
    BINARY.get_or_init(build).clone()
}

fn build() -> Result<PathBuf, HarnessError> {
    run_build_script(&BuildScript {
        path: go_peer_build_script(),
        builds: "the Go peer",
        prerequisite_hint: "Install Go >= 1.23 (https://go.dev/dl/) and put `go` on PATH.",
        failure_hint: "The Go module proxy must be reachable (GOPROXY) the first time, \
                       and Go >= 1.23 installed.",
    })
}

/// The Go peer serving HTTP on 127.0.0.1: every request is a SERVER span
/// (otelhttp), which calls the downstream URL, if any, in a CLIENT span.
/// Its spans go to an OTLP/HTTP endpoint under `service.name`
/// [`GO_PEER_SERVICE`].
///
/// [`GoPeer::shutdown`] stops it after it has delivered every span;
/// dropping it kills it. The peer also stops when its standard input
/// closes, so it never outlives the test process.
///
/// ```no_run
/// use spanlite_conformance::{GoPeer, Jaeger};
///
/// let jaeger = Jaeger::start().expect("Jaeger runs");
/// let peer = GoPeer::serve(&jaeger.otlp_http_endpoint(), None).expect("the Go peer runs");
/// let trace_id = GoPeer::call(&peer.url(), &jaeger.otlp_http_endpoint()).expect("a 2xx");
/// peer.shutdown().expect("the peer delivered its spans");
/// jaeger.wait_for_spans(trace_id, 3).expect("client root, CLIENT and SERVER");
/// ```
#[derive(Debug)]
pub struct GoPeer {
    process: Child,
    /// Closing it tells the peer to stop.
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    output: Output,
}

impl GoPeer {
    /// Builds the peer if it is not in the cache yet, starts
    /// `gopeer serve` on a free port of 127.0.0.1 exporting to
    /// `otlp_endpoint` (a full URL, `http://127.0.0.1:<port>/v1/traces`),
    /// calling `downstream` inside every request when given, and waits
    /// until it listens.
    pub fn serve(otlp_endpoint: &str, downstream: Option<&str>) -> Result<GoPeer, HarnessError> {
        let binary = go_peer_binary()?;
        let mut command = Command::new(&binary);
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--service",
                GO_PEER_SERVICE,
            ])
            .args(["--otlp-endpoint", otlp_endpoint]);
        if let Some(url) = downstream {
            command.args(["--downstream", url]);
        }
        let mut process = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| HarnessError::start(format!("cannot run {}: {e}", binary.display())))?;
        let stdin = process.stdin.take();
        let output = Output::collect(&mut process);
        let mut peer = GoPeer {
            process,
            stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            output,
        };
        peer.addr = peer.wait_until_listening()?;
        Ok(peer)
    }

    fn wait_until_listening(&mut self) -> Result<SocketAddr, HarnessError> {
        let line = match self.output.first_line.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(HarnessError::timeout(format!(
                "the Go peer did not say where it listens within {START_TIMEOUT:?}. Stderr:\n{}",
                self.output.stderr_tail()
            )))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = self
                    .process
                    .wait()
                    .map_or_else(|e| e.to_string(), |s| s.to_string());
                self.output.finish();
                return Err(HarnessError::start(format!(
                    "the Go peer exited ({status}) before it listened. Stderr:\n{}",
                    self.output.stderr_tail()
                )));
            }
        };
        line.strip_prefix(LISTENING)
            .and_then(|addr| addr.trim().parse().ok())
            .ok_or_else(|| {
                HarnessError::start(format!(
                    "the Go peer's first line is {line:?}, not `{LISTENING}<address>`"
                ))
            })
    }

    /// Where the peer listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The last `lines` lines the peer wrote to stderr.
    pub fn stderr_tail(&self, lines: usize) -> String {
        tail(&self.output.stderr_text(), lines)
    }

    /// Stops the peer the way a test ending would (its standard input
    /// closes): it finishes the requests in flight, delivers every span,
    /// and exits. Fails when it exits with an error (a span it could not
    /// deliver) or takes longer than 20 s.
    pub fn shutdown(mut self) -> Result<(), HarnessError> {
        drop(self.stdin.take());
        let process = &mut self.process;
        let exited = poll(STOP_TIMEOUT, DEFAULT_INTERVAL, || {
            process
                .try_wait()
                .map_err(|e| HarnessError::io("waiting for the Go peer", e))
        })?;
        if exited.is_some() {
            self.output.finish();
        }
        match exited {
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(HarnessError::start(format!(
                "the Go peer exited with {status}. Stderr:\n{}",
                self.output.stderr_tail()
            ))),
            None => Err(HarnessError::timeout(format!(
                "the Go peer did not stop within {STOP_TIMEOUT:?} of its input closing. Stderr:\n{}",
                self.output.stderr_tail()
            ))),
        }
    }

    /// Runs `gopeer call`: a root span, inside it a GET of `url` as an
    /// otelhttp CLIENT span, the spans delivered to `otlp_endpoint` under
    /// `service.name` [`GO_CLIENT_SERVICE`]. Returns the trace id once the
    /// peer has delivered its spans; fails unless the answer was 2xx.
    pub fn call(url: &str, otlp_endpoint: &str) -> Result<TraceId, HarnessError> {
        let binary = go_peer_binary()?;
        // The peer bounds the request and the export itself (10 s each).
        let output = Command::new(&binary)
            .args(["call", "--url", url, "--service", GO_CLIENT_SERVICE])
            .args(["--otlp-endpoint", otlp_endpoint])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| HarnessError::start(format!("cannot run {}: {e}", binary.display())))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            return Err(HarnessError::query(format!(
                "gopeer call {url} failed ({}). Stdout: {stdout:?}. Stderr:\n{}",
                output.status,
                tail(&stderr, TAIL_LINES)
            )));
        }
        let line = stdout.lines().next().unwrap_or("").trim();
        TraceId::from_hex(line).map_err(|_| {
            HarnessError::query(format!(
                "gopeer call {url} printed {stdout:?}, not a trace id of 32 hex digits"
            ))
        })
    }
}

impl Drop for GoPeer {
    fn drop(&mut self) {
        // Nothing to do after a successful shutdown: the process is reaped.
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}

/// The peer's output, read by two threads so that it never blocks on a
/// full pipe: the first line of stdout, and all of stderr.
#[derive(Debug)]
struct Output {
    first_line: mpsc::Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl Output {
    fn collect(process: &mut Child) -> Output {
        let (sender, first_line) = mpsc::channel();
        if let Some(stdout) = process.stdout.take() {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(stdout).lines();
                if let Some(Ok(line)) = lines.next() {
                    let _ = sender.send(line);
                }
                // Keep reading, so the peer never blocks on stdout.
                lines.for_each(drop);
            });
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stderr_reader = process.stderr.take().map(|mut pipe| {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut chunk = [0_u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    sink.lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .extend_from_slice(&chunk[..n]);
                }
            })
        });
        Output {
            first_line,
            stderr,
            stderr_reader,
        }
    }

    /// Waits until all of stderr is read; only once the peer has exited.
    fn finish(&mut self) {
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
    }

    fn stderr_text(&self) -> String {
        let bytes = self
            .stderr
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn stderr_tail(&self) -> String {
        tail(&self.stderr_text(), TAIL_LINES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_script_is_part_of_the_crate() {
        let script = go_peer_build_script();
        assert!(script.is_file(), "{}", script.display());
        let module = script.parent().unwrap().parent().unwrap().join("gopeer");
        for file in ["go.mod", "go.sum", "main.go"] {
            assert!(
                module.join(file).is_file(),
                "{file} in {}",
                module.display()
            );
        }
    }
}
