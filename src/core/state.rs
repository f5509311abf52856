//! The whole mutable state of a ramd server, and the configuration the core
//! needs (Region, partition, quotas).
//!
//! Every collection is a `BTreeMap` keyed by ARN, so listings are ordered,
//! pages are keyset ranges and snapshots are reproducible. The state sits
//! behind one `std::sync::RwLock` in the api layer: operations are short and
//! synchronous, and no lock is held across an `.await`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::core::idempotency;
use crate::core::invitations::Invitations;
use crate::core::orgs::Orgs;
use crate::core::page::TokenCodec;
use crate::core::permission_map::PermissionMap;
use crate::core::share_map::ShareMap;
use crate::core::share_permissions::ReplaceWork;
use crate::core::shares::ShareIndex;
use crate::core::timers::Timers;

/// The version of the snapshot encoding; bump it when `State` changes shape.
pub const SNAPSHOT_FORMAT: u32 = 3;

/// The longest single string or byte string a snapshot may hold.
const SNAPSHOT_SCRATCH: usize = 64 << 20;

fn unkeyed_codec() -> TokenCodec {
    TokenCodec::new([0; 32])
}

/// Quotas, with the AWS defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Customer managed permissions per account in the Region.
    pub permissions_per_account: usize,
    /// Customer managed permissions per account and resource type.
    pub permissions_per_type: usize,
    /// Versions per customer managed permission.
    pub versions_per_permission: usize,
    /// Resource shares per account in the Region.
    pub shares_per_account: usize,
    /// Live resource associations per resource share.
    pub resources_per_share: usize,
    /// Live principal associations per resource share.
    pub principals_per_share: usize,
    /// Live resource associations across an account's shares.
    pub resource_associations_per_account: usize,
    /// Live principal associations across an account's shares.
    pub principal_associations_per_account: usize,
    /// Pending invitations an account has sent.
    pub pending_invitations_per_account: usize,
    /// Resources one Create/AssociateResourceShare call may add.
    pub resources_per_call: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            permissions_per_account: 1500,
            permissions_per_type: 10,
            versions_per_permission: 5,
            shares_per_account: 25_000,
            resources_per_share: 5_000,
            principals_per_share: 5_000,
            resource_associations_per_account: 25_000,
            principal_associations_per_account: 25_000,
            pending_invitations_per_account: 20,
            resources_per_call: 100,
        }
    }
}

/// Where this server sits in AWS terms, and its quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreConfig {
    pub region: String,
    pub partition: String,
    pub limits: Limits,
}

impl Default for CoreConfig {
    fn default() -> CoreConfig {
        CoreConfig {
            region: "us-east-1".into(),
            partition: "aws".into(),
            limits: Limits::default(),
        }
    }
}

/// Everything a server knows. Serialized whole into snapshots (the
/// configuration comes from flags, and the token codec is rebuilt from its
/// key).
#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    #[serde(skip)]
    pub config: CoreConfig,
    /// Signs and checks pagination tokens (rebuilt from `token_key`).
    #[serde(skip, default = "unkeyed_codec")]
    pub tokens: TokenCodec,
    /// The pagination token key, kept so tokens survive a restart.
    token_key: [u8; 32],
    /// The sequence number of the last journaled mutation applied to this
    /// state (0 for none); snapshots carry it, so replay resumes after it.
    pub applied_seq: u64,
    /// Customer managed permissions (including CREATED_FROM_POLICY ones), by ARN.
    pub permissions: PermissionMap,
    /// Remembered client tokens.
    pub idempotency: idempotency::Store,
    /// Organizations, their OUs and member accounts.
    pub orgs: Orgs,
    /// Resource shares (including DELETED ones until purged), by ARN and
    /// by handle. Persistent: a snapshot copies it in O(1).
    #[serde(with = "shares_by_arn")]
    pub shares: ShareMap,
    /// Shares by principal, resource and permission; quota usage.
    pub index: ShareIndex,
    /// Invitations to shares.
    pub invitations: Invitations,
    /// Clock-driven changes still to come.
    pub timers: Timers,
    /// ReplacePermissionAssociations work items, by (owner, id).
    pub works: BTreeMap<(String, String), ReplaceWork>,
    /// Resource-based policies reported through the admin service: resource
    /// ARN -> the CREATED_FROM_POLICY share that mirrors it.
    pub policies: BTreeMap<String, String>,
    /// Shares being promoted to STANDARD: share ARN -> (resource type,
    /// permission ARN, version) to attach when the promotion completes.
    pub promotions: BTreeMap<String, Vec<(String, String, u32)>>,
}

impl State {
    /// An empty state; `token_key` signs pagination tokens.
    pub fn new(config: CoreConfig, token_key: [u8; 32]) -> State {
        State {
            config,
            tokens: TokenCodec::new(token_key),
            token_key,
            applied_seq: 0,
            permissions: PermissionMap::new(),
            idempotency: idempotency::Store::default(),
            orgs: Orgs::default(),
            shares: ShareMap::new(),
            index: ShareIndex::default(),
            invitations: Invitations::default(),
            timers: Timers::default(),
            works: BTreeMap::new(),
            policies: BTreeMap::new(),
            promotions: BTreeMap::new(),
        }
    }

    /// Drops every object, keeping the configuration, the token key and the
    /// journal position.
    pub fn reset(&mut self) {
        let seq = self.applied_seq;
        *self = State::new(self.config.clone(), self.token_key);
        self.applied_seq = seq;
    }

    /// A copy of everything a snapshot holds, cheap enough to take under the
    /// read lock: shares are `Arc`s, so the share map is copied as pointers,
    /// and the indexes and hash tables (which snapshots leave out) are not
    /// copied.
    pub fn snapshot_copy(&self) -> State {
        State {
            config: self.config.clone(),
            tokens: self.tokens.clone(),
            token_key: self.token_key,
            applied_seq: self.applied_seq,
            permissions: self.permissions.snapshot_copy(),
            idempotency: self.idempotency.clone(),
            orgs: self.orgs.snapshot_copy(),
            shares: self.shares.snapshot_copy(),
            index: ShareIndex {
                usage: self.index.usage.clone(),
                ..ShareIndex::default()
            },
            invitations: self.invitations.clone(),
            timers: self.timers.clone(),
            works: self.works.clone(),
            policies: self.policies.clone(),
            promotions: self.promotions.clone(),
        }
    }

    /// Encodes the state for a snapshot.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_snapshot(&mut out)
            .expect("the state always encodes");
        out
    }

    /// Streams the encoding of `to_snapshot` into `out`.
    pub fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        postcard::to_io(&(SNAPSHOT_FORMAT, self), out)
            .map(|_| ())
            .map_err(|e| std::io::Error::other(format!("the snapshot does not encode: {e}")))
    }

    /// Decodes a snapshot made by `to_snapshot`.
    pub fn from_snapshot(config: CoreConfig, bytes: &[u8]) -> Result<State, String> {
        State::read_snapshot(config, &mut &*bytes)
    }

    /// Decodes a snapshot streamed from `input`, which is read in pieces:
    /// the encoding is never whole in memory.
    pub fn read_snapshot(
        config: CoreConfig,
        input: &mut dyn std::io::Read,
    ) -> Result<State, String> {
        // Holds one string or byte string at a time while it is decoded;
        // the longest (a recorded response) stays well under this.
        let mut scratch = vec![0u8; SNAPSHOT_SCRATCH];
        let ((format, mut state), _): ((u32, State), _) =
            postcard::from_io((input, &mut scratch[..]))
                .map_err(|e| format!("the snapshot does not decode: {e}"))?;
        if format != SNAPSHOT_FORMAT {
            return Err(format!(
                "the snapshot has format {format}; this ramd reads format {SNAPSHOT_FORMAT}"
            ));
        }
        state.config = config;
        state.tokens = TokenCodec::new(state.token_key);
        state.shares.link_permissions(&state.permissions);
        state.index.rebuild(&state.shares);
        Ok(state)
    }

    /// The ARN of a customer managed permission of `account` in this Region.
    pub fn permission_arn(&self, account: &str, name: &str) -> String {
        format!(
            "arn:{}:ram:{}:{}:permission/{}",
            self.config.partition, self.config.region, account, name
        )
    }

    /// The ARN of an AWS managed permission.
    pub fn aws_permission_arn(&self, name: &str) -> String {
        format!("arn:{}:ram::aws:permission/{}", self.config.partition, name)
    }
}

/// Serde for the share map: the shares alone, in order; loading keys each
/// by its own ARN (one allocation for both, and no ARN written twice) and
/// numbers the handles in ARN order.
mod shares_by_arn {
    use std::fmt;
    use std::sync::Arc;

    use serde::de::{SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    use crate::core::share_map::ShareMap as Shares;
    use crate::core::shares::ResourceShare;

    pub fn serialize<S: Serializer>(shares: &Shares, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        // Between operations every ARN's slot is filled, so the length is
        // the number of ARNs (the encoding needs it first).
        let mut seq = s.serialize_seq(Some(shares.len()))?;
        for share in shares.values() {
            seq.serialize_element(share)?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Shares, D::Error> {
        struct SharesVisitor;
        impl<'de> Visitor<'de> for SharesVisitor {
            type Value = Shares;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence of resource shares")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shares, A::Error> {
                let mut shares = Shares::new();
                // Principal ids shared across shares, as they were before
                // the snapshot.
                let mut interned = std::collections::HashSet::new();
                while let Some(mut share) = seq.next_element::<ResourceShare>()? {
                    share.intern_principals(&mut interned);
                    shares.insert(Arc::new(share));
                }
                Ok(shares)
            }
        }
        d.deserialize_seq(SharesVisitor)
    }
}
