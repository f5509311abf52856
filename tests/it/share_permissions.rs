//! Permissions on shares: attaching, replacing and upgrading versions,
//! bulk replacement as an asynchronous work item, and the refusals.

use ramd::pb::v1 as pb;
use tonic::Code;

use crate::common::*;

const RECEIVER: &str = "444455556666";

fn project(n: u32) -> String {
    format!("arn:aws:codebuild:us-east-1:{OWNER}:project/p{n}")
}

async fn new_share(
    server: &TestServer,
    name: &str,
    resources: Vec<String>,
    permissions: Vec<String>,
) -> String {
    server
        .ram()
        .create_resource_share(as_account(
            OWNER,
            pb::CreateResourceShareRequest {
                name: name.into(),
                resource_arns: resources,
                principals: vec![RECEIVER.into()],
                permission_arns: permissions,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .resource_share
        .unwrap()
        .resource_share_arn
}

async fn attached(server: &TestServer, share: &str) -> Vec<(String, String, Option<bool>)> {
    server
        .ram()
        .list_resource_share_permissions(as_account(
            OWNER,
            pb::ListResourceSharePermissionsRequest {
                resource_share_arn: share.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions
        .into_iter()
        .map(|p| (p.arn, p.version, p.default_version))
        .collect()
}

async fn new_version(server: &TestServer, arn: &str) {
    server
        .ram()
        .create_permission_version(as_account(
            OWNER,
            pb::CreatePermissionVersionRequest {
                permission_arn: arn.into(),
                policy_template: TEMPLATE_2.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_new_default_version_reaches_shares_by_replace_and_by_bulk_work() {
    let server = TestServer::start().await;
    let cmp = create_permission(&server, OWNER, "Builders").await.arn;
    let a = new_share(&server, "a", vec![project(1)], vec![cmp.clone()]).await;
    let b = new_share(&server, "b", vec![project(2)], vec![cmp.clone()]).await;
    let c = new_share(&server, "c", vec![project(3)], vec![cmp.clone()]).await;
    assert_eq!(
        attached(&server, &a).await,
        [(cmp.clone(), "1".into(), Some(true))]
    );

    // Version 2 becomes the default; existing shares keep version 1.
    new_version(&server, &cmp).await;
    assert_eq!(
        attached(&server, &a).await,
        [(cmp.clone(), "1".into(), Some(false))]
    );

    // The same permission without replace is refused; with replace it upgrades.
    let assoc = |replace: Option<bool>, version: Option<i32>| {
        let mut c = server.ram();
        let (a, cmp) = (a.clone(), cmp.clone());
        async move {
            c.associate_resource_share_permission(as_account(
                OWNER,
                pb::AssociateResourceSharePermissionRequest {
                    resource_share_arn: a,
                    permission_arn: cmp,
                    replace,
                    permission_version: version,
                    ..Default::default()
                },
            ))
            .await
        }
    };
    assert_err(
        assoc(None, None).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        assoc(Some(true), Some(1)).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    let r = assoc(Some(true), Some(2)).await.unwrap().into_inner();
    assert_eq!(r.return_value, Some(true));
    assert_eq!(
        attached(&server, &a).await,
        [(cmp.clone(), "2".into(), Some(true))]
    );
    assert_eq!(
        attached(&server, &b).await,
        [(cmp.clone(), "1".into(), Some(false))]
    );

    // ListPermissionAssociations shows who uses which version.
    let on_v1 = server
        .ram()
        .list_permission_associations(as_account(
            OWNER,
            pb::ListPermissionAssociationsRequest {
                permission_arn: Some(cmp.clone()),
                permission_version: Some(1),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions;
    let mut shares_on_v1: Vec<String> =
        on_v1.iter().map(|p| p.resource_share_arn.clone()).collect();
    shares_on_v1.sort();
    let mut want = vec![b.clone(), c.clone()];
    want.sort();
    assert_eq!(shares_on_v1, want);
    assert!(on_v1.iter().all(|p| p.default_version == Some(false)));

    // The rest move in bulk, as a work item that completes asynchronously.
    let work = server
        .ram()
        .replace_permission_associations(as_account(
            OWNER,
            pb::ReplacePermissionAssociationsRequest {
                from_permission_arn: cmp.clone(),
                from_permission_version: Some(1),
                to_permission_arn: cmp.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .replace_permission_associations_work
        .unwrap();
    assert_eq!(
        work.status,
        pb::ReplacePermissionAssociationsWorkStatus::InProgress as i32
    );
    assert_eq!(work.to_permission_version, "2");
    assert_eq!(work.from_permission_version, "1");
    let works = server
        .ram()
        .list_replace_permission_associations_work(as_account(
            OWNER,
            pb::ListReplacePermissionAssociationsWorkRequest {
                work_ids: vec![work.id.clone()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .replace_permission_associations_works;
    assert_eq!(works.len(), 1);
    assert_eq!(
        works[0].status,
        pb::ReplacePermissionAssociationsWorkStatus::Completed as i32
    );
    for share in [&a, &b, &c] {
        assert_eq!(
            attached(&server, share).await,
            [(cmp.clone(), "2".into(), Some(true))]
        );
    }
    // Another account sees none of the caller's work items.
    let theirs = server
        .ram()
        .list_replace_permission_associations_work(as_account(
            STRANGER,
            pb::ListReplacePermissionAssociationsWorkRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
        .replace_permission_associations_works;
    assert!(theirs.is_empty());

    // Version 1 is no longer used and can go; version 2 is in use and can't.
    let delete = |v: i32| {
        let mut c = server.ram();
        let cmp = cmp.clone();
        async move {
            c.delete_permission_version(as_account(
                OWNER,
                pb::DeletePermissionVersionRequest {
                    permission_arn: cmp,
                    permission_version: v,
                    client_token: None,
                },
            ))
            .await
        }
    };
    delete(1).await.unwrap();
    assert_err(
        server
            .ram()
            .delete_permission(as_account(
                OWNER,
                pb::DeletePermissionRequest {
                    permission_arn: cmp.clone(),
                    client_token: None,
                },
            ))
            .await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
}

#[tokio::test]
async fn permissions_on_shares_follow_the_rules() {
    let server = TestServer::start().await;
    let cmp = create_permission(&server, OWNER, "Readers").await.arn;
    let share = new_share(&server, "s", vec![project(1)], vec![]).await;
    let default = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionCodeBuildProject";
    assert_eq!(
        attached(&server, &share).await,
        [(default.to_string(), "1".into(), Some(true))]
    );

    // Swap the AWS managed default for the customer managed permission.
    server
        .ram()
        .associate_resource_share_permission(as_account(
            OWNER,
            pb::AssociateResourceSharePermissionRequest {
                resource_share_arn: share.clone(),
                permission_arn: cmp.clone(),
                replace: Some(true),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        attached(&server, &share).await,
        [(cmp.clone(), "1".into(), Some(true))]
    );

    // Removing the permission of a type the share holds is refused.
    let disassociate = |arn: &str| {
        let mut c = server.ram();
        let (share, arn) = (share.clone(), arn.to_string());
        async move {
            c.disassociate_resource_share_permission(as_account(
                OWNER,
                pb::DisassociateResourceSharePermissionRequest {
                    resource_share_arn: share,
                    permission_arn: arn,
                    client_token: None,
                },
            ))
            .await
        }
    };
    assert_err(
        disassociate(&cmp).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    assert_err(
        disassociate(default).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );

    // A deprecated permission can't be newly attached; shares using it keep it.
    server
        .ram()
        .update_permission(as_account(
            OWNER,
            pb::UpdatePermissionRequest {
                permission_arn: cmp.clone(),
                status: pb::UpdatePermissionStatus::Deprecated as i32,
                client_token: None,
            },
        ))
        .await
        .unwrap();
    let refused = server
        .ram()
        .create_resource_share(as_account(
            OWNER,
            pb::CreateResourceShareRequest {
                name: "late".into(),
                permission_arns: vec![cmp.clone()],
                ..Default::default()
            },
        ))
        .await;
    assert_err(refused, Code::InvalidArgument, "InvalidParameterException");
    assert_eq!(
        attached(&server, &share).await,
        [(cmp.clone(), "1".into(), Some(true))]
    );

    // Once the resources are gone, the permission can be removed.
    server
        .ram()
        .disassociate_resource_share(as_account(
            OWNER,
            pb::DisassociateResourceShareRequest {
                resource_share_arn: share.clone(),
                resource_arns: vec![project(1)],
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    disassociate(&cmp).await.unwrap();
    assert!(attached(&server, &share).await.is_empty());

    // Permissions of different types can't replace each other in bulk.
    let subnet_default = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet";
    assert_err(
        server
            .ram()
            .replace_permission_associations(as_account(
                OWNER,
                pb::ReplacePermissionAssociationsRequest {
                    from_permission_arn: default.into(),
                    to_permission_arn: subnet_default.into(),
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    // A stranger can't touch the share's permissions.
    assert_err(
        server
            .ram()
            .associate_resource_share_permission(as_account(
                STRANGER,
                pb::AssociateResourceSharePermissionRequest {
                    resource_share_arn: share.clone(),
                    permission_arn: default.into(),
                    replace: Some(true),
                    ..Default::default()
                },
            ))
            .await,
        Code::NotFound,
        "UnknownResourceException",
    );
}

#[tokio::test]
async fn resource_policies_follow_the_attached_version() {
    let server = TestServer::start().await;
    let cmp = create_permission(&server, OWNER, "Followed").await.arn;
    let share = new_share(&server, "followed", vec![project(9)], vec![cmp.clone()]).await;
    let invitation = server
        .ram()
        .get_resource_share_invitations(as_account(
            RECEIVER,
            pb::GetResourceShareInvitationsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
        .resource_share_invitations
        .remove(0);
    server
        .ram()
        .accept_resource_share_invitation(as_account(
            RECEIVER,
            pb::AcceptResourceShareInvitationRequest {
                resource_share_invitation_arn: invitation.resource_share_invitation_arn,
                client_token: None,
            },
        ))
        .await
        .unwrap();
    let actions = || {
        let mut c = server.ram();
        async move {
            let policy = c
                .get_resource_policies(as_account(
                    OWNER,
                    pb::GetResourcePoliciesRequest {
                        resource_arns: vec![project(9)],
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .policies
                .remove(0);
            let v: serde_json::Value = serde_json::from_str(&policy).unwrap();
            let mut actions: Vec<String> = v["Statement"][0]["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            actions.sort();
            actions
        }
    };
    assert_eq!(actions().await, ["codebuild:BatchGetProjects"]);
    // A new default version changes nothing until the share moves to it.
    new_version(&server, &cmp).await;
    assert_eq!(actions().await, ["codebuild:BatchGetProjects"]);
    server
        .ram()
        .associate_resource_share_permission(as_account(
            OWNER,
            pb::AssociateResourceSharePermissionRequest {
                resource_share_arn: share,
                permission_arn: cmp,
                replace: Some(true),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        actions().await,
        ["codebuild:BatchGetProjects", "codebuild:StartBuild"]
    );
}
