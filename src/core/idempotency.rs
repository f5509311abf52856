//! Client-token idempotency, shared by every operation that takes a
//! `clientToken`. A record remembers, per (account, operation, token), a
//! fingerprint of the request and the encoded response of the first call, so
//! a retry gets the same answer without running the operation again. The
//! core treats both as opaque bytes: the api layer decides what they are.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};

/// How long a token is remembered.
pub const RETENTION_HOURS: i64 = 24;

/// The longest client token accepted.
pub const MAX_TOKEN_LEN: usize = 64;

/// One remembered call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub fingerprint: [u8; 32],
    pub response: Vec<u8>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub created: DateTime<Utc>,
}

/// (account, operation, token) -> the first call's record.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Store {
    records: BTreeMap<(String, String, String), Record>,
}

/// Refuses client tokens that are empty, too long or not printable ASCII.
pub fn validate_token(token: &str) -> Result<()> {
    if token.is_empty()
        || token.len() > MAX_TOKEN_LEN
        || !token.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Error::InvalidClientToken(format!(
            "The client token {token:?} is not valid: use 1 to {MAX_TOKEN_LEN} printable ASCII characters without spaces."
        )));
    }
    Ok(())
}

impl Store {
    /// The response of an earlier call with this token, if it had the same
    /// fingerprint; `IdempotentParameterMismatchException` if it differed.
    pub fn lookup(
        &self,
        account: &str,
        op: &str,
        token: &str,
        fingerprint: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<&[u8]>> {
        let key = (account.to_string(), op.to_string(), token.to_string());
        match self.records.get(&key) {
            Some(r) if now - r.created < Duration::hours(RETENTION_HOURS) => {
                if &r.fingerprint == fingerprint {
                    Ok(Some(&r.response))
                } else {
                    Err(Error::IdempotentParameterMismatch(format!(
                        "The client token {token} was already used for a {op} request with different parameters. Use a new token for a new request."
                    )))
                }
            }
            _ => Ok(None),
        }
    }

    /// Remembers the first successful call with this token.
    pub fn record(&mut self, account: &str, op: &str, token: &str, record: Record) {
        self.records.insert(
            (account.to_string(), op.to_string(), token.to_string()),
            record,
        );
    }

    /// Forgets one record once its retention window is over (its timer).
    pub fn forget(&mut self, account: &str, op: &str, token: &str, now: DateTime<Utc>) {
        let key = (account.to_string(), op.to_string(), token.to_string());
        if self
            .records
            .get(&key)
            .is_some_and(|r| now - r.created >= Duration::hours(RETENTION_HOURS))
        {
            self.records.remove(&key);
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn token_syntax() {
        for ok in ["a", "abc-123", &"x".repeat(64)] {
            assert!(validate_token(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", &"x".repeat(65), "é"] {
            assert!(
                matches!(validate_token(bad), Err(Error::InvalidClientToken(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn same_token_same_params_replays_and_different_params_mismatch() {
        let mut s = Store::default();
        let fp = [1u8; 32];
        assert_eq!(
            s.lookup("111122223333", "Op", "t", &fp, t0()).unwrap(),
            None
        );
        s.record(
            "111122223333",
            "Op",
            "t",
            Record {
                fingerprint: fp,
                response: vec![9],
                created: t0(),
            },
        );
        assert_eq!(
            s.lookup("111122223333", "Op", "t", &fp, t0()).unwrap(),
            Some(&[9u8][..])
        );
        assert!(matches!(
            s.lookup("111122223333", "Op", "t", &[2u8; 32], t0()),
            Err(Error::IdempotentParameterMismatch(_))
        ));
        // Scoped per account and operation.
        assert_eq!(
            s.lookup("444455556666", "Op", "t", &fp, t0()).unwrap(),
            None
        );
        assert_eq!(
            s.lookup("111122223333", "Other", "t", &fp, t0()).unwrap(),
            None
        );
        // Forgotten after the retention window.
        let later = t0() + Duration::hours(RETENTION_HOURS);
        assert_eq!(
            s.lookup("111122223333", "Op", "t", &fp, later).unwrap(),
            None
        );
        s.forget("111122223333", "Op", "t", later);
        assert!(s.is_empty());
    }
}
