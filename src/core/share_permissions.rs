//! The permissions attached to resource shares: ListResourceSharePermissions.

use crate::core::catalog::Catalog;
use crate::core::clock::Ctx;
use crate::core::page::{MaxResultsError, Pager};
use crate::core::permissions::{PermissionInfo, PermissionRef, ResourceOwner};
use crate::core::shares::{self, AttachedPermission};
use crate::core::state::State;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};

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
    let pager = Pager::start(
        &state.tokens,
        "ListResourceSharePermissions",
        &ctx.account,
        &share.arn,
        input.page.max_results,
        input.page.next_token.as_deref(),
        MaxResultsError::InvalidParameter,
    )?;
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
