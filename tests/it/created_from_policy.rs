//! Shares and permissions created from resource-based policies, and their
//! promotion to STANDARD.

use ramd::pb::admin as admin_pb;
use ramd::pb::v1 as pb;
use serde_json::json;
use tonic::Code;

use crate::common::*;

const RECEIVER: &str = "444455556666";

fn project() -> String {
    format!("arn:aws:codebuild:us-east-1:{OWNER}:project/builder")
}

fn policy(resource: &str, actions: &[&str]) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{RECEIVER}:root")},
            "Action": actions,
            "Resource": resource,
        }]
    })
    .to_string()
}

async fn put_policy(
    server: &TestServer,
    resource: &str,
    policy: String,
) -> Result<admin_pb::PutResourcePolicyResponse, tonic::Status> {
    server
        .admin()
        .put_resource_policy(admin_pb::PutResourcePolicyRequest {
            resource_arn: resource.into(),
            policy,
        })
        .await
        .map(|r| r.into_inner())
}

async fn shares_of(
    server: &TestServer,
    account: &str,
    owner: pb::ResourceOwner,
) -> Vec<pb::ResourceShare> {
    server
        .ram()
        .get_resource_shares(as_account(
            account,
            pb::GetResourceSharesRequest {
                resource_owner: owner as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .resource_shares
}

async fn get_permission(
    server: &TestServer,
    arn: &str,
) -> Result<pb::ResourceSharePermissionDetail, tonic::Status> {
    server
        .ram()
        .get_permission(as_account(
            OWNER,
            pb::GetPermissionRequest {
                permission_arn: arn.into(),
                ..Default::default()
            },
        ))
        .await
        .map(|r| r.into_inner().permission.unwrap())
}

async fn promote_share(
    server: &TestServer,
    share: &str,
) -> Result<tonic::Response<pb::PromoteResourceShareCreatedFromPolicyResponse>, tonic::Status> {
    server
        .ram()
        .promote_resource_share_created_from_policy(as_account(
            OWNER,
            pb::PromoteResourceShareCreatedFromPolicyRequest {
                resource_share_arn: share.into(),
            },
        ))
        .await
}

#[tokio::test]
async fn a_policy_share_is_private_frozen_and_promoted_in_two_steps() {
    let server = TestServer::start().await;
    let actions = ["codebuild:BatchGetProjects", "codebuild:StartBuild"];
    let put = put_policy(&server, &project(), policy(&project(), &actions))
        .await
        .unwrap();
    let (share_arn, cfp_arn) = (put.resource_share_arn, put.permission_arn);
    assert!(share_arn.starts_with(&format!("arn:aws:ram:us-east-1:{OWNER}:resource-share/")));
    assert!(cfp_arn.starts_with(&format!("arn:aws:ram:us-east-1:{OWNER}:permission/")));

    // The owner sees a CREATED_FROM_POLICY share; its principal does not.
    let own = shares_of(&server, OWNER, pb::ResourceOwner::Self_).await;
    assert_eq!(own.len(), 1);
    assert_eq!(
        own[0].feature_set,
        pb::ResourceShareFeatureSet::CreatedFromPolicy as i32
    );
    assert!(
        shares_of(&server, RECEIVER, pb::ResourceOwner::OtherAccounts)
            .await
            .is_empty()
    );
    let cfp = get_permission(&server, &cfp_arn).await.unwrap();
    assert_eq!(
        cfp.feature_set,
        pb::PermissionFeatureSet::CreatedFromPolicy as i32
    );
    let template: serde_json::Value = serde_json::from_str(&cfp.permission).unwrap();
    assert_eq!(template["Action"], json!(actions));
    let by_feature = server
        .ram()
        .list_permission_associations(as_account(
            OWNER,
            pb::ListPermissionAssociationsRequest {
                feature_set: pb::PermissionFeatureSet::CreatedFromPolicy as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions;
    assert_eq!(by_feature.len(), 1);
    assert_eq!(by_feature[0].arn, cfp_arn);

    // The owner can't change it through RAM.
    let update = server
        .ram()
        .update_resource_share(as_account(
            OWNER,
            pb::UpdateResourceShareRequest {
                resource_share_arn: share_arn.clone(),
                name: Some("renamed".into()),
                ..Default::default()
            },
        ))
        .await;
    assert_err(
        update,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    let associate = server
        .ram()
        .associate_resource_share(as_account(
            OWNER,
            pb::AssociateResourceShareRequest {
                resource_share_arn: share_arn.clone(),
                principals: vec!["777788889999".into()],
                ..Default::default()
            },
        ))
        .await;
    assert_err(
        associate,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    let delete = server
        .ram()
        .delete_resource_share(as_account(
            OWNER,
            pb::DeleteResourceShareRequest {
                resource_share_arn: share_arn.clone(),
                client_token: None,
            },
        ))
        .await;
    assert_err(
        delete,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );

    // No managed permission matches yet: promotion is refused and changes nothing.
    assert_err(
        promote_share(&server, &share_arn).await,
        Code::FailedPrecondition,
        "UnmatchedPolicyPermissionException",
    );
    let own = shares_of(&server, OWNER, pb::ResourceOwner::Self_).await;
    assert_eq!(
        own[0].feature_set,
        pb::ResourceShareFeatureSet::CreatedFromPolicy as i32
    );
    assert!(get_permission(&server, &cfp_arn).await.is_ok());

    // Promote the permission: a new STANDARD customer managed permission.
    let promoted = server
        .ram()
        .promote_permission_created_from_policy(as_account(
            OWNER,
            pb::PromotePermissionCreatedFromPolicyRequest {
                permission_arn: cfp_arn.clone(),
                name: "ProjectBuilders".into(),
                client_token: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permission
        .unwrap();
    assert_eq!(
        promoted.arn,
        format!("arn:aws:ram:us-east-1:{OWNER}:permission/ProjectBuilders")
    );
    assert_eq!(
        promoted.feature_set,
        pb::PermissionFeatureSet::Standard as i32
    );
    assert_eq!(
        promoted.permission_type,
        pb::PermissionType::CustomerManaged as i32
    );
    assert!(
        get_permission(&server, &cfp_arn).await.is_ok(),
        "the original stays"
    );

    // Now the share promotes: STANDARD, the promoted permission attached, the
    // principal sees it, and the CREATED_FROM_POLICY permission is gone.
    let r = promote_share(&server, &share_arn)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.return_value, Some(true));
    let own = shares_of(&server, OWNER, pb::ResourceOwner::Self_).await;
    assert_eq!(
        own[0].feature_set,
        pb::ResourceShareFeatureSet::Standard as i32
    );
    let attached = server
        .ram()
        .list_resource_share_permissions(as_account(
            OWNER,
            pb::ListResourceSharePermissionsRequest {
                resource_share_arn: share_arn.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions;
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].arn, promoted.arn);
    let seen = shares_of(&server, RECEIVER, pb::ResourceOwner::OtherAccounts).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].resource_share_arn, share_arn);
    assert_err(
        get_permission(&server, &cfp_arn).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    // A second promotion is a state error.
    assert_err(
        promote_share(&server, &share_arn).await,
        Code::FailedPrecondition,
        "InvalidStateTransitionException",
    );
}

#[tokio::test]
async fn a_policy_matching_an_aws_managed_permission_uses_it() {
    let server = TestServer::start().await;
    let subnet = format!("arn:aws:ec2:us-east-1:{OWNER}:subnet/subnet-0123");
    let put = put_policy(
        &server,
        &subnet,
        policy(
            &subnet,
            &[
                "ec2:DescribeSubnets",
                "ec2:RunInstances",
                "ec2:CreateNetworkInterface",
            ],
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        put.permission_arn,
        "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet"
    );
    promote_share(&server, &put.resource_share_arn)
        .await
        .unwrap();
    let seen = shares_of(&server, RECEIVER, pb::ResourceOwner::OtherAccounts).await;
    assert_eq!(seen.len(), 1);

    // After promotion RAM manages the policy; a new policy is refused.
    assert_err(
        put_policy(&server, &subnet, policy(&subnet, &["ec2:DescribeSubnets"])).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
}

#[tokio::test]
async fn removing_or_replacing_the_policy_ends_its_share() {
    let server = TestServer::start().await;
    let first = put_policy(
        &server,
        &project(),
        policy(&project(), &["codebuild:BatchGetProjects"]),
    )
    .await
    .unwrap();
    let second = put_policy(
        &server,
        &project(),
        policy(&project(), &["codebuild:StartBuild"]),
    )
    .await
    .unwrap();
    assert_ne!(first.resource_share_arn, second.resource_share_arn);
    assert_err(
        get_permission(&server, &first.permission_arn).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    server
        .admin()
        .delete_resource_policy(admin_pb::DeleteResourcePolicyRequest {
            resource_arn: project(),
        })
        .await
        .unwrap();
    let own = shares_of(&server, OWNER, pb::ResourceOwner::Self_).await;
    assert!(own
        .iter()
        .all(|s| s.status == pb::ResourceShareStatus::Deleted as i32));
    assert_err(
        get_permission(&server, &second.permission_arn).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    assert_err(
        server
            .admin()
            .delete_resource_policy(admin_pb::DeleteResourcePolicyRequest {
                resource_arn: project(),
            })
            .await,
        Code::NotFound,
        "ResourceArnNotFoundException",
    );
}

#[tokio::test]
async fn policies_ramd_cannot_represent_are_refused() {
    let server = TestServer::start().await;
    let cases = [
        ("not json".to_string(), Code::InvalidArgument, "MalformedPolicyTemplateException"),
        (
            json!({"Statement": [{"Effect": "Deny", "Principal": {"AWS": RECEIVER}, "Action": "codebuild:StartBuild"}]}).to_string(),
            Code::InvalidArgument,
            "InvalidPolicyException",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": RECEIVER}, "Action": "ec2:RunInstances"}]}).to_string(),
            Code::InvalidArgument,
            "InvalidPolicyException",
        ),
        (
            json!({"Statement": [
                {"Effect": "Allow", "Principal": {"AWS": RECEIVER}, "Action": "codebuild:StartBuild"},
                {"Effect": "Allow", "Principal": {"AWS": "777788889999"}, "Action": "codebuild:BatchGetProjects"}
            ]}).to_string(),
            Code::InvalidArgument,
            "InvalidPolicyException",
        ),
    ];
    for (policy, code, reason) in cases {
        assert_err(put_policy(&server, &project(), policy).await, code, reason);
    }
    assert!(shares_of(&server, OWNER, pb::ResourceOwner::Self_)
        .await
        .is_empty());
    assert_err(
        put_policy(
            &server,
            "not-an-arn",
            policy(&project(), &["codebuild:StartBuild"]),
        )
        .await,
        Code::InvalidArgument,
        "MalformedArnException",
    );
}
