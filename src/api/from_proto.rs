//! Conversions from generated request messages to core inputs. Enum values
//! are checked here; everything else (ARNs, names, templates) is validated
//! by the core operation, which owns the rules.

use crate::core::associations::{
    Entities, GetResourceShareAssociationsInput, ListSourceAssociationsInput, ShareEntitiesInput,
};
use crate::core::created_from_policy::{PromotePermissionInput, PromoteResourceShareInput};
use crate::core::invitations::{
    GetResourceShareInvitationsInput, InvitationInput, ListPendingInvitationResourcesInput,
};
use crate::core::permissions::{
    CreatePermissionInput, CreatePermissionVersionInput, DeletePermissionInput,
    DeletePermissionVersionInput, FeatureSet, GetPermissionInput, ListPermissionVersionsInput,
    ListPermissionsInput, PermissionStatus, PermissionTypeFilter, ResourceOwner,
    SetDefaultPermissionVersionInput, UpdatePermissionInput,
};
use crate::core::policy::{TemplateParameterDecl, TemplateParameterType};
use crate::core::principals::ListPrincipalsInput;
use crate::core::resource_policies::GetResourcePoliciesInput;
use crate::core::resource_types::{ListResourceTypesInput, RegionScopeFilter};
use crate::core::resources::ListResourcesInput;
use crate::core::share_permissions::{
    AssociateResourceSharePermissionInput, DisassociateResourceSharePermissionInput,
    ListPermissionAssociationsInput, ListReplacePermissionAssociationsWorkInput,
    ListResourceSharePermissionsInput, ReplacePermissionAssociationsInput, WorkStatus,
};
use crate::core::shares::{
    AssociationStatus, AssociationType, CreateResourceShareInput, DeleteResourceShareInput,
    GetResourceSharesInput, ShareStatus, UpdateResourceShareInput,
};
use crate::core::tagging::{TagResourceInput, TagTarget, UntagResourceInput};
use crate::core::tags::TagFilter;
use crate::core::PageInput;
use crate::error::Error;
use crate::pb::v1 as pb;

fn bad_enum(member: &str, value: i32) -> Error {
    Error::InvalidParameter(format!("{value} is not a valid value for {member}."))
}

/// Reads an enum field: `None` for UNSPECIFIED, an error for unknown values.
fn enum_field<E: TryFrom<i32>>(member: &str, value: i32) -> Result<Option<E>, Error> {
    if value == 0 {
        return Ok(None);
    }
    E::try_from(value)
        .map(Some)
        .map_err(|_| bad_enum(member, value))
}

fn page(max_results: Option<i32>, next_token: Option<String>) -> PageInput {
    PageInput {
        max_results,
        next_token: next_token.filter(|t| !t.is_empty()),
    }
}

fn tags(tags: Vec<pb::Tag>) -> Vec<(String, String)> {
    tags.into_iter().map(|t| (t.key, t.value)).collect()
}

fn decls(
    list: Vec<pb::PermissionTemplateParameterDeclaration>,
) -> Result<Vec<TemplateParameterDecl>, Error> {
    list.into_iter()
        .map(|d| {
            let kind = match enum_field::<pb::PermissionTemplateParameterType>(
                "permissionTemplateParameters.type",
                d.r#type,
            )? {
                None => {
                    return Err(Error::missing("permissionTemplateParameters.type"));
                }
                Some(pb::PermissionTemplateParameterType::String) => TemplateParameterType::String,
                Some(pb::PermissionTemplateParameterType::StringList) => {
                    TemplateParameterType::StringList
                }
                Some(pb::PermissionTemplateParameterType::Unspecified) => unreachable!(),
            };
            Ok(TemplateParameterDecl {
                name: d.name,
                kind,
                description: Some(d.description).filter(|s| !s.is_empty()),
            })
        })
        .collect()
}

fn values(list: Vec<pb::PermissionTemplateParameterInput>) -> Vec<(String, Vec<String>)> {
    list.into_iter().map(|p| (p.name, p.values)).collect()
}

/// A required integer member where 0 means absent.
fn required_int(v: i32) -> Option<i32> {
    Some(v).filter(|v| *v != 0)
}

fn permission_status(member: &str, v: i32) -> Result<Option<PermissionStatus>, Error> {
    Ok(
        enum_field::<pb::PermissionStatus>(member, v)?.map(|s| match s {
            pb::PermissionStatus::Attachable => PermissionStatus::Attachable,
            pb::PermissionStatus::Unattachable => PermissionStatus::Unattachable,
            pb::PermissionStatus::Deleting => PermissionStatus::Deleting,
            pb::PermissionStatus::Deleted => PermissionStatus::Deleted,
            pb::PermissionStatus::Deprecated => PermissionStatus::Deprecated,
            pb::PermissionStatus::Unspecified => unreachable!(),
        }),
    )
}

fn resource_owner(v: i32) -> Result<Option<ResourceOwner>, Error> {
    Ok(
        enum_field::<pb::ResourceOwner>("resourceOwner", v)?.map(|o| match o {
            pb::ResourceOwner::Self_ => ResourceOwner::SelfAccount,
            pb::ResourceOwner::OtherAccounts => ResourceOwner::OtherAccounts,
            pb::ResourceOwner::Unspecified => unreachable!(),
        }),
    )
}

fn region_scope_filter(v: i32) -> Result<RegionScopeFilter, Error> {
    Ok(
        match enum_field::<pb::ResourceRegionScopeFilter>("resourceRegionScope", v)? {
            None | Some(pb::ResourceRegionScopeFilter::All) => RegionScopeFilter::All,
            Some(pb::ResourceRegionScopeFilter::Regional) => RegionScopeFilter::Regional,
            Some(pb::ResourceRegionScopeFilter::Global) => RegionScopeFilter::Global,
            Some(pb::ResourceRegionScopeFilter::Unspecified) => unreachable!(),
        },
    )
}

impl TryFrom<pb::CreatePermissionRequest> for CreatePermissionInput {
    type Error = Error;
    fn try_from(r: pb::CreatePermissionRequest) -> Result<Self, Error> {
        Ok(CreatePermissionInput {
            name: r.name,
            resource_type: r.resource_type,
            policy_template: r.policy_template,
            parameters: decls(r.permission_template_parameters)?,
            tags: tags(r.tags),
        })
    }
}

impl TryFrom<pb::CreatePermissionVersionRequest> for CreatePermissionVersionInput {
    type Error = Error;
    fn try_from(r: pb::CreatePermissionVersionRequest) -> Result<Self, Error> {
        Ok(CreatePermissionVersionInput {
            permission_arn: r.permission_arn,
            policy_template: r.policy_template,
            parameters: decls(r.permission_template_parameters)?,
        })
    }
}

impl TryFrom<pb::GetPermissionRequest> for GetPermissionInput {
    type Error = Error;
    fn try_from(r: pb::GetPermissionRequest) -> Result<Self, Error> {
        Ok(GetPermissionInput {
            permission_arn: r.permission_arn,
            permission_version: r.permission_version,
            parameter_values: values(r.permission_template_parameters),
        })
    }
}

impl TryFrom<pb::ListPermissionsRequest> for ListPermissionsInput {
    type Error = Error;
    fn try_from(r: pb::ListPermissionsRequest) -> Result<Self, Error> {
        let permission_type =
            match enum_field::<pb::PermissionTypeFilter>("permissionType", r.permission_type)? {
                None | Some(pb::PermissionTypeFilter::All) => PermissionTypeFilter::All,
                Some(pb::PermissionTypeFilter::AwsManaged) => PermissionTypeFilter::AwsManaged,
                Some(pb::PermissionTypeFilter::CustomerManaged) => {
                    PermissionTypeFilter::CustomerManaged
                }
                Some(pb::PermissionTypeFilter::Unspecified) => unreachable!(),
            };
        Ok(ListPermissionsInput {
            resource_type: r.resource_type.filter(|s| !s.is_empty()),
            permission_type,
            permission_status: permission_status("permissionStatus", r.permission_status)?,
            resource_owner: resource_owner(r.resource_owner)?,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::ListPermissionVersionsRequest> for ListPermissionVersionsInput {
    type Error = Error;
    fn try_from(r: pb::ListPermissionVersionsRequest) -> Result<Self, Error> {
        Ok(ListPermissionVersionsInput {
            permission_arn: r.permission_arn,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::SetDefaultPermissionVersionRequest> for SetDefaultPermissionVersionInput {
    type Error = Error;
    fn try_from(r: pb::SetDefaultPermissionVersionRequest) -> Result<Self, Error> {
        Ok(SetDefaultPermissionVersionInput {
            permission_arn: r.permission_arn,
            permission_version: required_int(r.permission_version),
        })
    }
}

impl TryFrom<pb::DeletePermissionVersionRequest> for DeletePermissionVersionInput {
    type Error = Error;
    fn try_from(r: pb::DeletePermissionVersionRequest) -> Result<Self, Error> {
        Ok(DeletePermissionVersionInput {
            permission_arn: r.permission_arn,
            permission_version: required_int(r.permission_version),
        })
    }
}

impl TryFrom<pb::DeletePermissionRequest> for DeletePermissionInput {
    type Error = Error;
    fn try_from(r: pb::DeletePermissionRequest) -> Result<Self, Error> {
        Ok(DeletePermissionInput {
            permission_arn: r.permission_arn,
        })
    }
}

impl TryFrom<pb::UpdatePermissionRequest> for UpdatePermissionInput {
    type Error = Error;
    fn try_from(r: pb::UpdatePermissionRequest) -> Result<Self, Error> {
        let status =
            enum_field::<pb::UpdatePermissionStatus>("status", r.status)?.map(|s| match s {
                pb::UpdatePermissionStatus::Attachable => PermissionStatus::Attachable,
                pb::UpdatePermissionStatus::Deprecated => PermissionStatus::Deprecated,
                pb::UpdatePermissionStatus::Unspecified => unreachable!(),
            });
        Ok(UpdatePermissionInput {
            permission_arn: r.permission_arn,
            status,
        })
    }
}

impl TryFrom<pb::ListResourceTypesRequest> for ListResourceTypesInput {
    type Error = Error;
    fn try_from(r: pb::ListResourceTypesRequest) -> Result<Self, Error> {
        Ok(ListResourceTypesInput {
            scope: region_scope_filter(r.resource_region_scope)?,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::TagResourceRequest> for TagResourceInput {
    type Error = Error;
    fn try_from(r: pb::TagResourceRequest) -> Result<Self, Error> {
        Ok(TagResourceInput {
            target: TagTarget {
                resource_share_arn: r.resource_share_arn,
                resource_arn: r.resource_arn,
            },
            tags: tags(r.tags),
        })
    }
}

impl TryFrom<pb::UntagResourceRequest> for UntagResourceInput {
    type Error = Error;
    fn try_from(r: pb::UntagResourceRequest) -> Result<Self, Error> {
        Ok(UntagResourceInput {
            target: TagTarget {
                resource_share_arn: r.resource_share_arn,
                resource_arn: r.resource_arn,
            },
            tag_keys: r.tag_keys,
        })
    }
}

fn share_status(v: i32) -> Result<Option<ShareStatus>, Error> {
    Ok(
        enum_field::<pb::ResourceShareStatus>("resourceShareStatus", v)?.map(|s| match s {
            pb::ResourceShareStatus::Pending => ShareStatus::Pending,
            pb::ResourceShareStatus::Active => ShareStatus::Active,
            pb::ResourceShareStatus::Failed => ShareStatus::Failed,
            pb::ResourceShareStatus::Deleting => ShareStatus::Deleting,
            pb::ResourceShareStatus::Deleted => ShareStatus::Deleted,
            pb::ResourceShareStatus::Unspecified => unreachable!(),
        }),
    )
}

fn association_status(v: i32) -> Result<Option<AssociationStatus>, Error> {
    Ok(
        enum_field::<pb::ResourceShareAssociationStatus>("associationStatus", v)?.map(
            |s| match s {
                pb::ResourceShareAssociationStatus::Associating => AssociationStatus::Associating,
                pb::ResourceShareAssociationStatus::Associated => AssociationStatus::Associated,
                pb::ResourceShareAssociationStatus::Failed => AssociationStatus::Failed,
                pb::ResourceShareAssociationStatus::Disassociating => {
                    AssociationStatus::Disassociating
                }
                pb::ResourceShareAssociationStatus::Disassociated => {
                    AssociationStatus::Disassociated
                }
                pb::ResourceShareAssociationStatus::Suspended => AssociationStatus::Suspended,
                pb::ResourceShareAssociationStatus::Suspending => AssociationStatus::Suspending,
                pb::ResourceShareAssociationStatus::Restoring => AssociationStatus::Restoring,
                pb::ResourceShareAssociationStatus::Unspecified => unreachable!(),
            },
        ),
    )
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl TryFrom<pb::CreateResourceShareRequest> for CreateResourceShareInput {
    type Error = Error;
    fn try_from(r: pb::CreateResourceShareRequest) -> Result<Self, Error> {
        Ok(CreateResourceShareInput {
            name: r.name,
            entities: Entities {
                resource_arns: r.resource_arns,
                principals: r.principals,
                sources: r.sources,
            },
            tags: tags(r.tags),
            allow_external_principals: r.allow_external_principals,
            permission_arns: r.permission_arns,
            permission_parameters: r
                .permission_template_parameters
                .into_iter()
                .map(|p| (p.permission_arn, values(p.permission_template_parameters)))
                .collect(),
            retain_sharing_on_account_leave_organization: r
                .resource_share_configuration
                .and_then(|c| c.retain_sharing_on_account_leave_organization),
        })
    }
}

impl TryFrom<pb::GetResourceSharesRequest> for GetResourceSharesInput {
    type Error = Error;
    fn try_from(r: pb::GetResourceSharesRequest) -> Result<Self, Error> {
        Ok(GetResourceSharesInput {
            resource_owner: resource_owner(r.resource_owner)?,
            resource_share_arns: r.resource_share_arns,
            status: share_status(r.resource_share_status)?,
            name: non_empty(r.name),
            tag_filters: r
                .tag_filters
                .into_iter()
                .map(|f| TagFilter {
                    tag_key: f.tag_key,
                    tag_values: f.tag_values,
                })
                .collect(),
            permission_arn: non_empty(r.permission_arn),
            permission_version: r.permission_version,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::UpdateResourceShareRequest> for UpdateResourceShareInput {
    type Error = Error;
    fn try_from(r: pb::UpdateResourceShareRequest) -> Result<Self, Error> {
        Ok(UpdateResourceShareInput {
            resource_share_arn: r.resource_share_arn,
            name: r.name,
            allow_external_principals: r.allow_external_principals,
        })
    }
}

impl TryFrom<pb::DeleteResourceShareRequest> for DeleteResourceShareInput {
    type Error = Error;
    fn try_from(r: pb::DeleteResourceShareRequest) -> Result<Self, Error> {
        Ok(DeleteResourceShareInput {
            resource_share_arn: r.resource_share_arn,
        })
    }
}

impl TryFrom<pb::AssociateResourceShareRequest> for ShareEntitiesInput {
    type Error = Error;
    fn try_from(r: pb::AssociateResourceShareRequest) -> Result<Self, Error> {
        Ok(ShareEntitiesInput {
            resource_share_arn: r.resource_share_arn,
            entities: Entities {
                resource_arns: r.resource_arns,
                principals: r.principals,
                sources: r.sources,
            },
        })
    }
}

impl TryFrom<pb::DisassociateResourceShareRequest> for ShareEntitiesInput {
    type Error = Error;
    fn try_from(r: pb::DisassociateResourceShareRequest) -> Result<Self, Error> {
        Ok(ShareEntitiesInput {
            resource_share_arn: r.resource_share_arn,
            entities: Entities {
                resource_arns: r.resource_arns,
                principals: r.principals,
                sources: r.sources,
            },
        })
    }
}

impl TryFrom<pb::GetResourceShareAssociationsRequest> for GetResourceShareAssociationsInput {
    type Error = Error;
    fn try_from(r: pb::GetResourceShareAssociationsRequest) -> Result<Self, Error> {
        let association_type =
            enum_field::<pb::ResourceShareAssociationType>("associationType", r.association_type)?
                .map(|t| match t {
                    pb::ResourceShareAssociationType::Principal => AssociationType::Principal,
                    pb::ResourceShareAssociationType::Resource => AssociationType::Resource,
                    pb::ResourceShareAssociationType::Source => AssociationType::Source,
                    pb::ResourceShareAssociationType::Unspecified => unreachable!(),
                });
        Ok(GetResourceShareAssociationsInput {
            association_type,
            resource_share_arns: r.resource_share_arns,
            resource_arn: non_empty(r.resource_arn),
            principal: non_empty(r.principal),
            status: association_status(r.association_status)?,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::ListResourcesRequest> for ListResourcesInput {
    type Error = Error;
    fn try_from(r: pb::ListResourcesRequest) -> Result<Self, Error> {
        Ok(ListResourcesInput {
            resource_owner: resource_owner(r.resource_owner)?,
            principal: non_empty(r.principal),
            resource_type: non_empty(r.resource_type),
            resource_arns: r.resource_arns,
            resource_share_arns: r.resource_share_arns,
            scope: region_scope_filter(r.resource_region_scope)?,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::GetResourcePoliciesRequest> for GetResourcePoliciesInput {
    type Error = Error;
    fn try_from(r: pb::GetResourcePoliciesRequest) -> Result<Self, Error> {
        Ok(GetResourcePoliciesInput {
            resource_arns: r.resource_arns,
            principal: non_empty(r.principal),
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::ListPrincipalsRequest> for ListPrincipalsInput {
    type Error = Error;
    fn try_from(r: pb::ListPrincipalsRequest) -> Result<Self, Error> {
        Ok(ListPrincipalsInput {
            resource_owner: resource_owner(r.resource_owner)?,
            resource_arn: non_empty(r.resource_arn),
            principals: r.principals,
            resource_type: non_empty(r.resource_type),
            resource_share_arns: r.resource_share_arns,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::ListSourceAssociationsRequest> for ListSourceAssociationsInput {
    type Error = Error;
    fn try_from(r: pb::ListSourceAssociationsRequest) -> Result<Self, Error> {
        Ok(ListSourceAssociationsInput {
            resource_share_arns: r.resource_share_arns,
            source_id: non_empty(r.source_id),
            source_type: non_empty(r.source_type),
            status: association_status(r.association_status)?,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::ListResourceSharePermissionsRequest> for ListResourceSharePermissionsInput {
    type Error = Error;
    fn try_from(r: pb::ListResourceSharePermissionsRequest) -> Result<Self, Error> {
        Ok(ListResourceSharePermissionsInput {
            resource_share_arn: r.resource_share_arn,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::GetResourceShareInvitationsRequest> for GetResourceShareInvitationsInput {
    type Error = Error;
    fn try_from(r: pb::GetResourceShareInvitationsRequest) -> Result<Self, Error> {
        Ok(GetResourceShareInvitationsInput {
            invitation_arns: r.resource_share_invitation_arns,
            share_arns: r.resource_share_arns,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::AcceptResourceShareInvitationRequest> for InvitationInput {
    type Error = Error;
    fn try_from(r: pb::AcceptResourceShareInvitationRequest) -> Result<Self, Error> {
        Ok(InvitationInput {
            invitation_arn: r.resource_share_invitation_arn,
        })
    }
}

impl TryFrom<pb::RejectResourceShareInvitationRequest> for InvitationInput {
    type Error = Error;
    fn try_from(r: pb::RejectResourceShareInvitationRequest) -> Result<Self, Error> {
        Ok(InvitationInput {
            invitation_arn: r.resource_share_invitation_arn,
        })
    }
}

impl TryFrom<pb::ListPendingInvitationResourcesRequest> for ListPendingInvitationResourcesInput {
    type Error = Error;
    fn try_from(r: pb::ListPendingInvitationResourcesRequest) -> Result<Self, Error> {
        Ok(ListPendingInvitationResourcesInput {
            invitation_arn: r.resource_share_invitation_arn,
            scope: region_scope_filter(r.resource_region_scope)?,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::EnableSharingWithAwsOrganizationRequest> for () {
    type Error = Error;
    fn try_from(_: pb::EnableSharingWithAwsOrganizationRequest) -> Result<Self, Error> {
        Ok(())
    }
}

impl TryFrom<pb::AssociateResourceSharePermissionRequest>
    for AssociateResourceSharePermissionInput
{
    type Error = Error;
    fn try_from(r: pb::AssociateResourceSharePermissionRequest) -> Result<Self, Error> {
        Ok(AssociateResourceSharePermissionInput {
            resource_share_arn: r.resource_share_arn,
            permission_arn: r.permission_arn,
            replace: r.replace,
            permission_version: r.permission_version,
            parameter_values: values(r.permission_template_parameters),
        })
    }
}

impl TryFrom<pb::DisassociateResourceSharePermissionRequest>
    for DisassociateResourceSharePermissionInput
{
    type Error = Error;
    fn try_from(r: pb::DisassociateResourceSharePermissionRequest) -> Result<Self, Error> {
        Ok(DisassociateResourceSharePermissionInput {
            resource_share_arn: r.resource_share_arn,
            permission_arn: r.permission_arn,
        })
    }
}

fn feature_set(v: i32) -> Result<Option<FeatureSet>, Error> {
    Ok(
        enum_field::<pb::PermissionFeatureSet>("featureSet", v)?.map(|f| match f {
            pb::PermissionFeatureSet::CreatedFromPolicy => FeatureSet::CreatedFromPolicy,
            pb::PermissionFeatureSet::PromotingToStandard => FeatureSet::PromotingToStandard,
            pb::PermissionFeatureSet::Standard => FeatureSet::Standard,
            pb::PermissionFeatureSet::Unspecified => unreachable!(),
        }),
    )
}

impl TryFrom<pb::ListPermissionAssociationsRequest> for ListPermissionAssociationsInput {
    type Error = Error;
    fn try_from(r: pb::ListPermissionAssociationsRequest) -> Result<Self, Error> {
        Ok(ListPermissionAssociationsInput {
            permission_arn: non_empty(r.permission_arn),
            permission_version: r.permission_version,
            association_status: association_status(r.association_status)?,
            resource_type: non_empty(r.resource_type),
            feature_set: feature_set(r.feature_set)?,
            default_version: r.default_version,
            resource_owner: resource_owner(r.resource_owner)?,
            resource_share_arn: non_empty(r.resource_share_arn),
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::ReplacePermissionAssociationsRequest> for ReplacePermissionAssociationsInput {
    type Error = Error;
    fn try_from(r: pb::ReplacePermissionAssociationsRequest) -> Result<Self, Error> {
        Ok(ReplacePermissionAssociationsInput {
            from_permission_arn: r.from_permission_arn,
            from_permission_version: r.from_permission_version,
            to_permission_arn: r.to_permission_arn,
            parameter_values: values(r.permission_template_parameters),
        })
    }
}

impl TryFrom<pb::ListReplacePermissionAssociationsWorkRequest>
    for ListReplacePermissionAssociationsWorkInput
{
    type Error = Error;
    fn try_from(r: pb::ListReplacePermissionAssociationsWorkRequest) -> Result<Self, Error> {
        let status = enum_field::<pb::ReplacePermissionAssociationsWorkStatus>("status", r.status)?
            .map(|s| match s {
                pb::ReplacePermissionAssociationsWorkStatus::InProgress => WorkStatus::InProgress,
                pb::ReplacePermissionAssociationsWorkStatus::Completed => WorkStatus::Completed,
                pb::ReplacePermissionAssociationsWorkStatus::Failed => WorkStatus::Failed,
                pb::ReplacePermissionAssociationsWorkStatus::Unspecified => unreachable!(),
            });
        Ok(ListReplacePermissionAssociationsWorkInput {
            work_ids: r.work_ids,
            status,
            page: page(r.max_results, r.next_token),
        })
    }
}

impl TryFrom<pb::PromotePermissionCreatedFromPolicyRequest> for PromotePermissionInput {
    type Error = Error;
    fn try_from(r: pb::PromotePermissionCreatedFromPolicyRequest) -> Result<Self, Error> {
        Ok(PromotePermissionInput {
            permission_arn: r.permission_arn,
            name: r.name,
        })
    }
}

impl TryFrom<pb::PromoteResourceShareCreatedFromPolicyRequest> for PromoteResourceShareInput {
    type Error = Error;
    fn try_from(r: pb::PromoteResourceShareCreatedFromPolicyRequest) -> Result<Self, Error> {
        Ok(PromoteResourceShareInput {
            resource_share_arn: r.resource_share_arn,
        })
    }
}
