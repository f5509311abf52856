//! ListPrincipals: the principals the caller shares with (SELF), or the
//! accounts that share with the caller (OTHER-ACCOUNTS), one row per
//! (share, principal).

use chrono::{DateTime, Utc};

use crate::core::arn::{Arn, ResourceShareArn};
use crate::core::catalog::Catalog;
use crate::core::clock::Ctx;
use crate::core::page::join_key;
use crate::core::permissions::ResourceOwner;
use crate::core::read_ahead::Batches;
use crate::core::resources::{rows_after, shares_for, split_cursor};
use crate::core::shares::ResourceShare;
use crate::core::state::State;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};

/// What the API reports about a principal (`Principal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    pub id: String,
    pub share_arn: String,
    pub creation_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
    pub external: bool,
}

/// Input of ListPrincipals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPrincipalsInput {
    pub resource_owner: Option<ResourceOwner>,
    pub resource_arn: Option<String>,
    pub principals: Vec<String>,
    pub resource_type: Option<String>,
    pub resource_share_arns: Vec<String>,
    pub page: PageInput,
}

/// The rows of one share, in principal order after `after`.
fn rows<'a>(
    state: &'a State,
    ctx: &'a Ctx,
    owner: ResourceOwner,
    share: &'a ResourceShare,
    after: Option<&'a str>,
) -> Box<dyn Iterator<Item = PrincipalInfo> + 'a> {
    match owner {
        ResourceOwner::SelfAccount => Box::new(
            share
                .principals
                .iter()
                .filter(move |(id, _)| after.is_none_or(|a| &***id > a))
                .filter(|(_, pa)| pa.assoc.status.is_live())
                .map(|(id, pa)| PrincipalInfo {
                    id: id.to_string(),
                    share_arn: share.arn.to_string(),
                    creation_time: pa.assoc.creation_time,
                    last_updated_time: pa.assoc.last_updated_time,
                    external: pa.external,
                }),
        ),
        ResourceOwner::OtherAccounts => Box::new(
            (after.is_none_or(|a| share.owner.as_str() > a))
                .then(|| PrincipalInfo {
                    id: share.owner.clone(),
                    share_arn: share.arn.to_string(),
                    creation_time: share.creation_time,
                    last_updated_time: share.last_updated_time,
                    external: !state.orgs.same_org(&share.owner, &ctx.account),
                })
                .into_iter(),
        ),
    }
}

/// ListPrincipals.
pub fn list_principals(
    state: &State,
    ctx: &Ctx,
    input: ListPrincipalsInput,
) -> Result<Page<PrincipalInfo>> {
    let owner = input
        .resource_owner
        .ok_or_else(|| Error::missing("resourceOwner"))?;
    let resource_type = match input.resource_type.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            Catalog::get()
                .resource_type(t)
                .ok_or_else(|| {
                    Error::InvalidParameter(format!(
                        "The resource type {t} is not one RAM can share. ListResourceTypes lists them."
                    ))
                })?
                .resource_type
                .as_str(),
        ),
    };
    let resource_arn = input.resource_arn.as_deref().filter(|a| !a.is_empty());
    if let Some(a) = resource_arn {
        Arn::check(a)?;
    }
    for arn in &input.resource_share_arns {
        ResourceShareArn::parse(arn)?;
    }
    let query = format!(
        "{owner:?}|{resource_arn:?}|{:?}|{resource_type:?}|{:?}",
        input.principals, input.resource_share_arns
    );
    let pager = input.page.start(state, ctx, "ListPrincipals", &query)?;
    let cursor = pager.after().map(str::to_string);
    let (after_share, _) = split_cursor(cursor.as_deref());
    // A page reads its rows and the next one (to tell there is more), at
    // the average number of principals a share holds.
    let sizes = Batches::for_rows(
        pager.limit() + 1,
        state.shares.len(),
        state.index.principal_pairs,
    );
    let shares = shares_for(state, ctx, owner, after_share, sizes)
        .filter(|s| {
            input.resource_share_arns.is_empty()
                || input.resource_share_arns.iter().any(|a| **a == *s.arn)
        })
        .filter(|s| {
            resource_arn.is_none_or(|r| {
                s.resources
                    .get(r)
                    .is_some_and(|ra| ra.assoc.status.is_live())
            })
        })
        .filter(|s| resource_type.is_none_or(|t| s.resource_types().contains(t)));
    let items = rows_after(shares, cursor.as_deref(), |s, after| {
        rows(state, ctx, owner, s, after)
    })
    .filter(|p| input.principals.is_empty() || input.principals.contains(&p.id))
    .map(|p| (join_key(&[&p.share_arn, &p.id]), p));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}
