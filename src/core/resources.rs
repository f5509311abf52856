//! ListResources: the resources in the caller's shares (SELF), or the
//! resources shared with the caller (OTHER-ACCOUNTS), one row per
//! (share, resource).

use std::ops::Bound;

use chrono::{DateTime, Utc};

use crate::core::access;
use crate::core::arn::{Arn, ResourceShareArn};
use crate::core::catalog::{Catalog, RegionScope};
use crate::core::clock::Ctx;
use crate::core::page::join_key;
use crate::core::permissions::ResourceOwner;
use crate::core::read_ahead::{self, Batches, MAX_BATCH};
use crate::core::resource_types::RegionScopeFilter;
use crate::core::shares::{self, AssociationStatus, ResourceAssoc, ResourceShare, ShareStatus};
use crate::core::state::State;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};

/// `status` of a shared resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceStatus {
    Available,
    ZonalResourceInaccessible,
    LimitExceeded,
    Unavailable,
    Pending,
}

/// What the API reports about a shared resource (`Resource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    pub arn: String,
    pub resource_type: String,
    pub share_arn: String,
    pub status: ResourceStatus,
    pub status_message: Option<String>,
    pub creation_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
    pub region_scope: RegionScope,
}

/// One row of a listing, borrowed from the state until it is reported.
#[derive(Debug, Clone, Copy)]
pub struct ResourceRow<'a> {
    pub share: &'a ResourceShare,
    pub arn: &'a str,
    pub resource: &'a ResourceAssoc,
    pub region_scope: RegionScope,
}

impl ResourceRow<'_> {
    /// The page key of the row: share ARN, then resource ARN.
    pub fn key(&self) -> String {
        join_key(&[&self.share.arn, self.arn])
    }

    /// What the API reports about the row.
    pub fn info(&self) -> ResourceInfo {
        ResourceInfo {
            arn: self.arn.to_string(),
            resource_type: self.resource.resource_type.to_string(),
            share_arn: self.share.arn.to_string(),
            status: ResourceStatus::Available,
            status_message: None,
            creation_time: self.resource.assoc.creation_time,
            last_updated_time: self.resource.assoc.last_updated_time,
            region_scope: self.region_scope,
        }
    }
}

/// The ASSOCIATED resources of a share, in ARN order after `after`,
/// filtered by scope, type and ARNs; borrowed, so rows are only copied out
/// ([`ResourceRow::info`]) once they are on the page.
pub fn resource_rows<'a>(
    share: &'a ResourceShare,
    after: Option<&'a str>,
    scope: RegionScopeFilter,
    resource_type: Option<&'a str>,
    arns: &'a [String],
) -> impl Iterator<Item = ResourceRow<'a>> + 'a {
    let catalog = Catalog::get();
    share
        .resources
        .iter()
        .filter(move |(arn, _)| after.is_none_or(|a| &***arn > a))
        .filter(|(_, r)| r.assoc.status == AssociationStatus::Associated)
        .filter(move |(arn, _)| arns.is_empty() || arns.iter().any(|a| **a == ***arn))
        .filter(move |(_, r)| resource_type.is_none_or(|t| r.resource_type == t))
        .filter_map(move |(arn, r)| {
            let scope_of = catalog
                .type_of_name(r.resource_type)
                .map(|t| t.region_scope)
                .unwrap_or(RegionScope::Regional);
            scope.admits(scope_of).then_some(ResourceRow {
                share,
                arn,
                resource: r,
                region_scope: scope_of,
            })
        })
}

/// Input of ListResources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListResourcesInput {
    pub resource_owner: Option<ResourceOwner>,
    pub principal: Option<String>,
    pub resource_type: Option<String>,
    pub resource_arns: Vec<String>,
    pub resource_share_arns: Vec<String>,
    pub scope: RegionScopeFilter,
    pub page: PageInput,
}

/// The shares a listing for `owner` walks, in ARN order from `from`
/// (inclusive): the caller's own ACTIVE shares (SELF) or those shared with it
/// (OTHER-ACCOUNTS, checked in batches of `sizes`).
pub fn shares_for<'a>(
    state: &'a State,
    ctx: &'a Ctx,
    owner: ResourceOwner,
    from: Option<&str>,
    sizes: Batches,
) -> Box<dyn Iterator<Item = &'a ResourceShare> + 'a> {
    shares_from(state, ctx, owner, from, true, sizes)
}

/// Like [`shares_for`]; with `active_only` false the caller's own shares
/// include DELETED ones (owner views of associations).
pub fn shares_from<'a>(
    state: &'a State,
    ctx: &'a Ctx,
    owner: ResourceOwner,
    from: Option<&str>,
    active_only: bool,
    sizes: Batches,
) -> Box<dyn Iterator<Item = &'a ResourceShare> + 'a> {
    let start = from.map_or(Bound::Unbounded, Bound::Included);
    match owner {
        ResourceOwner::SelfAccount => Box::new(
            shares::owned(state, &ctx.account, start)
                .filter(move |s| !active_only || s.status == ShareStatus::Active),
        ),
        ResourceOwner::OtherAccounts => Box::new(access::visible_shares_from(
            state,
            &ctx.account,
            start,
            sizes,
        )),
    }
}

/// `shares`, unchanged, pulled a batch at a time (`sizes`, as the shares
/// were checked); before a batch is handed out, the memory its rows will
/// read is fetched for the whole batch at once: the resource entries of
/// every share, then the ARNs they point to. Read share by share, row by
/// row, each of those reads (a cache miss at a million shares) would wait
/// for the one before. Batches grow ([`Batches`]), so a page fetches little
/// it does not list.
fn resources_warmed<'a>(
    mut shares: impl Iterator<Item = &'a ResourceShare> + 'a,
    mut sizes: Batches,
) -> impl Iterator<Item = &'a ResourceShare> + 'a {
    let mut batch: Vec<&'a ResourceShare> = Vec::with_capacity(MAX_BATCH);
    let mut taken = 0;
    std::iter::from_fn(move || {
        if taken == batch.len() {
            batch.clear();
            taken = 0;
            batch.extend(shares.by_ref().take(sizes.next_size()));
            for s in &batch {
                read_ahead::entries(&s.resources, |r| &r.assoc.status);
            }
            for s in &batch {
                read_ahead::keys(&s.resources);
            }
        }
        let share = batch.get(taken).copied();
        taken += 1;
        share
    })
}

/// Splits a (share, entity) cursor.
pub fn split_cursor(after: Option<&str>) -> (Option<&str>, Option<&str>) {
    match after {
        None => (None, None),
        Some(k) => match k.split_once('\u{0}') {
            Some((s, e)) => (Some(s), Some(e)),
            None => (Some(k), None),
        },
    }
}

/// The rows of a listing over many shares, in (share ARN, entity) order,
/// after the page cursor `cursor` (a `join_key` of share ARN and entity):
/// `shares` must start at the cursor's share; `rows` gives one share's rows
/// after an entity key (`None`: all of them).
pub fn rows_after<'a, T: 'a, I>(
    shares: impl Iterator<Item = &'a ResourceShare> + 'a,
    cursor: Option<&'a str>,
    mut rows: impl FnMut(&'a ResourceShare, Option<&'a str>) -> I + 'a,
) -> impl Iterator<Item = T> + 'a
where
    I: Iterator<Item = T> + 'a,
{
    let (after_share, after_entity) = split_cursor(cursor);
    shares.flat_map(move |s| {
        let after = if Some(&*s.arn) == after_share {
            after_entity
        } else {
            None
        };
        rows(s, after)
    })
}

/// ListResources.
pub fn list_resources(
    state: &State,
    ctx: &Ctx,
    input: ListResourcesInput,
) -> Result<Page<ResourceInfo>> {
    let owner = input
        .resource_owner
        .ok_or_else(|| Error::missing("resourceOwner"))?;
    let resource_type = match input.resource_type.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            Catalog::get()
                .resource_type(t)
                .ok_or_else(|| {
                    Error::InvalidResourceType(format!(
                        "The resource type {t} is not one RAM can share. ListResourceTypes lists them."
                    ))
                })?
                .resource_type
                .as_str(),
        ),
    };
    for arn in &input.resource_arns {
        Arn::check(arn)?;
    }
    for arn in &input.resource_share_arns {
        ResourceShareArn::parse(arn)?;
    }
    let query = format!(
        "{owner:?}|{:?}|{resource_type:?}|{:?}|{:?}|{:?}",
        input.principal, input.resource_arns, input.resource_share_arns, input.scope
    );
    let pager = input.page.start(state, ctx, "ListResources", &query)?;
    let cursor = pager.after().map(str::to_string);
    let (after_share, _) = split_cursor(cursor.as_deref());
    let principal = input.principal.as_deref().filter(|p| !p.is_empty());
    // A page reads its rows and the next one (to tell there is more), at
    // the average number of resources a share holds.
    let sizes = Batches::for_rows(
        pager.limit() + 1,
        state.shares.len(),
        state.index.resource_pairs,
    );
    let shares = resources_warmed(shares_for(state, ctx, owner, after_share, sizes), sizes)
        .filter(|s| {
            input.resource_share_arns.is_empty()
                || input.resource_share_arns.iter().any(|a| **a == *s.arn)
        })
        .filter(|s| match (owner, principal) {
            (_, None) => true,
            (ResourceOwner::SelfAccount, Some(p)) => s
                .principals
                .get(p)
                .is_some_and(|pa| pa.assoc.status.is_live()),
            (ResourceOwner::OtherAccounts, Some(p)) => s.owner == p,
        });
    let rows = rows_after(shares, cursor.as_deref(), |s, after| {
        resource_rows(s, after, input.scope, resource_type, &input.resource_arns)
    });
    let (rows, next_token) = pager.finish_keyed(rows, ResourceRow::key);
    let items = rows.iter().map(ResourceRow::info).collect();
    Ok(Page { items, next_token })
}
