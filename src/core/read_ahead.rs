//! Reading memory ahead of use, for the read paths that go from index
//! entries to shares, their maps and their strings (ARCHITECTURE.md
//! invariant 14). At a million shares nearly each of those reads misses the
//! caches; issued together, in rounds whose reads do not depend on one
//! another, the misses overlap instead of waiting for each other.
//!
//! The reads are summed and handed to `std::hint::black_box`, so the
//! compiler keeps them; they change no result, only when memory arrives.
//! The crate forbids `unsafe`, so no prefetch instructions.

use crate::core::vecmap::VecMap;

/// How many entries of each map are read ahead: a page or a policy rarely
/// takes more from one share, and reading ahead is only a hint.
pub const ENTRIES: usize = 8;

/// Reads made ahead of use; [`ReadAhead::done`] keeps them.
#[derive(Debug, Default)]
pub struct ReadAhead(usize);

impl ReadAhead {
    /// The first and last bytes of `text`: a long ARN's two ends often lie
    /// in different cache lines.
    pub fn text(&mut self, text: &str) {
        let b = text.as_bytes();
        self.0 += usize::from(b.first().copied().unwrap_or(0));
        self.0 += usize::from(b.last().copied().unwrap_or(0));
    }

    /// The first entries of `map`: each key's length, which sits in the
    /// entry, plus what `value` reads of the entry's value (for entries
    /// long enough to span two cache lines).
    pub fn entries<K: AsRef<str> + Ord, V>(
        &mut self,
        map: &VecMap<K, V>,
        value: impl Fn(&V) -> usize,
    ) {
        for (k, v) in map.iter().take(ENTRIES) {
            self.0 += k.as_ref().len() + value(v);
        }
    }

    /// The strings the first entries' keys point to (after
    /// [`ReadAhead::entries`] has fetched the entries).
    pub fn keys<K: AsRef<str> + Ord, V>(&mut self, map: &VecMap<K, V>) {
        for k in map.keys().take(ENTRIES) {
            self.text(k.as_ref());
        }
    }

    /// Keeps the reads.
    pub fn done(self) {
        std::hint::black_box(self.0);
    }
}

/// The first batch of [`Batches`]: the shares of a usual page (a receiver's
/// page of 20 resources spans about a dozen shares) in one batch, so its
/// reads go out in one round of stages instead of two or three.
pub const FIRST_BATCH: usize = 16;

/// The largest batch of [`Batches`].
pub const MAX_BATCH: usize = 32;

/// Batch sizes for reading ahead over a sequence its reader may stop
/// early (a page): about a page at first, so a short page fetches little
/// it does not use, then doubling up to [`MAX_BATCH`], so a long listing
/// has many reads in flight together.
#[derive(Debug)]
pub struct Batches(usize);

impl Default for Batches {
    fn default() -> Batches {
        Batches(FIRST_BATCH)
    }
}

impl Batches {
    /// The size of the next batch.
    pub fn next_size(&mut self) -> usize {
        let size = self.0;
        self.0 = (size * 2).min(MAX_BATCH);
        size
    }
}
