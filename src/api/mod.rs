//! The gRPC adapters: the only code (with `server.rs`) that knows tonic.
//!
//! Every RPC goes through one of three helpers on [`Shared`], which do once
//! what each operation needs: identify the caller, convert the request,
//! run the core operation under the state lock, apply client-token
//! idempotency, convert the response, map errors and log one line.
//!
//! * [`Shared::query`]: read lock, no side effects.
//! * [`Shared::command`]: write lock, with `clientToken` idempotency.
//! * [`Shared::mutate`]: write lock, for the few writes without a token.

pub mod admin;
pub mod auth;
pub mod from_proto;
pub mod ram;
pub mod status;
pub mod to_proto;

use std::sync::RwLock;
use std::time::Instant;

use chrono::{DateTime, Utc};
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use crate::core::clock::{Clock, Ctx};
use crate::core::idempotency::{self, Record};
use crate::core::state::State;
use crate::core::timers;
use crate::error::Error;

pub use auth::{Auth, Caller};

/// What every service instance shares: the state, the clock and how callers
/// are identified.
#[derive(Debug)]
pub struct Shared {
    /// The whole state behind one lock. A std lock: operations are short and
    /// synchronous, and it is never held across an `.await`.
    pub state: RwLock<State>,
    pub clock: Clock,
    pub auth: Auth,
}

/// A request that carries an optional `clientToken`.
pub trait TokenRequest {
    /// Removes and returns the token, so the rest of the request can be
    /// fingerprinted.
    fn take_client_token(&mut self) -> Option<String>;
}

/// A response that echoes the `clientToken`.
pub trait TokenResponse {
    fn set_client_token(&mut self, token: String);
}

/// Implements [`TokenRequest`] and [`TokenResponse`] for operations whose
/// messages have a `client_token` field.
macro_rules! client_token_ops {
    ($($req:ident / $resp:ident),* $(,)?) => {$(
        impl TokenRequest for crate::pb::v1::$req {
            fn take_client_token(&mut self) -> Option<String> {
                self.client_token.take().filter(|t| !t.is_empty())
            }
        }
        impl TokenResponse for crate::pb::v1::$resp {
            fn set_client_token(&mut self, token: String) {
                self.client_token = token;
            }
        }
    )*};
}

client_token_ops!(
    AcceptResourceShareInvitationRequest / AcceptResourceShareInvitationResponse,
    AssociateResourceShareRequest / AssociateResourceShareResponse,
    AssociateResourceSharePermissionRequest / AssociateResourceSharePermissionResponse,
    CreatePermissionRequest / CreatePermissionResponse,
    CreatePermissionVersionRequest / CreatePermissionVersionResponse,
    CreateResourceShareRequest / CreateResourceShareResponse,
    DeletePermissionRequest / DeletePermissionResponse,
    DeletePermissionVersionRequest / DeletePermissionVersionResponse,
    DeleteResourceShareRequest / DeleteResourceShareResponse,
    DisassociateResourceShareRequest / DisassociateResourceShareResponse,
    DisassociateResourceSharePermissionRequest / DisassociateResourceSharePermissionResponse,
    PromotePermissionCreatedFromPolicyRequest / PromotePermissionCreatedFromPolicyResponse,
    RejectResourceShareInvitationRequest / RejectResourceShareInvitationResponse,
    ReplacePermissionAssociationsRequest / ReplacePermissionAssociationsResponse,
    SetDefaultPermissionVersionRequest / SetDefaultPermissionVersionResponse,
    UpdatePermissionRequest / UpdatePermissionResponse,
    UpdateResourceShareRequest / UpdateResourceShareResponse,
);

/// Logs the one line every request gets, and turns the result into what
/// tonic sends.
fn finish<T>(
    method: &'static str,
    account: &str,
    started: Instant,
    result: Result<T, Error>,
) -> Result<Response<T>, Status> {
    let latency_us = started.elapsed().as_micros() as u64;
    match result {
        Ok(resp) => {
            tracing::info!(method, account, code = "OK", latency_us, "request");
            Ok(Response::new(resp))
        }
        Err(e) => {
            let status = status::to_status(&e);
            tracing::info!(
                method,
                account,
                code = ?status.code(),
                reason = e.aws_code(),
                latency_us,
                "request"
            );
            Err(status)
        }
    }
}

impl Shared {
    pub fn new(state: State, clock: Clock, auth: Auth) -> Shared {
        Shared {
            state: RwLock::new(state),
            clock,
            auth,
        }
    }

    fn ctx(&self, caller: &Caller) -> Ctx {
        Ctx::new(caller.account.clone(), self.clock.now(), rand::random())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The state for reading at `now`, with every timer due by then applied
    /// first (invitation expiry, purges), so reads never see stale state.
    fn read_at(&self, now: DateTime<Utc>) -> std::sync::RwLockReadGuard<'_, State> {
        {
            let state = self.read();
            if !timers::any_due(&state, now) {
                return state;
            }
        }
        timers::run_due(&mut self.write(), now);
        self.read()
    }

    /// The state for writing at `now`, timers due by then applied.
    fn write_at(&self, now: DateTime<Utc>) -> std::sync::RwLockWriteGuard<'_, State> {
        let mut state = self.write();
        timers::run_due(&mut state, now);
        state
    }

    /// Runs a read-only operation.
    pub async fn query<Req, In, Out, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        op: fn(&State, &Ctx, In) -> Result<Out, Error>,
    ) -> Result<Response<Resp>, Status>
    where
        In: TryFrom<Req, Error = Error>,
        Resp: From<Out>,
    {
        let started = Instant::now();
        let caller = match self.auth.caller(req.metadata()) {
            Ok(c) => c,
            Err(e) => return finish(method, "-", started, Err(e)),
        };
        let result = (|| {
            let input = In::try_from(req.into_inner())?;
            let ctx = self.ctx(&caller);
            let state = self.read_at(ctx.now);
            op(&state, &ctx, input).map(Resp::from)
        })();
        finish(method, &caller.account, started, result)
    }

    /// Runs a mutating operation that takes a `clientToken`: a retry with the
    /// same token and parameters returns the first response, a retry with
    /// other parameters fails with IdempotentParameterMismatchException.
    pub async fn command<Req, In, Out, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        op: fn(&mut State, &Ctx, In) -> Result<Out, Error>,
    ) -> Result<Response<Resp>, Status>
    where
        Req: TokenRequest + Message,
        In: TryFrom<Req, Error = Error>,
        Resp: From<Out> + TokenResponse + Message + Default,
    {
        let started = Instant::now();
        let caller = match self.auth.caller(req.metadata()) {
            Ok(c) => c,
            Err(e) => return finish(method, "-", started, Err(e)),
        };
        let result = (|| {
            let mut req = req.into_inner();
            let token = req.take_client_token();
            if let Some(t) = &token {
                idempotency::validate_token(t)?;
            }
            let fingerprint: [u8; 32] = Sha256::digest(req.encode_to_vec()).into();
            let input = In::try_from(req)?;
            let ctx = self.ctx(&caller);
            let mut state = self.write_at(ctx.now);
            if let Some(t) = &token {
                if let Some(bytes) =
                    state
                        .idempotency
                        .lookup(&caller.account, method, t, &fingerprint, ctx.now)?
                {
                    return Resp::decode(bytes).map_err(|e| {
                        Error::ServerInternal(format!("stored response does not decode: {e}"))
                    });
                }
            }
            let out = op(&mut state, &ctx, input)?;
            let mut resp = Resp::from(out);
            match token {
                Some(t) => {
                    resp.set_client_token(t.clone());
                    let record = Record {
                        fingerprint,
                        response: resp.encode_to_vec(),
                        created: ctx.now,
                    };
                    state
                        .idempotency
                        .record(&caller.account, method, &t, record);
                }
                None => resp.set_client_token(ctx.ids.uuid()),
            }
            Ok(resp)
        })();
        finish(method, &caller.account, started, result)
    }

    /// Runs a mutating operation without a client token.
    pub async fn mutate<Req, In, Out, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        op: fn(&mut State, &Ctx, In) -> Result<Out, Error>,
    ) -> Result<Response<Resp>, Status>
    where
        In: TryFrom<Req, Error = Error>,
        Resp: From<Out>,
    {
        let started = Instant::now();
        let caller = match self.auth.caller(req.metadata()) {
            Ok(c) => c,
            Err(e) => return finish(method, "-", started, Err(e)),
        };
        let result = (|| {
            let input = In::try_from(req.into_inner())?;
            let ctx = self.ctx(&caller);
            let mut state = self.write_at(ctx.now);
            op(&mut state, &ctx, input).map(Resp::from)
        })();
        finish(method, &caller.account, started, result)
    }

    /// Runs an admin RPC: the caller must hold admin rights. `f` gets the
    /// caller too, so it can build a [`Ctx`] with [`Shared::ctx`].
    pub async fn admin<Req, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        f: impl FnOnce(&Shared, &Caller, Req) -> Result<Resp, Error>,
    ) -> Result<Response<Resp>, Status> {
        let started = Instant::now();
        let caller = match self.auth.caller(req.metadata()) {
            Ok(c) => c,
            Err(e) => return finish(method, "-", started, Err(e)),
        };
        let result = if caller.admin {
            f(self, &caller, req.into_inner())
        } else {
            Err(Error::AccessDenied(format!(
                "{method} needs admin rights, which the caller does not have."
            )))
        };
        finish(method, &caller.account, started, result)
    }
}
