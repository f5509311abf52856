//! `ram.v1.ResourceAccessManager`: one line per operation, each delegating
//! to a core operation through the helpers of [`Shared`].

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::api::Shared;
use crate::core::{
    associations, created_from_policy, invitations, orgs, permissions, principals,
    resource_policies, resource_types, resources, share_permissions, shares, tagging,
};
use crate::pb::v1 as pb;
use crate::pb::v1::resource_access_manager_server::ResourceAccessManager;

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

#[tonic::async_trait]
impl ResourceAccessManager for RamService {
    async fn accept_resource_share_invitation(
        &self,
        req: Request<pb::AcceptResourceShareInvitationRequest>,
    ) -> Rpc<pb::AcceptResourceShareInvitationResponse> {
        self.shared
            .command(
                "AcceptResourceShareInvitation",
                req,
                invitations::accept_resource_share_invitation,
            )
            .await
    }

    async fn associate_resource_share(
        &self,
        req: Request<pb::AssociateResourceShareRequest>,
    ) -> Rpc<pb::AssociateResourceShareResponse> {
        self.shared
            .command(
                "AssociateResourceShare",
                req,
                associations::associate_resource_share,
            )
            .await
    }

    async fn associate_resource_share_permission(
        &self,
        req: Request<pb::AssociateResourceSharePermissionRequest>,
    ) -> Rpc<pb::AssociateResourceSharePermissionResponse> {
        self.shared
            .command(
                "AssociateResourceSharePermission",
                req,
                share_permissions::associate_resource_share_permission,
            )
            .await
    }

    async fn create_permission(
        &self,
        req: Request<pb::CreatePermissionRequest>,
    ) -> Rpc<pb::CreatePermissionResponse> {
        self.shared
            .command("CreatePermission", req, permissions::create_permission)
            .await
    }

    async fn create_permission_version(
        &self,
        req: Request<pb::CreatePermissionVersionRequest>,
    ) -> Rpc<pb::CreatePermissionVersionResponse> {
        self.shared
            .command(
                "CreatePermissionVersion",
                req,
                permissions::create_permission_version,
            )
            .await
    }

    async fn create_resource_share(
        &self,
        req: Request<pb::CreateResourceShareRequest>,
    ) -> Rpc<pb::CreateResourceShareResponse> {
        self.shared
            .command("CreateResourceShare", req, shares::create_resource_share)
            .await
    }

    async fn delete_permission(
        &self,
        req: Request<pb::DeletePermissionRequest>,
    ) -> Rpc<pb::DeletePermissionResponse> {
        self.shared
            .command("DeletePermission", req, permissions::delete_permission)
            .await
    }

    async fn delete_permission_version(
        &self,
        req: Request<pb::DeletePermissionVersionRequest>,
    ) -> Rpc<pb::DeletePermissionVersionResponse> {
        self.shared
            .command(
                "DeletePermissionVersion",
                req,
                permissions::delete_permission_version,
            )
            .await
    }

    async fn delete_resource_share(
        &self,
        req: Request<pb::DeleteResourceShareRequest>,
    ) -> Rpc<pb::DeleteResourceShareResponse> {
        self.shared
            .command("DeleteResourceShare", req, shares::delete_resource_share)
            .await
    }

    async fn disassociate_resource_share(
        &self,
        req: Request<pb::DisassociateResourceShareRequest>,
    ) -> Rpc<pb::DisassociateResourceShareResponse> {
        self.shared
            .command(
                "DisassociateResourceShare",
                req,
                associations::disassociate_resource_share,
            )
            .await
    }

    async fn disassociate_resource_share_permission(
        &self,
        req: Request<pb::DisassociateResourceSharePermissionRequest>,
    ) -> Rpc<pb::DisassociateResourceSharePermissionResponse> {
        self.shared
            .command(
                "DisassociateResourceSharePermission",
                req,
                share_permissions::disassociate_resource_share_permission,
            )
            .await
    }

    async fn enable_sharing_with_aws_organization(
        &self,
        req: Request<pb::EnableSharingWithAwsOrganizationRequest>,
    ) -> Rpc<pb::EnableSharingWithAwsOrganizationResponse> {
        self.shared
            .mutate(
                "EnableSharingWithAwsOrganization",
                req,
                orgs::enable_sharing_with_aws_organization,
            )
            .await
    }

    async fn get_permission(
        &self,
        req: Request<pb::GetPermissionRequest>,
    ) -> Rpc<pb::GetPermissionResponse> {
        self.shared
            .query("GetPermission", req, permissions::get_permission)
            .await
    }

    async fn get_resource_policies(
        &self,
        req: Request<pb::GetResourcePoliciesRequest>,
    ) -> Rpc<pb::GetResourcePoliciesResponse> {
        self.shared
            .query(
                "GetResourcePolicies",
                req,
                resource_policies::get_resource_policies,
            )
            .await
    }

    async fn get_resource_share_associations(
        &self,
        req: Request<pb::GetResourceShareAssociationsRequest>,
    ) -> Rpc<pb::GetResourceShareAssociationsResponse> {
        self.shared
            .query(
                "GetResourceShareAssociations",
                req,
                associations::get_resource_share_associations,
            )
            .await
    }

    async fn get_resource_share_invitations(
        &self,
        req: Request<pb::GetResourceShareInvitationsRequest>,
    ) -> Rpc<pb::GetResourceShareInvitationsResponse> {
        self.shared
            .query(
                "GetResourceShareInvitations",
                req,
                invitations::get_resource_share_invitations,
            )
            .await
    }

    async fn get_resource_shares(
        &self,
        req: Request<pb::GetResourceSharesRequest>,
    ) -> Rpc<pb::GetResourceSharesResponse> {
        self.shared
            .query("GetResourceShares", req, shares::get_resource_shares)
            .await
    }

    async fn list_pending_invitation_resources(
        &self,
        req: Request<pb::ListPendingInvitationResourcesRequest>,
    ) -> Rpc<pb::ListPendingInvitationResourcesResponse> {
        self.shared
            .query(
                "ListPendingInvitationResources",
                req,
                invitations::list_pending_invitation_resources,
            )
            .await
    }

    async fn list_permission_associations(
        &self,
        req: Request<pb::ListPermissionAssociationsRequest>,
    ) -> Rpc<pb::ListPermissionAssociationsResponse> {
        self.shared
            .query(
                "ListPermissionAssociations",
                req,
                share_permissions::list_permission_associations,
            )
            .await
    }

    async fn list_permission_versions(
        &self,
        req: Request<pb::ListPermissionVersionsRequest>,
    ) -> Rpc<pb::ListPermissionVersionsResponse> {
        self.shared
            .query(
                "ListPermissionVersions",
                req,
                permissions::list_permission_versions,
            )
            .await
    }

    async fn list_permissions(
        &self,
        req: Request<pb::ListPermissionsRequest>,
    ) -> Rpc<pb::ListPermissionsResponse> {
        self.shared
            .query("ListPermissions", req, permissions::list_permissions)
            .await
    }

    async fn list_principals(
        &self,
        req: Request<pb::ListPrincipalsRequest>,
    ) -> Rpc<pb::ListPrincipalsResponse> {
        self.shared
            .query("ListPrincipals", req, principals::list_principals)
            .await
    }

    async fn list_replace_permission_associations_work(
        &self,
        req: Request<pb::ListReplacePermissionAssociationsWorkRequest>,
    ) -> Rpc<pb::ListReplacePermissionAssociationsWorkResponse> {
        self.shared
            .query(
                "ListReplacePermissionAssociationsWork",
                req,
                share_permissions::list_replace_permission_associations_work,
            )
            .await
    }

    async fn list_resource_share_permissions(
        &self,
        req: Request<pb::ListResourceSharePermissionsRequest>,
    ) -> Rpc<pb::ListResourceSharePermissionsResponse> {
        self.shared
            .query(
                "ListResourceSharePermissions",
                req,
                share_permissions::list_resource_share_permissions,
            )
            .await
    }

    async fn list_resource_types(
        &self,
        req: Request<pb::ListResourceTypesRequest>,
    ) -> Rpc<pb::ListResourceTypesResponse> {
        self.shared
            .query(
                "ListResourceTypes",
                req,
                resource_types::list_resource_types,
            )
            .await
    }

    async fn list_resources(
        &self,
        req: Request<pb::ListResourcesRequest>,
    ) -> Rpc<pb::ListResourcesResponse> {
        self.shared
            .query("ListResources", req, resources::list_resources)
            .await
    }

    async fn list_source_associations(
        &self,
        req: Request<pb::ListSourceAssociationsRequest>,
    ) -> Rpc<pb::ListSourceAssociationsResponse> {
        self.shared
            .query(
                "ListSourceAssociations",
                req,
                associations::list_source_associations,
            )
            .await
    }

    async fn promote_permission_created_from_policy(
        &self,
        req: Request<pb::PromotePermissionCreatedFromPolicyRequest>,
    ) -> Rpc<pb::PromotePermissionCreatedFromPolicyResponse> {
        self.shared
            .command(
                "PromotePermissionCreatedFromPolicy",
                req,
                created_from_policy::promote_permission_created_from_policy,
            )
            .await
    }

    async fn promote_resource_share_created_from_policy(
        &self,
        req: Request<pb::PromoteResourceShareCreatedFromPolicyRequest>,
    ) -> Rpc<pb::PromoteResourceShareCreatedFromPolicyResponse> {
        self.shared
            .mutate(
                "PromoteResourceShareCreatedFromPolicy",
                req,
                created_from_policy::promote_resource_share_created_from_policy,
            )
            .await
    }

    async fn reject_resource_share_invitation(
        &self,
        req: Request<pb::RejectResourceShareInvitationRequest>,
    ) -> Rpc<pb::RejectResourceShareInvitationResponse> {
        self.shared
            .command(
                "RejectResourceShareInvitation",
                req,
                invitations::reject_resource_share_invitation,
            )
            .await
    }

    async fn replace_permission_associations(
        &self,
        req: Request<pb::ReplacePermissionAssociationsRequest>,
    ) -> Rpc<pb::ReplacePermissionAssociationsResponse> {
        self.shared
            .command(
                "ReplacePermissionAssociations",
                req,
                share_permissions::replace_permission_associations,
            )
            .await
    }

    async fn set_default_permission_version(
        &self,
        req: Request<pb::SetDefaultPermissionVersionRequest>,
    ) -> Rpc<pb::SetDefaultPermissionVersionResponse> {
        self.shared
            .command(
                "SetDefaultPermissionVersion",
                req,
                permissions::set_default_permission_version,
            )
            .await
    }

    async fn tag_resource(
        &self,
        req: Request<pb::TagResourceRequest>,
    ) -> Rpc<pb::TagResourceResponse> {
        self.shared
            .mutate("TagResource", req, tagging::tag_resource)
            .await
    }

    async fn untag_resource(
        &self,
        req: Request<pb::UntagResourceRequest>,
    ) -> Rpc<pb::UntagResourceResponse> {
        self.shared
            .mutate("UntagResource", req, tagging::untag_resource)
            .await
    }

    async fn update_permission(
        &self,
        req: Request<pb::UpdatePermissionRequest>,
    ) -> Rpc<pb::UpdatePermissionResponse> {
        self.shared
            .command("UpdatePermission", req, permissions::update_permission)
            .await
    }

    async fn update_resource_share(
        &self,
        req: Request<pb::UpdateResourceShareRequest>,
    ) -> Rpc<pb::UpdateResourceShareResponse> {
        self.shared
            .command("UpdateResourceShare", req, shares::update_resource_share)
            .await
    }
}
