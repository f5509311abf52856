//! The durable backend: the journal in one SQLite database,
//! `<data-dir>/ramd.db`, in WAL mode with `synchronous=FULL`, so a committed
//! transaction is on disk; the snapshot in `<data-dir>/ramd.snapshot`.
//!
//! Tables: `meta` (the format version), `journal` (seq, crc, payload) and
//! `snapshot` (one row: seq, crc, payload; read if present, from servers
//! that kept the snapshot there). Appends go into an open transaction that
//! `sync` commits, so a batch of entries costs one fsync.
//!
//! The snapshot file is written by its own thread beside the journal, to
//! `ramd.snapshot.tmp`, fsynced, renamed over `ramd.snapshot` and the
//! directory fsynced; only then are the entries it holds trimmed from the
//! journal. Its layout: the magic `RAMDSNP1`, then little-endian seq (u64),
//! CRC-32 (u32) and length (u64) of the payload, then the payload.
//!
//! A consistent backup while the server runs: the database first with
//! SQLite's online backup (`sqlite3 ramd.db ".backup copy.db"`), then the
//! snapshot file (a snapshot newer than the copied journal is fine; an
//! older one could miss trimmed entries).

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::{
    checksum, corrupt_snapshot, Encode, Entry, Loaded, Snapshot, SnapshotSource, SnapshotWriter,
    Stats, Storage, StoreError, Summing, FORMAT_VERSION,
};

/// The database file name inside the data directory.
pub const FILE_NAME: &str = "ramd.db";
/// The snapshot file name inside the data directory.
pub const SNAPSHOT_FILE_NAME: &str = "ramd.snapshot";
const SNAPSHOT_MAGIC: &[u8; 8] = b"RAMDSNP1";
const SNAPSHOT_HEADER: usize = 8 + 8 + 4 + 8;

/// Writes `<dir>/ramd.snapshot` atomically and durably.
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    dir: PathBuf,
}

impl SnapshotFile {
    fn path(&self) -> PathBuf {
        self.dir.join(SNAPSHOT_FILE_NAME)
    }

    /// The snapshot on disk, if any. Only its header is read here; the
    /// payload's length and checksum are checked as it is decoded.
    fn find(&self) -> Result<Option<Snapshot>, StoreError> {
        use std::io::Read;
        let path = self.path();
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError(format!("{}: cannot read: {e}", path.display()))),
        };
        let corrupt = |why: &str| StoreError(corrupt_snapshot(&path, why));
        let mut header = [0u8; SNAPSHOT_HEADER];
        if f.read_exact(&mut header).is_err() || &header[..8] != SNAPSHOT_MAGIC {
            return Err(corrupt("no snapshot header"));
        }
        let seq = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(header[16..20].try_into().expect("4 bytes"));
        let len = u64::from_le_bytes(header[20..28].try_into().expect("8 bytes"));
        let size = f
            .metadata()
            .map_err(|e| StoreError(format!("{}: cannot read: {e}", path.display())))?
            .len();
        if size != SNAPSHOT_HEADER as u64 + len {
            return Err(corrupt("its length does not match its header"));
        }
        Ok(Some(Snapshot {
            seq,
            source: SnapshotSource::File {
                path,
                offset: SNAPSHOT_HEADER as u64,
                len,
                crc,
            },
        }))
    }
}

/// Syncs a file every `PACE` bytes as it is written, so a large snapshot
/// reaches the disk in steps rather than in one flush at the end, which
/// would queue ahead of the journal's small fsyncs and stall commits.
struct Paced {
    file: std::fs::File,
    unsynced: usize,
}

const PACE: usize = 32 << 20;

impl Write for Paced {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n;
        if self.unsynced >= PACE {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl SnapshotWriter for SnapshotFile {
    fn write(&mut self, seq: u64, encode: Encode<'_>) -> Result<(), StoreError> {
        let path = self.path();
        let tmp = self.dir.join(format!("{SNAPSHOT_FILE_NAME}.tmp"));
        let fail = |what: &str, e: std::io::Error| {
            StoreError(format!("{}: cannot {what}: {e}", tmp.display()))
        };
        let mut f = std::fs::File::create(&tmp).map_err(|e| fail("create", e))?;
        // The header's checksum and length are filled in once the payload
        // has streamed past.
        let mut header = Vec::with_capacity(SNAPSHOT_HEADER);
        header.extend_from_slice(SNAPSHOT_MAGIC);
        header.extend_from_slice(&seq.to_le_bytes());
        header.extend_from_slice(&[0; 12]);
        f.write_all(&header).map_err(|e| fail("write", e))?;
        let mut sink = Summing {
            inner: std::io::BufWriter::with_capacity(
                1 << 20,
                Paced {
                    file: f,
                    unsynced: 0,
                },
            ),
            crc: crc32fast::Hasher::new(),
            len: 0,
        };
        encode(&mut sink)
            .and_then(|_| sink.flush())
            .map_err(|e| fail("write", e))?;
        let (crc, len) = (sink.crc.finalize(), sink.len);
        let mut f = sink
            .inner
            .into_inner()
            .map_err(|e| fail("write", e.into_error()))?
            .file;
        f.seek(SeekFrom::Start(16))
            .and_then(|_| f.write_all(&crc.to_le_bytes()))
            .and_then(|_| f.write_all(&len.to_le_bytes()))
            .map_err(|e| fail("write", e))?;
        f.sync_all().map_err(|e| fail("fsync", e))?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(|e| fail("rename", e))?;
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| {
                StoreError(format!(
                    "{}: cannot fsync the directory: {e}",
                    self.dir.display()
                ))
            })
    }
}

/// A SQLite-backed [`Storage`].
pub struct SqliteStorage {
    path: PathBuf,
    snapshot_file: SnapshotFile,
    conn: Connection,
    in_transaction: bool,
    stats: Stats,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStorage {
    /// Opens (or creates) the database in `dir`, creating `dir` if needed.
    pub fn open(dir: &Path) -> Result<SqliteStorage, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError(format!(
                "cannot create the data directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(FILE_NAME);
        let err =
            |what: &str, e: rusqlite::Error| StoreError(format!("{}: {what}: {e}", path.display()));
        let conn = Connection::open(&path).map_err(|e| err("cannot open", e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| err("cannot enable WAL mode", e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| err("cannot set synchronous=FULL", e))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, crc INTEGER NOT NULL, payload BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, crc INTEGER NOT NULL, payload BLOB NOT NULL);",
        )
        .map_err(|e| err("cannot create the tables (is this a ramd database?)", e))?;
        let version: Option<i64> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'format_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| err("cannot read the format version", e))?;
        match version {
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('format_version', ?1)",
                    params![FORMAT_VERSION],
                )
                .map_err(|e| err("cannot write the format version", e))?;
            }
            Some(v) if v == i64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(StoreError(format!(
                    "{}: on-disk format {v}, but this ramd reads format {FORMAT_VERSION}",
                    path.display()
                )))
            }
        }
        let mut storage = SqliteStorage {
            path,
            snapshot_file: SnapshotFile {
                dir: dir.to_path_buf(),
            },
            conn,
            in_transaction: false,
            stats: Stats::default(),
        };
        storage.refresh_stats()?;
        Ok(storage)
    }

    fn err(&self, what: &str, e: rusqlite::Error) -> StoreError {
        StoreError(format!("{}: {what}: {e}", self.path.display()))
    }

    fn refresh_stats(&mut self) -> Result<(), StoreError> {
        let (n, bytes): (i64, i64) = self
            .conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM journal",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err("cannot measure the journal", e))?;
        self.stats = Stats {
            journal_entries: n as u64,
            journal_bytes: bytes as u64,
        };
        Ok(())
    }
}

impl Storage for SqliteStorage {
    fn load(&mut self) -> Result<Loaded, StoreError> {
        let snapshot: Option<(i64, i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT seq, crc, payload FROM snapshot WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err("cannot read the snapshot", e))?;
        let in_table = match snapshot {
            None => None,
            Some((seq, crc, payload)) => {
                if crc as u32 != checksum(&payload) {
                    return Err(StoreError(format!(
                        "{}: the snapshot (up to entry {seq}) is corrupt: its checksum does not match",
                        self.path.display()
                    )));
                }
                Some(Snapshot {
                    seq: seq as u64,
                    source: SnapshotSource::Bytes(payload),
                })
            }
        };
        // The newer of the file and the table (the table only holds one if
        // an older ramd wrote it).
        let snapshot = match (self.snapshot_file.find()?, in_table) {
            (Some(f), Some(t)) => Some(if t.seq > f.seq { t } else { f }),
            (f, t) => f.or(t),
        };
        let after = snapshot.as_ref().map_or(0, |s| s.seq);
        let mut stmt = self
            .conn
            .prepare("SELECT seq, crc, payload FROM journal WHERE seq > ?1 ORDER BY seq")
            .map_err(|e| self.err("cannot read the journal", e))?;
        let rows: Vec<(i64, i64, Vec<u8>)> = stmt
            .query_map(params![after as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err("cannot read the journal", e))?;
        drop(stmt);
        let mut entries = Vec::with_capacity(rows.len());
        let mut dropped_torn_entry = false;
        let last = rows.len().saturating_sub(1);
        for (expected, (i, (seq, crc, payload))) in (after + 1..).zip(rows.into_iter().enumerate())
        {
            let seq = seq as u64;
            if seq != expected {
                return Err(StoreError(format!(
                    "{}: the journal has a gap: entry {expected} is missing before entry {seq}",
                    self.path.display()
                )));
            }
            if crc as u32 != checksum(&payload) {
                if i == last {
                    tracing::warn!(
                        file = %self.path.display(),
                        seq,
                        "the last journal entry is torn (checksum mismatch); dropping it"
                    );
                    self.conn
                        .execute("DELETE FROM journal WHERE seq = ?1", params![seq as i64])
                        .map_err(|e| self.err("cannot drop the torn entry", e))?;
                    dropped_torn_entry = true;
                    break;
                }
                return Err(StoreError(format!(
                    "{}: journal entry {seq} is corrupt (checksum mismatch) and is not the last one; refusing to start",
                    self.path.display()
                )));
            }
            entries.push(Entry { seq, payload });
        }
        // Entries the snapshot already includes are no longer needed.
        self.conn
            .execute("DELETE FROM journal WHERE seq <= ?1", params![after as i64])
            .map_err(|e| self.err("cannot trim the journal", e))?;
        self.refresh_stats()?;
        Ok(Loaded {
            snapshot,
            entries,
            dropped_torn_entry,
        })
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        if !self.in_transaction {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| self.err("cannot begin a transaction", e))?;
            self.in_transaction = true;
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT OR REPLACE INTO journal (seq, crc, payload) VALUES (?1, ?2, ?3)",
            )
            .map_err(|e| self.err("cannot prepare an append", e))?;
        for e in entries {
            stmt.execute(params![
                e.seq as i64,
                checksum(&e.payload) as i64,
                e.payload
            ])
            .map_err(|err| StoreError(format!("{}: cannot append: {err}", self.path.display())))?;
            self.stats.journal_entries += 1;
            self.stats.journal_bytes += e.payload.len() as u64;
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        if self.in_transaction {
            self.in_transaction = false;
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| self.err("cannot commit", e))?;
        }
        Ok(())
    }

    fn snapshot_writer(&self) -> Box<dyn SnapshotWriter> {
        Box::new(self.snapshot_file.clone())
    }

    fn trim(&mut self, seq: u64, max_entries: u64) -> Result<bool, StoreError> {
        if !self.in_transaction {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| self.err("cannot begin a transaction", e))?;
            self.in_transaction = true;
        }
        let err = |s: &Self, e| s.err("cannot trim the journal", e);
        let first: Option<i64> = self
            .conn
            .query_row("SELECT MIN(seq) FROM journal", [], |r| r.get(0))
            .map_err(|e| err(self, e))?;
        let Some(first) = first.map(|f| f as u64).filter(|f| *f <= seq) else {
            self.conn
                .execute("DELETE FROM snapshot WHERE seq <= ?1", params![seq as i64])
                .map_err(|e| err(self, e))?;
            return Ok(true);
        };
        // Entries are numbered without gaps, so a chunk is a seq range.
        let last = seq.min(first.saturating_add(max_entries.max(1) - 1));
        let (n, bytes): (i64, i64) = self
            .conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM journal WHERE seq BETWEEN ?1 AND ?2",
                params![first as i64, last as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| err(self, e))?;
        self.conn
            .execute(
                "DELETE FROM journal WHERE seq BETWEEN ?1 AND ?2",
                params![first as i64, last as i64],
            )
            .map_err(|e| err(self, e))?;
        self.stats.journal_entries = self.stats.journal_entries.saturating_sub(n as u64);
        self.stats.journal_bytes = self.stats.journal_bytes.saturating_sub(bytes as u64);
        Ok(last == seq)
    }

    fn stats(&self) -> Stats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot's encoding, read whole (and checked).
    fn read_all(s: &Snapshot) -> Result<Vec<u8>, String> {
        s.decode(|r| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).map_err(|e| e.to_string())?;
            Ok(v)
        })
    }

    /// The snapshot `load` found, read whole.
    fn read(loaded: &Loaded) -> Option<(u64, Vec<u8>)> {
        loaded
            .snapshot
            .as_ref()
            .map(|s| (s.seq, read_all(s).unwrap()))
    }

    fn entry(seq: u64) -> Entry {
        Entry {
            seq,
            payload: format!("entry {seq}").into_bytes(),
        }
    }

    #[test]
    fn appended_entries_and_snapshots_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = SqliteStorage::open(dir.path()).unwrap();
            assert_eq!(s.load().unwrap(), Loaded::default());
            s.append(&[entry(1), entry(2)]).unwrap();
            s.sync().unwrap();
            s.snapshot(2, b"state at 2").unwrap();
            s.append(&[entry(3)]).unwrap();
            s.sync().unwrap();
            assert_eq!(s.stats().journal_entries, 1);
        }
        let mut s = SqliteStorage::open(dir.path()).unwrap();
        let loaded = s.load().unwrap();
        assert_eq!(read(&loaded), Some((2, b"state at 2".to_vec())));
        assert_eq!(loaded.entries, vec![entry(3)]);
        assert!(!loaded.dropped_torn_entry);
    }

    #[test]
    fn unsynced_entries_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = SqliteStorage::open(dir.path()).unwrap();
            s.append(&[entry(1)]).unwrap();
            s.sync().unwrap();
            s.append(&[entry(2)]).unwrap();
            // Dropped without sync: the open transaction rolls back.
        }
        let mut s = SqliteStorage::open(dir.path()).unwrap();
        assert_eq!(s.load().unwrap().entries, vec![entry(1)]);
    }

    #[test]
    fn snapshots_live_in_their_own_file_and_trimming_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStorage::open(dir.path()).unwrap();
        s.append(&[entry(1), entry(2), entry(3)]).unwrap();
        s.sync().unwrap();
        // Written from another thread, beside the journal: entries stay
        // until trimmed, and loading skips those the snapshot holds.
        let mut w = s.snapshot_writer();
        std::thread::spawn(move || w.write(2, &mut |s| s.write_all(b"state at 2")).unwrap())
            .join()
            .unwrap();
        s.append(&[entry(4)]).unwrap();
        s.sync().unwrap();
        assert_eq!(s.stats().journal_entries, 4);
        // Trimming goes in chunks, each part of the next sync.
        assert!(!s.trim(2, 1).unwrap());
        assert!(s.trim(2, 1).unwrap());
        s.sync().unwrap();
        assert_eq!(s.stats().journal_entries, 2);
        drop(s);
        let mut s = SqliteStorage::open(dir.path()).unwrap();
        let loaded = s.load().unwrap();
        assert_eq!(read(&loaded), Some((2, b"state at 2".to_vec())));
        assert_eq!(loaded.entries, vec![entry(3), entry(4)]);
        assert!(!dir
            .path()
            .join(format!("{SNAPSHOT_FILE_NAME}.tmp"))
            .exists());

        // A damaged snapshot file stops startup, naming the file: a bad
        // checksum when it is decoded, a bad header or length at once.
        let path = dir.path().join(SNAPSHOT_FILE_NAME);
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        drop(s);
        let loaded = SqliteStorage::open(dir.path()).unwrap().load().unwrap();
        let e = read_all(&loaded.snapshot.unwrap()).unwrap_err();
        assert!(
            e.contains(SNAPSHOT_FILE_NAME) && e.contains("checksum"),
            "{e}"
        );
        bytes.pop();
        std::fs::write(&path, &bytes).unwrap();
        let e = SqliteStorage::open(dir.path()).unwrap().load().unwrap_err();
        assert!(e.0.contains("length"), "{e}");
        std::fs::write(&path, b"RAMD").unwrap();
        let e = SqliteStorage::open(dir.path()).unwrap().load().unwrap_err();
        assert!(e.0.contains("no snapshot header"), "{e}");
    }

    #[test]
    fn a_torn_last_entry_is_dropped_and_other_corruption_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            let mut s = SqliteStorage::open(dir.path()).unwrap();
            s.append(&[entry(1), entry(2), entry(3)]).unwrap();
            s.sync().unwrap();
        }
        let corrupt = |seq: i64| {
            let c = Connection::open(&path).unwrap();
            c.execute(
                "UPDATE journal SET crc = crc + 1 WHERE seq = ?1",
                params![seq],
            )
            .unwrap();
        };
        corrupt(3);
        let mut s = SqliteStorage::open(dir.path()).unwrap();
        let loaded = s.load().unwrap();
        assert!(loaded.dropped_torn_entry);
        assert_eq!(loaded.entries, vec![entry(1), entry(2)]);
        drop(s);
        corrupt(1);
        let mut s = SqliteStorage::open(dir.path()).unwrap();
        let e = s.load().unwrap_err();
        assert!(e.0.contains(FILE_NAME) && e.0.contains("entry 1"), "{e}");
    }

    #[test]
    fn another_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStorage::open(dir.path()).unwrap());
        let c = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        c.execute(
            "UPDATE meta SET value = 99 WHERE key = 'format_version'",
            [],
        )
        .unwrap();
        drop(c);
        let e = SqliteStorage::open(dir.path()).unwrap_err();
        assert!(e.0.contains("format 99"), "{e}");
    }
}
