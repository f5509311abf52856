//! `PermissionMap`: the customer managed permissions, by ARN in order and
//! by ARN hashed.
//!
//! Listings walk the permissions in ARN order (an account's own are one
//! prefix range), so the map is ordered and persistent (`imbl`): a snapshot
//! copies it in O(1). Point look-ups are far more frequent: every
//! GetPermission, and every policy document GetResourcePolicies writes,
//! finds the permission of an ARN. In the ordered map that is a search
//! through tens of thousands of ARNs that share their first 20–40 bytes,
//! each compare behind its own pointer. So the map also keeps a hash table
//! of the same permissions, found with one probe and one compare.
//!
//! Both hold the same `Arc<Permission>`. A change goes through
//! [`PermissionMut`], which takes the permission out of the table, makes
//! the ordered map's copy its own (copying it if a snapshot still holds
//! it), and puts the changed permission back into the table when dropped,
//! so the two never disagree once a change is over.
//!
//! The table is not persisted (the snapshot encoding is the ordered map's,
//! as it always was) and is rebuilt when a snapshot is read. A copy taken
//! for a snapshot leaves it out ([`PermissionMap::snapshot_copy`]) and
//! finds permissions through the ordered map.

use std::fmt;
use std::ops::{Bound, Deref, DerefMut};
use std::sync::Arc;

use hashbrown::HashTable;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::core::arn::arn_hash;
use crate::core::permissions::Permission;

/// The customer managed permissions, by ARN.
#[derive(Clone, Default)]
pub struct PermissionMap {
    by_arn: imbl::OrdMap<String, Arc<Permission>>,
    /// The same permissions, hashed by ARN (empty in snapshot copies).
    by_hash: HashTable<Arc<Permission>>,
    /// Whether `by_hash` holds every permission (false in snapshot copies).
    hashed: bool,
}

fn hash_of(p: &Arc<Permission>) -> u64 {
    arn_hash(&p.arn)
}

impl PermissionMap {
    pub fn new() -> PermissionMap {
        PermissionMap {
            hashed: true,
            ..PermissionMap::default()
        }
    }

    /// A copy for encoding a snapshot: the ordered map only, taken in O(1).
    /// Look-ups on it still work, through the ordered map.
    pub fn snapshot_copy(&self) -> PermissionMap {
        PermissionMap {
            by_arn: self.by_arn.clone(),
            by_hash: HashTable::new(),
            hashed: false,
        }
    }

    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_arn.is_empty()
    }

    /// The permission with this ARN.
    pub fn get(&self, arn: &str) -> Option<&Permission> {
        if !self.hashed {
            return self.by_arn.get(arn).map(|p| &**p);
        }
        self.by_hash
            .find(arn_hash(arn), |p| p.arn == arn)
            .map(|p| &**p)
    }

    pub fn contains_key(&self, arn: &str) -> bool {
        self.get(arn).is_some()
    }

    /// Adds a permission (or replaces the one with its ARN).
    pub fn insert(&mut self, permission: Permission) {
        let permission = Arc::new(permission);
        let replaced = self
            .by_arn
            .insert(permission.arn.clone(), permission.clone());
        let hash = hash_of(&permission);
        if replaced.is_some() {
            if let Ok(entry) = self.by_hash.find_entry(hash, |p| p.arn == permission.arn) {
                entry.remove();
            }
        }
        if self.hashed {
            self.by_hash.insert_unique(hash, permission, hash_of);
        }
    }

    /// Removes the permission with this ARN.
    pub fn remove(&mut self, arn: &str) -> Option<Arc<Permission>> {
        if let Ok(entry) = self.by_hash.find_entry(arn_hash(arn), |p| p.arn == arn) {
            entry.remove();
        }
        self.by_arn.remove(arn)
    }

    /// The permission with this ARN, to change (its ARN must stay).
    pub fn get_mut(&mut self, arn: &str) -> Option<PermissionMut<'_>> {
        let slot = self.by_arn.get_mut(arn)?;
        if let Ok(entry) = self.by_hash.find_entry(arn_hash(arn), |p| p.arn == arn) {
            entry.remove();
        }
        // Unshared from here on: the table no longer holds it, and a
        // snapshot that does keeps its own copy.
        Arc::make_mut(slot);
        Some(PermissionMut {
            slot,
            table: self.hashed.then_some(&mut self.by_hash),
        })
    }

    /// Every permission, in ARN order.
    pub fn values(&self) -> impl Iterator<Item = &Permission> + '_ {
        self.by_arn.values().map(|p| &**p)
    }

    /// (ARN, permission) in ARN order, from `start`.
    pub fn range_from(&self, start: Bound<&str>) -> impl Iterator<Item = (&str, &Permission)> + '_ {
        self.by_arn
            .range::<_, str>((start, Bound::Unbounded))
            .map(|(k, p)| (k.as_str(), &**p))
    }
}

/// A permission being changed; the hash table gets it back when this is
/// dropped.
pub struct PermissionMut<'a> {
    slot: &'a mut Arc<Permission>,
    table: Option<&'a mut HashTable<Arc<Permission>>>,
}

impl Deref for PermissionMut<'_> {
    type Target = Permission;

    fn deref(&self) -> &Permission {
        self.slot
    }
}

impl DerefMut for PermissionMut<'_> {
    fn deref_mut(&mut self) -> &mut Permission {
        Arc::get_mut(self.slot).expect("a permission being changed is not shared")
    }
}

impl Drop for PermissionMut<'_> {
    fn drop(&mut self) {
        if let Some(table) = self.table.take() {
            table.insert_unique(hash_of(self.slot), self.slot.clone(), hash_of);
        }
    }
}

impl PartialEq for PermissionMap {
    fn eq(&self, other: &PermissionMap) -> bool {
        self.by_arn == other.by_arn
    }
}

impl Eq for PermissionMap {}

impl fmt::Debug for PermissionMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.by_arn.iter()).finish()
    }
}

/// Encoded as the ordered map (ARN -> permission), as before the table.
impl Serialize for PermissionMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.by_arn.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PermissionMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PermissionMap, D::Error> {
        let by_arn = imbl::OrdMap::<String, Arc<Permission>>::deserialize(d)?;
        let mut by_hash = HashTable::with_capacity(by_arn.len());
        for p in by_arn.values() {
            by_hash.insert_unique(hash_of(p), p.clone(), hash_of);
        }
        Ok(PermissionMap {
            by_arn,
            by_hash,
            hashed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::permissions::FeatureSet;
    use crate::core::testing;

    fn permission(arn: &str) -> Permission {
        Permission {
            arn: arn.to_string(),
            name: "p".into(),
            owner: "111122223333".into(),
            resource_type: "ec2:Subnet".into(),
            feature_set: FeatureSet::Standard,
            deprecated: false,
            versions: Default::default(),
            default_version: 1,
            last_version: 1,
            tags: Default::default(),
            creation_time: testing::t0(),
            last_updated_time: testing::t0(),
        }
    }

    const A: &str = "arn:aws:ram:us-east-1:111122223333:permission/a";
    const B: &str = "arn:aws:ram:us-east-1:111122223333:permission/b";

    #[test]
    fn changes_reach_lookups_and_spare_snapshot_copies() {
        let mut map = PermissionMap::new();
        map.insert(permission(B));
        map.insert(permission(A));
        let copy = map.snapshot_copy();
        map.get_mut(A).unwrap().deprecated = true;
        // The change is seen by hash and in order; the copy keeps the old.
        assert!(map.get(A).unwrap().deprecated);
        assert!(map.values().next().unwrap().deprecated);
        assert!(!copy.get(A).unwrap().deprecated);
        assert_eq!(copy.get(B).unwrap().arn, B);
        // Inserting over an ARN replaces it in both filings.
        let mut again = permission(A);
        again.name = "again".into();
        map.insert(again);
        assert_eq!(map.get(A).unwrap().name, "again");
        assert_eq!(map.len(), 2);
        assert!(map.remove(A).is_some());
        assert!(map.get(A).is_none() && map.contains_key(B));
        assert_eq!(map.len(), 1);
        let arns: Vec<&str> = map.range_from(Bound::Unbounded).map(|(k, _)| k).collect();
        assert_eq!(arns, [B]);
    }

    #[test]
    fn decodes_from_the_ordered_encoding_with_its_table() {
        let mut map = PermissionMap::new();
        map.insert(permission(A));
        map.insert(permission(B));
        let plain: imbl::OrdMap<String, Permission> =
            map.values().map(|p| (p.arn.clone(), p.clone())).collect();
        let bytes = postcard::to_stdvec(&plain).unwrap();
        assert_eq!(postcard::to_stdvec(&map).unwrap(), bytes);
        let back: PermissionMap = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, map);
        assert!(back.get(A).is_some() && back.get(B).is_some());
    }
}
