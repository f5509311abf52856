//! Puts a ramd server together: the RAM and Admin services, standard health
//! checking and server reflection on one port, and a graceful drain; the
//! request limits, and the metrics endpoint on its own port.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic_health::ServingStatus;

use crate::api::admin::AdminService;
use crate::api::ram::RamService;
use crate::api::replay;
use crate::api::{Auth, Shared};
use crate::config::{Config, LogFormat};
use crate::core::clock::Clock;
use crate::core::state::{CoreConfig, Limits, State};
use crate::store::journal::Journal;
use crate::store::sqlite::SqliteStorage;
use crate::store::Storage;
use crate::{metrics, pb};

/// The fully qualified names of the services health checking reports on.
pub const SERVICE_NAMES: [&str; 2] = ["ram.v1.ResourceAccessManager", "ram.admin.v1.Admin"];

/// Sets up logging: text or JSON lines, filtered by `RUST_LOG` (default info).
pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: files and log collectors get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Binds `--listen` and serves until SIGTERM or Ctrl-C.
pub async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // First, so a signal during recovery is not lost either.
    let shutdown = shutdown_signal();
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    run(config, listener, shutdown).await
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT). The handlers are installed
/// when this is called, not when the future is first polled: the server
/// polls its shutdown future only between accepts, and a signal that
/// arrived before that first poll would otherwise end the process with the
/// default action, without the drain.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(term) => {},
                _ = wait(int) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Builds the shared state a server runs on.
/// With `storage`, the state is recovered from it (snapshot, then journal)
/// and every later mutation is journaled to it.
pub fn build_shared(config: &Config, storage: Option<Box<dyn Storage>>) -> Result<Shared, String> {
    if !crate::core::arn::is_account_id(&config.default_account) {
        return Err(format!(
            "--default-account {:?} is not a 12-digit account id",
            config.default_account
        ));
    }
    if !crate::core::arn::is_partition(&config.partition) {
        return Err(format!(
            "--partition {:?} is not an AWS partition",
            config.partition
        ));
    }
    if config.region.is_empty()
        || !config
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!("--region {:?} is not a Region name", config.region));
    }
    let core_config = CoreConfig {
        region: config.region.clone(),
        partition: config.partition.clone(),
        limits: Limits {
            permissions_per_account: config.quota_permissions,
            permissions_per_type: config.quota_permissions_per_type,
            shares_per_account: config.quota_resource_shares,
            resources_per_share: config.quota_associations_per_share,
            principals_per_share: config.quota_associations_per_share,
            resource_associations_per_account: config.quota_associations,
            principal_associations_per_account: config.quota_associations,
            pending_invitations_per_account: config.quota_pending_invitations,
            ..Limits::default()
        },
    };
    let clock = if config.manual_clock {
        Clock::manual(chrono::Utc::now())
    } else {
        Clock::System
    };
    let auth = Auth::from_config(config)?;
    let Some(mut storage) = storage else {
        let state = State::new(core_config, rand::random());
        return Ok(Shared::new(state, clock, auth)
            .with_max_concurrent_requests(config.max_concurrent_requests as usize));
    };
    let db = config.data_dir.join(crate::store::sqlite::FILE_NAME);
    let started = std::time::Instant::now();
    let loaded = storage.load().map_err(|e| e.0)?;
    let state = replay::recover(core_config, &loaded, rand::random())
        .map_err(|e| format!("{}: cannot recover the state: {e}", db.display()))?;
    tracing::info!(
        snapshot_seq = loaded.snapshot.as_ref().map_or(0, |s| s.seq),
        replayed = loaded.entries.len(),
        dropped_torn_entry = loaded.dropped_torn_entry,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "state recovered"
    );
    drop(loaded);
    let seq = state.applied_seq;
    let mut shared = Shared::new(state, clock, auth)
        .with_max_concurrent_requests(config.max_concurrent_requests as usize);
    shared.journal = Some(Journal::start(
        storage,
        shared.state.clone(),
        seq,
        config.snapshot_every,
        shared.metrics.clone(),
    ));
    Ok(shared)
}

/// Serves on `listener` (and metrics on `--metrics-listen`, when given)
/// until `shutdown` resolves; see [`run_on`].
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen for metrics on {addr}: {e}"))?,
        ),
        None => None,
    };
    let storage: Option<Box<dyn Storage>> = if config.ephemeral {
        None
    } else {
        Some(Box::new(SqliteStorage::open(&config.data_dir)?))
    };
    serve_on(config, listener, metrics_listener, shutdown, storage).await
}

/// `run` with a given storage backend (`None`: memory only) and no metrics
/// listener.
pub async fn run_with_storage(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    storage: Option<Box<dyn Storage>>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_on(config, listener, None, shutdown, storage).await
}

/// `run` on given listeners, memory only.
pub async fn run_on(
    config: Config,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_on(config, listener, metrics_listener, shutdown, None).await
}

/// The accepted connections of `listener`, with Nagle's algorithm off: a
/// response written in several small frames must not wait for the client's
/// delayed ACK (a 40 ms stall otherwise). The builder's own `tcp_nodelay`
/// applies only to listeners it binds itself.
fn no_delay(
    listener: TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    TcpListenerStream::new(listener).map(|conn| {
        let conn = conn?;
        conn.set_nodelay(true)?;
        Ok(conn)
    })
}

/// Aborts the task it holds when dropped, however `serve_on` returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Serves gRPC on `listener`, and metrics on `metrics_listener` when given,
/// with state in `storage`, until `shutdown` resolves; then reports
/// NOT_SERVING, stops accepting, lets in-flight calls finish (up to the grace
/// period), flushes and returns.
pub async fn serve_on(
    config: Config,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    storage: Option<Box<dyn Storage>>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let shared = Arc::new(build_shared(&config, storage)?);
    let _reloads = shared.auth.reload_on_sighup()?;
    let _metrics_server = match metrics_listener {
        Some(l) => {
            tracing::info!(addr = %l.local_addr()?, "metrics served on /metrics");
            Some(AbortOnDrop(tokio::spawn(metrics::serve(l, shared.clone()))))
        }
        None => None,
    };
    crate::tls::warn_if_exposed(&config, &shared.auth, listener.local_addr()?);

    let (health, health_service) = tonic_health::server::health_reporter();
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    // Larger messages fail with RESOURCE_EXHAUSTED before they are decoded.
    let max_request = config.max_request_bytes as usize;
    let ram = pb::v1::resource_access_manager_server::ResourceAccessManagerServer::new(
        RamService::new(shared.clone()),
    )
    .max_decoding_message_size(max_request);
    let admin = pb::admin::admin_server::AdminServer::new(AdminService::new(shared.clone()))
        .max_decoding_message_size(max_request);

    let addr = listener.local_addr()?;
    let grace = Duration::from_secs(config.grace_period);
    // The AWS-protocol front end (--aws-listen), bound before SERVING.
    let (aws_stop, aws_stopped) = tokio::sync::watch::channel(false);
    let aws = match config.aws_listen {
        Some(aws_addr) => {
            let frontend = Arc::new(crate::aws::Frontend::new(shared.clone())?);
            let aws_listener = crate::aws::bind(aws_addr).await?;
            Some(tokio::spawn(crate::aws::serve(
                aws_listener,
                frontend,
                aws_stopped,
                grace,
            )))
        }
        None => None,
    };
    let drain_health = health.clone();
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let on_shutdown = async move {
        shutdown.await;
        let _ = aws_stop.send(true);
        tracing::info!("shutdown requested: reporting NOT_SERVING and draining");
        drain_health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        for name in SERVICE_NAMES {
            drain_health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
        let _ = drained_tx.send(());
    };

    let server = crate::tls::server_builder(&config)?
        .timeout(Duration::from_secs(config.request_timeout))
        .layer(crate::api::limits::OversizeLayer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(ram)
        .add_service(admin)
        .serve_with_incoming_shutdown(no_delay(listener), on_shutdown);

    for name in SERVICE_NAMES {
        health
            .set_service_status(name, ServingStatus::Serving)
            .await;
    }
    health.set_service_status("", ServingStatus::Serving).await;
    tracing::info!(%addr, region = %config.region, "ramd serving");

    // A journal that can no longer write takes the server out of rotation.
    if let Some(journal) = &shared.journal {
        let mut durable = journal.watch();
        let health = health.clone();
        tokio::spawn(async move {
            if durable.wait_for(|d| d.failed.is_some()).await.is_ok() {
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                for name in SERVICE_NAMES {
                    health
                        .set_service_status(name, ServingStatus::NotServing)
                        .await;
                }
            }
        });
    }

    // Serve; once shutdown starts, give in-flight calls the grace period.
    tokio::pin!(server);
    tokio::select! {
        r = &mut server => r?,
        _ = drained_rx => {
            match tokio::time::timeout(grace, &mut server).await {
                Ok(r) => r?,
                Err(_) => tracing::warn!(?grace, "grace period over: closing remaining calls"),
            }
        }
    }
    if let Some(aws) = aws {
        let _ = aws.await;
    }
    // Flush: sync what is queued and write a final snapshot.
    if let Some(journal) = &shared.journal {
        journal.close();
    }
    tracing::info!("ramd stopped");
    Ok(())
}
