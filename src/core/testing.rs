//! Fixtures shared by the core's unit tests and the integration tests
//! (`tests/it`); not part of the service.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::core::clock::Ctx;
use crate::core::orgs::{
    self, AddAccountInput, CreateOrganizationInput, CreateOrganizationalUnitInput, Organization,
    OrganizationalUnit,
};
use crate::core::permissions::FeatureSet;
use crate::core::shares::{ResourceShare, ShareStatus};
use crate::core::state::{CoreConfig, State};

/// The time the fixtures are made at.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A state where `owner` manages an organization with sharing enabled and
/// `member` sits in its one OU; returns (state, organization, OU).
pub fn org_with_member(owner: &str, member: &str) -> (State, Organization, OrganizationalUnit) {
    let mut s = State::new(CoreConfig::default(), [7; 32]);
    let c = Ctx::new(owner, t0(), 1);
    let org = orgs::create_organization(
        &mut s,
        &c,
        CreateOrganizationInput {
            management_account_id: owner.into(),
        },
    )
    .unwrap();
    let ou = orgs::create_organizational_unit(
        &mut s,
        &c,
        CreateOrganizationalUnitInput {
            parent_id: org.root_id.clone(),
            name: "Prod".into(),
        },
    )
    .unwrap();
    orgs::add_account(
        &mut s,
        &c,
        AddAccountInput {
            account_id: member.into(),
            parent_id: ou.id.clone(),
        },
    )
    .unwrap();
    orgs::enable_sharing_with_aws_organization(&mut s, &c, ()).unwrap();
    (s, org, ou)
}

/// A share with nothing in it, owned by 111122223333 and made at `now`.
pub fn empty_share(now: DateTime<Utc>) -> ResourceShare {
    ResourceShare {
        arn: Arc::from("arn:aws:ram:us-east-1:111122223333:resource-share/empty"),
        name: "empty".into(),
        owner: "111122223333".into(),
        allow_external_principals: true,
        status: ShareStatus::Active,
        status_message: None,
        feature_set: FeatureSet::Standard,
        tags: Default::default(),
        retain_sharing_on_account_leave_organization: None,
        creation_time: now,
        last_updated_time: now,
        resources: Default::default(),
        principals: Default::default(),
        sources: Default::default(),
        permissions: Default::default(),
    }
}

/// Checks that every attached permission of a live share is linked
/// exactly when it names a customer managed permission's version, to that
/// very version (the `Arc` the permission holds), and that no deleted
/// share's is: `AttachedPermission::linked` is derived, and a path that
/// attached without linking, linked to a copy or kept a deleted share's
/// link shows here.
pub fn check_links(state: &State) -> Result<(), String> {
    for share in state.shares.values() {
        for (rt, a) in share.permissions.iter() {
            let version = a.version_in(&state.permissions).filter(|_| share.is_live());
            let linked_right = match (version, &a.linked) {
                (Some(v), Some(l)) => Arc::ptr_eq(v, l),
                (None, None) => true,
                _ => false,
            };
            if !linked_right {
                return Err(format!(
                    "share {} ({:?}): the {rt} permission {} version {} is {} linked (exists: {})",
                    share.arn,
                    share.status,
                    a.arn,
                    a.version,
                    if a.linked.is_some() { "wrongly" } else { "not" },
                    version.is_some()
                ));
            }
        }
    }
    Ok(())
}
