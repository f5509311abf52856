//! Resource shares: the share object with its resource, principal and source
//! associations and attached permissions, the indexes that find shares by
//! principal, resource and permission, and the share operations
//! CreateResourceShare, GetResourceShares, UpdateResourceShare and
//! DeleteResourceShare.
//!
//! Invariants:
//! - `State::shares` holds every share by ARN until it is purged (two hours
//!   after deletion); a DELETED share has no live association.
//! - The indexes (`ShareIndex`) list exactly the live (not DISASSOCIATED,
//!   not FAILED) associations of live shares; `index_*` / `unindex_*` are the
//!   only writers.
//! - A share has at most one attached permission per resource type.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::core::access;
use crate::core::arn::{account_number, arn_hash, Principal, ResourceShareArn, SourceId};
use crate::core::associations::{self, Entities};
use crate::core::clock::{fresh, Ctx};
use crate::core::page::join_key;
use crate::core::permission_map::PermissionMap;
use crate::core::permissions::{
    self, FeatureSet, PermissionRef, PermissionStatus, ResourceOwner, Version,
};
use crate::core::read_ahead::Batches;
use crate::core::resource_table::{self, ResourceTable};
use crate::core::share_map::{Handle, ShareMap};
use crate::core::state::State;
use crate::core::tags::{self, TagFilter, Tags};
use crate::core::vecmap::VecMap;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};

/// How long a deleted share stays visible as DELETED.
pub const DELETED_RETENTION_HOURS: i64 = 2;

/// `status` of a resource share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ShareStatus {
    Pending,
    Active,
    Failed,
    Deleting,
    Deleted,
}

/// `status` of an association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AssociationStatus {
    Associating,
    Associated,
    Failed,
    Disassociating,
    Disassociated,
    Suspended,
    Suspending,
    Restoring,
}

impl AssociationStatus {
    /// Whether the association still counts: not ended and not failed.
    pub fn is_live(self) -> bool {
        !matches!(
            self,
            AssociationStatus::Disassociated | AssociationStatus::Failed
        )
    }
}

/// `associationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AssociationType {
    Principal,
    Resource,
    Source,
}

/// The life of one association.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assoc {
    pub status: AssociationStatus,
    pub status_message: Option<Box<str>>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub creation_time: DateTime<Utc>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub last_updated_time: DateTime<Utc>,
}

impl Assoc {
    pub fn new(status: AssociationStatus, now: DateTime<Utc>) -> Assoc {
        Assoc {
            status,
            status_message: None,
            creation_time: now,
            last_updated_time: now,
        }
    }

    pub fn set(&mut self, status: AssociationStatus, message: Option<String>, now: DateTime<Utc>) {
        self.status = status;
        self.status_message = message.map(String::into_boxed_str);
        self.last_updated_time = now;
    }
}

/// A resource in a share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAssoc {
    pub assoc: Assoc,
    /// The catalogue's display name of the resource's type, borrowed from
    /// the (static) catalogue.
    #[serde(with = "catalog_type_name")]
    pub resource_type: TypeName,
}

/// A resource type's display name, borrowed from the catalogue.
pub type TypeName = &'static str;

/// Serde for a catalogue type name: written as text, read back as the
/// catalogue's own `&'static str`.
mod catalog_type_name {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(name: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let name = String::deserialize(d)?;
        crate::core::catalog::Catalog::get()
            .resource_type(&name)
            .map(|t| t.resource_type.as_str())
            .ok_or_else(|| serde::de::Error::custom(format!("unknown resource type {name}")))
    }
}

/// A principal of a share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalAssoc {
    pub assoc: Assoc,
    pub principal: Principal,
    /// True when the principal is outside the owner's organization.
    pub external: bool,
    /// The invitation that must be accepted before the principal has access.
    pub invitation: Option<Box<str>>,
}

/// A source constraint of a share (for service principals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceAssoc {
    pub assoc: Assoc,
    pub source: SourceId,
}

/// A managed permission attached to a share for one resource type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedPermission {
    pub arn: String,
    pub version: u32,
    pub parameter_values: Vec<(String, Vec<String>)>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub creation_time: DateTime<Utc>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub last_updated_time: DateTime<Utc>,
    /// The attached version itself when the permission is a customer
    /// managed one (the `Arc` its `Permission::versions` holds), so a
    /// policy document reads the template without looking the permission
    /// up; `None` for AWS managed permissions, whose catalogue needs no
    /// table. Derived: set by [`AttachedPermission::link`] where an
    /// attachment enters a share and after a snapshot decodes; never
    /// encoded. Only live shares are linked (`end_share` unlinks), and a
    /// linked version stays right: versions never change, and one a live
    /// share uses is never deleted. Attachments enter shares in three
    /// places, which link them: `add_share`, `associations::apply_associate`
    /// and `share_permissions::attach`.
    #[serde(skip)]
    pub linked: Option<Arc<Version>>,
}

impl AttachedPermission {
    /// Version `version` of permission `arn`, attached at `now`, not linked
    /// yet (it is where it enters a share).
    pub fn new(
        arn: String,
        version: u32,
        parameter_values: ParameterValues,
        now: DateTime<Utc>,
    ) -> AttachedPermission {
        AttachedPermission {
            arn,
            version,
            parameter_values,
            creation_time: now,
            last_updated_time: now,
            linked: None,
        }
    }

    /// The version this attachment names, if it is a customer managed
    /// permission's: what [`AttachedPermission::linked`] must hold.
    pub fn version_in<'p>(&self, permissions: &'p PermissionMap) -> Option<&'p Arc<Version>> {
        permissions
            .get(&self.arn)
            .and_then(|p| p.versions.get(&self.version))
    }

    /// Sets [`AttachedPermission::linked`] from `permissions`.
    pub fn link(&mut self, permissions: &PermissionMap) {
        self.linked = self.version_in(permissions).map(Arc::clone);
    }
}

/// A resource share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceShare {
    /// Shared with the keys of `State::shares` and of the indexes.
    pub arn: Arc<str>,
    pub name: String,
    pub owner: String,
    pub allow_external_principals: bool,
    pub status: ShareStatus,
    pub status_message: Option<String>,
    pub feature_set: FeatureSet,
    pub tags: Tags,
    pub retain_sharing_on_account_leave_organization: Option<bool>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub creation_time: DateTime<Utc>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub last_updated_time: DateTime<Utc>,
    /// By resource ARN (keys shared with `ShareIndex::by_resource`).
    pub resources: VecMap<Arc<str>, ResourceAssoc>,
    /// By principal id as given (keys shared with `ShareIndex::by_principal`).
    pub principals: VecMap<Arc<str>, PrincipalAssoc>,
    /// By source id as given.
    pub sources: VecMap<String, SourceAssoc>,
    /// By resource type display name.
    pub permissions: VecMap<String, AttachedPermission>,
}

impl ResourceShare {
    /// Makes the principal ids (keys and account principals) the ones
    /// `interned` holds, adding those it lacks: after decoding a snapshot,
    /// where every share got its own copies.
    pub fn intern_principals(&mut self, interned: &mut std::collections::HashSet<Arc<str>>) {
        self.principals.swap_keys(|id| match interned.get(id) {
            Some(same) => Some(same.clone()),
            None => {
                interned.insert(id.clone());
                None
            }
        });
        for (id, p) in self.principals.iter_mut() {
            if let Principal::Account(a) = &mut p.principal {
                *a = id.clone();
            }
        }
    }

    /// Whether `account` owns the share, read from the ARN, which names the
    /// owner (`arn:<partition>:ram:<region>:<owner>:resource-share/<id>`, as
    /// [`owned`] relies on): a listing reads the ARN anyway, while `owner`
    /// is one more place in memory to fetch.
    pub fn owned_by(&self, account: &str) -> bool {
        let arn = self.arn.as_bytes();
        // After the fourth colon, up to the fifth.
        let mut colons = 0;
        let Some(start) = arn.iter().position(|b| {
            colons += usize::from(*b == b':');
            colons == 4
        }) else {
            return false;
        };
        let owner = &arn[start + 1..];
        owner.starts_with(account.as_bytes()) && owner.get(account.len()) == Some(&b':')
    }

    /// Whether the share holds resource `arn` with a live association
    /// (for a resource, an ASSOCIATED one: resources are only ever
    /// ASSOCIATED, FAILED or DISASSOCIATED).
    pub fn holds_live(&self, arn: &str) -> bool {
        self.resources
            .get(arn)
            .is_some_and(|r| r.assoc.status.is_live())
    }

    /// Whether the share can still change (not deleted).
    pub fn is_live(&self) -> bool {
        !matches!(self.status, ShareStatus::Deleting | ShareStatus::Deleted)
    }

    /// The resource types of the live resources.
    pub fn resource_types(&self) -> BTreeSet<&str> {
        self.resources
            .values()
            .filter(|r| r.assoc.status.is_live())
            .map(|r| r.resource_type)
            .collect()
    }

    /// Whether a live service principal is associated.
    pub fn has_service_principals(&self) -> bool {
        self.principals.values().any(|p| {
            p.assoc.status.is_live() && matches!(p.principal, Principal::ServicePrincipal(_))
        })
    }
}

/// The cross-share indexes. Every entry is a live association of a live
/// share, named by the share's ARN (or, for resources, its handle in
/// [`ShareMap`]). The strings are the very `Arc<str>`s the shares hold, so
/// an entry costs pointers, not copies.
///
/// The sets are derived data: snapshots leave them out and
/// [`ShareIndex::rebuild`] recomputes them after loading one. `usage` is
/// kept, as it also counts shares. Handles differ between a live state and
/// the same state loaded again, so indexes compare through
/// [`ShareIndex::resolved`].
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ShareIndex {
    /// Account id (as a number, `arn::account_number`) -> the interned id
    /// and the (share ARN, handle) of the shares that name it, sorted by
    /// ARN. One entry per account (an account is named by many shares), so
    /// a receiver's lookup is one hash probe that compares numbers in the
    /// table (no key string to fetch), its shares sit together in ARN
    /// order, and each is reached by its handle.
    #[serde(skip)]
    pub by_account: HashMap<u64, (Arc<str>, ShareList)>,
    /// The same for every other principal (organizations, OUs, IAM roles
    /// and users, service principals), ordered, so that an account's IAM
    /// principals are one prefix range. Usually far smaller than
    /// `by_account`, so a receiver's organization and IAM look-ups stay
    /// cheap.
    #[serde(skip)]
    pub by_principal: BTreeMap<Arc<str>, ShareList>,
    /// How many (principal, share) pairs `by_principal` holds.
    #[serde(skip)]
    pub principal_pairs: usize,
    /// How many organizations and OUs `by_principal` holds. With none, no
    /// receiver is reached through its organization or OUs, so a
    /// receiver's listing does not look them up ([`ShareIndex::names_organizations`]).
    #[serde(skip)]
    pub organization_ids: usize,
    /// The shares holding each live resource: one entry per (live
    /// resource, share), a tag of the resource ARN's hash and the share's
    /// handle, found with one cache line a probe (`ResourceTable`). Only
    /// ever sought by resource, never listed in order, so it keeps no ARNs:
    /// a look-up checks each candidate share's own resources, which settles
    /// collisions ([`ShareIndex::resource_candidates`]).
    #[serde(skip)]
    pub by_resource: ResourceTable,
    /// How many (resource, share) pairs `by_resource` holds.
    #[serde(skip)]
    pub resource_pairs: usize,
    /// (permission ARN, share ARN) -> attached version.
    #[serde(skip)]
    pub by_permission: BTreeMap<(Arc<str>, Arc<str>), u32>,
    /// Per owner account: shares and live principal and resource
    /// associations, for quotas.
    pub usage: imbl::OrdMap<String, Usage>,
}

/// [`ShareIndex`] with shares named by ARN only ([`ShareIndex::resolved`]).
#[derive(Debug, PartialEq, Eq)]
pub struct ResolvedIndex {
    /// Principal id -> share ARNs.
    /// Principal id -> (share ARN, ASSOCIATED).
    pub principals: BTreeMap<String, Vec<(String, bool)>>,
    pub principal_pairs: usize,
    pub organization_ids: usize,
    /// (resource ARN, share ARN).
    pub resources: BTreeSet<(String, String)>,
    pub permissions: BTreeMap<(String, String), u32>,
    pub usage: BTreeMap<String, Usage>,
}

/// The shares of one principal, sorted by ARN.
pub type ShareList = Vec<Listed>;

/// A share in a principal's [`ShareList`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub arn: Arc<str>,
    pub handle: Handle,
    /// Whether the principal's association is ASSOCIATED (not still
    /// ASSOCIATING, waiting for an invitation to be accepted). A receiver
    /// named by its account id is granted a share by this alone, without
    /// reading the share's principals (`access::Visible`); it takes no room
    /// of its own (the handle leaves four bytes of padding).
    pub associated: bool,
}

/// What an account uses against its quotas.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub shares: usize,
    pub resource_associations: usize,
    pub principal_associations: usize,
}

/// Whether principal id `id` (as the index holds it) is an organization's
/// or an OU's ARN (`arn:<partition>:organizations::...`).
fn is_organization_arn(id: &str) -> bool {
    id.split(':').nth(2) == Some("organizations")
}

/// An owned (key, share ARN) pair to look up or range over.
fn pair(key: &str, share_arn: &str) -> (Arc<str>, Arc<str>) {
    (Arc::from(key), Arc::from(share_arn))
}

/// The lowest pair whose key is `key`.
fn first_of(key: &str) -> (Arc<str>, Arc<str>) {
    pair(key, "")
}

impl ShareIndex {
    pub fn usage(&self, account: &str) -> Usage {
        self.usage.get(account).copied().unwrap_or_default()
    }

    pub fn usage_mut(&mut self, owner: &str) -> &mut Usage {
        if !self.usage.contains_key(owner) {
            self.usage.insert(owner.to_string(), Usage::default());
        }
        self.usage.get_mut(owner).expect("just inserted")
    }

    /// The principal id as an `Arc<str>`, the one the index already holds
    /// when some share has the principal: an account named in many shares
    /// is stored once.
    pub fn intern_principal(&self, id: &str) -> Arc<str> {
        match self.principal_list(id) {
            Some((p, _)) => p.clone(),
            None => Arc::from(id),
        }
    }

    /// Whether any share names an organization or an OU (live).
    pub fn names_organizations(&self) -> bool {
        self.organization_ids > 0
    }

    /// Principal `id` as the index holds it, with its (share ARN, handle)
    /// list, if any share has it.
    pub fn principal_list(&self, id: &str) -> Option<(&Arc<str>, &ShareList)> {
        match account_number(id) {
            Some(n) => self.by_account.get(&n).map(|(id, list)| (id, list)),
            None => self.by_principal.get_key_value(id),
        }
    }

    /// The (share ARN, handle) list of principal `id`, if any share has it.
    fn principal_list_mut(&mut self, id: &str) -> Option<&mut ShareList> {
        match account_number(id) {
            Some(n) => self.by_account.get_mut(&n).map(|(_, list)| list),
            None => self.by_principal.get_mut(id),
        }
    }

    /// Adds (principal, share); false if it was there.
    fn insert_principal_pair(
        &mut self,
        id: &Arc<str>,
        share_arn: &Arc<str>,
        h: Handle,
        associated: bool,
    ) -> bool {
        let shares = match account_number(id) {
            Some(n) => {
                &mut self
                    .by_account
                    .entry(n)
                    .or_insert_with(|| (id.clone(), Vec::new()))
                    .1
            }
            None => match self.by_principal.entry(id.clone()) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    self.organization_ids += usize::from(is_organization_arn(id));
                    e.insert(Vec::new())
                }
            },
        };
        match shares.binary_search_by(|l| l.arn.cmp(share_arn)) {
            Ok(_) => false,
            Err(at) => {
                shares.insert(
                    at,
                    Listed {
                        arn: share_arn.clone(),
                        handle: h,
                        associated,
                    },
                );
                self.principal_pairs += 1;
                true
            }
        }
    }

    /// Indexes principal `id` of share `share_arn` (handle `h`), whose
    /// association has just become live, ASSOCIATED or (`associated`
    /// false) ASSOCIATING.
    pub fn index_principal(
        &mut self,
        owner: &str,
        share_arn: &Arc<str>,
        h: Handle,
        id: &Arc<str>,
        associated: bool,
    ) {
        if self.insert_principal_pair(id, share_arn, h, associated) {
            self.usage_mut(owner).principal_associations += 1;
        }
    }

    /// Records that the indexed association of principal `id` with share
    /// `share_arn` went from ASSOCIATING to ASSOCIATED.
    pub fn principal_associated(&mut self, share_arn: &str, id: &str) {
        let Some(shares) = self.principal_list_mut(id) else {
            return;
        };
        if let Ok(at) = shares.binary_search_by(|l| (*l.arn).cmp(share_arn)) {
            shares[at].associated = true;
        }
    }

    pub fn unindex_principal(&mut self, owner: &str, share_arn: &str, id: &str) {
        let Some(shares) = self.principal_list_mut(id) else {
            return;
        };
        let Ok(at) = shares.binary_search_by(|l| (*l.arn).cmp(share_arn)) else {
            return;
        };
        shares.remove(at);
        if shares.is_empty() {
            if let Some(n) = account_number(id) {
                self.by_account.remove(&n);
            } else {
                self.by_principal.remove(id);
                self.organization_ids -= usize::from(is_organization_arn(id));
            }
        }
        self.principal_pairs -= 1;
        let u = self.usage_mut(owner);
        u.principal_associations = u.principal_associations.saturating_sub(1);
    }

    /// Live (principal, share) and (resource, share) pairs.
    pub fn associations(&self) -> usize {
        self.principal_pairs + self.resource_pairs
    }

    /// Files resource `arn` under the share with handle `h`.
    fn insert_resource_pair(&mut self, h: Handle, arn: &str) {
        self.by_resource.insert(arn_hash(arn), h);
        self.resource_pairs += 1;
    }

    /// Indexes resource `arn` of the share with handle `h`, whose
    /// association has just become live (it was not before: an entry
    /// counts the share's live resources under one hash).
    pub fn index_resource(&mut self, owner: &str, h: Handle, arn: &str) {
        self.insert_resource_pair(h, arn);
        self.usage_mut(owner).resource_associations += 1;
    }

    /// Takes resource `arn` of the share with handle `h` out of
    /// `by_resource`; false if it was not filed.
    fn remove_resource_pair(&mut self, h: Handle, arn: &str) -> bool {
        if !self.by_resource.remove(arn_hash(arn), h) {
            return false;
        }
        self.resource_pairs -= 1;
        true
    }

    /// Removes resource `arn` of the share with handle `h`, whose
    /// association was live and ends now.
    pub fn unindex_resource(&mut self, owner: &str, h: Handle, arn: &str) {
        if self.remove_resource_pair(h, arn) {
            let u = self.usage_mut(owner);
            u.resource_associations = u.resource_associations.saturating_sub(1);
        }
    }

    /// The permission ARN as the index already holds it, or a new one.
    fn intern_permission(&self, arn: &str) -> Arc<str> {
        match self.by_permission.range(first_of(arn)..).next() {
            Some(((p, _), _)) if &**p == arn => p.clone(),
            _ => Arc::from(arn),
        }
    }

    pub fn index_permission(&mut self, share_arn: &Arc<str>, p: &AttachedPermission) {
        let key = self.intern_permission(&p.arn);
        self.by_permission
            .insert((key, share_arn.clone()), p.version);
    }

    pub fn unindex_permission(&mut self, share_arn: &str, p: &AttachedPermission) {
        self.by_permission.remove(&pair(&p.arn, share_arn));
    }

    /// Recomputes the sets from the shares (after loading a snapshot),
    /// exactly as the `index_*` calls built them. Shares come in ARN order,
    /// so every principal's list grows at its end.
    pub fn rebuild(&mut self, shares: &ShareMap) {
        self.by_account.clear();
        self.by_principal.clear();
        self.principal_pairs = 0;
        self.organization_ids = 0;
        self.by_resource.clear();
        self.resource_pairs = 0;
        self.by_permission.clear();
        // The quota usage (kept in snapshots) counts the live resource
        // associations already: room for all of them, without rehashing.
        let resources = self.usage.values().map(|u| u.resource_associations).sum();
        self.by_resource.reserve(resources);
        for (h, share) in shares.with_handles().filter(|(_, s)| s.is_live()) {
            for (id, p) in share.principals.iter() {
                if p.assoc.status.is_live() {
                    let associated = p.assoc.status == AssociationStatus::Associated;
                    self.insert_principal_pair(id, &share.arn, h, associated);
                }
            }
            for (arn, r) in share.resources.iter() {
                if r.assoc.status.is_live() {
                    self.insert_resource_pair(h, arn);
                }
            }
            for p in share.permissions.values() {
                self.index_permission(&share.arn, p);
            }
        }
    }

    /// The shares that have principal `id` live, in ARN order.
    pub fn shares_of_principal(&self, id: &str) -> &[Listed] {
        self.principal_list(id)
            .map_or(&[], |(_, list)| list.as_slice())
    }

    /// Every (principal id, share ARN, handle) whose principal id starts
    /// with `prefix`, which is not an account id (IAM principals of an
    /// account, say).
    pub fn principals_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str, Handle)> + 'a {
        self.by_principal
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(p, _)| p.starts_with(prefix))
            .flat_map(|(p, shares)| shares.iter().map(move |l| (&**p, &*l.arn, l.handle)))
    }

    /// The live shares (in `shares`, the map this index describes) filed
    /// under the hash of resource `arn`, in no particular order, with one
    /// probe: every share that holds `arn` live, and in the rare case of a
    /// collision others, which the caller weeds out with
    /// [`ResourceShare::holds_live`] (after reading what else it needs of
    /// the shares, so the reads overlap). A share whose resources collide
    /// with each other comes once for each; callers drop repeats.
    pub fn resource_candidates<'a>(
        &'a self,
        shares: &'a ShareMap,
        arn: &str,
    ) -> impl Iterator<Item = &'a ResourceShare> + 'a {
        self.by_resource
            .handles(arn_hash(arn))
            .filter_map(move |h| shares.at(h))
            .map(|s| &**s)
    }

    /// The indexes with every handle replaced by its share's ARN: handles
    /// differ between a live state and the same state loaded from a
    /// snapshot, so this is how two indexes compare. It also checks that
    /// every handle names the share its entry says, and panics if one does
    /// not (a corrupt index).
    pub fn resolved(&self, shares: &ShareMap) -> ResolvedIndex {
        let arn_at = |h: Handle| -> String {
            shares
                .at(h)
                .map(|s| s.arn.to_string())
                .unwrap_or_else(|| panic!("index handle {h} names no share"))
        };
        let mut principals = BTreeMap::new();
        let accounts = self.by_account.values().map(|(id, list)| (id, list));
        for (id, list) in accounts.chain(&self.by_principal) {
            let arns: Vec<(String, bool)> = list
                .iter()
                .map(|l| {
                    let h = l.handle;
                    assert_eq!(arn_at(h), *l.arn, "principal {id}: handle {h}");
                    (l.arn.to_string(), l.associated)
                })
                .collect();
            principals.insert(id.to_string(), arns);
        }
        ResolvedIndex {
            principals,
            principal_pairs: self.principal_pairs,
            organization_ids: self.organization_ids,
            resources: {
                // (tag, handle) -> entries; each must be the share's live
                // resources with that tag.
                let mut filed: BTreeMap<(u32, Handle), usize> = BTreeMap::new();
                for (tag, h) in self.by_resource.iter() {
                    *filed.entry((tag, h)).or_default() += 1;
                }
                filed
                    .into_iter()
                    .flat_map(|((tag, h), n)| {
                        let share = shares
                            .at(h)
                            .unwrap_or_else(|| panic!("index handle {h} names no share"));
                        let live: Vec<(String, String)> = share
                            .resources
                            .iter()
                            .filter(|(arn, r)| {
                                r.assoc.status.is_live()
                                    && resource_table::tag_of(arn_hash(arn)) == tag
                            })
                            .map(|(arn, _)| (arn.to_string(), share.arn.to_string()))
                            .collect();
                        assert_eq!(
                            live.len(),
                            n,
                            "share {}: live resources under tag {tag:#x}",
                            share.arn
                        );
                        live
                    })
                    .collect()
            },
            permissions: self
                .by_permission
                .iter()
                .map(|((p, s), v)| ((p.to_string(), s.to_string()), *v))
                .collect(),
            usage: self.usage.iter().map(|(a, u)| (a.clone(), *u)).collect(),
        }
    }

    /// (share ARN, version) of every share using `permission_arn`.
    pub fn shares_of_permission<'a>(
        &'a self,
        permission_arn: &'a str,
    ) -> impl Iterator<Item = (&'a str, u32)> + 'a {
        self.by_permission
            .range(first_of(permission_arn)..)
            .take_while(move |((p, _), _)| &**p == permission_arn)
            .map(|((_, s), v)| (&**s, *v))
    }
}

/// The share ARN prefix of an owner's shares.
pub fn owner_prefix(state: &State, owner: &str) -> String {
    format!(
        "arn:{}:ram:{}:{}:resource-share/",
        state.config.partition, state.config.region, owner
    )
}

/// The shares `owner` owns, in ARN order, from `start` (a share ARN bound;
/// `Unbounded` for all). A range scan: the cost follows what is returned.
pub fn owned<'a>(
    state: &'a State,
    owner: &str,
    start: std::ops::Bound<&str>,
) -> impl Iterator<Item = &'a ResourceShare> + 'a {
    use std::ops::Bound;
    let prefix = owner_prefix(state, owner);
    let start = match start {
        Bound::Excluded(a) if a >= prefix.as_str() => Bound::Excluded(a),
        Bound::Included(a) if a >= prefix.as_str() => Bound::Included(a),
        _ => Bound::Included(prefix.as_str()),
    };
    state
        .shares
        .range((start, Bound::Unbounded))
        .take_while(move |(k, _)| k.starts_with(&prefix))
        .map(|(_, s)| &**s)
}

fn share_not_found(arn: &str) -> Error {
    Error::UnknownResource(format!("ResourceShare {arn} could not be found."))
}

/// Finds a share by ARN for its owner; anyone else is told it does not exist.
pub fn resolve_owned<'a>(state: &'a State, ctx: &Ctx, arn: &str) -> Result<&'a ResourceShare> {
    if arn.is_empty() {
        return Err(Error::missing("resourceShareArn"));
    }
    ResourceShareArn::parse(arn)?;
    match state.shares.get(arn) {
        Some(s) if s.owner == ctx.account => Ok(s),
        _ => Err(share_not_found(arn)),
    }
}

/// Finds a share the caller owns or that is shared with it.
pub fn resolve_visible<'a>(state: &'a State, ctx: &Ctx, arn: &str) -> Result<&'a ResourceShare> {
    if arn.is_empty() {
        return Err(Error::missing("resourceShareArn"));
    }
    ResourceShareArn::parse(arn)?;
    match state.shares.get(arn) {
        Some(s) if s.owner == ctx.account || access::reaches(state, s, &ctx.account) => Ok(s),
        _ => Err(share_not_found(arn)),
    }
}

/// Resolves a share the caller owns for a change: it must be live and
/// STANDARD (a CREATED_FROM_POLICY share is changed only through its policy).
pub fn resolve_for_change<'a>(state: &'a State, ctx: &Ctx, arn: &str) -> Result<&'a ResourceShare> {
    if arn.is_empty() {
        return Err(Error::missing("resourceShareArn"));
    }
    ResourceShareArn::parse(arn)?;
    let share = match state.shares.get(arn) {
        Some(s) if s.owner == ctx.account => s,
        Some(s) if access::reaches(state, s, &ctx.account) => {
            return Err(Error::OperationNotPermitted(format!(
                "Only the owner of resource share {arn} can change it."
            )))
        }
        _ => return Err(share_not_found(arn)),
    };
    if !share.is_live() {
        return Err(Error::InvalidStateTransition(format!(
            "The resource share {arn} is {:?} and can no longer change.",
            share.status
        )));
    }
    if share.feature_set != FeatureSet::Standard {
        return Err(Error::OperationNotPermitted(format!(
            "The resource share {arn} was created from a resource-based policy and can't be changed through RAM. Promote it with PromoteResourceShareCreatedFromPolicy first."
        )));
    }
    Ok(share)
}

/// Checks a share name: 1 to 255 letters, digits, spaces, `.`, `_` and `-`.
pub fn validate_share_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::missing("name"));
    }
    if name.chars().count() > 255
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'))
    {
        return Err(Error::InvalidParameter(format!(
            "The resource share name {name:?} is not valid: a name has 1 to 255 letters, numbers, spaces, periods, underscores and hyphens."
        )));
    }
    Ok(())
}

/// What the API reports about a share (`ResourceShare`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareInfo {
    pub arn: String,
    pub name: String,
    pub owning_account_id: String,
    pub allow_external_principals: bool,
    pub status: ShareStatus,
    pub status_message: Option<String>,
    pub tags: Tags,
    pub creation_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
    pub feature_set: FeatureSet,
    pub retain_sharing_on_account_leave_organization: Option<bool>,
}

impl From<&ResourceShare> for ShareInfo {
    fn from(s: &ResourceShare) -> ShareInfo {
        ShareInfo {
            arn: s.arn.to_string(),
            name: s.name.clone(),
            owning_account_id: s.owner.clone(),
            allow_external_principals: s.allow_external_principals,
            status: s.status,
            status_message: s.status_message.clone(),
            tags: s.tags.clone(),
            creation_time: s.creation_time,
            last_updated_time: s.last_updated_time,
            feature_set: s.feature_set,
            retain_sharing_on_account_leave_organization: s
                .retain_sharing_on_account_leave_organization,
        }
    }
}

/// Permission ARN and template parameter values given when attaching.
pub type ParameterValues = Vec<(String, Vec<String>)>;

/// Input of CreateResourceShare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateResourceShareInput {
    pub name: String,
    pub entities: Entities,
    pub tags: Vec<(String, String)>,
    pub allow_external_principals: Option<bool>,
    pub permission_arns: Vec<String>,
    /// Template parameter values per permission ARN.
    pub permission_parameters: Vec<(String, ParameterValues)>,
    pub retain_sharing_on_account_leave_organization: Option<bool>,
}

/// Resolves the permissions a caller names for a share: each must exist, be
/// visible, attachable and STANDARD, at most one per resource type; returns
/// them by resource type.
pub fn choose_permissions(
    state: &State,
    ctx: &Ctx,
    arns: &[String],
    parameters: &[(String, ParameterValues)],
) -> Result<BTreeMap<String, AttachedPermission>> {
    let mut chosen: BTreeMap<String, AttachedPermission> = BTreeMap::new();
    for (arn, _) in parameters {
        if !arns.contains(arn) {
            return Err(Error::InvalidParameter(format!(
                "Template parameter values are given for {arn}, which is not in permissionArns."
            )));
        }
    }
    for arn in arns {
        let p = match permissions::resolve(state, ctx, arn) {
            Ok(p) => p,
            Err(Error::UnknownResource(_)) => {
                return Err(Error::InvalidParameter(format!(
                    "The permission {arn} does not exist."
                )))
            }
            Err(e) => return Err(e),
        };
        let values = parameters
            .iter()
            .find(|(a, _)| a == arn)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let attached = attachable(&p, &values, ctx)?;
        let rt = p.resource_type().to_string();
        if chosen.contains_key(&rt) {
            return Err(Error::InvalidParameter(format!(
                "Only one permission per resource type can be attached to a resource share; two were given for {rt}."
            )));
        }
        chosen.insert(rt, attached);
    }
    Ok(chosen)
}

/// Checks that a permission can be newly attached by the caller (AWS
/// managed, or a customer managed permission it owns; its default version,
/// ATTACHABLE, STANDARD, with values for every template parameter) and
/// returns the attachment.
pub fn attachable(
    p: &PermissionRef<'_>,
    values: &ParameterValues,
    ctx: &Ctx,
) -> Result<AttachedPermission> {
    let now = ctx.now;
    let arn = p.arn();
    if let PermissionRef::Customer(c) = p {
        if c.owner != ctx.account {
            return Err(Error::OperationNotPermitted(format!(
                "The permission {arn} is shared with your account by its owner; only the owner can attach it to resource shares."
            )));
        }
        if c.feature_set != FeatureSet::Standard {
            return Err(Error::OperationNotPermitted(format!(
                "The permission {arn} was created from a resource-based policy and can't be attached to other resource shares."
            )));
        }
    }
    if p.status() == PermissionStatus::Deprecated {
        return Err(Error::InvalidParameter(format!(
            "The permission {arn} is deprecated and can't be attached to resource shares."
        )));
    }
    let version = p.default_version();
    let (_, decls) = p.template(version).expect("default version exists");
    crate::core::policy::validate_parameter_values(decls, values)?;
    Ok(AttachedPermission::new(arn, version, values.clone(), now))
}

/// CreateResourceShare: a new STANDARD share owned by the caller, with its
/// resources, principals, sources and permissions.
pub fn create_resource_share(
    state: &mut State,
    ctx: &Ctx,
    input: CreateResourceShareInput,
) -> Result<ShareInfo> {
    validate_share_name(&input.name)?;
    let tags = tags::apply_tags(&Tags::new(), &input.tags)?;
    let explicit = choose_permissions(
        state,
        ctx,
        &input.permission_arns,
        &input.permission_parameters,
    )?;
    let usage = state.index.usage(&ctx.account);
    if usage.shares >= state.config.limits.shares_per_account {
        return Err(Error::ResourceShareLimitExceeded(format!(
            "The account already has the maximum of {} resource shares in this Region.",
            state.config.limits.shares_per_account
        )));
    }
    let arn: Arc<str> = Arc::from(new_share_arn(state, ctx, &ctx.account));
    let share = ResourceShare {
        arn: arn.clone(),
        name: input.name,
        owner: ctx.account.clone(),
        allow_external_principals: input.allow_external_principals.unwrap_or(true),
        status: ShareStatus::Active,
        status_message: None,
        feature_set: FeatureSet::Standard,
        tags,
        retain_sharing_on_account_leave_organization: input
            .retain_sharing_on_account_leave_organization,
        creation_time: ctx.now,
        last_updated_time: ctx.now,
        resources: VecMap::new(),
        principals: VecMap::new(),
        sources: VecMap::new(),
        permissions: explicit.into_iter().collect(),
    };
    // Validates every entity against the (empty) share and plans the change;
    // nothing in `state` changes until `apply`.
    let plan = associations::plan_associate(state, ctx, &share, &input.entities)?;
    Ok(ShareInfo::from(&*add_share(state, ctx, share, plan)))
}

/// Stores a new share: counts it against its owner's quota, indexes its
/// permissions and carries out `plan` (made against the empty share).
pub fn add_share(
    state: &mut State,
    ctx: &Ctx,
    mut share: ResourceShare,
    plan: associations::Plan,
) -> Arc<ResourceShare> {
    state.index.usage_mut(&share.owner).shares += 1;
    for (_, p) in share.permissions.iter_mut() {
        p.link(&state.permissions);
        state.index.index_permission(&share.arn, p);
    }
    // The handle first: the indexes name the share by it.
    let h = state.shares.reserve(share.arn.clone());
    associations::apply_associate(state, ctx, &mut share, h, plan);
    let share = Arc::new(share);
    state.shares.put(h, share.clone());
    share
}

/// The ARN of a new share of `owner`: one no share has (`clock::fresh`; a
/// share that took another's ARN would replace it, with the indexes still
/// naming the old one's entries).
pub fn new_share_arn(state: &State, ctx: &Ctx, owner: &str) -> String {
    let (partition, region) = (&state.config.partition, &state.config.region);
    fresh(
        || ResourceShareArn::new(partition, region, owner, &ctx.ids.uuid()).to_string(),
        |arn| state.shares.handle(arn).is_some(),
    )
}

/// Input of GetResourceShares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetResourceSharesInput {
    pub resource_owner: Option<ResourceOwner>,
    pub resource_share_arns: Vec<String>,
    pub status: Option<ShareStatus>,
    pub name: Option<String>,
    pub tag_filters: Vec<TagFilter>,
    pub permission_arn: Option<String>,
    pub permission_version: Option<i32>,
    pub page: PageInput,
}

/// GetResourceShares: the caller's shares (SELF) or the shares shared with
/// it (OTHER-ACCOUNTS), filtered, in ARN order.
pub fn get_resource_shares(
    state: &State,
    ctx: &Ctx,
    input: GetResourceSharesInput,
) -> Result<Page<ShareInfo>> {
    let owner = input
        .resource_owner
        .ok_or_else(|| Error::missing("resourceOwner"))?;
    if owner == ResourceOwner::OtherAccounts && !input.tag_filters.is_empty() {
        return Err(Error::InvalidParameter(
            "You cannot use resourceOwner set to OTHER-ACCOUNTS and tagFilters in one request. Specify one parameter and try again.".into(),
        ));
    }
    tags::validate_tag_filters(&input.tag_filters)?;
    for arn in &input.resource_share_arns {
        ResourceShareArn::parse(arn)?;
    }
    if let Some(p) = &input.permission_arn {
        crate::core::arn::PermissionArn::parse(p)?;
    }
    if input.permission_version.is_some() && input.permission_arn.is_none() {
        return Err(Error::InvalidParameter(
            "permissionVersion can only be used together with permissionArn.".into(),
        ));
    }
    // Rendered only for a token: a request naming one share has none.
    let query = || {
        format!(
            "{owner:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            input.resource_share_arns,
            input.status,
            input.name,
            input
                .tag_filters
                .iter()
                .map(|f| (&f.tag_key, &f.tag_values))
                .collect::<Vec<_>>(),
            input.permission_arn,
            input.permission_version
        )
    };
    let pager = input
        .page
        .start_deferred(state, ctx, "GetResourceShares", &query)?;
    let after = pager.after().map(str::to_string);
    // Named shares are looked up, once each, not searched for: every one
    // must be the caller's (SELF) or reach it (OTHER-ACCOUNTS), the first
    // that is not (in request order) is the error, and they are listed in
    // ARN order.
    let mut named: BTreeMap<&str, &ResourceShare> = BTreeMap::new();
    for arn in &input.resource_share_arns {
        let share = state
            .shares
            .get(arn.as_str())
            .map(|s| &**s)
            .filter(|s| match owner {
                ResourceOwner::SelfAccount => s.owner == ctx.account,
                ResourceOwner::OtherAccounts => access::reaches(state, s, &ctx.account),
            })
            .ok_or_else(|| share_not_found(arn))?;
        named.insert(arn.as_str(), share);
    }
    let candidates: Box<dyn Iterator<Item = &ResourceShare>> = match owner {
        _ if !named.is_empty() => Box::new(
            named
                .into_iter()
                .filter(|(a, _)| after.as_deref().is_none_or(|x| *a > x))
                .map(|(_, s)| s),
        ),
        ResourceOwner::SelfAccount => Box::new(owned(
            state,
            &ctx.account,
            after
                .as_deref()
                .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
        )),
        // A page reads its shares and the next one (to tell there is more).
        ResourceOwner::OtherAccounts => Box::new(access::visible_shares_from(
            state,
            &ctx.account,
            after
                .as_deref()
                .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
            Batches::first(pager.limit() + 1),
        )),
    };
    let permission_version = input
        .permission_version
        .map(|v| u32::try_from(v).unwrap_or(0));
    let items = candidates
        .filter(|s| input.status.is_none_or(|st| s.status == st))
        .filter(|s| input.name.as_deref().is_none_or(|n| s.name == n))
        .filter(|s| {
            input.tag_filters.is_empty() || tags::matches_tag_filters(&s.tags, &input.tag_filters)
        })
        .filter(|s| {
            input.permission_arn.as_deref().is_none_or(|p| {
                s.permissions
                    .values()
                    .any(|a| a.arn == p && permission_version.is_none_or(|v| a.version == v))
            })
        })
        .map(|s| (s.arn.clone(), ShareInfo::from(s)));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}

/// Input of UpdateResourceShare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateResourceShareInput {
    pub resource_share_arn: String,
    pub name: Option<String>,
    pub allow_external_principals: Option<bool>,
}

/// UpdateResourceShare: renames a share and/or changes whether it may have
/// principals outside the owner's organization.
pub fn update_resource_share(
    state: &mut State,
    ctx: &Ctx,
    input: UpdateResourceShareInput,
) -> Result<ShareInfo> {
    let share = resolve_for_change(state, ctx, &input.resource_share_arn)?;
    if input.name.is_none() && input.allow_external_principals.is_none() {
        return Err(Error::MissingRequiredParameter(
            "UpdateResourceShare needs name or allowExternalPrincipals.".into(),
        ));
    }
    if let Some(name) = &input.name {
        validate_share_name(name)?;
    }
    if input.allow_external_principals == Some(false) && share.allow_external_principals {
        if !access::org_sharing_available(state, &share.owner) {
            return Err(Error::OperationNotPermitted(
                "The resource you are attempting to share can only be shared within your AWS Organization. This error may also occur if you have not enabled sharing with your AWS organization, or that onboarding process is still in progress.".into(),
            ));
        }
        if share
            .principals
            .values()
            .any(|p| p.assoc.status.is_live() && p.external)
        {
            return Err(Error::OperationNotPermitted(format!(
                "The resource share {} has principals outside your organization. Disassociate them before you disallow external principals.",
                share.arn
            )));
        }
    }
    let share = state
        .shares
        .get_mut(input.resource_share_arn.as_str())
        .map(Arc::make_mut)
        .expect("resolved share exists");
    if let Some(name) = input.name {
        share.name = name;
    }
    if let Some(allow) = input.allow_external_principals {
        share.allow_external_principals = allow;
    }
    share.last_updated_time = ctx.now;
    Ok(ShareInfo::from(&*share))
}

/// Input of DeleteResourceShare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteResourceShareInput {
    pub resource_share_arn: String,
}

/// DeleteResourceShare: ends every association, withdraws pending
/// invitations and leaves the share visible as DELETED for two hours.
pub fn delete_resource_share(
    state: &mut State,
    ctx: &Ctx,
    input: DeleteResourceShareInput,
) -> Result<bool> {
    resolve_for_change(state, ctx, &input.resource_share_arn)?;
    end_share(state, ctx, &input.resource_share_arn);
    Ok(true)
}

/// Deletes a share: ends every association, withdraws pending invitations,
/// marks it DELETED and schedules its purge.
pub fn end_share(state: &mut State, ctx: &Ctx, arn: &str) {
    change_share(state, arn, |state, share, h| {
        let owner = share.owner.clone();
        let ended = Some("The resource share was deleted.".to_string());
        for (id, p) in share.principals.iter_mut() {
            if p.assoc.status.is_live() {
                state.index.unindex_principal(&owner, arn, id);
                p.assoc
                    .set(AssociationStatus::Disassociated, ended.clone(), ctx.now);
            }
            if let Some(inv) = p.invitation.take() {
                crate::core::invitations::withdraw(state, &inv);
            }
        }
        for (r, a) in share.resources.iter_mut() {
            if a.assoc.status.is_live() {
                state.index.unindex_resource(&owner, h, r);
                a.assoc
                    .set(AssociationStatus::Disassociated, ended.clone(), ctx.now);
            }
        }
        for s in share.sources.values_mut() {
            if s.assoc.status.is_live() {
                s.assoc
                    .set(AssociationStatus::Disassociated, ended.clone(), ctx.now);
            }
        }
        for (_, p) in share.permissions.iter_mut() {
            state.index.unindex_permission(arn, p);
            // A deleted share grants nothing, and its permission may be
            // deleted now: it keeps no version alive.
            p.linked = None;
        }
        if let Some(u) = state.index.usage.get_mut(&owner) {
            u.shares = u.shares.saturating_sub(1);
        }
        share.status = ShareStatus::Deleted;
        share.last_updated_time = ctx.now;
        state.timers.schedule(
            ctx.now + Duration::hours(DELETED_RETENTION_HOURS),
            crate::core::timers::Timer::PurgeShare(arn.to_string()),
        );
    });
}

/// Runs `change` on the share `arn` taken out of the state, so that it can
/// change the share and the rest of the state (indexes, invitations, timers)
/// together, then puts the share back; `None` when there is no such share.
/// While `change` runs, `state.shares` finds no share `arn`, but the share
/// keeps its handle, which `change` gets for the index entries it writes.
pub fn change_share<R>(
    state: &mut State,
    arn: &str,
    change: impl FnOnce(&mut State, &mut ResourceShare, Handle) -> R,
) -> Option<R> {
    let (h, share) = state.shares.take(arn)?;
    let mut share = Arc::unwrap_or_clone(share);
    let out = change(state, &mut share, h);
    state.shares.put(h, Arc::new(share));
    Some(out)
}

/// Removes a deleted share for good (its retention is over).
pub fn purge(state: &mut State, arn: &str) {
    if state
        .shares
        .get(arn)
        .is_some_and(|s| s.status == ShareStatus::Deleted)
    {
        state.shares.remove(arn);
    }
}

/// The tags of a share the caller owns, for TagResource / UntagResource.
pub fn tags_mut<'a>(state: &'a mut State, ctx: &Ctx, arn: &str) -> Result<&'a mut Tags> {
    resolve_for_change(state, ctx, arn)?;
    let share = state
        .shares
        .get_mut(arn)
        .map(Arc::make_mut)
        .expect("resolved share exists");
    Ok(&mut share.tags)
}

/// A key for ordering (share, entity) rows.
pub fn row_key(share_arn: &str, entity: &str) -> String {
    join_key(&[share_arn, entity])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing;

    const OWNER: &str = "111122223333";
    const MEMBER: &str = "444455556666";

    fn project(n: u32) -> String {
        format!("arn:aws:codebuild:us-east-1:{OWNER}:project/p{n}")
    }

    fn share_of(state: &mut State, seed: u64, resources: &[String]) -> String {
        create_resource_share(
            state,
            &Ctx::new(OWNER, testing::t0(), seed),
            CreateResourceShareInput {
                name: format!("s{seed}"),
                entities: Entities {
                    resource_arns: resources.to_vec(),
                    principals: vec![MEMBER.to_string()],
                    sources: Vec::new(),
                },
                ..Default::default()
            },
        )
        .unwrap()
        .arn
    }

    /// The shares holding `resource`, found as GetResourcePolicies finds
    /// them.
    fn holders(state: &State, resource: &str) -> Vec<String> {
        let mut arns: Vec<String> = state
            .index
            .resource_candidates(&state.shares, resource)
            .filter(|s| s.holds_live(resource))
            .map(|s| s.arn.to_string())
            .collect();
        arns.sort();
        arns.dedup();
        arns
    }

    #[test]
    fn the_owner_is_read_from_the_arn() {
        let (mut state, _, _) = testing::org_with_member(OWNER, MEMBER);
        let arn = share_of(&mut state, 1, &[]);
        let share = state.shares.get(&arn).unwrap();
        assert!(share.owned_by(OWNER));
        assert!(!share.owned_by(MEMBER));
        assert!(!share.owned_by(""));
    }

    #[test]
    fn a_new_share_never_takes_an_existing_shares_arn() {
        // Ids come from the request's seed: the same seed draws the same
        // ARN first, which must not replace the share that has it.
        let (mut state, _, _) = testing::org_with_member(OWNER, MEMBER);
        let first = share_of(&mut state, 1, &[project(1)]);
        let second = share_of(&mut state, 1, &[]);
        assert_ne!(first, second);
        assert_eq!(state.shares.len(), 2);
        assert_eq!(holders(&state, &project(1)), std::slice::from_ref(&first));
        let rebuilt = State::from_snapshot(state.config.clone(), &state.to_snapshot()).unwrap();
        assert_eq!(
            rebuilt.index.resolved(&rebuilt.shares),
            state.index.resolved(&state.shares)
        );
    }

    #[test]
    fn resources_are_found_by_hash_and_checked_against_the_share() {
        let (mut state, _, _) = testing::org_with_member(OWNER, MEMBER);
        let a = share_of(&mut state, 1, &[project(1), project(2)]);
        let b = share_of(&mut state, 2, &[project(2)]);
        assert_eq!(holders(&state, &project(1)), std::slice::from_ref(&a));
        let mut both = vec![a.clone(), b.clone()];
        both.sort();
        assert_eq!(holders(&state, &project(2)), both);
        assert!(holders(&state, &project(3)).is_empty());
        assert_eq!(state.index.associations(), 3 + 2);

        // A collision: share b filed under the hash of a resource it does
        // not hold is a candidate, and is weeded out.
        let hb = state.shares.handle(&b).unwrap();
        state.index.insert_resource_pair(hb, &project(1));
        assert_eq!(
            state
                .index
                .resource_candidates(&state.shares, &project(1))
                .count(),
            2
        );
        assert_eq!(holders(&state, &project(1)), std::slice::from_ref(&a));
        state.index.remove_resource_pair(hb, &project(1));

        // Ending one association keeps the other share's.
        let ctx = Ctx::new(OWNER, testing::t0(), 3);
        associations::disassociate_resource_share(
            &mut state,
            &ctx,
            associations::ShareEntitiesInput {
                resource_share_arn: a.clone(),
                entities: Entities {
                    resource_arns: vec![project(2)],
                    principals: Vec::new(),
                    sources: Vec::new(),
                },
            },
        )
        .unwrap();
        assert_eq!(holders(&state, &project(2)), std::slice::from_ref(&b));
        assert_eq!(holders(&state, &project(1)), [a]);
        let mut rebuilt = state.index.clone();
        rebuilt.rebuild(&state.shares);
        assert_eq!(
            rebuilt.resolved(&state.shares),
            state.index.resolved(&state.shares)
        );
    }
}
