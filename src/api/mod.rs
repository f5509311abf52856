//! The gRPC adapters: the only code (with `server.rs`) that knows tonic.
//!
//! Every RPC goes through one of the helpers on [`Shared`], which do once
//! what each operation needs: identify the caller, admit the request
//! (concurrency and size limits, `limits.rs`), convert it, run the core
//! operation under the state lock, apply client-token idempotency, journal
//! the mutation and wait until it is durable, convert the response, map
//! errors, log one line and count it in the metrics.
//!
//! * [`Shared::query`]: read lock, no side effects.
//! * [`Shared::command`]: write lock, with `clientToken` idempotency.
//! * [`Shared::mutate`]: write lock, for the writes without a token.
//! * [`Shared::admin_query`] / [`Shared::admin_mutate`]: the admin service.
//!
//! A mutation is journaled as a [`Record`] (method, caller, time, id seed,
//! token and the encoded request) while the write lock is held, so journal
//! order is apply order; [`replay`] applies records again through the same
//! `execute_*` functions on restart.

pub mod admin;
pub mod auth;
pub mod from_proto;
pub mod limits;
pub mod ram;
pub mod replay;
pub mod status;
pub mod to_proto;
pub mod tokens;

use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use prost::{Message, Name};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use crate::core::clock::{Clock, Ctx};
use crate::core::idempotency::{self, Record as TokenRecord};
use crate::core::state::State;
use crate::core::timers;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::store::journal::Journal;
use crate::store::{Entry, Record};

pub use auth::{Auth, Caller};
pub use limits::Admission;

/// What every service instance shares: the state, the clock, the journal and
/// how callers are identified.
#[derive(Debug)]
pub struct Shared {
    /// The whole state behind one lock. A std lock: operations are short and
    /// synchronous, and it is never held across an `.await`. Shared with the
    /// journal's committer, which snapshots it.
    pub state: Arc<RwLock<State>>,
    pub clock: Clock,
    pub auth: Auth,
    /// Where mutations are made durable; `None` with `--ephemeral`.
    pub journal: Option<Journal>,
    /// Request counts and latencies; the storage layer feeds its figures too.
    pub metrics: Arc<Metrics>,
    /// The concurrency limit every request passes.
    pub admission: Admission,
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

/// A core operation that reads.
pub type QueryOp<In, Out> = fn(&State, &Ctx, In) -> Result<Out, Error>;
/// A core operation that writes.
pub type MutateOp<In, Out> = fn(&mut State, &Ctx, In) -> Result<Out, Error>;

/// The fingerprint of an encoded request (client token removed).
pub fn fingerprint(request: &[u8]) -> [u8; 32] {
    Sha256::digest(request).into()
}

/// Runs a command with a client token against the state: a retry with the
/// same token and fingerprint gets the first response; otherwise the core
/// operation runs and, with a token, its response is remembered. Returns the
/// response and whether the state changed.
pub fn execute_command<Req, In, Out, Resp>(
    state: &mut State,
    ctx: &Ctx,
    method: &str,
    token: Option<&str>,
    req: Req,
    fingerprint: [u8; 32],
    op: MutateOp<In, Out>,
) -> Result<(Resp, bool), Error>
where
    In: TryFrom<Req, Error = Error>,
    Resp: From<Out> + TokenResponse + Message + Default,
{
    if let Some(t) = token {
        if let Some(bytes) =
            state
                .idempotency
                .lookup(&ctx.account, method, t, &fingerprint, ctx.now)?
        {
            let resp = Resp::decode(bytes).map_err(|e| {
                Error::ServerInternal(format!("stored response does not decode: {e}"))
            })?;
            return Ok((resp, false));
        }
    }
    let input = In::try_from(req)?;
    let out = op(state, ctx, input)?;
    let mut resp = Resp::from(out);
    match token {
        Some(t) => {
            resp.set_client_token(t.to_string());
            let record = TokenRecord {
                fingerprint,
                response: resp.encode_to_vec(),
                created: ctx.now,
            };
            state.idempotency.record(&ctx.account, method, t, record);
            state.timers.schedule(
                ctx.now + chrono::Duration::hours(idempotency::RETENTION_HOURS),
                timers::Timer::ForgetToken(ctx.account.clone(), method.to_string(), t.to_string()),
            );
        }
        None => resp.set_client_token(ctx.ids.uuid()),
    }
    Ok((resp, true))
}

/// Runs a mutation without a client token against the state.
pub fn execute_mutation<Req, In, Out, Resp>(
    state: &mut State,
    ctx: &Ctx,
    req: Req,
    op: MutateOp<In, Out>,
) -> Result<Resp, Error>
where
    In: TryFrom<Req, Error = Error>,
    Resp: From<Out>,
{
    let input = In::try_from(req)?;
    op(state, ctx, input).map(Resp::from)
}

/// Logs the one line every request gets, counts it in the metrics, and
/// turns the result into what tonic sends.
fn finish<T>(
    metrics: &Metrics,
    method: &'static str,
    account: &str,
    started: Instant,
    result: Result<T, Error>,
) -> Result<Response<T>, Status> {
    let elapsed = started.elapsed();
    let latency_us = elapsed.as_micros() as u64;
    match result {
        Ok(resp) => {
            metrics.observe_request(method, "OK", elapsed.as_secs_f64());
            tracing::info!(method, account, code = "OK", latency_us, "request");
            Ok(Response::new(resp))
        }
        Err(e) => {
            let status = status::to_status(&e);
            let code = status::code_name(status.code());
            metrics.observe_request(method, code, elapsed.as_secs_f64());
            tracing::info!(
                method,
                account,
                code,
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
            state: Arc::new(RwLock::new(state)),
            clock,
            auth,
            journal: None,
            metrics: Arc::new(Metrics::new()),
            admission: Admission::default(),
        }
    }

    /// Serves at most `max` requests at once, shedding the rest.
    pub fn with_max_concurrent_requests(mut self, max: usize) -> Shared {
        self.admission = Admission::new(max);
        self
    }

    /// The context of a read by `caller`, which takes its account over.
    fn ctx(&self, caller: Caller) -> Ctx {
        Ctx::new(caller.account, self.clock.now(), rand::random())
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

    /// The state for writing at `now`, timers due by then applied. Refuses
    /// when the journal can no longer make writes durable.
    fn write_at(
        &self,
        now: DateTime<Utc>,
    ) -> Result<std::sync::RwLockWriteGuard<'_, State>, Error> {
        if let Some(failure) = self.journal.as_ref().and_then(Journal::failure) {
            return Err(Error::ServiceUnavailable(format!(
                "The service can't store changes right now ({failure}); try again later."
            )));
        }
        let mut state = self.write();
        timers::run_due(&mut state, now);
        Ok(state)
    }

    /// Journals a mutation (while the write lock is held) and returns its
    /// sequence number; `None` without a journal.
    fn journal(
        &self,
        state: &mut State,
        method: &str,
        ctx: &Ctx,
        token: Option<String>,
        request: Vec<u8>,
        seed: u64,
    ) -> Option<u64> {
        state.applied_seq += 1;
        let journal = self.journal.as_ref()?;
        let record = Record {
            method: method.to_string(),
            account: ctx.account.clone(),
            now_millis: ctx.now.timestamp_millis(),
            seed,
            token,
            request,
        };
        journal.submit(Entry {
            seq: state.applied_seq,
            payload: record.encode(),
        });
        Some(state.applied_seq)
    }

    /// Waits until a journaled mutation is durable.
    async fn durable(&self, seq: Option<u64>) -> Result<(), Error> {
        match (seq, &self.journal) {
            (Some(seq), Some(j)) => j.wait_durable(seq).await.map_err(|failure| {
                Error::ServiceUnavailable(format!(
                    "The change could not be stored ({failure}); it may not have been applied. Try again later."
                ))
            }),
            _ => Ok(()),
        }
    }

    /// Runs a read-only operation.
    pub async fn query<Req, In, Out, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        op: QueryOp<In, Out>,
    ) -> Result<Response<Resp>, Status>
    where
        Req: Message + Name,
        In: TryFrom<Req, Error = Error>,
        Resp: From<Out>,
    {
        let started = Instant::now();
        let (caller, _permit) = match self.enter(method, &req, false) {
            Ok(entered) => entered,
            Err((account, e)) => return finish(&self.metrics, method, &account, started, Err(e)),
        };
        let ctx = self.ctx(caller);
        let result = (|| {
            let input = In::try_from(req.into_inner())?;
            let state = self.read_at(ctx.now);
            op(&state, &ctx, input).map(Resp::from)
        })();
        finish(&self.metrics, method, &ctx.account, started, result)
    }

    /// Runs a mutating operation that takes a `clientToken`: a retry with the
    /// same token and parameters returns the first response, a retry with
    /// other parameters fails with IdempotentParameterMismatchException.
    pub async fn command<Req, In, Out, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        op: MutateOp<In, Out>,
    ) -> Result<Response<Resp>, Status>
    where
        Req: TokenRequest + Message + Name,
        In: TryFrom<Req, Error = Error>,
        Resp: From<Out> + TokenResponse + Message + Default,
    {
        let started = Instant::now();
        let (caller, _permit) = match self.enter(method, &req, false) {
            Ok(entered) => entered,
            Err((account, e)) => return finish(&self.metrics, method, &account, started, Err(e)),
        };
        let applied = (|| {
            let mut req = req.into_inner();
            let token = req.take_client_token();
            if let Some(t) = &token {
                idempotency::validate_token(t)?;
            }
            let bytes = req.encode_to_vec();
            let seed = rand::random();
            let ctx = Ctx::new(caller.account.clone(), self.clock.now(), seed);
            let mut state = self.write_at(ctx.now)?;
            let (resp, mutated) = execute_command(
                &mut state,
                &ctx,
                method,
                token.as_deref(),
                req,
                fingerprint(&bytes),
                op,
            )?;
            let seq = if mutated {
                self.journal(&mut state, method, &ctx, token, bytes, seed)
            } else {
                None
            };
            Ok((resp, seq))
        })();
        let result = match applied {
            Ok((resp, seq)) => self.durable(seq).await.map(|_| resp),
            Err(e) => Err(e),
        };
        finish(&self.metrics, method, &caller.account, started, result)
    }

    /// Runs a mutating operation without a client token.
    pub async fn mutate<Req, In, Out, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        op: MutateOp<In, Out>,
    ) -> Result<Response<Resp>, Status>
    where
        Req: Message + Name,
        In: TryFrom<Req, Error = Error>,
        Resp: From<Out>,
    {
        let started = Instant::now();
        let (caller, _permit) = match self.enter(method, &req, false) {
            Ok(entered) => entered,
            Err((account, e)) => return finish(&self.metrics, method, &account, started, Err(e)),
        };
        let applied = self.apply(&caller, method, req.into_inner(), |state, ctx, req| {
            execute_mutation(state, ctx, req, op)
        });
        let result = match applied {
            Ok((resp, seq)) => self.durable(seq).await.map(|_| resp),
            Err(e) => Err(e),
        };
        finish(&self.metrics, method, &caller.account, started, result)
    }

    /// Applies and journals a mutation without a client token.
    fn apply<Req: Message, Resp>(
        &self,
        caller: &Caller,
        method: &str,
        req: Req,
        run: impl FnOnce(&mut State, &Ctx, Req) -> Result<Resp, Error>,
    ) -> Result<(Resp, Option<u64>), Error> {
        let bytes = req.encode_to_vec();
        let seed = rand::random();
        let ctx = Ctx::new(caller.account.clone(), self.clock.now(), seed);
        let mut state = self.write_at(ctx.now)?;
        let resp = run(&mut state, &ctx, req)?;
        let seq = self.journal(&mut state, method, &ctx, None, bytes, seed);
        Ok((resp, seq))
    }

    /// What every request does first: identify the caller (who must hold
    /// admin rights for the admin service) and admit the request
    /// (concurrency slot, size limits). On refusal, the account to log (`-`
    /// when unknown) and the error.
    fn enter<Req: Message + Name>(
        &self,
        method: &str,
        req: &Request<Req>,
        admin: bool,
    ) -> Result<(Caller, tokio::sync::SemaphorePermit<'_>), (String, Error)> {
        let caller = self.auth.caller(req).map_err(|e| ("-".to_string(), e))?;
        if admin && !caller.admin {
            return Err((
                caller.account,
                Error::AccessDenied(format!(
                    "{method} needs admin rights, which the caller does not have."
                )),
            ));
        }
        match self.admit(req.get_ref()) {
            Ok(permit) => Ok((caller, permit)),
            Err(e) => Err((caller.account, e)),
        }
    }

    /// Runs a read-only admin RPC.
    pub async fn admin_query<Req: Message + Name, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        op: QueryOp<Req, Resp>,
    ) -> Result<Response<Resp>, Status> {
        let started = Instant::now();
        let (caller, _permit) = match self.enter(method, &req, true) {
            Ok(entered) => entered,
            Err((account, e)) => return finish(&self.metrics, method, &account, started, Err(e)),
        };
        let ctx = self.ctx(caller);
        let result = op(&self.read_at(ctx.now), &ctx, req.into_inner());
        finish(&self.metrics, method, &ctx.account, started, result)
    }

    /// Runs a mutating admin RPC (journaled like every mutation).
    pub async fn admin_mutate<Req: Message + Name, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        op: MutateOp<Req, Resp>,
    ) -> Result<Response<Resp>, Status> {
        let started = Instant::now();
        let (caller, _permit) = match self.enter(method, &req, true) {
            Ok(entered) => entered,
            Err((account, e)) => return finish(&self.metrics, method, &account, started, Err(e)),
        };
        let applied = self.apply(&caller, method, req.into_inner(), op);
        let result = match applied {
            Ok((resp, seq)) => self.durable(seq).await.map(|_| resp),
            Err(e) => Err(e),
        };
        finish(&self.metrics, method, &caller.account, started, result)
    }

    /// Runs an admin RPC that acts on the server rather than the state.
    pub async fn admin_control<Req: Message + Name, Resp>(
        &self,
        method: &'static str,
        req: Request<Req>,
        f: impl FnOnce(&Shared, Req) -> Result<Resp, Error>,
    ) -> Result<Response<Resp>, Status> {
        let started = Instant::now();
        let (caller, _permit) = match self.enter(method, &req, true) {
            Ok(entered) => entered,
            Err((account, e)) => return finish(&self.metrics, method, &account, started, Err(e)),
        };
        let result = f(self, req.into_inner());
        finish(&self.metrics, method, &caller.account, started, result)
    }
}
