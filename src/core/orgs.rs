//! Organizations: what AWS RAM learns from AWS Organizations, told to ramd
//! through the admin service (organizations, their OUs and member accounts),
//! and EnableSharingWithAwsOrganization.
//!
//! Operations: CreateOrganization, CreateOrganizationalUnit, AddAccount,
//! RemoveAccount, DescribeOrganization (admin service) and
//! EnableSharingWithAwsOrganization (RAM).
//!
//! Invariants of `Orgs`: organization ids, root ids and OU ids are unique
//! across the server; an account is a member of at most one organization, and
//! the account index names exactly the members of each organization, with the
//! parent the organization gives them; every
//! member's parent and every OU's parent is the organization's root or one of
//! its OUs; the management account is always a member. OUs are never moved or
//! deleted, so the parent links form a tree rooted at the root.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use crate::core::arn::{account_number, is_account_id, is_organizational_unit_id, is_root_id};
use crate::core::clock::{fresh, Ctx};
use crate::core::state::State;
use crate::error::{Error, Result};

/// The characters of generated organization, root and OU ids.
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The longest OU name, in characters (the AWS Organizations limit).
pub const MAX_OU_NAME_CHARS: usize = 128;

/// How deep OUs may nest below the root (the AWS Organizations limit): an OU
/// directly under the root is at depth 1.
pub const MAX_OU_DEPTH: usize = 5;

/// Account -> its parent's id (an organization's member map), or its
/// organization's id (the encoded account index): a persistent hash map
/// with a fixed hasher, so its order, and a snapshot's bytes, follow from
/// its contents alone (a per-map random hasher would give every decoded
/// copy another order). Account ids come only from the admin service, so a
/// fixed hasher is no flooding risk.
pub type Members = imbl::GenericHashMap<
    String,
    String,
    std::hash::BuildHasherDefault<std::hash::DefaultHasher>,
    imbl::shared_ptr::DefaultSharedPtr,
>;

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationalUnit {
    /// `ou-<root's 4>-<8 [a-z0-9]>`.
    pub id: String,
    /// `arn:<partition>:organizations::<management>:ou/<org id>/<ou id>`.
    pub arn: String,
    pub name: String,
    /// The root id or the id of the OU that contains this one.
    pub parent_id: String,
}

/// An organization, its OUs and its member accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `o-` and 10 characters of `[a-z0-9]`.
    pub id: String,
    /// `arn:<partition>:organizations::<management>:organization/<id>`.
    pub arn: String,
    pub management_account: String,
    /// `r-` and 4 characters of `[a-z0-9]`.
    pub root_id: String,
    /// Set by EnableSharingWithAwsOrganization.
    pub sharing_enabled: bool,
    /// The OUs, by id.
    pub ous: BTreeMap<String, OrganizationalUnit>,
    /// Member account -> its direct parent (the root id or an OU id). The
    /// management account is a member too. Hashed: receivers look their
    /// account up on every listing, and a hash probe reads far less memory
    /// than a search among a hundred thousand string keys. Persistent, so
    /// a snapshot copies it in O(1); listed in order only by
    /// DescribeOrganization, which sorts.
    pub accounts: Members,
}

impl Organization {
    /// Whether `id` is this organization's root or one of its OUs.
    fn holds(&self, id: &str) -> bool {
        id == self.root_id || self.ous.contains_key(id)
    }

    /// The OU `id` and the OUs above it, up to (not including) the root;
    /// nothing when `id` is the root. One look-up per OU.
    pub fn ous_from<'a>(
        &'a self,
        id: &'a str,
    ) -> impl Iterator<Item = &'a OrganizationalUnit> + 'a {
        let mut at = id;
        std::iter::from_fn(move || {
            let ou = self.ous.get(at)?;
            at = &ou.parent_id;
            Some(ou)
        })
    }

    /// `id` (the root or an OU of this organization) and its parents up to
    /// and including the root.
    fn chain<'a>(&'a self, id: &'a str) -> Vec<&'a str> {
        std::iter::once(id)
            .chain(self.ous_from(id).map(|ou| ou.parent_id.as_str()))
            .collect()
    }

    /// The path `o-xxx/r-xxxx/ou-a/.../` down to `id` (root or OU).
    fn path_to(&self, id: &str) -> String {
        let mut path = format!("{}/", self.id);
        for part in self.chain(id).iter().rev() {
            path.push_str(part);
            path.push('/');
        }
        path
    }
}

/// Where a member account sits: its organization and its direct parent
/// (the root id or an OU id, as `Organization::accounts` has it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Placement {
    org: String,
    parent: String,
}

/// Every organization the server knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orgs {
    /// Organizations, by id.
    by_id: BTreeMap<String, Organization>,
    /// Member account (as a number, `arn::account_number`) -> its
    /// organization and parent, the parent `Organization::accounts` also
    /// holds. A receiver's position (organization, parent, and from there
    /// its OUs) is one probe into a flat table that compares numbers in
    /// place, where the persistent member maps take a descent through
    /// several nodes. Derived from `by_id`: not encoded, rebuilt when a
    /// snapshot is read, and left out of snapshot copies.
    placements: HashMap<u64, Placement>,
    /// Whether `placements` holds every member (false in snapshot copies,
    /// which look members up in the organizations instead).
    placed: bool,
}

impl Default for Orgs {
    fn default() -> Orgs {
        Orgs {
            by_id: BTreeMap::new(),
            placements: HashMap::new(),
            placed: true,
        }
    }
}

/// How `Orgs` is encoded: the organizations, then account -> organization
/// id (each organization's members in turn).
#[derive(Serialize)]
struct OrgsOut<'a> {
    by_id: &'a BTreeMap<String, Organization>,
    #[serde(serialize_with = "org_ids")]
    by_account: &'a BTreeMap<String, Organization>,
}

#[derive(Deserialize)]
struct OrgsIn {
    by_id: BTreeMap<String, Organization>,
    by_account: Members,
}

fn org_ids<S: serde::Serializer>(
    by_id: &&BTreeMap<String, Organization>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(by_id.values().map(|o| o.accounts.len()).sum()))?;
    for org in by_id.values() {
        for account in org.accounts.keys() {
            map.serialize_entry(account, &org.id)?;
        }
    }
    map.end()
}

impl Serialize for Orgs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        OrgsOut {
            by_id: &self.by_id,
            by_account: &self.by_id,
        }
        .serialize(s)
    }
}

/// Decoded with the placements rebuilt from the organizations' members,
/// which must agree with the encoded account -> organization map.
impl<'de> Deserialize<'de> for Orgs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Orgs, D::Error> {
        use serde::de::Error as _;
        let wire = OrgsIn::deserialize(d)?;
        let members: usize = wire.by_id.values().map(|o| o.accounts.len()).sum();
        let mut placements = HashMap::with_capacity(members);
        for org in wire.by_id.values() {
            for (account, parent) in org.accounts.iter() {
                let number = account_number(account).ok_or_else(|| {
                    D::Error::custom(format!("member {account:?} is not an account id"))
                })?;
                placements.insert(
                    number,
                    Placement {
                        org: org.id.clone(),
                        parent: parent.clone(),
                    },
                );
            }
        }
        let agrees = wire.by_account.len() == members
            && placements.len() == members
            && wire.by_account.iter().all(|(account, org_id)| {
                account_number(account)
                    .and_then(|n| placements.get(&n))
                    .is_some_and(|p| p.org == *org_id)
            });
        if !agrees {
            return Err(D::Error::custom(
                "the organizations' members and the account index disagree",
            ));
        }
        Ok(Orgs {
            by_id: wire.by_id,
            placements,
            placed: true,
        })
    }
}

impl Orgs {
    /// The account's organization and its direct parent (the root id or an
    /// OU id).
    pub fn placement(&self, account: &str) -> Option<(&Organization, &str)> {
        if !self.placed {
            return self.by_id.values().find_map(|org| {
                org.accounts
                    .get(account)
                    .map(|parent| (org, parent.as_str()))
            });
        }
        let p = self.placements.get(&account_number(account)?)?;
        Some((self.by_id.get(&p.org)?, &p.parent))
    }

    /// The organization `account` is a member of.
    pub fn org_of(&self, account: &str) -> Option<&Organization> {
        self.placement(account).map(|(org, _)| org)
    }

    /// Makes `account` a member of organization `org_id` under `parent`
    /// (or moves it there): the organization's member map and the
    /// placements together.
    fn place(&mut self, account: &str, org_id: &str, parent: &str) {
        self.org_mut(org_id)
            .accounts
            .insert(account.to_string(), parent.to_string());
        if let Some(n) = account_number(account).filter(|_| self.placed) {
            self.placements.insert(
                n,
                Placement {
                    org: org_id.to_string(),
                    parent: parent.to_string(),
                },
            );
        }
    }

    /// Takes `account` out of organization `org_id`.
    fn unplace(&mut self, account: &str, org_id: &str) {
        self.org_mut(org_id).accounts.remove(account);
        if let Some(n) = account_number(account) {
            self.placements.remove(&n);
        }
    }

    /// A copy for encoding a snapshot, without the placements (a copy of
    /// the organizations' persistent member maps is O(1); the flat table
    /// is not copied). Look-ups on it still work, through the organizations.
    pub fn snapshot_copy(&self) -> Orgs {
        Orgs {
            by_id: self.by_id.clone(),
            placements: HashMap::new(),
            placed: false,
        }
    }

    /// The organization with id `org_id`.
    pub fn get(&self, org_id: &str) -> Option<&Organization> {
        self.by_id.get(org_id)
    }

    /// Every organization, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Organization> {
        self.by_id.values()
    }

    /// Whether `a` and `b` are members of the same organization.
    pub fn same_org(&self, a: &str, b: &str) -> bool {
        match (self.org_of(a), self.org_of(b)) {
            (Some(x), Some(y)) => x.id == y.id,
            _ => false,
        }
    }

    /// The account's parents from its direct parent up to and including the
    /// root id; empty when the account is not a member of an organization.
    /// The server walks them with [`Organization::ous_from`]; tests compare
    /// whole chains.
    #[cfg(test)]
    pub fn ancestors(&self, account: &str) -> Vec<&str> {
        self.placement(account)
            .map(|(org, parent)| org.chain(parent))
            .unwrap_or_default()
    }

    /// Whether `account` is in OU `ou_id` directly or through nested OUs.
    pub fn ou_contains(&self, ou_id: &str, account: &str) -> bool {
        self.placement(account)
            .is_some_and(|(org, parent)| org.ous_from(parent).any(|ou| ou.id == ou_id))
    }

    /// The `aws:PrincipalOrgPaths` form of the account's position:
    /// `o-xxx/r-xxxx/ou-a/ou-b/`, ending with its direct parent.
    pub fn org_path(&self, account: &str) -> Option<String> {
        let org = self.org_of(account)?;
        let parent = org.accounts.get(account)?;
        Some(org.path_to(parent))
    }

    /// The path of an OU, `o-xxx/r-xxxx/ou-a/ou-b/` ending with the OU itself
    /// (used for policy conditions). A root id gives `o-xxx/r-xxxx/`.
    pub fn ou_path(&self, ou_id: &str) -> Option<String> {
        let org = self.holder(ou_id)?;
        Some(org.path_to(ou_id))
    }

    /// The OU with id `ou_id` and its organization.
    pub fn find_ou(&self, ou_id: &str) -> Option<(&Organization, &OrganizationalUnit)> {
        self.by_id
            .values()
            .find_map(|org| org.ous.get(ou_id).map(|ou| (org, ou)))
    }

    /// The organization whose root or OU is `id`.
    fn holder(&self, id: &str) -> Option<&Organization> {
        self.by_id.values().find(|org| org.holds(id))
    }

    /// Whether any organization has the root id `root_id`.
    fn root_taken(&self, root_id: &str) -> bool {
        self.by_id.values().any(|org| org.root_id == root_id)
    }

    fn org_mut(&mut self, org_id: &str) -> &mut Organization {
        self.by_id
            .get_mut(org_id)
            .expect("the organization was found before the change")
    }
}

/// Checks a required account id member.
fn account_id<'a>(member: &str, value: &'a str) -> Result<&'a str> {
    if value.is_empty() {
        return Err(Error::missing(member));
    }
    if !is_account_id(value) {
        return Err(Error::InvalidParameter(format!(
            "{member} {value:?} is not a valid account id: use exactly 12 digits."
        )));
    }
    Ok(value)
}

/// Finds the organization of a parent given as a root or OU id.
fn parent_org<'a>(state: &'a State, parent_id: &str) -> Result<&'a Organization> {
    if parent_id.is_empty() {
        return Err(Error::missing("parentId"));
    }
    let noun = if is_root_id(parent_id) {
        "Root"
    } else if is_organizational_unit_id(parent_id) {
        "OrganizationalUnit"
    } else {
        return Err(Error::InvalidParameter(format!(
            "parentId {parent_id:?} is not a root id (r-...) or an organizational unit id (ou-...)."
        )));
    };
    state
        .orgs
        .holder(parent_id)
        .ok_or_else(|| Error::UnknownResource(format!("{noun} {parent_id} could not be found.")))
}

fn not_a_member(account: &str) -> Error {
    Error::UnknownResource(format!(
        "Account {account} is not a member of an organization."
    ))
}

/// Input of CreateOrganization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateOrganizationInput {
    pub management_account_id: String,
}

/// CreateOrganization: a new organization with its root, whose only member
/// is its management account.
pub fn create_organization(
    state: &mut State,
    ctx: &Ctx,
    input: CreateOrganizationInput,
) -> Result<Organization> {
    let management = account_id("managementAccountId", &input.management_account_id)?;
    if let Some(org) = state.orgs.org_of(management) {
        return Err(Error::OperationNotPermitted(format!(
            "Account {management} is already a member of organization {}; remove it from that organization before it creates one.",
            org.id
        )));
    }
    let orgs = &state.orgs;
    let id = fresh(
        || format!("o-{}", ctx.ids.chars(10, LOWER_ALNUM)),
        |id| orgs.by_id.contains_key(id),
    );
    let root_id = fresh(
        || format!("r-{}", ctx.ids.chars(4, LOWER_ALNUM)),
        |id| orgs.root_taken(id),
    );
    let org = Organization {
        arn: format!(
            "arn:{}:organizations::{management}:organization/{id}",
            state.config.partition
        ),
        id: id.clone(),
        management_account: management.to_string(),
        accounts: Members::default().update(management.to_string(), root_id.clone()),
        root_id,
        sharing_enabled: false,
        ous: BTreeMap::new(),
    };
    state.orgs.by_id.insert(id.clone(), org.clone());
    state.orgs.place(management, &id, &org.root_id);
    Ok(org)
}

/// Input of CreateOrganizationalUnit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateOrganizationalUnitInput {
    /// The root id or OU id under which the OU is created.
    pub parent_id: String,
    pub name: String,
}

/// CreateOrganizationalUnit: a new OU under the root or another OU. Names are
/// unique among the OUs of one parent, as AWS Organizations requires.
pub fn create_organizational_unit(
    state: &mut State,
    ctx: &Ctx,
    input: CreateOrganizationalUnitInput,
) -> Result<OrganizationalUnit> {
    let org = parent_org(state, &input.parent_id)?;
    if input.name.is_empty() {
        return Err(Error::missing("name"));
    }
    if input.name.chars().count() > MAX_OU_NAME_CHARS {
        return Err(Error::InvalidParameter(format!(
            "The organizational unit name must have 1 to {MAX_OU_NAME_CHARS} characters."
        )));
    }
    if org
        .ous
        .values()
        .any(|ou| ou.parent_id == input.parent_id && ou.name == input.name)
    {
        return Err(Error::InvalidParameter(format!(
            "An organizational unit named {:?} already exists under {}.",
            input.name, input.parent_id
        )));
    }
    // The chain of the parent holds the parent and the root, so its length
    // is the depth the new OU would have.
    if org.chain(&input.parent_id).len() > MAX_OU_DEPTH {
        return Err(Error::OperationNotPermitted(format!(
            "Organizational units nest at most {MAX_OU_DEPTH} levels below the root; {} is already at the deepest level.",
            input.parent_id
        )));
    }
    let orgs = &state.orgs;
    let root4 = &org.root_id["r-".len()..];
    let id = fresh(
        || format!("ou-{root4}-{}", ctx.ids.chars(8, LOWER_ALNUM)),
        |id| orgs.find_ou(id).is_some(),
    );
    let ou = OrganizationalUnit {
        arn: format!(
            "arn:{}:organizations::{}:ou/{}/{id}",
            state.config.partition, org.management_account, org.id
        ),
        id: id.clone(),
        name: input.name,
        parent_id: input.parent_id,
    };
    let org_id = org.id.clone();
    state.orgs.org_mut(&org_id).ous.insert(id, ou.clone());
    Ok(ou)
}

/// Input of AddAccount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddAccountInput {
    pub account_id: String,
    /// The root id or OU id that will contain the account.
    pub parent_id: String,
}

/// AddAccount: makes the account a member under `parent_id`, or moves it
/// there when it already is a member of that organization.
pub fn add_account(state: &mut State, _ctx: &Ctx, input: AddAccountInput) -> Result<()> {
    let account = account_id("accountId", &input.account_id)?;
    let org = parent_org(state, &input.parent_id)?;
    if let Some(current) = state.orgs.org_of(account) {
        if current.id != org.id {
            return Err(Error::OperationNotPermitted(format!(
                "Account {account} is a member of organization {}; remove it from that organization first.",
                current.id
            )));
        }
    }
    let org_id = org.id.clone();
    state.orgs.place(account, &org_id, &input.parent_id);
    Ok(())
}

/// Input of RemoveAccount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoveAccountInput {
    pub account_id: String,
}

/// RemoveAccount: the account leaves its organization. The management
/// account cannot leave.
pub fn remove_account(state: &mut State, _ctx: &Ctx, input: RemoveAccountInput) -> Result<()> {
    let account = account_id("accountId", &input.account_id)?;
    let org = state
        .orgs
        .org_of(account)
        .ok_or_else(|| not_a_member(account))?;
    if org.management_account == account {
        return Err(Error::OperationNotPermitted(format!(
            "Account {account} is the management account of organization {}, which cannot be removed from it.",
            org.id
        )));
    }
    let org_id = org.id.clone();
    state.orgs.unplace(account, &org_id);
    Ok(())
}

/// Input of DescribeOrganization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeOrganizationInput {
    /// Any member account, the management account included.
    pub account_id: String,
}

/// Output of DescribeOrganization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationDescription {
    pub organization: Organization,
    /// Every OU, in id order.
    pub organizational_units: Vec<OrganizationalUnit>,
    /// Every member account and its direct parent, in account order.
    pub accounts: Vec<(String, String)>,
}

/// DescribeOrganization: the organization of a member account.
pub fn describe_organization(
    state: &State,
    _ctx: &Ctx,
    input: DescribeOrganizationInput,
) -> Result<OrganizationDescription> {
    let account = account_id("accountId", &input.account_id)?;
    let org = state
        .orgs
        .org_of(account)
        .ok_or_else(|| not_a_member(account))?;
    Ok(OrganizationDescription {
        organizational_units: org.ous.values().cloned().collect(),
        accounts: {
            let mut accounts: Vec<(String, String)> = org
                .accounts
                .iter()
                .map(|(a, p)| (a.clone(), p.clone()))
                .collect();
            accounts.sort_unstable();
            accounts
        },
        organization: org.clone(),
    })
}

/// EnableSharingWithAwsOrganization: the caller, which must be the management
/// account of an organization, turns on sharing with its organization. A
/// repeated call succeeds again.
pub fn enable_sharing_with_aws_organization(
    state: &mut State,
    ctx: &Ctx,
    _input: (),
) -> Result<bool> {
    let org = state
        .orgs
        .org_of(&ctx.account)
        .filter(|org| org.management_account == ctx.account)
        .ok_or_else(|| {
            Error::OperationNotPermitted(format!(
                "Unable to enable sharing with AWS Organizations: the caller (account {}) is not the management account of an organization. Call EnableSharingWithAwsOrganization from the organization's management account.",
                ctx.account
            ))
        })?;
    let org_id = org.id.clone();
    state.orgs.org_mut(&org_id).sharing_enabled = true;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::core::state::CoreConfig;

    const MGMT: &str = "111122223333";
    const MEMBER: &str = "444455556666";
    const OUTSIDER: &str = "777788889999";
    const MGMT2: &str = "222233334444";

    fn state() -> State {
        State::new(CoreConfig::default(), [7; 32])
    }

    fn ctx(account: &str, seed: u64) -> Ctx {
        let t0 = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Ctx::new(account, t0, seed)
    }

    fn org(s: &mut State, management: &str) -> Organization {
        create_organization(
            s,
            &ctx(management, 1),
            CreateOrganizationInput {
                management_account_id: management.into(),
            },
        )
        .unwrap()
    }

    fn ou(s: &mut State, parent: &str, name: &str) -> Result<OrganizationalUnit> {
        create_organizational_unit(
            s,
            &ctx(MGMT, 2),
            CreateOrganizationalUnitInput {
                parent_id: parent.into(),
                name: name.into(),
            },
        )
    }

    fn add(s: &mut State, account: &str, parent: &str) -> Result<()> {
        add_account(
            s,
            &ctx(MGMT, 3),
            AddAccountInput {
                account_id: account.into(),
                parent_id: parent.into(),
            },
        )
    }

    fn remove(s: &mut State, account: &str) -> Result<()> {
        remove_account(
            s,
            &ctx(MGMT, 4),
            RemoveAccountInput {
                account_id: account.into(),
            },
        )
    }

    fn lower_alnum(s: &str, len: usize) -> bool {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    }

    #[test]
    fn create_organization_reports_ids_and_arn() {
        let mut s = state();
        let o = org(&mut s, MGMT);
        let suffix = o.id.strip_prefix("o-").unwrap();
        assert!(lower_alnum(suffix, 10), "{}", o.id);
        let root = o.root_id.strip_prefix("r-").unwrap();
        assert!(lower_alnum(root, 4), "{}", o.root_id);
        assert_eq!(
            o.arn,
            format!("arn:aws:organizations::{MGMT}:organization/{}", o.id)
        );
        assert_eq!(o.management_account, MGMT);
        assert!(!o.sharing_enabled);
        assert_eq!(
            o.accounts,
            Members::default().update(MGMT.into(), o.root_id.clone())
        );
        assert_eq!(s.orgs.org_of(MGMT), Some(&o));
        assert_eq!(s.orgs.get(&o.id), Some(&o));
        assert_eq!(s.orgs.ancestors(MGMT), [o.root_id.as_str()]);
        assert_eq!(
            s.orgs.org_path(MGMT),
            Some(format!("{}/{}/", o.id, o.root_id))
        );
        assert_eq!(
            s.orgs.ou_path(&o.root_id),
            Some(format!("{}/{}/", o.id, o.root_id))
        );
    }

    #[test]
    fn ous_nest_and_accounts_move() {
        let mut s = state();
        let o = org(&mut s, MGMT);
        let a = ou(&mut s, &o.root_id, "Engineering").unwrap();
        let b = ou(&mut s, &a.id, "Platform").unwrap();
        for unit in [&a, &b] {
            let rest = unit.id.strip_prefix("ou-").unwrap();
            let (root4, eight) = rest.split_once('-').unwrap();
            assert_eq!(root4, &o.root_id[2..]);
            assert!(lower_alnum(eight, 8), "{}", unit.id);
            assert_eq!(
                unit.arn,
                format!("arn:aws:organizations::{MGMT}:ou/{}/{}", o.id, unit.id)
            );
        }
        assert_eq!(
            (a.parent_id.as_str(), b.parent_id.as_str()),
            (o.root_id.as_str(), a.id.as_str())
        );
        let (found_org, found_ou) = s.orgs.find_ou(&b.id).unwrap();
        assert_eq!((found_org.id.as_str(), found_ou), (o.id.as_str(), &b));
        assert_eq!(
            s.orgs.ou_path(&b.id),
            Some(format!("{}/{}/{}/{}/", o.id, o.root_id, a.id, b.id))
        );

        // A table of positions: after each move, the ancestors, the OUs that
        // contain the account and its path.
        let root = o.root_id.as_str();
        let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
            (&b.id, vec![&b.id, &a.id, root], vec![&a.id, &b.id]),
            (&a.id, vec![&a.id, root], vec![&a.id]),
            (root, vec![root], vec![]),
            (&b.id, vec![&b.id, &a.id, root], vec![&a.id, &b.id]),
        ];
        for (parent, ancestors, inside) in cases {
            add(&mut s, MEMBER, parent).unwrap();
            assert_eq!(s.orgs.ancestors(MEMBER), ancestors, "under {parent}");
            for unit in [&a.id, &b.id] {
                assert_eq!(
                    s.orgs.ou_contains(unit, MEMBER),
                    inside.contains(&unit.as_str()),
                    "{unit} under {parent}"
                );
            }
            let mut path = format!("{}/", o.id);
            for p in ancestors.iter().rev() {
                path.push_str(p);
                path.push('/');
            }
            assert_eq!(s.orgs.org_path(MEMBER), Some(path));
            assert!(s.orgs.same_org(MGMT, MEMBER));
        }
        // A root id is not an OU.
        assert!(!s.orgs.ou_contains(root, MEMBER));

        remove(&mut s, MEMBER).unwrap();
        assert_eq!(s.orgs.org_of(MEMBER), None);
        assert!(s.orgs.ancestors(MEMBER).is_empty());
        assert_eq!(s.orgs.org_path(MEMBER), None);
        assert!(!s.orgs.ou_contains(&a.id, MEMBER));
        assert!(!s.orgs.same_org(MGMT, MEMBER));
        // Another organization accepts the account once it has left.
        let o2 = org(&mut s, MGMT2);
        add(&mut s, MEMBER, &o2.root_id).unwrap();
        assert!(s.orgs.same_org(MGMT2, MEMBER));
        assert!(!s.orgs.same_org(MGMT, MEMBER));
        assert!(!s.orgs.same_org(OUTSIDER, OUTSIDER));
    }

    #[test]
    fn encoding_keeps_the_account_to_organization_map() {
        let mut s = state();
        let o = org(&mut s, MGMT);
        let a = ou(&mut s, &o.root_id, "Engineering").unwrap();
        add(&mut s, MEMBER, &a.id).unwrap();
        let bytes = postcard::to_stdvec(&s.orgs).unwrap();
        // The layout snapshots have always had: the organizations, then
        // account -> organization id.
        let (by_id, by_account): (BTreeMap<String, Organization>, Members) =
            postcard::from_bytes(&bytes).unwrap();
        assert_eq!(by_id.len(), 1);
        assert_eq!(by_account.len(), 2);
        assert_eq!(by_account.get(MEMBER), Some(&o.id));
        let back: Orgs = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, s.orgs);
        assert_eq!(back.ancestors(MEMBER), [a.id.as_str(), o.root_id.as_str()]);
        // A snapshot copy has no placements: it encodes the same and finds
        // members through the organizations.
        let copy = s.orgs.snapshot_copy();
        assert_eq!(postcard::to_stdvec(&copy).unwrap(), bytes);
        assert_eq!(copy.ancestors(MEMBER), back.ancestors(MEMBER));
        assert!(copy.same_org(MGMT, MEMBER) && copy.org_of(OUTSIDER).is_none());
        // An account index that disagrees with the organizations is refused.
        let mut other = by_account.clone();
        other.insert(MEMBER.to_string(), "o-elsewhere0".to_string());
        let forged = postcard::to_stdvec(&(&by_id, &other)).unwrap();
        assert!(postcard::from_bytes::<Orgs>(&forged).is_err());
    }

    #[test]
    fn describe_lists_ous_and_accounts() {
        let mut s = state();
        let o = org(&mut s, MGMT);
        let a = ou(&mut s, &o.root_id, "A").unwrap();
        add(&mut s, MEMBER, &a.id).unwrap();
        for account in [MGMT, MEMBER] {
            let d = describe_organization(
                &s,
                &ctx(OUTSIDER, 5),
                DescribeOrganizationInput {
                    account_id: account.into(),
                },
            )
            .unwrap();
            assert_eq!(d.organization.id, o.id);
            assert_eq!(d.organizational_units, std::slice::from_ref(&a));
            assert_eq!(
                d.accounts,
                [
                    (MGMT.to_string(), o.root_id.clone()),
                    (MEMBER.to_string(), a.id.clone())
                ]
            );
        }
        let e = describe_organization(
            &s,
            &ctx(MGMT, 5),
            DescribeOrganizationInput {
                account_id: OUTSIDER.into(),
            },
        );
        assert!(matches!(e, Err(Error::UnknownResource(_))));
    }

    #[test]
    fn ids_are_regenerated_on_collision() {
        let mut s = state();
        // The same seed draws the same ids, so the second organization and
        // the second OU collide on their first draw.
        let o1 = org(&mut s, MGMT);
        let o2 = org(&mut s, MGMT2);
        assert_ne!(o1.id, o2.id);
        assert_ne!(o1.root_id, o2.root_id);
        let a = ou(&mut s, &o1.root_id, "A").unwrap();
        let b = ou(&mut s, &o1.root_id, "B").unwrap();
        assert_ne!(a.id, b.id);
        assert_eq!(s.orgs.iter().count(), 2);
    }

    #[test]
    fn ou_names_are_unique_per_parent_and_limited() {
        let mut s = state();
        let o = org(&mut s, MGMT);
        let a = ou(&mut s, &o.root_id, "Shared").unwrap();
        // The same name under another parent is fine.
        ou(&mut s, &a.id, "Shared").unwrap();
        let long: String = "é".repeat(MAX_OU_NAME_CHARS);
        ou(&mut s, &o.root_id, &long).unwrap();
        // Nesting stops at MAX_OU_DEPTH.
        let mut parent = a.id.clone();
        for depth in 2..=MAX_OU_DEPTH {
            parent = ou(&mut s, &parent, &format!("L{depth}")).unwrap().id;
        }
        assert_eq!(
            s.orgs.ou_path(&parent).unwrap().matches("ou-").count(),
            MAX_OU_DEPTH
        );
        assert!(matches!(
            ou(&mut s, &parent, "TooDeep"),
            Err(Error::OperationNotPermitted(_))
        ));
    }

    #[test]
    fn enable_sharing_needs_the_management_account() {
        let mut s = state();
        let o = org(&mut s, MGMT);
        add(&mut s, MEMBER, &o.root_id).unwrap();
        let before = s.orgs.clone();
        for caller in [MEMBER, OUTSIDER] {
            let e = enable_sharing_with_aws_organization(&mut s, &ctx(caller, 6), ());
            match e {
                Err(Error::OperationNotPermitted(m)) => {
                    assert!(
                        m.starts_with("Unable to enable sharing with AWS Organizations"),
                        "{m}"
                    );
                }
                other => panic!("{caller}: {other:?}"),
            }
            assert_eq!(s.orgs, before, "{caller}");
        }
        for _ in 0..2 {
            let r = enable_sharing_with_aws_organization(&mut s, &ctx(MGMT, 6), ());
            assert_eq!(r, Ok(true));
            assert!(s.orgs.org_of(MEMBER).unwrap().sharing_enabled);
        }
    }

    #[test]
    fn refusals_leave_the_state_untouched() {
        let mut s = state();
        let o = org(&mut s, MGMT);
        let a = ou(&mut s, &o.root_id, "A").unwrap();
        let mut deep = a.id.clone();
        for depth in 2..=MAX_OU_DEPTH {
            deep = ou(&mut s, &deep, &format!("L{depth}")).unwrap().id;
        }
        add(&mut s, MEMBER, &a.id).unwrap();
        let o2 = org(&mut s, MGMT2);
        let before = s.orgs.clone();

        let root = o.root_id.clone();
        let root2 = o2.root_id.clone();
        let a_id = a.id.clone();
        type Op = Box<dyn Fn(&mut State) -> Result<()>>;
        let create = |m: &'static str| -> Op {
            Box::new(move |s: &mut State| {
                create_organization(
                    s,
                    &ctx(m, 9),
                    CreateOrganizationInput {
                        management_account_id: m.into(),
                    },
                )
                .map(drop)
            })
        };
        let new_ou = |parent: String, name: String| -> Op {
            Box::new(move |s: &mut State| ou(s, &parent, &name).map(drop))
        };
        let add_to = |account: &'static str, parent: String| -> Op {
            Box::new(move |s: &mut State| add(s, account, &parent))
        };
        let remove_it =
            |account: &'static str| -> Op { Box::new(move |s: &mut State| remove(s, account)) };
        let enable = |caller: &'static str| -> Op {
            Box::new(move |s: &mut State| {
                enable_sharing_with_aws_organization(s, &ctx(caller, 9), ()).map(drop)
            })
        };
        type Check = fn(&Error) -> bool;
        let missing: Check = |e| matches!(e, Error::MissingRequiredParameter(_));
        let invalid: Check = |e| matches!(e, Error::InvalidParameter(_));
        let unknown: Check = |e| matches!(e, Error::UnknownResource(_));
        let refused: Check = |e| matches!(e, Error::OperationNotPermitted(_));
        let cases: Vec<(&str, Op, Check)> = vec![
            ("org without account", create(""), missing),
            ("org of a short id", create("12345"), invalid),
            ("org of letters", create("abcdefghijkl"), invalid),
            ("org of a management account", create(MGMT), refused),
            ("org of a member", create(MEMBER), refused),
            (
                "ou without parent",
                new_ou(String::new(), "X".into()),
                missing,
            ),
            (
                "ou under garbage",
                new_ou("nope".into(), "X".into()),
                invalid,
            ),
            (
                "ou under unknown root",
                new_ou("r-zzzz".into(), "X".into()),
                unknown,
            ),
            (
                "ou under unknown ou",
                new_ou(format!("ou-{}-zzzzzzzz", &root[2..]), "X".into()),
                unknown,
            ),
            (
                "ou without name",
                new_ou(root.clone(), String::new()),
                missing,
            ),
            (
                "ou name too long",
                new_ou(root.clone(), "x".repeat(MAX_OU_NAME_CHARS + 1)),
                invalid,
            ),
            (
                "ou duplicate name",
                new_ou(root.clone(), "A".into()),
                invalid,
            ),
            ("ou too deep", new_ou(deep.clone(), "X".into()), refused),
            ("add without account", add_to("", root.clone()), missing),
            ("add a bad account", add_to("1234", root.clone()), invalid),
            (
                "add without parent",
                add_to(OUTSIDER, String::new()),
                missing,
            ),
            (
                "add under unknown root",
                add_to(OUTSIDER, "r-zzzz".into()),
                unknown,
            ),
            (
                "add a member of another org",
                add_to(MEMBER, root2.clone()),
                refused,
            ),
            (
                "add a management account elsewhere",
                add_to(MGMT2, a_id.clone()),
                refused,
            ),
            ("remove without account", remove_it(""), missing),
            ("remove a non-member", remove_it(OUTSIDER), unknown),
            ("remove a management account", remove_it(MGMT), refused),
            ("enable as a member", enable(MEMBER), refused),
            ("enable as an outsider", enable(OUTSIDER), refused),
        ];
        for (name, op, want) in cases {
            let e = op(&mut s).unwrap_err();
            assert!(want(&e), "{name}: {e:?}");
            assert_eq!(s.orgs, before, "{name}");
        }
    }
}
