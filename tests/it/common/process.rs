//! The real `ramd` binary as a child process: started on a free port with
//! JSON logs, its address read from the "ramd serving" log line, its log
//! lines collected, and signals sent to it. Dropping it kills the process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a process may take to start, log or exit.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A running `ramd` binary.
pub struct RamdProcess {
    child: Child,
    pub addr: SocketAddr,
    lines: mpsc::Receiver<String>,
    /// Every log line read so far.
    pub seen: Vec<String>,
}

fn spawn(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ramd"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the ramd binary");
    // A thread drains stderr, so the server never blocks on a full pipe.
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// The message and fields of a JSON log line.
fn fields(line: &str) -> Option<Value> {
    serde_json::from_str::<Value>(line)
        .ok()?
        .get("fields")
        .cloned()
}

impl RamdProcess {
    /// Starts `ramd` with `--ephemeral --listen 127.0.0.1:0 --log-format
    /// json` plus `args`, and waits until it serves.
    pub fn start(args: &[&str]) -> RamdProcess {
        let mut all = vec!["--ephemeral"];
        all.extend_from_slice(args);
        RamdProcess::launch(&all)
    }

    /// Starts `ramd` with durable state in `data_dir` (plus `args`), and
    /// waits until it serves.
    pub fn start_durable(data_dir: &str, args: &[&str]) -> RamdProcess {
        let mut all = vec!["--data-dir", data_dir];
        all.extend_from_slice(args);
        RamdProcess::launch(&all)
    }

    fn launch(args: &[&str]) -> RamdProcess {
        let mut all = vec!["--listen", "127.0.0.1:0", "--log-format", "json"];
        all.extend_from_slice(args);
        let (child, lines) = spawn(&all);
        let mut process = RamdProcess {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
            lines,
            seen: Vec::new(),
        };
        let serving = process.wait_for_log("ramd serving");
        process.addr = serving["addr"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .expect("the serving line names the address");
        process
    }

    /// Waits for the next log line whose message is `message` and returns
    /// its fields. Fails after [`DEADLINE`] or when the process exits.
    pub fn wait_for_log(&mut self, message: &str) -> Value {
        let end = Instant::now() + DEADLINE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(e) => panic!(
                    "no log line {message:?} ({e:?}); lines so far:\n{}",
                    self.seen.join("\n")
                ),
            };
            self.seen.push(line.clone());
            if let Some(f) = fields(&line) {
                if f["message"] == message {
                    return f;
                }
            }
        }
    }

    /// Every log line written so far, including those not yet read.
    pub fn drain(&mut self) -> &[String] {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        &self.seen
    }

    /// A plain HTTP/2 channel to the process.
    pub async fn channel(&self) -> tonic::transport::Channel {
        super::connect(self.addr, None)
            .await
            .expect("connect to ramd")
    }

    /// Waits (up to [`DEADLINE`]) for the process to exit, letting the
    /// test's runtime run meanwhile (so its connections can close).
    pub async fn wait_exit(&mut self) -> std::process::ExitStatus {
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < end,
                "ramd did not exit within {DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Sends a signal (`HUP`, `TERM`, ...) with `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }
}

impl Drop for RamdProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `ramd` with `args`, expecting it to exit by itself within
/// [`DEADLINE`]; returns its exit code and everything it wrote to stderr.
pub fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let (mut child, lines) = spawn(args);
    let end = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ramd {args:?} did not exit within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // The reader thread ends at end of file; collect what it read.
    let mut text = Vec::new();
    while let Ok(line) = lines.recv_timeout(DEADLINE) {
        text.push(line);
    }
    (status.code(), text.join("\n"))
}
