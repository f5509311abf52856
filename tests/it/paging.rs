//! Pagination: maxResults ranges, opaque tokens bound to the query and the
//! caller, and keyset pages that neither skip nor repeat under inserts.

use std::collections::BTreeSet;

use ramd::pb::v1 as pb;
use tonic::Code;

use crate::common::*;

fn own(max: Option<i32>, token: &str) -> pb::ListPermissionsRequest {
    pb::ListPermissionsRequest {
        permission_type: pb::PermissionTypeFilter::CustomerManaged as i32,
        max_results: max,
        next_token: Some(token.into()).filter(|t: &String| !t.is_empty()),
        ..Default::default()
    }
}

#[tokio::test]
async fn pages_walk_everything_once_even_with_concurrent_inserts() {
    let server = TestServer::start().await;
    // Eight plus two inserted later: the per-type quota is ten.
    for i in 0..8 {
        create_permission(&server, OWNER, &format!("p{i:02}")).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = server
            .ram()
            .list_permissions(as_account(OWNER, own(Some(3), &token)))
            .await
            .unwrap()
            .into_inner();
        assert!(page.permissions.len() <= 3);
        seen.extend(page.permissions.into_iter().map(|p| p.name));
        pages += 1;
        if pages == 2 {
            // Inserted before and after the cursor while paging.
            create_permission(&server, OWNER, "a-before").await;
            create_permission(&server, OWNER, "z-after").await;
        }
        if page.next_token.is_empty() {
            break;
        }
        token = page.next_token;
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    for i in 0..8 {
        assert!(seen.contains(&format!("p{i:02}")), "p{i:02} skipped");
    }
    assert!(seen.contains(&"z-after".to_string()));
    assert!(!seen.contains(&"a-before".to_string()), "behind the cursor");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "ARN order");
}

#[tokio::test]
async fn max_results_range_is_enforced() {
    let server = TestServer::start().await;
    for bad in [0, -1, 501] {
        assert_err(
            server
                .ram()
                .list_permissions(as_account(OWNER, own(Some(bad), "")))
                .await,
            Code::InvalidArgument,
            "InvalidParameterException",
        );
    }
    for ok in [1, 500] {
        server
            .ram()
            .list_permissions(as_account(OWNER, own(Some(ok), "")))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn tokens_are_bound_to_query_caller_and_operation() {
    let server = TestServer::start().await;
    for i in 0..3 {
        create_permission(&server, OWNER, &format!("p{i}")).await;
    }
    let token = server
        .ram()
        .list_permissions(as_account(OWNER, own(Some(1), "")))
        .await
        .unwrap()
        .into_inner()
        .next_token;
    assert!(!token.is_empty());

    // The page size may change between pages.
    server
        .ram()
        .list_permissions(as_account(OWNER, own(Some(2), &token)))
        .await
        .unwrap();

    let mut tampered = token.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let other_filter = pb::ListPermissionsRequest {
        permission_type: pb::PermissionTypeFilter::All as i32,
        max_results: Some(1),
        next_token: Some(token.clone()),
        ..Default::default()
    };
    let cases = [
        (OWNER, own(Some(1), &tampered)),
        (OWNER, own(Some(1), "garbage!")),
        (OWNER, other_filter),
        (STRANGER, own(Some(1), &token)),
    ];
    for (account, req) in cases {
        assert_err(
            server
                .ram()
                .list_permissions(as_account(account, req))
                .await,
            Code::InvalidArgument,
            "InvalidNextTokenException",
        );
    }
    // Another operation does not accept it either.
    assert_err(
        server
            .ram()
            .list_resource_types(as_account(
                OWNER,
                pb::ListResourceTypesRequest {
                    next_token: Some(token),
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "InvalidNextTokenException",
    );
}

#[tokio::test]
async fn permission_versions_page() {
    let server = TestServer::start().await;
    let p = create_permission(&server, OWNER, "Paged").await;
    for _ in 0..3 {
        server
            .ram()
            .create_permission_version(as_account(
                OWNER,
                pb::CreatePermissionVersionRequest {
                    permission_arn: p.arn.clone(),
                    policy_template: TEMPLATE_2.into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap();
    }
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = server
            .ram()
            .list_permission_versions(as_account(
                OWNER,
                pb::ListPermissionVersionsRequest {
                    permission_arn: p.arn.clone(),
                    max_results: Some(3),
                    next_token: token.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        all.extend(page.permissions.into_iter().map(|v| v.version));
        if page.next_token.is_empty() {
            break;
        }
        token = Some(page.next_token);
    }
    assert_eq!(all, ["1", "2", "3", "4"]);
}
