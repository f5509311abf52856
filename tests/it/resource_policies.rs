//! GetResourcePolicies through the generated client: the policy generated
//! for a subnet shared with an organization member, an OU and a service
//! principal with sources, its `principal` filter and paging, how it follows
//! DisassociateResourceShare, and its refusals.

use ramd::pb::admin as admin_pb;
use ramd::pb::v1 as pb;
use serde_json::{json, Value};
use tonic::{Code, Status};

use crate::common::*;

/// A member account of the owner's organization, directly under the root.
const MEMBER: &str = "555566667777";
const SERVICE: &str = "backup.amazonaws.com";
const VAULT: &str = "arn:aws:backup:us-east-1:111122223333:backup-vault/main";

fn subnet(id: &str) -> String {
    format!("arn:aws:ec2:us-east-1:{OWNER}:subnet/{id}")
}

/// The organization of OWNER with MEMBER under its root, an OU, and sharing
/// with the organization enabled.
async fn organization(
    server: &TestServer,
) -> (admin_pb::Organization, admin_pb::OrganizationalUnit) {
    let mut admin = server.admin();
    let org = admin
        .create_organization(admin_pb::CreateOrganizationRequest {
            management_account_id: OWNER.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    let ou = admin
        .create_organizational_unit(admin_pb::CreateOrganizationalUnitRequest {
            parent_id: org.root_id.clone(),
            name: "Engineering".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .organizational_unit
        .unwrap();
    admin
        .add_account(admin_pb::AddAccountRequest {
            account_id: MEMBER.into(),
            parent_id: org.root_id.clone(),
        })
        .await
        .unwrap();
    server
        .ram()
        .enable_sharing_with_aws_organization(as_account(
            OWNER,
            pb::EnableSharingWithAwsOrganizationRequest {},
        ))
        .await
        .unwrap();
    (org, ou)
}

async fn policies(
    server: &TestServer,
    caller: &str,
    arns: &[&str],
    principal: Option<&str>,
    max_results: Option<i32>,
    next_token: Option<&str>,
) -> Result<pb::GetResourcePoliciesResponse, Status> {
    server
        .ram()
        .get_resource_policies(as_account(
            caller,
            pb::GetResourcePoliciesRequest {
                resource_arns: arns.iter().map(|a| a.to_string()).collect(),
                principal: principal.map(str::to_string),
                next_token: next_token.map(str::to_string),
                max_results,
            },
        ))
        .await
        .map(|r| r.into_inner())
}

/// The statements of the single policy returned for `arn`.
async fn statements(server: &TestServer, arn: &str, principal: Option<&str>) -> Vec<Value> {
    let resp = policies(server, OWNER, &[arn], principal, None, None)
        .await
        .expect("GetResourcePolicies");
    assert_eq!(resp.next_token, "");
    assert_eq!(resp.policies.len(), 1, "{:?}", resp.policies);
    let doc: Value = serde_json::from_str(&resp.policies[0]).expect("a JSON document");
    assert_eq!(doc["Version"], "2012-10-17");
    doc["Statement"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_shared_subnet_has_a_statement_per_principal_group() {
    let server = TestServer::start().await;
    let (org, ou) = organization(&server).await;
    let arn = subnet("subnet-0abc");
    let share = server
        .ram()
        .create_resource_share(as_account(
            OWNER,
            pb::CreateResourceShareRequest {
                name: "network".into(),
                resource_arns: vec![arn.clone()],
                principals: vec![MEMBER.into(), ou.arn.clone(), SERVICE.into()],
                sources: vec![OWNER.into(), VAULT.into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .resource_share
        .unwrap();

    let actions = json!([
        "ec2:RunInstances",
        "ec2:CreateNetworkInterface",
        "ec2:DescribeSubnets"
    ]);
    let member = json!({
        "Sid": "RamStatement1",
        "Effect": "Allow",
        "Principal": {"AWS": [format!("arn:aws:iam::{MEMBER}:root")]},
        "Action": actions,
        "Resource": arn,
    });
    let ou_statement = |sid: &str| {
        json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": "*",
            "Action": actions,
            "Resource": arn,
            "Condition": {"ForAnyValue:StringLike": {
                "aws:PrincipalOrgPaths": format!("{}/{}/{}/*", org.id, org.root_id, ou.id),
            }},
        })
    };
    let service = |sid: &str| {
        json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": SERVICE},
            "Action": actions,
            "Resource": arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": [OWNER]},
                "ArnLike": {"aws:SourceArn": [VAULT]},
            },
        })
    };
    assert_eq!(
        statements(&server, &arn, None).await,
        [
            member.clone(),
            ou_statement("RamStatement2"),
            service("RamStatement3")
        ]
    );

    // The principal filter keeps a statement whole, Sid included.
    assert_eq!(
        statements(&server, &arn, Some(&ou.arn)).await,
        [ou_statement("RamStatement2")]
    );
    assert_eq!(statements(&server, &arn, Some(MEMBER)).await, [member]);
    let none = policies(&server, OWNER, &[&arn], Some("999988887777"), None, None)
        .await
        .unwrap();
    assert_eq!(none.policies, Vec::<String>::new());

    // A removed principal is gone from the policy at once.
    server
        .ram()
        .disassociate_resource_share(as_account(
            OWNER,
            pb::DisassociateResourceShareRequest {
                resource_share_arn: share.resource_share_arn.clone(),
                principals: vec![MEMBER.into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        statements(&server, &arn, None).await,
        [ou_statement("RamStatement1"), service("RamStatement2")]
    );
    let gone = policies(&server, OWNER, &[&arn], Some(MEMBER), None, None)
        .await
        .unwrap();
    assert_eq!(gone.policies, Vec::<String>::new());
}

#[tokio::test]
async fn policies_page_in_request_order() {
    let server = TestServer::start().await;
    organization(&server).await;
    let (a, b) = (subnet("subnet-0aaa"), subnet("subnet-0bbb"));
    server
        .ram()
        .create_resource_share(as_account(
            OWNER,
            pb::CreateResourceShareRequest {
                name: "network".into(),
                resource_arns: vec![a.clone(), b.clone()],
                principals: vec![MEMBER.into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let resource_of = |doc: &str| -> String {
        let doc: Value = serde_json::from_str(doc).unwrap();
        doc["Statement"][0]["Resource"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = policies(&server, OWNER, &[&b, &a], None, Some(1), None)
        .await
        .unwrap();
    assert_eq!(first.policies.len(), 1);
    assert_eq!(resource_of(&first.policies[0]), b);
    assert!(!first.next_token.is_empty());
    let second = policies(
        &server,
        OWNER,
        &[&b, &a],
        None,
        Some(1),
        Some(&first.next_token),
    )
    .await
    .unwrap();
    assert_eq!(second.policies.len(), 1);
    assert_eq!(resource_of(&second.policies[0]), a);
    assert_eq!(second.next_token, "");

    // The token is bound to the ARNs and the filter.
    assert_err(
        policies(
            &server,
            OWNER,
            &[&a, &b],
            None,
            Some(1),
            Some(&first.next_token),
        )
        .await,
        Code::InvalidArgument,
        "InvalidNextTokenException",
    );
    assert_err(
        policies(
            &server,
            OWNER,
            &[&b, &a],
            Some(MEMBER),
            Some(1),
            Some(&first.next_token),
        )
        .await,
        Code::InvalidArgument,
        "InvalidNextTokenException",
    );
}

/// A request GetResourcePolicies refuses, and the AWS exception it names.
struct Refusal<'a> {
    caller: &'a str,
    arns: Vec<&'a str>,
    principal: Option<&'a str>,
    max_results: Option<i32>,
    token: Option<&'a str>,
    reason: &'a str,
}

impl<'a> Refusal<'a> {
    fn new(caller: &'a str, arns: Vec<&'a str>, reason: &'a str) -> Refusal<'a> {
        Refusal {
            caller,
            arns,
            principal: None,
            max_results: None,
            token: None,
            reason,
        }
    }
}

#[tokio::test]
async fn refusals_carry_their_aws_reason() {
    let server = TestServer::start().await;
    organization(&server).await;
    let arn = subnet("subnet-0abc");
    server
        .ram()
        .create_resource_share(as_account(
            OWNER,
            pb::CreateResourceShareRequest {
                name: "network".into(),
                resource_arns: vec![arn.clone()],
                principals: vec![MEMBER.into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let unknown = subnet("subnet-0none");
    let refusals = [
        Refusal::new(OWNER, vec![], "MissingRequiredParameterException"),
        Refusal::new(OWNER, vec!["subnet-0abc"], "MalformedArnException"),
        Refusal::new(OWNER, vec![&arn, &unknown], "ResourceArnNotFoundException"),
        Refusal::new(MEMBER, vec![&arn], "ResourceArnNotFoundException"),
        Refusal::new(STRANGER, vec![&arn], "ResourceArnNotFoundException"),
        Refusal {
            principal: Some("nobody"),
            ..Refusal::new(OWNER, vec![&arn], "InvalidParameterException")
        },
        Refusal {
            max_results: Some(501),
            ..Refusal::new(OWNER, vec![&arn], "InvalidParameterException")
        },
        Refusal {
            token: Some("garbage"),
            ..Refusal::new(OWNER, vec![&arn], "InvalidNextTokenException")
        },
    ];
    for r in refusals {
        let code = if r.reason == "ResourceArnNotFoundException" {
            Code::NotFound
        } else {
            Code::InvalidArgument
        };
        assert_err(
            policies(
                &server,
                r.caller,
                &r.arns,
                r.principal,
                r.max_results,
                r.token,
            )
            .await,
            code,
            r.reason,
        );
    }
    let status = policies(&server, OWNER, &[&unknown], None, None, None)
        .await
        .unwrap_err();
    assert!(status.message().contains(&unknown), "{}", status.message());
}
