//! Test support: a real ramd server on 127.0.0.1 with a free port, its
//! generated clients, and assertions on the error contract.

pub mod pki;
pub mod process;

use clap::Parser;
use ramd::config::Config;
use ramd::pb::admin as admin_pb;
use ramd::pb::admin::admin_client::AdminClient;
use ramd::pb::v1 as pb;
use ramd::pb::v1::resource_access_manager_client::ResourceAccessManagerClient;
use ramd::store::Storage;
use std::net::SocketAddr;
use tokio::sync::oneshot;
use tonic::transport::{Channel, ClientTlsConfig};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

/// An account that owns things in most tests.
pub const OWNER: &str = "111122223333";
/// Another account, which must not see the owner's private objects.
pub const STRANGER: &str = "444455556666";

/// A resource type that supports customer managed permissions, and actions
/// that apply to it.
pub const CMP_TYPE: &str = "codebuild:Project";
pub const TEMPLATE: &str = r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects"]}"#;
pub const TEMPLATE_2: &str =
    r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects","codebuild:StartBuild"]}"#;

/// A running server; dropping it stops the server.
pub struct TestServer {
    pub channel: Channel,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with default flags plus `extra` flags.
    pub async fn start_with(extra: &[&str]) -> TestServer {
        TestServer::start_tls(extra, None).await
    }

    /// Starts a server with default flags plus `extra` flags; with `tls`,
    /// its channel speaks TLS with that client configuration.
    pub async fn start_tls(extra: &[&str], tls: Option<ClientTlsConfig>) -> TestServer {
        TestServer::start_full(extra, None, tls).await
    }

    /// Starts a server whose state lives in `storage` (memory only when
    /// `None`), with default flags plus `extra` flags.
    pub async fn start_on(extra: &[&str], storage: Option<Box<dyn Storage>>) -> TestServer {
        TestServer::start_full(extra, storage, None).await
    }

    async fn start_full(
        extra: &[&str],
        storage: Option<Box<dyn Storage>>,
        tls: Option<ClientTlsConfig>,
    ) -> TestServer {
        let mut args = vec!["ramd", "--listen", "127.0.0.1:0", "--manual-clock"];
        args.extend_from_slice(extra);
        let config = Config::parse_from(args);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            ramd::server::run_with_storage(
                config,
                listener,
                async {
                    let _ = stopped.await;
                },
                storage,
            )
            .await
            .expect("server runs");
        });
        let channel = connect(addr, tls)
            .await
            .expect("connect to the test server");
        TestServer {
            channel,
            addr,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// A new channel to the server, over TLS with `tls`.
    pub async fn connect(
        &self,
        tls: Option<ClientTlsConfig>,
    ) -> Result<Channel, tonic::transport::Error> {
        connect(self.addr, tls).await
    }

    pub async fn start() -> TestServer {
        TestServer::start_with(&[]).await
    }

    pub fn ram(&self) -> ResourceAccessManagerClient<Channel> {
        ResourceAccessManagerClient::new(self.channel.clone())
    }

    pub fn admin(&self) -> AdminClient<Channel> {
        AdminClient::new(self.channel.clone())
    }

    /// Ends the server abruptly, as a killed process would: no drain, no
    /// final flush.
    pub fn kill(mut self) {
        self.stop.take();
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A channel to `addr`: plain HTTP/2, or TLS with `tls`.
pub async fn connect(
    addr: SocketAddr,
    tls: Option<ClientTlsConfig>,
) -> Result<Channel, tonic::transport::Error> {
    match tls {
        None => {
            Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
        }
        Some(tls) => {
            Channel::from_shared(format!("https://{addr}"))
                .unwrap()
                .tls_config(tls)?
                .connect()
                .await
        }
    }
}

/// A request made by `account`.
pub fn as_account<T>(account: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("x-ram-account-id", account.parse().unwrap());
    r
}

/// Asserts a failure's gRPC code and ErrorInfo reason (domain `ram`).
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, reason: &str) {
    let status = match result {
        Ok(v) => panic!("expected {reason}, got success: {v:?}"),
        Err(s) => s,
    };
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(
        (status.code(), info.as_ref().map(|i| i.reason.as_str())),
        (code, Some(reason)),
        "message: {}",
        status.message()
    );
    assert_eq!(info.unwrap().domain, "ram");
    assert!(!status.message().is_empty(), "{reason} has no message");
}

/// Creates a customer managed permission of `CMP_TYPE` as `account`.
pub async fn create_permission(
    server: &TestServer,
    account: &str,
    name: &str,
) -> pb::ResourceSharePermissionSummary {
    create_permission_with(server.ram(), account, name).await
}

/// Like [`create_permission`], through any client (of a ramd process, say).
pub async fn create_permission_with(
    mut ram: ResourceAccessManagerClient<Channel>,
    account: &str,
    name: &str,
) -> pb::ResourceSharePermissionSummary {
    ram.create_permission(as_account(
        account,
        pb::CreatePermissionRequest {
            name: name.into(),
            resource_type: CMP_TYPE.into(),
            policy_template: TEMPLATE.into(),
            ..Default::default()
        },
    ))
    .await
    .expect("CreatePermission")
    .into_inner()
    .permission
    .unwrap()
}

// ---------------------------------------------------------------------------
// Accounts, resources and organizations for the sharing scenarios.

/// An account outside every organization that receives shares.
pub const RECEIVER: &str = "210987654321";
/// A member account of the owner's organization in the sharing scenarios.
pub const MEMBER_A: &str = "300000000001";
/// A second member account of the owner's organization.
pub const MEMBER_B: &str = "300000000002";

/// The ARN of a subnet of `owner` in us-east-1.
pub fn subnet(owner: &str, id: &str) -> String {
    format!("arn:aws:ec2:us-east-1:{owner}:subnet/subnet-{id}")
}

/// The ARN of a CodeBuild project of `owner` in us-east-1.
pub fn project(owner: &str, name: &str) -> String {
    format!("arn:aws:codebuild:us-east-1:{owner}:project/{name}")
}

/// The default AWS managed permission of `codebuild:Project`.
pub const CODEBUILD_DEFAULT: &str =
    "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionCodeBuildProject";
/// The default AWS managed permission of `ec2:Subnet`.
pub const SUBNET_DEFAULT: &str = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet";

/// Owned strings from string slices.
pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Creates an organization managed by `management`.
pub async fn create_org(
    server: &TestServer,
    management: &str,
) -> Result<admin_pb::Organization, Status> {
    server
        .admin()
        .create_organization(admin_pb::CreateOrganizationRequest {
            management_account_id: management.into(),
        })
        .await
        .map(|r| r.into_inner().organization.unwrap())
}

/// Creates an OU under `parent` (a root or OU id).
pub async fn create_ou(
    server: &TestServer,
    parent: &str,
    name: &str,
) -> Result<admin_pb::OrganizationalUnit, Status> {
    server
        .admin()
        .create_organizational_unit(admin_pb::CreateOrganizationalUnitRequest {
            parent_id: parent.into(),
            name: name.into(),
        })
        .await
        .map(|r| r.into_inner().organizational_unit.unwrap())
}

/// Adds (or moves) `account` under `parent`.
pub async fn add(server: &TestServer, account: &str, parent: &str) -> Result<(), Status> {
    server
        .admin()
        .add_account(admin_pb::AddAccountRequest {
            account_id: account.into(),
            parent_id: parent.into(),
        })
        .await
        .map(drop)
}

/// Removes `account` from its organization.
pub async fn remove(server: &TestServer, account: &str) -> Result<(), Status> {
    server
        .admin()
        .remove_account(admin_pb::RemoveAccountRequest {
            account_id: account.into(),
        })
        .await
        .map(drop)
}

/// The organization of `account` as the admin service describes it.
pub async fn describe(
    server: &TestServer,
    account: &str,
) -> Result<admin_pb::DescribeOrganizationResponse, Status> {
    server
        .admin()
        .describe_organization(admin_pb::DescribeOrganizationRequest {
            account_id: account.into(),
        })
        .await
        .map(|r| r.into_inner())
}

/// EnableSharingWithAwsOrganization as `account`.
pub async fn enable_sharing(server: &TestServer, account: &str) -> Result<bool, Status> {
    server
        .ram()
        .enable_sharing_with_aws_organization(as_account(
            account,
            pb::EnableSharingWithAwsOrganizationRequest {},
        ))
        .await
        .map(|r| r.into_inner().return_value.unwrap_or(false))
}

/// Moves the server's manual clock forward.
pub async fn advance(server: &TestServer, seconds: i64) {
    server
        .admin()
        .advance_clock(admin_pb::AdvanceClockRequest { seconds })
        .await
        .expect("AdvanceClock");
}

// ---------------------------------------------------------------------------
// Resource shares as one account sees them.

/// A view of the server as one account.
#[derive(Clone)]
pub struct As<'a> {
    pub server: &'a TestServer,
    pub account: &'a str,
}

/// The calls of one account, returning results so refusals can be checked.
pub fn who<'a>(server: &'a TestServer, account: &'a str) -> As<'a> {
    As { server, account }
}

impl As<'_> {
    fn ram(&self) -> ResourceAccessManagerClient<Channel> {
        self.server.ram()
    }

    /// CreateResourceShare with resources and principals.
    pub async fn try_create_share(
        &self,
        name: &str,
        resources: &[&str],
        principals: &[&str],
    ) -> Result<pb::ResourceShare, Status> {
        self.create_share_with(pb::CreateResourceShareRequest {
            name: name.into(),
            resource_arns: strings(resources),
            principals: strings(principals),
            ..Default::default()
        })
        .await
    }

    /// CreateResourceShare, which must succeed.
    pub async fn create_share(
        &self,
        name: &str,
        resources: &[&str],
        principals: &[&str],
    ) -> pb::ResourceShare {
        self.try_create_share(name, resources, principals)
            .await
            .expect("CreateResourceShare")
    }

    /// CreateResourceShare with a full request.
    pub async fn create_share_with(
        &self,
        req: pb::CreateResourceShareRequest,
    ) -> Result<pb::ResourceShare, Status> {
        self.ram()
            .create_resource_share(as_account(self.account, req))
            .await
            .map(|r| r.into_inner().resource_share.unwrap())
    }

    /// GetResourceShares with a full request (the caller is set here).
    pub async fn get_shares_with(
        &self,
        req: pb::GetResourceSharesRequest,
    ) -> Result<pb::GetResourceSharesResponse, Status> {
        self.ram()
            .get_resource_shares(as_account(self.account, req))
            .await
            .map(|r| r.into_inner())
    }

    /// Every share of `owner` kind, unfiltered.
    pub async fn shares(&self, owner: pb::ResourceOwner) -> Vec<pb::ResourceShare> {
        self.get_shares_with(pb::GetResourceSharesRequest {
            resource_owner: owner as i32,
            ..Default::default()
        })
        .await
        .expect("GetResourceShares")
        .resource_shares
    }

    /// The one share `arn`, as owner `owner` sees it.
    pub async fn share(
        &self,
        owner: pb::ResourceOwner,
        arn: &str,
    ) -> Result<pb::ResourceShare, Status> {
        let mut r = self
            .get_shares_with(pb::GetResourceSharesRequest {
                resource_owner: owner as i32,
                resource_share_arns: vec![arn.into()],
                ..Default::default()
            })
            .await?;
        assert_eq!(r.resource_shares.len(), 1, "{arn}");
        Ok(r.resource_shares.remove(0))
    }

    /// GetResourceShareAssociations with a full request.
    pub async fn associations_with(
        &self,
        req: pb::GetResourceShareAssociationsRequest,
    ) -> Result<pb::GetResourceShareAssociationsResponse, Status> {
        self.ram()
            .get_resource_share_associations(as_account(self.account, req))
            .await
            .map(|r| r.into_inner())
    }

    /// The associations of one kind of one share, as (entity, status).
    pub async fn associations(
        &self,
        kind: pb::ResourceShareAssociationType,
        share_arn: &str,
    ) -> Vec<(String, pb::ResourceShareAssociationStatus)> {
        self.associations_with(pb::GetResourceShareAssociationsRequest {
            association_type: kind as i32,
            resource_share_arns: vec![share_arn.into()],
            ..Default::default()
        })
        .await
        .expect("GetResourceShareAssociations")
        .resource_share_associations
        .into_iter()
        .map(|a| (a.associated_entity.clone(), a.status()))
        .collect()
    }

    /// The status of one entity's association with a share.
    pub async fn association_status(
        &self,
        kind: pb::ResourceShareAssociationType,
        share_arn: &str,
        entity: &str,
    ) -> pb::ResourceShareAssociationStatus {
        self.associations(kind, share_arn)
            .await
            .into_iter()
            .find(|(e, _)| e == entity)
            .unwrap_or_else(|| panic!("no association of {entity} with {share_arn}"))
            .1
    }

    /// AssociateResourceShare.
    pub async fn associate(
        &self,
        share_arn: &str,
        resources: &[&str],
        principals: &[&str],
    ) -> Result<Vec<pb::ResourceShareAssociation>, Status> {
        self.ram()
            .associate_resource_share(as_account(
                self.account,
                pb::AssociateResourceShareRequest {
                    resource_share_arn: share_arn.into(),
                    resource_arns: strings(resources),
                    principals: strings(principals),
                    ..Default::default()
                },
            ))
            .await
            .map(|r| r.into_inner().resource_share_associations)
    }

    /// DisassociateResourceShare.
    pub async fn disassociate(
        &self,
        share_arn: &str,
        resources: &[&str],
        principals: &[&str],
    ) -> Result<Vec<pb::ResourceShareAssociation>, Status> {
        self.ram()
            .disassociate_resource_share(as_account(
                self.account,
                pb::DisassociateResourceShareRequest {
                    resource_share_arn: share_arn.into(),
                    resource_arns: strings(resources),
                    principals: strings(principals),
                    ..Default::default()
                },
            ))
            .await
            .map(|r| r.into_inner().resource_share_associations)
    }

    /// A receiver leaves a share by naming its own account.
    pub async fn leave(
        &self,
        share_arn: &str,
    ) -> Result<Vec<pb::ResourceShareAssociation>, Status> {
        self.disassociate(share_arn, &[], &[self.account]).await
    }

    /// UpdateResourceShare.
    pub async fn update(
        &self,
        share_arn: &str,
        name: Option<&str>,
        allow_external_principals: Option<bool>,
    ) -> Result<pb::ResourceShare, Status> {
        self.ram()
            .update_resource_share(as_account(
                self.account,
                pb::UpdateResourceShareRequest {
                    resource_share_arn: share_arn.into(),
                    name: name.map(str::to_string),
                    allow_external_principals,
                    client_token: None,
                },
            ))
            .await
            .map(|r| r.into_inner().resource_share.unwrap())
    }

    /// DeleteResourceShare.
    pub async fn delete(&self, share_arn: &str) -> Result<bool, Status> {
        self.ram()
            .delete_resource_share(as_account(
                self.account,
                pb::DeleteResourceShareRequest {
                    resource_share_arn: share_arn.into(),
                    client_token: None,
                },
            ))
            .await
            .map(|r| r.into_inner().return_value.unwrap_or(false))
    }

    /// GetResourceShareInvitations with a full request.
    pub async fn invitations_with(
        &self,
        req: pb::GetResourceShareInvitationsRequest,
    ) -> Result<pb::GetResourceShareInvitationsResponse, Status> {
        self.ram()
            .get_resource_share_invitations(as_account(self.account, req))
            .await
            .map(|r| r.into_inner())
    }

    /// Every invitation the account received.
    pub async fn invitations(&self) -> Vec<pb::ResourceShareInvitation> {
        self.invitations_with(pb::GetResourceShareInvitationsRequest::default())
            .await
            .expect("GetResourceShareInvitations")
            .resource_share_invitations
    }

    /// The one invitation the account received for `share_arn`.
    pub async fn invitation_for(&self, share_arn: &str) -> pb::ResourceShareInvitation {
        let mut found: Vec<_> = self
            .invitations()
            .await
            .into_iter()
            .filter(|i| i.resource_share_arn == share_arn)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "invitations of {} for {share_arn}",
            self.account
        );
        found.remove(0)
    }

    /// AcceptResourceShareInvitation.
    pub async fn accept(
        &self,
        invitation_arn: &str,
    ) -> Result<pb::ResourceShareInvitation, Status> {
        self.ram()
            .accept_resource_share_invitation(as_account(
                self.account,
                pb::AcceptResourceShareInvitationRequest {
                    resource_share_invitation_arn: invitation_arn.into(),
                    client_token: None,
                },
            ))
            .await
            .map(|r| r.into_inner().resource_share_invitation.unwrap())
    }

    /// RejectResourceShareInvitation.
    pub async fn reject(
        &self,
        invitation_arn: &str,
    ) -> Result<pb::ResourceShareInvitation, Status> {
        self.ram()
            .reject_resource_share_invitation(as_account(
                self.account,
                pb::RejectResourceShareInvitationRequest {
                    resource_share_invitation_arn: invitation_arn.into(),
                    client_token: None,
                },
            ))
            .await
            .map(|r| r.into_inner().resource_share_invitation.unwrap())
    }

    /// ListPendingInvitationResources.
    pub async fn pending_resources(
        &self,
        invitation_arn: &str,
    ) -> Result<Vec<pb::Resource>, Status> {
        self.ram()
            .list_pending_invitation_resources(as_account(
                self.account,
                pb::ListPendingInvitationResourcesRequest {
                    resource_share_invitation_arn: invitation_arn.into(),
                    ..Default::default()
                },
            ))
            .await
            .map(|r| r.into_inner().resources)
    }

    /// ListResources with a full request.
    pub async fn resources_with(
        &self,
        req: pb::ListResourcesRequest,
    ) -> Result<pb::ListResourcesResponse, Status> {
        self.ram()
            .list_resources(as_account(self.account, req))
            .await
            .map(|r| r.into_inner())
    }

    /// Every resource of `owner` kind.
    pub async fn resources(&self, owner: pb::ResourceOwner) -> Vec<pb::Resource> {
        self.resources_with(pb::ListResourcesRequest {
            resource_owner: owner as i32,
            ..Default::default()
        })
        .await
        .expect("ListResources")
        .resources
    }

    /// ListPrincipals with a full request.
    pub async fn principals_with(
        &self,
        req: pb::ListPrincipalsRequest,
    ) -> Result<pb::ListPrincipalsResponse, Status> {
        self.ram()
            .list_principals(as_account(self.account, req))
            .await
            .map(|r| r.into_inner())
    }

    /// Every principal of `owner` kind.
    pub async fn principals(&self, owner: pb::ResourceOwner) -> Vec<pb::Principal> {
        self.principals_with(pb::ListPrincipalsRequest {
            resource_owner: owner as i32,
            ..Default::default()
        })
        .await
        .expect("ListPrincipals")
        .principals
    }

    /// ListSourceAssociations with a full request.
    pub async fn sources_with(
        &self,
        req: pb::ListSourceAssociationsRequest,
    ) -> Result<pb::ListSourceAssociationsResponse, Status> {
        self.ram()
            .list_source_associations(as_account(self.account, req))
            .await
            .map(|r| r.into_inner())
    }

    /// ListResourceSharePermissions with a full request.
    pub async fn share_permissions_with(
        &self,
        req: pb::ListResourceSharePermissionsRequest,
    ) -> Result<pb::ListResourceSharePermissionsResponse, Status> {
        self.ram()
            .list_resource_share_permissions(as_account(self.account, req))
            .await
            .map(|r| r.into_inner())
    }

    /// The permissions attached to a share.
    pub async fn share_permissions(
        &self,
        share_arn: &str,
    ) -> Result<Vec<pb::ResourceSharePermissionSummary>, Status> {
        self.share_permissions_with(pb::ListResourceSharePermissionsRequest {
            resource_share_arn: share_arn.into(),
            ..Default::default()
        })
        .await
        .map(|r| r.permissions)
    }

    /// TagResource on a share.
    pub async fn tag_share(&self, share_arn: &str, tags: &[(&str, &str)]) -> Result<(), Status> {
        self.ram()
            .tag_resource(as_account(
                self.account,
                pb::TagResourceRequest {
                    resource_share_arn: Some(share_arn.into()),
                    tags: tags
                        .iter()
                        .map(|(k, v)| pb::Tag {
                            key: k.to_string(),
                            value: v.to_string(),
                        })
                        .collect(),
                    resource_arn: None,
                },
            ))
            .await
            .map(drop)
    }

    /// UntagResource on a share.
    pub async fn untag_share(&self, share_arn: &str, keys: &[&str]) -> Result<(), Status> {
        self.ram()
            .untag_resource(as_account(
                self.account,
                pb::UntagResourceRequest {
                    resource_share_arn: Some(share_arn.into()),
                    tag_keys: strings(keys),
                    resource_arn: None,
                },
            ))
            .await
            .map(drop)
    }
}

/// Walks every page of a listing: `page` gets the token (none for the first
/// page) and returns the page's items and its next token (empty on the last
/// page). Fails on an endless walk.
pub async fn walk<T, F, Fut>(mut page: F) -> Vec<T>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = (Vec<T>, String)>,
{
    let mut out = Vec::new();
    let mut token = None;
    for _ in 0..1000 {
        let (items, next) = page(token.take()).await;
        out.extend(items);
        if next.is_empty() {
            return out;
        }
        token = Some(next);
    }
    panic!("more than 1000 pages");
}

/// Asserts that a paged walk returned exactly the unpaged listing: same
/// items in the same order, no duplicates.
#[track_caller]
pub fn assert_same_walk<K: Ord + Clone + std::fmt::Debug>(paged: &[K], whole: &[K], what: &str) {
    assert_eq!(paged, whole, "{what}: pages differ from the whole listing");
    let unique: std::collections::BTreeSet<&K> = paged.iter().collect();
    assert_eq!(unique.len(), paged.len(), "{what}: duplicates across pages");
}

/// `resourceOwner` SELF.
pub const MINE: pb::ResourceOwner = pb::ResourceOwner::Self_;
/// `resourceOwner` OTHER-ACCOUNTS.
pub const OTHERS: pb::ResourceOwner = pb::ResourceOwner::OtherAccounts;
pub use pb::ResourceShareAssociationStatus as Assoc;
pub use pb::ResourceShareAssociationType as Kind;
pub use pb::ResourceShareInvitationStatus as Invite;

/// The ARNs of shares, in order.
pub fn share_arns(shares: &[pb::ResourceShare]) -> Vec<String> {
    shares
        .iter()
        .map(|s| s.resource_share_arn.clone())
        .collect()
}

/// The ARNs of resources, in order.
pub fn resource_arns(resources: &[pb::Resource]) -> Vec<String> {
    resources.iter().map(|r| r.arn.clone()).collect()
}

// ---------------------------------------------------------------------------
// Callers in header and token mode, and a full dump of what accounts see.

/// A request carrying `authorization: Bearer <token>` (token mode).
pub fn with_token<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// How test calls name their account: `x-ram-account-id` (header mode), or
/// the bearer token of each account and of an admin (token mode).
#[derive(Clone, Default)]
pub struct Ident {
    tokens: std::collections::BTreeMap<String, String>,
    admin_token: Option<String>,
}

impl Ident {
    /// Header mode: the account travels in `x-ram-account-id`.
    pub fn header() -> Ident {
        Ident::default()
    }

    /// Token mode: `accounts` pairs each account with its token; `admin` is
    /// the token of an admin.
    pub fn tokens(accounts: &[(&str, &str)], admin: &str) -> Ident {
        Ident {
            tokens: accounts
                .iter()
                .map(|(a, t)| (a.to_string(), t.to_string()))
                .collect(),
            admin_token: Some(admin.to_string()),
        }
    }

    /// A request made by `account`.
    pub fn request<T>(&self, account: &str, msg: T) -> Request<T> {
        match self.tokens.get(account) {
            Some(token) => with_token(token, msg),
            None => as_account(account, msg),
        }
    }

    /// A request made by an admin (no credentials in header mode).
    pub fn admin<T>(&self, msg: T) -> Request<T> {
        match &self.admin_token {
            Some(token) => with_token(token, msg),
            None => Request::new(msg),
        }
    }
}

/// Everything a client can read, from every account of `accounts` (in
/// header mode), as text; the organization is described for the first.
pub async fn observe(server: &TestServer, accounts: &[&str]) -> String {
    observe_as(server, &Ident::header(), accounts).await
}

/// Everything a client can read, from every account of `accounts`, as text:
/// shares, resources and principals both ways, associations of every kind,
/// customer managed permissions with each version in full, the permissions
/// and sources of each owned share, permission associations, invitations,
/// replace work, the resource-based policies of shared resources, and the
/// organization of the first account.
pub async fn observe_as(server: &TestServer, ident: &Ident, accounts: &[&str]) -> String {
    let mut ram = server.ram();
    let mut out = String::new();
    for &account in accounts {
        let mut own_shares = Vec::new();
        let mut own_resources = Vec::new();
        for owner in [pb::ResourceOwner::Self_, pb::ResourceOwner::OtherAccounts] {
            let shares = ram
                .get_resource_shares(ident.request(
                    account,
                    pb::GetResourceSharesRequest {
                        resource_owner: owner as i32,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            let resources = ram
                .list_resources(ident.request(
                    account,
                    pb::ListResourcesRequest {
                        resource_owner: owner as i32,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            let principals = ram
                .list_principals(ident.request(
                    account,
                    pb::ListPrincipalsRequest {
                        resource_owner: owner as i32,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            out += &format!("{account} {owner:?} {shares:?} {resources:?} {principals:?}\n");
            if owner == pb::ResourceOwner::Self_ {
                own_shares = shares.resource_shares;
                own_resources = resources.resources;
            }
        }
        let permissions = ram
            .list_permissions(ident.request(
                account,
                pb::ListPermissionsRequest {
                    permission_type: pb::PermissionTypeFilter::CustomerManaged as i32,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        out += &format!("{account} {permissions:?}\n");
        for permission in &permissions.permissions {
            let versions = ram
                .list_permission_versions(ident.request(
                    account,
                    pb::ListPermissionVersionsRequest {
                        permission_arn: permission.arn.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            out += &format!("{account} {versions:?}\n");
            for version in &versions.permissions {
                let detail = ram
                    .get_permission(ident.request(
                        account,
                        pb::GetPermissionRequest {
                            permission_arn: permission.arn.clone(),
                            permission_version: version.version.parse().ok(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner();
                out += &format!("{account} {detail:?}\n");
            }
        }
        for share in &own_shares {
            let share_permissions = ram
                .list_resource_share_permissions(ident.request(
                    account,
                    pb::ListResourceSharePermissionsRequest {
                        resource_share_arn: share.resource_share_arn.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            out += &format!("{account} {share_permissions:?}\n");
        }
        let sources = ram
            .list_source_associations(
                ident.request(account, pb::ListSourceAssociationsRequest::default()),
            )
            .await
            .unwrap()
            .into_inner();
        let permission_associations = ram
            .list_permission_associations(
                ident.request(account, pb::ListPermissionAssociationsRequest::default()),
            )
            .await
            .unwrap()
            .into_inner();
        let invitations = ram
            .get_resource_share_invitations(
                ident.request(account, pb::GetResourceShareInvitationsRequest::default()),
            )
            .await
            .unwrap()
            .into_inner();
        let works = ram
            .list_replace_permission_associations_work(ident.request(
                account,
                pb::ListReplacePermissionAssociationsWorkRequest::default(),
            ))
            .await
            .unwrap()
            .into_inner();
        out += &format!(
            "{account} {sources:?} {permission_associations:?} {invitations:?} {works:?}\n"
        );
        if !own_resources.is_empty() {
            let policies = ram
                .get_resource_policies(ident.request(
                    account,
                    pb::GetResourcePoliciesRequest {
                        resource_arns: own_resources.iter().map(|r| r.arn.clone()).collect(),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            out += &format!("{account} {policies:?}\n");
        }
        for kind in [
            pb::ResourceShareAssociationType::Principal,
            pb::ResourceShareAssociationType::Resource,
            pb::ResourceShareAssociationType::Source,
        ] {
            let assoc = ram
                .get_resource_share_associations(ident.request(
                    account,
                    pb::GetResourceShareAssociationsRequest {
                        association_type: kind as i32,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            out += &format!("{account} {kind:?} {assoc:?}\n");
        }
    }
    if let Some(first) = accounts.first() {
        let org = server
            .admin()
            .describe_organization(ident.admin(admin_pb::DescribeOrganizationRequest {
                account_id: first.to_string(),
            }))
            .await
            .map(|r| r.into_inner());
        out += &format!("{org:?}\n");
    }
    out
}
