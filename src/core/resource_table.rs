//! `ResourceTable`: the resource index's hash table, (resource ARN hash,
//! share handle) pairs found with one cache line a probe.
//!
//! GetResourcePolicies starts at this table, and at a million shares
//! every step from it to a policy document is a cache miss the next step
//! waits for (BENCHMARKS.md item 14). `hashbrown` keeps a table's control
//! bytes apart from its entries, so a probe there is two of those steps:
//! the control bytes, then the entry they point to. Here a bucket is one
//! cache line holding eight entries, each a 31-bit tag of the hash and a
//! handle: a probe reads its home bucket and, only when that one has
//! filled up, the buckets after it.
//!
//! - Entries are pairs, one per (live resource, share); a share holding
//!   two resources whose tags are equal has two equal entries, so
//!   [`ResourceTable::handles`] may give a handle twice and the index's
//!   readers drop repeats. Tags are not ARNs: readers check each
//!   candidate share's own resources, which settles collisions.
//! - A bucket with an empty slot has never been full (removing an entry
//!   from a bucket without an empty slot leaves a tombstone), so no entry
//!   was ever placed past it: a look-up stops after the first bucket with
//!   an empty slot. An insertion takes the first empty or tombstone slot
//!   along its home's sequence.
//! - The table grows (and drops its tombstones) before live entries and
//!   tombstones together would fill three quarters of it.

use crate::core::share_map::Handle;

/// Entries per bucket: eight tags and eight handles of four bytes, one
/// 64-byte cache line.
const SLOTS: usize = 8;

/// A slot never used since the table was built.
const EMPTY: u32 = 0;

/// A slot whose entry was removed from a bucket that had no empty slot.
const DELETED: u32 = 1;

/// Set in every tag, so that no tag is [`EMPTY`] or [`DELETED`].
const TAGGED: u32 = 1 << 31;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(64))]
struct Bucket {
    tags: [u32; SLOTS],
    handles: [Handle; SLOTS],
}

impl Bucket {
    fn has_empty(&self) -> bool {
        self.tags.contains(&EMPTY)
    }
}

/// The (hash, handle) pairs of the resource index.
#[derive(Debug, Clone, Default)]
pub struct ResourceTable {
    /// A power of two of them, or none.
    buckets: Vec<Bucket>,
    /// Live entries.
    len: usize,
    /// Tombstones.
    deleted: usize,
}

/// The tag an entry of `hash` carries (as [`ResourceTable::iter`] gives
/// it): 31 of its bits, folded from both halves.
pub fn tag_of(hash: u64) -> u32 {
    let folded = (hash ^ (hash >> 32)) as u32;
    (folded >> 1) | TAGGED
}

impl ResourceTable {
    pub fn new() -> ResourceTable {
        ResourceTable::default()
    }

    /// Live entries.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        *self = ResourceTable::new();
    }

    /// The bucket a tag starts its probe at.
    fn home(&self, tag: u32) -> usize {
        (tag & !TAGGED) as usize & (self.buckets.len() - 1)
    }

    /// The `i`-th bucket of `tag`'s probe: its home, then the buckets
    /// after it, wrapping (`i` below the bucket count).
    fn nth(&self, tag: u32, i: usize) -> usize {
        (self.home(tag) + i) & (self.buckets.len() - 1)
    }

    /// Whether `entries` (live and tombstones) fit without growing.
    fn fits(&self, entries: usize) -> bool {
        entries * 4 <= self.buckets.len() * SLOTS * 3
    }

    /// Makes room for `additional` more entries without growing.
    pub fn reserve(&mut self, additional: usize) {
        let needed = self.len + additional;
        if !self.fits(needed + self.deleted) {
            self.rebuild_for(needed);
        }
    }

    /// Moves the live entries into a table with room for `entries`.
    fn rebuild_for(&mut self, entries: usize) {
        let slots = (entries * 4).div_ceil(3).max(SLOTS);
        let buckets = slots.div_ceil(SLOTS).next_power_of_two();
        let old = std::mem::replace(&mut self.buckets, vec![Bucket::default(); buckets]);
        self.deleted = 0;
        for bucket in &old {
            for (tag, handle) in bucket.tags.iter().zip(bucket.handles) {
                if *tag & TAGGED != 0 {
                    self.place(*tag, handle);
                }
            }
        }
    }

    /// Puts an entry into the first free slot along its probe.
    fn place(&mut self, tag: u32, handle: Handle) {
        for i in 0..self.buckets.len() {
            let b = self.nth(tag, i);
            let bucket = &mut self.buckets[b];
            if let Some(slot) = bucket.tags.iter().position(|t| *t & TAGGED == 0) {
                if bucket.tags[slot] == DELETED {
                    self.deleted -= 1;
                }
                bucket.tags[slot] = tag;
                bucket.handles[slot] = handle;
                return;
            }
        }
        unreachable!("a table that fits its entries has a free slot");
    }

    /// Adds the pair (`hash`, `handle`), another one if it is there.
    pub fn insert(&mut self, hash: u64, handle: Handle) {
        if !self.fits(self.len + self.deleted + 1) {
            self.rebuild_for((self.len + 1).max(2 * self.len));
        }
        self.place(tag_of(hash), handle);
        self.len += 1;
    }

    /// Removes one pair (`hash`, `handle`); false if there is none.
    pub fn remove(&mut self, hash: u64, handle: Handle) -> bool {
        let tag = tag_of(hash);
        for i in 0..self.buckets.len() {
            let b = self.nth(tag, i);
            let bucket = &mut self.buckets[b];
            let open = bucket.has_empty();
            let found = (0..SLOTS).find(|&i| bucket.tags[i] == tag && bucket.handles[i] == handle);
            if let Some(i) = found {
                // A bucket that has an empty slot was never passed over.
                bucket.tags[i] = if open { EMPTY } else { DELETED };
                self.deleted += usize::from(!open);
                self.len -= 1;
                return true;
            }
            if open {
                return false;
            }
        }
        false
    }

    /// The handles filed under `hash` (a handle twice when two of its
    /// share's resources have one tag), and those of other hashes with the
    /// same tag.
    pub fn handles(&self, hash: u64) -> impl Iterator<Item = Handle> + '_ {
        let tag = tag_of(hash);
        // (bucket of the probe, slot in it); past the end once a bucket
        // with an empty slot is done.
        let (mut i, mut slot) = (0, 0);
        std::iter::from_fn(move || {
            while i < self.buckets.len() {
                let bucket = &self.buckets[self.nth(tag, i)];
                while slot < SLOTS {
                    let s = slot;
                    slot += 1;
                    if bucket.tags[s] == tag {
                        return Some(bucket.handles[s]);
                    }
                }
                slot = 0;
                i = if bucket.has_empty() {
                    self.buckets.len()
                } else {
                    i + 1
                };
            }
            None
        })
    }

    /// Every live entry as (tag, handle), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Handle)> + '_ {
        self.buckets.iter().flat_map(|b| {
            b.tags
                .iter()
                .zip(b.handles)
                .filter(|(t, _)| **t & TAGGED != 0)
                .map(|(t, h)| (*t, h))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The pairs as a model holds them: (hash, handle) -> how many.
    type Model = BTreeMap<(u64, Handle), usize>;

    fn check(table: &ResourceTable, model: &Model) {
        assert_eq!(table.len(), model.values().sum::<usize>());
        for (&(hash, handle), &n) in model {
            let found = table.handles(hash).filter(|h| *h == handle).count();
            assert!(found >= n, "hash {hash:#x} handle {handle}: {found} of {n}");
        }
        let mut live: BTreeMap<(u32, Handle), usize> = BTreeMap::new();
        for (t, h) in table.iter() {
            *live.entry((t, h)).or_default() += 1;
        }
        let mut expected: BTreeMap<(u32, Handle), usize> = BTreeMap::new();
        for (&(hash, handle), &n) in model {
            *expected.entry((tag_of(hash), handle)).or_default() += n;
        }
        assert_eq!(live, expected);
    }

    /// Random inserts and removes against a model, with hashes drawn from a
    /// small set (so buckets fill, overflow into their neighbours and
    /// collect tombstones) and from the whole range; the table grows
    /// through every size on the way.
    #[test]
    fn the_table_holds_what_was_put_in_and_not_taken_out() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut table = ResourceTable::new();
        let mut model = Model::new();
        for step in 0..20_000u32 {
            let r = next();
            // Few distinct home buckets for the first half: crowded.
            let hash = if step < 10_000 {
                (r % 24) << 33 | (r % 24)
            } else {
                r
            };
            let handle = (next() % 40) as Handle;
            if next() % 3 == 0 && !model.is_empty() {
                let key = *model.keys().nth((next() as usize) % model.len()).unwrap();
                assert!(table.remove(key.0, key.1));
                match model.get_mut(&key) {
                    Some(n) if *n > 1 => *n -= 1,
                    _ => {
                        model.remove(&key);
                    }
                }
            } else {
                table.insert(hash, handle);
                *model.entry((hash, handle)).or_default() += 1;
            }
            if step % 997 == 0 {
                check(&table, &model);
            }
        }
        check(&table, &model);
        // Removing what is not there changes nothing.
        let before = table.len();
        assert!(!table.remove(u64::MAX - 5, 999));
        assert_eq!(table.len(), before);
        // Everything out, then the table is empty to every look-up.
        for ((hash, handle), n) in std::mem::take(&mut model) {
            for _ in 0..n {
                assert!(table.remove(hash, handle));
            }
        }
        assert!(table.is_empty());
        assert_eq!(table.iter().count(), 0);
        check(&table, &model);
    }

    #[test]
    fn an_empty_table_finds_nothing_and_reserving_keeps_the_entries() {
        let mut table = ResourceTable::new();
        assert_eq!(table.handles(7).count(), 0);
        assert!(!table.remove(7, 1));
        table.reserve(1000);
        let buckets = table.buckets.len();
        for i in 0..1000u64 {
            table.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), i as Handle);
        }
        assert_eq!(table.buckets.len(), buckets, "reserved room is used");
        for i in 0..1000u64 {
            let hash = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            assert!(table.handles(hash).any(|h| h == i as Handle));
        }
        table.reserve(5000);
        assert_eq!(table.len(), 1000);
        assert!(table.handles(0).any(|h| h == 0));
        table.clear();
        assert!(table.is_empty() && table.handles(0).next().is_none());
    }

    #[test]
    fn a_bucket_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Bucket>(), 64);
        assert_eq!(std::mem::align_of::<Bucket>(), 64);
    }
}
