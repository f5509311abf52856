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
use std::sync::Arc;

use crate::core::arn::Principal;
use crate::core::permissions::FeatureSet;
use crate::core::read_ahead::{self, Batches};
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
/// (account id, organization ARN, OU ARNs; the account id always first);
/// IAM principals are found by prefix (`iam_prefix`). The organization and
/// its OUs are looked up only when some share names an organization or OU:
/// finding the account's place and its chain of OUs reads several tables.
fn exact_ids<'a>(state: &'a State, account: &'a str) -> Vec<&'a str> {
    let mut ids = vec![account];
    if !state.index.names_organizations() {
        return ids;
    }
    if let Some((org, parent)) = state.orgs.placement(account) {
        ids.push(org.arn.as_str());
        ids.extend(org.ous_from(parent).map(|ou| ou.arn.as_str()));
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
    visible_shares_from(state, account, Bound::Unbounded, Batches::default())
}

/// How a candidate share was found.
enum Via<'a> {
    /// Named by the account's own id, ASSOCIATED (the index says so), in
    /// the share with this handle: granted when the share is open and not
    /// the account's own, with no look at the share's principals.
    Account(Handle),
    /// Named through this exact principal id (as the index holds it), in
    /// the share with this handle; not checked yet.
    Id(&'a Arc<str>, Handle),
    /// Through an IAM principal of the account, already checked.
    Reached(&'a ResourceShare),
}

/// Every share owned by another account that `account` can see, in ARN
/// order from `start`, checked in batches of `sizes` (a listing sizes the
/// first for its page). The cost follows what the account can see, not the
/// total: each candidate comes from the principal index with its share's
/// handle. Candidates are sorted by share ARN first (from the index alone),
/// and a share is reached (by handle, no ARN seek) and checked only when the
/// iterator gets to it, so a listing that stops after one page touches only
/// the shares of that page.
pub fn visible_shares_from<'a>(
    state: &'a State,
    account: &'a str,
    start: Bound<&str>,
    sizes: Batches,
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
    // The account's own list first, and its first batch asked for: it is
    // on the way while the organization look-up runs.
    let own_list = state.index.principal_list(account);
    if let Some((_, list)) = own_list {
        read_ahead::slice(list, sizes.peek());
    }
    let others = exact_ids(state, account)
        .into_iter()
        .skip(1)
        .map(|id| (false, state.index.principal_list(id)));
    for (own, found) in std::iter::once((true, own_list)).chain(others) {
        let Some((id, list)) = found else {
            continue;
        };
        let from = list.partition_point(|l| !after_start(&l.arn));
        candidates.extend(list[from..].iter().map(|l| {
            let via = if own && l.associated {
                Via::Account(l.handle)
            } else {
                Via::Id(id, l.handle)
            };
            (&*l.arn, via)
        }));
        lists += usize::from(from < list.len());
    }
    // IAM principal ids are borrowed from the prefix scan, so they are
    // checked here; accounts rarely have many. (With only accounts named
    // anywhere, there is nothing to scan.)
    if !state.index.by_principal.is_empty() {
        let prefix = iam_prefix(state, account);
        for (id, share_arn, h) in state.index.principals_with_prefix(&prefix) {
            if !after_start(share_arn) {
                continue;
            }
            if let Some(share) = state.shares.at(h) {
                if grants(state, share, account, |s| s.principals.get(id)) {
                    candidates.push((&*share.arn, Via::Reached(share)));
                    // Several IAM principals' shares interleave.
                    lists = 2;
                }
            }
        }
    }
    // With one list a share comes up once; with several, the copies of a
    // share are next to each other once sorted.
    let several = lists > 1;
    if several {
        candidates.sort_unstable_by(|a, b| a.0.cmp(b.0));
    }
    Visible {
        state,
        account,
        candidates,
        several,
        next: 0,
        ready: Vec::new(),
        taken: 0,
        sizes,
    }
}

/// The shares of [`visible_shares_from`], checked a batch of candidates at
/// a time and stage by stage: first every candidate's slot, then every
/// share, then every share's principal and ARN. Each stage's reads are
/// independent of one another, so the processor has all of them in flight
/// at once; checked one share after another, each share's reads would wait
/// for the previous share's. At a million shares nearly every one of these
/// reads misses the caches, so this is where a receiver's listing spends its
/// time. Batches start at about a page and grow (`read_ahead::Batches`),
/// so a listing that stops early (a page) has checked little more than it
/// used.
struct Visible<'a> {
    state: &'a State,
    account: &'a str,
    /// (share ARN, how it was found), in ARN order.
    candidates: Vec<(&'a str, Via<'a>)>,
    /// Whether copies of one share may follow each other (several lists).
    several: bool,
    /// The first candidate not checked yet.
    next: usize,
    /// Checked shares of the current batch, and how many were handed out.
    ready: Vec<&'a ResourceShare>,
    taken: usize,
    /// How many candidates the next batches check.
    sizes: Batches,
}

impl<'a> Visible<'a> {
    /// Checks the next batch of candidates into `ready`.
    fn check_batch(&mut self) {
        let (state, account) = (self.state, self.account);
        let start = self.next;
        let mut end = (start + self.sizes.next_size()).min(self.candidates.len());
        // Copies of one share stay in one batch.
        while self.several
            && end < self.candidates.len()
            && self.candidates[end].0 == self.candidates[end - 1].0
        {
            end += 1;
        }
        self.next = end;
        let batch = &self.candidates[start..end];
        // Stage 1: ask for the slots.
        for (_, via) in batch {
            if let Via::Account(h) | Via::Id(_, h) = via {
                state.shares.fetch_slot(*h);
            }
        }
        // Stage 2: the slots; ask for the fields of each share the checks
        // read.
        let shares: Vec<Option<&'a ResourceShare>> = batch
            .iter()
            .map(|(_, via)| match via {
                Via::Reached(s) => Some(*s),
                Via::Account(h) | Via::Id(_, h) => state.shares.at(*h).map(|s| &**s),
            })
            .collect();
        for s in shares.iter().flatten() {
            read_ahead::fetch(&s.status);
            read_ahead::fetch(&s.feature_set);
            read_ahead::fetch(&s.arn);
            read_ahead::fetch(&s.principals);
            read_ahead::fetch(&s.resources);
        }
        // Stage 3: the shares' fields; ask for what stage 4 reads (the
        // principal entries, unless the index settled the principal, and
        // the ARN) and for the resource entries, which listings of
        // resources read next.
        let opened: Vec<bool> = shares.iter().map(|s| s.is_some_and(open)).collect();
        for (((_, via), share), opened) in batch.iter().zip(&shares).zip(&opened) {
            if let (Some(s), true) = (share, opened) {
                if let Via::Id(..) = via {
                    read_ahead::entries(&s.principals, |p| &p.principal);
                    read_ahead::fields(&s.principals, |p| &p.assoc.status);
                }
                read_ahead::text(&s.arn);
                read_ahead::entries(&s.resources, |r| &r.assoc.status);
            }
        }
        // Stage 4: the principal that names the account, and the ARN.
        self.ready.clear();
        self.taken = 0;
        let mut last: Option<&str> = None;
        for (((arn, via), share), opened) in batch.iter().zip(shares).zip(opened) {
            let Some(share) = share else { continue };
            let granted = match via {
                Via::Reached(_) => true,
                Via::Account(_) => opened && !share.owned_by(account),
                Via::Id(id, _) => {
                    opened && grants(state, share, account, |s| s.principals.get_interned(id))
                }
            };
            if granted && last != Some(*arn) {
                self.ready.push(share);
                last = Some(*arn);
            }
        }
    }
}

impl<'a> Iterator for Visible<'a> {
    type Item = &'a ResourceShare;

    fn next(&mut self) -> Option<&'a ResourceShare> {
        loop {
            if let Some(share) = self.ready.get(self.taken) {
                self.taken += 1;
                return Some(*share);
            }
            if self.next >= self.candidates.len() {
                return None;
            }
            self.check_batch();
        }
    }
}

/// Whether the principal association of `share` that `find` picks gives
/// `account` (not the owner) access to it. The cheap tests go first: the
/// share's own fields, then its principal, and the ownership test last,
/// on the ARN.
fn grants<'s>(
    state: &State,
    share: &'s ResourceShare,
    account: &str,
    find: impl FnOnce(&'s ResourceShare) -> Option<&'s PrincipalAssoc>,
) -> bool {
    open(share)
        && find(share).is_some_and(|pa| covers(state, share, pa, account))
        && !share.owned_by(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::associations::Entities;
    use crate::core::clock::Ctx;
    use crate::core::read_ahead::MAX_BATCH;
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

    /// The owner's request naming `principal` in share `arn`.
    fn naming(arn: &str, principal: &str) -> crate::core::associations::ShareEntitiesInput {
        crate::core::associations::ShareEntitiesInput {
            resource_share_arn: arn.to_string(),
            entities: Entities {
                resource_arns: Vec::new(),
                principals: vec![principal.to_string()],
                sources: Vec::new(),
            },
        }
    }

    /// Names share `arn` through `principal` too.
    fn name_also(state: &mut State, seed: u64, arn: &str, principal: &str) {
        crate::core::associations::associate_resource_share(
            state,
            &ctx(OWNER, seed),
            naming(arn, principal),
        )
        .unwrap();
    }

    /// Takes `principal` out of share `arn` again.
    fn unname(state: &mut State, seed: u64, arn: &str, principal: &str) {
        crate::core::associations::disassociate_resource_share(
            state,
            &ctx(OWNER, seed),
            naming(arn, principal),
        )
        .unwrap();
    }

    fn visible_from(state: &State, account: &str, start: Bound<&str>) -> Vec<String> {
        visible_shares_from(state, account, start, Batches::default())
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
        name_also(&mut state, 202, &both, &ou_arn);
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
        // it accepts (its index entry says ASSOCIATING until then).
        assert!(visible_from(&state, OTHER, Bound::Unbounded).is_empty());
        let listed = |state: &State| state.index.shares_of_principal(OTHER)[0].associated;
        assert!(!listed(&state));
        let invitation = state
            .invitations
            .by_receiver
            .iter()
            .next()
            .unwrap()
            .1
            .clone();
        crate::core::invitations::accept_resource_share_invitation(
            &mut state,
            &ctx(OTHER, 203),
            crate::core::invitations::InvitationInput {
                invitation_arn: invitation,
            },
        )
        .unwrap();
        assert!(listed(&state));
        assert_eq!(visible_from(&state, OTHER, Bound::Unbounded).len(), 1);
    }

    /// A receiver's organization and OUs are skipped only while no share
    /// names any: the index counts them as they come and go, and a share
    /// named by an OU or the organization is seen whenever one does.
    #[test]
    fn organizations_are_looked_up_while_some_share_names_one() {
        let (mut state, org_arn, ou_arn) = world();
        let mine = share(&mut state, 600, MEMBER);
        let by_role = share(
            &mut state,
            601,
            &format!("arn:aws:iam::{MEMBER}:role/reader"),
        );
        assert!(!state.index.names_organizations());
        let by_ou = share(&mut state, 602, &ou_arn);
        let by_org = share(&mut state, 603, &org_arn);
        // A second share naming the OU: the OU is counted once.
        let by_ou_too = share(&mut state, 604, &ou_arn);
        assert_eq!(state.index.organization_ids, 2);
        let mut all = vec![
            mine.clone(),
            by_role.clone(),
            by_ou.clone(),
            by_org.clone(),
            by_ou_too.clone(),
        ];
        all.sort();
        assert_eq!(visible_from(&state, MEMBER, Bound::Unbounded), all);
        assert!(reaches(&state, state.shares.get(&by_ou).unwrap(), MEMBER));

        unname(&mut state, 605, &by_ou, &ou_arn);
        shares::end_share(&mut state, &ctx(OWNER, 606), &by_org);
        assert_eq!(state.index.organization_ids, 1);
        let mut rest = vec![mine.clone(), by_role.clone(), by_ou_too.clone()];
        rest.sort();
        assert_eq!(visible_from(&state, MEMBER, Bound::Unbounded), rest);

        unname(&mut state, 607, &by_ou_too, &ou_arn);
        assert!(!state.index.names_organizations());
        let mut left = vec![mine, by_role];
        left.sort();
        assert_eq!(visible_from(&state, MEMBER, Bound::Unbounded), left);
        // Named again, the OU is looked up again.
        name_also(&mut state, 608, &by_ou, &ou_arn);
        assert!(state.index.names_organizations());
        assert!(reaches(&state, state.shares.get(&by_ou).unwrap(), MEMBER));
    }

    #[test]
    fn shares_named_twice_come_once_across_batches() {
        let (mut state, _, ou_arn) = world();
        // Shares named by the account and by its OU have two candidates side
        // by side; shares named once between them shift the pairs, so some
        // pairs straddle a batch's end. Some shares are deleted again (and
        // leave the index).
        let mut expected = Vec::new();
        for seed in 0..2 * MAX_BATCH as u64 {
            let arn = share(&mut state, 300 + seed, MEMBER);
            match seed % 3 {
                0 => shares::end_share(&mut state, &ctx(OWNER, 500 + seed), &arn),
                1 => {
                    name_also(&mut state, 400 + seed, &arn, &ou_arn);
                    expected.push(arn);
                }
                _ => expected.push(arn),
            }
        }
        expected.sort();
        assert_eq!(visible_from(&state, MEMBER, Bound::Unbounded), expected);
        for (i, arn) in expected.iter().enumerate() {
            assert_eq!(
                visible_from(&state, MEMBER, Bound::Excluded(arn)),
                expected[i + 1..]
            );
        }
    }
}
