//! Sharing inside an organization: enabling it from the management account,
//! OU and organization principals evaluated as membership changes, members
//! invited while organization sharing is off, and the refusals that protect
//! the organization's boundary.

use ramd::pb::admin as admin_pb;
use ramd::pb::v1 as pb;
use tonic::Code;

use crate::common::*;

/// An organization managed by OWNER with an OU "dev" holding MEMBER_A and
/// MEMBER_B directly under the root; org sharing enabled when `enable`.
async fn org_with_ou(
    server: &TestServer,
    enable: bool,
) -> (admin_pb::Organization, admin_pb::OrganizationalUnit) {
    let org = create_org(server, OWNER).await.unwrap();
    let dev = create_ou(server, &org.root_id, "dev").await.unwrap();
    add(server, MEMBER_A, &dev.id).await.unwrap();
    add(server, MEMBER_B, &org.root_id).await.unwrap();
    if enable {
        assert!(enable_sharing(server, OWNER).await.unwrap());
    }
    (org, dev)
}

#[tokio::test]
async fn only_the_management_account_enables_organization_sharing() {
    let server = TestServer::start().await;
    org_with_ou(&server, false).await;
    for account in [MEMBER_A, RECEIVER] {
        assert_err(
            enable_sharing(&server, account).await,
            Code::FailedPrecondition,
            "OperationNotPermittedException",
        );
    }
    assert!(enable_sharing(&server, OWNER).await.unwrap());
    // Enabling again is harmless.
    assert!(enable_sharing(&server, OWNER).await.unwrap());
}

#[tokio::test]
async fn an_ou_reaches_its_members_as_they_come_and_go() {
    let server = TestServer::start().await;
    let (_org, dev) = org_with_ou(&server, true).await;
    let owner = who(&server, OWNER);
    let a = who(&server, MEMBER_A);
    let b = who(&server, MEMBER_B);
    let s1 = subnet(OWNER, "0a1b2c3d");

    let arn = owner
        .create_share("dev-network", &[&s1], &[&dev.arn])
        .await
        .resource_share_arn;
    let principal = owner
        .associations_with(pb::GetResourceShareAssociationsRequest {
            association_type: Kind::Principal as i32,
            resource_share_arns: vec![arn.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_associations;
    assert_eq!(principal.len(), 1);
    assert_eq!(principal[0].associated_entity, dev.arn);
    assert_eq!(principal[0].status(), Assoc::Associated);
    assert_eq!(principal[0].external, Some(false));

    // MEMBER_A, in the OU, has access without an invitation.
    assert!(a.invitations().await.is_empty());
    assert_eq!(share_arns(&a.shares(OTHERS).await), vec![arn.clone()]);
    assert_eq!(resource_arns(&a.resources(OTHERS).await), vec![s1.clone()]);
    let owners = a.principals(OTHERS).await;
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].id, OWNER);
    assert_eq!(owners[0].external, Some(false));
    assert_eq!(
        a.share_permissions(&arn).await.unwrap()[0].arn,
        SUBNET_DEFAULT
    );
    // MEMBER_B, under the root, has none.
    assert!(b.shares(OTHERS).await.is_empty());
    assert!(b.resources(OTHERS).await.is_empty());

    // Reached through the OU, MEMBER_A can't leave on its own.
    assert_err(
        a.leave(&arn).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    assert_eq!(share_arns(&a.shares(OTHERS).await), vec![arn.clone()]);

    // MEMBER_B moves into the OU and gains access.
    add(&server, MEMBER_B, &dev.id).await.unwrap();
    assert_eq!(share_arns(&b.shares(OTHERS).await), vec![arn.clone()]);
    assert_eq!(resource_arns(&b.resources(OTHERS).await), vec![s1.clone()]);

    // MEMBER_A leaves the organization and loses access.
    remove(&server, MEMBER_A).await.unwrap();
    assert!(a.shares(OTHERS).await.is_empty());
    assert!(a.resources(OTHERS).await.is_empty());
    assert!(a.principals(OTHERS).await.is_empty());
    assert_err(
        a.share_permissions(&arn).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    assert_eq!(share_arns(&b.shares(OTHERS).await), vec![arn]);
}

#[tokio::test]
async fn the_organization_reaches_every_member_and_no_outsider() {
    let server = TestServer::start().await;
    let (org, dev) = org_with_ou(&server, true).await;
    let owner = who(&server, OWNER);
    let nested = create_ou(&server, &dev.id, "nested").await.unwrap();
    let late = "300000000003";
    let p1 = project(OWNER, "p1");

    let arn = owner
        .create_share("everyone", &[&p1], &[&org.arn])
        .await
        .resource_share_arn;
    assert_eq!(
        owner
            .association_status(Kind::Principal, &arn, &org.arn)
            .await,
        Assoc::Associated
    );
    for member in [MEMBER_A, MEMBER_B] {
        let m = who(&server, member);
        assert_eq!(
            share_arns(&m.shares(OTHERS).await),
            vec![arn.clone()],
            "{member}"
        );
        assert!(m.invitations().await.is_empty(), "{member}");
    }
    let outsider = who(&server, RECEIVER);
    assert!(outsider.shares(OTHERS).await.is_empty());
    assert!(outsider.resources(OTHERS).await.is_empty());
    // An account that joins later, deep in the tree, has access too.
    let l = who(&server, late);
    assert!(l.shares(OTHERS).await.is_empty());
    add(&server, late, &nested.id).await.unwrap();
    assert_eq!(resource_arns(&l.resources(OTHERS).await), vec![p1]);
    // The owner's SELF views list the organization as principal.
    let principals = owner.principals(MINE).await;
    assert_eq!(principals.len(), 1);
    assert_eq!(principals[0].id, org.arn);
}

#[tokio::test]
async fn without_organization_sharing_a_member_is_invited() {
    let server = TestServer::start().await;
    let (_org, dev) = org_with_ou(&server, false).await;
    let owner = who(&server, OWNER);
    let a = who(&server, MEMBER_A);
    let p1 = project(OWNER, "p1");

    let arn = owner
        .create_share("invited", &[&p1], &[MEMBER_A])
        .await
        .resource_share_arn;
    assert_eq!(
        owner
            .association_status(Kind::Principal, &arn, MEMBER_A)
            .await,
        Assoc::Associating
    );
    assert!(a.shares(OTHERS).await.is_empty());
    let inv = a.invitation_for(&arn).await;
    assert_eq!(inv.status(), Invite::Pending);
    a.accept(&inv.resource_share_invitation_arn).await.unwrap();
    assert_eq!(share_arns(&a.shares(OTHERS).await), vec![arn.clone()]);

    // OU and organization principals need organization sharing.
    assert_err(
        owner.associate(&arn, &[], &[&dev.arn]).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );

    // Once enabled, sharing with a member needs no invitation.
    enable_sharing(&server, OWNER).await.unwrap();
    let direct = owner
        .create_share("direct", &[&project(OWNER, "p2")], &[MEMBER_B])
        .await
        .resource_share_arn;
    assert_eq!(
        owner
            .association_status(Kind::Principal, &direct, MEMBER_B)
            .await,
        Assoc::Associated
    );
    let b = who(&server, MEMBER_B);
    assert!(b.invitations().await.is_empty());
    assert_eq!(share_arns(&b.shares(OTHERS).await), vec![direct]);
}

#[tokio::test]
async fn the_organization_boundary_is_enforced() {
    let server = TestServer::start().await;
    let (org, dev) = org_with_ou(&server, true).await;
    let owner = who(&server, OWNER);
    let p1 = project(OWNER, "p1");
    let s1 = subnet(OWNER, "0a1b2c3d");

    // Organizations and OUs that are not the owner's.
    let other = create_org(&server, "888899990000").await.unwrap();
    let other_ou = create_ou(&server, &other.root_id, "theirs").await.unwrap();
    let unknown_ou = format!(
        "arn:aws:organizations::{OWNER}:ou/{}/ou-{}-zzzzzzzz",
        org.id,
        &org.root_id[2..]
    );
    let unknown_org = format!("arn:aws:organizations::{OWNER}:organization/o-zzzzzzzzzz");
    for principal in [&other.arn, &other_ou.arn, &unknown_ou, &unknown_org] {
        assert_err(
            owner.try_create_share("x", &[&p1], &[principal]).await,
            Code::NotFound,
            "UnknownResourceException",
        );
    }
    // An owner outside any organization knows no organization.
    assert_err(
        who(&server, RECEIVER)
            .try_create_share("x", &[&project(RECEIVER, "p")], &[&org.arn])
            .await,
        Code::NotFound,
        "UnknownResourceException",
    );

    // A share closed to external principals refuses an outsider.
    let closed = owner
        .create_share_with(pb::CreateResourceShareRequest {
            name: "closed".into(),
            resource_arns: vec![p1.clone()],
            principals: vec![MEMBER_A.into()],
            allow_external_principals: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(closed.allow_external_principals, Some(false));
    assert_err(
        owner
            .associate(&closed.resource_share_arn, &[], &[RECEIVER])
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        owner
            .create_share_with(pb::CreateResourceShareRequest {
                name: "closed".into(),
                resource_arns: vec![p1.clone()],
                principals: vec![RECEIVER.into()],
                allow_external_principals: Some(false),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );

    // A subnet never leaves the organization.
    assert_err(
        owner.try_create_share("net", &[&s1], &[RECEIVER]).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    let external = owner
        .create_share("external", &[&p1], &[RECEIVER])
        .await
        .resource_share_arn;
    assert_err(
        owner.associate(&external, &[&s1], &[]).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    // Nor does it from an owner with no organization at all.
    let loner = who(&server, RECEIVER);
    assert_err(
        loner
            .try_create_share("net", &[&subnet(RECEIVER, "1")], &[STRANGER])
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    // A share with an external principal can't be closed.
    assert_err(
        owner.update(&external, None, Some(false)).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    // Inside the organization, a subnet goes to members and OUs alike.
    let inside = owner
        .create_share("inside", &[&s1], &[MEMBER_B, &dev.arn])
        .await
        .resource_share_arn;
    for (_, status) in owner.associations(Kind::Principal, &inside).await {
        assert_eq!(status, Assoc::Associated);
    }
}
