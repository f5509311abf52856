//! Managed permissions end to end: customer managed permissions and their
//! versions, AWS managed permissions, deprecation, tags, isolation, quotas.

use ramd::pb::v1 as pb;
use serde_json::Value;
use tonic::Code;

use crate::common::*;

fn arn_of(account: &str, name: &str) -> String {
    format!("arn:aws:ram:us-east-1:{account}:permission/{name}")
}

async fn get(
    server: &TestServer,
    account: &str,
    arn: &str,
    version: Option<i32>,
) -> Result<pb::ResourceSharePermissionDetail, tonic::Status> {
    server
        .ram()
        .get_permission(as_account(
            account,
            pb::GetPermissionRequest {
                permission_arn: arn.into(),
                permission_version: version,
                ..Default::default()
            },
        ))
        .await
        .map(|r| r.into_inner().permission.unwrap())
}

async fn new_version(
    server: &TestServer,
    arn: &str,
    template: &str,
) -> Result<pb::ResourceSharePermissionDetail, tonic::Status> {
    server
        .ram()
        .create_permission_version(as_account(
            OWNER,
            pb::CreatePermissionVersionRequest {
                permission_arn: arn.into(),
                policy_template: template.into(),
                ..Default::default()
            },
        ))
        .await
        .map(|r| r.into_inner().permission.unwrap())
}

async fn versions(server: &TestServer, arn: &str) -> Vec<pb::ResourceSharePermissionSummary> {
    server
        .ram()
        .list_permission_versions(as_account(
            OWNER,
            pb::ListPermissionVersionsRequest {
                permission_arn: arn.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

#[tokio::test]
async fn create_get_and_list_a_customer_managed_permission() {
    let server = TestServer::start().await;
    let created = server
        .ram()
        .create_permission(as_account(
            OWNER,
            pb::CreatePermissionRequest {
                name: "ProjectReaders".into(),
                resource_type: "CodeBuild:project".into(),
                policy_template: TEMPLATE.into(),
                tags: vec![pb::Tag {
                    key: "team".into(),
                    value: "ci".into(),
                }],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let p = created.permission.unwrap();
    assert!(!created.client_token.is_empty(), "a token is generated");
    assert_eq!(p.arn, arn_of(OWNER, "ProjectReaders"));
    assert_eq!(p.name, "ProjectReaders");
    assert_eq!(p.version, "1");
    assert_eq!(p.default_version, Some(true));
    assert_eq!(p.resource_type, CMP_TYPE, "canonical type name");
    assert_eq!(p.status, "ATTACHABLE");
    assert_eq!(p.is_resource_type_default, Some(false));
    assert_eq!(
        p.permission_type,
        pb::PermissionType::CustomerManaged as i32
    );
    assert_eq!(p.feature_set, pb::PermissionFeatureSet::Standard as i32);
    assert_eq!(p.resource_owner, pb::ResourceOwner::Self_ as i32);
    assert_eq!(p.tags.len(), 1);
    assert!(p.creation_time.is_some() && p.last_updated_time.is_some());

    let d = get(&server, OWNER, &p.arn, None).await.unwrap();
    assert_eq!(json(&d.permission), json(TEMPLATE));
    assert_eq!(d.version, "1");
    assert_eq!(d.status, pb::PermissionStatus::Attachable as i32);
    assert_eq!(d.tags[0].key, "team");

    let listed = server
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
    assert_eq!(listed.permissions.len(), 1);
    assert_eq!(listed.permissions[0].arn, p.arn);
    assert!(listed.next_token.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn permission_names_are_checked_and_unique_per_account() {
    let server = TestServer::start().await;
    create_permission(&server, OWNER, "Readers.v1-x_y").await;
    for bad in ["has space", "slash/name", &"x".repeat(37), "ü"] {
        let r = server
            .ram()
            .create_permission(as_account(
                OWNER,
                pb::CreatePermissionRequest {
                    name: bad.into(),
                    resource_type: CMP_TYPE.into(),
                    policy_template: TEMPLATE.into(),
                    ..Default::default()
                },
            ))
            .await;
        assert_err(r, Code::InvalidArgument, "InvalidParameterException");
    }
    let again = server
        .ram()
        .create_permission(as_account(
            OWNER,
            pb::CreatePermissionRequest {
                name: "Readers.v1-x_y".into(),
                resource_type: CMP_TYPE.into(),
                policy_template: TEMPLATE.into(),
                ..Default::default()
            },
        ))
        .await;
    assert_err(
        again,
        Code::AlreadyExists,
        "PermissionAlreadyExistsException",
    );
    // Another account may use the same name.
    let other = create_permission(&server, STRANGER, "Readers.v1-x_y").await;
    assert_eq!(other.arn, arn_of(STRANGER, "Readers.v1-x_y"));
}

#[tokio::test]
async fn missing_members_and_bad_types_are_refused() {
    let server = TestServer::start().await;
    let cases = [
        (
            "",
            CMP_TYPE,
            TEMPLATE,
            Code::InvalidArgument,
            "MissingRequiredParameterException",
        ),
        (
            "n",
            "",
            TEMPLATE,
            Code::InvalidArgument,
            "MissingRequiredParameterException",
        ),
        (
            "n",
            CMP_TYPE,
            "",
            Code::InvalidArgument,
            "MissingRequiredParameterException",
        ),
        (
            "n",
            "ec2:Instance",
            TEMPLATE,
            Code::InvalidArgument,
            "InvalidParameterException",
        ),
        (
            "n",
            "nonsense",
            TEMPLATE,
            Code::InvalidArgument,
            "InvalidParameterException",
        ),
    ];
    for (name, rt, template, code, reason) in cases {
        let r = server
            .ram()
            .create_permission(as_account(
                OWNER,
                pb::CreatePermissionRequest {
                    name: name.into(),
                    resource_type: rt.into(),
                    policy_template: template.into(),
                    ..Default::default()
                },
            ))
            .await;
        assert_err(r, code, reason);
    }
}

#[tokio::test]
async fn policy_templates_are_validated() {
    let server = TestServer::start().await;
    let cases = [
        ("not json", "MalformedPolicyTemplateException"),
        ("[1, 2]", "MalformedPolicyTemplateException"),
        (
            r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects"],"Resource":"*"}"#,
            "InvalidPolicyException",
        ),
        (
            r#"{"Effect":"Deny","Action":["codebuild:BatchGetProjects"]}"#,
            "InvalidPolicyException",
        ),
        (
            r#"{"Effect":"Allow","Action":["ec2:RunInstances"]}"#,
            "InvalidPolicyException",
        ),
        (
            r#"{"Effect":"Allow","Action":["codebuild:NoSuchAction"]}"#,
            "InvalidPolicyException",
        ),
        (
            r#"{"Effect":"Allow","action":["codebuild:BatchGetProjects"]}"#,
            "InvalidPolicyException",
        ),
        (
            r#"{"Effect":"Allow","Action":"codebuild:BatchGetProjects","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}}"#,
            "InvalidPolicyException",
        ),
    ];
    for (i, (template, reason)) in cases.iter().enumerate() {
        let r = server
            .ram()
            .create_permission(as_account(
                OWNER,
                pb::CreatePermissionRequest {
                    name: format!("p{i}"),
                    resource_type: CMP_TYPE.into(),
                    policy_template: (*template).into(),
                    ..Default::default()
                },
            ))
            .await;
        assert_err(r, Code::InvalidArgument, reason);
    }
    // Wildcards that match the type's actions, and a single-string Action, pass.
    for (i, template) in [
        r#"{"Effect":"Allow","Action":"codebuild:BatchGet*"}"#,
        r#"{"Effect":"Allow","Action":["codebuild:StartBuild"],"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}"#,
    ]
    .iter()
    .enumerate()
    {
        server
            .ram()
            .create_permission(as_account(
                OWNER,
                pb::CreatePermissionRequest {
                    name: format!("ok{i}"),
                    resource_type: CMP_TYPE.into(),
                    policy_template: (*template).into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_or_else(|e| panic!("{template}: {e:?}"));
    }
    // Nothing was created by the refused calls.
    let listed = server
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
    assert_eq!(listed.permissions.len(), 2);
}

#[tokio::test]
async fn versions_default_limit_and_deletion_rules() {
    let server = TestServer::start().await;
    let p = create_permission(&server, OWNER, "Versioned").await;

    let v2 = new_version(&server, &p.arn, TEMPLATE_2).await.unwrap();
    assert_eq!(v2.version, "2");
    assert_eq!(
        v2.default_version,
        Some(true),
        "a new version becomes the default"
    );
    assert_eq!(json(&v2.permission), json(TEMPLATE_2));
    let d = get(&server, OWNER, &p.arn, None).await.unwrap();
    assert_eq!(d.version, "2");
    let v1 = get(&server, OWNER, &p.arn, Some(1)).await.unwrap();
    assert_eq!(v1.default_version, Some(false));
    assert_eq!(v1.status, pb::PermissionStatus::Unattachable as i32);
    assert_eq!(json(&v1.permission), json(TEMPLATE));
    assert_err(
        get(&server, OWNER, &p.arn, Some(9)).await,
        Code::NotFound,
        "UnknownResourceException",
    );

    for want in 3..=5 {
        let v = new_version(&server, &p.arn, TEMPLATE).await.unwrap();
        assert_eq!(v.version, want.to_string());
    }
    assert_err(
        new_version(&server, &p.arn, TEMPLATE).await,
        Code::ResourceExhausted,
        "PermissionVersionsLimitExceededException",
    );
    let listed = versions(&server, &p.arn).await;
    assert_eq!(
        listed
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>(),
        ["1", "2", "3", "4", "5"]
    );
    let statuses: Vec<&str> = listed.iter().map(|v| v.status.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "UNATTACHABLE",
            "UNATTACHABLE",
            "UNATTACHABLE",
            "UNATTACHABLE",
            "ATTACHABLE"
        ]
    );

    // The default version cannot be deleted; another can.
    let del = |v: i32| {
        let mut c = server.ram();
        let arn = p.arn.clone();
        async move {
            c.delete_permission_version(as_account(
                OWNER,
                pb::DeletePermissionVersionRequest {
                    permission_arn: arn,
                    permission_version: v,
                    client_token: None,
                },
            ))
            .await
        }
    };
    assert_err(
        del(5).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    assert_err(
        del(7).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    let r = del(2).await.unwrap().into_inner();
    assert_eq!(r.return_value, Some(true));
    assert_eq!(r.permission_status, pb::PermissionStatus::Deleting as i32);

    // Numbers are not reused: the next version is 6.
    let v6 = new_version(&server, &p.arn, TEMPLATE).await.unwrap();
    assert_eq!(v6.version, "6");

    // SetDefaultPermissionVersion moves the default back.
    let set = server
        .ram()
        .set_default_permission_version(as_account(
            OWNER,
            pb::SetDefaultPermissionVersionRequest {
                permission_arn: p.arn.clone(),
                permission_version: 1,
                client_token: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.return_value, Some(true));
    assert_eq!(
        get(&server, OWNER, &p.arn, None).await.unwrap().version,
        "1"
    );
    let set_missing = server
        .ram()
        .set_default_permission_version(as_account(
            OWNER,
            pb::SetDefaultPermissionVersionRequest {
                permission_arn: p.arn.clone(),
                permission_version: 2,
                client_token: None,
            },
        ))
        .await;
    assert_err(
        set_missing,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    // With only one version left, that version is the default and stays.
    for v in [3, 4, 5, 6] {
        del(v).await.unwrap();
    }
    assert_err(
        del(1).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    assert_eq!(versions(&server, &p.arn).await.len(), 1);
}

#[tokio::test]
async fn delete_permission_removes_it() {
    let server = TestServer::start().await;
    let p = create_permission(&server, OWNER, "Doomed").await;
    assert_err(
        server
            .ram()
            .delete_permission(as_account(
                STRANGER,
                pb::DeletePermissionRequest {
                    permission_arn: p.arn.clone(),
                    client_token: None,
                },
            ))
            .await,
        Code::NotFound,
        "UnknownResourceException",
    );
    let r = server
        .ram()
        .delete_permission(as_account(
            OWNER,
            pb::DeletePermissionRequest {
                permission_arn: p.arn.clone(),
                client_token: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.return_value, Some(true));
    assert_eq!(r.permission_status, pb::PermissionStatus::Deleting as i32);
    assert_err(
        get(&server, OWNER, &p.arn, None).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    // The name is free again.
    create_permission(&server, OWNER, "Doomed").await;
}

#[tokio::test]
async fn aws_managed_permissions_are_listed_and_read_only() {
    let server = TestServer::start().await;
    let listed = server
        .ram()
        .list_permissions(as_account(
            OWNER,
            pb::ListPermissionsRequest {
                resource_type: Some("ec2:subnet".into()),
                permission_type: pb::PermissionTypeFilter::AwsManaged as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let subnet = listed
        .permissions
        .iter()
        .find(|p| p.name == "AWSRAMDefaultPermissionSubnet")
        .expect("the subnet default permission");
    assert_eq!(
        subnet.arn,
        "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet"
    );
    assert_eq!(
        subnet.permission_type,
        pb::PermissionType::AwsManaged as i32
    );
    assert_eq!(subnet.is_resource_type_default, Some(true));
    assert_eq!(subnet.resource_type, "ec2:Subnet");
    assert!(listed
        .permissions
        .iter()
        .all(|p| p.resource_type == "ec2:Subnet"));

    let d = get(&server, OWNER, &subnet.arn, None).await.unwrap();
    let template = json(&d.permission);
    assert_eq!(template["Effect"], "Allow");
    let actions: Vec<&str> = template["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(actions.contains(&"ec2:RunInstances"), "{actions:?}");
    assert_eq!(
        versions(&server, &subnet.arn).await.len(),
        d.version.parse::<usize>().unwrap()
    );

    assert_err(
        new_version(&server, &subnet.arn, TEMPLATE).await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    assert_err(
        server
            .ram()
            .delete_permission(as_account(
                OWNER,
                pb::DeletePermissionRequest {
                    permission_arn: subnet.arn.clone(),
                    client_token: None,
                },
            ))
            .await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    assert_err(
        server
            .ram()
            .update_permission(as_account(
                OWNER,
                pb::UpdatePermissionRequest {
                    permission_arn: subnet.arn.clone(),
                    status: pb::UpdatePermissionStatus::Deprecated as i32,
                    client_token: None,
                },
            ))
            .await,
        Code::FailedPrecondition,
        "OperationNotPermittedException",
    );
    assert_err(
        get(
            &server,
            OWNER,
            "arn:aws:ram::aws:permission/AWSRAMNoSuchPermission",
            None,
        )
        .await,
        Code::NotFound,
        "UnknownResourceException",
    );

    // Every resource type has exactly one default AWS managed permission.
    let all = server
        .ram()
        .list_permissions(as_account(
            OWNER,
            pb::ListPermissionsRequest {
                permission_type: pb::PermissionTypeFilter::AwsManaged as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions;
    let types = server
        .ram()
        .list_resource_types(as_account(OWNER, pb::ListResourceTypesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .resource_types;
    for t in &types {
        let defaults = all
            .iter()
            .filter(|p| {
                p.resource_type == t.resource_type && p.is_resource_type_default == Some(true)
            })
            .count();
        assert_eq!(defaults, 1, "{}", t.resource_type);
    }
}

#[tokio::test]
async fn other_accounts_see_nothing_of_a_customer_managed_permission() {
    let server = TestServer::start().await;
    let p = create_permission(&server, OWNER, "Private").await;
    assert_err(
        get(&server, STRANGER, &p.arn, None).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    assert_err(
        server
            .ram()
            .create_permission_version(as_account(
                STRANGER,
                pb::CreatePermissionVersionRequest {
                    permission_arn: p.arn.clone(),
                    policy_template: TEMPLATE_2.into(),
                    ..Default::default()
                },
            ))
            .await,
        Code::NotFound,
        "UnknownResourceException",
    );
    assert_err(
        server
            .ram()
            .tag_resource(as_account(
                STRANGER,
                pb::TagResourceRequest {
                    resource_arn: Some(p.arn.clone()),
                    tags: vec![pb::Tag {
                        key: "k".into(),
                        value: "v".into(),
                    }],
                    ..Default::default()
                },
            ))
            .await,
        Code::NotFound,
        "ResourceArnNotFoundException",
    );
    let theirs = server
        .ram()
        .list_permissions(as_account(STRANGER, pb::ListPermissionsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(theirs.permissions.iter().all(|x| x.arn != p.arn));
    // The owner's permission is unchanged.
    let d = get(&server, OWNER, &p.arn, None).await.unwrap();
    assert_eq!(d.version, "1");
    assert!(d.tags.is_empty());
}

#[tokio::test]
async fn update_permission_deprecates_and_restores() {
    let server = TestServer::start().await;
    let p = create_permission(&server, OWNER, "Aging").await;
    let update = |status: pb::UpdatePermissionStatus| {
        let mut c = server.ram();
        let arn = p.arn.clone();
        async move {
            c.update_permission(as_account(
                OWNER,
                pb::UpdatePermissionRequest {
                    permission_arn: arn,
                    status: status as i32,
                    client_token: None,
                },
            ))
            .await
        }
    };
    let r = update(pb::UpdatePermissionStatus::Deprecated)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.permission_status,
        pb::UpdatePermissionStatus::Deprecated as i32
    );
    let d = get(&server, OWNER, &p.arn, None).await.unwrap();
    assert_eq!(d.status, pb::PermissionStatus::Deprecated as i32);
    let deprecated = server
        .ram()
        .list_permissions(as_account(
            OWNER,
            pb::ListPermissionsRequest {
                permission_status: pb::PermissionStatus::Deprecated as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permissions;
    assert_eq!(deprecated.len(), 1);
    assert_eq!(deprecated[0].arn, p.arn);
    let r = update(pb::UpdatePermissionStatus::Attachable)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.permission_status,
        pb::UpdatePermissionStatus::Attachable as i32
    );
    assert_err(
        update(pb::UpdatePermissionStatus::Unspecified).await,
        Code::InvalidArgument,
        "MissingRequiredParameterException",
    );
}

#[tokio::test]
async fn tags_on_permissions() {
    let server = TestServer::start().await;
    let p = create_permission(&server, OWNER, "Tagged").await;
    let tag = |tags: Vec<(&str, &str)>| {
        let mut c = server.ram();
        let arn = p.arn.clone();
        let tags = tags
            .into_iter()
            .map(|(k, v)| pb::Tag {
                key: k.into(),
                value: v.into(),
            })
            .collect();
        async move {
            c.tag_resource(as_account(
                OWNER,
                pb::TagResourceRequest {
                    resource_arn: Some(arn),
                    tags,
                    ..Default::default()
                },
            ))
            .await
        }
    };
    tag(vec![("env", "prod"), ("team", "ci")]).await.unwrap();
    tag(vec![("env", "dev")]).await.unwrap();
    server
        .ram()
        .untag_resource(as_account(
            OWNER,
            pb::UntagResourceRequest {
                resource_arn: Some(p.arn.clone()),
                tag_keys: vec!["team".into(), "absent".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let d = get(&server, OWNER, &p.arn, None).await.unwrap();
    assert_eq!(
        d.tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect::<Vec<_>>(),
        [("env", "dev")]
    );

    assert_err(
        tag(vec![("aws:reserved", "x")]).await,
        Code::FailedPrecondition,
        "TagPolicyViolationException",
    );
    let many: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
    assert_err(
        tag(many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()).await,
        Code::ResourceExhausted,
        "TagLimitExceededException",
    );
    assert_err(
        server
            .ram()
            .tag_resource(as_account(
                OWNER,
                pb::TagResourceRequest {
                    resource_arn: Some(p.arn.clone()),
                    resource_share_arn: Some(
                        "arn:aws:ram:us-east-1:111122223333:resource-share/0e6bd6c8-1d1e-4a32-9b3c-3f2f0a9d1c11".into(),
                    ),
                    tags: vec![pb::Tag {
                        key: "a".into(),
                        value: "b".into(),
                    }],
                },
            ))
            .await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        server
            .ram()
            .tag_resource(as_account(
                OWNER,
                pb::TagResourceRequest {
                    resource_arn: Some("arn:aws:ram:us-east-1:111122223333:permission/Nope".into()),
                    tags: vec![pb::Tag {
                        key: "a".into(),
                        value: "b".into(),
                    }],
                    ..Default::default()
                },
            ))
            .await,
        Code::NotFound,
        "ResourceArnNotFoundException",
    );
    // The refused calls changed nothing.
    let d = get(&server, OWNER, &p.arn, None).await.unwrap();
    assert_eq!(d.tags.len(), 1);
}

#[tokio::test]
async fn malformed_arns_are_refused() {
    let server = TestServer::start().await;
    for bad in [
        "not-an-arn",
        "arn:aws:ram",
        "arn:aws:ram:us-east-1:1234:permission/x",
    ] {
        assert_err(
            get(&server, OWNER, bad, None).await,
            Code::InvalidArgument,
            "MalformedArnException",
        );
    }
}

#[tokio::test]
async fn permission_quotas_are_enforced() {
    let server = TestServer::start_with(&[
        "--quota-permissions",
        "3",
        "--quota-permissions-per-type",
        "2",
    ])
    .await;
    create_permission(&server, OWNER, "a").await;
    create_permission(&server, OWNER, "b").await;
    let third = server
        .ram()
        .create_permission(as_account(
            OWNER,
            pb::CreatePermissionRequest {
                name: "c".into(),
                resource_type: CMP_TYPE.into(),
                policy_template: TEMPLATE.into(),
                ..Default::default()
            },
        ))
        .await;
    assert_err(
        third,
        Code::ResourceExhausted,
        "PermissionLimitExceededException",
    );
    // Quotas are per account.
    create_permission(&server, STRANGER, "a").await;
}

#[tokio::test]
async fn template_parameters_are_declared_and_rendered() {
    let server = TestServer::start().await;
    let template = r#"{"Effect":"Allow","Action":["codebuild:StartBuild"],"Condition":{"StringEquals":{"aws:RequestedRegion":"@{region}"},"StringLike":{"aws:PrincipalTag/team":"@{keys}"}}}"#;
    let created = server
        .ram()
        .create_permission(as_account(
            OWNER,
            pb::CreatePermissionRequest {
                name: "Parameterised".into(),
                resource_type: CMP_TYPE.into(),
                policy_template: template.into(),
                permission_template_parameters: vec![
                    pb::PermissionTemplateParameterDeclaration {
                        name: "region".into(),
                        r#type: pb::PermissionTemplateParameterType::String as i32,
                        description: "Region builds may run in".into(),
                    },
                    pb::PermissionTemplateParameterDeclaration {
                        name: "keys".into(),
                        r#type: pb::PermissionTemplateParameterType::StringList as i32,
                        description: String::new(),
                    },
                ],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .permission
        .unwrap();
    assert_eq!(created.permission_template_parameters.len(), 2);
    let raw = get(&server, OWNER, &created.arn, None).await.unwrap();
    assert_eq!(raw.permission_template_parameters.len(), 2);
    assert!(raw.permission.contains("@{region}"));

    let render = |values: Vec<(&str, Vec<&str>)>| {
        let mut c = server.ram();
        let arn = created.arn.clone();
        let values = values
            .into_iter()
            .map(|(n, v)| pb::PermissionTemplateParameterInput {
                name: n.into(),
                values: v.into_iter().map(String::from).collect(),
            })
            .collect();
        async move {
            c.get_permission(as_account(
                OWNER,
                pb::GetPermissionRequest {
                    permission_arn: arn,
                    permission_version: None,
                    permission_template_parameters: values,
                },
            ))
            .await
        }
    };
    let rendered = render(vec![
        ("region", vec!["eu-west-1"]),
        ("keys", vec!["a", "b"]),
    ])
    .await
    .unwrap()
    .into_inner()
    .permission
    .unwrap();
    let v = json(&rendered.permission);
    assert_eq!(
        v["Condition"]["StringEquals"]["aws:RequestedRegion"],
        "eu-west-1"
    );
    assert_eq!(
        v["Condition"]["StringLike"]["aws:PrincipalTag/team"],
        serde_json::json!(["a", "b"])
    );
    assert_err(
        render(vec![("region", vec!["eu-west-1"])]).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    assert_err(
        render(vec![("region", vec!["a", "b"]), ("keys", vec!["a"])]).await,
        Code::InvalidArgument,
        "InvalidParameterException",
    );
    // An undeclared placeholder is refused at creation.
    let undeclared = server
        .ram()
        .create_permission(as_account(
            OWNER,
            pb::CreatePermissionRequest {
                name: "Undeclared".into(),
                resource_type: CMP_TYPE.into(),
                policy_template: template.into(),
                ..Default::default()
            },
        ))
        .await;
    assert_err(undeclared, Code::InvalidArgument, "InvalidPolicyException");
}
