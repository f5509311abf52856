//! ListResourceTypes: the catalogue of shareable types, scoped and paged.

use ramd::pb::v1 as pb;
use tonic::Code;

use crate::common::*;

async fn list(
    server: &TestServer,
    scope: pb::ResourceRegionScopeFilter,
) -> Vec<pb::ServiceNameAndResourceType> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = server
            .ram()
            .list_resource_types(as_account(
                OWNER,
                pb::ListResourceTypesRequest {
                    next_token: token,
                    max_results: Some(7),
                    resource_region_scope: scope as i32,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        out.extend(page.resource_types);
        if page.next_token.is_empty() {
            return out;
        }
        token = Some(page.next_token);
    }
}

#[tokio::test]
async fn resource_types_are_listed_by_scope() {
    let server = TestServer::start().await;
    let all = list(&server, pb::ResourceRegionScopeFilter::All).await;
    let regional = list(&server, pb::ResourceRegionScopeFilter::Regional).await;
    let global = list(&server, pb::ResourceRegionScopeFilter::Global).await;
    assert!(all.len() >= 40, "{}", all.len());
    assert_eq!(all.len(), regional.len() + global.len());
    let subnet = all
        .iter()
        .find(|t| t.resource_type == "ec2:Subnet")
        .unwrap();
    assert_eq!(subnet.service_name, "ec2");
    assert_eq!(
        subnet.resource_region_scope,
        pb::ResourceRegionScope::Regional as i32
    );
    assert!(global
        .iter()
        .any(|t| t.resource_type == "networkmanager:CoreNetwork"));
    assert!(global
        .iter()
        .all(|t| t.resource_region_scope == pb::ResourceRegionScope::Global as i32));
    let names: Vec<&str> = all.iter().map(|t| t.resource_type.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted, "sorted, no duplicates across pages");

    assert_err(
        server
            .ram()
            .list_resource_types(as_account(
                OWNER,
                pb::ListResourceTypesRequest {
                    resource_region_scope: 42,
                    ..Default::default()
                },
            ))
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
}
