//! Conversions from core outputs to generated response messages.

use chrono::{DateTime, Utc};

use crate::core::catalog::{RegionScope, ResourceTypeInfo};
use crate::core::permissions::{
    FeatureSet, PermissionInfo, PermissionStatus, PermissionType, ResourceOwner,
};
use crate::core::policy::{TemplateParameterDecl, TemplateParameterType};
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
        pb::UpdatePermissionResponse {
            client_token: String::new(),
            permission_status: permission_status(s) as i32,
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
