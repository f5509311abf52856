//! Resource shares between accounts: an owner shares with an outside account
//! that accepts, uses and leaves the share; deletion and its retention;
//! resources that fail; sources of service principals; every refusal of the
//! share operations; tags; idempotency; paging and filters of every listing;
//! and an account that has no part in anything.

use ramd::pb::v1 as pb;
use tonic::Code;

use crate::common::*;

/// An account that is told nothing about shares it has no part in.
const THIRD: &str = "999988887777";

#[tokio::test]
async fn an_outside_account_is_invited_accepts_uses_and_leaves() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let p1 = project(OWNER, "p1");

    // The owner, in no organization, shares a project with an outside account.
    let share = owner.create_share("builds", &[&p1], &[RECEIVER]).await;
    let arn = share.resource_share_arn.clone();
    assert!(
        arn.starts_with(&format!("arn:aws:ram:us-east-1:{OWNER}:resource-share/")),
        "{arn}"
    );
    assert_eq!(share.owning_account_id, OWNER);
    assert_eq!(share.status(), pb::ResourceShareStatus::Active);
    assert_eq!(share.allow_external_principals, Some(true));

    // The principal waits for the invitation; the resource is in place.
    let principals = owner
        .associations_with(pb::GetResourceShareAssociationsRequest {
            association_type: Kind::Principal as i32,
            resource_share_arns: vec![arn.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_associations;
    assert_eq!(principals.len(), 1);
    assert_eq!(principals[0].associated_entity, RECEIVER);
    assert_eq!(principals[0].status(), Assoc::Associating);
    assert_eq!(principals[0].external, Some(true));
    assert_eq!(principals[0].resource_share_name, "builds");
    assert_eq!(
        owner.associations(Kind::Resource, &arn).await,
        vec![(p1.clone(), Assoc::Associated)]
    );

    // The receiver sees a PENDING invitation, and nothing shared yet.
    let invitation = receiver.invitation_for(&arn).await;
    let inv_arn = invitation.resource_share_invitation_arn.clone();
    assert!(
        inv_arn.starts_with(&format!(
            "arn:aws:ram:us-east-1:{OWNER}:resource-share-invitation/"
        )),
        "{inv_arn}"
    );
    assert_eq!(invitation.status(), Invite::Pending);
    assert_eq!(invitation.sender_account_id, OWNER);
    assert_eq!(invitation.receiver_account_id, RECEIVER);
    assert_eq!(invitation.resource_share_name, "builds");
    assert!(receiver.shares(OTHERS).await.is_empty());
    assert!(receiver.resources(OTHERS).await.is_empty());
    assert!(receiver.principals(OTHERS).await.is_empty());
    assert!(
        owner.invitations().await.is_empty(),
        "invitations are the receiver's"
    );

    // It previews the resources, then accepts.
    let preview = receiver.pending_resources(&inv_arn).await.unwrap();
    assert_eq!(resource_arns(&preview), vec![p1.clone()]);
    assert_eq!(preview[0].r#type, "codebuild:Project");
    assert_eq!(preview[0].resource_share_arn, arn);
    let accepted = receiver.accept(&inv_arn).await.unwrap();
    assert_eq!(accepted.status(), Invite::Accepted);
    assert_eq!(accepted.resource_share_arn, arn);
    assert_err(
        receiver.accept(&inv_arn).await,
        Code::FailedPrecondition,
        "ResourceShareInvitationAlreadyAcceptedException",
    );
    assert_err(
        receiver.reject(&inv_arn).await,
        Code::FailedPrecondition,
        "ResourceShareInvitationAlreadyAcceptedException",
    );
    assert_eq!(
        receiver.invitation_for(&arn).await.status(),
        Invite::Accepted
    );
    assert_eq!(
        owner
            .association_status(Kind::Principal, &arn, RECEIVER)
            .await,
        Assoc::Associated
    );

    // The receiver now sees the share, its resource, its owner and permission.
    let seen = receiver.shares(OTHERS).await;
    assert_eq!(share_arns(&seen), vec![arn.clone()]);
    assert_eq!(seen[0].owning_account_id, OWNER);
    assert_eq!(seen[0].name, "builds");
    assert!(receiver.shares(MINE).await.is_empty());
    let resources = receiver.resources(OTHERS).await;
    assert_eq!(resource_arns(&resources), vec![p1.clone()]);
    assert_eq!(resources[0].resource_share_arn, arn);
    assert_eq!(resources[0].status(), pb::ResourceStatus::Available);
    let owners = receiver.principals(OTHERS).await;
    assert_eq!(owners.len(), 1);
    assert_eq!(
        (owners[0].id.as_str(), owners[0].resource_share_arn.as_str()),
        (OWNER, arn.as_str())
    );
    assert_eq!(
        owners[0].external,
        Some(true),
        "the owner is outside the receiver's organization"
    );
    let permissions = receiver.share_permissions(&arn).await.unwrap();
    assert_eq!(permissions.len(), 1);
    assert_eq!(permissions[0].arn, CODEBUILD_DEFAULT);
    assert_eq!(permissions[0].resource_type, "codebuild:Project");
    let detail = server
        .ram()
        .get_permission(as_account(
            RECEIVER,
            pb::GetPermissionRequest {
                permission_arn: permissions[0].arn.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permission
        .unwrap();
    assert_eq!(detail.arn, CODEBUILD_DEFAULT);
    assert!(
        detail.permission.contains("codebuild:"),
        "{}",
        detail.permission
    );

    // The receiver leaves and sees nothing any more.
    let left = receiver.leave(&arn).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].associated_entity, RECEIVER);
    assert_eq!(left[0].status(), Assoc::Disassociating);
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
    assert_err(
        receiver.leave(&arn).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    // The owner's share is untouched.
    assert_eq!(
        owner.share(MINE, &arn).await.unwrap().status(),
        pb::ResourceShareStatus::Active
    );
}

#[tokio::test]
async fn a_resource_of_another_account_or_region_fails_its_association() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let mine = project(OWNER, "mine");
    let foreign = project(STRANGER, "theirs");
    let elsewhere = format!("arn:aws:codebuild:us-west-2:{OWNER}:project/west");

    let share = owner
        .create_share("mixed", &[&mine, &foreign, &elsewhere], &[])
        .await;
    let arn = share.resource_share_arn;
    let rows = owner
        .associations_with(pb::GetResourceShareAssociationsRequest {
            association_type: Kind::Resource as i32,
            resource_share_arns: vec![arn.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_associations;
    let status_of = |entity: &str| {
        let row = rows
            .iter()
            .find(|r| r.associated_entity == entity)
            .unwrap_or_else(|| panic!("no row for {entity}"));
        (row.status(), row.status_message.clone())
    };
    assert_eq!(status_of(&mine).0, Assoc::Associated);
    for bad in [&foreign, &elsewhere] {
        let (status, message) = status_of(bad);
        assert_eq!(status, Assoc::Failed, "{bad}");
        assert!(!message.is_empty(), "{bad} failed without a status message");
    }
    // The share stays ACTIVE and lists only the resource that made it.
    assert_eq!(
        owner.share(MINE, &arn).await.unwrap().status(),
        pb::ResourceShareStatus::Active
    );
    assert_eq!(resource_arns(&owner.resources(MINE).await), vec![mine]);
    // The FAILED filter finds the two failures.
    let failed = owner
        .associations_with(pb::GetResourceShareAssociationsRequest {
            association_type: Kind::Resource as i32,
            association_status: Assoc::Failed as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_associations;
    assert_eq!(failed.len(), 2);
}

#[tokio::test]
async fn a_deleted_share_stays_visible_for_two_hours_and_refuses_changes() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let p1 = project(OWNER, "p1");
    let share = owner.create_share("doomed", &[&p1], &[RECEIVER]).await;
    let arn = share.resource_share_arn;
    let inv = receiver.invitation_for(&arn).await;
    receiver
        .accept(&inv.resource_share_invitation_arn)
        .await
        .unwrap();
    assert_eq!(
        share_arns(&receiver.shares(OTHERS).await),
        vec![arn.clone()]
    );

    assert!(owner.delete(&arn).await.unwrap());

    // DELETED, listed under SELF and by the DELETED status filter only.
    let deleted = owner.share(MINE, &arn).await.unwrap();
    assert_eq!(deleted.status(), pb::ResourceShareStatus::Deleted);
    let by_status = |status: pb::ResourceShareStatus| {
        let owner = owner.clone();
        async move {
            share_arns(
                &owner
                    .get_shares_with(pb::GetResourceSharesRequest {
                        resource_owner: MINE as i32,
                        resource_share_status: status as i32,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .resource_shares,
            )
        }
    };
    assert_eq!(
        by_status(pb::ResourceShareStatus::Deleted).await,
        vec![arn.clone()]
    );
    assert!(by_status(pb::ResourceShareStatus::Active).await.is_empty());

    // Every association ended.
    for kind in [Kind::Principal, Kind::Resource] {
        for (entity, status) in owner.associations(kind, &arn).await {
            assert_eq!(status, Assoc::Disassociated, "{entity}");
        }
    }
    // The receiver lost access, and the owner's listings drop the share.
    assert!(receiver.shares(OTHERS).await.is_empty());
    assert!(receiver.resources(OTHERS).await.is_empty());
    assert!(receiver.principals(OTHERS).await.is_empty());
    assert!(owner.resources(MINE).await.is_empty());
    assert!(owner.principals(MINE).await.is_empty());

    // A deleted share refuses every change.
    let state = |r: Result<(), tonic::Status>| {
        assert_err(
            r,
            Code::FailedPrecondition,
            "InvalidStateTransitionException",
        )
    };
    state(owner.update(&arn, Some("renamed"), None).await.map(drop));
    state(
        owner
            .associate(&arn, &[&project(OWNER, "p2")], &[])
            .await
            .map(drop),
    );
    state(owner.disassociate(&arn, &[&p1], &[]).await.map(drop));
    state(owner.delete(&arn).await.map(drop));
    state(owner.tag_share(&arn, &[("k", "v")]).await);

    // Two hours later it is gone.
    advance(&server, 2 * 3600 - 1).await;
    assert!(owner.share(MINE, &arn).await.is_ok(), "still retained");
    advance(&server, 2).await;
    assert_err(
        owner.share(MINE, &arn).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    assert!(owner.shares(MINE).await.is_empty());
    assert_err(
        owner.delete(&arn).await,
        Code::NotFound,
        "UnknownResourceException",
    );
}

#[tokio::test]
async fn a_service_principal_is_constrained_by_sources() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let service = "codebuild.amazonaws.com";
    let sources = [
        ("210987654321", "ACCOUNT"),
        ("arn:aws:s3:::build-artifacts", "ARN"),
        ("o-abcdefghij", "ORGANIZATION_ID"),
        ("o-abcdefghij/r-ab12/ou-ab12-11111111/", "ORGANIZATION_PATH"),
    ];
    let share = owner
        .create_share_with(pb::CreateResourceShareRequest {
            name: "for-a-service".into(),
            resource_arns: vec![project(OWNER, "p1")],
            principals: vec![service.into()],
            sources: sources.iter().map(|(s, _)| s.to_string()).collect(),
            ..Default::default()
        })
        .await
        .unwrap();
    let arn = share.resource_share_arn;

    // The service principal is associated at once; there is no invitation.
    assert_eq!(
        owner
            .association_status(Kind::Principal, &arn, service)
            .await,
        Assoc::Associated
    );
    // Each source is a SOURCE association.
    let mut rows = owner.associations(Kind::Source, &arn).await;
    rows.sort();
    let mut want: Vec<_> = sources
        .iter()
        .map(|(s, _)| (s.to_string(), Assoc::Associated))
        .collect();
    want.sort();
    assert_eq!(rows, want);

    // ListSourceAssociations filters by type, id and status.
    let list = |req: pb::ListSourceAssociationsRequest| {
        let owner = owner.clone();
        async move { owner.sources_with(req).await.map(|r| r.source_associations) }
    };
    let all = list(Default::default()).await.unwrap();
    assert_eq!(all.len(), 4);
    for s in &all {
        assert_eq!(s.resource_share_arn, arn);
        assert_eq!(s.status, "ASSOCIATED");
    }
    for (id, kind) in sources {
        let by_type = list(pb::ListSourceAssociationsRequest {
            source_type: Some(kind.into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(by_type.len(), 1, "{kind}");
        assert_eq!(
            (
                by_type[0].source_id.as_str(),
                by_type[0].source_type.as_str()
            ),
            (id, kind)
        );
        let by_id = list(pb::ListSourceAssociationsRequest {
            source_id: Some(id.into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(by_id.len(), 1, "{id}");
        assert_eq!(by_id[0].source_type, kind);
    }
    // Pages of one.
    let paged = walk(|token| {
        let owner = owner.clone();
        async move {
            let r = owner
                .sources_with(pb::ListSourceAssociationsRequest {
                    max_results: Some(1),
                    next_token: token,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert!(r.source_associations.len() <= 1);
            (
                r.source_associations
                    .into_iter()
                    .map(|s| s.source_id)
                    .collect::<Vec<_>>(),
                r.next_token,
            )
        }
    })
    .await;
    let whole: Vec<String> = all.iter().map(|s| s.source_id.clone()).collect();
    assert_same_walk(&paged, &whole, "ListSourceAssociations");

    // Removing one source leaves a DISASSOCIATED row the status filter finds.
    server
        .ram()
        .disassociate_resource_share(as_account(
            OWNER,
            pb::DisassociateResourceShareRequest {
                resource_share_arn: arn.clone(),
                sources: vec!["o-abcdefghij".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let ended = list(pb::ListSourceAssociationsRequest {
        association_status: Assoc::Disassociated as i32,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].source_id, "o-abcdefghij");
    assert_eq!(ended[0].status, "DISASSOCIATED");
    let live = list(pb::ListSourceAssociationsRequest {
        association_status: Assoc::Associated as i32,
        resource_share_arns: vec![arn.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(live.len(), 3);

    // Refusals: an unknown source type, sources without a service principal,
    // a malformed source, another account's share.
    assert_err(
        list(pb::ListSourceAssociationsRequest {
            source_type: Some("BUCKET".into()),
            ..Default::default()
        })
        .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        owner
            .create_share_with(pb::CreateResourceShareRequest {
                name: "no-service".into(),
                principals: vec![RECEIVER.into()],
                sources: vec!["210987654321".into()],
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        owner
            .create_share_with(pb::CreateResourceShareRequest {
                name: "bad-source".into(),
                principals: vec![service.into()],
                sources: vec!["o-abc".into()],
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        who(&server, STRANGER)
            .sources_with(pb::ListSourceAssociationsRequest {
                resource_share_arns: vec![arn.clone()],
                ..Default::default()
            })
            .await,
        Code::NotFound,
        "UnknownResourceException",
    );

    // While a service principal remains, its last sources can't all go.
    let last = server
        .ram()
        .disassociate_resource_share(as_account(
            OWNER,
            pb::DisassociateResourceShareRequest {
                resource_share_arn: arn.clone(),
                sources: vec![
                    "210987654321".into(),
                    "arn:aws:s3:::build-artifacts".into(),
                    "o-abcdefghij/r-ab12/ou-ab12-11111111/".into(),
                ],
                ..Default::default()
            },
        ))
        .await;
    assert_err(last, Code::InvalidArgument, "InvalidParameterException");
}

#[tokio::test]
async fn malformed_and_unknown_input_is_refused_with_its_reason() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let p1 = project(OWNER, "p1");
    let unknown = format!(
        "arn:aws:ram:us-east-1:{OWNER}:resource-share/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    );
    let share = owner.create_share("errors", &[&p1], &[]).await;
    let arn = share.resource_share_arn;

    // Principals that match no accepted form.
    for bad in [
        "arn:aws:iam::123456789012:root",
        "o-abc",
        "ftw",
        "12345",
        "ou-ab12-11111111",
    ] {
        assert_err(
            owner.try_create_share("p", &[&p1], &[bad]).await,
            Code::InvalidArgument,
            "InvalidParameterException",
        );
        assert_err(
            owner.associate(&arn, &[], &[bad]).await,
            Code::InvalidArgument,
            "InvalidParameterException",
        );
    }
    // The owner can't be its own principal.
    assert_err(
        owner.try_create_share("self", &[&p1], &[OWNER]).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    // Resource ARNs: malformed, or of a type RAM can't share.
    assert_err(
        owner.try_create_share("r", &["not-an-arn"], &[]).await,
        Code::InvalidArgument,
        "MalformedArnException",
    );
    assert_err(
        owner
            .try_create_share(
                "r",
                &[&format!("arn:aws:ec2:us-east-1:{OWNER}:instance/i-1")],
                &[],
            )
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    // Names.
    assert_err(
        owner.try_create_share("a/b", &[], &[]).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        owner.try_create_share("", &[], &[]).await,
        Code::InvalidArgument,
        "MissingRequiredParameterException",
    );
    // Permissions: unknown, or two for one type.
    let unknown_permission = format!("arn:aws:ram:us-east-1:{OWNER}:permission/Nope");
    assert_err(
        owner
            .create_share_with(pb::CreateResourceShareRequest {
                name: "perm".into(),
                resource_arns: vec![p1.clone()],
                permission_arns: vec![unknown_permission],
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    let cmp = create_permission(&server, OWNER, "BuildReaders").await;
    assert_err(
        owner
            .create_share_with(pb::CreateResourceShareRequest {
                name: "perm".into(),
                resource_arns: vec![p1.clone()],
                permission_arns: vec![cmp.arn.clone(), CODEBUILD_DEFAULT.into()],
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );

    // Share ARNs: malformed, then well-formed but unknown.
    for (bad, code, reason) in [
        (
            "arn:aws:ram:us-east-1:nope",
            Code::InvalidArgument,
            "MalformedArnException",
        ),
        (unknown.as_str(), Code::NotFound, "UnknownResourceException"),
    ] {
        assert_err(owner.share(MINE, bad).await, code, reason);
        assert_err(owner.update(bad, Some("x"), None).await, code, reason);
        assert_err(owner.delete(bad).await, code, reason);
        assert_err(owner.associate(bad, &[&p1], &[]).await, code, reason);
        assert_err(owner.disassociate(bad, &[&p1], &[]).await, code, reason);
        assert_err(owner.share_permissions(bad).await, code, reason);
        assert_err(owner.tag_share(bad, &[("k", "v")]).await, code, reason);
        assert_err(
            owner
                .associations_with(pb::GetResourceShareAssociationsRequest {
                    association_type: Kind::Resource as i32,
                    resource_share_arns: vec![bad.into()],
                    ..Default::default()
                })
                .await,
            code,
            reason,
        );
    }

    // Malformed resource ARNs in filters.
    assert_err(
        owner
            .associations_with(pb::GetResourceShareAssociationsRequest {
                association_type: Kind::Resource as i32,
                resource_arn: Some("nope".into()),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "MalformedArnException",
    );
    assert_err(
        owner
            .resources_with(pb::ListResourcesRequest {
                resource_owner: MINE as i32,
                resource_arns: vec!["nope".into()],
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "MalformedArnException",
    );
    assert_err(
        owner
            .principals_with(pb::ListPrincipalsRequest {
                resource_owner: MINE as i32,
                resource_arn: Some("nope".into()),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "MalformedArnException",
    );

    // Required members and nonsensical combinations.
    assert_err(
        owner.get_shares_with(Default::default()).await,
        Code::InvalidArgument,
        "MissingRequiredParameterException",
    );
    assert_err(
        owner.update(&arn, None, None).await,
        Code::InvalidArgument,
        "MissingRequiredParameterException",
    );
    assert_err(
        owner.associate(&arn, &[], &[]).await,
        Code::InvalidArgument,
        "MissingRequiredParameterException",
    );
    assert_err(
        owner.disassociate(&arn, &[], &[RECEIVER]).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        owner
            .get_shares_with(pb::GetResourceSharesRequest {
                resource_owner: OTHERS as i32,
                tag_filters: vec![pb::TagFilter {
                    tag_key: "team".into(),
                    tag_values: vec![],
                }],
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        owner
            .associations_with(pb::GetResourceShareAssociationsRequest {
                association_type: Kind::Principal as i32,
                resource_arn: Some(p1.clone()),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        owner
            .associations_with(pb::GetResourceShareAssociationsRequest {
                association_type: Kind::Resource as i32,
                principal: Some(RECEIVER.into()),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        owner
            .resources_with(pb::ListResourcesRequest {
                resource_owner: MINE as i32,
                resource_type: Some("ec2:Instance".into()),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidResourceTypeException",
    );
    // Without an organization with sharing enabled, a share can't be closed
    // to external principals.
    assert_err(
        owner.update(&arn, None, Some(false)).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    // Nothing of the refused calls left a trace.
    assert_eq!(share_arns(&owner.shares(MINE).await), vec![arn.clone()]);
    assert_eq!(
        owner.associations(Kind::Resource, &arn).await,
        vec![(p1, Assoc::Associated)]
    );
    assert!(owner.associations(Kind::Principal, &arn).await.is_empty());
}

#[tokio::test]
async fn only_the_owner_changes_a_share_and_strangers_learn_nothing() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let stranger = who(&server, STRANGER);
    let p1 = project(OWNER, "p1");
    let arn = owner
        .create_share("guarded", &[&p1], &[RECEIVER])
        .await
        .resource_share_arn;
    let inv = receiver.invitation_for(&arn).await;
    receiver
        .accept(&inv.resource_share_invitation_arn)
        .await
        .unwrap();

    // A stranger is told the share does not exist.
    let unknown =
        |r: Result<(), tonic::Status>| assert_err(r, Code::NotFound, "UnknownResourceException");
    unknown(stranger.update(&arn, Some("mine"), None).await.map(drop));
    unknown(stranger.delete(&arn).await.map(drop));
    unknown(stranger.associate(&arn, &[], &[STRANGER]).await.map(drop));
    unknown(stranger.disassociate(&arn, &[&p1], &[]).await.map(drop));
    unknown(stranger.leave(&arn).await.map(drop));
    unknown(stranger.tag_share(&arn, &[("k", "v")]).await);
    unknown(stranger.untag_share(&arn, &["k"]).await);
    unknown(stranger.share_permissions(&arn).await.map(drop));
    unknown(stranger.share(OTHERS, &arn).await.map(drop));
    unknown(stranger.share(MINE, &arn).await.map(drop));

    // The receiver sees the share but may not change it.
    let not_permitted = |r: Result<(), tonic::Status>| {
        assert_err(
            r,
            Code::FailedPrecondition,
            "OperationNotPermittedException",
        )
    };
    not_permitted(receiver.update(&arn, Some("mine"), None).await.map(drop));
    not_permitted(receiver.update(&arn, None, Some(false)).await.map(drop));
    not_permitted(receiver.delete(&arn).await.map(drop));
    not_permitted(receiver.associate(&arn, &[], &[STRANGER]).await.map(drop));
    not_permitted(receiver.disassociate(&arn, &[&p1], &[]).await.map(drop));
    not_permitted(receiver.tag_share(&arn, &[("k", "v")]).await);
    // GetResourceShareAssociations is an owner view.
    assert_err(
        receiver
            .associations_with(pb::GetResourceShareAssociationsRequest {
                association_type: Kind::Principal as i32,
                resource_share_arns: vec![arn.clone()],
                ..Default::default()
            })
            .await,
        Code::NotFound,
        "UnknownResourceException",
    );

    // Nothing changed.
    let share = owner.share(MINE, &arn).await.unwrap();
    assert_eq!(share.name, "guarded");
    assert!(share.tags.is_empty());
    assert_eq!(
        owner.associations(Kind::Resource, &arn).await,
        vec![(p1, Assoc::Associated)]
    );
    assert_eq!(
        owner.associations(Kind::Principal, &arn).await,
        vec![(RECEIVER.to_string(), Assoc::Associated)]
    );
}

#[tokio::test]
async fn an_owner_updates_and_tags_its_share() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let share = owner
        .create_share_with(pb::CreateResourceShareRequest {
            name: "tagged".into(),
            tags: vec![pb::Tag {
                key: "team".into(),
                value: "build".into(),
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let arn = share.resource_share_arn;
    let other = owner.create_share("untagged", &[], &[]).await;

    let updated = owner.update(&arn, Some("renamed"), None).await.unwrap();
    assert_eq!(updated.name, "renamed");
    assert!(updated.last_updated_time.is_some());

    owner
        .tag_share(&arn, &[("env", "prod"), ("team", "platform")])
        .await
        .unwrap();
    let tags = |s: &pb::ResourceShare| {
        let mut t: Vec<(String, String)> = s
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        t.sort();
        t
    };
    assert_eq!(
        tags(&owner.share(MINE, &arn).await.unwrap()),
        vec![
            ("env".to_string(), "prod".to_string()),
            ("team".to_string(), "platform".to_string())
        ]
    );

    // Tag filters: a key with values, a key with any value, OR across filters.
    let filtered = |filters: Vec<pb::TagFilter>| {
        let owner = owner.clone();
        async move {
            share_arns(
                &owner
                    .get_shares_with(pb::GetResourceSharesRequest {
                        resource_owner: MINE as i32,
                        tag_filters: filters,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .resource_shares,
            )
        }
    };
    let filter = |k: &str, v: &[&str]| pb::TagFilter {
        tag_key: k.into(),
        tag_values: strings(v),
    };
    assert_eq!(
        filtered(vec![filter("env", &["prod"])]).await,
        vec![arn.clone()]
    );
    assert_eq!(filtered(vec![filter("env", &[])]).await, vec![arn.clone()]);
    assert!(filtered(vec![filter("env", &["dev"])]).await.is_empty());
    assert_eq!(
        filtered(vec![filter("env", &["dev"]), filter("team", &["platform"])]).await,
        vec![arn.clone()]
    );
    // Name filter.
    let by_name = owner
        .get_shares_with(pb::GetResourceSharesRequest {
            resource_owner: MINE as i32,
            name: Some("untagged".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_shares;
    assert_eq!(share_arns(&by_name), vec![other.resource_share_arn.clone()]);

    owner.untag_share(&arn, &["env", "absent"]).await.unwrap();
    assert_eq!(
        tags(&owner.share(MINE, &arn).await.unwrap()),
        vec![("team".to_string(), "platform".to_string())]
    );

    // Reserved keys and the 50-tag limit.
    assert_err(
        owner.tag_share(&arn, &[("aws:owner", "me")]).await,
        Code::FailedPrecondition,
        "TagPolicyViolationException",
    );
    let many: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
    let many_refs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_err(
        owner.tag_share(&arn, &many_refs).await,
        Code::ResourceExhausted,
        "TagLimitExceededException",
    );
    let fifty_one: Vec<pb::Tag> = (0..51)
        .map(|i| pb::Tag {
            key: format!("k{i}"),
            value: "v".into(),
        })
        .collect();
    assert_err(
        owner
            .create_share_with(pb::CreateResourceShareRequest {
                name: "too-many".into(),
                tags: fifty_one,
                ..Default::default()
            })
            .await,
        Code::ResourceExhausted,
        "TagLimitExceededException",
    );
    assert_err(
        owner
            .create_share_with(pb::CreateResourceShareRequest {
                name: "reserved".into(),
                tags: vec![pb::Tag {
                    key: "aws:cloudformation:stack-name".into(),
                    value: "s".into(),
                }],
                ..Default::default()
            })
            .await,
        Code::FailedPrecondition,
        "TagPolicyViolationException",
    );
    // Exactly one of resourceShareArn and resourceArn.
    let both = server
        .ram()
        .tag_resource(as_account(
            OWNER,
            pb::TagResourceRequest {
                resource_share_arn: Some(arn.clone()),
                resource_arn: Some(format!("arn:aws:ram:us-east-1:{OWNER}:permission/X")),
                tags: vec![pb::Tag {
                    key: "k".into(),
                    value: "v".into(),
                }],
            },
        ))
        .await;
    assert_err(both, Code::InvalidArgument, "InvalidParameterException");
    assert_eq!(
        tags(&owner.share(MINE, &arn).await.unwrap()),
        vec![("team".to_string(), "platform".to_string())]
    );
}

#[tokio::test]
async fn create_resource_share_is_idempotent() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let request = |name: &str| pb::CreateResourceShareRequest {
        name: name.into(),
        resource_arns: vec![project(OWNER, "p1")],
        principals: vec![RECEIVER.into()],
        client_token: Some("create-once".into()),
        ..Default::default()
    };
    let first = server
        .ram()
        .create_resource_share(as_account(OWNER, request("once")))
        .await
        .unwrap()
        .into_inner();
    let again = server
        .ram()
        .create_resource_share(as_account(OWNER, request("once")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.client_token, "create-once");
    assert_eq!(
        first.resource_share.unwrap().resource_share_arn,
        again.resource_share.unwrap().resource_share_arn
    );
    assert_eq!(owner.shares(MINE).await.len(), 1);
    assert_eq!(who(&server, RECEIVER).invitations().await.len(), 1);
    assert_err(
        server
            .ram()
            .create_resource_share(as_account(OWNER, request("different")))
            .await,
        Code::FailedPrecondition,
        "IdempotentParameterMismatchException",
    );
    assert_eq!(owner.shares(MINE).await.len(), 1);
}

#[tokio::test]
async fn a_call_adds_at_most_one_hundred_resources() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let arns: Vec<String> = (0..101).map(|i| project(OWNER, &format!("p{i}"))).collect();
    let refs: Vec<&str> = arns.iter().map(String::as_str).collect();
    assert_err(
        owner.try_create_share("big", &refs, &[]).await,
        Code::ResourceExhausted,
        "ResourceShareLimitExceededException",
    );
    let share = owner.create_share("big", &refs[..100], &[]).await;
    assert_eq!(owner.resources(MINE).await.len(), 100);
    assert_err(
        owner.associate(&share.resource_share_arn, &refs, &[]).await,
        Code::ResourceExhausted,
        "ResourceShareLimitExceededException",
    );
}

/// The resource ARNs a ListResources request returns.
async fn listed(w: &As<'_>, req: pb::ListResourcesRequest) -> Vec<String> {
    resource_arns(&w.resources_with(req).await.unwrap().resources)
}

/// Four shares of three projects each, shared with RECEIVER (accepted) and
/// one more outside account; returns the share ARNs in ARN order.
async fn four_shares(server: &TestServer) -> Vec<String> {
    let owner = who(server, OWNER);
    let receiver = who(server, RECEIVER);
    let mut arns = Vec::new();
    for i in 0..4 {
        let resources: Vec<String> = ["a", "b", "c"]
            .iter()
            .map(|x| project(OWNER, &format!("s{i}{x}")))
            .collect();
        let refs: Vec<&str> = resources.iter().map(String::as_str).collect();
        let share = owner
            .create_share(&format!("share-{i}"), &refs, &[RECEIVER, STRANGER])
            .await;
        let inv = receiver.invitation_for(&share.resource_share_arn).await;
        receiver
            .accept(&inv.resource_share_invitation_arn)
            .await
            .unwrap();
        arns.push(share.resource_share_arn);
    }
    arns.sort();
    arns
}

#[tokio::test]
async fn every_listing_pages_without_repeats_or_gaps() {
    let server = TestServer::start().await;
    let arns = four_shares(&server).await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);

    // GetResourceShares, both views.
    for (who_, view) in [(&owner, MINE), (&receiver, OTHERS)] {
        let whole = share_arns(&who_.shares(view).await);
        assert_eq!(whole, arns);
        let paged = walk(|token| {
            let w = who_.clone();
            async move {
                let r = w
                    .get_shares_with(pb::GetResourceSharesRequest {
                        resource_owner: view as i32,
                        max_results: Some(1),
                        next_token: token,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                assert!(r.resource_shares.len() <= 1);
                (share_arns(&r.resource_shares), r.next_token)
            }
        })
        .await;
        assert_same_walk(&paged, &whole, "GetResourceShares");
    }

    // GetResourceShareAssociations, both kinds.
    for (kind, count) in [(Kind::Resource, 12), (Kind::Principal, 8)] {
        let whole: Vec<(String, String)> = owner
            .associations_with(pb::GetResourceShareAssociationsRequest {
                association_type: kind as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .resource_share_associations
            .into_iter()
            .map(|a| (a.resource_share_arn, a.associated_entity))
            .collect();
        assert_eq!(whole.len(), count, "{kind:?}");
        let paged = walk(|token| {
            let owner = owner.clone();
            async move {
                let r = owner
                    .associations_with(pb::GetResourceShareAssociationsRequest {
                        association_type: kind as i32,
                        max_results: Some(3),
                        next_token: token,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                assert!(r.resource_share_associations.len() <= 3);
                (
                    r.resource_share_associations
                        .into_iter()
                        .map(|a| (a.resource_share_arn, a.associated_entity))
                        .collect::<Vec<_>>(),
                    r.next_token,
                )
            }
        })
        .await;
        assert_same_walk(&paged, &whole, "GetResourceShareAssociations");
    }

    // ListResources, both views.
    for (who_, view) in [(&owner, MINE), (&receiver, OTHERS)] {
        let whole: Vec<(String, String)> = who_
            .resources(view)
            .await
            .into_iter()
            .map(|r| (r.resource_share_arn, r.arn))
            .collect();
        assert_eq!(whole.len(), 12);
        let paged = walk(|token| {
            let w = who_.clone();
            async move {
                let r = w
                    .resources_with(pb::ListResourcesRequest {
                        resource_owner: view as i32,
                        max_results: Some(5),
                        next_token: token,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                assert!(r.resources.len() <= 5);
                (
                    r.resources
                        .into_iter()
                        .map(|r| (r.resource_share_arn, r.arn))
                        .collect::<Vec<_>>(),
                    r.next_token,
                )
            }
        })
        .await;
        assert_same_walk(&paged, &whole, "ListResources");
    }

    // ListPrincipals, both views.
    for (who_, view, count) in [(&owner, MINE, 8), (&receiver, OTHERS, 4)] {
        let whole: Vec<(String, String)> = who_
            .principals(view)
            .await
            .into_iter()
            .map(|p| (p.resource_share_arn, p.id))
            .collect();
        assert_eq!(whole.len(), count);
        let paged = walk(|token| {
            let w = who_.clone();
            async move {
                let r = w
                    .principals_with(pb::ListPrincipalsRequest {
                        resource_owner: view as i32,
                        max_results: Some(3),
                        next_token: token,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                assert!(r.principals.len() <= 3);
                (
                    r.principals
                        .into_iter()
                        .map(|p| (p.resource_share_arn, p.id))
                        .collect::<Vec<_>>(),
                    r.next_token,
                )
            }
        })
        .await;
        assert_same_walk(&paged, &whole, "ListPrincipals");
    }

    // ListResourceSharePermissions of a share holding three resource types.
    let multi = owner
        .create_share(
            "three-types",
            &[
                &project(OWNER, "m"),
                &format!("arn:aws:ec2:us-east-1:{OWNER}:prefix-list/pl-1"),
                &format!("arn:aws:codebuild:us-east-1:{OWNER}:report-group/rg"),
            ],
            &[],
        )
        .await
        .resource_share_arn;
    let whole: Vec<String> = owner
        .share_permissions(&multi)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.arn)
        .collect();
    assert_eq!(whole.len(), 3, "{whole:?}");
    let paged = walk(|token| {
        let owner = owner.clone();
        let multi = multi.clone();
        async move {
            let r = owner
                .share_permissions_with(pb::ListResourceSharePermissionsRequest {
                    resource_share_arn: multi,
                    max_results: Some(1),
                    next_token: token,
                })
                .await
                .unwrap();
            assert!(r.permissions.len() <= 1);
            (
                r.permissions.into_iter().map(|p| p.arn).collect::<Vec<_>>(),
                r.next_token,
            )
        }
    })
    .await;
    assert_same_walk(&paged, &whole, "ListResourceSharePermissions");

    // A token belongs to the query that issued it.
    let token = owner
        .get_shares_with(pb::GetResourceSharesRequest {
            resource_owner: MINE as i32,
            max_results: Some(1),
            ..Default::default()
        })
        .await
        .unwrap()
        .next_token;
    assert!(!token.is_empty());
    assert_err(
        owner
            .get_shares_with(pb::GetResourceSharesRequest {
                resource_owner: OTHERS as i32,
                next_token: Some(token.clone()),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidNextTokenException",
    );
    assert_err(
        receiver
            .get_shares_with(pb::GetResourceSharesRequest {
                resource_owner: MINE as i32,
                next_token: Some(token),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "InvalidNextTokenException",
    );

    // maxResults outside 1..=500.
    for bad in [0, 501] {
        assert_err(
            owner
                .get_shares_with(pb::GetResourceSharesRequest {
                    resource_owner: MINE as i32,
                    max_results: Some(bad),
                    ..Default::default()
                })
                .await,
            Code::InvalidArgument,
            "InvalidParameterException",
        );
        assert_err(
            owner
                .resources_with(pb::ListResourcesRequest {
                    resource_owner: MINE as i32,
                    max_results: Some(bad),
                    ..Default::default()
                })
                .await,
            Code::InvalidArgument,
            "InvalidParameterException",
        );
    }
}

#[tokio::test]
async fn listings_honour_their_filters() {
    let server = TestServer::start().await;
    let arns = four_shares(&server).await;
    let owner = who(&server, OWNER);
    let receiver = who(&server, RECEIVER);
    let first = arns[0].clone();
    let s0a = project(OWNER, "s0a");
    let s1a = project(OWNER, "s1a");
    let (p_first, p_second) = {
        // The share holding s0a / s1a, whatever the ARN order.
        let holder = |r: String| {
            let owner = owner.clone();
            async move {
                owner
                    .resources_with(pb::ListResourcesRequest {
                        resource_owner: MINE as i32,
                        resource_arns: vec![r],
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .resources[0]
                    .resource_share_arn
                    .clone()
            }
        };
        (holder(s0a.clone()).await, holder(s1a.clone()).await)
    };
    assert_ne!(p_first, p_second);

    // GetResourceShares: by ARN, by permission (and version).
    let by_arn = owner.share(MINE, &first).await.unwrap();
    assert_eq!(by_arn.resource_share_arn, first);
    assert_eq!(
        receiver
            .share(OTHERS, &first)
            .await
            .unwrap()
            .owning_account_id,
        OWNER
    );
    let by_permission = |arn: &str, version: Option<i32>| {
        let owner = owner.clone();
        let arn = arn.to_string();
        async move {
            share_arns(
                &owner
                    .get_shares_with(pb::GetResourceSharesRequest {
                        resource_owner: MINE as i32,
                        permission_arn: Some(arn),
                        permission_version: version,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .resource_shares,
            )
        }
    };
    assert_eq!(by_permission(CODEBUILD_DEFAULT, None).await, arns);
    assert_eq!(by_permission(CODEBUILD_DEFAULT, Some(1)).await, arns);
    assert!(by_permission(CODEBUILD_DEFAULT, Some(2)).await.is_empty());
    assert!(by_permission(SUBNET_DEFAULT, None).await.is_empty());

    // GetResourceShareAssociations: share, resource, principal, status.
    let assoc = |req: pb::GetResourceShareAssociationsRequest| {
        let owner = owner.clone();
        async move {
            owner
                .associations_with(req)
                .await
                .unwrap()
                .resource_share_associations
                .into_iter()
                .map(|a| (a.resource_share_arn, a.associated_entity))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        assoc(pb::GetResourceShareAssociationsRequest {
            association_type: Kind::Resource as i32,
            resource_share_arns: vec![first.clone()],
            ..Default::default()
        })
        .await
        .len(),
        3
    );
    assert_eq!(
        assoc(pb::GetResourceShareAssociationsRequest {
            association_type: Kind::Resource as i32,
            resource_arn: Some(s0a.clone()),
            ..Default::default()
        })
        .await,
        vec![(p_first.clone(), s0a.clone())]
    );
    let receivers = assoc(pb::GetResourceShareAssociationsRequest {
        association_type: Kind::Principal as i32,
        principal: Some(RECEIVER.into()),
        ..Default::default()
    })
    .await;
    assert_eq!(receivers.len(), 4);
    assert!(receivers.iter().all(|(_, e)| e == RECEIVER));
    // RECEIVER accepted, STRANGER did not: ASSOCIATED vs ASSOCIATING.
    let by_status = |status: Assoc| {
        assoc(pb::GetResourceShareAssociationsRequest {
            association_type: Kind::Principal as i32,
            association_status: status as i32,
            ..Default::default()
        })
    };
    let associated = by_status(Assoc::Associated).await;
    assert!(associated.len() == 4 && associated.iter().all(|(_, e)| e == RECEIVER));
    let associating = by_status(Assoc::Associating).await;
    assert!(associating.len() == 4 && associating.iter().all(|(_, e)| e == STRANGER));

    // GetResourceShareInvitations: by share, by invitation ARN.
    let invitations = receiver.invitations().await;
    assert_eq!(invitations.len(), 4);
    let of_first = receiver
        .invitations_with(pb::GetResourceShareInvitationsRequest {
            resource_share_arns: vec![first.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_invitations;
    assert_eq!(of_first.len(), 1);
    assert_eq!(of_first[0].resource_share_arn, first);
    let named = receiver
        .invitations_with(pb::GetResourceShareInvitationsRequest {
            resource_share_invitation_arns: vec![of_first[0].resource_share_invitation_arn.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_invitations;
    assert_eq!(named, of_first);

    // ListResources: type, ARNs, share, principal (SELF) / owner (OTHER-ACCOUNTS).
    let (owner_s, receiver_s) = (owner.clone(), receiver.clone());
    assert_eq!(
        listed(
            &owner_s,
            pb::ListResourcesRequest {
                resource_owner: MINE as i32,
                resource_type: Some("codebuild:project".into()),
                ..Default::default()
            }
        )
        .await
        .len(),
        12
    );
    assert!(listed(
        &owner_s,
        pb::ListResourcesRequest {
            resource_owner: MINE as i32,
            resource_type: Some("ec2:Subnet".into()),
            ..Default::default()
        }
    )
    .await
    .is_empty());
    assert_eq!(
        listed(
            &receiver_s,
            pb::ListResourcesRequest {
                resource_owner: OTHERS as i32,
                resource_arns: vec![s0a.clone(), s1a.clone()],
                ..Default::default()
            }
        )
        .await
        .len(),
        2
    );
    assert_eq!(
        listed(
            &receiver_s,
            pb::ListResourcesRequest {
                resource_owner: OTHERS as i32,
                resource_share_arns: vec![p_first.clone()],
                ..Default::default()
            }
        )
        .await
        .len(),
        3
    );
    assert_eq!(
        listed(
            &receiver_s,
            pb::ListResourcesRequest {
                resource_owner: OTHERS as i32,
                principal: Some(OWNER.into()),
                ..Default::default()
            }
        )
        .await
        .len(),
        12
    );
    assert!(listed(
        &receiver_s,
        pb::ListResourcesRequest {
            resource_owner: OTHERS as i32,
            principal: Some(STRANGER.into()),
            ..Default::default()
        }
    )
    .await
    .is_empty());
    assert_eq!(
        listed(
            &owner_s,
            pb::ListResourcesRequest {
                resource_owner: MINE as i32,
                principal: Some(RECEIVER.into()),
                ..Default::default()
            }
        )
        .await
        .len(),
        12
    );

    // ListPrincipals: principals, resource, type, share.
    let principals = |req: pb::ListPrincipalsRequest| {
        let owner = owner_s.clone();
        async move {
            owner
                .principals_with(req)
                .await
                .unwrap()
                .principals
                .into_iter()
                .map(|p| (p.resource_share_arn, p.id))
                .collect::<Vec<_>>()
        }
    };
    let strangers = principals(pb::ListPrincipalsRequest {
        resource_owner: MINE as i32,
        principals: vec![STRANGER.into()],
        ..Default::default()
    })
    .await;
    assert!(strangers.len() == 4 && strangers.iter().all(|(_, p)| p == STRANGER));
    let mut of_s0a = principals(pb::ListPrincipalsRequest {
        resource_owner: MINE as i32,
        resource_arn: Some(s0a.clone()),
        ..Default::default()
    })
    .await;
    of_s0a.sort();
    let mut want = vec![
        (p_first.clone(), RECEIVER.to_string()),
        (p_first.clone(), STRANGER.to_string()),
    ];
    want.sort();
    assert_eq!(of_s0a, want);
    assert_eq!(
        principals(pb::ListPrincipalsRequest {
            resource_owner: MINE as i32,
            resource_type: Some("codebuild:Project".into()),
            ..Default::default()
        })
        .await
        .len(),
        8
    );
    assert!(principals(pb::ListPrincipalsRequest {
        resource_owner: MINE as i32,
        resource_type: Some("ec2:Subnet".into()),
        ..Default::default()
    })
    .await
    .is_empty());
    assert_eq!(
        principals(pb::ListPrincipalsRequest {
            resource_owner: MINE as i32,
            resource_share_arns: vec![p_second.clone()],
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    let owners = receiver_s
        .principals_with(pb::ListPrincipalsRequest {
            resource_owner: OTHERS as i32,
            resource_share_arns: vec![p_second.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .principals;
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].id, OWNER);
}

#[tokio::test]
async fn a_third_account_sees_nothing_anywhere() {
    let server = TestServer::start().await;
    let arns = four_shares(&server).await;
    let owner = who(&server, OWNER);
    let third = who(&server, THIRD);
    let receiver = who(&server, RECEIVER);
    let service_share = owner
        .create_share_with(pb::CreateResourceShareRequest {
            name: "service".into(),
            principals: vec!["codebuild.amazonaws.com".into()],
            sources: vec![OWNER.into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .resource_share_arn;
    let invitation = receiver.invitation_for(&arns[0]).await;
    let inv_arn = invitation.resource_share_invitation_arn.clone();

    for view in [MINE, OTHERS] {
        assert!(third.shares(view).await.is_empty());
        assert!(third.resources(view).await.is_empty());
        assert!(third.principals(view).await.is_empty());
        for arn in [&arns[0], &service_share] {
            assert_err(
                third.share(view, arn).await,
                Code::NotFound,
                "UnknownResourceException",
            );
        }
    }
    for kind in [Kind::Principal, Kind::Resource, Kind::Source] {
        let all = third
            .associations_with(pb::GetResourceShareAssociationsRequest {
                association_type: kind as i32,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(all.resource_share_associations.is_empty(), "{kind:?}");
        assert_err(
            third
                .associations_with(pb::GetResourceShareAssociationsRequest {
                    association_type: kind as i32,
                    resource_share_arns: vec![arns[0].clone()],
                    ..Default::default()
                })
                .await,
            Code::NotFound,
            "UnknownResourceException",
        );
    }
    assert!(third
        .sources_with(Default::default())
        .await
        .unwrap()
        .source_associations
        .is_empty());
    assert!(third.invitations().await.is_empty());
    let not_found = "ResourceShareInvitationArnNotFoundException";
    assert_err(
        third
            .invitations_with(pb::GetResourceShareInvitationsRequest {
                resource_share_invitation_arns: vec![inv_arn.clone()],
                ..Default::default()
            })
            .await,
        Code::NotFound,
        not_found,
    );
    assert_err(third.accept(&inv_arn).await, Code::NotFound, not_found);
    assert_err(third.reject(&inv_arn).await, Code::NotFound, not_found);
    assert_err(
        third.pending_resources(&inv_arn).await,
        Code::NotFound,
        not_found,
    );
    assert_err(
        third.share_permissions(&arns[0]).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    // The receiver's invitation is unchanged by the third account's attempts.
    assert_eq!(
        receiver.invitation_for(&arns[0]).await.status(),
        invitation.status()
    );
}
