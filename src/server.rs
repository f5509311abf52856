//! Puts a ramd server together: the RAM and Admin services, standard health
//! checking and server reflection on one port, and a graceful drain.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use crate::api::admin::AdminService;
use crate::api::ram::RamService;
use crate::api::{Auth, Shared};
use crate::config::{AuthMode, Config, LogFormat};
use crate::core::clock::Clock;
use crate::core::state::{CoreConfig, Limits, State};
use crate::pb;

/// The fully qualified names of the services health checking reports on.
pub const SERVICE_NAMES: [&str; 2] = ["ram.v1.ResourceAccessManager", "ram.admin.v1.Admin"];

/// Sets up logging: text or JSON lines, filtered by `RUST_LOG` (default info).
pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Binds `--listen` and serves until SIGTERM or Ctrl-C.
pub async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    run(config, listener, shutdown_signal()).await
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Builds the shared state a server runs on.
pub fn build_shared(config: &Config) -> Result<Shared, String> {
    if config.auth == AuthMode::Token {
        return Err("--auth token is not supported by this release; use --auth header".into());
    }
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
    let state = State::new(core_config, rand::random());
    let clock = if config.manual_clock {
        Clock::manual(chrono::Utc::now())
    } else {
        Clock::System
    };
    let auth = Auth::Header {
        default_account: config.default_account.clone(),
    };
    Ok(Shared::new(state, clock, auth))
}

/// Serves on `listener` until `shutdown` resolves, then reports NOT_SERVING,
/// stops accepting, lets in-flight calls finish (up to the grace period) and
/// returns.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let shared = Arc::new(build_shared(&config)?);
    if !config.ephemeral {
        tracing::warn!(
            data_dir = %config.data_dir.display(),
            "durable storage is not implemented yet: state is kept in memory only"
        );
    }
    if !listener.local_addr()?.ip().is_loopback() {
        tracing::warn!(
            "header mode trusts x-ram-account-id from any caller on a non-loopback address"
        );
    }

    let (health, health_service) = tonic_health::server::health_reporter();
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let ram = pb::v1::resource_access_manager_server::ResourceAccessManagerServer::new(
        RamService::new(shared.clone()),
    );
    let admin = pb::admin::admin_server::AdminServer::new(AdminService::new(shared.clone()));

    let addr = listener.local_addr()?;
    let grace = Duration::from_secs(config.grace_period);
    let drain_health = health.clone();
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let on_shutdown = async move {
        shutdown.await;
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

    let server = Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(ram)
        .add_service(admin)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), on_shutdown);

    for name in SERVICE_NAMES {
        health
            .set_service_status(name, ServingStatus::Serving)
            .await;
    }
    health.set_service_status("", ServingStatus::Serving).await;
    tracing::info!(%addr, region = %config.region, "ramd serving");

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
    tracing::info!("ramd stopped");
    Ok(())
}
