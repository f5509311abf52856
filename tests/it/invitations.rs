//! Invitations to resource shares: rejection, expiry after 12 hours or 7
//! days depending on the resource type, refusals, paging and the quota on
//! pending invitations.

use ramd::pb::v1 as pb;
use tonic::Code;

use crate::common::*;

/// Twelve hours, the window of most resource types.
const TWELVE_HOURS: i64 = 12 * 3600;
/// Seven days, the window of the types whose policy RAM only represents.
const SEVEN_DAYS: i64 = 7 * 24 * 3600;

#[tokio::test]
async fn a_rejected_invitation_grants_nothing() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let p1 = project(OWNER, "p1");
    let arn = owner
        .create_share("declined", &[&p1], &[RECEIVER])
        .await
        .resource_share_arn;
    let inv_arn = receiver
        .invitation_for(&arn)
        .await
        .resource_share_invitation_arn;

    let rejected = receiver.reject(&inv_arn).await.unwrap();
    assert_eq!(rejected.status(), Invite::Rejected);
    assert_eq!(
        receiver.invitation_for(&arn).await.status(),
        Invite::Rejected
    );
    let already = "ResourceShareInvitationAlreadyRejectedException";
    assert_err(
        receiver.reject(&inv_arn).await,
        Code::FailedPrecondition,
        already,
    );
    assert_err(
        receiver.accept(&inv_arn).await,
        Code::FailedPrecondition,
        already,
    );
    assert_err(
        receiver.pending_resources(&inv_arn).await,
        Code::FailedPrecondition,
        already,
    );

    // The principal association ended; the receiver sees nothing.
    assert_eq!(
        owner
            .association_status(Kind::Principal, &arn, RECEIVER)
            .await,
        Assoc::Disassociated
    );
    assert!(receiver.shares(OTHERS).await.is_empty());
    assert!(receiver.resources(OTHERS).await.is_empty());
    assert!(receiver.principals(OTHERS).await.is_empty());
    assert_err(
        receiver.share_permissions(&arn).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    // The owner may invite the account again: a new PENDING invitation.
    owner.associate(&arn, &[], &[RECEIVER]).await.unwrap();
    let invitations = receiver.invitations().await;
    assert_eq!(invitations.len(), 2);
    let fresh = invitations
        .iter()
        .find(|i| i.resource_share_invitation_arn != inv_arn)
        .unwrap();
    assert_eq!(fresh.status(), Invite::Pending);
    receiver
        .accept(&fresh.resource_share_invitation_arn)
        .await
        .unwrap();
    assert_eq!(share_arns(&receiver.shares(OTHERS).await), vec![arn]);
}

#[tokio::test]
async fn a_codebuild_invitation_expires_after_twelve_hours() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let arn = owner
        .create_share("short-lived", &[&project(OWNER, "p1")], &[RECEIVER])
        .await
        .resource_share_arn;
    let inv_arn = receiver
        .invitation_for(&arn)
        .await
        .resource_share_invitation_arn;

    advance(&server, TWELVE_HOURS - 1).await;
    assert_eq!(
        receiver.invitation_for(&arn).await.status(),
        Invite::Pending
    );
    assert_eq!(
        owner
            .association_status(Kind::Principal, &arn, RECEIVER)
            .await,
        Assoc::Associating
    );
    advance(&server, 1).await;
    assert_eq!(
        receiver.invitation_for(&arn).await.status(),
        Invite::Expired
    );
    let expired = "ResourceShareInvitationExpiredException";
    assert_err(
        receiver.accept(&inv_arn).await,
        Code::FailedPrecondition,
        expired,
    );
    assert_err(
        receiver.reject(&inv_arn).await,
        Code::FailedPrecondition,
        expired,
    );
    assert_err(
        receiver.pending_resources(&inv_arn).await,
        Code::FailedPrecondition,
        expired,
    );
    assert_eq!(
        owner
            .association_status(Kind::Principal, &arn, RECEIVER)
            .await,
        Assoc::Disassociated
    );
    assert!(receiver.shares(OTHERS).await.is_empty());
}

#[tokio::test]
async fn a_subnet_invitation_lasts_seven_days() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let member = who(&server, MEMBER_A);
    // A subnet can be shared only inside the organization; with organization
    // sharing not enabled, the member is invited.
    let org = create_org(&server, OWNER).await.unwrap();
    add(&server, MEMBER_A, &org.root_id).await.unwrap();
    let s1 = subnet(OWNER, "0a1b2c3d");
    let arn = owner
        .create_share("network", &[&s1], &[MEMBER_A])
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
    assert_eq!(principal[0].status(), Assoc::Associating);
    assert_eq!(
        principal[0].external,
        Some(false),
        "the member is in the org"
    );
    let inv_arn = member
        .invitation_for(&arn)
        .await
        .resource_share_invitation_arn;
    let preview = member.pending_resources(&inv_arn).await.unwrap();
    assert_eq!(resource_arns(&preview), vec![s1.clone()]);
    assert_eq!(preview[0].r#type, "ec2:Subnet");

    advance(&server, TWELVE_HOURS + 1).await;
    assert_eq!(member.invitation_for(&arn).await.status(), Invite::Pending);
    advance(&server, SEVEN_DAYS - TWELVE_HOURS - 2).await;
    assert_eq!(member.invitation_for(&arn).await.status(), Invite::Pending);
    advance(&server, 1).await;
    assert_eq!(member.invitation_for(&arn).await.status(), Invite::Expired);
    assert_err(
        member.accept(&inv_arn).await,
        Code::FailedPrecondition,
        "ResourceShareInvitationExpiredException",
    );
    assert_eq!(
        owner
            .association_status(Kind::Principal, &arn, MEMBER_A)
            .await,
        Assoc::Disassociated
    );
}

#[tokio::test]
async fn an_accepted_subnet_invitation_gives_access_until_the_member_leaves() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let member = who(&server, MEMBER_A);
    let org = create_org(&server, OWNER).await.unwrap();
    add(&server, MEMBER_A, &org.root_id).await.unwrap();
    let s1 = subnet(OWNER, "0a1b2c3d");
    let arn = owner
        .create_share("network", &[&s1], &[MEMBER_A])
        .await
        .resource_share_arn;
    let inv_arn = member
        .invitation_for(&arn)
        .await
        .resource_share_invitation_arn;
    member.accept(&inv_arn).await.unwrap();
    assert_eq!(resource_arns(&member.resources(OTHERS).await), vec![s1]);
    let permissions = member.share_permissions(&arn).await.unwrap();
    assert_eq!(permissions.len(), 1);
    assert_eq!(permissions[0].arn, SUBNET_DEFAULT);
    // An accepted invitation does not expire.
    advance(&server, SEVEN_DAYS + 1).await;
    assert_eq!(member.invitation_for(&arn).await.status(), Invite::Accepted);
    assert_eq!(share_arns(&member.shares(OTHERS).await), vec![arn.clone()]);
    // Added individually, the member may leave.
    member.leave(&arn).await.unwrap();
    assert!(member.shares(OTHERS).await.is_empty());
}

#[tokio::test]
async fn an_iam_role_of_another_account_is_invited_through_its_account() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let role = format!("arn:aws:iam::{RECEIVER}:role/builder");
    let arn = owner
        .create_share("for-a-role", &[&project(OWNER, "p1")], &[&role])
        .await
        .resource_share_arn;
    let inv = receiver.invitation_for(&arn).await;
    assert_eq!(inv.receiver_account_id, RECEIVER);
    assert_eq!(inv.receiver_arn, role);
    assert_eq!(inv.status(), Invite::Pending);
    assert_eq!(
        owner.association_status(Kind::Principal, &arn, &role).await,
        Assoc::Associating
    );
    receiver
        .accept(&inv.resource_share_invitation_arn)
        .await
        .unwrap();
    assert_eq!(
        owner.association_status(Kind::Principal, &arn, &role).await,
        Assoc::Associated
    );
    assert_eq!(share_arns(&receiver.shares(OTHERS).await), vec![arn]);
    // A subnet can't be shared with IAM roles and users.
    let org = create_org(&server, OWNER).await.unwrap();
    add(&server, MEMBER_A, &org.root_id).await.unwrap();
    assert_err(
        owner
            .try_create_share(
                "subnet-for-a-role",
                &[&subnet(OWNER, "1")],
                &[&format!("arn:aws:iam::{MEMBER_A}:role/net")],
            )
            .await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
}

#[tokio::test]
async fn invitation_refusals_carry_their_reason() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let arn = owner
        .create_share("s", &[&project(OWNER, "p1")], &[RECEIVER])
        .await
        .resource_share_arn;
    let inv_arn = receiver
        .invitation_for(&arn)
        .await
        .resource_share_invitation_arn;
    let unknown = format!(
        "arn:aws:ram:us-east-1:{OWNER}:resource-share-invitation/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    );

    for bad in [
        "not-an-arn",
        "arn:aws:ram:us-east-1:1:resource-share-invitation/x",
    ] {
        assert_err(
            receiver.accept(bad).await,
            Code::InvalidArgument,
            "MalformedArnException",
        );
        assert_err(
            receiver.reject(bad).await,
            Code::InvalidArgument,
            "MalformedArnException",
        );
        assert_err(
            receiver.pending_resources(bad).await,
            Code::InvalidArgument,
            "MalformedArnException",
        );
    }
    let not_found = "ResourceShareInvitationArnNotFoundException";
    assert_err(receiver.accept(&unknown).await, Code::NotFound, not_found);
    assert_err(
        receiver
            .invitations_with(pb::GetResourceShareInvitationsRequest {
                resource_share_invitation_arns: vec![unknown.clone()],
                ..Default::default()
            })
            .await,
        Code::NotFound,
        not_found,
    );
    // The sender can't answer its own invitation.
    assert_err(owner.accept(&inv_arn).await, Code::NotFound, not_found);
    assert_err(
        receiver.pending_resources("").await,
        Code::InvalidArgument,
        "MissingRequiredParameterException",
    );
    for bad in [0, 501] {
        assert_err(
            receiver
                .invitations_with(pb::GetResourceShareInvitationsRequest {
                    max_results: Some(bad),
                    ..Default::default()
                })
                .await,
            Code::InvalidArgument,
            "InvalidMaxResultsException",
        );
    }
    // The invitation is untouched by the refusals.
    assert_eq!(
        receiver.invitation_for(&arn).await.status(),
        Invite::Pending
    );
}

#[tokio::test]
async fn deleting_or_disassociating_withdraws_a_pending_invitation() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let a = owner
        .create_share("a", &[&project(OWNER, "a")], &[RECEIVER])
        .await
        .resource_share_arn;
    let b = owner
        .create_share("b", &[&project(OWNER, "b")], &[RECEIVER])
        .await
        .resource_share_arn;
    let inv_a = receiver
        .invitation_for(&a)
        .await
        .resource_share_invitation_arn;
    let inv_b = receiver
        .invitation_for(&b)
        .await
        .resource_share_invitation_arn;

    owner.delete(&a).await.unwrap();
    owner.disassociate(&b, &[], &[RECEIVER]).await.unwrap();
    for inv in [inv_a, inv_b] {
        let r = receiver.accept(&inv).await;
        assert!(r.is_err(), "a withdrawn invitation was accepted: {r:?}");
    }
    assert!(receiver.shares(OTHERS).await.is_empty());
}

#[tokio::test]
async fn invitations_page_and_filter() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let mut shares = Vec::new();
    for i in 0..5 {
        shares.push(
            owner
                .create_share(
                    &format!("s{i}"),
                    &[&project(OWNER, &format!("p{i}"))],
                    &[RECEIVER],
                )
                .await
                .resource_share_arn,
        );
    }
    let whole: Vec<String> = receiver
        .invitations()
        .await
        .into_iter()
        .map(|i| i.resource_share_invitation_arn)
        .collect();
    assert_eq!(whole.len(), 5);
    let paged = walk(|token| {
        let receiver = receiver.clone();
        async move {
            let r = receiver
                .invitations_with(pb::GetResourceShareInvitationsRequest {
                    max_results: Some(2),
                    next_token: token,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert!(r.resource_share_invitations.len() <= 2);
            (
                r.resource_share_invitations
                    .into_iter()
                    .map(|i| i.resource_share_invitation_arn)
                    .collect::<Vec<_>>(),
                r.next_token,
            )
        }
    })
    .await;
    assert_same_walk(&paged, &whole, "GetResourceShareInvitations");

    let of_two = receiver
        .invitations_with(pb::GetResourceShareInvitationsRequest {
            resource_share_arns: vec![shares[1].clone(), shares[3].clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_invitations;
    let mut got: Vec<_> = of_two
        .iter()
        .map(|i| i.resource_share_arn.clone())
        .collect();
    got.sort();
    let mut want = vec![shares[1].clone(), shares[3].clone()];
    want.sort();
    assert_eq!(got, want);
    let named = receiver
        .invitations_with(pb::GetResourceShareInvitationsRequest {
            resource_share_invitation_arns: vec![whole[2].clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_invitations;
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].resource_share_invitation_arn, whole[2]);

    // ListPendingInvitationResources pages too.
    let big = owner
        .create_share(
            "big",
            &[
                &project(OWNER, "x1"),
                &project(OWNER, "x2"),
                &project(OWNER, "x3"),
            ],
            &[RECEIVER],
        )
        .await
        .resource_share_arn;
    let inv = receiver
        .invitation_for(&big)
        .await
        .resource_share_invitation_arn;
    let whole = resource_arns(&receiver.pending_resources(&inv).await.unwrap());
    assert_eq!(whole.len(), 3);
    let paged = walk(|token| {
        let inv = inv.clone();
        let server = &server;
        async move {
            let r = server
                .ram()
                .list_pending_invitation_resources(as_account(
                    RECEIVER,
                    pb::ListPendingInvitationResourcesRequest {
                        resource_share_invitation_arn: inv,
                        max_results: Some(1),
                        next_token: token,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            assert!(r.resources.len() <= 1);
            (resource_arns(&r.resources), r.next_token)
        }
    })
    .await;
    assert_same_walk(&paged, &whole, "ListPendingInvitationResources");
}

#[tokio::test]
async fn an_account_has_at_most_twenty_pending_invitations() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let arn = owner
        .create_share("popular", &[&project(OWNER, "p1")], &[])
        .await
        .resource_share_arn;
    let accounts: Vec<String> = (0..21).map(|i| format!("5000000000{i:02}")).collect();
    let refs: Vec<&str> = accounts.iter().map(String::as_str).collect();
    owner.associate(&arn, &[], &refs[..20]).await.unwrap();
    assert_err(
        owner.associate(&arn, &[], &refs[20..]).await,
        Code::ResourceExhausted,
        "ResourceShareLimitExceededException",
    );
    // An answered invitation frees a place.
    let first = who(&server, refs[0]);
    let inv = first
        .invitation_for(&arn)
        .await
        .resource_share_invitation_arn;
    first.accept(&inv).await.unwrap();
    owner.associate(&arn, &[], &refs[20..]).await.unwrap();
}
