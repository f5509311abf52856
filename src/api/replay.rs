//! Recovery: rebuilds the state from the latest snapshot and the journal
//! entries after it, applying each journaled mutation again through the same
//! functions the live path uses (the operations are deterministic given the
//! recorded caller, time, id seed and request).

use chrono::{DateTime, Utc};

use crate::api::{admin, ram};
use crate::core::clock::Ctx;
use crate::core::state::{CoreConfig, State};
use crate::core::timers;
use crate::store::{Loaded, Record};

/// Applies one journaled mutation to the state.
pub fn apply(state: &mut State, rec: &Record) -> Result<(), String> {
    let now = DateTime::<Utc>::from_timestamp_millis(rec.now_millis)
        .ok_or_else(|| format!("the entry's time {} is out of range", rec.now_millis))?;
    let ctx = Ctx::new(rec.account.clone(), now, rec.seed);
    timers::run_due(state, now);
    let result = ram::replay(state, &ctx, rec)
        .or_else(|| admin::replay(state, &ctx, rec))
        .ok_or_else(|| format!("the entry's method {} is unknown", rec.method))?;
    result.map_err(|e| format!("{} failed on replay: {e}", rec.method))
}

/// The state recorded in `loaded`: the snapshot (or a fresh state keyed with
/// `fresh_key`) with every later entry applied.
pub fn recover(config: CoreConfig, loaded: &Loaded, fresh_key: [u8; 32]) -> Result<State, String> {
    let started = std::time::Instant::now();
    let mut state = match &loaded.snapshot {
        Some(snapshot) => {
            let seq = &snapshot.seq;
            let state = snapshot.decode(|r| State::read_snapshot(config, r))?;
            if state.applied_seq != *seq {
                return Err(format!(
                    "the snapshot says it includes entry {seq} but its state is at entry {}",
                    state.applied_seq
                ));
            }
            state
        }
        None => State::new(config, fresh_key),
    };
    let loaded_at = started.elapsed().as_secs_f64();
    for entry in &loaded.entries {
        if entry.seq != state.applied_seq + 1 {
            return Err(format!(
                "journal entry {} follows entry {}",
                entry.seq, state.applied_seq
            ));
        }
        let rec =
            Record::decode(&entry.payload).map_err(|e| format!("entry {}: {e}", entry.seq))?;
        apply(&mut state, &rec).map_err(|e| format!("entry {}: {e}", entry.seq))?;
        state.applied_seq = entry.seq;
    }
    tracing::info!(
        snapshot_bytes = loaded.snapshot.as_ref().map_or(0, |s| s.encoded_len()),
        snapshot_seconds = loaded_at,
        journal_entries = loaded.entries.len(),
        journal_seconds = started.elapsed().as_secs_f64() - loaded_at,
        shares = state.shares.len(),
        "recovered"
    );
    Ok(state)
}
