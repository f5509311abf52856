//! The service around the operations: health, reflection, caller identity,
//! not-yet-implemented operations, the admin service and graceful shutdown.

use ramd::pb::admin as admin_pb;
use ramd::pb::v1 as pb;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

use crate::common::process::RamdProcess;
use crate::common::*;

#[tokio::test]
async fn health_reports_serving_for_every_service() {
    let server = TestServer::start().await;
    let mut health = HealthClient::new(server.channel.clone());
    for service in ["", "ram.v1.ResourceAccessManager", "ram.admin.v1.Admin"] {
        let r = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status, ServingStatus::Serving as i32, "{service:?}");
    }
}

#[tokio::test]
async fn reflection_lists_the_services() {
    let server = TestServer::start().await;
    let mut client = ServerReflectionClient::new(server.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in [
        "ram.v1.ResourceAccessManager",
        "ram.admin.v1.Admin",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
}

#[tokio::test]
async fn a_malformed_account_header_is_unauthenticated() {
    let server = TestServer::start().await;
    for bad in ["12345", "abcdefghijkl", "1234567890123"] {
        let r = server
            .ram()
            .list_permissions(as_account(bad, pb::ListPermissionsRequest::default()))
            .await;
        assert_err(r, Code::Unauthenticated, "UnrecognizedClientException");
    }
    // Without the header the default account is the caller.
    let p = server
        .ram()
        .create_permission(pb::CreatePermissionRequest {
            name: "Default".into(),
            resource_type: CMP_TYPE.into(),
            policy_template: TEMPLATE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .permission
        .unwrap();
    assert_eq!(
        p.arn,
        "arn:aws:ram:us-east-1:123456789012:permission/Default"
    );
}

#[tokio::test]
async fn region_partition_and_default_account_come_from_flags() {
    let server = TestServer::start_with(&[
        "--region",
        "eu-west-2",
        "--partition",
        "aws-cn",
        "--default-account",
        "000000112358",
    ])
    .await;
    let p = server
        .ram()
        .create_permission(pb::CreatePermissionRequest {
            name: "Here".into(),
            resource_type: CMP_TYPE.into(),
            policy_template: TEMPLATE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .permission
        .unwrap();
    assert_eq!(
        p.arn,
        "arn:aws-cn:ram:eu-west-2:000000112358:permission/Here"
    );
    let aws = server
        .ram()
        .list_permissions(pb::ListPermissionsRequest {
            permission_type: pb::PermissionTypeFilter::AwsManaged as i32,
            max_results: Some(1),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(aws.permissions[0]
        .arn
        .starts_with("arn:aws-cn:ram::aws:permission/"));
}

#[tokio::test]
async fn reset_drops_all_state() {
    let server = TestServer::start().await;
    create_permission(&server, OWNER, "Gone").await;
    server
        .admin()
        .reset(admin_pb::ResetRequest {})
        .await
        .unwrap();
    let left = server
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
        .into_inner();
    assert!(left.permissions.is_empty());
}

#[tokio::test]
async fn advance_clock_moves_a_manual_clock_only() {
    let server = TestServer::start().await;
    let before = create_permission(&server, OWNER, "Early").await;
    let now = server
        .admin()
        .advance_clock(admin_pb::AdvanceClockRequest { seconds: 3600 })
        .await
        .unwrap()
        .into_inner()
        .now
        .unwrap();
    let created = before.creation_time.unwrap();
    assert_eq!(now.seconds - created.seconds, 3600);
    let after = create_permission(&server, OWNER, "Late").await;
    assert_eq!(after.creation_time.unwrap().seconds, now.seconds);
}

/// Starts the real binary, waits for SERVING, sends SIGTERM and expects a
/// clean exit; on a system clock AdvanceClock is refused.
#[tokio::test]
async fn the_binary_serves_and_drains_on_sigterm() {
    let mut ramd = RamdProcess::start(&[]);
    let channel = ramd.channel().await;
    let r = ramd::pb::admin::admin_client::AdminClient::new(channel.clone())
        .advance_clock(admin_pb::AdvanceClockRequest { seconds: 1 })
        .await;
    assert_err(
        r,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    let request = ramd.wait_for_log("request");
    assert_eq!(request["method"], "AdvanceClock");
    assert!(request["latency_us"].is_number());
    ramd.signal("TERM");
    ramd.wait_for_log("shutdown requested: reporting NOT_SERVING and draining");
    let exit = ramd.wait_exit().await;
    assert!(exit.success(), "exit status {exit:?}");
}
