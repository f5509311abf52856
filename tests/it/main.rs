//! The integration tests: each starts a real ramd on 127.0.0.1 with a free
//! port and talks to it through the generated gRPC clients.

mod common;
mod crash;
mod created_from_policy;
mod durability;
mod fuzz;
mod idempotency;
mod invitations;
mod isolation;
mod limits;
mod metrics;
mod organizations_sharing;
mod orgs;
mod paging;
mod permissions;
mod resource_policies;
mod resource_types;
mod security;
mod service;
mod share_permissions;
mod sharing;
mod tidy;
