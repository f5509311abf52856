//! Prometheus metrics: what the server counts (requests by method and code,
//! latencies, fsync latency, journal size), the object gauges computed from
//! the state at scrape time, the text exposition format, and the small HTTP
//! server behind `--metrics-listen` that serves them on `/metrics`.
//!
//! The registry is a few mutex-guarded maps rather than a metrics library:
//! the label sets are small and fixed (method names are `&'static str`, codes
//! are the seventeen gRPC codes), and the text format is a few lines to write.
//! Request figures, counted on every request, sit in per-thread stripes
//! ([`Stripes`]), merged when rendered.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::api::Shared;
use crate::core::state::State;

/// Upper bounds, in seconds, of the latency histogram buckets: 100 µs to 10 s.
pub const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// The content type of the Prometheus text format.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A histogram with the [`BUCKETS`] bounds.
#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations per bucket (not cumulative); larger ones only count.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    /// Adds `other`'s observations.
    fn add(&mut self, other: &Histogram) {
        for (b, n) in self.buckets.iter_mut().zip(other.buckets) {
            *b += n;
        }
        self.count += other.count;
        self.sum += other.sum;
    }

    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines; `labels` is empty
    /// or ends with a comma.
    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(self.buckets) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", self.count);
        let labels = match labels.trim_end_matches(',') {
            "" => String::new(),
            l => format!("{{{l}}}"),
        };
        let _ = writeln!(out, "{name}_sum{labels} {}", self.sum);
        let _ = writeln!(out, "{name}_count{labels} {}", self.count);
    }
}

/// What one method has served.
#[derive(Debug, Default)]
struct MethodStats {
    /// Requests by gRPC code name.
    codes: BTreeMap<&'static str, u64>,
    latency: Histogram,
}

/// Request figures by method.
type Requests = BTreeMap<&'static str, MethodStats>;

/// How many stripes [`Stripes`] has: more than the threads that serve
/// requests (the runtime's workers, one per core by default), so each
/// usually has one of its own.
const STRIPES: usize = 16;

/// The request figures in stripes, each in its own cache lines. A thread
/// counts in the stripe it took the first time it counted ([`stripe`]), so
/// on the request path a lock is taken that no other thread holds, and no
/// cache line goes back and forth between the cores serving requests (one
/// shared map did both on every request). Rendering merges the stripes.
#[derive(Debug, Default)]
struct Stripes([Stripe; STRIPES]);

#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(Mutex<Requests>);

/// The stripe of the calling thread: threads take stripes in turn.
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    STRIPE.with(|s| *s)
}

impl Stripes {
    /// Every stripe's figures added up.
    fn merged(&self) -> Requests {
        let mut all = Requests::new();
        for stripe in &self.0 {
            for (method, stats) in lock(&stripe.0).iter() {
                let into = all.entry(*method).or_default();
                for (code, n) in &stats.codes {
                    *into.codes.entry(*code).or_default() += n;
                }
                into.latency.add(&stats.latency);
            }
        }
        all
    }
}

/// The counters and histograms of one server. The api layer feeds the
/// request figures (`api::finish`), the storage layer the journal and fsync
/// figures.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Stripes,
    fsync: Mutex<Histogram>,
    journal_bytes: AtomicU64,
    journal_entries: AtomicU64,
}

/// The gauges read from the server at scrape time.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Gauges {
    pub objects: ObjectCounts,
    /// Requests being served now.
    pub in_flight: usize,
    /// `--max-concurrent-requests`.
    pub max_concurrent: usize,
}

/// How many objects of each kind the state holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ObjectCounts {
    /// Customer managed permissions (AWS managed ones are compiled in).
    pub permissions: usize,
    /// Resource shares, deleted ones included until they are purged.
    pub shares: usize,
    /// Live resource and principal associations.
    pub associations: usize,
    /// Invitations in any status.
    pub invitations: usize,
    pub organizations: usize,
}

impl ObjectCounts {
    /// Counts from the state's maps and indexes: no object is visited but
    /// organizations, which are few.
    pub fn of(state: &State) -> ObjectCounts {
        ObjectCounts {
            permissions: state.permissions.len(),
            shares: state.shares.len(),
            associations: state.index.associations(),
            invitations: state.invitations.by_arn.len(),
            organizations: state.orgs.iter().count(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Counts one request of `method` that ended with gRPC code `code` (its
    /// name, as [`crate::api::status::code_name`] gives it) after `seconds`.
    pub fn observe_request(&self, method: &'static str, code: &'static str, seconds: f64) {
        let mut requests = lock(&self.requests.0[stripe()].0);
        let stats = requests.entry(method).or_default();
        *stats.codes.entry(code).or_default() += 1;
        stats.latency.observe(seconds);
    }

    /// Records how long one fsync of the journal took.
    pub fn observe_fsync(&self, seconds: f64) {
        lock(&self.fsync).observe(seconds);
    }

    /// Sets the journal's size on disk.
    pub fn set_journal_bytes(&self, bytes: u64) {
        self.journal_bytes.store(bytes, Ordering::Relaxed);
    }

    /// Sets the number of entries in the journal (since the last snapshot).
    pub fn set_journal_entries(&self, entries: u64) {
        self.journal_entries.store(entries, Ordering::Relaxed);
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let _ = writeln!(
            out,
            "# HELP ramd_build_info The running ramd version.\n\
             # TYPE ramd_build_info gauge\n\
             ramd_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        {
            let requests = self.requests.merged();
            out.push_str(
                "# HELP ramd_requests_total Requests served, by RPC method and gRPC code.\n\
                 # TYPE ramd_requests_total counter\n",
            );
            for (method, stats) in requests.iter() {
                for (code, n) in &stats.codes {
                    let _ = writeln!(
                        out,
                        "ramd_requests_total{{method=\"{method}\",code=\"{code}\"}} {n}"
                    );
                }
            }
            out.push_str(
                "# HELP ramd_request_duration_seconds Time to serve a request, by RPC method.\n\
                 # TYPE ramd_request_duration_seconds histogram\n",
            );
            for (method, stats) in requests.iter() {
                let labels = format!("method=\"{method}\",");
                stats
                    .latency
                    .write(&mut out, "ramd_request_duration_seconds", &labels);
            }
        }
        let _ = writeln!(
            out,
            "# HELP ramd_requests_in_flight Requests being served.\n\
             # TYPE ramd_requests_in_flight gauge\n\
             ramd_requests_in_flight {}\n\
             # HELP ramd_max_concurrent_requests Requests served at once before load is shed.\n\
             # TYPE ramd_max_concurrent_requests gauge\n\
             ramd_max_concurrent_requests {}",
            gauges.in_flight, gauges.max_concurrent
        );
        out.push_str(
            "# HELP ramd_objects Objects in the state, by kind.\n# TYPE ramd_objects gauge\n",
        );
        let o = &gauges.objects;
        for (kind, n) in [
            ("permissions", o.permissions),
            ("shares", o.shares),
            ("associations", o.associations),
            ("invitations", o.invitations),
            ("organizations", o.organizations),
        ] {
            let _ = writeln!(out, "ramd_objects{{kind=\"{kind}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP ramd_journal_bytes Size of the journal on disk.\n\
             # TYPE ramd_journal_bytes gauge\n\
             ramd_journal_bytes {}\n\
             # HELP ramd_journal_entries Entries in the journal since the last snapshot.\n\
             # TYPE ramd_journal_entries gauge\n\
             ramd_journal_entries {}",
            self.journal_bytes.load(Ordering::Relaxed),
            self.journal_entries.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP ramd_fsync_duration_seconds Time one fsync of the journal took.\n\
             # TYPE ramd_fsync_duration_seconds histogram\n",
        );
        lock(&self.fsync).write(&mut out, "ramd_fsync_duration_seconds", "");
        out
    }
}

/// The metrics of a running server, its gauges read now. The state is read
/// under its lock only long enough to take a few map sizes.
pub fn scrape(shared: &Shared) -> String {
    let objects = {
        let state = shared.state.read().unwrap_or_else(|e| e.into_inner());
        ObjectCounts::of(&state)
    };
    shared.metrics.render(&Gauges {
        objects,
        in_flight: shared.admission.in_flight(),
        max_concurrent: shared.admission.max(),
    })
}

/// How long a scraper may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer to one HTTP request: the metrics on `GET /metrics`.
fn respond<B>(req: &Request<B>, shared: &Shared) -> Response<String> {
    let mut resp = Response::new(String::new());
    if req.uri().path() != "/metrics" {
        *resp.status_mut() = StatusCode::NOT_FOUND;
        *resp.body_mut() = "Not found: metrics are served on /metrics.\n".into();
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    } else {
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_TEXT));
        if req.method() == Method::GET {
            *resp.body_mut() = scrape(shared);
        }
    }
    resp
}

/// Serves `/metrics` over plain HTTP/1.1 on `listener` until the task is
/// dropped or aborted. A failed connection is logged and does not stop the
/// server.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, most likely: pause, then go on.
                tracing::warn!(error = %e, "metrics listener cannot accept");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let resp = respond(&req, &shared);
                async move { Ok::<_, Infallible>(resp) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "metrics connection failed");
            }
        });
    }
}

/// The journal reports its fsyncs and size here.
impl crate::store::journal::JournalObserver for Metrics {
    fn fsync(&self, seconds: f64, _entries: usize) {
        self.observe_fsync(seconds);
    }

    fn stats(&self, stats: crate::store::Stats) {
        self.set_journal_bytes(stats.journal_bytes);
        self.set_journal_entries(stats.journal_entries);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let mut h = Histogram::default();
        for s in [0.00005, 0.0003, 0.0003, 7.0, 60.0] {
            h.observe(s);
        }
        let mut out = String::new();
        h.write(&mut out, "x", "m=\"A\",");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "x_bucket{m=\"A\",le=\"0.0001\"} 1");
        assert_eq!(lines[1], "x_bucket{m=\"A\",le=\"0.00025\"} 1");
        assert_eq!(lines[2], "x_bucket{m=\"A\",le=\"0.0005\"} 3");
        assert_eq!(lines[15], "x_bucket{m=\"A\",le=\"10\"} 4");
        assert_eq!(lines[16], "x_bucket{m=\"A\",le=\"+Inf\"} 5");
        assert!(
            lines[17].starts_with("x_sum{m=\"A\"} 67.0006"),
            "{}",
            lines[17]
        );
        assert_eq!(lines[18], "x_count{m=\"A\"} 5");
    }

    #[test]
    fn requests_counted_on_many_threads_add_up() {
        // More threads than stripes, so some share one.
        let m = Metrics::new();
        std::thread::scope(|scope| {
            for t in 0..2 * STRIPES {
                let m = &m;
                scope.spawn(move || {
                    for _ in 0..100 {
                        m.observe_request("GetPermission", "OK", 0.0002);
                    }
                    if t % 2 == 0 {
                        m.observe_request("ListResources", "NotFound", 0.003);
                    }
                });
            }
        });
        let text = m.render(&Gauges::default());
        for want in [
            "ramd_requests_total{method=\"GetPermission\",code=\"OK\"} 3200",
            "ramd_requests_total{method=\"ListResources\",code=\"NotFound\"} 16",
            "ramd_request_duration_seconds_bucket{method=\"GetPermission\",le=\"0.00025\"} 3200",
            "ramd_request_duration_seconds_count{method=\"ListResources\"} 16",
        ] {
            assert!(text.lines().any(|l| l == want), "{want} in\n{text}");
        }
    }

    #[test]
    fn render_has_every_family() {
        let m = Metrics::new();
        m.observe_request("CreatePermission", "OK", 0.002);
        m.observe_request("CreatePermission", "InvalidArgument", 0.001);
        m.observe_fsync(0.004);
        m.set_journal_bytes(4096);
        m.set_journal_entries(12);
        let text = m.render(&Gauges {
            objects: ObjectCounts {
                permissions: 3,
                ..Default::default()
            },
            in_flight: 1,
            max_concurrent: 8,
        });
        for want in [
            "ramd_requests_total{method=\"CreatePermission\",code=\"OK\"} 1",
            "ramd_requests_total{method=\"CreatePermission\",code=\"InvalidArgument\"} 1",
            "ramd_request_duration_seconds_count{method=\"CreatePermission\"} 2",
            "ramd_request_duration_seconds_bucket{method=\"CreatePermission\",le=\"0.0025\"} 2",
            "ramd_requests_in_flight 1",
            "ramd_max_concurrent_requests 8",
            "ramd_objects{kind=\"permissions\"} 3",
            "ramd_objects{kind=\"organizations\"} 0",
            "ramd_journal_bytes 4096",
            "ramd_journal_entries 12",
            "ramd_fsync_duration_seconds_bucket{le=\"0.005\"} 1",
            "ramd_fsync_duration_seconds_count 1",
        ] {
            assert!(text.lines().any(|l| l == want), "{want} in\n{text}");
        }
        // Every sample line belongs to a family announced by a TYPE line.
        let families: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(
                families.iter().any(|f| name.starts_with(f)),
                "{line} has no TYPE"
            );
        }
    }
}
