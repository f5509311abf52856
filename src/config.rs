//! Server configuration: command-line flags, each also readable from a
//! `RAMD_<FLAG>` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// How callers are identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// `x-ram-account-id` metadata names the caller (development, or behind a
    /// mesh that already authenticated it).
    Header,
    /// `authorization: Bearer <token>` checked against `--tokens-file`.
    Token,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Every flag of the `ramd` binary.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ramd",
    version,
    about = "A self-hosted AWS Resource Access Manager (RAM) over gRPC"
)]
pub struct Config {
    /// Address to serve gRPC on (RAM, Admin, health and reflection services).
    #[arg(long, env = "RAMD_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// Also serve RAM's AWS protocol (rest-json, as AWS SDKs and the AWS CLI
    /// speak it) on this address, e.g. 127.0.0.1:4566. Off by default.
    #[arg(long, env = "RAMD_AWS_LISTEN")]
    pub aws_listen: Option<SocketAddr>,

    /// Directory for durable state (a SQLite database, `ramd.db`).
    #[arg(long, env = "RAMD_DATA_DIR", default_value = "./ramd-data")]
    pub data_dir: PathBuf,

    /// Keep all state in memory only.
    #[arg(long, env = "RAMD_EPHEMERAL")]
    pub ephemeral: bool,

    /// Write a snapshot (and trim the journal) every this many mutations.
    #[arg(long, env = "RAMD_SNAPSHOT_EVERY", default_value_t = 100_000)]
    pub snapshot_every: u64,

    /// The AWS Region this server plays.
    #[arg(long, env = "RAMD_REGION", default_value = "us-east-1")]
    pub region: String,

    /// The AWS partition used in ARNs.
    #[arg(long, env = "RAMD_PARTITION", default_value = "aws")]
    pub partition: String,

    /// The account used when a call names none (header mode).
    #[arg(long, env = "RAMD_DEFAULT_ACCOUNT", default_value = "123456789012")]
    pub default_account: String,

    /// How callers are identified.
    #[arg(long, env = "RAMD_AUTH", value_enum, default_value = "header")]
    pub auth: AuthMode,

    /// JSON file of bearer tokens and client-certificate identities (token
    /// mode), reloaded on SIGHUP.
    #[arg(long, env = "RAMD_TOKENS_FILE")]
    pub tokens_file: Option<PathBuf>,

    /// PEM certificate chain to serve gRPC over TLS (with `--tls-key`).
    #[arg(long, env = "RAMD_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "RAMD_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// PEM CA certificates: clients must present a certificate they issued
    /// (mutual TLS). Needs `--tls-cert`.
    #[arg(long, env = "RAMD_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// Time moves only through the Admin AdvanceClock RPC (for tests).
    #[arg(long, env = "RAMD_MANUAL_CLOCK")]
    pub manual_clock: bool,

    /// Log line format.
    #[arg(long, env = "RAMD_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// How long a graceful shutdown waits for in-flight calls, in seconds.
    #[arg(long, env = "RAMD_GRACE_PERIOD", default_value_t = 30)]
    pub grace_period: u64,

    /// Largest request message accepted, in bytes; larger ones fail with
    /// RESOURCE_EXHAUSTED.
    #[arg(
        long,
        env = "RAMD_MAX_REQUEST_BYTES",
        default_value_t = 4 * 1024 * 1024,
        value_parser = clap::value_parser!(u32).range(1024..)
    )]
    pub max_request_bytes: u32,

    /// Requests served at once; more are refused at once with
    /// RESOURCE_EXHAUSTED (ThrottlingException), not queued. Health checks
    /// are never refused.
    #[arg(
        long,
        env = "RAMD_MAX_CONCURRENT_REQUESTS",
        default_value_t = 1024,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_concurrent_requests: u32,

    /// Longest time a request may take, in seconds, whatever deadline the
    /// client sets (a shorter `grpc-timeout` wins).
    #[arg(
        long,
        env = "RAMD_REQUEST_TIMEOUT",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub request_timeout: u64,

    /// Address to serve Prometheus metrics on (`GET /metrics`, plain HTTP);
    /// off unless given.
    #[arg(long, env = "RAMD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Quota: customer managed permissions per account in the Region.
    #[arg(long, env = "RAMD_QUOTA_PERMISSIONS", default_value_t = 1500)]
    pub quota_permissions: usize,

    /// Quota: customer managed permissions per account and resource type.
    #[arg(long, env = "RAMD_QUOTA_PERMISSIONS_PER_TYPE", default_value_t = 10)]
    pub quota_permissions_per_type: usize,

    /// Quota: resource shares per account.
    #[arg(long, env = "RAMD_QUOTA_RESOURCE_SHARES", default_value_t = 25_000)]
    pub quota_resource_shares: usize,

    /// Quota: resources (and, separately, principals) per resource share.
    #[arg(
        long,
        env = "RAMD_QUOTA_ASSOCIATIONS_PER_SHARE",
        default_value_t = 5_000
    )]
    pub quota_associations_per_share: usize,

    /// Quota: resource (and, separately, principal) associations across an
    /// account's shares.
    #[arg(long, env = "RAMD_QUOTA_ASSOCIATIONS", default_value_t = 25_000)]
    pub quota_associations: usize,

    /// Quota: pending invitations an account has sent.
    #[arg(long, env = "RAMD_QUOTA_PENDING_INVITATIONS", default_value_t = 20)]
    pub quota_pending_invitations: usize,
}
