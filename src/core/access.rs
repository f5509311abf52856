//! Who can see a resource share: the owner, and the accounts it is
//! effectively shared with. Organization and OU membership is evaluated
//! here, at the time of the check, so an account added to an OU later gains
//! what the OU was given and one removed loses it.
//!
//! An account reaches a share (owned by another account, ACTIVE, STANDARD)
//! through an ASSOCIATED principal association that names:
//! - the account itself, or an IAM role or user of the account;
//! - the owner's organization, when the account is a member, the owner is
//!   still a member and sharing with the organization is enabled;
//! - an OU of that organization that contains the account (directly or
//!   through nested OUs), under the same conditions.

use std::ops::Bound;

use crate::core::arn::Principal;
use crate::core::permissions::FeatureSet;
use crate::core::share_map::Handle;
use crate::core::shares::{AssociationStatus, PrincipalAssoc, ResourceShare, ShareStatus};
use crate::core::state::State;

/// Whether the owner belongs to an organization with sharing enabled.
pub fn org_sharing_available(state: &State, owner: &str) -> bool {
    state.orgs.org_of(owner).is_some_and(|o| o.sharing_enabled)
}

/// Whether `account` is inside `owner`'s organization and that organization
/// shares with its members without invitations.
pub fn inside_org(state: &State, owner: &str, account: &str) -> bool {
    org_sharing_available(state, owner) && state.orgs.same_org(owner, account)
}

/// The ARN prefix of the IAM roles and users of an account.
pub fn iam_prefix(state: &State, account: &str) -> String {
    format!("arn:{}:iam::{}:", state.config.partition, account)
}

/// Whether one principal association gives `account` access to `share`.
fn covers(state: &State, share: &ResourceShare, pa: &PrincipalAssoc, account: &str) -> bool {
    if pa.assoc.status != AssociationStatus::Associated {
        return false;
    }
    match &pa.principal {
        Principal::Account(a) => **a == *account,
        Principal::IamRole(p) | Principal::IamUser(p) => p.account == account,
        Principal::Organization(o) => member_of_owner_org(state, share, account, &o.org_id),
        Principal::OrganizationalUnit(o) => {
            member_of_owner_org(state, share, account, &o.org_id)
                && state.orgs.ou_contains(&o.ou_id, account)
        }
        Principal::ServicePrincipal(_) => false,
    }
}

fn member_of_owner_org(state: &State, share: &ResourceShare, account: &str, org_id: &str) -> bool {
    match (state.orgs.org_of(account), state.orgs.org_of(&share.owner)) {
        (Some(a), Some(o)) => a.id == org_id && o.id == org_id && o.sharing_enabled,
        _ => false,
    }
}

/// Whether the share is one its principals can see at all.
fn open(share: &ResourceShare) -> bool {
    share.status == ShareStatus::Active && share.feature_set == FeatureSet::Standard
}

/// The principal ids through which `account` may be named, exact ones first
/// (account id, organization ARN, OU ARNs); IAM principals are found by
/// prefix (`iam_prefix`).
fn exact_ids<'a>(state: &'a State, account: &'a str) -> Vec<&'a str> {
    let mut ids = vec![account];
    if let Some((org, ancestors)) = state.orgs.membership(account) {
        ids.push(org.arn.as_str());
        for parent in ancestors {
            if let Some(ou) = org.ous.get(parent) {
                ids.push(ou.arn.as_str());
            }
        }
    }
    ids
}

/// Whether `account` (not the owner) has effective access to `share`.
pub fn reaches(state: &State, share: &ResourceShare, account: &str) -> bool {
    if share.owner == account || !open(share) {
        return false;
    }
    let exact = exact_ids(state, account).into_iter().any(|id| {
        share
            .principals
            .get(id)
            .is_some_and(|pa| covers(state, share, pa, account))
    });
    if exact {
        return true;
    }
    let prefix = iam_prefix(state, account);
    share
        .principals
        .range::<str, _>((
            std::ops::Bound::Included(prefix.as_str()),
            std::ops::Bound::Unbounded,
        ))
        .take_while(|(id, _)| id.starts_with(&prefix))
        .any(|(_, pa)| covers(state, share, pa, account))
}

/// Every share owned by another account that `account` can see, in ARN
/// order ([`visible_shares_from`] the start).
pub fn visible_shares<'a>(
    state: &'a State,
    account: &'a str,
) -> impl Iterator<Item = &'a ResourceShare> + 'a {
    visible_shares_from(state, account, Bound::Unbounded)
}

/// How a candidate share was found.
enum Via<'a> {
    /// Named through this exact principal id, in the share with this
    /// handle; not checked yet.
    Id(&'a str, Handle),
    /// Through an IAM principal of the account, already checked.
    Reached(&'a ResourceShare),
}

/// Every share owned by another account that `account` can see, in ARN
/// order from `start`. The cost follows what the account can see, not the
/// total: each candidate comes from the principal index with its share's
/// handle. Candidates are sorted by share ARN first (from the index alone),
/// and a share is reached (by handle, no ARN seek) and checked only when the
/// iterator gets to it, so a listing that stops after one page touches only
/// the shares of that page.
pub fn visible_shares_from<'a>(
    state: &'a State,
    account: &'a str,
    start: Bound<&str>,
) -> impl Iterator<Item = &'a ResourceShare> + 'a {
    let after_start = move |arn: &str| match start {
        Bound::Included(s) => arn >= s,
        Bound::Excluded(s) => arn > s,
        Bound::Unbounded => true,
    };
    let mut candidates: Vec<(&'a str, Via<'a>)> = Vec::new();
    // Each principal's list is sorted already: with one list (an account
    // named only by its id, the common case) there is nothing to sort.
    let mut lists = 0;
    for id in exact_ids(state, account) {
        let list = state.index.shares_of_principal(id);
        let from = list.partition_point(|(arn, _)| !after_start(arn));
        candidates.extend(
            list[from..]
                .iter()
                .map(|(arn, h)| (&**arn, Via::Id(id, *h))),
        );
        lists += usize::from(from < list.len());
    }
    // IAM principal ids are borrowed from the prefix scan, so they are
    // checked here; accounts rarely have many.
    let prefix = iam_prefix(state, account);
    for (id, share_arn, h) in state.index.principals_with_prefix(&prefix) {
        if !after_start(share_arn) {
            continue;
        }
        if let Some(share) = state.shares.at(h) {
            if grants(state, share, id, account) {
                candidates.push((&*share.arn, Via::Reached(share)));
                // Several IAM principals' shares interleave.
                lists = 2;
            }
        }
    }
    if lists > 1 {
        candidates.sort_unstable_by(|a, b| a.0.cmp(b.0));
    }
    let mut candidates = candidates.into_iter().peekable();
    std::iter::from_fn(move || loop {
        let (arn, via) = candidates.next()?;
        let check = |via: Via<'a>| match via {
            Via::Reached(s) => Some(s),
            Via::Id(id, h) => state
                .shares
                .at(h)
                .map(|s| &**s)
                .filter(|s| grants(state, s, id, account)),
        };
        let mut found = check(via);
        while let Some((_, via)) = candidates.next_if(|(a, _)| *a == arn) {
            if found.is_none() {
                found = check(via);
            }
        }
        if found.is_some() {
            return found;
        }
    })
}

/// Whether the principal association `id` of `share` gives `account` (not
/// the owner) access to it.
fn grants(state: &State, share: &ResourceShare, id: &str, account: &str) -> bool {
    share.owner != account
        && open(share)
        && share
            .principals
            .get(id)
            .is_some_and(|pa| covers(state, share, pa, account))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::associations::Entities;
    use crate::core::clock::Ctx;
    use crate::core::shares::{self, CreateResourceShareInput};
    use crate::core::testing;

    const OWNER: &str = "111122223333";
    const MEMBER: &str = "444455556666";
    const OTHER: &str = "777788889999";

    fn ctx(account: &str, seed: u64) -> Ctx {
        Ctx::new(account, testing::t0(), seed)
    }

    /// MEMBER sits in an OU of OWNER's organization (sharing enabled).
    /// Returns the state, the organization's ARN and the OU's ARN.
    fn world() -> (State, String, String) {
        let (state, org, ou) = testing::org_with_member(OWNER, MEMBER);
        (state, org.arn, ou.arn)
    }

    fn share(state: &mut State, seed: u64, principal: &str) -> String {
        shares::create_resource_share(
            state,
            &ctx(OWNER, seed),
            CreateResourceShareInput {
                name: format!("s{seed}"),
                entities: Entities {
                    resource_arns: Vec::new(),
                    principals: vec![principal.to_string()],
                    sources: Vec::new(),
                },
                ..Default::default()
            },
        )
        .unwrap()
        .arn
    }

    fn visible_from(state: &State, account: &str, start: Bound<&str>) -> Vec<String> {
        visible_shares_from(state, account, start)
            .map(|s| s.arn.to_string())
            .collect()
    }

    #[test]
    fn a_receiver_sees_its_shares_in_arn_order_whichever_principal_names_it() {
        let (mut state, org_arn, ou_arn) = world();
        let role = format!("arn:aws:iam::{MEMBER}:role/reader");
        let mut expected = Vec::new();
        // Interleaved: each principal kind names several shares, so the
        // lists from the index interleave in ARN order.
        for seed in 0..12u64 {
            let principal = match seed % 4 {
                0 => MEMBER.to_string(),
                1 => ou_arn.clone(),
                2 => org_arn.clone(),
                _ => role.clone(),
            };
            expected.push(share(&mut state, 100 + seed, &principal));
        }
        // Shares for someone else stay out.
        share(&mut state, 200, OTHER);
        // A share named twice (account and OU) comes once.
        let both = share(&mut state, 201, MEMBER);
        crate::core::associations::associate_resource_share(
            &mut state,
            &ctx(OWNER, 202),
            crate::core::associations::ShareEntitiesInput {
                resource_share_arn: both.clone(),
                entities: Entities {
                    resource_arns: Vec::new(),
                    principals: vec![ou_arn.clone()],
                    sources: Vec::new(),
                },
            },
        )
        .unwrap();
        expected.push(both);
        expected.sort();

        assert_eq!(visible_from(&state, MEMBER, Bound::Unbounded), expected);
        assert_eq!(
            visible_from(&state, MEMBER, Bound::Excluded(&expected[4])),
            expected[5..]
        );
        assert_eq!(
            visible_from(&state, MEMBER, Bound::Included(&expected[4])),
            expected[4..]
        );
        // Outside the organization, OTHER is invited and sees nothing until
        // it accepts.
        assert!(visible_from(&state, OTHER, Bound::Unbounded).is_empty());
    }
}
