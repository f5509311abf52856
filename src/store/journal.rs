//! Group commit. Requests queue their journal entries (in sequence order,
//! while they hold the state's write lock) and wait; one committer thread
//! takes everything queued, appends it, syncs once and publishes the new
//! durable sequence number, which wakes every request whose entry it covers.
//! Concurrent writers so share one fsync.
//!
//! Every `snapshot_every` entries the committer takes a copy of the state
//! under its read lock (`State::snapshot_copy`: shares are shared, not
//! copied) and hands it to the snapshot thread, which encodes and writes it
//! while commits go on; once it is durable, the committer trims the journal.
//! One snapshot is in flight at a time. A failed append or sync is
//! fatal for writes: the journal reports the failure to every waiter and to
//! later writers, which answer ServiceUnavailableException, and the server
//! stops reporting SERVING; restarting recovers from what is on disk.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::watch;

use crate::core::state::State;
use crate::store::{Entry, Stats, Storage, StoreError};

/// What the committer has made durable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durable {
    /// Every entry up to this sequence number is on disk.
    pub seq: u64,
    /// Set once a write to storage failed; nothing is written after that.
    pub failed: Option<String>,
}

/// Observations the committer reports (for metrics).
pub trait JournalObserver: Send + Sync {
    fn fsync(&self, seconds: f64, entries: usize);
    fn stats(&self, stats: Stats);
}

/// Journal entries trimmed with each batch once a snapshot holds them.
const TRIM_CHUNK: u64 = 2_000;

enum Msg {
    Entry(Entry),
    /// Sync, snapshot, and stop.
    Close(mpsc::Sender<()>),
}

/// The handle requests use to make their writes durable.
pub struct Journal {
    tx: Mutex<mpsc::Sender<Msg>>,
    durable: watch::Receiver<Durable>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("durable", &*self.durable.borrow())
            .finish()
    }
}

impl Journal {
    /// Starts the committer over `storage`. `state` is snapshotted every
    /// `snapshot_every` entries; `durable_seq` is what storage already holds.
    pub fn start(
        mut storage: Box<dyn Storage>,
        state: Arc<RwLock<State>>,
        durable_seq: u64,
        snapshot_every: u64,
        observer: Arc<dyn JournalObserver>,
    ) -> Journal {
        let (tx, rx) = mpsc::channel::<Msg>();
        let (durable_tx, durable_rx) = watch::channel(Durable {
            seq: durable_seq,
            failed: None,
        });
        observer.stats(storage.stats());
        let mut writer = storage.snapshot_writer();
        let (snap_tx, snap_rx) = mpsc::channel::<State>();
        let (done_tx, done_rx) = mpsc::channel::<Result<u64, StoreError>>();
        let snapshotter = std::thread::Builder::new()
            .name("ramd-snapshot".into())
            .spawn(move || {
                for copy in snap_rx {
                    let started = Instant::now();
                    let seq = copy.applied_seq;
                    let result = writer
                        .write(seq, &mut |out| copy.write_snapshot(out))
                        .map(|_| seq);
                    drop(copy);
                    tracing::debug!(
                        seq,
                        seconds = started.elapsed().as_secs_f64(),
                        "snapshot encoded and written"
                    );
                    if done_tx.send(result).is_err() {
                        return;
                    }
                }
            })
            .expect("the snapshot thread starts");
        let thread = std::thread::Builder::new()
            .name("ramd-journal".into())
            .spawn(move || {
                let mut since_snapshot = 0u64;
                let mut failed = false;
                let mut in_flight = false;
                // Hands a copy of the state to the snapshot thread.
                let start_snapshot = |in_flight: &mut bool| {
                    let started = Instant::now();
                    let copy = state
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .snapshot_copy();
                    tracing::debug!(
                        seq = copy.applied_seq,
                        seconds = started.elapsed().as_secs_f64(),
                        "state copied for a snapshot"
                    );
                    *in_flight = snap_tx.send(copy).is_ok();
                };
                // The entries a durable snapshot holds, to trim from the
                // journal a chunk per batch.
                let mut trim_through: Option<u64> = None;
                let finish_snapshot = |result: Result<u64, StoreError>| -> Option<u64> {
                    match result {
                        Ok(seq) => {
                            tracing::debug!(seq, "snapshot durable");
                            Some(seq)
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "snapshot failed; the journal keeps growing");
                            None
                        }
                    }
                };
                while let Ok(first) = rx.recv() {
                    let mut batch = Vec::new();
                    let mut close = None;
                    let mut next = Some(first);
                    while let Some(m) = next.take() {
                        match m {
                            Msg::Entry(e) => batch.push(e),
                            Msg::Close(done) => {
                                close = Some(done);
                                break;
                            }
                        }
                        next = rx.try_recv().ok();
                    }
                    if !failed && !batch.is_empty() {
                        let started = Instant::now();
                        let last = batch.last().map(|e| e.seq).unwrap_or(0);
                        let result = storage
                            .append(&batch)
                            .and_then(|_| match trim_through {
                                Some(seq) => storage.trim(seq, TRIM_CHUNK).map(|done| {
                                    if done {
                                        tracing::debug!(seq, "journal trimmed");
                                        trim_through = None;
                                    }
                                }),
                                None => Ok(()),
                            })
                            .and_then(|_| storage.sync());
                        match result {
                            Ok(()) => {
                                observer.fsync(started.elapsed().as_secs_f64(), batch.len());
                                since_snapshot += batch.len() as u64;
                                durable_tx.send_modify(|d| d.seq = d.seq.max(last));
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "journal write failed; refusing further writes");
                                failed = true;
                                durable_tx.send_modify(|d| d.failed = Some(e.0.clone()));
                            }
                        }
                    }
                    if !failed {
                        if let Ok(result) = done_rx.try_recv() {
                            in_flight = false;
                            if let Some(seq) = finish_snapshot(result) {
                                trim_through = Some(seq);
                            }
                        }
                        if !in_flight && since_snapshot >= snapshot_every {
                            since_snapshot = 0;
                            start_snapshot(&mut in_flight);
                        }
                    }
                    observer.stats(storage.stats());
                    if let Some(done) = close {
                        if !failed {
                            if in_flight {
                                if let Ok(result) = done_rx.recv() {
                                    finish_snapshot(result);
                                }
                            }
                            // The final snapshot: the next start reads it
                            // and no journal.
                            start_snapshot(&mut in_flight);
                            if let Ok(result) = done_rx.recv() {
                                if let Some(seq) = finish_snapshot(result) {
                                    if let Err(e) = storage.trim_all(seq) {
                                        tracing::error!(error = %e, "cannot trim the journal");
                                    }
                                    durable_tx.send_modify(|d| d.seq = d.seq.max(seq));
                                    tracing::info!(seq, "final snapshot written");
                                }
                            }
                        }
                        drop(snap_tx);
                        let _ = snapshotter.join();
                        let _ = done.send(());
                        return;
                    }
                }
            })
            .expect("the journal thread starts");
        Journal {
            tx: Mutex::new(tx),
            durable: durable_rx,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Queues an entry. Call while holding the state's write lock, so entries
    /// queue in sequence order.
    pub fn submit(&self, entry: Entry) {
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let _ = tx.send(Msg::Entry(entry));
    }

    /// The failure that stopped the journal, if any.
    pub fn failure(&self) -> Option<String> {
        self.durable.borrow().failed.clone()
    }

    /// Waits until entry `seq` is durable; `Err` with the failure otherwise.
    pub async fn wait_durable(&self, seq: u64) -> Result<(), String> {
        let mut rx = self.durable.clone();
        let result = rx
            .wait_for(|d| d.seq >= seq || d.failed.is_some())
            .await
            .map(|d| d.clone());
        match result {
            Ok(d) if d.seq >= seq => Ok(()),
            Ok(d) => Err(d.failed.unwrap_or_default()),
            Err(_) => Err("the journal stopped".into()),
        }
    }

    /// A receiver of the durable position, for health reporting.
    pub fn watch(&self) -> watch::Receiver<Durable> {
        self.durable.clone()
    }

    /// Syncs what is queued, writes a final snapshot and stops the committer.
    pub fn close(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        {
            let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
            if tx.send(Msg::Close(done_tx)).is_err() {
                return;
            }
        }
        let _ = done_rx.recv();
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
    }
}
