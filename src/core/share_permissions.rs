//! The permissions attached to resource shares: ListResourceSharePermissions,
//! AssociateResourceSharePermission, DisassociateResourceSharePermission,
//! ListPermissionAssociations, ReplacePermissionAssociations and
//! ListReplacePermissionAssociationsWork.
//!
//! A share has one permission per resource type; only a permission's default
//! version is newly attached; shares keep their version when a new default
//! appears, until replaced.

use crate::core::catalog::Catalog;
use crate::core::clock::{fresh, Ctx};
use crate::core::page::join_key;
use crate::core::permissions::{
    self, FeatureSet, PermissionInfo, PermissionRef, PermissionStatus, ResourceOwner,
};
use crate::core::read_ahead::Batches;
use crate::core::resources;
use crate::core::shares::{self, AssociationStatus, AttachedPermission, ParameterValues};
use crate::core::state::State;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The status string ListResourceSharePermissions reports for an attached
/// permission.
pub const ATTACHED: &str = "ASSOCIATED";

/// A permission as attached to a share: its version's report, with
/// `default_version` telling whether the attached version is the current
/// default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharePermissionInfo {
    pub permission: PermissionInfo,
    pub parameter_values: Vec<(String, Vec<String>)>,
}

/// Looks up an attached permission's definition, including customer managed
/// permissions of the share's owner (which the caller may not own).
pub fn definition<'a>(
    state: &'a State,
    attached: &AttachedPermission,
) -> Option<PermissionRef<'a>> {
    if let Some(p) = state.permissions.get(&attached.arn) {
        return Some(PermissionRef::Customer(p));
    }
    Catalog::get()
        .managed_permission_by_arn(&attached.arn)
        .map(|(rt, mp)| PermissionRef::Aws {
            arn_partition: &state.config.partition,
            rt,
            mp,
        })
}

/// The report of an attached permission as seen by `caller`.
pub fn attached_info(
    state: &State,
    attached: &AttachedPermission,
    caller: &str,
) -> Option<PermissionInfo> {
    let p = definition(state, attached)?;
    if !p.has_version(attached.version) {
        return None;
    }
    let mut info = p.info(attached.version, caller);
    if let (PermissionRef::Customer(c), Some(owner)) = (&p, info.resource_owner.as_mut()) {
        *owner = if c.owner == caller {
            ResourceOwner::SelfAccount
        } else {
            ResourceOwner::OtherAccounts
        };
    }
    Some(info)
}

/// Input of ListResourceSharePermissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListResourceSharePermissionsInput {
    pub resource_share_arn: String,
    pub page: PageInput,
}

/// ListResourceSharePermissions: the permissions attached to a share the
/// caller owns or that is shared with it.
pub fn list_resource_share_permissions(
    state: &State,
    ctx: &Ctx,
    input: ListResourceSharePermissionsInput,
) -> Result<Page<SharePermissionInfo>> {
    let share = shares::resolve_visible(state, ctx, &input.resource_share_arn)?;
    let pager = input
        .page
        .start(state, ctx, "ListResourceSharePermissions", &share.arn)?;
    let after = pager.after().map(str::to_string);
    let mut rows = Vec::new();
    for a in share.permissions.values() {
        let info = attached_info(state, a, &ctx.account).ok_or_else(|| {
            Error::ServerInternal(format!("attached permission {} has no definition", a.arn))
        })?;
        rows.push((
            a.arn.clone(),
            SharePermissionInfo {
                permission: info,
                parameter_values: a.parameter_values.clone(),
            },
        ));
    }
    rows.sort_by(|x, y| x.0.cmp(&y.0));
    let items = rows
        .into_iter()
        .filter(|(k, _)| after.as_deref().is_none_or(|a| k.as_str() > a));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}

/// Input of AssociateResourceSharePermission.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssociateResourceSharePermissionInput {
    pub resource_share_arn: String,
    pub permission_arn: String,
    pub replace: Option<bool>,
    pub permission_version: Option<i32>,
    pub parameter_values: ParameterValues,
}

/// AssociateResourceSharePermission: attaches a permission's default version
/// to a share for its resource type; with `replace` it swaps the type's
/// current permission (or upgrades it to the default version).
pub fn associate_resource_share_permission(
    state: &mut State,
    ctx: &Ctx,
    input: AssociateResourceSharePermissionInput,
) -> Result<bool> {
    let share = shares::resolve_for_change(state, ctx, &input.resource_share_arn)?;
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    let p = permissions::resolve(state, ctx, &input.permission_arn)?;
    if let Some(v) = input.permission_version {
        if u32::try_from(v).ok() != Some(p.default_version()) {
            return Err(Error::InvalidParameter(format!(
                "Only the default version ({}) of {} can be attached; version {v} was given.",
                p.default_version(),
                input.permission_arn
            )));
        }
    }
    let attached = shares::attachable(&p, &input.parameter_values, ctx)?;
    let rt = p.resource_type().to_string();
    let replace = input.replace.unwrap_or(false);
    match share.permissions.get(&rt) {
        Some(current) if !replace => {
            return Err(Error::InvalidParameter(format!(
                "The resource share already has the permission {} for {rt}. Set replace to true to replace it.",
                current.arn
            )))
        }
        None if share.resource_types().contains(rt.as_str()) => {
            return Err(Error::OperationNotPermitted(format!(
                "The resource share holds {rt} resources, so a permission for {rt} can only be replaced."
            )))
        }
        _ => {}
    }
    let share_arn = share.arn.clone();
    attach(state, &share_arn, rt, attached, ctx.now);
    Ok(true)
}

/// Puts `attached` on the share for `rt`, replacing what was there, and
/// keeps the permission index in step.
pub fn attach(
    state: &mut State,
    share_arn: &str,
    rt: String,
    mut attached: AttachedPermission,
    now: chrono::DateTime<chrono::Utc>,
) {
    attached.link(&state.permissions);
    let share = state
        .shares
        .get_mut(share_arn)
        .map(Arc::make_mut)
        .expect("share exists");
    if let Some(old) = share.permissions.get(&rt) {
        attached.creation_time = old.creation_time;
        state.index.unindex_permission(share_arn, old);
    }
    attached.last_updated_time = now;
    let key = share.arn.clone();
    state.index.index_permission(&key, &attached);
    share.permissions.insert(rt, attached);
    share.last_updated_time = now;
}

/// Input of DisassociateResourceSharePermission.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisassociateResourceSharePermissionInput {
    pub resource_share_arn: String,
    pub permission_arn: String,
}

/// DisassociateResourceSharePermission: removes a permission from a share
/// that holds no resources of its type.
pub fn disassociate_resource_share_permission(
    state: &mut State,
    ctx: &Ctx,
    input: DisassociateResourceSharePermissionInput,
) -> Result<bool> {
    let share = shares::resolve_for_change(state, ctx, &input.resource_share_arn)?;
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    crate::core::arn::PermissionArn::parse(&input.permission_arn)?;
    let Some((rt, _)) = share
        .permissions
        .iter()
        .find(|(_, a)| a.arn == input.permission_arn)
    else {
        return Err(Error::InvalidParameter(format!(
            "The permission {} is not attached to the resource share {}.",
            input.permission_arn, share.arn
        )));
    };
    if share.resource_types().contains(rt.as_str()) {
        return Err(Error::OperationNotPermitted(format!(
            "The resource share still holds {rt} resources; remove them before you remove their permission."
        )));
    }
    let (rt, share_arn) = (rt.clone(), share.arn.clone());
    let share = state
        .shares
        .get_mut(&share_arn)
        .map(Arc::make_mut)
        .expect("share exists");
    if let Some(old) = share.permissions.remove(&rt) {
        share.last_updated_time = ctx.now;
        state.index.unindex_permission(&share_arn, &old);
    }
    Ok(true)
}

/// What the API reports about a permission attached to a share
/// (`AssociatedPermission`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociatedPermissionInfo {
    pub arn: String,
    pub version: u32,
    pub default_version: bool,
    pub resource_type: String,
    pub status: PermissionStatus,
    /// The share's feature set.
    pub feature_set: FeatureSet,
    pub last_updated_time: chrono::DateTime<chrono::Utc>,
    pub share_arn: String,
    pub parameters: Vec<crate::core::policy::TemplateParameterDecl>,
    pub parameter_values: ParameterValues,
    /// ASSOCIATED while the share is live, DISASSOCIATED once deleted.
    pub association_status: AssociationStatus,
}

/// Input of ListPermissionAssociations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPermissionAssociationsInput {
    pub permission_arn: Option<String>,
    pub permission_version: Option<i32>,
    pub association_status: Option<AssociationStatus>,
    pub resource_type: Option<String>,
    pub feature_set: Option<FeatureSet>,
    pub default_version: Option<bool>,
    pub resource_owner: Option<ResourceOwner>,
    pub resource_share_arn: Option<String>,
    pub page: PageInput,
}

/// ListPermissionAssociations: which of the caller's shares (or those shared
/// with it) use which permission versions.
pub fn list_permission_associations(
    state: &State,
    ctx: &Ctx,
    input: ListPermissionAssociationsInput,
) -> Result<Page<AssociatedPermissionInfo>> {
    if let Some(p) = &input.permission_arn {
        crate::core::arn::PermissionArn::parse(p)?;
    }
    if let Some(s) = &input.resource_share_arn {
        crate::core::arn::ResourceShareArn::parse(s)?;
    }
    let resource_type = match input.resource_type.as_deref() {
        None => None,
        Some(t) => Some(permissions::lookup_resource_type(t)?.resource_type.as_str()),
    };
    let version = input
        .permission_version
        .map(|v| {
            u32::try_from(v).ok().filter(|v| *v >= 1).ok_or_else(|| {
                Error::InvalidParameter(format!("The permission version {v} is not valid."))
            })
        })
        .transpose()?;
    let owner = input.resource_owner.unwrap_or(ResourceOwner::SelfAccount);
    let query = format!(
        "{:?}|{version:?}|{:?}|{resource_type:?}|{:?}|{:?}|{owner:?}|{:?}",
        input.permission_arn,
        input.association_status,
        input.feature_set,
        input.default_version,
        input.resource_share_arn
    );
    let pager = input
        .page
        .start(state, ctx, "ListPermissionAssociations", &query)?;
    let cursor = pager.after().map(str::to_string);
    let (after_share, _) = resources::split_cursor(cursor.as_deref());
    // A page reads its rows and the next one; a share holds one permission
    // or more.
    let sizes = Batches::first(pager.limit() + 1);
    let shares = resources::shares_from(state, ctx, owner, after_share, false, sizes)
        .filter(|s| {
            input
                .resource_share_arn
                .as_deref()
                .is_none_or(|a| &*s.arn == a)
        })
        .filter(|s| input.feature_set.is_none_or(|f| s.feature_set == f));
    let items = resources::rows_after(shares, cursor.as_deref(), |s, after| {
        let mut rows: Vec<AssociatedPermissionInfo> = s
            .permissions
            .values()
            .filter(|a| after.is_none_or(|x| a.arn.as_str() > x))
            .filter_map(|a| {
                let p = definition(state, a)?;
                let (_, decls) = p.template(a.version)?;
                Some(AssociatedPermissionInfo {
                    arn: a.arn.clone(),
                    version: a.version,
                    default_version: a.version == p.default_version(),
                    resource_type: p.resource_type().to_string(),
                    status: p.info(a.version, &ctx.account).status,
                    feature_set: s.feature_set,
                    last_updated_time: a.last_updated_time,
                    share_arn: s.arn.to_string(),
                    parameters: decls.to_vec(),
                    parameter_values: a.parameter_values.clone(),
                    association_status: if s.is_live() {
                        AssociationStatus::Associated
                    } else {
                        AssociationStatus::Disassociated
                    },
                })
            })
            .collect();
        rows.sort_by(|x, y| x.arn.cmp(&y.arn));
        rows.into_iter()
    })
    .filter(|r| input.permission_arn.as_deref().is_none_or(|p| r.arn == p))
    .filter(|r| version.is_none_or(|v| r.version == v))
    .filter(|r| resource_type.is_none_or(|t| r.resource_type == t))
    .filter(|r| {
        input
            .association_status
            .is_none_or(|st| r.association_status == st)
    })
    .filter(|r| input.default_version != Some(true) || r.default_version)
    .map(|r| (join_key(&[&r.share_arn, &r.arn]), r));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}

/// `status` of a ReplacePermissionAssociations work item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkStatus {
    InProgress,
    Completed,
    Failed,
}

/// A ReplacePermissionAssociations work item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaceWork {
    pub id: String,
    pub owner: String,
    pub from_arn: String,
    pub from_version: Option<u32>,
    pub to_arn: String,
    pub to_version: u32,
    pub parameter_values: ParameterValues,
    pub parameters: Vec<crate::core::policy::TemplateParameterDecl>,
    pub status: WorkStatus,
    pub status_message: Option<String>,
    pub creation_time: chrono::DateTime<chrono::Utc>,
    pub last_updated_time: chrono::DateTime<chrono::Utc>,
}

/// Input of ReplacePermissionAssociations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplacePermissionAssociationsInput {
    pub from_permission_arn: String,
    pub from_permission_version: Option<i32>,
    pub to_permission_arn: String,
    pub parameter_values: ParameterValues,
}

/// ReplacePermissionAssociations: starts moving every STANDARD share of the
/// caller that uses `from` (optionally one version) to the default version
/// of `to`. The work runs asynchronously: it is IN_PROGRESS in the answer
/// and completes (or fails) as the next operation starts.
pub fn replace_permission_associations(
    state: &mut State,
    ctx: &Ctx,
    input: ReplacePermissionAssociationsInput,
) -> Result<ReplaceWork> {
    if input.from_permission_arn.is_empty() {
        return Err(Error::missing("fromPermissionArn"));
    }
    if input.to_permission_arn.is_empty() {
        return Err(Error::missing("toPermissionArn"));
    }
    let from = permissions::resolve(state, ctx, &input.from_permission_arn)?;
    let to = permissions::resolve(state, ctx, &input.to_permission_arn)?;
    if let PermissionRef::Customer(c) = from {
        if c.owner != ctx.account {
            return Err(Error::OperationNotPermitted(format!(
                "The permission {} is shared with your account by its owner; only the owner can replace it on resource shares.",
                input.from_permission_arn
            )));
        }
    }
    if from.resource_type() != to.resource_type() {
        return Err(Error::InvalidParameter(format!(
            "{} is for {} and {} is for {}: both permissions must be for the same resource type.",
            input.from_permission_arn,
            from.resource_type(),
            input.to_permission_arn,
            to.resource_type()
        )));
    }
    let from_version = match input.from_permission_version {
        None => None,
        Some(v) => {
            let v = u32::try_from(v)
                .ok()
                .filter(|v| from.has_version(*v))
                .ok_or_else(|| {
                    Error::InvalidParameter(format!(
                        "The permission {} has no version {v}.",
                        input.from_permission_arn
                    ))
                })?;
            Some(v)
        }
    };
    let attached = shares::attachable(&to, &input.parameter_values, ctx)?;
    let (_, decls) = to
        .template(attached.version)
        .expect("default version exists");
    let id = fresh(
        || ctx.ids.uuid(),
        |id| {
            state
                .works
                .contains_key(&(ctx.account.clone(), id.to_string()))
        },
    );
    let work = ReplaceWork {
        id,
        owner: ctx.account.clone(),
        from_arn: input.from_permission_arn,
        from_version,
        to_arn: attached.arn.clone(),
        to_version: attached.version,
        parameters: decls.to_vec(),
        parameter_values: input.parameter_values,
        status: WorkStatus::InProgress,
        status_message: None,
        creation_time: ctx.now,
        last_updated_time: ctx.now,
    };
    state
        .works
        .insert((work.owner.clone(), work.id.clone()), work.clone());
    state.timers.schedule(
        ctx.now,
        crate::core::timers::Timer::RunReplaceWork(work.owner.clone(), work.id.clone()),
    );
    Ok(work)
}

/// Runs a ReplacePermissionAssociations work item (from its timer).
pub fn run_replace_work(
    state: &mut State,
    owner: &str,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) {
    let key = (owner.to_string(), id.to_string());
    let Some(work) = state.works.get(&key).cloned() else {
        return;
    };
    if work.status != WorkStatus::InProgress {
        return;
    }
    // The target must still be attachable at its recorded version.
    let target = state
        .permissions
        .get(&work.to_arn)
        .map(|p| {
            (
                p.default_version == work.to_version && !p.deprecated,
                p.resource_type.clone(),
            )
        })
        .or_else(|| {
            Catalog::get()
                .managed_permission_by_arn(&work.to_arn)
                .map(|(rt, mp)| {
                    (
                        mp.default_version == work.to_version,
                        rt.resource_type.clone(),
                    )
                })
        });
    let outcome = match target {
        Some((true, rt)) => {
            let targets: Vec<String> = state
                .index
                .shares_of_permission(&work.from_arn)
                .filter(|(_, v)| work.from_version.is_none_or(|f| f == *v))
                .map(|(s, _)| s.to_string())
                .filter(|s| {
                    state.shares.get(s.as_str()).is_some_and(|s| {
                        s.owner == work.owner
                            && s.is_live()
                            && s.feature_set == FeatureSet::Standard
                    })
                })
                .collect();
            for share_arn in targets {
                let attached = AttachedPermission::new(
                    work.to_arn.clone(),
                    work.to_version,
                    work.parameter_values.clone(),
                    now,
                );
                attach(state, &share_arn, rt.clone(), attached, now);
            }
            (WorkStatus::Completed, None)
        }
        _ => (
            WorkStatus::Failed,
            Some(format!(
                "Version {} of {} is no longer attachable; nothing was replaced.",
                work.to_version, work.to_arn
            )),
        ),
    };
    if let Some(w) = state.works.get_mut(&key) {
        w.status = outcome.0;
        w.status_message = outcome.1;
        w.last_updated_time = now;
    }
}

/// Input of ListReplacePermissionAssociationsWork.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListReplacePermissionAssociationsWorkInput {
    pub work_ids: Vec<String>,
    pub status: Option<WorkStatus>,
    pub page: PageInput,
}

/// ListReplacePermissionAssociationsWork: the caller's work items.
pub fn list_replace_permission_associations_work(
    state: &State,
    ctx: &Ctx,
    input: ListReplacePermissionAssociationsWorkInput,
) -> Result<Page<ReplaceWork>> {
    let query = format!("{:?}|{:?}", input.work_ids, input.status);
    let pager = input
        .page
        .start(state, ctx, "ListReplacePermissionAssociationsWork", &query)?;
    let start = (
        ctx.account.clone(),
        pager.after().unwrap_or_default().to_string(),
    );
    let after = pager.after().map(str::to_string);
    let items = state
        .works
        .range(start..)
        .take_while(|((o, _), _)| *o == ctx.account)
        .filter(|((_, id), _)| after.as_deref().is_none_or(|a| id.as_str() > a))
        .map(|(_, w)| w)
        .filter(|w| input.work_ids.is_empty() || input.work_ids.contains(&w.id))
        .filter(|w| input.status.is_none_or(|s| w.status == s))
        .map(|w| (w.id.clone(), w.clone()));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}
