//! Where time and identifiers come from. The core never reads the system
//! clock or a random source directly: an operation gets `now` and an `IdGen`
//! through its `Ctx`, so it is deterministic for a given context (unit tests
//! use fixed times and seeds; a journal can replay a command exactly).

use std::cell::Cell;
use std::sync::Mutex;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sha2::{Digest, Sha256};

/// The server's clock: the system's, or a manual one that only `advance` moves.
#[derive(Debug)]
pub enum Clock {
    System,
    Manual(Mutex<DateTime<Utc>>),
}

impl Clock {
    /// A manual clock starting at `start`.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock::Manual(Mutex::new(start.trunc_subsecs(3)))
    }

    /// The current time, at millisecond precision (as AWS reports times).
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now().trunc_subsecs(3),
            Clock::Manual(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// The latest time a manual clock reaches: the last second a protobuf
    /// timestamp can carry (9999-12-31T23:59:59Z), far enough from chrono's
    /// limit that the core's own date arithmetic (expiry, purge) never
    /// overflows.
    pub fn latest() -> DateTime<Utc> {
        DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Moves a manual clock by `seconds`, stopping at [`Clock::latest`];
    /// `None` for the system clock.
    pub fn advance(&self, seconds: i64) -> Option<DateTime<Utc>> {
        match self {
            Clock::System => None,
            Clock::Manual(t) => {
                let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
                let moved = Duration::try_seconds(seconds).and_then(|d| t.checked_add_signed(d));
                *t = match moved {
                    Some(moved) => moved.min(Clock::latest()),
                    None if seconds < 0 => *t,
                    None => Clock::latest(),
                };
                Some(*t)
            }
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self, Clock::Manual(_))
    }
}

/// A deterministic source of identifiers derived from a seed: the same seed
/// yields the same sequence of ids.
#[derive(Debug)]
pub struct IdGen {
    seed: u64,
    counter: Cell<u64>,
}

impl IdGen {
    pub fn new(seed: u64) -> IdGen {
        IdGen {
            seed,
            counter: Cell::new(0),
        }
    }

    fn next_block(&self) -> [u8; 32] {
        let n = self.counter.get();
        self.counter.set(n + 1);
        let mut h = Sha256::new();
        h.update(self.seed.to_le_bytes());
        h.update(n.to_le_bytes());
        h.finalize().into()
    }

    /// A lowercase version 4 UUID.
    pub fn uuid(&self) -> String {
        let block = self.next_block();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&block[..16]);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    /// `n` characters drawn from `alphabet` (which must not be empty).
    pub fn chars(&self, n: usize, alphabet: &[u8]) -> String {
        let mut out = String::with_capacity(n);
        while out.len() < n {
            for b in self.next_block() {
                if out.len() == n {
                    break;
                }
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
        out
    }
}

/// Draws ids from `draw` until one is not `taken`. Ids come from the
/// request's seed, so two requests with one seed draw the same ones (and a
/// 64-bit seed can repeat): a new object must not take an existing one's
/// id and replace it. Collisions are unlikely; the loop only makes them
/// harmless, and is as deterministic as the draws, so a replay makes the
/// same choice.
pub fn fresh(mut draw: impl FnMut() -> String, taken: impl Fn(&str) -> bool) -> String {
    loop {
        let id = draw();
        if !taken(&id) {
            return id;
        }
    }
}

/// The context of one operation: who calls, when, and where ids come from.
#[derive(Debug)]
pub struct Ctx {
    /// The calling account (12 digits).
    pub account: String,
    /// The time of the operation.
    pub now: DateTime<Utc>,
    /// Identifiers for objects the operation creates.
    pub ids: IdGen,
}

impl Ctx {
    pub fn new(account: impl Into<String>, now: DateTime<Utc>, seed: u64) -> Ctx {
        Ctx {
            account: account.into(),
            now,
            ids: IdGen::new(seed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_per_seed() {
        let a = IdGen::new(7);
        let b = IdGen::new(7);
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.uuid(), b.uuid());
        let c = IdGen::new(8);
        assert_ne!(IdGen::new(7).uuid(), c.uuid());
        let u = IdGen::new(1).uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn chars_use_the_alphabet() {
        let s = IdGen::new(3).chars(40, b"abc");
        assert_eq!(s.len(), 40);
        assert!(s.bytes().all(|b| b"abc".contains(&b)));
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = Clock::manual(start);
        assert_eq!(c.now(), start);
        assert_eq!(c.advance(60), Some(start + Duration::seconds(60)));
        assert_eq!(c.now(), start + Duration::seconds(60));
        assert_eq!(Clock::System.advance(1), None);
        // However far it is pushed, the clock stops at the latest time.
        assert_eq!(c.advance(i64::MAX), Some(Clock::latest()));
        assert_eq!(c.advance(1), Some(Clock::latest()));
    }
}

/// Serde for the timestamps snapshots hold many of: (seconds, nanoseconds)
/// as integers, lossless and a few bytes each in postcard (chrono's own form
/// is an RFC 3339 string, some 30 bytes to write and parse).
pub mod compact_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        (t.timestamp(), t.timestamp_subsec_nanos()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let (seconds, nanos) = <(i64, u32)>::deserialize(d)?;
        DateTime::from_timestamp(seconds, nanos)
            .ok_or_else(|| serde::de::Error::custom("a timestamp is out of range"))
    }
}
