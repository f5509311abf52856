//! Client-token idempotency: a retry returns the first result, a reused
//! token with other parameters is refused, tokens are per account and
//! operation.

use ramd::pb::v1 as pb;
use tonic::Code;

use crate::common::*;

fn create(name: &str, token: &str) -> pb::CreatePermissionRequest {
    pb::CreatePermissionRequest {
        name: name.into(),
        resource_type: CMP_TYPE.into(),
        policy_template: TEMPLATE.into(),
        client_token: Some(token.into()),
        ..Default::default()
    }
}

async fn count_own(server: &TestServer, account: &str) -> usize {
    server
        .ram()
        .list_permissions(as_account(
            account,
            pb::ListPermissionsRequest {
                permission_type: pb::PermissionTypeFilter::CustomerManaged as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions
        .len()
}

#[tokio::test]
async fn a_retry_returns_the_first_result_without_a_second_object() {
    let server = TestServer::start().await;
    let first = server
        .ram()
        .create_permission(as_account(OWNER, create("Once", "token-1")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.client_token, "token-1");
    let again = server
        .ram()
        .create_permission(as_account(OWNER, create("Once", "token-1")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first, "the same response, timestamps included");
    assert_eq!(count_own(&server, OWNER).await, 1);

    // The same token with other parameters is refused and creates nothing.
    assert_err(
        server
            .ram()
            .create_permission(as_account(OWNER, create("Twice", "token-1")))
            .await,
        Code::FailedPrecondition,
        "IdempotentParameterMismatchException",
    );
    assert_eq!(count_own(&server, OWNER).await, 1);

    // Tokens are scoped per account: another account's call is independent.
    server
        .ram()
        .create_permission(as_account(STRANGER, create("Once", "token-1")))
        .await
        .unwrap();
    assert_eq!(count_own(&server, STRANGER).await, 1);

    // And per operation: the same token on another operation is a new call.
    let arn = first.permission.unwrap().arn;
    let v = server
        .ram()
        .create_permission_version(as_account(
            OWNER,
            pb::CreatePermissionVersionRequest {
                permission_arn: arn.clone(),
                policy_template: TEMPLATE_2.into(),
                client_token: Some("token-1".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.permission.unwrap().version, "2");
    let v_again = server
        .ram()
        .create_permission_version(as_account(
            OWNER,
            pb::CreatePermissionVersionRequest {
                permission_arn: arn.clone(),
                policy_template: TEMPLATE_2.into(),
                client_token: Some("token-1".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v_again.permission.unwrap().version, "2", "no third version");
}

#[tokio::test]
async fn a_failed_call_does_not_consume_its_token() {
    let server = TestServer::start().await;
    let mut bad = create("Later", "token-2");
    bad.policy_template = "{".into();
    assert_err(
        server.ram().create_permission(as_account(OWNER, bad)).await,
        Code::InvalidArgument,
        "MalformedPolicyTemplateException",
    );
    server
        .ram()
        .create_permission(as_account(OWNER, create("Later", "token-2")))
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let server = TestServer::start().await;
    for bad in ["has space", &"x".repeat(65)] {
        assert_err(
            server
                .ram()
                .create_permission(as_account(OWNER, create("P", bad)))
                .await,
            Code::InvalidArgument,
            "InvalidClientTokenException",
        );
    }
}

#[tokio::test]
async fn a_token_is_forgotten_after_its_retention() {
    let server = TestServer::start().await;
    server
        .ram()
        .create_permission(as_account(OWNER, create("First", "token-3")))
        .await
        .unwrap();
    server
        .admin()
        .advance_clock(ramd::pb::admin::AdvanceClockRequest { seconds: 24 * 3600 })
        .await
        .unwrap();
    // The same token with other parameters is now a new request.
    server
        .ram()
        .create_permission(as_account(OWNER, create("Second", "token-3")))
        .await
        .unwrap();
    assert_eq!(count_own(&server, OWNER).await, 2);
}
