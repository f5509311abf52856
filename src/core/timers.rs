//! Clock-driven changes: invitation expiry and the purge of deleted shares.
//! Timers are part of the state, so they survive with it; `run_due` applies
//! every timer whose time has come, in time order. The api layer runs it
//! before each mutating operation, after AdvanceClock and from a periodic
//! tick, so what a client reads is at most one tick behind the clock.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::core::state::State;
use crate::core::{invitations, shares};

/// Something that happens at a given time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timer {
    /// A PENDING invitation expires.
    ExpireInvitation(String),
    /// A DELETED share's retention ends.
    PurgeShare(String),
}

/// The pending timers, in time order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Timers {
    queue: BTreeSet<(DateTime<Utc>, Timer)>,
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
        }
    }
}
