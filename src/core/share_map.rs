//! `ShareMap`: the resource shares, by ARN and by handle.
//!
//! Every share has a handle, a small integer naming its slot, fixed for as
//! long as the share exists. The indexes ([`ShareIndex`]) keep the handle
//! next to each share ARN, so a reader that found a share through an index
//! (a receiver's page, the shares holding a resource) reaches it in a few
//! array steps, instead of a seek through a million ARNs: two dozen string
//! compares, each behind its own pointer and most of them cache misses.
//!
//! Copying the map for a snapshot is cheap: the ARN map is persistent
//! (`imbl`) and the slots are chunks of 1024 behind `Arc`s, so a copy takes
//! one pointer per chunk, and a change copies only the chunk it touches
//! while a snapshot still holds the old one. Two levels (a chunk pointer,
//! then the slot inside the chunk's allocation) keep a lookup to two
//! memory reads.
//!
//! Finding a share by its ARN (every request that names one) goes through
//! a hash table of handles instead of the ordered map: in the ordered map
//! that is a search through a million ARNs that share their first 50 bytes,
//! each compare behind its own pointer and most of them cache misses; in
//! the table it is one probe, then the slot and the share's own ARN to
//! compare with. The table holds 8 bytes a share (the ARN's hash folded to
//! 32 bits, and the handle), so a copy for a snapshot leaves it out
//! ([`ShareMap::snapshot_copy`]) and finds shares through the ordered map.
//! An ARN whose handle is reserved or taken out (within one change, under
//! the write lock) has no share in its slot to compare with, so a probe
//! that meets such a handle settles the question in the ordered map.
//!
//! Handles are not persisted: loading a snapshot numbers the shares in ARN
//! order. A purged share's handle is reused by a later share; the indexes
//! never hold a purged share (deleting a share ends every association it
//! indexed first), so no index entry outlives its handle.
//!
//! [`ShareIndex`]: crate::core::shares::ShareIndex

use std::fmt;
use std::ops::{Bound, Index};
use std::sync::Arc;

use hashbrown::HashTable;

use crate::core::arn::arn_hash;
use crate::core::permission_map::PermissionMap;
use crate::core::read_ahead;
use crate::core::shares::ResourceShare;

/// The slot of a share in a [`ShareMap`].
pub type Handle = u32;

/// The shares by ARN (ordered) and by handle.
#[derive(Clone)]
pub struct ShareMap {
    by_arn: imbl::OrdMap<Arc<str>, Handle>,
    slots: Slots,
    /// Handles of purged shares, for reuse.
    free: Vec<Handle>,
    /// The handle of every ARN of `by_arn`, hashed by ARN (empty in
    /// snapshot copies).
    by_hash: HashTable<Hashed>,
    /// Whether `by_hash` holds every ARN (false in snapshot copies).
    hashed: bool,
}

impl Default for ShareMap {
    fn default() -> ShareMap {
        ShareMap {
            by_arn: imbl::OrdMap::new(),
            slots: Slots::default(),
            free: Vec::new(),
            by_hash: HashTable::new(),
            hashed: true,
        }
    }
}

/// An entry of the hash table: the ARN's hash ([`fold`]) and the handle.
#[derive(Debug, Clone, Copy)]
struct Hashed {
    hash: u32,
    handle: Handle,
}

/// The hash of an ARN, folded to 32 bits to keep entries small.
fn fold(arn: &str) -> u32 {
    let h = arn_hash(arn);
    (h ^ (h >> 32)) as u32
}

/// A folded hash as the table takes it: the table picks buckets with the
/// low bits and tags entries with the top seven, so both come from the 32.
fn spread(hash: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(hash)
}

fn spread_of(e: &Hashed) -> u64 {
    spread(e.hash)
}

/// Slots per chunk.
const CHUNK: usize = 1024;

/// The slots, in chunks shared copy-on-write. A chunk is an array inside
/// its `Arc`'s allocation, so the slot of a handle is one read past the
/// chunk pointer (a `Vec` behind the `Arc` would add a read of its header,
/// a cache miss of its own at a million shares).
#[derive(Clone, Default)]
struct Slots {
    chunks: Vec<Arc<Chunk>>,
    len: usize,
}

type Chunk = [Option<Arc<ResourceShare>>; CHUNK];

impl Slots {
    fn get(&self, i: usize) -> Option<&Option<Arc<ResourceShare>>> {
        if i >= self.len {
            return None;
        }
        self.chunks.get(i / CHUNK).map(|c| &c[i % CHUNK])
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Option<Arc<ResourceShare>>> {
        if i >= self.len {
            return None;
        }
        Some(&mut Arc::make_mut(self.chunks.get_mut(i / CHUNK)?)[i % CHUNK])
    }

    fn push_empty(&mut self) -> usize {
        if self.len % CHUNK == 0 {
            self.chunks.push(Arc::new([const { None }; CHUNK]));
        }
        self.len += 1;
        self.len - 1
    }
}

impl ShareMap {
    pub fn new() -> ShareMap {
        ShareMap::default()
    }

    /// How many shares (DELETED ones included until purged).
    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_arn.is_empty()
    }

    /// A copy for encoding a snapshot: the ordered map and the slots, taken
    /// in O(chunks), without the hash table. Look-ups on it still work,
    /// through the ordered map.
    pub fn snapshot_copy(&self) -> ShareMap {
        ShareMap {
            by_arn: self.by_arn.clone(),
            slots: self.slots.clone(),
            free: self.free.clone(),
            by_hash: HashTable::new(),
            hashed: false,
        }
    }

    /// The handle of share `arn`, also while it is taken out
    /// ([`ShareMap::take`]) or reserved ([`ShareMap::reserve`]).
    pub fn handle(&self, arn: &str) -> Option<Handle> {
        if !self.hashed {
            return self.by_arn.get(arn).copied();
        }
        let hash = fold(arn);
        let mut unsettled = false;
        for e in self.by_hash.iter_hash(spread(hash)) {
            if e.hash != hash {
                continue;
            }
            match self.at(e.handle) {
                Some(share) if *share.arn == *arn => return Some(e.handle),
                Some(_) => {}
                // Reserved or taken out: its ARN is in the ordered map only.
                None => unsettled = true,
            }
        }
        if unsettled {
            self.by_arn.get(arn).copied()
        } else {
            None
        }
    }

    /// The share in slot `h`: a few array steps, no string compares.
    pub fn at(&self, h: Handle) -> Option<&Arc<ResourceShare>> {
        self.slots.get(h as usize).and_then(Option::as_ref)
    }

    /// Asks for the slot of `h` ahead of [`ShareMap::at`]
    /// (`read_ahead`): finding the slot reads only the chunk pointers.
    pub fn fetch_slot(&self, h: Handle) {
        if let Some(slot) = self.slots.get(h as usize) {
            read_ahead::fetch(slot);
        }
    }

    /// The share `arn`.
    pub fn get(&self, arn: &str) -> Option<&Arc<ResourceShare>> {
        self.at(self.handle(arn)?)
    }

    /// The share `arn`, to change in place (`Arc::make_mut` copies it only
    /// while a snapshot still holds it).
    pub fn get_mut(&mut self, arn: &str) -> Option<&mut Arc<ResourceShare>> {
        let h = self.handle(arn)?;
        self.slots.get_mut(h as usize)?.as_mut()
    }

    /// The shares whose ARNs fall in `range`, in ARN order.
    pub fn range<'a>(
        &'a self,
        range: (Bound<&str>, Bound<&str>),
    ) -> impl Iterator<Item = (&'a Arc<str>, &'a Arc<ResourceShare>)> + 'a {
        self.by_arn
            .range::<_, str>(range)
            .filter_map(|(arn, h)| Some((arn, self.at(*h)?)))
    }

    /// Every share ARN, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Arc<str>> + '_ {
        self.by_arn.keys()
    }

    /// Every share, in ARN order.
    pub fn values(&self) -> impl Iterator<Item = &Arc<ResourceShare>> + '_ {
        self.by_arn.values().filter_map(|h| self.at(*h))
    }

    /// Every (handle, share), in ARN order.
    pub fn with_handles(&self) -> impl Iterator<Item = (Handle, &Arc<ResourceShare>)> + '_ {
        self.by_arn
            .values()
            .filter_map(|h| Some((*h, self.at(*h)?)))
    }

    /// Gives the new share `arn` a handle; [`ShareMap::get`] finds nothing
    /// until [`ShareMap::put`] fills the slot, but the indexes can name it.
    pub fn reserve(&mut self, arn: Arc<str>) -> Handle {
        if let Some(h) = self.handle(&arn) {
            return h;
        }
        let h = match self.free.pop() {
            Some(h) => h,
            None => Handle::try_from(self.slots.push_empty()).expect("fewer than 2^32 shares"),
        };
        if self.hashed {
            let hash = fold(&arn);
            self.by_hash
                .insert_unique(spread(hash), Hashed { hash, handle: h }, spread_of);
        }
        self.by_arn.insert(arn, h);
        h
    }

    /// Fills the slot `h` (reserved, or emptied by [`ShareMap::take`]).
    pub fn put(&mut self, h: Handle, share: Arc<ResourceShare>) {
        debug_assert_eq!(self.handle(&share.arn), Some(h));
        *self.slots.get_mut(h as usize).expect("a reserved slot") = Some(share);
    }

    /// Takes share `arn` out of its slot; its ARN keeps its handle until
    /// [`ShareMap::put`] brings it back.
    pub fn take(&mut self, arn: &str) -> Option<(Handle, Arc<ResourceShare>)> {
        let h = self.handle(arn)?;
        let share = self.slots.get_mut(h as usize)?.take()?;
        Some((h, share))
    }

    /// Inserts a share under a fresh handle (or replaces the one with its
    /// ARN).
    pub fn insert(&mut self, share: Arc<ResourceShare>) -> Handle {
        let h = self.reserve(share.arn.clone());
        self.put(h, share);
        h
    }

    /// Links every live share's attached permissions to their versions
    /// (`AttachedPermission::link`): after a snapshot decoded them, unlinked
    /// and not shared with anything yet, so nothing is copied.
    pub fn link_permissions(&mut self, permissions: &PermissionMap) {
        for chunk in &mut self.slots.chunks {
            for share in Arc::make_mut(chunk).iter_mut().flatten() {
                if !share.is_live() {
                    continue;
                }
                for (_, a) in Arc::make_mut(share).permissions.iter_mut() {
                    a.link(permissions);
                }
            }
        }
    }

    /// Removes share `arn` for good; its handle becomes free.
    pub fn remove(&mut self, arn: &str) -> Option<Arc<ResourceShare>> {
        let h = self.by_arn.remove(arn)?;
        if let Ok(entry) = self
            .by_hash
            .find_entry(spread(fold(arn)), |e| e.handle == h)
        {
            entry.remove();
        }
        self.free.push(h);
        self.slots.get_mut(h as usize)?.take()
    }
}

impl Index<&str> for ShareMap {
    type Output = Arc<ResourceShare>;

    fn index(&self, arn: &str) -> &Arc<ResourceShare> {
        self.get(arn).expect("no share with this ARN")
    }
}

/// Equal when they hold equal shares under the same ARNs; handles are where
/// a map keeps a share, not part of it.
impl PartialEq for ShareMap {
    fn eq(&self, other: &ShareMap) -> bool {
        self.len() == other.len()
            && self
                .by_arn
                .iter()
                .zip(other.by_arn.iter())
                .all(|((a, h), (b, g))| a == b && self.at(*h) == other.at(*g))
    }
}

impl Eq for ShareMap {}

impl fmt::Debug for ShareMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.by_arn.iter().map(|(arn, h)| (arn, self.at(*h))))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing;

    fn share(arn: &str) -> Arc<ResourceShare> {
        let mut s = testing::empty_share(testing::t0());
        s.arn = Arc::from(arn);
        Arc::new(s)
    }

    #[test]
    fn handles_stay_with_their_share_and_are_reused_after_a_purge() {
        let mut map = ShareMap::new();
        let a = map.insert(share("arn:a"));
        let c = map.insert(share("arn:c"));
        let b = map.insert(share("arn:b"));
        assert_eq!(map.len(), 3);
        assert_eq!(&*map.at(b).unwrap().arn, "arn:b");
        assert_eq!(map.handle("arn:c"), Some(c));
        let arns: Vec<&str> = map.values().map(|s| &*s.arn).collect();
        assert_eq!(arns, ["arn:a", "arn:b", "arn:c"]);

        // Taken out, a share keeps its handle; readers do not see it.
        let (h, taken) = map.take("arn:a").unwrap();
        assert_eq!(h, a);
        assert!(map.get("arn:a").is_none());
        assert_eq!(map.handle("arn:a"), Some(a));
        map.put(h, taken);
        assert!(map.get("arn:a").is_some());

        // A purged share's handle goes to the next new share.
        map.remove("arn:c").unwrap();
        assert!(map.get("arn:c").is_none() && map.handle("arn:c").is_none());
        assert_eq!(map.insert(share("arn:d")), c);
        assert_eq!(&*map.at(c).unwrap().arn, "arn:d");
        let arns: Vec<&str> = map.values().map(|s| &*s.arn).collect();
        assert_eq!(arns, ["arn:a", "arn:b", "arn:d"]);
    }

    /// The hash table finds what the ordered map finds, as shares come and
    /// go and the table grows; a snapshot copy, without the table, too.
    #[test]
    fn look_ups_by_hash_agree_with_the_ordered_map() {
        let arn = |i: usize| format!("arn:aws:ram:us-east-1:111122223333:resource-share/s{i}");
        let mut map = ShareMap::new();
        for i in 0..3000 {
            map.insert(share(&arn(i)));
        }
        for i in (0..3000).step_by(3) {
            map.remove(&arn(i)).unwrap();
        }
        for i in 3000..3500 {
            map.insert(share(&arn(i)));
        }
        let copy = map.snapshot_copy();
        assert!(copy.by_hash.is_empty());
        for i in 0..4000 {
            let expected = map.by_arn.get(arn(i).as_str()).copied();
            assert_eq!(
                expected.is_some(),
                (3000..3500).contains(&i) || i < 3000 && i % 3 != 0
            );
            assert_eq!(map.handle(&arn(i)), expected, "{}", arn(i));
            assert_eq!(copy.handle(&arn(i)), expected, "{}", arn(i));
            assert_eq!(
                map.get(&arn(i)).map(|s| s.arn.to_string()),
                expected.map(|_| arn(i))
            );
        }
        assert_eq!(map.by_hash.len(), map.len());
        // A reserved ARN has no share in its slot yet, and is found.
        let h = map.reserve(Arc::from("arn:reserved"));
        assert_eq!(map.handle("arn:reserved"), Some(h));
        assert!(map.get("arn:reserved").is_none());
    }

    /// ARNs whose hashes collide are told apart by the shares' own ARNs.
    #[test]
    fn colliding_hashes_are_settled_by_the_share_s_arn() {
        let mut map = ShareMap::new();
        let a = map.insert(share("arn:a"));
        let b = map.insert(share("arn:b"));
        // Entries for "arn:a" and for an absent ARN that lead to the other
        // share, as a collision would.
        for arn in ["arn:a", "arn:absent"] {
            let hash = fold(arn);
            map.by_hash
                .insert_unique(spread(hash), Hashed { hash, handle: b }, spread_of);
        }
        assert_eq!(map.handle("arn:a"), Some(a));
        assert_eq!(map.handle("arn:b"), Some(b));
        assert_eq!(map.handle("arn:absent"), None);
    }

    #[test]
    fn maps_are_equal_by_content_whatever_the_handles() {
        let mut one = ShareMap::new();
        one.insert(share("arn:x"));
        one.insert(share("arn:y"));
        let mut two = ShareMap::new();
        two.insert(share("arn:y"));
        two.insert(share("arn:x"));
        assert_ne!(one.handle("arn:x"), two.handle("arn:x"));
        assert_eq!(one, two);
        two.remove("arn:x");
        assert_ne!(one, two);
    }
}
