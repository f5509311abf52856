//! `VecMap`: an ordered map kept as a sorted vector, for the small maps
//! inside every resource share (its resources, principals, sources and
//! attached permissions).
//!
//! A share usually holds a handful of entries, and there are a million
//! shares: a `BTreeMap` allocates a whole node (room for eleven entries)
//! for the first one, a sorted vector only what it holds. Lookups are binary
//! searches; inserts and removals shift the tail, which is cheap at the
//! sizes quotas allow (thousands of entries per share at most).
//!
//! The API is the subset of `BTreeMap`'s the core uses, with the same
//! meaning, so the two read alike.

use std::borrow::Borrow;
use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ordered map as a sorted vector of (key, value) pairs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

/// Up to this length the vector grows one entry at a time (no spare room);
/// beyond it, by doubling.
const EXACT_GROWTH_UP_TO: usize = 16;

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
}

impl<K, V> VecMap<K, V> {
    /// The (key, value) pairs, in key order.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.entries
    }
}

pub type Iter<'a, K, V> =
    std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
pub type IterMut<'a, K, V> =
    std::iter::Map<std::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> (&'a K, &'a mut V)>;

fn pair<K, V>(e: &(K, V)) -> (&K, &V) {
    (&e.0, &e.1)
}

fn pair_mut<K, V>(e: &mut (K, V)) -> (&K, &mut V) {
    (&e.0, &mut e.1)
}

impl<V> VecMap<Arc<str>, V> {
    /// The value under `key`, found first by address among a few entries:
    /// a key interned with `key` (the same allocation) matches without
    /// reading either string, which a listing would otherwise fetch from
    /// memory only to compare. Otherwise by comparison.
    pub fn get_interned(&self, key: &Arc<str>) -> Option<&V> {
        const SCAN_UP_TO: usize = 8;
        if self.entries.len() <= SCAN_UP_TO {
            if let Some((_, v)) = self.entries.iter().find(|(k, _)| Arc::ptr_eq(k, key)) {
                return Some(v);
            }
        }
        self.get(&**key)
    }
}

impl<K: Ord, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// The stored key equal to `key`, with its value.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|i| pair(&self.entries[i]))
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_ok()
    }

    /// Inserts or replaces; returns the value replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                if self.entries.len() == self.entries.capacity()
                    && self.entries.len() < EXACT_GROWTH_UP_TO
                {
                    self.entries.reserve_exact(1);
                }
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        let (_, v) = self.entries.remove(i);
        if self.entries.capacity() > 2 * EXACT_GROWTH_UP_TO
            && self.entries.len() < self.entries.capacity() / 4
        {
            self.entries.shrink_to(self.entries.len() * 2);
        }
        Some(v)
    }

    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(pair as fn(&(K, V)) -> (&K, &V))
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        self.entries
            .iter_mut()
            .map(pair_mut as fn(&mut (K, V)) -> (&K, &mut V))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// The entries whose keys fall in `range`, in order.
    pub fn range<Q, R>(&self, range: R) -> Iter<'_, K, V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        let lo = match range.start_bound() {
            Bound::Unbounded => 0,
            Bound::Included(q) => self.entries.partition_point(|(k, _)| k.borrow() < q),
            Bound::Excluded(q) => self.entries.partition_point(|(k, _)| k.borrow() <= q),
        };
        let hi = match range.end_bound() {
            Bound::Unbounded => self.entries.len(),
            Bound::Included(q) => self.entries.partition_point(|(k, _)| k.borrow() <= q),
            Bound::Excluded(q) => self.entries.partition_point(|(k, _)| k.borrow() < q),
        };
        self.entries[lo..hi.max(lo)]
            .iter()
            .map(pair as fn(&(K, V)) -> (&K, &V))
    }

    /// Replaces keys with equal ones (`swap` returns a key equal to the one
    /// it is given, or `None` to keep it): for sharing one allocation
    /// between equal keys.
    pub fn swap_keys(&mut self, mut swap: impl FnMut(&K) -> Option<K>) {
        for (k, _) in self.entries.iter_mut() {
            if let Some(new) = swap(k) {
                debug_assert!(new == *k, "swap_keys must keep the order");
                *k = new;
            }
        }
    }

    /// Rebuilds from pairs in any order; a later duplicate key wins.
    fn from_unsorted(mut entries: Vec<(K, V)>) -> Self {
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable, so among equal keys the later one stays last...
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            // ...and is the one kept.
            let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
            for e in entries {
                match out.last_mut() {
                    Some(last) if last.0 == e.0 => *last = e,
                    _ => out.push(e),
                }
            }
            entries = out;
        }
        entries.shrink_to_fit();
        VecMap { entries }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl<K, Q, V> std::ops::Index<&Q> for VecMap<K, V>
where
    K: Ord + Borrow<Q>,
    Q: Ord + ?Sized,
{
    type Output = V;

    /// The value of `key`; panics when there is none, as `BTreeMap` does.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        VecMap::from_unsorted(iter.into_iter().collect())
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for VecMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = VecMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(4096));
                while let Some((k, v)) = access.next_entry()? {
                    entries.push((k, v));
                }
                Ok(VecMap::from_unsorted(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn interned_keys_are_found_by_address_or_by_value() {
        let keys: Vec<Arc<str>> = (0..20).map(|i| Arc::from(format!("k{i:02}"))).collect();
        for n in [1, 3, 8, 9, 20] {
            let mut m: VecMap<Arc<str>, usize> = VecMap::new();
            for (i, k) in keys.iter().take(n).enumerate() {
                m.insert(k.clone(), i);
            }
            for (i, k) in keys.iter().take(n).enumerate() {
                // The same allocation, and an equal string elsewhere.
                assert_eq!(m.get_interned(k), Some(&i));
                assert_eq!(m.get_interned(&Arc::from(&**k)), Some(&i));
            }
            assert_eq!(m.get_interned(&Arc::from("absent")), None);
        }
    }

    #[test]
    fn behaves_like_a_btreemap() {
        let mut v: VecMap<String, u32> = VecMap::new();
        let mut b: BTreeMap<String, u32> = BTreeMap::new();
        let mut x = 7u32;
        for step in 0..2000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let key = format!("k{}", x % 97);
            match x % 3 {
                0 | 1 => assert_eq!(v.insert(key.clone(), step), b.insert(key, step)),
                _ => assert_eq!(v.remove(&key), b.remove(&key)),
            }
            assert_eq!(v.len(), b.len());
            let probe = format!("k{}", step % 97);
            assert_eq!(v.get(&probe), b.get(&probe));
            assert_eq!(
                v.contains_key(probe.as_str()),
                b.contains_key(probe.as_str())
            );
        }
        assert!(v.iter().eq(b.iter()));
        let lo = "k3".to_string();
        let hi = "k6".to_string();
        assert!(v
            .range(lo.clone()..hi.clone())
            .eq(b.range(lo.clone()..hi.clone())));
        assert!(v
            .range(lo.clone()..=hi.clone())
            .eq(b.range(lo.clone()..=hi.clone())));
        assert!(v.range(lo.clone()..).eq(b.range(lo.clone()..)));
        assert!(v
            .range::<str, _>((Bound::Excluded("k5"), Bound::Unbounded))
            .eq(b.range::<str, _>((Bound::Excluded("k5"), Bound::Unbounded))));
        if let Some(x) = v.get_mut("k5") {
            *x = 0;
        }
        if let Some(x) = b.get_mut("k5") {
            *x = 0;
        }
        assert!(v.values().eq(b.values()));
        assert!(v.keys().eq(b.keys()));
    }

    #[test]
    fn small_maps_hold_no_spare_room_and_round_trip() {
        let mut v: VecMap<String, u8> = VecMap::new();
        for i in 0..5u8 {
            v.insert(format!("{}", 9 - i), i);
        }
        assert_eq!(v.entries.capacity(), 5);
        let bytes = postcard::to_stdvec(&v).unwrap();
        let back: VecMap<String, u8> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, v);
        let unsorted: VecMap<&str, u8> = [("b", 1), ("a", 2), ("b", 3)].into_iter().collect();
        assert!(unsorted.iter().eq([(&"a", &2), (&"b", &3)]));
    }
}
