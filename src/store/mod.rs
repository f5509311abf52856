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

/// The latest snapshot, found by `Storage::load` and read when decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The sequence number of the last entry it includes.
    pub seq: u64,
    pub source: SnapshotSource,
}

/// Where a snapshot's encoding is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotSource {
    /// In memory (already checked).
    Bytes(Vec<u8>),
    /// In a file, from `offset`, `len` bytes whose CRC-32 must be `crc`;
    /// streamed when decoded, so the whole encoding is never in memory.
    File {
        path: std::path::PathBuf,
        offset: u64,
        len: u64,
        crc: u32,
    },
}

impl Snapshot {
    /// The encoding's length in bytes.
    pub fn encoded_len(&self) -> u64 {
        match &self.source {
            SnapshotSource::Bytes(b) => b.len() as u64,
            SnapshotSource::File { len, .. } => *len,
        }
    }

    /// Runs `decode` over the encoding; for a file, checks its length and
    /// checksum once `decode` has read it all, and refuses a mismatch
    /// (naming the file).
    pub fn decode<T>(
        &self,
        decode: impl FnOnce(&mut dyn std::io::Read) -> Result<T, String>,
    ) -> Result<T, String> {
        match &self.source {
            SnapshotSource::Bytes(b) => decode(&mut b.as_slice()),
            SnapshotSource::File {
                path,
                offset,
                len,
                crc,
            } => {
                use std::io::{Read, Seek, SeekFrom};
                let mut f = std::fs::File::open(path)
                    .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
                f.seek(SeekFrom::Start(*offset))
                    .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
                let mut reader = Summing {
                    inner: std::io::BufReader::with_capacity(1 << 20, f.take(*len)),
                    crc: crc32fast::Hasher::new(),
                    len: 0,
                };
                let value = decode(&mut reader);
                // Whatever the decoder left unread still counts.
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
                if reader.len != *len {
                    return Err(corrupt_snapshot(path, "it is shorter than its header says"));
                }
                if reader.crc.finalize() != *crc {
                    return Err(corrupt_snapshot(path, "its checksum does not match"));
                }
                value
            }
        }
    }
}

/// The message for a snapshot file that cannot be trusted.
pub fn corrupt_snapshot(path: &std::path::Path, why: &str) -> String {
    format!(
        "{}: the snapshot is corrupt ({why}); restore it from a backup",
        path.display()
    )
}

/// A reader or writer that counts and checksums what passes through it.
pub struct Summing<T> {
    pub inner: T,
    pub crc: crc32fast::Hasher,
    pub len: u64,
}

impl<R: std::io::Read> std::io::Read for Summing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

impl<W: std::io::Write> std::io::Write for Summing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What `Storage::load` finds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The latest snapshot.
    pub snapshot: Option<Snapshot>,
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
    /// Drops at most `max_entries` of the journal entries up to `seq` (a
    /// durable snapshot holds them), as part of the writes the next `sync`
    /// makes durable; true once none up to `seq` is left. The committer trims
    /// a little with each batch, so a trim never holds up commits.
    fn trim(&mut self, seq: u64, max_entries: u64) -> Result<bool, StoreError>;
    /// Drops every journal entry up to `seq` (a durable snapshot holds
    /// them), durably.
    fn trim_all(&mut self, seq: u64) -> Result<(), StoreError> {
        while !self.trim(seq, u64::MAX)? {}
        self.sync()
    }
    /// Syncs, durably replaces the snapshot with `state` (which includes
    /// every entry up to `seq`) and drops those entries from the journal.
    fn snapshot(&mut self, seq: u64, state: &[u8]) -> Result<(), StoreError> {
        self.sync()?;
        self.snapshot_writer()
            .write(seq, &mut |w| w.write_all(state))?;
        self.trim_all(seq)
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
