//! Fetching memory ahead of use, for the read paths that go from index
//! entries to shares, their maps and their strings (ARCHITECTURE.md
//! invariant 14). At a million shares nearly each of those reads misses the
//! caches. A reader that needs many of them (a receiver's page: a dozen
//! shares, each with its principals, resources and ARNs) asks for them in
//! rounds: first everything it knows the address of, then, once that has
//! arrived, what it points to. The misses of a round overlap instead of
//! waiting for each other.
//!
//! Each ask is a prefetch instruction (`prefetch_index`): a hint that loads
//! a cache line without holding up the instructions after it, and never
//! faults. It changes no result, only when memory arrives. The functions
//! here take references, so what they ask for is always memory the caller
//! may read; computing a field's address (`&share.status`) reads nothing.
//! Only [`keys`] reads: the pointers in map entries, to ask for the strings
//! they point to.

use prefetch_index::prefetch_index;

use crate::core::vecmap::VecMap;

/// How many entries of each map are asked for: a page or a policy rarely
/// takes more from one share, and fetching ahead is only a hint.
pub const ENTRIES: usize = 8;

/// Asks for the cache line that holds `*r`.
#[inline(always)]
pub fn fetch<T>(r: &T) {
    prefetch_index(std::slice::from_ref(r), 0);
}

/// Asks for the first `n` elements of `items`: every cache line from the
/// first one's start to where the element after the `n`-th starts (which
/// holds the `n`-th one's end), when elements are no longer than a line.
/// Of longer elements it asks for each one's start and the start after the
/// last, so a line in the middle of an element may be left out: their
/// readers ask for the fields they read ([`fields`]).
#[inline]
pub fn slice<T>(items: &[T], n: usize) {
    let n = n.min(items.len());
    if n == 0 {
        return;
    }
    // Elements no more than a cache line apart, so no line is skipped.
    let step = (64 / std::mem::size_of::<T>().max(1)).max(1);
    for i in (0..n).step_by(step) {
        prefetch_index(items, i);
    }
    // One past the last: `prefetch_index` only computes the address, and
    // a prefetch never faults.
    prefetch_index(items, n);
}

/// Asks for both ends of `text`: a long ARN's two ends often lie in
/// different cache lines.
#[inline]
pub fn text(text: &str) {
    let b = text.as_bytes();
    if let Some(last) = b.len().checked_sub(1) {
        prefetch_index(b, 0);
        prefetch_index(b, last);
    }
}

/// Asks for the first entries of `map` ([`slice`]) and the part of each
/// value `tail` names: an entry longer than a cache line may have it in a
/// line [`slice`] skips.
#[inline]
pub fn entries<K, V, U>(map: &VecMap<K, V>, tail: impl Fn(&V) -> &U) {
    slice(map.as_slice(), ENTRIES);
    fields(map, tail);
}

/// Asks for the part `field` names of each of the first entries' values
/// (the lines [`entries`] asked for cover an entry's start and its tail
/// only; a reader of an entry longer than a cache line names what else it
/// reads).
#[inline]
pub fn fields<K, V, U>(map: &VecMap<K, V>, field: impl Fn(&V) -> &U) {
    for (_, v) in map.as_slice().iter().take(ENTRIES) {
        fetch(field(v));
    }
}

/// Asks for the strings the first entries' keys point to. This reads the
/// keys, so it belongs in a round after [`entries`] asked for them.
#[inline]
pub fn keys<K: AsRef<str>, V>(map: &VecMap<K, V>) {
    for (k, _) in map.as_slice().iter().take(ENTRIES) {
        text(k.as_ref());
    }
}

/// The first batch of [`Batches`] when nothing better is known: the shares
/// of a usual page in one batch, so its reads go out in one round of stages
/// instead of two or three.
const FIRST_BATCH: usize = 16;

/// The largest batch of [`Batches`].
pub const MAX_BATCH: usize = 32;

/// Batch sizes for fetching ahead over a sequence its reader may stop
/// early (a page): about a page at first, so a short page fetches little
/// it does not use, then doubling up to [`MAX_BATCH`], so a long listing
/// has many reads in flight together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batches(usize);

impl Default for Batches {
    fn default() -> Batches {
        Batches(FIRST_BATCH)
    }
}

impl Batches {
    /// Batches whose first holds `n` items (at least one, at most
    /// [`MAX_BATCH`]).
    pub fn first(n: usize) -> Batches {
        Batches(n.clamp(1, MAX_BATCH))
    }

    /// Batches over items that hold rows, for a page of `rows` rows: the
    /// first batch holds the items such a page reads when each holds the
    /// average number of rows, `total_rows` over `items` (rounded up, so an
    /// average page reads no item outside its first batch). Each item
    /// fetched beyond the page costs a few cache misses, so at a million
    /// shares the first batch's size shows in a page's time; an item too few
    /// costs a second batch. With no rows anywhere, the default.
    pub fn for_rows(rows: usize, items: usize, total_rows: usize) -> Batches {
        if total_rows == 0 {
            return Batches::default();
        }
        // A product past `usize` asks for more than the largest batch anyway.
        Batches::first(rows.saturating_mul(items).div_ceil(total_rows))
    }

    /// The size of the next batch, without taking it.
    pub fn peek(self) -> usize {
        self.0
    }

    /// The size of the next batch.
    pub fn next_size(&mut self) -> usize {
        let size = self.0;
        self.0 = (size * 2).min(MAX_BATCH);
        size
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Asking reads nothing but the keys' pointers, so what can go wrong
    /// is at the edges: empty maps, strings and slices, more asked than
    /// there is, elements of no size, one past the end (a prefetch of an
    /// address outside the slice, which never faults). Any of them would
    /// panic here if the functions indexed instead of computing addresses.
    #[test]
    fn asking_ahead_takes_empty_short_and_odd_inputs() {
        let mut map: VecMap<Arc<str>, (u8, String)> = VecMap::new();
        entries(&map, |v| &v.1);
        fields(&map, |v| &v.0);
        keys(&map);
        text("");
        text("x");
        slice::<u64>(&[], 4);
        slice(&[1u64], 0);
        slice(&[1u64], 100);
        slice(&[(); 3], 3);
        slice(&[[0u8; 200]; 2], 2);
        for i in 0..2 * ENTRIES {
            map.insert(Arc::from(format!("k{i:02}")), (i as u8, "x".repeat(i)));
        }
        let before = map.clone();
        entries(&map, |v| &v.1);
        fields(&map, |v| &v.0);
        keys(&map);
        fetch(&map);
        text("arn:aws:ram:us-east-1:111122223333:resource-share/x");
        assert_eq!(map, before);
    }

    #[test]
    fn batches_start_at_a_page_and_double_to_the_largest() {
        let mut b = Batches::default();
        let sizes: Vec<usize> = (0..4).map(|_| b.next_size()).collect();
        let second = (2 * FIRST_BATCH).min(MAX_BATCH);
        assert_eq!(sizes, [FIRST_BATCH, second, MAX_BATCH, MAX_BATCH]);
    }

    #[test]
    fn a_page_s_first_batch_holds_the_items_an_average_page_reads() {
        let first = |mut b: Batches| b.next_size();
        // 21 rows (a page of 20 and the one that says there is more), two
        // rows an item: 11 items.
        assert_eq!(first(Batches::for_rows(21, 1_000_000, 2_000_000)), 11);
        // An average that does not divide evenly rounds up.
        assert_eq!(first(Batches::for_rows(21, 3, 7)), 9);
        assert_eq!(first(Batches::for_rows(1, 10, 10)), 1);
        // Bounded both ways, and no rows at all is the default.
        assert_eq!(first(Batches::for_rows(501, 1_000, 10)), MAX_BATCH);
        assert_eq!(first(Batches::for_rows(1, 1, 1_000)), 1);
        assert_eq!(first(Batches::for_rows(0, 5, 5)), 1);
        assert_eq!(Batches::for_rows(21, 5, 0), Batches::default());
        assert_eq!(
            first(Batches::for_rows(usize::MAX, usize::MAX, 1)),
            MAX_BATCH
        );
        // Later batches double from the first.
        let mut b = Batches::first(11);
        let sizes: Vec<usize> = (0..3).map(|_| b.next_size()).collect();
        assert_eq!(sizes, [11, 22, MAX_BATCH]);
    }
}
