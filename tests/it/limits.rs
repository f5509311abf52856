//! Request limits against a running server: the message size limit, the
//! string and list size limits, deadlines, the concurrency limit, and the
//! bounds of the manual clock.

use std::time::Duration;

use ramd::pb::admin as admin_pb;
use ramd::pb::v1 as pb;
use tonic::Code;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_types::StatusExt;

use crate::common::*;

/// Health and an ordinary call both work.
async fn assert_serving(server: &TestServer) {
    HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .expect("health check");
    server
        .ram()
        .list_permissions(as_account(OWNER, pb::ListPermissionsRequest::default()))
        .await
        .expect("ListPermissions");
}

#[tokio::test]
async fn oversized_requests_are_resource_exhausted_on_both_services() {
    let server = TestServer::start_with(&["--max-request-bytes", "2048"]).await;
    let r = server
        .ram()
        .create_permission(as_account(
            OWNER,
            pb::CreatePermissionRequest {
                name: "Big".into(),
                resource_type: CMP_TYPE.into(),
                policy_template: format!("{TEMPLATE}{}", " ".repeat(4000)),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(r.unwrap_err().code(), Code::ResourceExhausted);
    let r = server
        .admin()
        .put_resource_policy(admin_pb::PutResourcePolicyRequest {
            resource_arn: project(OWNER, "p"),
            policy: "x".repeat(4000),
        })
        .await;
    assert_eq!(r.unwrap_err().code(), Code::ResourceExhausted);
    assert_serving(&server).await;
    // A request under the limit is served as usual.
    create_permission(&server, OWNER, "Small").await;
}

#[tokio::test]
async fn long_strings_and_lists_are_invalid_parameters_and_change_nothing() {
    let server = TestServer::start().await;
    let owner = who(&server, OWNER);
    let long_name = "n".repeat(2049);
    let r = owner.try_create_share(&long_name, &[], &[]).await;
    let message = r.as_ref().unwrap_err().message().to_string();
    assert_err(r, Code::InvalidArgument, "InvalidParameterException");
    assert!(
        message.starts_with("name is 2049 characters long"),
        "{message}"
    );

    let many: Vec<String> = (0..1001)
        .map(|i| format!("{:012}", 300_000_000_000u64 + i))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let r = owner.try_create_share("many", &[], &many).await;
    let message = r.as_ref().unwrap_err().message().to_string();
    assert_err(r, Code::InvalidArgument, "InvalidParameterException");
    assert!(
        message.starts_with("principals has more than 1000 entries"),
        "{message}"
    );
    assert!(owner.shares(MINE).await.is_empty(), "nothing was created");

    // Nested members are named with their position.
    let r = server
        .ram()
        .get_permission(as_account(
            OWNER,
            pb::GetPermissionRequest {
                permission_arn: CODEBUILD_DEFAULT.into(),
                permission_template_parameters: vec![pb::PermissionTemplateParameterInput {
                    name: "p".into(),
                    values: vec!["v".repeat(3000)],
                }],
                ..Default::default()
            },
        ))
        .await;
    let message = r.as_ref().unwrap_err().message().to_string();
    assert_err(r, Code::InvalidArgument, "InvalidParameterException");
    assert!(
        message.starts_with("permissionTemplateParameters[0].values is 3000"),
        "{message}"
    );

    // Policy documents may be long, up to 64 KiB.
    let r = server
        .admin()
        .put_resource_policy(admin_pb::PutResourcePolicyRequest {
            resource_arn: project(OWNER, "p"),
            policy: "x".repeat(70_000),
        })
        .await;
    assert_err(r, Code::InvalidArgument, "InvalidParameterException");
    let padded = format!("{TEMPLATE}{}", " ".repeat(30_000));
    let r = server
        .ram()
        .create_permission(as_account(
            OWNER,
            pb::CreatePermissionRequest {
                name: "Padded".into(),
                resource_type: CMP_TYPE.into(),
                policy_template: padded,
                ..Default::default()
            },
        ))
        .await;
    if let Err(status) = r {
        assert!(
            !status.message().contains("characters long"),
            "a 30 000 character template is within the size limit: {status:?}"
        );
    }
    assert_serving(&server).await;
}

#[tokio::test]
async fn deadlines_are_honoured_and_nothing_wedges() {
    let server = TestServer::start_with(&["--request-timeout", "1"]).await;
    for timeout in [Duration::from_nanos(1), Duration::from_millis(1)] {
        for _ in 0..20 {
            let mut req = as_account(OWNER, pb::ListResourceTypesRequest::default());
            req.set_timeout(timeout);
            // The calls finish within their first poll, so they mostly
            // succeed; an expired deadline must be reported as such.
            if let Err(status) = server.ram().list_resource_types(req).await {
                assert!(
                    matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
                    "{status:?}"
                );
            }
        }
    }
    assert_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_beyond_the_concurrency_limit_is_shed_and_health_still_answers() {
    let server = TestServer::start_with(&["--max-concurrent-requests", "1"]).await;
    let calls = (0..64).map(|_| {
        let mut ram = server.ram();
        async move {
            ram.list_resource_types(as_account(OWNER, pb::ListResourceTypesRequest::default()))
                .await
        }
    });
    let results = futures_join_all(calls).await;
    for r in results {
        if let Err(status) = r {
            let info = status.get_error_details().error_info().cloned();
            assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
            assert_eq!(info.unwrap().reason, "ThrottlingException");
        }
    }
    // Health checks never take a slot.
    for _ in 0..8 {
        assert_serving(&server).await;
    }
}

/// Runs the futures concurrently on the test runtime and collects their
/// results in order.
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test]
async fn the_manual_clock_stops_at_the_latest_time_it_can_represent() {
    let server = TestServer::start().await;
    for seconds in [i64::MAX, 400_000_000_000] {
        let r = server
            .admin()
            .advance_clock(admin_pb::AdvanceClockRequest { seconds })
            .await;
        assert_err(r, Code::InvalidArgument, "InvalidParameterException");
    }
    advance(&server, 60).await;
    assert_serving(&server).await;
}
