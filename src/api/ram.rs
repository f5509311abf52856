//! `ram.v1.ResourceAccessManager`: one line per operation, each delegating
//! to a core operation through the helpers of [`Shared`]. The same table
//! gives the journal's replay of every mutating operation, so the two can't
//! drift apart.

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};

use crate::api::{execute_command, execute_mutation, fingerprint, Shared};
use crate::core::clock::Ctx;
use crate::core::state::State;
use crate::core::{
    associations, created_from_policy, invitations, orgs, permissions, principals,
    resource_policies, resource_types, resources, share_permissions, shares, tagging,
};
use crate::error::Error;
use crate::pb::v1 as pb;
use crate::pb::v1::resource_access_manager_server::ResourceAccessManager;
use crate::store::Record;

/// The RAM service.
#[derive(Debug, Clone)]
pub struct RamService {
    shared: Arc<Shared>,
}

impl RamService {
    pub fn new(shared: Arc<Shared>) -> RamService {
        RamService { shared }
    }
}

type Rpc<T> = Result<Response<T>, Status>;

/// Re-applies one journaled operation of a given kind.
macro_rules! replay_one {
    (query, $state:ident, $ctx:ident, $rec:ident, $req:ident, $resp:ident, $op:path) => {
        Err(Error::ServerInternal(format!(
            "{} reads and is never journaled",
            $rec.method
        )))
    };
    (command, $state:ident, $ctx:ident, $rec:ident, $req:ident, $resp:ident, $op:path) => {{
        let req = pb::$req::decode(&$rec.request[..]).map_err(|e| {
            Error::ServerInternal(format!("the journaled request does not decode: {e}"))
        })?;
        execute_command::<_, _, _, pb::$resp>(
            $state,
            $ctx,
            &$rec.method,
            $rec.token.as_deref(),
            req,
            fingerprint(&$rec.request),
            $op,
        )
        .map(|_| ())
    }};
    (mutate, $state:ident, $ctx:ident, $rec:ident, $req:ident, $resp:ident, $op:path) => {{
        let req = pb::$req::decode(&$rec.request[..]).map_err(|e| {
            Error::ServerInternal(format!("the journaled request does not decode: {e}"))
        })?;
        execute_mutation::<_, _, _, pb::$resp>($state, $ctx, req, $op).map(|_| ())
    }};
}

/// The operation table: `kind rpc Name(Request -> Response) core::op;`.
macro_rules! operations {
    ($($kind:ident $fn_name:ident $name:ident($req:ident -> $resp:ident) $op:path;)*) => {
        #[tonic::async_trait]
        impl ResourceAccessManager for RamService {
            $(
                async fn $fn_name(&self, req: Request<pb::$req>) -> Rpc<pb::$resp> {
                    self.shared.$kind(stringify!($name), req, $op).await
                }
            )*
        }

        impl RamService {
            /// Runs the operation `name` on a protobuf-encoded request and
            /// returns the encoded response, through the same trait method
            /// (and so the same identity, idempotency, journal and logging)
            /// as a gRPC call. `None` when there is no such operation. This
            /// is how the AWS-protocol front end (`crate::aws`) reaches the
            /// core.
            pub async fn call_encoded(
                &self,
                name: &str,
                req: Request<bytes::Bytes>,
            ) -> Option<Result<Vec<u8>, Status>> {
                match name {
                    $(stringify!($name) => Some(async {
                        let (metadata, extensions, body) = req.into_parts();
                        let message = pb::$req::decode(body).map_err(|e| {
                            Status::invalid_argument(format!("the request does not decode: {e}"))
                        })?;
                        let req = Request::from_parts(metadata, extensions, message);
                        let resp = ResourceAccessManager::$fn_name(self, req).await?;
                        Ok(resp.into_inner().encode_to_vec())
                    }.await),)*
                    _ => None,
                }
            }
        }

        /// Applies a journaled RAM operation again; `None` when the record is
        /// not a RAM operation.
        pub fn replay(state: &mut State, ctx: &Ctx, rec: &Record) -> Option<Result<(), Error>> {
            let mut run = || -> Result<(), Error> {
                match rec.method.as_str() {
                    $(stringify!($name) => replay_one!($kind, state, ctx, rec, $req, $resp, $op),)*
                    _ => unreachable!("checked below"),
                }
            };
            match rec.method.as_str() {
                $(stringify!($name))|* => Some(run()),
                _ => None,
            }
        }
    };
}

/// The table of every RAM operation: `kind rpc Name(Request -> Response)
/// core::op;`, where kind is `query`, `command` or `mutate`. Passes the
/// table to the macro `$callback`, so other code (the service below, the
/// replay, the benchmark's no-op server) is generated from one list.
#[macro_export]
macro_rules! with_ram_operations {
    ($callback:ident) => {
        $callback! {
        command accept_resource_share_invitation AcceptResourceShareInvitation(AcceptResourceShareInvitationRequest -> AcceptResourceShareInvitationResponse) invitations::accept_resource_share_invitation;
        command associate_resource_share AssociateResourceShare(AssociateResourceShareRequest -> AssociateResourceShareResponse) associations::associate_resource_share;
        command associate_resource_share_permission AssociateResourceSharePermission(AssociateResourceSharePermissionRequest -> AssociateResourceSharePermissionResponse) share_permissions::associate_resource_share_permission;
        command create_permission CreatePermission(CreatePermissionRequest -> CreatePermissionResponse) permissions::create_permission;
        command create_permission_version CreatePermissionVersion(CreatePermissionVersionRequest -> CreatePermissionVersionResponse) permissions::create_permission_version;
        command create_resource_share CreateResourceShare(CreateResourceShareRequest -> CreateResourceShareResponse) shares::create_resource_share;
        command delete_permission DeletePermission(DeletePermissionRequest -> DeletePermissionResponse) permissions::delete_permission;
        command delete_permission_version DeletePermissionVersion(DeletePermissionVersionRequest -> DeletePermissionVersionResponse) permissions::delete_permission_version;
        command delete_resource_share DeleteResourceShare(DeleteResourceShareRequest -> DeleteResourceShareResponse) shares::delete_resource_share;
        command disassociate_resource_share DisassociateResourceShare(DisassociateResourceShareRequest -> DisassociateResourceShareResponse) associations::disassociate_resource_share;
        command disassociate_resource_share_permission DisassociateResourceSharePermission(DisassociateResourceSharePermissionRequest -> DisassociateResourceSharePermissionResponse) share_permissions::disassociate_resource_share_permission;
        mutate enable_sharing_with_aws_organization EnableSharingWithAwsOrganization(EnableSharingWithAwsOrganizationRequest -> EnableSharingWithAwsOrganizationResponse) orgs::enable_sharing_with_aws_organization;
        query get_permission GetPermission(GetPermissionRequest -> GetPermissionResponse) permissions::get_permission;
        query get_resource_policies GetResourcePolicies(GetResourcePoliciesRequest -> GetResourcePoliciesResponse) resource_policies::get_resource_policies;
        query get_resource_share_associations GetResourceShareAssociations(GetResourceShareAssociationsRequest -> GetResourceShareAssociationsResponse) associations::get_resource_share_associations;
        query get_resource_share_invitations GetResourceShareInvitations(GetResourceShareInvitationsRequest -> GetResourceShareInvitationsResponse) invitations::get_resource_share_invitations;
        query get_resource_shares GetResourceShares(GetResourceSharesRequest -> GetResourceSharesResponse) shares::get_resource_shares;
        query list_pending_invitation_resources ListPendingInvitationResources(ListPendingInvitationResourcesRequest -> ListPendingInvitationResourcesResponse) invitations::list_pending_invitation_resources;
        query list_permission_associations ListPermissionAssociations(ListPermissionAssociationsRequest -> ListPermissionAssociationsResponse) share_permissions::list_permission_associations;
        query list_permission_versions ListPermissionVersions(ListPermissionVersionsRequest -> ListPermissionVersionsResponse) permissions::list_permission_versions;
        query list_permissions ListPermissions(ListPermissionsRequest -> ListPermissionsResponse) permissions::list_permissions;
        query list_principals ListPrincipals(ListPrincipalsRequest -> ListPrincipalsResponse) principals::list_principals;
        query list_replace_permission_associations_work ListReplacePermissionAssociationsWork(ListReplacePermissionAssociationsWorkRequest -> ListReplacePermissionAssociationsWorkResponse) share_permissions::list_replace_permission_associations_work;
        query list_resource_share_permissions ListResourceSharePermissions(ListResourceSharePermissionsRequest -> ListResourceSharePermissionsResponse) share_permissions::list_resource_share_permissions;
        query list_resource_types ListResourceTypes(ListResourceTypesRequest -> ListResourceTypesResponse) resource_types::list_resource_types;
        query list_resources ListResources(ListResourcesRequest -> ListResourcesResponse) resources::list_resources;
        query list_source_associations ListSourceAssociations(ListSourceAssociationsRequest -> ListSourceAssociationsResponse) associations::list_source_associations;
        command promote_permission_created_from_policy PromotePermissionCreatedFromPolicy(PromotePermissionCreatedFromPolicyRequest -> PromotePermissionCreatedFromPolicyResponse) created_from_policy::promote_permission_created_from_policy;
        mutate promote_resource_share_created_from_policy PromoteResourceShareCreatedFromPolicy(PromoteResourceShareCreatedFromPolicyRequest -> PromoteResourceShareCreatedFromPolicyResponse) created_from_policy::promote_resource_share_created_from_policy;
        command reject_resource_share_invitation RejectResourceShareInvitation(RejectResourceShareInvitationRequest -> RejectResourceShareInvitationResponse) invitations::reject_resource_share_invitation;
        command replace_permission_associations ReplacePermissionAssociations(ReplacePermissionAssociationsRequest -> ReplacePermissionAssociationsResponse) share_permissions::replace_permission_associations;
        command set_default_permission_version SetDefaultPermissionVersion(SetDefaultPermissionVersionRequest -> SetDefaultPermissionVersionResponse) permissions::set_default_permission_version;
        mutate tag_resource TagResource(TagResourceRequest -> TagResourceResponse) tagging::tag_resource;
        mutate untag_resource UntagResource(UntagResourceRequest -> UntagResourceResponse) tagging::untag_resource;
        command update_permission UpdatePermission(UpdatePermissionRequest -> UpdatePermissionResponse) permissions::update_permission;
        command update_resource_share UpdateResourceShare(UpdateResourceShareRequest -> UpdateResourceShareResponse) shares::update_resource_share;
        }
    };
}

with_ram_operations!(operations);
