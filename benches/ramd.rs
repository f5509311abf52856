//! The ramd benchmark harness (`cargo bench --bench ramd -- [flags]`).
//!
//! It starts the release `ramd` with durable storage on loopback, preloads a
//! data set (accounts in an organization with OUs, a customer managed
//! permission per account, shares with resources and principals), then drives
//! each measured operation from many concurrent connections for a fixed time
//! and reports throughput and p50 / p99 / p99.9 latency. The same load also
//! runs against a no-op tonic server (this binary, re-started in a mode that
//! answers every RPC with a canned response of the same size, captured from
//! ramd), taking turns with ramd in `--rounds` rounds, and the report gives
//! ramd / no-op (the gap to the stack's own limit) and each server's CPU time
//! per call. Scale checks follow: resident memory, the cost of the first and
//! a far page, and restart time to SERVING.
//!
//! `--smoke` runs everything at a tiny size (CI); numbers are reported, not
//! asserted.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use hdrhistogram::Histogram;
use prost::Message;
use ramd::pb::admin as admin_pb;
use ramd::pb::admin::admin_client::AdminClient;
use ramd::pb::v1 as pb;
use ramd::pb::v1::resource_access_manager_client::ResourceAccessManagerClient;
use ramd::pb::v1::resource_access_manager_server::{
    ResourceAccessManager, ResourceAccessManagerServer,
};
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};

#[derive(Debug, Clone, Parser)]
#[command(about = "ramd benchmark harness")]
struct Args {
    /// Resource shares to preload.
    #[arg(long, default_value_t = 20_000)]
    shares: usize,
    /// Accounts (all in one organization).
    #[arg(long, default_value_t = 2_000)]
    accounts: usize,
    /// Resources per preloaded share.
    #[arg(long, default_value_t = 2)]
    resources_per_share: usize,
    /// Principals (organization member accounts) per preloaded share.
    #[arg(long, default_value_t = 3)]
    principals_per_share: usize,
    /// Client connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Requests in flight per connection (connections x concurrency clients).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds per measured operation.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Rounds per operation: ramd and the no-op server take turns, each
    /// running `seconds / rounds` a round, so a slow spell of the machine
    /// falls on both.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Tiny sizes, for CI.
    #[arg(long)]
    smoke: bool,
    /// Where to write the markdown report.
    #[arg(long, default_value = "target/bench/report.md")]
    out: PathBuf,
    /// Internal: serve the no-op server with canned responses from this file.
    #[arg(long, hide = true)]
    noop_canned: Option<PathBuf>,
    /// Internal: the no-op server's port.
    #[arg(long, hide = true, default_value_t = 0)]
    noop_port: u16,
    /// Only these operations (comma-separated names; `none` for the scale
    /// checks alone). Default: all.
    #[arg(long, value_delimiter = ',')]
    ops: Vec<String>,
    /// Skip the scale checks (memory, paging, restart) and the AWS-protocol
    /// measurement.
    #[arg(long)]
    no_scale: bool,
    /// Skip the AWS-protocol measurement.
    #[arg(long)]
    no_aws: bool,
    /// Ignored (cargo bench passes it).
    #[arg(long, hide = true)]
    bench: bool,
}

fn account(i: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + i as u64)
}

fn with_account<T>(account: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("x-ram-account-id", account.parse().unwrap());
    r
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn connect(port: u16) -> Channel {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(c) = Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .unwrap()
            .connect()
            .await
        {
            let mut h = tonic_health::pb::health_client::HealthClient::new(c.clone());
            let ok = h
                .check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status)
                .ok();
            if ok == Some(tonic_health::pb::health_check_response::ServingStatus::Serving as i32) {
                return c;
            }
        }
        assert!(
            Instant::now() < deadline,
            "server on port {port} did not serve"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A running ramd process.
struct Ramd {
    child: Child,
    port: u16,
    data_dir: PathBuf,
}

impl Ramd {
    fn start(data_dir: &std::path::Path) -> Ramd {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_ramd"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--data-dir", data_dir.to_str().unwrap()])
            .args(["--quota-permissions", "10000000"])
            .args(["--quota-permissions-per-type", "10000000"])
            .args(["--quota-resource-shares", "100000000"])
            .args(["--quota-associations", "100000000"])
            .args(["--max-concurrent-requests", "100000"])
            .env(
                "RUST_LOG",
                "warn,ramd::api::replay=info,ramd::store::journal=debug",
            )
            .stdout(Ramd::log(data_dir))
            .stderr(Ramd::log(data_dir))
            .spawn()
            .expect("start ramd");
        Ramd {
            child,
            port,
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// ramd's log (appended to), beside its data directory.
    fn log(data_dir: &std::path::Path) -> Stdio {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.with_extension("log"))
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null())
    }

    /// From ramd's log: (count, longest seconds) of the snapshot copies
    /// under the lock, and of the snapshots encoded and written.
    fn snapshot_log(&self) -> ((usize, f64), (usize, f64)) {
        let log = std::fs::read_to_string(self.data_dir.with_extension("log")).unwrap_or_default();
        let of = |what: &str| {
            log.lines()
                .filter(|l| l.contains(what))
                .filter_map(|l| {
                    let at = l.find("seconds=")? + "seconds=".len();
                    l[at..].split_whitespace().next()?.parse::<f64>().ok()
                })
                .fold((0, 0.0), |(n, m): (usize, f64), s| (n + 1, m.max(s)))
        };
        (
            of("state copied for a snapshot"),
            of("snapshot encoded and written"),
        )
    }

    /// Waits (up to a minute) until no snapshot is being written: the
    /// preload's last one would otherwise take a core from the first
    /// measured operation.
    async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline && {
            let ((copies, _), (writes, _)) = self.snapshot_log();
            copies > writes
        } {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The last recovery line ramd logged.
    fn recovery_line(&self) -> Option<String> {
        std::fs::read_to_string(self.data_dir.with_extension("log"))
            .ok()?
            .lines()
            .rev()
            .find(|l| l.contains("recovered"))
            .map(str::to_string)
    }

    fn rss_mib(&self) -> f64 {
        self.status_mib("VmRSS:")
    }

    /// The highest resident memory so far.
    fn peak_rss_mib(&self) -> f64 {
        self.status_mib("VmHWM:")
    }

    fn status_mib(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Ramd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Latencies and counts of one measured run.
struct Measured {
    ok: u64,
    errors: u64,
    elapsed: f64,
    hist: Histogram<u64>,
    /// The call number the next run continues from.
    next: u64,
    /// CPU seconds the server process spent over the run (when measured).
    cpu: f64,
    /// CPU seconds the load generator (this process) spent over the run.
    gen_cpu: f64,
    /// Seconds the machine's CPUs sat idle over the run, summed over CPUs.
    idle: f64,
}

impl Measured {
    fn empty() -> Measured {
        Measured {
            ok: 0,
            errors: 0,
            elapsed: 0.0,
            hist: Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap(),
            next: 0,
            cpu: 0.0,
            gen_cpu: 0.0,
            idle: 0.0,
        }
    }

    /// Adds another run of the same operation.
    fn add(&mut self, other: Measured) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.hist.add(other.hist).unwrap();
        self.next = other.next;
        self.cpu += other.cpu;
        self.gen_cpu += other.gen_cpu;
        self.idle += other.idle;
    }

    /// The server's CPU time per call, in µs.
    fn cpu_us_per_call(&self) -> f64 {
        self.cpu * 1e6 / (self.ok + self.errors).max(1) as f64
    }

    /// The load generator's CPU time per call, in µs.
    fn gen_cpu_us_per_call(&self) -> f64 {
        self.gen_cpu * 1e6 / (self.ok + self.errors).max(1) as f64
    }

    /// The share of the machine's CPU time left idle, in percent.
    fn idle_percent(&self) -> f64 {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        100.0 * self.idle / (self.elapsed * cpus).max(f64::EPSILON)
    }

    fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed
    }
    fn q_ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }
}

/// One client's result: successes, errors, latencies (µs).
type ClientResult = (u64, u64, Histogram<u64>);

/// Adds up the clients' results.
async fn gather(tasks: Vec<tokio::task::JoinHandle<ClientResult>>, started: Instant) -> Measured {
    let mut total = Measured::empty();
    for t in tasks {
        let (ok, errors, hist) = t.await.unwrap();
        total.ok += ok;
        total.errors += errors;
        total.hist.add(hist).unwrap();
    }
    total.elapsed = started.elapsed().as_secs_f64();
    total
}

/// Runs `call(worker, n, channel)` in a closed loop from every client for
/// `seconds`, numbering calls from `first`.
async fn load<F, Fut>(
    channels: &[Channel],
    per_channel: usize,
    seconds: f64,
    first: u64,
    call: F,
) -> Measured
where
    F: Fn(usize, u64, Channel) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Status>> + Send,
{
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let counter = Arc::new(AtomicU64::new(first));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (c, channel) in channels.iter().enumerate() {
        for k in 0..per_channel {
            let worker = c * per_channel + k;
            let (call, channel, counter) = (call.clone(), channel.clone(), counter.clone());
            tasks.push(tokio::spawn(async move {
                let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
                let (mut ok, mut errors) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    match call(worker, n, channel.clone()).await {
                        Ok(()) => {
                            ok += 1;
                            let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
                        }
                        Err(_) => errors += 1,
                    }
                }
                (ok, errors, hist)
            }));
        }
    }
    let mut measured = gather(tasks, started).await;
    measured.next = counter.load(Ordering::Relaxed);
    measured
}

/// One round of `call` against the server process `pid` (reached over
/// `channels`), added to `into` with the CPU time the server spent; call
/// numbers continue from `into`. Returns the round's own throughput.
async fn run_round(
    channels: &[Channel],
    per_channel: usize,
    seconds: f64,
    pid: u32,
    call: &Call,
    into: &mut Measured,
) -> f64 {
    let c = call.clone();
    let (cpu, gen_cpu, idle) = (
        cpu_seconds(pid),
        cpu_seconds(std::process::id()),
        idle_seconds(),
    );
    let mut round = load(
        channels,
        per_channel,
        seconds,
        into.next,
        move |w, n, ch| c(w, n, ch),
    )
    .await;
    round.cpu = cpu_seconds(pid) - cpu;
    round.gen_cpu = cpu_seconds(std::process::id()) - gen_cpu;
    round.idle = idle_seconds() - idle;
    let throughput = round.throughput();
    into.add(round);
    throughput
}

/// Runs `connections` keep-alive HTTP/1.1 clients against the AWS-protocol
/// front end for `seconds`; `request(n)` gives the path and JSON body of the
/// n-th request. A response other than 200 counts as an error.
async fn http_load<F>(port: u16, connections: usize, seconds: f64, request: F) -> Measured
where
    F: Fn(u64) -> (&'static str, String) + Clone + Send + Sync + 'static,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (request, counter) = (request.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
            let (mut ok, mut errors) = (0u64, 0u64);
            let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect to the AWS front end");
            conn.set_nodelay(true).unwrap();
            let mut buf = Vec::with_capacity(16 * 1024);
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let (path, body) = request(n);
                let head = format!(
                    "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                     Authorization: AWS4-HMAC-SHA256 Credential=111122223333/20260101/us-east-1/ram/aws4_request, SignedHeaders=host, Signature=0\r\n\
                     Content-Length: {}\r\n\r\n",
                    body.len()
                );
                let t = Instant::now();
                conn.write_all(head.as_bytes()).await.unwrap();
                conn.write_all(body.as_bytes()).await.unwrap();
                buf.clear();
                // Read the head, then exactly Content-Length bytes of body.
                let (header_end, length) = loop {
                    let mut chunk = [0u8; 8192];
                    let got = conn.read(&mut chunk).await.unwrap();
                    assert!(got > 0, "the AWS front end closed the connection");
                    buf.extend_from_slice(&chunk[..got]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while buf.len() < header_end + length {
                    let mut chunk = [0u8; 8192];
                    let got = conn.read(&mut chunk).await.unwrap();
                    assert!(got > 0, "the AWS front end closed the connection");
                    buf.extend_from_slice(&chunk[..got]);
                }
                if buf.starts_with(b"HTTP/1.1 200") {
                    ok += 1;
                    let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
                } else {
                    errors += 1;
                }
            }
            (ok, errors, hist)
        }));
    }
    gather(tasks, started).await
}

/// Measures the AWS-protocol front end: an in-memory ramd pinned to one core
/// (when `taskset` is there), 16 HTTP/1.1 connections.
async fn aws_protocol(args: &Args, line: &mut impl FnMut(String)) {
    let (grpc, aws) = (free_port(), free_port());
    let ramd_args = [
        "--ephemeral".to_string(),
        "--listen".into(),
        format!("127.0.0.1:{grpc}"),
        "--aws-listen".into(),
        format!("127.0.0.1:{aws}"),
        "--quota-resource-shares".into(),
        "100000000".into(),
        "--quota-associations".into(),
        "100000000".into(),
        "--max-concurrent-requests".into(),
        "100000".into(),
    ];
    let pinned = Command::new("taskset").arg("--version").output().is_ok();
    let mut cmd = if pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", env!("CARGO_BIN_EXE_ramd")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_ramd"))
    };
    let mut child = cmd
        .args(ramd_args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ramd for the AWS protocol");
    let _ = connect(grpc).await;
    line(String::new());
    line(format!(
        "AWS protocol (rest-json over HTTP/1.1), in-memory ramd{}, 16 connections, {} s each:\n",
        if pinned {
            " on one core (taskset -c 0)"
        } else {
            ""
        },
        args.seconds
    ));
    line("| operation | requests/s | p50 ms | p99 ms | p99.9 ms | errors |".into());
    line("| --- | ---: | ---: | ---: | ---: | ---: |".into());
    let get = http_load(aws, 16, args.seconds, |_| {
        (
            "/getpermission",
            r#"{"permissionArn":"arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet"}"#
                .to_string(),
        )
    })
    .await;
    let create = http_load(aws, 16, args.seconds, |n| {
        (
            "/createresourceshare",
            format!(
                r#"{{"name":"h{n}","resourceArns":["arn:aws:codebuild:us-east-1:111122223333:project/h{n}"]}}"#
            ),
        )
    })
    .await;
    for (name, m) in [("GetPermission", get), ("CreateResourceShare", create)] {
        line(format!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            m.throughput(),
            m.q_ms(0.5),
            m.q_ms(0.99),
            m.q_ms(0.999),
            m.errors
        ));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs many requests with bounded concurrency (preloading).
async fn bounded<I, F, Fut>(items: I, parallel: usize, f: F)
where
    I: IntoIterator,
    F: Fn(I::Item) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for item in items {
        if set.len() >= parallel {
            set.join_next().await.unwrap().unwrap();
        }
        set.spawn(f(item));
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

/// What the preload created, for the measured calls to address.
struct Dataset {
    accounts: Vec<String>,
    permission_of: Vec<String>,
    /// (account, permission) pairs that take new versions (four each).
    version_pool: Vec<(String, String)>,
    shares: Vec<(String, String, String)>,
    big_owner: String,
}

async fn preload(args: &Args, channels: &[Channel]) -> Dataset {
    let ch = channels[0].clone();
    let mut admin = AdminClient::new(ch.clone());
    let accounts: Vec<String> = (0..args.accounts).map(account).collect();
    let org = admin
        .create_organization(admin_pb::CreateOrganizationRequest {
            management_account_id: accounts[0].clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    let mut ous = Vec::new();
    for i in 0..10 {
        let ou = admin
            .create_organizational_unit(admin_pb::CreateOrganizationalUnitRequest {
                parent_id: org.root_id.clone(),
                name: format!("ou{i}"),
            })
            .await
            .unwrap()
            .into_inner()
            .organizational_unit
            .unwrap();
        ous.push(ou.id);
    }
    let n_ch = channels.len();
    bounded(accounts.iter().enumerate().skip(1), 64, |(i, a)| {
        let mut admin = AdminClient::new(channels[i % n_ch].clone());
        let parent = ous[i % ous.len()].clone();
        let a = a.clone();
        async move {
            admin
                .add_account(admin_pb::AddAccountRequest {
                    account_id: a,
                    parent_id: parent,
                })
                .await
                .unwrap();
        }
    })
    .await;
    ResourceAccessManagerClient::new(ch.clone())
        .enable_sharing_with_aws_organization(with_account(
            &accounts[0],
            pb::EnableSharingWithAwsOrganizationRequest {},
        ))
        .await
        .unwrap();
    let template = r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects"]}"#;
    bounded(accounts.iter().enumerate(), 64, |(i, a)| {
        let mut ram = ResourceAccessManagerClient::new(channels[i % n_ch].clone());
        let a = a.clone();
        async move {
            ram.create_permission(with_account(
                &a,
                pb::CreatePermissionRequest {
                    name: "bench".into(),
                    resource_type: "codebuild:Project".into(),
                    policy_template: template.into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap();
        }
    })
    .await;
    let permission_of: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:aws:ram:us-east-1:{a}:permission/bench"))
        .collect();
    // Enough permissions for CreatePermissionVersion at 40k/s for the run.
    let pool_size = ((args.seconds * 40_000.0 / 4.0) as usize).max(64);
    let version_pool: Vec<(String, String)> = (0..pool_size)
        .map(|k| {
            let a = accounts[k % accounts.len()].clone();
            let p = format!("arn:aws:ram:us-east-1:{a}:permission/v{k}");
            (a, p)
        })
        .collect();
    bounded(version_pool.iter().enumerate(), 64, |(k, (a, _))| {
        let mut ram = ResourceAccessManagerClient::new(channels[k % n_ch].clone());
        let a = a.clone();
        async move {
            ram.create_permission(with_account(
                &a,
                pb::CreatePermissionRequest {
                    name: format!("v{k}"),
                    resource_type: "codebuild:Project".into(),
                    policy_template: template.into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap();
        }
    })
    .await;
    let big_owner = accounts[1 % accounts.len()].clone();
    let plan: Vec<(usize, usize)> = (0..args.shares)
        .map(|j| {
            (
                j,
                if j % 5 == 0 {
                    1 % accounts.len()
                } else {
                    j % accounts.len()
                },
            )
        })
        .collect();
    let shares = Arc::new(std::sync::Mutex::new(Vec::with_capacity(args.shares)));
    bounded(plan, 64, |(j, owner)| {
        let mut ram = ResourceAccessManagerClient::new(channels[j % n_ch].clone());
        let owner_id = accounts[owner].clone();
        let resources: Vec<String> = (0..args.resources_per_share)
            .map(|r| format!("arn:aws:codebuild:us-east-1:{owner_id}:project/b{j}-{r}"))
            .collect();
        let principals: Vec<String> = (1..=args.principals_per_share)
            .map(|k| (owner + k * 7 + j) % accounts.len())
            .filter(|p| *p != owner)
            .map(|p| accounts[p].clone())
            .collect();
        let permission = permission_of[owner].clone();
        let shares = shares.clone();
        async move {
            let first = resources.first().cloned().unwrap_or_default();
            let arn = ram
                .create_resource_share(with_account(
                    &owner_id,
                    pb::CreateResourceShareRequest {
                        name: format!("s{j}"),
                        resource_arns: resources,
                        principals,
                        permission_arns: vec![permission],
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .resource_share
                .unwrap()
                .resource_share_arn;
            shares.lock().unwrap().push((owner_id, arn, first));
        }
    })
    .await;
    let shares = Arc::try_unwrap(shares)
        .map(|m| m.into_inner().unwrap())
        .unwrap_or_default();
    Dataset {
        accounts,
        permission_of,
        version_pool,
        shares,
        big_owner,
    }
}

/// The no-op server: answers every RPC with the canned response of its name
/// (captured from ramd), or an empty one.
#[derive(Default)]
struct Noop {
    canned: HashMap<&'static str, Box<dyn std::any::Any + Send + Sync>>,
}

macro_rules! noop_service {
    ($($kind:ident $fn_name:ident $name:ident($req:ident -> $resp:ident) $op:path;)*) => {
        #[tonic::async_trait]
        impl ResourceAccessManager for Noop {
            $(
                async fn $fn_name(&self, req: Request<pb::$req>) -> Result<Response<pb::$resp>, Status> {
                    let _ = req;
                    let resp = self
                        .canned
                        .get(stringify!($name))
                        .and_then(|c| c.downcast_ref::<pb::$resp>())
                        .cloned()
                        .unwrap_or_default();
                    Ok(Response::new(resp))
                }
            )*
        }

        impl Noop {
            /// Decodes canned responses (name -> encoded message).
            fn load(raw: HashMap<String, Vec<u8>>) -> Noop {
                let mut canned: HashMap<&'static str, Box<dyn std::any::Any + Send + Sync>> = HashMap::new();
                $(
                    if let Some(bytes) = raw.get(stringify!($name)) {
                        canned.insert(
                            stringify!($name),
                            Box::new(pb::$resp::decode(&bytes[..]).expect("canned response decodes")),
                        );
                    }
                )*
                Noop { canned }
            }
        }
    };
}

ramd::with_ram_operations!(noop_service);

async fn serve_noop(canned: PathBuf, port: u16) {
    let raw: Vec<(String, Vec<u8>)> = {
        let text = std::fs::read(&canned).expect("read canned responses");
        postcard::from_bytes(&text).expect("canned responses decode")
    };
    let noop = Noop::load(raw.into_iter().collect());
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    Server::builder()
        .add_service(health_service)
        .add_service(ResourceAccessManagerServer::new(noop))
        .serve(format!("127.0.0.1:{port}").parse().unwrap())
        .await
        .unwrap();
}

/// One measured operation: its name and how a client calls it.
type Call = Arc<
    dyn Fn(
            usize,
            u64,
            Channel,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), Status>> + Send>>
        + Send
        + Sync,
>;

fn reads(data: &Arc<Dataset>) -> Vec<(&'static str, Call)> {
    let d = data.clone();
    let get_permission: Call = Arc::new(move |_, n, ch| {
        let i = (n as usize * 7919) % d.accounts.len();
        let (a, p) = (d.accounts[i].clone(), d.permission_of[i].clone());
        Box::pin(async move {
            ResourceAccessManagerClient::new(ch)
                .get_permission(with_account(
                    &a,
                    pb::GetPermissionRequest {
                        permission_arn: p,
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ())
        })
    });
    let d = data.clone();
    let get_share: Call = Arc::new(move |_, n, ch| {
        let (owner, arn, _) = d.shares[(n as usize * 7919) % d.shares.len()].clone();
        Box::pin(async move {
            ResourceAccessManagerClient::new(ch)
                .get_resource_shares(with_account(
                    &owner,
                    pb::GetResourceSharesRequest {
                        resource_owner: pb::ResourceOwner::Self_ as i32,
                        resource_share_arns: vec![arn],
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ())
        })
    });
    let d = data.clone();
    let list_resources: Call = Arc::new(move |_, n, ch| {
        let a = d.accounts[(n as usize * 7919) % d.accounts.len()].clone();
        Box::pin(async move {
            ResourceAccessManagerClient::new(ch)
                .list_resources(with_account(
                    &a,
                    pb::ListResourcesRequest {
                        resource_owner: pb::ResourceOwner::OtherAccounts as i32,
                        max_results: Some(20),
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ())
        })
    });
    let d = data.clone();
    let policies: Call = Arc::new(move |_, n, ch| {
        let (owner, _, resource) = d.shares[(n as usize * 7919) % d.shares.len()].clone();
        Box::pin(async move {
            ResourceAccessManagerClient::new(ch)
                .get_resource_policies(with_account(
                    &owner,
                    pb::GetResourcePoliciesRequest {
                        resource_arns: vec![resource],
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ())
        })
    });
    vec![
        ("GetPermission", get_permission),
        ("GetResourceShares", get_share),
        ("ListResources", list_resources),
        ("GetResourcePolicies", policies),
    ]
}

fn writes(data: &Arc<Dataset>, round: u64) -> Vec<(&'static str, Call)> {
    let d = data.clone();
    let create_share: Call = Arc::new(move |w, n, ch| {
        let i = (w * 31 + n as usize) % d.accounts.len();
        let owner = d.accounts[i].clone();
        let principal = d.accounts[(i + 1) % d.accounts.len()].clone();
        Box::pin(async move {
            ResourceAccessManagerClient::new(ch)
                .create_resource_share(with_account(
                    &owner,
                    pb::CreateResourceShareRequest {
                        name: format!("w{round}-{n}"),
                        resource_arns: vec![format!(
                            "arn:aws:codebuild:us-east-1:{owner}:project/w{round}-{n}"
                        )],
                        principals: vec![principal],
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ())
        })
    });
    let d = data.clone();
    let associate: Call = Arc::new(move |_, n, ch| {
        let (owner, arn, _) = d.shares[(n as usize * 7919) % d.shares.len()].clone();
        Box::pin(async move {
            ResourceAccessManagerClient::new(ch)
                .associate_resource_share(with_account(
                    &owner,
                    pb::AssociateResourceShareRequest {
                        resource_share_arn: arn,
                        resource_arns: vec![format!(
                            "arn:aws:codebuild:us-east-1:{owner}:project/a{round}-{n}"
                        )],
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ())
        })
    });
    let d = data.clone();
    let version: Call = Arc::new(move |_, n, ch| {
        // Each pooled permission takes four more versions (five at most).
        let (a, p) = d.version_pool[(n as usize / 4) % d.version_pool.len()].clone();
        Box::pin(async move {
            let mut ram = ResourceAccessManagerClient::new(ch);
            let r = ram
                .create_permission_version(with_account(
                    &a,
                    pb::CreatePermissionVersionRequest {
                        permission_arn: p.clone(),
                        policy_template: format!(
                            r#"{{"Effect":"Allow","Action":["codebuild:BatchGetProjects","codebuild:StartBuild"],"Condition":{{"StringEquals":{{"aws:RequestTag/n":"{n}"}}}}}}"#
                        ),
                        ..Default::default()
                    },
                ))
                .await;
            r.map(|_| ())
        })
    });
    vec![
        ("CreateResourceShare", create_share),
        ("AssociateResourceShare", associate),
        ("CreatePermissionVersion", version),
    ]
}

/// Captures one response of each measured operation, for the no-op server.
async fn capture(
    calls: &[(&'static str, Call)],
    data: &Dataset,
    ch: Channel,
) -> Vec<(String, Vec<u8>)> {
    let mut ram = ResourceAccessManagerClient::new(ch);
    let mut out = Vec::new();
    for (name, _) in calls {
        let (owner, arn, resource) = data.shares[0].clone();
        let bytes = match *name {
            "GetPermission" => ram
                .get_permission(with_account(
                    &data.accounts[0],
                    pb::GetPermissionRequest {
                        permission_arn: data.permission_of[0].clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| r.into_inner().encode_to_vec()),
            "GetResourceShares" => ram
                .get_resource_shares(with_account(
                    &owner,
                    pb::GetResourceSharesRequest {
                        resource_owner: pb::ResourceOwner::Self_ as i32,
                        resource_share_arns: vec![arn.clone()],
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| r.into_inner().encode_to_vec()),
            "ListResources" => ram
                .list_resources(with_account(
                    &data.accounts[1 % data.accounts.len()],
                    pb::ListResourcesRequest {
                        resource_owner: pb::ResourceOwner::OtherAccounts as i32,
                        max_results: Some(20),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| r.into_inner().encode_to_vec()),
            "GetResourcePolicies" => ram
                .get_resource_policies(with_account(
                    &owner,
                    pb::GetResourcePoliciesRequest {
                        resource_arns: vec![resource.clone()],
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| r.into_inner().encode_to_vec()),
            "CreateResourceShare" => ram
                .get_resource_shares(with_account(
                    &owner,
                    pb::GetResourceSharesRequest {
                        resource_owner: pb::ResourceOwner::Self_ as i32,
                        resource_share_arns: vec![arn.clone()],
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| {
                    pb::CreateResourceShareResponse {
                        resource_share: r.into_inner().resource_shares.into_iter().next(),
                        client_token: "00000000-0000-4000-8000-000000000000".into(),
                    }
                    .encode_to_vec()
                }),
            "AssociateResourceShare" => ram
                .get_resource_share_associations(with_account(
                    &owner,
                    pb::GetResourceShareAssociationsRequest {
                        association_type: pb::ResourceShareAssociationType::Resource as i32,
                        resource_share_arns: vec![arn.clone()],
                        max_results: Some(1),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| {
                    pb::AssociateResourceShareResponse {
                        resource_share_associations: r.into_inner().resource_share_associations,
                        client_token: "00000000-0000-4000-8000-000000000000".into(),
                    }
                    .encode_to_vec()
                }),
            "CreatePermissionVersion" => ram
                .get_permission(with_account(
                    &data.accounts[0],
                    pb::GetPermissionRequest {
                        permission_arn: data.permission_of[0].clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| {
                    pb::CreatePermissionVersionResponse {
                        permission: r.into_inner().permission,
                        client_token: "00000000-0000-4000-8000-000000000000".into(),
                    }
                    .encode_to_vec()
                }),
            _ => continue,
        };
        out.push((name.to_string(), bytes.expect("capture a response")));
    }
    out
}

async fn channels(port: u16, n: usize) -> Vec<Channel> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(connect(port).await);
    }
    out
}

/// The median latency (ms) of `n` sequential calls.
async fn median_ms<F, Fut>(n: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut v: Vec<f64> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let mut args = Args::parse();
    if let Some(canned) = args.noop_canned.clone() {
        serve_noop(canned, args.noop_port).await;
        return;
    }
    if args.smoke {
        args.shares = 300;
        args.accounts = 30;
        args.seconds = 0.5;
        args.connections = 4;
        args.concurrency = 4;
    }
    let mut report = String::new();
    let mut line = |s: String| {
        println!("{s}");
        report.push_str(&s);
        report.push('\n');
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let ramd = Ramd::start(dir.path());
    let chans = channels(ramd.port, args.connections).await;
    let t = Instant::now();
    let data = Arc::new(preload(&args, &chans).await);
    let associations = args.shares * (args.resources_per_share + args.principals_per_share);
    let preload_s = t.elapsed().as_secs_f64();
    ramd.settle().await;
    line(format!(
        "Data set: {} accounts in one organization (10 OUs), {} shares, {} associations, {} customer managed permissions; preloaded in {:.1} s ({:.0} writes/s).",
        args.accounts,
        data.shares.len(),
        associations,
        args.accounts,
        preload_s,
        (args.shares + 2 * args.accounts) as f64 / preload_s
    ));
    line(format!(
        "Resident memory of ramd after the preload: {:.0} MiB.",
        ramd.rss_mib()
    ));
    line(format!(
        "Load: {} connections x {} in flight = {} clients, {} s per operation in {} rounds taking turns with the no-op server, server and load generator on this machine. Server CPU is user and system time of the server process over the operation's calls; load generator CPU the same for the harness's own process; idle the share of both CPUs' time left unused.\n",
        args.connections,
        args.concurrency,
        args.connections * args.concurrency,
        args.seconds,
        args.rounds.max(1)
    ));

    // No-op server with canned responses of the same sizes.
    let read_calls = reads(&data);
    let write_calls = writes(&data, 1);
    let all: Vec<(&'static str, Call)> = read_calls
        .iter()
        .chain(write_calls.iter())
        .filter(|(name, _)| args.ops.is_empty() || args.ops.iter().any(|o| o == name))
        .cloned()
        .collect();
    let canned = capture(&all, &data, chans[0].clone()).await;
    let canned_path = dir.path().join("canned.bin");
    std::fs::write(&canned_path, postcard::to_stdvec(&canned).unwrap()).unwrap();
    let noop_port = free_port();
    let mut noop = Command::new(std::env::current_exe().unwrap())
        .args(["--noop-canned", canned_path.to_str().unwrap()])
        .args(["--noop-port", &noop_port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("start the no-op server");
    let noop_chans = channels(noop_port, args.connections).await;

    line("| operation | ramd ops/s | p50 ms | p99 ms | p99.9 ms | errors | no-op ops/s | ramd / no-op | per round, lowest–highest | server CPU µs/call ramd / no-op | load generator CPU µs/call ramd / no-op | idle % ramd / no-op |".into());
    line(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            .into(),
    );
    let ramd_pid = ramd.child.id();
    let noop_pid = noop.id();
    let rounds = args.rounds.max(1);
    let round_seconds = args.seconds / f64::from(rounds);
    for (name, call) in &all {
        let (mut m, mut base) = (Measured::empty(), Measured::empty());
        // The ratio of each round pair too: how far the two servers' turns
        // disagree within the run.
        let mut ratios: Vec<f64> = Vec::new();
        for _ in 0..rounds {
            let ours = run_round(
                &chans,
                args.concurrency,
                round_seconds,
                ramd_pid,
                call,
                &mut m,
            )
            .await;
            let theirs = run_round(
                &noop_chans,
                args.concurrency,
                round_seconds,
                noop_pid,
                call,
                &mut base,
            )
            .await;
            ratios.push(ours / theirs.max(f64::EPSILON));
        }
        let lowest = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        line(format!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.0} | {:.2} | {lowest:.2}–{highest:.2} | {:.1} / {:.1} | {:.1} / {:.1} | {:.0} / {:.0} |",
            m.throughput(),
            m.q_ms(0.5),
            m.q_ms(0.99),
            m.q_ms(0.999),
            m.errors,
            base.throughput(),
            m.throughput() / base.throughput(),
            m.cpu_us_per_call(),
            base.cpu_us_per_call(),
            m.gen_cpu_us_per_call(),
            base.gen_cpu_us_per_call(),
            m.idle_percent(),
            base.idle_percent(),
        ));
    }
    let _ = noop.kill();
    let _ = noop.wait();
    if args.no_scale {
        write_report(&args.out, &report);
        return;
    }

    // Scale: memory, page cost, restart.
    line(String::new());
    line(format!(
        "Resident memory of ramd after the measured operations: {:.0} MiB (peak {:.0} MiB).",
        ramd.rss_mib(),
        ramd.peak_rss_mib()
    ));
    let big = data.big_owner.clone();
    let owned = data.shares.iter().filter(|(o, _, _)| *o == big).count();
    let page_size = 10usize;
    let far = (owned / page_size).saturating_sub(1).clamp(1, 10_000);
    let mut ram = ResourceAccessManagerClient::new(chans[0].clone());
    let page = |token: Option<String>| pb::GetResourceSharesRequest {
        resource_owner: pb::ResourceOwner::Self_ as i32,
        max_results: Some(page_size as i32),
        next_token: token,
        ..Default::default()
    };
    let mut token = None;
    for _ in 0..far {
        let next = ram
            .get_resource_shares(with_account(&big, page(token.clone())))
            .await
            .unwrap()
            .into_inner()
            .next_token;
        if next.is_empty() {
            break;
        }
        token = Some(next);
    }
    let first = median_ms(50, || {
        let mut ram = ram.clone();
        let big = big.clone();
        async move {
            ram.get_resource_shares(with_account(&big, page(None)))
                .await
                .unwrap();
        }
    })
    .await;
    let later = median_ms(50, || {
        let mut ram = ram.clone();
        let (big, token) = (big.clone(), token.clone());
        async move {
            ram.get_resource_shares(with_account(&big, page(token)))
                .await
                .unwrap();
        }
    })
    .await;
    line(format!(
        "Paging GetResourceShares (SELF, {page_size} per page) over {owned} shares of one account: first page {first:.3} ms, page {} {later:.3} ms (ratio {:.2}).",
        far + 1,
        later / first
    ));
    let ((copies, copy), (_, write)) = ramd.snapshot_log();
    line(format!(
        "Snapshots so far: {copies}; the longest state copy under the read lock took {:.1} ms, the longest encode and write (beside commits) {write:.2} s.",
        copy * 1000.0
    ));
    drop(chans);
    let data_dir = ramd.data_dir.clone();
    ramd.stop();
    let t = Instant::now();
    let ramd = Ramd::start(&data_dir);
    let _ = connect(ramd.port).await;
    line(format!(
        "Restart to SERVING (snapshot + journal replay): {:.2} s.",
        t.elapsed().as_secs_f64()
    ));
    if let Some(l) = ramd.recovery_line() {
        line(format!("ramd's recovery log: `{}`", l.trim()));
    }
    line(format!(
        "Resident memory after the restart: {:.0} MiB (peak {:.0} MiB).",
        ramd.rss_mib(),
        ramd.peak_rss_mib()
    ));
    ramd.stop();

    if !args.no_aws {
        aws_protocol(&args, &mut line).await;
    }

    write_report(&args.out, &report);
}

/// CPU time (user and system) process `pid` has used so far, in seconds,
/// from `/proc/<pid>/stat` (clock ticks of `getconf CLK_TCK`).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses: utime and
    // stime are the 12th and 13th of them.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum::<f64>() / clock_ticks()
}

/// Clock ticks per second (`getconf CLK_TCK`), the unit of `/proc` times.
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .unwrap_or(100.0)
    })
}

/// Idle time of all the machine's CPUs so far, in seconds, from the `cpu`
/// line of `/proc/stat` (idle and iowait, in clock ticks).
fn idle_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: f64 = stat
        .lines()
        .next()
        .filter(|l| l.starts_with("cpu "))
        .map_or(0.0, |l| {
            l.split_whitespace()
                .skip(4)
                .take(2)
                .filter_map(|f| f.parse::<f64>().ok())
                .sum()
        });
    ticks / clock_ticks()
}

fn write_report(out: &std::path::Path, report: &str) {
    if let Some(parent) = out.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let mut f = std::fs::File::create(out).expect("write the report");
    f.write_all(report.as_bytes()).unwrap();
    println!("\nreport written to {}", out.display());
}
