//! Clock-driven changes: invitation expiry, the purge of deleted shares, the
//! end of client-token retention, and the asynchronous steps of
//! ReplacePermissionAssociations and share promotion.
//! Timers are part of the state, so they survive with it; `run_due` applies
//! every timer whose time has come, in time order. The api layer runs it
//! before each mutating operation, after AdvanceClock and from a periodic
//! tick, so what a client reads is at most one tick behind the clock.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::core::state::State;
use crate::core::{created_from_policy, invitations, share_permissions, shares};

/// Something that happens at a given time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timer {
    /// A PENDING invitation expires.
    ExpireInvitation(String),
    /// A DELETED share's retention ends.
    PurgeShare(String),
    /// A ReplacePermissionAssociations work item (owner, id) runs.
    RunReplaceWork(String, String),
    /// A share promoted from CREATED_FROM_POLICY becomes STANDARD.
    CompletePromotion(String),
    /// A client token's retention ends: (account, operation, token).
    ForgetToken(String, String, String),
}

/// The pending timers, in time order.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timers {
    #[serde(with = "compact_queue")]
    queue: BTreeSet<(DateTime<Utc>, Timer)>,
}

/// Serde for the queue with compact timestamps (`clock::compact_time`).
mod compact_queue {
    use std::collections::BTreeSet;

    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Timer;

    #[derive(Deserialize)]
    struct Entry(
        #[serde(with = "crate::core::clock::compact_time")] DateTime<Utc>,
        Timer,
    );

    /// An entry as written: the same shape as `Entry`, borrowed.
    #[derive(Serialize)]
    struct EntryRef<'a>(
        #[serde(serialize_with = "time_ref")] &'a DateTime<Utc>,
        &'a Timer,
    );

    fn time_ref<S: Serializer>(t: &&DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        crate::core::clock::compact_time::serialize(t, s)
    }

    pub fn serialize<S: Serializer>(
        queue: &BTreeSet<(DateTime<Utc>, Timer)>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(queue.iter().map(|(t, timer)| EntryRef(t, timer)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeSet<(DateTime<Utc>, Timer)>, D::Error> {
        let entries = Vec::<Entry>::deserialize(d)?;
        Ok(entries
            .into_iter()
            .map(|Entry(t, timer)| (t, timer))
            .collect())
    }
}

impl Timers {
    pub fn schedule(&mut self, at: DateTime<Utc>, timer: Timer) {
        self.queue.insert((at, timer));
    }

    /// The time of the earliest timer.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.queue.first().map(|(t, _)| *t)
    }

    /// Removes and returns the earliest timer due at `now`.
    fn pop_due(&mut self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, Timer)> {
        match self.queue.first() {
            Some((t, _)) if *t <= now => self.queue.pop_first(),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// Whether any timer is due at `now` (cheap; for the periodic tick).
pub fn any_due(state: &State, now: DateTime<Utc>) -> bool {
    state.timers.next_deadline().is_some_and(|t| t <= now)
}

/// Applies every timer due at `now`, each at its own time.
pub fn run_due(state: &mut State, now: DateTime<Utc>) {
    while let Some((at, timer)) = state.timers.pop_due(now) {
        match timer {
            Timer::ExpireInvitation(arn) => invitations::expire(state, &arn, at),
            Timer::PurgeShare(arn) => shares::purge(state, &arn),
            Timer::RunReplaceWork(owner, id) => {
                share_permissions::run_replace_work(state, &owner, &id, at)
            }
            Timer::CompletePromotion(arn) => {
                created_from_policy::complete_promotion(state, &arn, at)
            }
            Timer::ForgetToken(account, op, token) => {
                state.idempotency.forget(&account, &op, &token, at)
            }
        }
    }
}
