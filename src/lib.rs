//! ramd: a self-hosted re-implementation of AWS Resource Access Manager
//! (RAM) as a gRPC service.
//!
//! # Layout
//! - [`config`]: flags and environment variables.
//! - [`server`]: assembles the services (RAM, Admin, health, reflection) on
//!   one port and drains gracefully.
//! - [`pb`]: code generated from `proto/` and the reflection descriptor set.
//! - [`api`]: the gRPC adapters, the only place besides `server` that knows
//!   tonic: caller identity, request/response conversion, error statuses.
//! - [`aws`]: the AWS-protocol front end (rest-json over HTTP), calling the
//!   same RAM service as gRPC.
//! - [`core`]: the domain, synchronous and transport-free: the catalogue of
//!   resource types, permissions, organizations, pagination, idempotency,
//!   tags, state.
//! - [`store`]: persistence: the journal of mutations, snapshots, group
//!   commit, and the SQLite and in-memory backends.
//! - [`error`]: the domain error, one variant per AWS exception.
//! - [`tls`]: TLS and mutual TLS on the gRPC port, and warnings about
//!   unauthenticated exposure.
//! - [`metrics`]: Prometheus counters, histograms and gauges, served on
//!   `--metrics-listen`.

pub mod api;
pub mod aws;
pub mod config;
pub mod core;
pub mod error;
pub mod metrics;
pub mod pb;
pub mod server;
pub mod store;
pub mod tls;
