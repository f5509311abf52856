//! Conversions from core outputs to generated response messages.

use chrono::{DateTime, Utc};

use crate::core::associations::{AssociationInfo, SourceInfo};
use crate::core::catalog::{RegionScope, ResourceTypeInfo};
use crate::core::invitations::{InvitationInfo, InvitationStatus};
use crate::core::permissions::{
    FeatureSet, PermissionInfo, PermissionStatus, PermissionType, ResourceOwner,
};
use crate::core::policy::{TemplateParameterDecl, TemplateParameterType};
use crate::core::principals::PrincipalInfo;
use crate::core::resources::{ResourceInfo, ResourceStatus};
use crate::core::share_permissions::{
    AssociatedPermissionInfo, ReplaceWork, SharePermissionInfo, WorkStatus, ATTACHED,
};
use crate::core::shares::{AssociationStatus, AssociationType, ShareInfo, ShareStatus};
use crate::core::tags::Tags;
use crate::core::Page;
use crate::pb::v1 as pb;

/// A time as a protobuf Timestamp.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub fn tags(tags: &Tags) -> Vec<pb::Tag> {
    tags.iter()
        .map(|(k, v)| pb::Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

fn permission_status(s: PermissionStatus) -> pb::PermissionStatus {
    match s {
        PermissionStatus::Attachable => pb::PermissionStatus::Attachable,
        PermissionStatus::Unattachable => pb::PermissionStatus::Unattachable,
        PermissionStatus::Deleting => pb::PermissionStatus::Deleting,
        PermissionStatus::Deleted => pb::PermissionStatus::Deleted,
        PermissionStatus::Deprecated => pb::PermissionStatus::Deprecated,
    }
}

/// The AWS string of a permission status (summaries carry it as a string).
fn permission_status_str(s: PermissionStatus) -> &'static str {
    match s {
        PermissionStatus::Attachable => "ATTACHABLE",
        PermissionStatus::Unattachable => "UNATTACHABLE",
        PermissionStatus::Deleting => "DELETING",
        PermissionStatus::Deleted => "DELETED",
        PermissionStatus::Deprecated => "DEPRECATED",
    }
}

fn permission_type(t: PermissionType) -> pb::PermissionType {
    match t {
        PermissionType::AwsManaged => pb::PermissionType::AwsManaged,
        PermissionType::CustomerManaged => pb::PermissionType::CustomerManaged,
    }
}

fn feature_set(f: FeatureSet) -> pb::PermissionFeatureSet {
    match f {
        FeatureSet::CreatedFromPolicy => pb::PermissionFeatureSet::CreatedFromPolicy,
        FeatureSet::PromotingToStandard => pb::PermissionFeatureSet::PromotingToStandard,
        FeatureSet::Standard => pb::PermissionFeatureSet::Standard,
    }
}

fn resource_owner(o: Option<ResourceOwner>) -> pb::ResourceOwner {
    match o {
        None => pb::ResourceOwner::Unspecified,
        Some(ResourceOwner::SelfAccount) => pb::ResourceOwner::Self_,
        Some(ResourceOwner::OtherAccounts) => pb::ResourceOwner::OtherAccounts,
    }
}

fn parameter_type(t: TemplateParameterType) -> pb::PermissionTemplateParameterType {
    match t {
        TemplateParameterType::String => pb::PermissionTemplateParameterType::String,
        TemplateParameterType::StringList => pb::PermissionTemplateParameterType::StringList,
    }
}

fn parameters(decls: &[TemplateParameterDecl]) -> Vec<pb::PermissionTemplateParameter> {
    decls
        .iter()
        .map(|d| pb::PermissionTemplateParameter {
            name: d.name.clone(),
            r#type: parameter_type(d.kind) as i32,
            description: d.description.clone().unwrap_or_default(),
            values: Vec::new(),
        })
        .collect()
}

fn declarations(
    decls: &[TemplateParameterDecl],
) -> Vec<pb::PermissionTemplateParameterDeclaration> {
    decls
        .iter()
        .map(|d| pb::PermissionTemplateParameterDeclaration {
            name: d.name.clone(),
            r#type: parameter_type(d.kind) as i32,
            description: d.description.clone().unwrap_or_default(),
        })
        .collect()
}

/// `ResourceSharePermissionSummary` of one permission version.
pub fn summary(p: PermissionInfo) -> pb::ResourceSharePermissionSummary {
    pb::ResourceSharePermissionSummary {
        arn: p.arn,
        version: p.version.to_string(),
        default_version: Some(p.default_version),
        name: p.name,
        resource_type: p.resource_type,
        status: permission_status_str(p.status).to_string(),
        creation_time: Some(timestamp(p.creation_time)),
        last_updated_time: Some(timestamp(p.last_updated_time)),
        is_resource_type_default: Some(p.is_resource_type_default),
        permission_type: permission_type(p.permission_type) as i32,
        feature_set: feature_set(p.feature_set) as i32,
        permission_template_parameters: parameters(&p.parameters),
        tags: tags(&p.tags),
        resource_owner: resource_owner(p.resource_owner) as i32,
    }
}

/// `ResourceSharePermissionDetail` of one permission version, template included.
pub fn detail(p: PermissionInfo) -> pb::ResourceSharePermissionDetail {
    pb::ResourceSharePermissionDetail {
        arn: p.arn,
        version: p.version.to_string(),
        default_version: Some(p.default_version),
        name: p.name,
        resource_type: p.resource_type,
        permission: p.template,
        permission_template_parameters: declarations(&p.parameters),
        creation_time: Some(timestamp(p.creation_time)),
        last_updated_time: Some(timestamp(p.last_updated_time)),
        is_resource_type_default: Some(p.is_resource_type_default),
        permission_type: permission_type(p.permission_type) as i32,
        feature_set: feature_set(p.feature_set) as i32,
        status: permission_status(p.status) as i32,
        tags: tags(&p.tags),
        resource_owner: resource_owner(p.resource_owner) as i32,
    }
}

impl From<PermissionInfo> for pb::CreatePermissionResponse {
    fn from(p: PermissionInfo) -> Self {
        pb::CreatePermissionResponse {
            permission: Some(summary(p)),
            client_token: String::new(),
        }
    }
}

impl From<PermissionInfo> for pb::CreatePermissionVersionResponse {
    fn from(p: PermissionInfo) -> Self {
        pb::CreatePermissionVersionResponse {
            permission: Some(detail(p)),
            client_token: String::new(),
        }
    }
}

impl From<PermissionInfo> for pb::GetPermissionResponse {
    fn from(p: PermissionInfo) -> Self {
        pb::GetPermissionResponse {
            permission: Some(detail(p)),
        }
    }
}

impl From<Page<PermissionInfo>> for pb::ListPermissionsResponse {
    fn from(p: Page<PermissionInfo>) -> Self {
        pb::ListPermissionsResponse {
            permissions: p.items.into_iter().map(summary).collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<Page<PermissionInfo>> for pb::ListPermissionVersionsResponse {
    fn from(p: Page<PermissionInfo>) -> Self {
        pb::ListPermissionVersionsResponse {
            permissions: p.items.into_iter().map(summary).collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<bool> for pb::SetDefaultPermissionVersionResponse {
    fn from(v: bool) -> Self {
        pb::SetDefaultPermissionVersionResponse {
            return_value: Some(v),
            client_token: String::new(),
        }
    }
}

impl From<PermissionStatus> for pb::DeletePermissionResponse {
    fn from(s: PermissionStatus) -> Self {
        pb::DeletePermissionResponse {
            return_value: Some(true),
            client_token: String::new(),
            permission_status: permission_status(s) as i32,
        }
    }
}

impl From<PermissionStatus> for pb::DeletePermissionVersionResponse {
    fn from(s: PermissionStatus) -> Self {
        pb::DeletePermissionVersionResponse {
            return_value: Some(true),
            client_token: String::new(),
            permission_status: permission_status(s) as i32,
        }
    }
}

impl From<PermissionStatus> for pb::UpdatePermissionResponse {
    fn from(s: PermissionStatus) -> Self {
        // The field is an UpdatePermissionStatus, whose numbers differ from
        // PermissionStatus; UpdatePermission only ever reports these two.
        let status = match s {
            PermissionStatus::Deprecated => pb::UpdatePermissionStatus::Deprecated,
            PermissionStatus::Attachable
            | PermissionStatus::Unattachable
            | PermissionStatus::Deleting
            | PermissionStatus::Deleted => pb::UpdatePermissionStatus::Attachable,
        };
        pb::UpdatePermissionResponse {
            client_token: String::new(),
            permission_status: status as i32,
        }
    }
}

fn region_scope(s: RegionScope) -> pb::ResourceRegionScope {
    match s {
        RegionScope::Regional => pb::ResourceRegionScope::Regional,
        RegionScope::Global => pb::ResourceRegionScope::Global,
    }
}

impl From<Page<&'static ResourceTypeInfo>> for pb::ListResourceTypesResponse {
    fn from(p: Page<&'static ResourceTypeInfo>) -> Self {
        pb::ListResourceTypesResponse {
            resource_types: p
                .items
                .into_iter()
                .map(|t| pb::ServiceNameAndResourceType {
                    resource_type: t.resource_type.clone(),
                    service_name: t.service_name.clone(),
                    resource_region_scope: region_scope(t.region_scope) as i32,
                })
                .collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<()> for pb::TagResourceResponse {
    fn from(_: ()) -> Self {
        pb::TagResourceResponse {}
    }
}

impl From<()> for pb::UntagResourceResponse {
    fn from(_: ()) -> Self {
        pb::UntagResourceResponse {}
    }
}

fn share_status(s: ShareStatus) -> pb::ResourceShareStatus {
    match s {
        ShareStatus::Pending => pb::ResourceShareStatus::Pending,
        ShareStatus::Active => pb::ResourceShareStatus::Active,
        ShareStatus::Failed => pb::ResourceShareStatus::Failed,
        ShareStatus::Deleting => pb::ResourceShareStatus::Deleting,
        ShareStatus::Deleted => pb::ResourceShareStatus::Deleted,
    }
}

fn share_feature_set(f: FeatureSet) -> pb::ResourceShareFeatureSet {
    match f {
        FeatureSet::CreatedFromPolicy => pb::ResourceShareFeatureSet::CreatedFromPolicy,
        FeatureSet::PromotingToStandard => pb::ResourceShareFeatureSet::PromotingToStandard,
        FeatureSet::Standard => pb::ResourceShareFeatureSet::Standard,
    }
}

fn association_status(s: AssociationStatus) -> pb::ResourceShareAssociationStatus {
    match s {
        AssociationStatus::Associating => pb::ResourceShareAssociationStatus::Associating,
        AssociationStatus::Associated => pb::ResourceShareAssociationStatus::Associated,
        AssociationStatus::Failed => pb::ResourceShareAssociationStatus::Failed,
        AssociationStatus::Disassociating => pb::ResourceShareAssociationStatus::Disassociating,
        AssociationStatus::Disassociated => pb::ResourceShareAssociationStatus::Disassociated,
        AssociationStatus::Suspended => pb::ResourceShareAssociationStatus::Suspended,
        AssociationStatus::Suspending => pb::ResourceShareAssociationStatus::Suspending,
        AssociationStatus::Restoring => pb::ResourceShareAssociationStatus::Restoring,
    }
}

/// The AWS string of an association status (AssociatedSource carries a string).
fn association_status_str(s: AssociationStatus) -> &'static str {
    match s {
        AssociationStatus::Associating => "ASSOCIATING",
        AssociationStatus::Associated => "ASSOCIATED",
        AssociationStatus::Failed => "FAILED",
        AssociationStatus::Disassociating => "DISASSOCIATING",
        AssociationStatus::Disassociated => "DISASSOCIATED",
        AssociationStatus::Suspended => "SUSPENDED",
        AssociationStatus::Suspending => "SUSPENDING",
        AssociationStatus::Restoring => "RESTORING",
    }
}

fn association_type(t: AssociationType) -> pb::ResourceShareAssociationType {
    match t {
        AssociationType::Principal => pb::ResourceShareAssociationType::Principal,
        AssociationType::Resource => pb::ResourceShareAssociationType::Resource,
        AssociationType::Source => pb::ResourceShareAssociationType::Source,
    }
}

/// `ResourceShare`.
pub fn share(s: ShareInfo) -> pb::ResourceShare {
    pb::ResourceShare {
        resource_share_arn: s.arn,
        name: s.name,
        owning_account_id: s.owning_account_id,
        allow_external_principals: Some(s.allow_external_principals),
        status: share_status(s.status) as i32,
        status_message: s.status_message.unwrap_or_default(),
        tags: tags(&s.tags),
        creation_time: Some(timestamp(s.creation_time)),
        last_updated_time: Some(timestamp(s.last_updated_time)),
        feature_set: share_feature_set(s.feature_set) as i32,
        resource_share_configuration: s.retain_sharing_on_account_leave_organization.map(|r| {
            pb::ResourceShareConfiguration {
                retain_sharing_on_account_leave_organization: Some(r),
            }
        }),
    }
}

/// `ResourceShareAssociation`.
pub fn association(a: AssociationInfo) -> pb::ResourceShareAssociation {
    pb::ResourceShareAssociation {
        resource_share_arn: a.share_arn,
        resource_share_name: a.share_name,
        associated_entity: a.entity,
        association_type: association_type(a.association_type) as i32,
        status: association_status(a.status) as i32,
        status_message: a.status_message.unwrap_or_default(),
        creation_time: Some(timestamp(a.creation_time)),
        last_updated_time: Some(timestamp(a.last_updated_time)),
        external: a.external,
    }
}

fn resource(r: ResourceInfo) -> pb::Resource {
    pb::Resource {
        arn: r.arn,
        r#type: r.resource_type,
        resource_share_arn: r.share_arn,
        resource_group_arn: String::new(),
        status: match r.status {
            ResourceStatus::Available => pb::ResourceStatus::Available,
            ResourceStatus::ZonalResourceInaccessible => {
                pb::ResourceStatus::ZonalResourceInaccessible
            }
            ResourceStatus::LimitExceeded => pb::ResourceStatus::LimitExceeded,
            ResourceStatus::Unavailable => pb::ResourceStatus::Unavailable,
            ResourceStatus::Pending => pb::ResourceStatus::Pending,
        } as i32,
        status_message: r.status_message.unwrap_or_default(),
        creation_time: Some(timestamp(r.creation_time)),
        last_updated_time: Some(timestamp(r.last_updated_time)),
        resource_region_scope: region_scope(r.region_scope) as i32,
    }
}

fn invitation(i: InvitationInfo) -> pb::ResourceShareInvitation {
    pb::ResourceShareInvitation {
        resource_share_invitation_arn: i.arn,
        resource_share_name: i.share_name,
        resource_share_arn: i.share_arn,
        sender_account_id: i.sender_account_id,
        receiver_account_id: i.receiver_account_id,
        invitation_timestamp: Some(timestamp(i.timestamp)),
        status: match i.status {
            InvitationStatus::Pending => pb::ResourceShareInvitationStatus::Pending,
            InvitationStatus::Accepted => pb::ResourceShareInvitationStatus::Accepted,
            InvitationStatus::Rejected => pb::ResourceShareInvitationStatus::Rejected,
            InvitationStatus::Expired => pb::ResourceShareInvitationStatus::Expired,
        } as i32,
        resource_share_associations: Vec::new(),
        receiver_arn: i.receiver_arn.unwrap_or_default(),
    }
}

fn parameter_values(
    decls: &[pb::PermissionTemplateParameter],
    values: &[(String, Vec<String>)],
) -> Vec<pb::PermissionTemplateParameter> {
    decls
        .iter()
        .map(|d| pb::PermissionTemplateParameter {
            values: values
                .iter()
                .find(|(n, _)| *n == d.name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            ..d.clone()
        })
        .collect()
}

impl From<ShareInfo> for pb::CreateResourceShareResponse {
    fn from(s: ShareInfo) -> Self {
        pb::CreateResourceShareResponse {
            resource_share: Some(share(s)),
            client_token: String::new(),
        }
    }
}

impl From<ShareInfo> for pb::UpdateResourceShareResponse {
    fn from(s: ShareInfo) -> Self {
        pb::UpdateResourceShareResponse {
            resource_share: Some(share(s)),
            client_token: String::new(),
        }
    }
}

impl From<Page<ShareInfo>> for pb::GetResourceSharesResponse {
    fn from(p: Page<ShareInfo>) -> Self {
        pb::GetResourceSharesResponse {
            resource_shares: p.items.into_iter().map(share).collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<bool> for pb::DeleteResourceShareResponse {
    fn from(v: bool) -> Self {
        pb::DeleteResourceShareResponse {
            return_value: Some(v),
            client_token: String::new(),
        }
    }
}

impl From<Vec<AssociationInfo>> for pb::AssociateResourceShareResponse {
    fn from(rows: Vec<AssociationInfo>) -> Self {
        pb::AssociateResourceShareResponse {
            resource_share_associations: rows.into_iter().map(association).collect(),
            client_token: String::new(),
        }
    }
}

impl From<Vec<AssociationInfo>> for pb::DisassociateResourceShareResponse {
    fn from(rows: Vec<AssociationInfo>) -> Self {
        pb::DisassociateResourceShareResponse {
            resource_share_associations: rows.into_iter().map(association).collect(),
            client_token: String::new(),
        }
    }
}

impl From<Page<AssociationInfo>> for pb::GetResourceShareAssociationsResponse {
    fn from(p: Page<AssociationInfo>) -> Self {
        pb::GetResourceShareAssociationsResponse {
            resource_share_associations: p.items.into_iter().map(association).collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<Page<String>> for pb::GetResourcePoliciesResponse {
    fn from(p: Page<String>) -> Self {
        pb::GetResourcePoliciesResponse {
            policies: p.items,
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<Page<ResourceInfo>> for pb::ListResourcesResponse {
    fn from(p: Page<ResourceInfo>) -> Self {
        pb::ListResourcesResponse {
            resources: p.items.into_iter().map(resource).collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<Page<ResourceInfo>> for pb::ListPendingInvitationResourcesResponse {
    fn from(p: Page<ResourceInfo>) -> Self {
        pb::ListPendingInvitationResourcesResponse {
            resources: p.items.into_iter().map(resource).collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<Page<PrincipalInfo>> for pb::ListPrincipalsResponse {
    fn from(p: Page<PrincipalInfo>) -> Self {
        pb::ListPrincipalsResponse {
            principals: p
                .items
                .into_iter()
                .map(|x| pb::Principal {
                    id: x.id,
                    resource_share_arn: x.share_arn,
                    creation_time: Some(timestamp(x.creation_time)),
                    last_updated_time: Some(timestamp(x.last_updated_time)),
                    external: Some(x.external),
                })
                .collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<Page<SourceInfo>> for pb::ListSourceAssociationsResponse {
    fn from(p: Page<SourceInfo>) -> Self {
        pb::ListSourceAssociationsResponse {
            source_associations: p
                .items
                .into_iter()
                .map(|s| pb::AssociatedSource {
                    resource_share_arn: s.share_arn,
                    source_id: s.source_id,
                    source_type: s.source_type.to_string(),
                    status: association_status_str(s.status).to_string(),
                    last_updated_time: Some(timestamp(s.last_updated_time)),
                    creation_time: Some(timestamp(s.creation_time)),
                    status_message: s.status_message.unwrap_or_default(),
                })
                .collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<Page<SharePermissionInfo>> for pb::ListResourceSharePermissionsResponse {
    fn from(p: Page<SharePermissionInfo>) -> Self {
        pb::ListResourceSharePermissionsResponse {
            permissions: p
                .items
                .into_iter()
                .map(|x| {
                    let mut s = summary(x.permission);
                    s.status = ATTACHED.to_string();
                    s.permission_template_parameters =
                        parameter_values(&s.permission_template_parameters, &x.parameter_values);
                    s
                })
                .collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<Page<InvitationInfo>> for pb::GetResourceShareInvitationsResponse {
    fn from(p: Page<InvitationInfo>) -> Self {
        pb::GetResourceShareInvitationsResponse {
            resource_share_invitations: p.items.into_iter().map(invitation).collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

impl From<InvitationInfo> for pb::AcceptResourceShareInvitationResponse {
    fn from(i: InvitationInfo) -> Self {
        pb::AcceptResourceShareInvitationResponse {
            resource_share_invitation: Some(invitation(i)),
            client_token: String::new(),
        }
    }
}

impl From<InvitationInfo> for pb::RejectResourceShareInvitationResponse {
    fn from(i: InvitationInfo) -> Self {
        pb::RejectResourceShareInvitationResponse {
            resource_share_invitation: Some(invitation(i)),
            client_token: String::new(),
        }
    }
}

impl From<bool> for pb::EnableSharingWithAwsOrganizationResponse {
    fn from(v: bool) -> Self {
        pb::EnableSharingWithAwsOrganizationResponse {
            return_value: Some(v),
        }
    }
}

impl From<bool> for pb::AssociateResourceSharePermissionResponse {
    fn from(v: bool) -> Self {
        pb::AssociateResourceSharePermissionResponse {
            return_value: Some(v),
            client_token: String::new(),
        }
    }
}

impl From<bool> for pb::DisassociateResourceSharePermissionResponse {
    fn from(v: bool) -> Self {
        pb::DisassociateResourceSharePermissionResponse {
            return_value: Some(v),
            client_token: String::new(),
        }
    }
}

impl From<bool> for pb::PromoteResourceShareCreatedFromPolicyResponse {
    fn from(v: bool) -> Self {
        pb::PromoteResourceShareCreatedFromPolicyResponse {
            return_value: Some(v),
        }
    }
}

impl From<PermissionInfo> for pb::PromotePermissionCreatedFromPolicyResponse {
    fn from(p: PermissionInfo) -> Self {
        pb::PromotePermissionCreatedFromPolicyResponse {
            permission: Some(summary(p)),
            client_token: String::new(),
        }
    }
}

impl From<Page<AssociatedPermissionInfo>> for pb::ListPermissionAssociationsResponse {
    fn from(p: Page<AssociatedPermissionInfo>) -> Self {
        pb::ListPermissionAssociationsResponse {
            permissions: p
                .items
                .into_iter()
                .map(|a| pb::AssociatedPermission {
                    arn: a.arn,
                    permission_version: a.version.to_string(),
                    default_version: Some(a.default_version),
                    resource_type: a.resource_type,
                    status: permission_status_str(a.status).to_string(),
                    feature_set: share_feature_set(a.feature_set) as i32,
                    last_updated_time: Some(timestamp(a.last_updated_time)),
                    resource_share_arn: a.share_arn,
                    permission_template_parameters: parameter_values(
                        &parameters(&a.parameters),
                        &a.parameter_values,
                    ),
                })
                .collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}

fn work(w: ReplaceWork) -> pb::ReplacePermissionAssociationsWork {
    pb::ReplacePermissionAssociationsWork {
        id: w.id,
        from_permission_arn: w.from_arn,
        from_permission_version: w.from_version.map(|v| v.to_string()).unwrap_or_default(),
        to_permission_arn: w.to_arn,
        to_permission_version: w.to_version.to_string(),
        permission_template_parameters: parameter_values(
            &parameters(&w.parameters),
            &w.parameter_values,
        ),
        status: match w.status {
            WorkStatus::InProgress => pb::ReplacePermissionAssociationsWorkStatus::InProgress,
            WorkStatus::Completed => pb::ReplacePermissionAssociationsWorkStatus::Completed,
            WorkStatus::Failed => pb::ReplacePermissionAssociationsWorkStatus::Failed,
        } as i32,
        status_message: w.status_message.unwrap_or_default(),
        creation_time: Some(timestamp(w.creation_time)),
        last_updated_time: Some(timestamp(w.last_updated_time)),
    }
}

impl From<ReplaceWork> for pb::ReplacePermissionAssociationsResponse {
    fn from(w: ReplaceWork) -> Self {
        pb::ReplacePermissionAssociationsResponse {
            replace_permission_associations_work: Some(work(w)),
            client_token: String::new(),
        }
    }
}

impl From<Page<ReplaceWork>> for pb::ListReplacePermissionAssociationsWorkResponse {
    fn from(p: Page<ReplaceWork>) -> Self {
        pb::ListReplacePermissionAssociationsWorkResponse {
            replace_permission_associations_works: p.items.into_iter().map(work).collect(),
            next_token: p.next_token.unwrap_or_default(),
        }
    }
}
