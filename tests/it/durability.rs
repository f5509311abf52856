//! Durability: everything acknowledged survives a restart (from snapshots and
//! the journal), a power loss that drops un-synced writes, and a failing
//! fsync (which stops writes rather than acknowledging them).

use ramd::pb::admin as admin_pb;
use ramd::pb::v1 as pb;
use ramd::store::memory::MemStorage;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::common::*;

const RECEIVER: &str = "444455556666";
const MEMBER: &str = "555566667777";

fn project(n: u32) -> String {
    format!("arn:aws:codebuild:us-east-1:{OWNER}:project/p{n}")
}

/// Writes a bit of everything: permissions and versions, tags, an
/// organization, shares with invitations (accepted and pending), a policy
/// share, a replace work item and a token-guarded create.
async fn populate(server: &TestServer) {
    let mut ram = server.ram();
    let mut admin = server.admin();
    let cmp = create_permission(server, OWNER, "Durable").await.arn;
    ram.create_permission_version(as_account(
        OWNER,
        pb::CreatePermissionVersionRequest {
            permission_arn: cmp.clone(),
            policy_template: TEMPLATE_2.into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    ram.tag_resource(as_account(
        OWNER,
        pb::TagResourceRequest {
            resource_arn: Some(cmp.clone()),
            tags: vec![pb::Tag {
                key: "env".into(),
                value: "prod".into(),
            }],
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let org = admin
        .create_organization(admin_pb::CreateOrganizationRequest {
            management_account_id: OWNER.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    admin
        .add_account(admin_pb::AddAccountRequest {
            account_id: MEMBER.into(),
            parent_id: org.root_id.clone(),
        })
        .await
        .unwrap();
    ram.enable_sharing_with_aws_organization(as_account(
        OWNER,
        pb::EnableSharingWithAwsOrganizationRequest {},
    ))
    .await
    .unwrap();
    let share = ram
        .create_resource_share(as_account(
            OWNER,
            pb::CreateResourceShareRequest {
                name: "durable".into(),
                resource_arns: vec![project(1)],
                principals: vec![RECEIVER.into(), MEMBER.into()],
                permission_arns: vec![cmp.clone()],
                client_token: Some("create-durable".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .resource_share
        .unwrap();
    let invitation = ram
        .get_resource_share_invitations(as_account(
            RECEIVER,
            pb::GetResourceShareInvitationsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
        .resource_share_invitations
        .remove(0);
    ram.accept_resource_share_invitation(as_account(
        RECEIVER,
        pb::AcceptResourceShareInvitationRequest {
            resource_share_invitation_arn: invitation.resource_share_invitation_arn,
            client_token: None,
        },
    ))
    .await
    .unwrap();
    // A second share whose invitation stays pending.
    ram.create_resource_share(as_account(
        OWNER,
        pb::CreateResourceShareRequest {
            name: "pending".into(),
            resource_arns: vec![project(2)],
            principals: vec!["777788889999".into()],
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    ram.replace_permission_associations(as_account(
        OWNER,
        pb::ReplacePermissionAssociationsRequest {
            from_permission_arn: cmp.clone(),
            to_permission_arn: cmp.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    admin
        .put_resource_policy(admin_pb::PutResourcePolicyRequest {
            resource_arn: project(3),
            policy: serde_json::json!({"Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": RECEIVER},
                "Action": "codebuild:StartBuild",
            }]})
            .to_string(),
        })
        .await
        .unwrap();
    ram.update_resource_share(as_account(
        OWNER,
        pb::UpdateResourceShareRequest {
            resource_share_arn: share.resource_share_arn,
            name: Some("durable-renamed".into()),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
}

/// Everything a client can read, from every account involved, as text.
async fn observe(server: &TestServer) -> String {
    crate::common::observe(server, &[OWNER, RECEIVER, MEMBER, "777788889999"]).await
}

#[tokio::test]
async fn everything_survives_a_restart_through_snapshots_and_the_journal() {
    let storage = MemStorage::new();
    let server =
        TestServer::start_on(&["--snapshot-every", "4"], Some(Box::new(storage.clone()))).await;
    populate(&server).await;
    let before = observe(&server).await;
    server.stop().await;
    assert!(
        storage.disk.lock().unwrap().snapshot.is_some(),
        "snapshots were taken"
    );

    let server =
        TestServer::start_on(&["--snapshot-every", "4"], Some(Box::new(storage.reopen()))).await;
    assert_eq!(observe(&server).await, before);
    // A retried token-guarded create still returns the first share.
    let retried = server
        .ram()
        .create_resource_share(as_account(
            OWNER,
            pb::CreateResourceShareRequest {
                name: "durable".into(),
                resource_arns: vec![project(1)],
                principals: vec![RECEIVER.into(), MEMBER.into()],
                permission_arns: vec![format!("arn:aws:ram:us-east-1:{OWNER}:permission/Durable")],
                client_token: Some("create-durable".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried.resource_share.unwrap().name, "durable");
    server.stop().await;
}

#[tokio::test]
async fn a_power_loss_keeps_every_acknowledged_write() {
    let storage = MemStorage::new();
    let server = TestServer::start_on(&[], Some(Box::new(storage.clone()))).await;
    populate(&server).await;
    let before = observe(&server).await;
    // The process dies without a final snapshot, and the disk loses what was
    // not synced.
    server.kill();
    storage.crash();
    let server = TestServer::start_on(&[], Some(Box::new(storage.reopen()))).await;
    assert_eq!(observe(&server).await, before);
}

#[tokio::test]
async fn a_failing_fsync_stops_writes_without_acknowledging_them() {
    let storage = MemStorage::new();
    let server = TestServer::start_on(&[], Some(Box::new(storage.clone()))).await;
    create_permission(&server, OWNER, "Kept").await;
    storage.disk.lock().unwrap().fail_next_sync = true;
    let create = |name: &str| {
        let mut c = server.ram();
        let name = name.to_string();
        async move {
            c.create_permission(as_account(
                OWNER,
                pb::CreatePermissionRequest {
                    name,
                    resource_type: CMP_TYPE.into(),
                    policy_template: TEMPLATE.into(),
                    ..Default::default()
                },
            ))
            .await
        }
    };
    assert_err(
        create("Lost").await,
        Code::Unavailable,
        "ServiceUnavailableException",
    );
    assert_err(
        create("Refused").await,
        Code::Unavailable,
        "ServiceUnavailableException",
    );
    let mut health = HealthClient::new(server.channel.clone());
    let status = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::NotServing as i32);
    server.kill();
    storage.crash();
    let server = TestServer::start_on(&[], Some(Box::new(storage.reopen()))).await;
    let names: Vec<String> = server
        .ram()
        .list_permissions(as_account(
            OWNER,
            pb::ListPermissionsRequest {
                permission_type: pb::PermissionTypeFilter::CustomerManaged as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Kept"]);
    // Writes work again after the restart.
    create_permission(&server, OWNER, "Again").await;
}
