//! Persistence behind a trait: a journal of applied mutations plus periodic
//! snapshots of the whole state, so a restart reads one snapshot and the
//! journal entries after it.
//!
//! - [`Storage`] is what a backend provides: load, append, sync, snapshot.
//! - [`sqlite::SqliteStorage`] is the durable backend (one SQLite file in the
//!   data directory, WAL mode, `synchronous=FULL`).
//! - [`memory::MemStorage`] keeps everything in memory and can simulate power
//!   loss (un-synced writes vanish) and failing syncs, for tests.
//! - [`journal::Journal`] runs the group commit: a committer thread takes
//!   every entry queued since its last sync, appends them all and syncs once,
//!   then wakes the requests waiting for them.
//!
//! Every entry carries a CRC-32 of its payload. When loading, a bad last
//! entry (a torn write) is logged and dropped; a bad entry anywhere else, a
//! gap in sequence numbers or a bad snapshot stops startup with an error
//! naming the file.

pub mod journal;
pub mod memory;
pub mod sqlite;

use serde::{Deserialize, Serialize};

/// The version of the on-disk format.
pub const FORMAT_VERSION: u32 = 1;

/// One journal entry: a sequence number and an encoded [`Record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub payload: Vec<u8>,
}

/// What `Storage::load` finds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The latest snapshot: (sequence number it includes, encoded state).
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// The journal entries after the snapshot, in order.
    pub entries: Vec<Entry>,
    /// Whether a torn last entry was dropped.
    pub dropped_torn_entry: bool,
}

/// How big the journal is, for metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub journal_entries: u64,
    pub journal_bytes: u64,
}

/// A persistence failure. The message names the file where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Writes the encoding of a snapshot to the sink it is given.
pub type Encode<'a> = &'a mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>;

/// Writes snapshots, on a thread of its own, while the journal goes on
/// appending: a snapshot never holds up a commit.
pub trait SnapshotWriter: Send {
    /// Durably stores the state `encode` writes, which includes every entry
    /// up to `seq`, as the snapshot (replacing the previous one). The
    /// encoding streams to storage, never whole in memory. Journal entries
    /// stay until [`Storage::trim`].
    fn write(&mut self, seq: u64, encode: Encode<'_>) -> Result<(), StoreError>;
}

/// A persistence backend. Calls come from one thread at a time.
pub trait Storage: Send {
    /// Reads the latest snapshot and the journal after it.
    fn load(&mut self) -> Result<Loaded, StoreError>;
    /// Writes entries (not yet durable).
    fn append(&mut self, entries: &[Entry]) -> Result<(), StoreError>;
    /// Makes every appended entry durable.
    fn sync(&mut self) -> Result<(), StoreError>;
    /// A writer of snapshots, for another thread.
    fn snapshot_writer(&self) -> Box<dyn SnapshotWriter>;
    /// Drops the journal entries up to `seq` (a durable snapshot holds them).
    fn trim(&mut self, seq: u64) -> Result<(), StoreError>;
    /// Syncs, durably replaces the snapshot with `state` (which includes
    /// every entry up to `seq`) and drops those entries from the journal.
    fn snapshot(&mut self, seq: u64, state: &[u8]) -> Result<(), StoreError> {
        self.sync()?;
        self.snapshot_writer()
            .write(seq, &mut |w| w.write_all(state))?;
        self.trim(seq)
    }
    /// The journal's current size.
    fn stats(&self) -> Stats;
}

/// One journaled mutation: everything needed to apply it again exactly as it
/// was applied (the operation is deterministic given these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The RPC name (`CreatePermission`, `CreateOrganization`, ...).
    pub method: String,
    /// The calling account.
    pub account: String,
    /// The operation's time, in milliseconds since the epoch.
    pub now_millis: i64,
    /// The seed of the operation's id generator.
    pub seed: u64,
    /// The client token, for idempotency records.
    pub token: Option<String>,
    /// The encoded request message (client token removed).
    pub request: Vec<u8>,
}

impl Record {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("a record always encodes")
    }

    pub fn decode(bytes: &[u8]) -> Result<Record, StoreError> {
        postcard::from_bytes(bytes)
            .map_err(|e| StoreError(format!("a journal entry does not decode: {e}")))
    }
}

/// The CRC-32 of a payload, as stored beside it.
pub fn checksum(payload: &[u8]) -> u32 {
    crc32fast::hash(payload)
}
