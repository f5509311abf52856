//! Resource share invitations: created when a share names an account (or an
//! IAM principal of an account) that does not get access directly; the
//! receiver accepts or rejects them, or they expire (12 hours, or 7 days for
//! the resource types whose policy RAM only represents; a share mixing both
//! gets the shorter window).
//!
//! Operations: GetResourceShareInvitations, AcceptResourceShareInvitation,
//! RejectResourceShareInvitation, ListPendingInvitationResources.
//!
//! Invariants: `by_receiver` indexes every invitation; `pending_by_sender`
//! counts PENDING invitations per sending account; a PENDING invitation has
//! an expiry timer and its principal association is ASSOCIATING.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::core::arn::ResourceShareInvitationArn;
use crate::core::clock::{fresh, Ctx};
use crate::core::page::MaxResultsError;
use crate::core::resource_types::RegionScopeFilter;
use crate::core::resources::{self, ResourceInfo};
use crate::core::shares::{AssociationStatus, ResourceShare};
use crate::core::state::State;
use crate::core::timers::Timer;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};

/// The expiry window when a share holds no resource yet.
pub const DEFAULT_EXPIRY_SECS: i64 = 12 * 3600;

/// `status` of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Rejected,
    Expired,
}

/// An invitation to a resource share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub arn: String,
    pub share_arn: String,
    pub sender: String,
    pub receiver_account: String,
    /// Set when the invited principal is an IAM role or user.
    pub receiver_arn: Option<String>,
    /// The principal id of the share association the invitation is for.
    pub principal_id: String,
    pub status: InvitationStatus,
    #[serde(with = "crate::core::clock::compact_time")]
    pub timestamp: DateTime<Utc>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub expires_at: DateTime<Utc>,
}

/// Every invitation, by ARN, with its indexes.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitations {
    pub by_arn: BTreeMap<String, Invitation>,
    /// (receiver account, invitation ARN).
    pub by_receiver: BTreeSet<(String, String)>,
    pub pending_by_sender: BTreeMap<String, usize>,
}

impl Invitations {
    pub fn pending_of(&self, sender: &str) -> usize {
        self.pending_by_sender.get(sender).copied().unwrap_or(0)
    }

    /// One fewer PENDING invitation from `sender`.
    fn unpend(&mut self, sender: &str) {
        if let Some(n) = self.pending_by_sender.get_mut(sender) {
            *n = n.saturating_sub(1);
        }
    }

    fn set_status(&mut self, arn: &str, status: InvitationStatus) {
        let Some(inv) = self.by_arn.get_mut(arn) else {
            return;
        };
        let was_pending = inv.status == InvitationStatus::Pending;
        inv.status = status;
        if was_pending && status != InvitationStatus::Pending {
            let sender = inv.sender.clone();
            self.unpend(&sender);
        }
    }

    /// Removes an invitation and its index entries.
    fn remove(&mut self, arn: &str) {
        if let Some(inv) = self.by_arn.remove(arn) {
            if inv.status == InvitationStatus::Pending {
                self.unpend(&inv.sender);
            }
            self.by_receiver.remove(&(inv.receiver_account, inv.arn));
        }
    }
}

/// What the API reports about an invitation (`ResourceShareInvitation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationInfo {
    pub arn: String,
    pub share_name: String,
    pub share_arn: String,
    pub sender_account_id: String,
    pub receiver_account_id: String,
    pub receiver_arn: Option<String>,
    pub timestamp: DateTime<Utc>,
    pub status: InvitationStatus,
}

fn info(state: &State, inv: &Invitation) -> InvitationInfo {
    InvitationInfo {
        arn: inv.arn.clone(),
        share_name: state
            .shares
            .get(inv.share_arn.as_str())
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        share_arn: inv.share_arn.clone(),
        sender_account_id: inv.sender.clone(),
        receiver_account_id: inv.receiver_account.clone(),
        receiver_arn: inv.receiver_arn.clone(),
        timestamp: inv.timestamp,
        status: inv.status,
    }
}

/// How long an invitation to `share` stays open: the shortest window of the
/// share's resource types.
pub fn expiry_secs(share: &ResourceShare) -> i64 {
    let catalog = crate::core::catalog::Catalog::get();
    share
        .resource_types()
        .into_iter()
        .filter_map(|t| catalog.resource_type(t))
        .map(|t| t.invitation_expiry_secs)
        .min()
        .unwrap_or(DEFAULT_EXPIRY_SECS)
}

/// Creates a PENDING invitation for one principal of `share` and schedules
/// its expiry. Returns the invitation ARN.
pub fn create(
    state: &mut State,
    ctx: &Ctx,
    share: &ResourceShare,
    principal_id: &str,
    receiver_account: &str,
    receiver_arn: Option<String>,
) -> String {
    let (partition, region) = (&state.config.partition, &state.config.region);
    let arn = fresh(
        || {
            ResourceShareInvitationArn::new(partition, region, &share.owner, &ctx.ids.uuid())
                .to_string()
        },
        |arn| state.invitations.by_arn.contains_key(arn),
    );
    let expires_at = ctx.now + Duration::seconds(expiry_secs(share));
    state.invitations.by_arn.insert(
        arn.clone(),
        Invitation {
            arn: arn.clone(),
            share_arn: share.arn.to_string(),
            sender: share.owner.clone(),
            receiver_account: receiver_account.to_string(),
            receiver_arn,
            principal_id: principal_id.to_string(),
            status: InvitationStatus::Pending,
            timestamp: ctx.now,
            expires_at,
        },
    );
    state
        .invitations
        .by_receiver
        .insert((receiver_account.to_string(), arn.clone()));
    *state
        .invitations
        .pending_by_sender
        .entry(share.owner.clone())
        .or_default() += 1;
    state
        .timers
        .schedule(expires_at, Timer::ExpireInvitation(arn.clone()));
    arn
}

/// Removes an invitation whose principal association ended before it was
/// answered (the owner removed the principal or deleted the share).
pub fn withdraw(state: &mut State, arn: &str) {
    state.invitations.remove(arn);
}

/// The expiry timer: a still PENDING invitation becomes EXPIRED and its
/// principal association ends.
pub fn expire(state: &mut State, arn: &str, at: DateTime<Utc>) {
    let Some(inv) = state.invitations.by_arn.get(arn) else {
        return;
    };
    if inv.status != InvitationStatus::Pending {
        return;
    }
    let (share_arn, principal_id) = (inv.share_arn.clone(), inv.principal_id.clone());
    state.invitations.set_status(arn, InvitationStatus::Expired);
    end_principal(
        state,
        &share_arn,
        &principal_id,
        "The invitation to the resource share expired.",
        at,
    );
}

/// Ends the principal association an invitation was for.
fn end_principal(
    state: &mut State,
    share_arn: &str,
    principal_id: &str,
    why: &str,
    now: DateTime<Utc>,
) {
    let Some(share) = state.shares.get_mut(share_arn).map(Arc::make_mut) else {
        return;
    };
    let owner = share.owner.clone();
    if let Some(pa) = share.principals.get_mut(principal_id) {
        if pa.assoc.status.is_live() {
            pa.assoc
                .set(AssociationStatus::Disassociated, Some(why.to_string()), now);
            pa.invitation = None;
            state
                .index
                .unindex_principal(&owner, share_arn, principal_id);
        }
    }
}

fn not_found(arn: &str) -> Error {
    Error::ResourceShareInvitationArnNotFound(format!(
        "The resource share invitation {arn} could not be found."
    ))
}

/// Finds an invitation received by the caller.
fn resolve_received<'a>(state: &'a State, ctx: &Ctx, arn: &str) -> Result<&'a Invitation> {
    if arn.is_empty() {
        return Err(Error::missing("resourceShareInvitationArn"));
    }
    ResourceShareInvitationArn::parse(arn)?;
    match state.invitations.by_arn.get(arn) {
        Some(inv) if inv.receiver_account == ctx.account => Ok(inv),
        _ => Err(not_found(arn)),
    }
}

/// Refuses an invitation that is no longer PENDING (or whose window is over).
fn check_pending(inv: &Invitation, now: DateTime<Utc>) -> Result<()> {
    match inv.status {
        InvitationStatus::Accepted => Err(Error::ResourceShareInvitationAlreadyAccepted(format!(
            "The resource share invitation {} was already accepted.",
            inv.arn
        ))),
        InvitationStatus::Rejected => Err(Error::ResourceShareInvitationAlreadyRejected(format!(
            "The resource share invitation {} was already rejected.",
            inv.arn
        ))),
        InvitationStatus::Expired => Err(expired(inv)),
        InvitationStatus::Pending if now >= inv.expires_at => Err(expired(inv)),
        InvitationStatus::Pending => Ok(()),
    }
}

fn expired(inv: &Invitation) -> Error {
    Error::ResourceShareInvitationExpired(format!(
        "The resource share invitation {} expired; ask the owner to share again.",
        inv.arn
    ))
}

/// Input of GetResourceShareInvitations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetResourceShareInvitationsInput {
    pub invitation_arns: Vec<String>,
    pub share_arns: Vec<String>,
    pub page: PageInput,
}

/// GetResourceShareInvitations: the invitations the caller received, in ARN
/// order, optionally only the named ones or those of the named shares.
pub fn get_resource_share_invitations(
    state: &State,
    ctx: &Ctx,
    input: GetResourceShareInvitationsInput,
) -> Result<Page<InvitationInfo>> {
    for arn in &input.invitation_arns {
        resolve_received(state, ctx, arn)?;
    }
    for arn in &input.share_arns {
        crate::core::arn::ResourceShareArn::parse(arn)?;
    }
    let query = format!("{:?}|{:?}", input.invitation_arns, input.share_arns);
    let pager = input.page.start_with(
        state,
        ctx,
        "GetResourceShareInvitations",
        &query,
        MaxResultsError::InvalidMaxResults,
    )?;
    let after = pager.after().map(str::to_string);
    let start = (ctx.account.clone(), after.clone().unwrap_or_default());
    let items = state
        .invitations
        .by_receiver
        .range(start..)
        .take_while(|(r, _)| *r == ctx.account)
        .filter(|(_, a)| after.as_deref().is_none_or(|x| a.as_str() > x))
        .filter_map(|(_, a)| state.invitations.by_arn.get(a))
        .filter(|inv| input.invitation_arns.is_empty() || input.invitation_arns.contains(&inv.arn))
        .filter(|inv| input.share_arns.is_empty() || input.share_arns.contains(&inv.share_arn))
        .map(|inv| (inv.arn.clone(), info(state, inv)));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}

/// Input of Accept/RejectResourceShareInvitation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvitationInput {
    pub invitation_arn: String,
}

/// AcceptResourceShareInvitation: the receiver joins the share.
pub fn accept_resource_share_invitation(
    state: &mut State,
    ctx: &Ctx,
    input: InvitationInput,
) -> Result<InvitationInfo> {
    let inv = resolve_received(state, ctx, &input.invitation_arn)?;
    check_pending(inv, ctx.now)?;
    let share_live = state
        .shares
        .get(inv.share_arn.as_str())
        .is_some_and(|s| s.is_live());
    if !share_live {
        return Err(Error::OperationNotPermitted(format!(
            "The resource share {} no longer exists.",
            inv.share_arn
        )));
    }
    let (arn, share_arn, principal_id) = (
        inv.arn.clone(),
        inv.share_arn.clone(),
        inv.principal_id.clone(),
    );
    state
        .invitations
        .set_status(&arn, InvitationStatus::Accepted);
    if let Some(pa) = state
        .shares
        .get_mut(share_arn.as_str())
        .map(Arc::make_mut)
        .and_then(|s| s.principals.get_mut(principal_id.as_str()))
    {
        pa.assoc.set(AssociationStatus::Associated, None, ctx.now);
        pa.invitation = None;
        state.index.principal_associated(&share_arn, &principal_id);
    }
    Ok(info(state, &state.invitations.by_arn[&arn]))
}

/// RejectResourceShareInvitation: the receiver declines; the principal
/// association ends and nothing becomes visible to the receiver.
pub fn reject_resource_share_invitation(
    state: &mut State,
    ctx: &Ctx,
    input: InvitationInput,
) -> Result<InvitationInfo> {
    let inv = resolve_received(state, ctx, &input.invitation_arn)?;
    check_pending(inv, ctx.now)?;
    let (arn, share_arn, principal_id) = (
        inv.arn.clone(),
        inv.share_arn.clone(),
        inv.principal_id.clone(),
    );
    state
        .invitations
        .set_status(&arn, InvitationStatus::Rejected);
    end_principal(
        state,
        &share_arn,
        &principal_id,
        "The invitation to the resource share was rejected.",
        ctx.now,
    );
    Ok(info(state, &state.invitations.by_arn[&arn]))
}

/// Input of ListPendingInvitationResources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPendingInvitationResourcesInput {
    pub invitation_arn: String,
    pub scope: RegionScopeFilter,
    pub page: PageInput,
}

/// ListPendingInvitationResources: the receiver previews the resources of a
/// share it is invited to.
pub fn list_pending_invitation_resources(
    state: &State,
    ctx: &Ctx,
    input: ListPendingInvitationResourcesInput,
) -> Result<Page<ResourceInfo>> {
    let inv = resolve_received(state, ctx, &input.invitation_arn)?;
    if inv.status != InvitationStatus::Accepted {
        check_pending(inv, ctx.now)?;
    }
    let query = format!("{}|{:?}", inv.arn, input.scope);
    let pager = input
        .page
        .start(state, ctx, "ListPendingInvitationResources", &query)?;
    let Some(share) = state
        .shares
        .get(inv.share_arn.as_str())
        .filter(|s| s.is_live())
    else {
        return Ok(Page {
            items: Vec::new(),
            next_token: None,
        });
    };
    let after = pager.after().map(str::to_string);
    let rows = resources::resource_rows(share, after.as_deref(), input.scope, None, &[]);
    let (rows, next_token) = pager.finish_keyed(rows, |r| r.arn.to_string());
    let items = rows.iter().map(resources::ResourceRow::info).collect();
    Ok(Page { items, next_token })
}
