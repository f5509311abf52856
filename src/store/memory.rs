//! An in-memory [`Storage`] for tests: what is synced survives a simulated
//! power loss, what is only appended does not, and syncs or appends can be
//! made to fail (failpoints around the fsync).

use std::sync::{Arc, Mutex};

use crate::store::{
    Encode, Entry, Loaded, Snapshot, SnapshotSource, SnapshotWriter, Stats, Storage, StoreError,
};

/// What a simulated disk holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Disk {
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// Durable entries.
    pub synced: Vec<Entry>,
    /// Written but not yet synced.
    pub unsynced: Vec<Entry>,
    /// Failpoints: the next append / sync fails.
    pub fail_next_append: bool,
    pub fail_next_sync: bool,
    /// Bumped by a crash: handles of an older generation belong to a dead
    /// process, and everything they try fails.
    pub generation: u64,
}

impl Disk {
    /// A power loss: everything not synced is gone.
    pub fn power_loss(&mut self) {
        self.unsynced.clear();
    }
}

/// A [`Storage`] over a shared [`Disk`], so a test can keep the disk, stop or
/// crash the server and start another on the same disk.
#[derive(Debug, Clone, Default)]
pub struct MemStorage {
    pub disk: Arc<Mutex<Disk>>,
    generation: u64,
}

impl MemStorage {
    pub fn new() -> MemStorage {
        MemStorage::default()
    }

    /// A crash with power loss: the process that used this disk is gone (its
    /// handles stop working) and un-synced writes vanish.
    pub fn crash(&self) {
        let mut disk = self.disk();
        disk.generation += 1;
        disk.power_loss();
    }

    /// A handle for a new process on the same disk.
    pub fn reopen(&self) -> MemStorage {
        MemStorage {
            disk: self.disk.clone(),
            generation: self.disk().generation,
        }
    }

    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The disk, if this handle's process is still alive.
    fn live(&self) -> Result<std::sync::MutexGuard<'_, Disk>, StoreError> {
        let disk = self.disk();
        if disk.generation != self.generation {
            return Err(StoreError("the process using this disk crashed".into()));
        }
        Ok(disk)
    }
}

/// Snapshots are durable once written (as after an fsync and a rename).
impl SnapshotWriter for MemStorage {
    fn write(&mut self, seq: u64, encode: Encode<'_>) -> Result<(), StoreError> {
        let mut bytes = Vec::new();
        encode(&mut bytes).map_err(|e| StoreError(format!("cannot encode the snapshot: {e}")))?;
        let mut disk = self.live()?;
        disk.snapshot = Some((seq, bytes));
        Ok(())
    }
}

impl Storage for MemStorage {
    fn load(&mut self) -> Result<Loaded, StoreError> {
        let disk = self.live()?;
        let after = disk.snapshot.as_ref().map_or(0, |(s, _)| *s);
        Ok(Loaded {
            snapshot: disk.snapshot.clone().map(|(seq, bytes)| Snapshot {
                seq,
                source: SnapshotSource::Bytes(bytes),
            }),
            entries: disk
                .synced
                .iter()
                .filter(|e| e.seq > after)
                .cloned()
                .collect(),
            dropped_torn_entry: false,
        })
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        let mut disk = self.live()?;
        if std::mem::take(&mut disk.fail_next_append) {
            return Err(StoreError("simulated append failure".into()));
        }
        disk.unsynced.extend_from_slice(entries);
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        let mut disk = self.live()?;
        if std::mem::take(&mut disk.fail_next_sync) {
            return Err(StoreError("simulated fsync failure".into()));
        }
        let pending = std::mem::take(&mut disk.unsynced);
        disk.synced.extend(pending);
        Ok(())
    }

    fn snapshot_writer(&self) -> Box<dyn SnapshotWriter> {
        Box::new(self.clone())
    }

    fn trim(&mut self, seq: u64, max_entries: u64) -> Result<bool, StoreError> {
        let mut disk = self.live()?;
        let mut left = max_entries;
        disk.synced.retain(|e| {
            if e.seq <= seq && left > 0 {
                left -= 1;
                false
            } else {
                true
            }
        });
        Ok(!disk.synced.iter().any(|e| e.seq <= seq))
    }

    fn stats(&self) -> Stats {
        let disk = self.disk();
        Stats {
            journal_entries: disk.synced.len() as u64,
            journal_bytes: disk.synced.iter().map(|e| e.payload.len() as u64).sum(),
        }
    }
}
