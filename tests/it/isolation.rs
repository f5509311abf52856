//! Isolation: a matrix over every operation of `ram.v1.ResourceAccessManager`
//! and every RPC of `ram.admin.v1.Admin`. A stranger (an account with no part
//! in anything) that names the owner's objects gets exactly what it gets for
//! objects that do not exist, so nothing leaks their existence; a receiver
//! that tries a change reserved to the owner gets
//! OperationNotPermittedException; admin RPCs without admin rights are
//! PERMISSION_DENIED. After every attempt the owner's world, as seen by
//! every account with a part in it, is unchanged.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

use ramd::pb::admin as admin_pb;
use ramd::pb::v1 as pb;
use ramd::pb::v1::resource_access_manager_client::ResourceAccessManagerClient;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tonic_types::StatusExt;

use crate::common::*;

/// The accounts whose view of the owner's world must never change.
const WITNESSES: &[&str] = &[OWNER, RECEIVER, MEMBER_A];

/// A made-up id in the place of a real share, invitation or work item id.
const NO_UUID: &str = "00000000-0000-4000-8000-000000000000";

/// The tokens of token mode.
const ADMIN_TOKEN: &str = "isolation-admin-3f1e5d7c9b2a4e6f8a0c";
const OWNER_TOKEN: &str = "isolation-owner-7a9c1e3f5b7d9f1a3c5e";
const RECEIVER_TOKEN: &str = "isolation-receiver-2b4d6f8a0c2e4a6c8e";
const MEMBER_TOKEN: &str = "isolation-member-9d1f3b5d7f9b1d3f5b7d";
const STRANGER_TOKEN: &str = "isolation-stranger-4c6e8a0c2e4c6e8a0c";

/// The owner's objects by ARN or id; the same struct holds their
/// non-existent counterparts.
#[derive(Clone, Debug)]
struct Objects {
    /// A customer managed permission with two versions, tagged, attached to
    /// `share`.
    permission: String,
    /// A share with a resource, the receiver (accepted) and an OU.
    share: String,
    /// The resource of `share`.
    resource: String,
    /// A share with the receiver (invitation pending) and the organization.
    pending_share: String,
    /// The receiver's pending invitation to `pending_share`.
    invitation: String,
    /// A share with a service principal and a source.
    source_share: String,
    /// A CREATED_FROM_POLICY share (Admin PutResourcePolicy).
    cfp_share: String,
    /// Its CREATED_FROM_POLICY permission.
    cfp_permission: String,
    /// The resource whose policy made `cfp_share`.
    cfp_resource: String,
    /// A ReplacePermissionAssociations work item.
    work_id: String,
    /// The owner's organization.
    org: String,
    /// An OU of it.
    ou: String,
}

impl Objects {
    /// The non-existent twin of every object: same kind, same account,
    /// another UUID, name or id.
    fn missing(&self) -> Objects {
        Objects {
            permission: replace_last(&self.permission, '/', "IsoPermMissing"),
            share: replace_last(&self.share, '/', NO_UUID),
            resource: project(OWNER, "missing"),
            pending_share: replace_last(&self.pending_share, '/', NO_UUID),
            invitation: replace_last(&self.invitation, '/', NO_UUID),
            source_share: replace_last(&self.source_share, '/', NO_UUID),
            cfp_share: replace_last(&self.cfp_share, '/', NO_UUID),
            cfp_permission: replace_last(
                &self.cfp_permission,
                '/',
                "CFP-00000000000000000000000000000000",
            ),
            cfp_resource: project(OWNER, "missing-cfp"),
            work_id: NO_UUID.into(),
            org: replace_tail(&self.org, "0000000000"),
            // The missing OU lies in the missing organization, so that every
            // identifier maps one way.
            ou: replace_tail(&self.ou, "00000000").replace(
                &last_segment(&self.org),
                &last_segment(&replace_tail(&self.org, "0000000000")),
            ),
        }
    }

    /// (real, missing) pairs, longest first, to compare messages.
    fn pairs(&self, missing: &Objects) -> Vec<(String, String)> {
        let mut pairs = vec![
            (self.permission.clone(), missing.permission.clone()),
            (self.share.clone(), missing.share.clone()),
            (self.resource.clone(), missing.resource.clone()),
            (self.pending_share.clone(), missing.pending_share.clone()),
            (self.invitation.clone(), missing.invitation.clone()),
            (self.source_share.clone(), missing.source_share.clone()),
            (self.cfp_share.clone(), missing.cfp_share.clone()),
            (self.cfp_permission.clone(), missing.cfp_permission.clone()),
            (self.cfp_resource.clone(), missing.cfp_resource.clone()),
            (self.work_id.clone(), missing.work_id.clone()),
            (self.org.clone(), missing.org.clone()),
            (self.ou.clone(), missing.ou.clone()),
            (last_segment(&self.ou), last_segment(&missing.ou)),
            (last_segment(&self.org), last_segment(&missing.org)),
        ];
        pairs.sort_by_key(|(real, _)| std::cmp::Reverse(real.len()));
        pairs
    }
}

/// `s` with everything after the last `sep` replaced by `with`.
fn replace_last(s: &str, sep: char, with: &str) -> String {
    let cut = s.rfind(sep).expect("separator") + 1;
    format!("{}{with}", &s[..cut])
}

/// The part of an ARN after its last `/` (an OU or organization id).
fn last_segment(arn: &str) -> String {
    arn.rsplit('/').next().unwrap().to_string()
}

/// `s` with its last `with.len()` characters replaced by `with`.
fn replace_tail(s: &str, with: &str) -> String {
    format!("{}{with}", &s[..s.len() - with.len()])
}

/// The caller of one matrix call.
#[derive(Clone)]
struct Env {
    channel: Channel,
    account: &'static str,
    /// A share the caller owns, with a resource of its own and no
    /// principals.
    own_share: String,
}

impl Env {
    fn ram(&self) -> ResourceAccessManagerClient<Channel> {
        ResourceAccessManagerClient::new(self.channel.clone())
    }

    fn req<T>(&self, msg: T) -> Request<T> {
        as_account(self.account, msg)
    }
}

/// What a call returned: a response (as text) or an error's code, AWS
/// reason and message.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Ok(String),
    Err {
        code: Code,
        reason: String,
        message: String,
    },
}

impl Outcome {
    /// The outcome with every real object's identifier replaced by its
    /// non-existent twin.
    fn substituted(&self, pairs: &[(String, String)]) -> Outcome {
        let sub = |s: &str| {
            pairs.iter().fold(s.to_string(), |acc, (real, missing)| {
                acc.replace(real, missing)
            })
        };
        match self {
            Outcome::Ok(text) => Outcome::Ok(sub(text)),
            Outcome::Err {
                code,
                reason,
                message,
            } => Outcome::Err {
                code: *code,
                reason: reason.clone(),
                message: sub(message),
            },
        }
    }

    fn short(&self) -> String {
        match self {
            Outcome::Ok(text) => format!("OK {}", truncate(text, 300)),
            Outcome::Err {
                code,
                reason,
                message,
            } => format!("{code:?} {reason}: {message}"),
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_string()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    }
}

fn outcome<T: std::fmt::Debug>(r: Result<Response<T>, Status>) -> Outcome {
    match r {
        Ok(resp) => Outcome::Ok(format!("{:?}", resp.into_inner())),
        Err(s) => Outcome::Err {
            code: s.code(),
            reason: s
                .get_error_details()
                .error_info()
                .map(|i| i.reason.clone())
                .unwrap_or_default(),
            message: s.message().to_string(),
        },
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// One call of the matrix: the same function makes the call against the
/// owner's real objects and against their non-existent twins, so the two
/// calls differ in the objects named and nothing else.
type Call = fn(Env, Objects) -> BoxFuture;

/// Who makes a row's call.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    /// No part in anything: compared with the same call on missing objects.
    Stranger,
    /// Accepted the owner's share and so sees its permission.
    Receiver,
    /// A member of the owner's organization, reached through its OU.
    Member,
}

/// What a row must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// This code and AWS reason.
    Fails(Code, &'static str),
    /// A response that names nothing of the owner's, identical for the
    /// real and the missing objects.
    Empty,
    /// A response that names nothing of the owner's (the call creates
    /// something of the caller's own).
    Succeeds,
}

struct Row {
    op: &'static str,
    who: Who,
    what: &'static str,
    call: Call,
    expect: Expect,
}

const UNKNOWN: Expect = Expect::Fails(Code::NotFound, "UnknownResourceException");
const NO_ARN: Expect = Expect::Fails(Code::NotFound, "ResourceArnNotFoundException");
const NO_INVITATION: Expect = Expect::Fails(
    Code::NotFound,
    "ResourceShareInvitationArnNotFoundException",
);
const INVALID: Expect = Expect::Fails(Code::InvalidArgument, "InvalidParameterException");
const NOT_PERMITTED: Expect =
    Expect::Fails(Code::FailedPrecondition, "OperationNotPermittedException");

fn tag(key: &str, value: &str) -> pb::Tag {
    pb::Tag {
        key: key.into(),
        value: value.into(),
    }
}

/// A row; `call` is a closure over the caller and the objects.
macro_rules! row {
    ($op:literal, $who:ident, $what:literal, $expect:expr, |$e:ident, $o:ident| $body:expr) => {
        Row {
            op: $op,
            who: Who::$who,
            what: $what,
            expect: $expect,
            call: |$e: Env, $o: Objects| -> BoxFuture {
                Box::pin(async move {
                    let _ = &$o;
                    outcome($body.await)
                })
            },
        }
    };
}

/// The matrix. Each of the 36 operations has at least one stranger row.
fn rows() -> Vec<Row> {
    vec![
        // ---- AcceptResourceShareInvitation
        row!("AcceptResourceShareInvitation", Stranger, "accept the receiver's pending invitation", NO_INVITATION, |e, o| {
            e.ram().accept_resource_share_invitation(e.req(pb::AcceptResourceShareInvitationRequest {
                resource_share_invitation_arn: o.invitation.clone(),
                client_token: None,
            }))
        }),
        // ---- AssociateResourceShare
        row!("AssociateResourceShare", Stranger, "add itself as a principal of the owner's share", UNKNOWN, |e, o| {
            e.ram().associate_resource_share(e.req(pb::AssociateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                principals: vec![STRANGER.into()],
                ..Default::default()
            }))
        }),
        row!("AssociateResourceShare", Stranger, "add a resource to the owner's share", UNKNOWN, |e, o| {
            e.ram().associate_resource_share(e.req(pb::AssociateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                resource_arns: vec![project(STRANGER, "s1")],
                ..Default::default()
            }))
        }),
        row!("AssociateResourceShare", Stranger, "add the owner's OU to its own share", UNKNOWN, |e, o| {
            e.ram().associate_resource_share(e.req(pb::AssociateResourceShareRequest {
                resource_share_arn: e.own_share.clone(),
                principals: vec![o.ou.clone()],
                ..Default::default()
            }))
        }),
        row!("AssociateResourceShare", Receiver, "add a principal to the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().associate_resource_share(e.req(pb::AssociateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                principals: vec![STRANGER.into()],
                ..Default::default()
            }))
        }),
        // ---- AssociateResourceSharePermission
        row!("AssociateResourceSharePermission", Stranger, "replace the permission of the owner's share", UNKNOWN, |e, o| {
            e.ram().associate_resource_share_permission(e.req(pb::AssociateResourceSharePermissionRequest {
                resource_share_arn: o.share.clone(),
                permission_arn: CODEBUILD_DEFAULT.into(),
                replace: Some(true),
                ..Default::default()
            }))
        }),
        row!("AssociateResourceSharePermission", Stranger, "attach the owner's permission to its own share", UNKNOWN, |e, o| {
            e.ram().associate_resource_share_permission(e.req(pb::AssociateResourceSharePermissionRequest {
                resource_share_arn: e.own_share.clone(),
                permission_arn: o.permission.clone(),
                ..Default::default()
            }))
        }),
        row!("AssociateResourceSharePermission", Receiver, "replace the permission of the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().associate_resource_share_permission(e.req(pb::AssociateResourceSharePermissionRequest {
                resource_share_arn: o.share.clone(),
                permission_arn: CODEBUILD_DEFAULT.into(),
                replace: Some(true),
                ..Default::default()
            }))
        }),
        row!("AssociateResourceSharePermission", Receiver, "attach the owner's permission to its own share", NOT_PERMITTED, |e, o| {
            e.ram().associate_resource_share_permission(e.req(pb::AssociateResourceSharePermissionRequest {
                resource_share_arn: e.own_share.clone(),
                permission_arn: o.permission.clone(),
                replace: Some(true),
                ..Default::default()
            }))
        }),
        // ---- CreatePermission
        row!("CreatePermission", Stranger, "create a permission named like the owner's", Expect::Succeeds, |e, o| {
            e.ram().create_permission(e.req(pb::CreatePermissionRequest {
                name: o.permission.rsplit('/').next().unwrap().into(),
                resource_type: CMP_TYPE.into(),
                policy_template: TEMPLATE.into(),
                ..Default::default()
            }))
        }),
        // ---- CreatePermissionVersion
        row!("CreatePermissionVersion", Stranger, "add a version to the owner's permission", UNKNOWN, |e, o| {
            e.ram().create_permission_version(e.req(pb::CreatePermissionVersionRequest {
                permission_arn: o.permission.clone(),
                policy_template: TEMPLATE_2.into(),
                ..Default::default()
            }))
        }),
        row!("CreatePermissionVersion", Receiver, "add a version to the owner's permission", NOT_PERMITTED, |e, o| {
            e.ram().create_permission_version(e.req(pb::CreatePermissionVersionRequest {
                permission_arn: o.permission.clone(),
                policy_template: TEMPLATE_2.into(),
                ..Default::default()
            }))
        }),
        // ---- CreateResourceShare
        row!("CreateResourceShare", Stranger, "share with the owner's permission", INVALID, |e, o| {
            e.ram().create_resource_share(e.req(pb::CreateResourceShareRequest {
                name: "stranger-with-permission".into(),
                resource_arns: vec![project(STRANGER, "s2")],
                permission_arns: vec![o.permission.clone()],
                ..Default::default()
            }))
        }),
        row!("CreateResourceShare", Stranger, "share with the owner's OU", UNKNOWN, |e, o| {
            e.ram().create_resource_share(e.req(pb::CreateResourceShareRequest {
                name: "stranger-to-ou".into(),
                principals: vec![o.ou.clone()],
                ..Default::default()
            }))
        }),
        row!("CreateResourceShare", Stranger, "share with the owner's organization", UNKNOWN, |e, o| {
            e.ram().create_resource_share(e.req(pb::CreateResourceShareRequest {
                name: "stranger-to-org".into(),
                principals: vec![o.org.clone()],
                ..Default::default()
            }))
        }),
        row!("CreateResourceShare", Receiver, "share its own resource with the owner's permission", NOT_PERMITTED, |e, o| {
            e.ram().create_resource_share(e.req(pb::CreateResourceShareRequest {
                name: "receiver-with-permission".into(),
                resource_arns: vec![project(RECEIVER, "r2")],
                permission_arns: vec![o.permission.clone()],
                ..Default::default()
            }))
        }),
        // ---- DeletePermission
        row!("DeletePermission", Stranger, "delete the owner's permission", UNKNOWN, |e, o| {
            e.ram().delete_permission(e.req(pb::DeletePermissionRequest {
                permission_arn: o.permission.clone(),
                client_token: None,
            }))
        }),
        row!("DeletePermission", Receiver, "delete the owner's permission", NOT_PERMITTED, |e, o| {
            e.ram().delete_permission(e.req(pb::DeletePermissionRequest {
                permission_arn: o.permission.clone(),
                client_token: None,
            }))
        }),
        // ---- DeletePermissionVersion
        row!("DeletePermissionVersion", Stranger, "delete version 2 of the owner's permission", UNKNOWN, |e, o| {
            e.ram().delete_permission_version(e.req(pb::DeletePermissionVersionRequest {
                permission_arn: o.permission.clone(),
                permission_version: 2,
                client_token: None,
            }))
        }),
        row!("DeletePermissionVersion", Receiver, "delete version 2 of the owner's permission", NOT_PERMITTED, |e, o| {
            e.ram().delete_permission_version(e.req(pb::DeletePermissionVersionRequest {
                permission_arn: o.permission.clone(),
                permission_version: 2,
                client_token: None,
            }))
        }),
        // ---- DeleteResourceShare
        row!("DeleteResourceShare", Stranger, "delete the owner's share", UNKNOWN, |e, o| {
            e.ram().delete_resource_share(e.req(pb::DeleteResourceShareRequest {
                resource_share_arn: o.share.clone(),
                client_token: None,
            }))
        }),
        row!("DeleteResourceShare", Stranger, "delete the owner's CREATED_FROM_POLICY share", UNKNOWN, |e, o| {
            e.ram().delete_resource_share(e.req(pb::DeleteResourceShareRequest {
                resource_share_arn: o.cfp_share.clone(),
                client_token: None,
            }))
        }),
        row!("DeleteResourceShare", Receiver, "delete the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().delete_resource_share(e.req(pb::DeleteResourceShareRequest {
                resource_share_arn: o.share.clone(),
                client_token: None,
            }))
        }),
        // ---- DisassociateResourceShare
        row!("DisassociateResourceShare", Stranger, "remove the receiver from the owner's share", UNKNOWN, |e, o| {
            e.ram().disassociate_resource_share(e.req(pb::DisassociateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                principals: vec![RECEIVER.into()],
                ..Default::default()
            }))
        }),
        row!("DisassociateResourceShare", Stranger, "leave the owner's share", UNKNOWN, |e, o| {
            e.ram().disassociate_resource_share(e.req(pb::DisassociateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                principals: vec![STRANGER.into()],
                ..Default::default()
            }))
        }),
        row!("DisassociateResourceShare", Stranger, "remove the source of the owner's service share", UNKNOWN, |e, o| {
            e.ram().disassociate_resource_share(e.req(pb::DisassociateResourceShareRequest {
                resource_share_arn: o.source_share.clone(),
                sources: vec![OWNER.into()],
                ..Default::default()
            }))
        }),
        row!("DisassociateResourceShare", Receiver, "remove the resource of the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().disassociate_resource_share(e.req(pb::DisassociateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                resource_arns: vec![o.resource.clone()],
                ..Default::default()
            }))
        }),
        row!("DisassociateResourceShare", Receiver, "remove the OU from the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().disassociate_resource_share(e.req(pb::DisassociateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                principals: vec![o.ou.clone()],
                ..Default::default()
            }))
        }),
        row!("DisassociateResourceShare", Member, "leave a share that reaches it through its OU", NOT_PERMITTED, |e, o| {
            e.ram().disassociate_resource_share(e.req(pb::DisassociateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                principals: vec![MEMBER_A.into()],
                ..Default::default()
            }))
        }),
        // ---- DisassociateResourceSharePermission
        row!("DisassociateResourceSharePermission", Stranger, "detach the permission of the owner's share", UNKNOWN, |e, o| {
            e.ram().disassociate_resource_share_permission(e.req(pb::DisassociateResourceSharePermissionRequest {
                resource_share_arn: o.share.clone(),
                permission_arn: o.permission.clone(),
                client_token: None,
            }))
        }),
        row!("DisassociateResourceSharePermission", Receiver, "detach the permission of the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().disassociate_resource_share_permission(e.req(pb::DisassociateResourceSharePermissionRequest {
                resource_share_arn: o.share.clone(),
                permission_arn: o.permission.clone(),
                client_token: None,
            }))
        }),
        // ---- EnableSharingWithAwsOrganization
        row!("EnableSharingWithAwsOrganization", Stranger, "enable sharing (no object: it is in no organization)", NOT_PERMITTED, |e, o| {
            e.ram().enable_sharing_with_aws_organization(e.req(pb::EnableSharingWithAwsOrganizationRequest {}))
        }),
        row!("EnableSharingWithAwsOrganization", Member, "enable sharing for the owner's organization", NOT_PERMITTED, |e, o| {
            e.ram().enable_sharing_with_aws_organization(e.req(pb::EnableSharingWithAwsOrganizationRequest {}))
        }),
        // ---- GetPermission
        row!("GetPermission", Stranger, "read the owner's permission", UNKNOWN, |e, o| {
            e.ram().get_permission(e.req(pb::GetPermissionRequest {
                permission_arn: o.permission.clone(),
                ..Default::default()
            }))
        }),
        row!("GetPermission", Stranger, "read version 2 of the owner's permission", UNKNOWN, |e, o| {
            e.ram().get_permission(e.req(pb::GetPermissionRequest {
                permission_arn: o.permission.clone(),
                permission_version: Some(2),
                ..Default::default()
            }))
        }),
        row!("GetPermission", Stranger, "read the owner's CREATED_FROM_POLICY permission", UNKNOWN, |e, o| {
            e.ram().get_permission(e.req(pb::GetPermissionRequest {
                permission_arn: o.cfp_permission.clone(),
                ..Default::default()
            }))
        }),
        // ---- GetResourcePolicies
        row!("GetResourcePolicies", Stranger, "read the policies of the owner's shared resources", NO_ARN, |e, o| {
            e.ram().get_resource_policies(e.req(pb::GetResourcePoliciesRequest {
                resource_arns: vec![o.resource.clone(), o.cfp_resource.clone()],
                ..Default::default()
            }))
        }),
        // ---- GetResourceShareAssociations
        row!("GetResourceShareAssociations", Stranger, "principals of the owner's share", UNKNOWN, |e, o| {
            e.ram().get_resource_share_associations(e.req(pb::GetResourceShareAssociationsRequest {
                association_type: Kind::Principal as i32,
                resource_share_arns: vec![o.share.clone()],
                ..Default::default()
            }))
        }),
        row!("GetResourceShareAssociations", Stranger, "associations of the owner's resource", Expect::Empty, |e, o| {
            e.ram().get_resource_share_associations(e.req(pb::GetResourceShareAssociationsRequest {
                association_type: Kind::Resource as i32,
                resource_arn: Some(o.resource.clone()),
                ..Default::default()
            }))
        }),
        row!("GetResourceShareAssociations", Stranger, "sources of the owner's service share", UNKNOWN, |e, o| {
            e.ram().get_resource_share_associations(e.req(pb::GetResourceShareAssociationsRequest {
                association_type: Kind::Source as i32,
                resource_share_arns: vec![o.source_share.clone()],
                ..Default::default()
            }))
        }),
        // ---- GetResourceShareInvitations
        row!("GetResourceShareInvitations", Stranger, "the receiver's invitation by ARN", NO_INVITATION, |e, o| {
            e.ram().get_resource_share_invitations(e.req(pb::GetResourceShareInvitationsRequest {
                resource_share_invitation_arns: vec![o.invitation.clone()],
                ..Default::default()
            }))
        }),
        row!("GetResourceShareInvitations", Stranger, "invitations to the owner's share", Expect::Empty, |e, o| {
            e.ram().get_resource_share_invitations(e.req(pb::GetResourceShareInvitationsRequest {
                resource_share_arns: vec![o.pending_share.clone()],
                ..Default::default()
            }))
        }),
        // ---- GetResourceShares
        row!("GetResourceShares", Stranger, "the owner's share as its own", UNKNOWN, |e, o| {
            e.ram().get_resource_shares(e.req(pb::GetResourceSharesRequest {
                resource_owner: MINE as i32,
                resource_share_arns: vec![o.share.clone()],
                ..Default::default()
            }))
        }),
        row!("GetResourceShares", Stranger, "the owner's share as shared with it", UNKNOWN, |e, o| {
            e.ram().get_resource_shares(e.req(pb::GetResourceSharesRequest {
                resource_owner: OTHERS as i32,
                resource_share_arns: vec![o.share.clone()],
                ..Default::default()
            }))
        }),
        row!("GetResourceShares", Stranger, "shares using the owner's permission", Expect::Empty, |e, o| {
            e.ram().get_resource_shares(e.req(pb::GetResourceSharesRequest {
                resource_owner: OTHERS as i32,
                permission_arn: Some(o.permission.clone()),
                ..Default::default()
            }))
        }),
        row!("GetResourceShares", Receiver, "the CREATED_FROM_POLICY share naming it (invisible until promoted)", UNKNOWN, |e, o| {
            e.ram().get_resource_shares(e.req(pb::GetResourceSharesRequest {
                resource_owner: OTHERS as i32,
                resource_share_arns: vec![o.cfp_share.clone()],
                ..Default::default()
            }))
        }),
        // ---- ListPendingInvitationResources
        row!("ListPendingInvitationResources", Stranger, "resources of the receiver's invitation", NO_INVITATION, |e, o| {
            e.ram().list_pending_invitation_resources(e.req(pb::ListPendingInvitationResourcesRequest {
                resource_share_invitation_arn: o.invitation.clone(),
                ..Default::default()
            }))
        }),
        // ---- ListPermissionAssociations
        row!("ListPermissionAssociations", Stranger, "associations of the owner's permission", Expect::Empty, |e, o| {
            e.ram().list_permission_associations(e.req(pb::ListPermissionAssociationsRequest {
                permission_arn: Some(o.permission.clone()),
                ..Default::default()
            }))
        }),
        row!("ListPermissionAssociations", Stranger, "permission associations of the owner's share", Expect::Empty, |e, o| {
            e.ram().list_permission_associations(e.req(pb::ListPermissionAssociationsRequest {
                resource_share_arn: Some(o.share.clone()),
                ..Default::default()
            }))
        }),
        // ---- ListPermissionVersions
        row!("ListPermissionVersions", Stranger, "versions of the owner's permission", UNKNOWN, |e, o| {
            e.ram().list_permission_versions(e.req(pb::ListPermissionVersionsRequest {
                permission_arn: o.permission.clone(),
                ..Default::default()
            }))
        }),
        // ---- ListPermissions
        row!("ListPermissions", Stranger, "every permission (no object)", Expect::Empty, |e, o| {
            e.ram().list_permissions(e.req(pb::ListPermissionsRequest {
                permission_type: pb::PermissionTypeFilter::CustomerManaged as i32,
                ..Default::default()
            }))
        }),
        // ---- ListPrincipals
        row!("ListPrincipals", Stranger, "principals of the owner's share as its own", Expect::Empty, |e, o| {
            e.ram().list_principals(e.req(pb::ListPrincipalsRequest {
                resource_owner: MINE as i32,
                resource_share_arns: vec![o.share.clone()],
                ..Default::default()
            }))
        }),
        row!("ListPrincipals", Stranger, "principals of the owner's share as shared with it", Expect::Empty, |e, o| {
            e.ram().list_principals(e.req(pb::ListPrincipalsRequest {
                resource_owner: OTHERS as i32,
                resource_share_arns: vec![o.share.clone()],
                ..Default::default()
            }))
        }),
        row!("ListPrincipals", Stranger, "principals of the owner's resource", Expect::Empty, |e, o| {
            e.ram().list_principals(e.req(pb::ListPrincipalsRequest {
                resource_owner: MINE as i32,
                resource_arn: Some(o.resource.clone()),
                ..Default::default()
            }))
        }),
        // ---- ListReplacePermissionAssociationsWork
        row!("ListReplacePermissionAssociationsWork", Stranger, "the owner's work item by id", Expect::Empty, |e, o| {
            e.ram().list_replace_permission_associations_work(e.req(pb::ListReplacePermissionAssociationsWorkRequest {
                work_ids: vec![o.work_id.clone()],
                ..Default::default()
            }))
        }),
        // ---- ListResourceSharePermissions
        row!("ListResourceSharePermissions", Stranger, "permissions of the owner's share", UNKNOWN, |e, o| {
            e.ram().list_resource_share_permissions(e.req(pb::ListResourceSharePermissionsRequest {
                resource_share_arn: o.share.clone(),
                ..Default::default()
            }))
        }),
        row!("ListResourceSharePermissions", Stranger, "permissions of the owner's CREATED_FROM_POLICY share", UNKNOWN, |e, o| {
            e.ram().list_resource_share_permissions(e.req(pb::ListResourceSharePermissionsRequest {
                resource_share_arn: o.cfp_share.clone(),
                ..Default::default()
            }))
        }),
        // ---- ListResourceTypes
        row!("ListResourceTypes", Stranger, "resource types (no object)", Expect::Empty, |e, o| {
            e.ram().list_resource_types(e.req(pb::ListResourceTypesRequest::default()))
        }),
        // ---- ListResources
        row!("ListResources", Stranger, "resources of the owner's share as shared with it", Expect::Empty, |e, o| {
            e.ram().list_resources(e.req(pb::ListResourcesRequest {
                resource_owner: OTHERS as i32,
                resource_share_arns: vec![o.share.clone()],
                ..Default::default()
            }))
        }),
        row!("ListResources", Stranger, "the owner's resource as its own", Expect::Empty, |e, o| {
            e.ram().list_resources(e.req(pb::ListResourcesRequest {
                resource_owner: MINE as i32,
                resource_arns: vec![o.resource.clone()],
                ..Default::default()
            }))
        }),
        row!("ListResources", Stranger, "the owner's resource as shared with it", Expect::Empty, |e, o| {
            e.ram().list_resources(e.req(pb::ListResourcesRequest {
                resource_owner: OTHERS as i32,
                resource_arns: vec![o.resource.clone()],
                ..Default::default()
            }))
        }),
        // ---- ListSourceAssociations
        row!("ListSourceAssociations", Stranger, "sources of the owner's service share", UNKNOWN, |e, o| {
            e.ram().list_source_associations(e.req(pb::ListSourceAssociationsRequest {
                resource_share_arns: vec![o.source_share.clone()],
                ..Default::default()
            }))
        }),
        // ---- PromotePermissionCreatedFromPolicy
        row!("PromotePermissionCreatedFromPolicy", Stranger, "promote the owner's CREATED_FROM_POLICY permission", UNKNOWN, |e, o| {
            e.ram().promote_permission_created_from_policy(e.req(pb::PromotePermissionCreatedFromPolicyRequest {
                permission_arn: o.cfp_permission.clone(),
                name: "StrangerPromoted".into(),
                client_token: None,
            }))
        }),
        row!("PromotePermissionCreatedFromPolicy", Receiver, "promote the owner's CREATED_FROM_POLICY permission (invisible to principals until promoted)", UNKNOWN, |e, o| {
            e.ram().promote_permission_created_from_policy(e.req(pb::PromotePermissionCreatedFromPolicyRequest {
                permission_arn: o.cfp_permission.clone(),
                name: "ReceiverPromoted".into(),
                client_token: None,
            }))
        }),
        // ---- PromoteResourceShareCreatedFromPolicy
        row!("PromoteResourceShareCreatedFromPolicy", Stranger, "promote the owner's CREATED_FROM_POLICY share", UNKNOWN, |e, o| {
            e.ram().promote_resource_share_created_from_policy(e.req(pb::PromoteResourceShareCreatedFromPolicyRequest {
                resource_share_arn: o.cfp_share.clone(),
            }))
        }),
        // ---- RejectResourceShareInvitation
        row!("RejectResourceShareInvitation", Stranger, "reject the receiver's pending invitation", NO_INVITATION, |e, o| {
            e.ram().reject_resource_share_invitation(e.req(pb::RejectResourceShareInvitationRequest {
                resource_share_invitation_arn: o.invitation.clone(),
                client_token: None,
            }))
        }),
        // ---- ReplacePermissionAssociations
        row!("ReplacePermissionAssociations", Stranger, "replace the owner's permission everywhere", UNKNOWN, |e, o| {
            e.ram().replace_permission_associations(e.req(pb::ReplacePermissionAssociationsRequest {
                from_permission_arn: o.permission.clone(),
                to_permission_arn: CODEBUILD_DEFAULT.into(),
                ..Default::default()
            }))
        }),
        row!("ReplacePermissionAssociations", Stranger, "replace a managed permission with the owner's", UNKNOWN, |e, o| {
            e.ram().replace_permission_associations(e.req(pb::ReplacePermissionAssociationsRequest {
                from_permission_arn: CODEBUILD_DEFAULT.into(),
                to_permission_arn: o.permission.clone(),
                ..Default::default()
            }))
        }),
        row!("ReplacePermissionAssociations", Receiver, "replace the owner's permission everywhere", NOT_PERMITTED, |e, o| {
            e.ram().replace_permission_associations(e.req(pb::ReplacePermissionAssociationsRequest {
                from_permission_arn: o.permission.clone(),
                to_permission_arn: CODEBUILD_DEFAULT.into(),
                ..Default::default()
            }))
        }),
        row!("ReplacePermissionAssociations", Receiver, "put the owner's permission on its own shares", NOT_PERMITTED, |e, o| {
            e.ram().replace_permission_associations(e.req(pb::ReplacePermissionAssociationsRequest {
                from_permission_arn: CODEBUILD_DEFAULT.into(),
                to_permission_arn: o.permission.clone(),
                ..Default::default()
            }))
        }),
        // ---- SetDefaultPermissionVersion
        row!("SetDefaultPermissionVersion", Stranger, "make version 2 of the owner's permission the default", UNKNOWN, |e, o| {
            e.ram().set_default_permission_version(e.req(pb::SetDefaultPermissionVersionRequest {
                permission_arn: o.permission.clone(),
                permission_version: 2,
                client_token: None,
            }))
        }),
        row!("SetDefaultPermissionVersion", Receiver, "make version 2 of the owner's permission the default", NOT_PERMITTED, |e, o| {
            e.ram().set_default_permission_version(e.req(pb::SetDefaultPermissionVersionRequest {
                permission_arn: o.permission.clone(),
                permission_version: 2,
                client_token: None,
            }))
        }),
        // ---- TagResource
        row!("TagResource", Stranger, "tag the owner's share", UNKNOWN, |e, o| {
            e.ram().tag_resource(e.req(pb::TagResourceRequest {
                resource_share_arn: Some(o.share.clone()),
                tags: vec![tag("stranger", "was-here")],
                resource_arn: None,
            }))
        }),
        row!("TagResource", Stranger, "tag the owner's permission", NO_ARN, |e, o| {
            e.ram().tag_resource(e.req(pb::TagResourceRequest {
                resource_share_arn: None,
                tags: vec![tag("stranger", "was-here")],
                resource_arn: Some(o.permission.clone()),
            }))
        }),
        row!("TagResource", Receiver, "tag the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().tag_resource(e.req(pb::TagResourceRequest {
                resource_share_arn: Some(o.share.clone()),
                tags: vec![tag("receiver", "was-here")],
                resource_arn: None,
            }))
        }),
        row!("TagResource", Receiver, "tag the owner's permission", NOT_PERMITTED, |e, o| {
            e.ram().tag_resource(e.req(pb::TagResourceRequest {
                resource_share_arn: None,
                tags: vec![tag("receiver", "was-here")],
                resource_arn: Some(o.permission.clone()),
            }))
        }),
        // ---- UntagResource
        row!("UntagResource", Stranger, "untag the owner's share", UNKNOWN, |e, o| {
            e.ram().untag_resource(e.req(pb::UntagResourceRequest {
                resource_share_arn: Some(o.share.clone()),
                tag_keys: vec!["team".into()],
                resource_arn: None,
            }))
        }),
        row!("UntagResource", Stranger, "untag the owner's permission", NO_ARN, |e, o| {
            e.ram().untag_resource(e.req(pb::UntagResourceRequest {
                resource_share_arn: None,
                tag_keys: vec!["env".into()],
                resource_arn: Some(o.permission.clone()),
            }))
        }),
        row!("UntagResource", Receiver, "untag the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().untag_resource(e.req(pb::UntagResourceRequest {
                resource_share_arn: Some(o.share.clone()),
                tag_keys: vec!["team".into()],
                resource_arn: None,
            }))
        }),
        row!("UntagResource", Receiver, "untag the owner's permission", NOT_PERMITTED, |e, o| {
            e.ram().untag_resource(e.req(pb::UntagResourceRequest {
                resource_share_arn: None,
                tag_keys: vec!["env".into()],
                resource_arn: Some(o.permission.clone()),
            }))
        }),
        // ---- UpdatePermission
        row!("UpdatePermission", Stranger, "deprecate the owner's permission", UNKNOWN, |e, o| {
            e.ram().update_permission(e.req(pb::UpdatePermissionRequest {
                permission_arn: o.permission.clone(),
                status: pb::UpdatePermissionStatus::Deprecated as i32,
                client_token: None,
            }))
        }),
        row!("UpdatePermission", Receiver, "deprecate the owner's permission", NOT_PERMITTED, |e, o| {
            e.ram().update_permission(e.req(pb::UpdatePermissionRequest {
                permission_arn: o.permission.clone(),
                status: pb::UpdatePermissionStatus::Deprecated as i32,
                client_token: None,
            }))
        }),
        // ---- UpdateResourceShare
        row!("UpdateResourceShare", Stranger, "rename the owner's share", UNKNOWN, |e, o| {
            e.ram().update_resource_share(e.req(pb::UpdateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                name: Some("stolen".into()),
                allow_external_principals: Some(false),
                client_token: None,
            }))
        }),
        row!("UpdateResourceShare", Receiver, "rename the owner's share", NOT_PERMITTED, |e, o| {
            e.ram().update_resource_share(e.req(pb::UpdateResourceShareRequest {
                resource_share_arn: o.share.clone(),
                name: Some("stolen".into()),
                allow_external_principals: Some(false),
                client_token: None,
            }))
        }),
    ]
}

/// The RPC names of a service in a proto file.
fn proto_rpcs(path: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("rpc "))
        .map(|l| l.split('(').next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn the_matrix_covers_every_ram_operation_with_a_stranger_row() {
    let rpcs = proto_rpcs("proto/ram/v1/ram.proto");
    assert_eq!(rpcs.len(), 36, "{rpcs:?}");
    let rows = rows();
    let covered: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.who == Who::Stranger)
        .map(|r| r.op.to_string())
        .collect();
    let named: BTreeSet<String> = rows.iter().map(|r| r.op.to_string()).collect();
    assert_eq!(
        rpcs.difference(&covered).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "operations without a stranger row"
    );
    assert_eq!(
        named.difference(&rpcs).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "rows naming no operation"
    );
}

#[test]
fn the_admin_matrix_covers_every_admin_rpc() {
    let rpcs = proto_rpcs("proto/ram/admin/v1/admin.proto");
    let covered: BTreeSet<String> = ADMIN_RPCS.iter().map(|n| n.to_string()).collect();
    assert_eq!(covered, rpcs);
}

/// Creates a share as `account` and returns its ARN.
async fn create_share(
    server: &TestServer,
    ident: &Ident,
    account: &str,
    req: pb::CreateResourceShareRequest,
) -> String {
    server
        .ram()
        .create_resource_share(ident.request(account, req))
        .await
        .expect("CreateResourceShare")
        .into_inner()
        .resource_share
        .unwrap()
        .resource_share_arn
}

/// The receiver's invitation to `share`.
async fn invitation_to(server: &TestServer, ident: &Ident, share: &str) -> String {
    let mut found = server
        .ram()
        .get_resource_share_invitations(ident.request(
            RECEIVER,
            pb::GetResourceShareInvitationsRequest {
                resource_share_arns: vec![share.into()],
                ..Default::default()
            },
        ))
        .await
        .expect("GetResourceShareInvitations")
        .into_inner()
        .resource_share_invitations;
    assert_eq!(found.len(), 1, "invitations to {share}");
    found.remove(0).resource_share_invitation_arn
}

/// The owner's world (see `Objects`), plus the organization's root id.
struct World {
    objects: Objects,
    root_id: String,
}

/// Sets up, as the owner, one of everything.
async fn build_world(server: &TestServer, ident: &Ident) -> World {
    let mut ram = server.ram();
    let mut admin = server.admin();
    let org = admin
        .create_organization(ident.admin(admin_pb::CreateOrganizationRequest {
            management_account_id: OWNER.into(),
        }))
        .await
        .expect("CreateOrganization")
        .into_inner()
        .organization
        .unwrap();
    let ou = admin
        .create_organizational_unit(ident.admin(admin_pb::CreateOrganizationalUnitRequest {
            parent_id: org.root_id.clone(),
            name: "Eng".into(),
        }))
        .await
        .expect("CreateOrganizationalUnit")
        .into_inner()
        .organizational_unit
        .unwrap();
    admin
        .add_account(ident.admin(admin_pb::AddAccountRequest {
            account_id: MEMBER_A.into(),
            parent_id: ou.id.clone(),
        }))
        .await
        .expect("AddAccount");
    ram.enable_sharing_with_aws_organization(
        ident.request(OWNER, pb::EnableSharingWithAwsOrganizationRequest {}),
    )
    .await
    .expect("EnableSharingWithAwsOrganization");

    let permission = ram
        .create_permission(ident.request(
            OWNER,
            pb::CreatePermissionRequest {
                name: "IsoPerm".into(),
                resource_type: CMP_TYPE.into(),
                policy_template: TEMPLATE.into(),
                tags: vec![tag("env", "prod")],
                ..Default::default()
            },
        ))
        .await
        .expect("CreatePermission")
        .into_inner()
        .permission
        .unwrap()
        .arn;
    let resource = project(OWNER, "p1");
    let share = create_share(
        server,
        ident,
        OWNER,
        pb::CreateResourceShareRequest {
            name: "main".into(),
            resource_arns: vec![resource.clone()],
            principals: vec![RECEIVER.into()],
            permission_arns: vec![permission.clone()],
            tags: vec![tag("team", "iso")],
            ..Default::default()
        },
    )
    .await;
    ram.create_permission_version(ident.request(
        OWNER,
        pb::CreatePermissionVersionRequest {
            permission_arn: permission.clone(),
            policy_template: TEMPLATE_2.into(),
            ..Default::default()
        },
    ))
    .await
    .expect("CreatePermissionVersion");
    let accepted = invitation_to(server, ident, &share).await;
    ram.accept_resource_share_invitation(ident.request(
        RECEIVER,
        pb::AcceptResourceShareInvitationRequest {
            resource_share_invitation_arn: accepted,
            client_token: None,
        },
    ))
    .await
    .expect("AcceptResourceShareInvitation");
    // After the acceptance, another principal: the OU (and so MEMBER_A).
    ram.associate_resource_share(ident.request(
        OWNER,
        pb::AssociateResourceShareRequest {
            resource_share_arn: share.clone(),
            principals: vec![ou.arn.clone()],
            ..Default::default()
        },
    ))
    .await
    .expect("AssociateResourceShare");

    let pending_share = create_share(
        server,
        ident,
        OWNER,
        pb::CreateResourceShareRequest {
            name: "pending".into(),
            resource_arns: vec![project(OWNER, "p2")],
            principals: vec![RECEIVER.into(), org.arn.clone()],
            ..Default::default()
        },
    )
    .await;
    let invitation = invitation_to(server, ident, &pending_share).await;

    let source_share = create_share(
        server,
        ident,
        OWNER,
        pb::CreateResourceShareRequest {
            name: "service".into(),
            resource_arns: vec![project(OWNER, "p5")],
            principals: vec!["codebuild.amazonaws.com".into()],
            sources: vec![OWNER.into()],
            ..Default::default()
        },
    )
    .await;

    let cfp_resource = project(OWNER, "p3");
    let cfp = admin
        .put_resource_policy(
            ident.admin(admin_pb::PutResourcePolicyRequest {
                resource_arn: cfp_resource.clone(),
                policy: serde_json::json!({"Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": RECEIVER},
                    "Action": "codebuild:StartBuild",
                }]})
                .to_string(),
            }),
        )
        .await
        .expect("PutResourcePolicy")
        .into_inner();
    assert!(
        cfp.permission_arn.contains(":permission/CFP-"),
        "{}",
        cfp.permission_arn
    );

    let work_id = ram
        .replace_permission_associations(ident.request(
            OWNER,
            pb::ReplacePermissionAssociationsRequest {
                from_permission_arn: permission.clone(),
                from_permission_version: Some(1),
                to_permission_arn: permission.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("ReplacePermissionAssociations")
        .into_inner()
        .replace_permission_associations_work
        .unwrap()
        .id;

    World {
        objects: Objects {
            permission,
            share,
            resource,
            pending_share,
            invitation,
            source_share,
            cfp_share: cfp.resource_share_arn,
            cfp_permission: cfp.permission_arn,
            cfp_resource,
            work_id,
            org: org.arn,
            ou: ou.arn,
        },
        root_id: org.root_id,
    }
}

/// Checks one row; returns its failures.
/// `before` is the witnesses' view before the row; the row's failures and
/// the view after it are returned.
async fn check_row(
    server: &TestServer,
    env: Env,
    world: &World,
    row: &Row,
    before: String,
) -> (Vec<String>, String) {
    let real = &world.objects;
    let missing = real.missing();
    let got = (row.call)(env.clone(), real.clone()).await;
    let twin = match row.who {
        Who::Stranger => Some((row.call)(env, missing.clone()).await),
        Who::Receiver | Who::Member => None,
    };
    let after = observe(server, WITNESSES).await;

    let mut failures = Vec::new();
    let name = format!("{} / {:?}: {}", row.op, row.who, row.what);
    let mut expect = |o: &Outcome, which: &str| match (row.expect, o) {
        (
            Expect::Fails(code, reason),
            Outcome::Err {
                code: c, reason: r, ..
            },
        ) if *c == code && r == reason => {}
        (Expect::Empty | Expect::Succeeds, Outcome::Ok(text)) if !text.contains(OWNER) => {}
        (want, o) => failures.push(format!(
            "{name}: {which} object: expected {want:?}, got {}",
            o.short()
        )),
    };
    expect(&got, "real");
    if let Some(twin) = &twin {
        expect(twin, "missing");
        let leak = match row.expect {
            Expect::Succeeds => match (&got, twin) {
                (Outcome::Ok(_), Outcome::Ok(_)) => false,
                _ => got != *twin,
            },
            Expect::Fails(..) | Expect::Empty => got.substituted(&real.pairs(&missing)) != *twin,
        };
        if leak {
            failures.push(format!(
                "{name}: EXISTENCE LEAK: real object -> {}; missing object -> {}",
                got.short(),
                twin.short()
            ));
        }
    }
    if before != after {
        failures.push(format!(
            "{name}: STATE CHANGED (got {}):\n{}",
            got.short(),
            diff(&before, &after)
        ));
    }
    println!(
        "{} {name} -> {}",
        if failures.is_empty() { "PASS" } else { "FAIL" },
        got.short()
    );
    (failures, after)
}

/// The first lines that differ between two dumps.
fn diff(before: &str, after: &str) -> String {
    let b: Vec<&str> = before.lines().collect();
    let a: Vec<&str> = after.lines().collect();
    let mut out = String::new();
    for (i, (x, y)) in b
        .iter()
        .zip(a.iter())
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .take(4)
    {
        out += &format!(
            "  line {i} before: {}\n  line {i} after:  {}\n",
            truncate(x, 600),
            truncate(y, 600)
        );
    }
    if a.len() != b.len() {
        out += &format!("  {} lines before, {} after\n", b.len(), a.len());
    }
    out
}

#[tokio::test]
async fn strangers_learn_nothing_and_change_nothing_and_receivers_cannot_change() {
    let server = TestServer::start().await;
    let world = build_world(&server, &Ident::header()).await;
    // Each caller's own share, with a CodeBuild project of its own.
    let mut own_shares = std::collections::BTreeMap::new();
    for account in [STRANGER, RECEIVER] {
        let arn = create_share(
            &server,
            &Ident::header(),
            account,
            pb::CreateResourceShareRequest {
                name: format!("own-{account}"),
                resource_arns: vec![project(account, "own")],
                ..Default::default()
            },
        )
        .await;
        own_shares.insert(account, arn);
    }
    let mut failures = Vec::new();
    let mut view = observe(&server, WITNESSES).await;
    for row in rows() {
        let account = match row.who {
            Who::Stranger => STRANGER,
            Who::Receiver => RECEIVER,
            Who::Member => MEMBER_A,
        };
        let env = Env {
            channel: server.channel.clone(),
            account,
            own_share: own_shares.get(account).cloned().unwrap_or_default(),
        };
        let (row_failures, after) = check_row(&server, env, &world, &row, view).await;
        failures.extend(row_failures);
        view = after;
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every RPC of `ram.admin.v1.Admin`.
const ADMIN_RPCS: [&str; 9] = [
    "Reset",
    "CreateOrganization",
    "CreateOrganizationalUnit",
    "AddAccount",
    "RemoveAccount",
    "DescribeOrganization",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
    "AdvanceClock",
];

/// The admin RPC `name`, made with `token` and aimed at the owner's world.
async fn admin_call(channel: Channel, token: &str, name: &str, world: &World) -> Outcome {
    use ramd::pb::admin::admin_client::AdminClient;
    let mut admin = AdminClient::new(channel);
    let o = &world.objects;
    match name {
        "Reset" => outcome(
            admin
                .reset(with_token(token, admin_pb::ResetRequest {}))
                .await,
        ),
        "CreateOrganization" => outcome(
            admin
                .create_organization(with_token(
                    token,
                    admin_pb::CreateOrganizationRequest {
                        management_account_id: STRANGER.into(),
                    },
                ))
                .await,
        ),
        "CreateOrganizationalUnit" => outcome(
            admin
                .create_organizational_unit(with_token(
                    token,
                    admin_pb::CreateOrganizationalUnitRequest {
                        parent_id: world.root_id.clone(),
                        name: "Intruders".into(),
                    },
                ))
                .await,
        ),
        "AddAccount" => outcome(
            admin
                .add_account(with_token(
                    token,
                    admin_pb::AddAccountRequest {
                        account_id: STRANGER.into(),
                        parent_id: world.root_id.clone(),
                    },
                ))
                .await,
        ),
        "RemoveAccount" => outcome(
            admin
                .remove_account(with_token(
                    token,
                    admin_pb::RemoveAccountRequest {
                        account_id: MEMBER_A.into(),
                    },
                ))
                .await,
        ),
        "DescribeOrganization" => outcome(
            admin
                .describe_organization(with_token(
                    token,
                    admin_pb::DescribeOrganizationRequest {
                        account_id: OWNER.into(),
                    },
                ))
                .await,
        ),
        "PutResourcePolicy" => outcome(
            admin
                .put_resource_policy(with_token(
                    token,
                    admin_pb::PutResourcePolicyRequest {
                        resource_arn: o.resource.clone(),
                        policy: serde_json::json!({"Statement": [{
                            "Effect": "Allow",
                            "Principal": {"AWS": STRANGER},
                            "Action": "codebuild:StartBuild",
                        }]})
                        .to_string(),
                    },
                ))
                .await,
        ),
        "DeleteResourcePolicy" => outcome(
            admin
                .delete_resource_policy(with_token(
                    token,
                    admin_pb::DeleteResourcePolicyRequest {
                        resource_arn: o.cfp_resource.clone(),
                    },
                ))
                .await,
        ),
        "AdvanceClock" => outcome(
            admin
                .advance_clock(with_token(
                    token,
                    admin_pb::AdvanceClockRequest {
                        seconds: 30 * 24 * 3600,
                    },
                ))
                .await,
        ),
        other => panic!("no admin call for {other}"),
    }
}

#[tokio::test]
async fn admin_rpcs_without_admin_rights_are_denied_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let accounts = [
        (OWNER, OWNER_TOKEN),
        (RECEIVER, RECEIVER_TOKEN),
        (MEMBER_A, MEMBER_TOKEN),
        (STRANGER, STRANGER_TOKEN),
    ];
    let mut tokens: Vec<serde_json::Value> = accounts
        .iter()
        .map(|(a, t)| serde_json::json!({"token": t, "accountId": a, "admin": false}))
        .collect();
    tokens.push(
        serde_json::json!({"token": ADMIN_TOKEN, "accountId": "999988887777", "admin": true}),
    );
    std::fs::write(&path, serde_json::json!({ "tokens": tokens }).to_string()).unwrap();
    let file = path.display().to_string();
    let server = TestServer::start_with(&["--auth", "token", "--tokens-file", &file]).await;
    let ident = Ident::tokens(&accounts, ADMIN_TOKEN);
    let world = build_world(&server, &ident).await;

    let mut failures = Vec::new();
    for name in ADMIN_RPCS {
        // The owner (management account of the organization) and a
        // stranger, neither of them an admin.
        for (who, token) in [("owner", OWNER_TOKEN), ("stranger", STRANGER_TOKEN)] {
            let before = observe_as(&server, &ident, WITNESSES).await;
            let got = admin_call(server.channel.clone(), token, name, &world).await;
            let after = observe_as(&server, &ident, WITNESSES).await;
            let ok = matches!(&got, Outcome::Err { code: Code::PermissionDenied, reason, .. }
                if reason == "AccessDeniedException");
            println!(
                "{} {name} / {who} token -> {}",
                if ok && before == after {
                    "PASS"
                } else {
                    "FAIL"
                },
                got.short()
            );
            if !ok {
                failures.push(format!(
                    "{name} with the {who}'s token: expected PERMISSION_DENIED AccessDeniedException, got {}",
                    got.short()
                ));
            }
            if before != after {
                failures.push(format!(
                    "{name} with the {who}'s token: STATE CHANGED:\n{}",
                    diff(&before, &after)
                ));
            }
        }
    }
    // The admin token still works, so the refusals were about rights.
    let described = server
        .admin()
        .describe_organization(ident.admin(admin_pb::DescribeOrganizationRequest {
            account_id: OWNER.into(),
        }))
        .await;
    assert!(described.is_ok(), "{described:?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
