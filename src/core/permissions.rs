//! Managed permissions: the AWS managed ones of the catalogue (read-only) and
//! customer managed ones that accounts create, version, deprecate and delete.
//!
//! Operations: CreatePermission, CreatePermissionVersion, GetPermission,
//! ListPermissions, ListPermissionVersions, SetDefaultPermissionVersion,
//! DeletePermissionVersion, DeletePermission, UpdatePermission.
//!
//! Invariants of a customer managed `Permission`: it has at least one
//! version; `default_version` names one of them; version numbers only grow
//! (`last_version` is the highest ever issued, so numbers are never reused);
//! at most `Limits::versions_per_permission` versions exist at once.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use crate::core::access;
use crate::core::arn::{PermissionArn, PermissionOwner};
use crate::core::catalog::{Catalog, ManagedPermissionInfo, ResourceTypeInfo};
use crate::core::clock::Ctx;
use crate::core::permission_map::PermissionMut;
use crate::core::policy::{self, TemplateParameterDecl};
use crate::core::state::State;
use crate::core::tags::{self, Tags};
use crate::core::vecmap::VecMap;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};

/// `permissionType` of a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionType {
    AwsManaged,
    CustomerManaged,
}

/// `permissionType` filter of ListPermissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PermissionTypeFilter {
    #[default]
    All,
    AwsManaged,
    CustomerManaged,
}

/// `featureSet` of a permission (and of a resource share).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FeatureSet {
    CreatedFromPolicy,
    PromotingToStandard,
    #[default]
    Standard,
}

/// `status` of a permission version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionStatus {
    Attachable,
    Unattachable,
    Deleting,
    Deleted,
    Deprecated,
}

/// Who owns an object, relative to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceOwner {
    SelfAccount,
    OtherAccounts,
}

/// One version of a customer managed permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub template: String,
    pub parameters: Vec<TemplateParameterDecl>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub creation_time: DateTime<Utc>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub last_updated_time: DateTime<Utc>,
    /// What a policy document writes for the template's `Action`, when the
    /// template needs no rendering and has a plain one
    /// (`resource_policies`): worked out on first use, as a version never
    /// changes.
    #[serde(skip)]
    pub plain_action: Derived<Option<Box<str>>>,
}

/// A value worked out from the rest of an immutable object on first use:
/// not part of what the object is, so equal whatever it holds (computed or
/// not), and never encoded.
#[derive(Debug, Default)]
pub struct Derived<T>(OnceLock<T>);

impl<T> Derived<T> {
    /// The value, if it was computed.
    pub fn get(&self) -> Option<&T> {
        self.0.get()
    }

    /// The value, computed by `f` if this is the first use.
    pub fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(f)
    }
}

impl<T: Clone> Clone for Derived<T> {
    fn clone(&self) -> Derived<T> {
        Derived(self.0.clone())
    }
}

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Derived<T>) -> bool {
        true
    }
}

impl<T> Eq for Derived<T> {}

/// A customer managed permission (STANDARD or CREATED_FROM_POLICY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub arn: String,
    pub name: String,
    pub owner: String,
    /// The catalogue's canonical display name (`ec2:Subnet`).
    pub resource_type: String,
    pub feature_set: FeatureSet,
    /// Set by UpdatePermission(DEPRECATED): no new attachments.
    pub deprecated: bool,
    /// Each version behind an `Arc`, which the shares that attach it hold
    /// too (`AttachedPermission::linked`): a version never changes, and
    /// one in use is never deleted.
    pub versions: VecMap<u32, Arc<Version>>,
    pub default_version: u32,
    /// The highest version number ever issued.
    pub last_version: u32,
    pub tags: Tags,
    #[serde(with = "crate::core::clock::compact_time")]
    pub creation_time: DateTime<Utc>,
    #[serde(with = "crate::core::clock::compact_time")]
    pub last_updated_time: DateTime<Utc>,
}

impl Permission {
    fn version_status(&self, v: u32) -> PermissionStatus {
        if v != self.default_version {
            PermissionStatus::Unattachable
        } else if self.deprecated {
            PermissionStatus::Deprecated
        } else {
            PermissionStatus::Attachable
        }
    }

    /// The default version's status: the permission's own status.
    pub fn status(&self) -> PermissionStatus {
        self.version_status(self.default_version)
    }
}

/// What the API reports about one version of a permission
/// (`ResourceSharePermissionSummary` / `ResourceSharePermissionDetail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionInfo {
    pub arn: String,
    pub version: u32,
    pub default_version: bool,
    pub name: String,
    pub resource_type: String,
    pub status: PermissionStatus,
    pub creation_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
    pub is_resource_type_default: bool,
    pub permission_type: PermissionType,
    pub feature_set: FeatureSet,
    pub tags: Tags,
    /// `None` for AWS managed permissions, which no account owns.
    pub resource_owner: Option<ResourceOwner>,
    /// The policy template (rendered when parameter values were given).
    pub template: String,
    pub parameters: Vec<TemplateParameterDecl>,
}

/// A permission the caller may see: AWS managed (from the catalogue) or
/// customer managed (from the state).
#[derive(Debug, Clone, Copy)]
pub enum PermissionRef<'a> {
    Aws {
        arn_partition: &'a str,
        rt: &'a ResourceTypeInfo,
        mp: &'a ManagedPermissionInfo,
    },
    Customer(&'a Permission),
}

impl<'a> PermissionRef<'a> {
    pub fn arn(&self) -> String {
        match self {
            PermissionRef::Aws {
                arn_partition, mp, ..
            } => mp.arn(arn_partition),
            PermissionRef::Customer(p) => p.arn.clone(),
        }
    }

    pub fn resource_type(&self) -> &'a str {
        match self {
            PermissionRef::Aws { rt, .. } => &rt.resource_type,
            PermissionRef::Customer(p) => &p.resource_type,
        }
    }

    pub fn default_version(&self) -> u32 {
        match self {
            PermissionRef::Aws { mp, .. } => mp.default_version,
            PermissionRef::Customer(p) => p.default_version,
        }
    }

    pub fn has_version(&self, v: u32) -> bool {
        match self {
            PermissionRef::Aws { mp, .. } => mp.version(v).is_some(),
            PermissionRef::Customer(p) => p.versions.contains_key(&v),
        }
    }

    /// The status of the permission (its default version).
    pub fn status(&self) -> PermissionStatus {
        match self {
            PermissionRef::Aws { .. } => PermissionStatus::Attachable,
            PermissionRef::Customer(p) => p.status(),
        }
    }

    pub fn permission_type(&self) -> PermissionType {
        match self {
            PermissionRef::Aws { .. } => PermissionType::AwsManaged,
            PermissionRef::Customer(_) => PermissionType::CustomerManaged,
        }
    }

    /// The template and declared parameters of version `v`, if it exists.
    pub fn template(&self, v: u32) -> Option<(&'a str, &'a [TemplateParameterDecl])> {
        match self {
            PermissionRef::Aws { mp, .. } => mp.version(v).map(|x| (x.template.as_str(), &[][..])),
            PermissionRef::Customer(p) => p
                .versions
                .get(&v)
                .map(|x| (x.template.as_str(), x.parameters.as_slice())),
        }
    }

    /// The report of version `v` (which must exist) as seen by `caller`.
    pub fn info(&self, v: u32, caller: &str) -> PermissionInfo {
        match self {
            PermissionRef::Aws { rt, mp, .. } => {
                let ver = mp.version(v).unwrap_or_else(|| mp.default_version_info());
                PermissionInfo {
                    arn: self.arn(),
                    version: ver.version,
                    default_version: ver.version == mp.default_version,
                    name: mp.name.clone(),
                    resource_type: rt.resource_type.clone(),
                    status: if ver.version == mp.default_version {
                        PermissionStatus::Attachable
                    } else {
                        PermissionStatus::Unattachable
                    },
                    creation_time: ver.creation_time,
                    last_updated_time: ver.creation_time,
                    is_resource_type_default: mp.is_resource_type_default,
                    permission_type: PermissionType::AwsManaged,
                    feature_set: FeatureSet::Standard,
                    tags: Tags::new(),
                    resource_owner: None,
                    template: ver.template.clone(),
                    parameters: Vec::new(),
                }
            }
            PermissionRef::Customer(p) => {
                let ver = &p.versions[&v];
                PermissionInfo {
                    arn: p.arn.clone(),
                    version: v,
                    default_version: v == p.default_version,
                    name: p.name.clone(),
                    resource_type: p.resource_type.clone(),
                    status: p.version_status(v),
                    creation_time: ver.creation_time,
                    last_updated_time: ver.last_updated_time.max(p.last_updated_time),
                    is_resource_type_default: false,
                    permission_type: PermissionType::CustomerManaged,
                    feature_set: p.feature_set,
                    tags: p.tags.clone(),
                    resource_owner: Some(if p.owner == caller {
                        ResourceOwner::SelfAccount
                    } else {
                        ResourceOwner::OtherAccounts
                    }),
                    template: ver.template.clone(),
                    parameters: ver.parameters.clone(),
                }
            }
        }
    }
}

fn not_found(arn: &str) -> Error {
    Error::UnknownResource(format!("Permission {arn} could not be found."))
}

/// Finds a permission the caller may see: any AWS managed permission, the
/// customer managed permissions it owns, and those attached to shares shared
/// with it. Any other account's permission is reported exactly like a
/// missing one.
pub fn resolve<'a>(state: &'a State, ctx: &Ctx, arn: &str) -> Result<PermissionRef<'a>> {
    let parsed = PermissionArn::parse(arn)?;
    if parsed.partition != state.config.partition {
        return Err(not_found(arn));
    }
    match &parsed.owner {
        PermissionOwner::Aws => {
            let (rt, mp) = Catalog::get()
                .managed_permission(&parsed.name)
                .ok_or_else(|| not_found(arn))?;
            Ok(PermissionRef::Aws {
                arn_partition: &state.config.partition,
                rt,
                mp,
            })
        }
        PermissionOwner::Account(_) => {
            let p = state.permissions.get(arn).ok_or_else(|| not_found(arn))?;
            if p.owner != ctx.account && !shared_with(state, arn, &ctx.account) {
                return Err(not_found(arn));
            }
            Ok(PermissionRef::Customer(p))
        }
    }
}

/// Resolves a permission the caller owns and may change: refuses AWS managed
/// permissions and (unless `allow_cfp`) CREATED_FROM_POLICY ones.
fn resolve_own_mut<'a>(
    state: &'a mut State,
    ctx: &Ctx,
    arn: &str,
    op: &str,
) -> Result<PermissionMut<'a>> {
    match resolve(state, ctx, arn)? {
        PermissionRef::Aws { .. } => {
            return Err(Error::OperationNotPermitted(format!(
                "{arn} is an AWS managed permission; {op} works only on customer managed permissions."
            )))
        }
        PermissionRef::Customer(p) if p.feature_set != FeatureSet::Standard => {
            return Err(Error::OperationNotPermitted(format!(
                "{arn} was created from a resource-based policy; {op} is not permitted on it. Promote it with PromotePermissionCreatedFromPolicy first."
            )))
        }
        PermissionRef::Customer(p) if p.owner != ctx.account => {
            return Err(Error::OperationNotPermitted(format!(
                "{arn} is shared with your account by its owner; only the owner can change it."
            )))
        }
        PermissionRef::Customer(_) => {}
    }
    Ok(state
        .permissions
        .get_mut(arn)
        .expect("resolved permission exists"))
}

/// Whether any live resource share uses the permission (any version, or
/// `version`).
pub fn in_use(state: &State, arn: &str, version: Option<u32>) -> bool {
    state
        .index
        .shares_of_permission(arn)
        .any(|(_, v)| version.is_none_or(|x| x == v))
}

/// Whether a customer managed permission is attached to a share that
/// `account` can see as a receiver.
pub fn shared_with(state: &State, arn: &str, account: &str) -> bool {
    state.index.shares_of_permission(arn).any(|(share, _)| {
        state
            .shares
            .get(share)
            .is_some_and(|s| access::reaches(state, s, account))
    })
}

/// The customer managed permissions of other accounts attached to shares
/// `account` can see, by ARN.
fn shared_with_account<'a>(state: &'a State, account: &str) -> BTreeMap<&'a str, &'a Permission> {
    let mut out = BTreeMap::new();
    for share in access::visible_shares(state, account) {
        for a in share.permissions.values() {
            if let Some(p) = state.permissions.get(&a.arn) {
                if p.owner != account {
                    out.insert(p.arn.as_str(), p);
                }
            }
        }
    }
    out
}

/// Checks a permission name: 1 to 36 of `[A-Za-z0-9_.-]`.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::missing("name"));
    }
    if name.len() > 36
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        return Err(Error::InvalidParameter(format!(
            "The permission name {name:?} is not valid: use 1 to 36 letters, digits, underscores, periods and hyphens."
        )));
    }
    Ok(())
}

/// Looks a resource type up in the catalogue (case-insensitively).
pub fn lookup_resource_type(resource_type: &str) -> Result<&'static ResourceTypeInfo> {
    if resource_type.is_empty() {
        return Err(Error::missing("resourceType"));
    }
    Catalog::get()
        .resource_type(resource_type)
        .ok_or_else(|| Error::InvalidParameter(format!(
            "Invalid resource type: {resource_type}. ListResourceTypes lists the types RAM can share."
        )))
}

/// Input of CreatePermission.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatePermissionInput {
    pub name: String,
    pub resource_type: String,
    pub policy_template: String,
    pub parameters: Vec<TemplateParameterDecl>,
    pub tags: Vec<(String, String)>,
}

/// CreatePermission: a new customer managed permission, version 1 default.
pub fn create_permission(
    state: &mut State,
    ctx: &Ctx,
    input: CreatePermissionInput,
) -> Result<PermissionInfo> {
    validate_name(&input.name)?;
    let rt = lookup_resource_type(&input.resource_type)?;
    if input.policy_template.is_empty() {
        return Err(Error::missing("policyTemplate"));
    }
    if !rt.supports_customer_managed_permissions {
        return Err(Error::InvalidParameter(format!(
            "Resource type {} does not support customer managed permissions.",
            rt.resource_type
        )));
    }
    let template = policy::validate_template(&input.policy_template, rt, &input.parameters)?;
    let tags = tags::apply_tags(&Tags::new(), &input.tags)?;
    let arn = state.permission_arn(&ctx.account, &input.name);
    if state.permissions.contains_key(&arn) {
        return Err(Error::PermissionAlreadyExists(format!(
            "The permission {arn} already exists."
        )));
    }
    let (total, of_type) = owned(state, &ctx.account)
        .filter(|p| p.feature_set == FeatureSet::Standard)
        .fold((0, 0), |(t, k), p| {
            (t + 1, k + usize::from(p.resource_type == rt.resource_type))
        });
    let limits = &state.config.limits;
    if total >= limits.permissions_per_account {
        return Err(Error::PermissionLimitExceeded(format!(
            "The account already has the maximum of {} customer managed permissions in this Region.",
            limits.permissions_per_account
        )));
    }
    if of_type >= limits.permissions_per_type {
        return Err(Error::PermissionLimitExceeded(format!(
            "The account already has the maximum of {} customer managed permissions for resource type {}.",
            limits.permissions_per_type, rt.resource_type
        )));
    }
    let permission = Permission {
        arn: arn.clone(),
        name: input.name,
        owner: ctx.account.clone(),
        resource_type: rt.resource_type.clone(),
        feature_set: FeatureSet::Standard,
        deprecated: false,
        versions: VecMap::from_iter([(
            1,
            Arc::new(Version {
                template,
                parameters: input.parameters,
                creation_time: ctx.now,
                last_updated_time: ctx.now,
                plain_action: Default::default(),
            }),
        )]),
        default_version: 1,
        last_version: 1,
        tags,
        creation_time: ctx.now,
        last_updated_time: ctx.now,
    };
    let info = PermissionRef::Customer(&permission).info(1, &ctx.account);
    state.permissions.insert(permission);
    Ok(info)
}

/// The customer managed permissions `account` owns, in ARN order.
pub fn owned<'a>(state: &'a State, account: &str) -> impl Iterator<Item = &'a Permission> + 'a {
    let prefix = state.permission_arn(account, "");
    state
        .permissions
        .range_from(Bound::Included(&prefix))
        .take_while(move |(k, _)| k.starts_with(&prefix))
        .map(|(_, p)| p)
}

/// Input of CreatePermissionVersion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatePermissionVersionInput {
    pub permission_arn: String,
    pub policy_template: String,
    pub parameters: Vec<TemplateParameterDecl>,
}

/// CreatePermissionVersion: a new version, which becomes the default.
pub fn create_permission_version(
    state: &mut State,
    ctx: &Ctx,
    input: CreatePermissionVersionInput,
) -> Result<PermissionInfo> {
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    if input.policy_template.is_empty() {
        return Err(Error::missing("policyTemplate"));
    }
    let max_versions = state.config.limits.versions_per_permission;
    let mut p = resolve_own_mut(state, ctx, &input.permission_arn, "CreatePermissionVersion")?;
    let rt = lookup_resource_type(&p.resource_type)?;
    let template = policy::validate_template(&input.policy_template, rt, &input.parameters)?;
    if p.versions.len() >= max_versions {
        return Err(Error::PermissionVersionsLimitExceeded(format!(
            "The permission {} already has the maximum of {max_versions} versions. Delete a version before you create another.",
            p.arn
        )));
    }
    let v = p.last_version + 1;
    p.versions.insert(
        v,
        Arc::new(Version {
            template,
            parameters: input.parameters,
            creation_time: ctx.now,
            last_updated_time: ctx.now,
            plain_action: Default::default(),
        }),
    );
    p.last_version = v;
    p.default_version = v;
    p.last_updated_time = ctx.now;
    Ok(PermissionRef::Customer(&p).info(v, &ctx.account))
}

/// Input of GetPermission.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetPermissionInput {
    pub permission_arn: String,
    pub permission_version: Option<i32>,
    pub parameter_values: Vec<(String, Vec<String>)>,
}

fn version_number(v: i32) -> Result<u32> {
    u32::try_from(v).ok().filter(|v| *v >= 1).ok_or_else(|| {
        Error::InvalidParameter(format!(
            "The permission version {v} is not valid: versions are numbered from 1."
        ))
    })
}

/// GetPermission: one version (default: the default version) with its
/// template, rendered when parameter values are supplied.
pub fn get_permission(
    state: &State,
    ctx: &Ctx,
    input: GetPermissionInput,
) -> Result<PermissionInfo> {
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    let requested = input.permission_version.map(version_number).transpose()?;
    let p = resolve(state, ctx, &input.permission_arn)?;
    let v = requested.unwrap_or_else(|| p.default_version());
    if !p.has_version(v) {
        return Err(Error::UnknownResource(format!(
            "Version {v} of permission {} could not be found.",
            input.permission_arn
        )));
    }
    let mut info = p.info(v, &ctx.account);
    if !input.parameter_values.is_empty() {
        if info.parameters.is_empty() {
            return Err(Error::InvalidParameter(
                "This permission declares no template parameters, so permissionTemplateParameters must be empty.".into(),
            ));
        }
        info.template = policy::render_template_typed(
            &info.template,
            &info.parameters,
            &input.parameter_values,
        )?
        .into_owned();
    }
    Ok(info)
}

/// Input of ListPermissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPermissionsInput {
    pub resource_type: Option<String>,
    pub permission_type: PermissionTypeFilter,
    pub permission_status: Option<PermissionStatus>,
    pub resource_owner: Option<ResourceOwner>,
    pub page: PageInput,
}

/// ListPermissions: AWS managed permissions, the caller's customer managed
/// ones and those shared with it (their default versions), in ARN order,
/// filtered. `resourceOwner` SELF keeps the caller's own, OTHER-ACCOUNTS the
/// shared ones.
pub fn list_permissions(
    state: &State,
    ctx: &Ctx,
    input: ListPermissionsInput,
) -> Result<Page<PermissionInfo>> {
    let rt = input
        .resource_type
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(lookup_resource_type)
        .transpose()?;
    let query = format!(
        "type={:?};ptype={:?};status={:?};owner={:?}",
        rt.map(|r| &r.resource_type),
        input.permission_type,
        input.permission_status,
        input.resource_owner
    );
    let pager = input.page.start(state, ctx, "ListPermissions", &query)?;
    let after = pager.after().map(str::to_string);
    let want_aws = input.permission_type != PermissionTypeFilter::CustomerManaged
        && input.resource_owner.is_none();
    let want_own = input.permission_type != PermissionTypeFilter::AwsManaged
        && input.resource_owner != Some(ResourceOwner::OtherAccounts);
    let want_shared = input.permission_type != PermissionTypeFilter::AwsManaged
        && input.resource_owner != Some(ResourceOwner::SelfAccount);
    // AWS managed ARNs all start `arn:<partition>:ram::aws:permission/`, so
    // name order is ARN order and the cursor's name bounds the scan.
    let aws_prefix = state.aws_permission_arn("");
    let aws_after = after
        .as_deref()
        .map(|a| a.strip_prefix(&aws_prefix).unwrap_or(a));
    let aws = Catalog::get()
        .managed_permissions_by_name()
        .filter(move |_| want_aws)
        .filter(move |(_, mp)| aws_after.is_none_or(|a| mp.name.as_str() > a))
        .map(|(rt, mp)| PermissionRef::Aws {
            arn_partition: &state.config.partition,
            rt,
            mp,
        });
    let own_prefix = state.permission_arn(&ctx.account, "");
    let own_start = match &after {
        Some(a) if *a > own_prefix => Bound::Excluded(a.as_str()),
        _ => Bound::Included(own_prefix.as_str()),
    };
    // Customer managed permissions: the caller's own, plus (unless SELF only)
    // those shared with it, merged in ARN order.
    let mut customer: BTreeMap<&str, &Permission> = BTreeMap::new();
    if want_own {
        customer.extend(
            state
                .permissions
                .range_from(own_start)
                .take_while(|(k, _)| k.starts_with(&own_prefix)),
        );
    }
    if want_shared {
        customer.extend(
            shared_with_account(state, &ctx.account)
                .into_iter()
                .filter(|(k, _)| after.as_deref().is_none_or(|a| *k > a)),
        );
    }
    let items = aws
        .chain(customer.into_values().map(PermissionRef::Customer))
        .filter(|p| rt.is_none_or(|rt| p.resource_type() == rt.resource_type))
        .filter(|p| input.permission_status.is_none_or(|s| p.status() == s))
        .map(|p| (p.arn(), p.info(p.default_version(), &ctx.account)));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}

/// Input of ListPermissionVersions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPermissionVersionsInput {
    pub permission_arn: String,
    pub page: PageInput,
}

/// ListPermissionVersions: every version of one permission, oldest first.
pub fn list_permission_versions(
    state: &State,
    ctx: &Ctx,
    input: ListPermissionVersionsInput,
) -> Result<Page<PermissionInfo>> {
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    let p = resolve(state, ctx, &input.permission_arn)?;
    let pager = input
        .page
        .start(state, ctx, "ListPermissionVersions", &input.permission_arn)?;
    let versions: Vec<u32> = match p {
        PermissionRef::Aws { mp, .. } => mp.versions.iter().map(|v| v.version).collect(),
        PermissionRef::Customer(c) => c.versions.keys().copied().collect(),
    };
    let key = |v: u32| format!("{v:010}");
    let after = pager.after().map(str::to_string);
    let items = versions
        .into_iter()
        .filter(|v| after.as_deref().is_none_or(|a| key(*v).as_str() > a))
        .map(|v| (key(v), p.info(v, &ctx.account)));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}

/// Input of SetDefaultPermissionVersion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetDefaultPermissionVersionInput {
    pub permission_arn: String,
    pub permission_version: Option<i32>,
}

/// SetDefaultPermissionVersion: makes an existing version the default.
/// Shares keep the version they use.
pub fn set_default_permission_version(
    state: &mut State,
    ctx: &Ctx,
    input: SetDefaultPermissionVersionInput,
) -> Result<bool> {
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    let v = version_number(
        input
            .permission_version
            .ok_or_else(|| Error::missing("permissionVersion"))?,
    )?;
    let mut p = resolve_own_mut(
        state,
        ctx,
        &input.permission_arn,
        "SetDefaultPermissionVersion",
    )?;
    if !p.versions.contains_key(&v) {
        return Err(Error::InvalidParameter(format!(
            "The permission {} has no version {v}.",
            p.arn
        )));
    }
    if p.default_version != v {
        p.default_version = v;
        p.last_updated_time = ctx.now;
    }
    Ok(true)
}

/// Input of DeletePermissionVersion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletePermissionVersionInput {
    pub permission_arn: String,
    pub permission_version: Option<i32>,
}

/// DeletePermissionVersion: removes one version that is neither the default
/// nor used by a resource share.
pub fn delete_permission_version(
    state: &mut State,
    ctx: &Ctx,
    input: DeletePermissionVersionInput,
) -> Result<PermissionStatus> {
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    let v = version_number(
        input
            .permission_version
            .ok_or_else(|| Error::missing("permissionVersion"))?,
    )?;
    let used = in_use(state, &input.permission_arn, Some(v));
    let mut p = resolve_own_mut(state, ctx, &input.permission_arn, "DeletePermissionVersion")?;
    if !p.versions.contains_key(&v) {
        return Err(Error::InvalidParameter(format!(
            "The permission {} has no version {v}.",
            p.arn
        )));
    }
    if p.versions.len() == 1 {
        return Err(Error::OperationNotPermitted(format!(
            "Version {v} is the only version of {}; delete the permission instead.",
            p.arn
        )));
    }
    if p.default_version == v {
        return Err(Error::OperationNotPermitted(format!(
            "Version {v} is the default version of {}. Make another version the default first.",
            p.arn
        )));
    }
    if used {
        return Err(Error::OperationNotPermitted(format!(
            "Version {v} of {} is used by a resource share. Move those shares to another version first.",
            p.arn
        )));
    }
    p.versions.remove(&v);
    p.last_updated_time = ctx.now;
    // AWS deletes asynchronously and reports DELETING; ramd completes at once.
    Ok(PermissionStatus::Deleting)
}

/// Input of DeletePermission.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletePermissionInput {
    pub permission_arn: String,
}

/// DeletePermission: removes a customer managed permission and all its
/// versions, if no resource share uses it.
pub fn delete_permission(
    state: &mut State,
    ctx: &Ctx,
    input: DeletePermissionInput,
) -> Result<PermissionStatus> {
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    let used = in_use(state, &input.permission_arn, None);
    let arn = resolve_own_mut(state, ctx, &input.permission_arn, "DeletePermission")?
        .arn
        .clone();
    if used {
        return Err(Error::OperationNotPermitted(format!(
            "The permission {arn} is attached to a resource share. Detach it before you delete it."
        )));
    }
    state.permissions.remove(&arn);
    // AWS deletes asynchronously and reports DELETING; ramd completes at once.
    Ok(PermissionStatus::Deleting)
}

/// Input of UpdatePermission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePermissionInput {
    pub permission_arn: String,
    /// ATTACHABLE or DEPRECATED; `None` when absent.
    pub status: Option<PermissionStatus>,
}

/// UpdatePermission: deprecates a customer managed permission (no new
/// attachments) or makes it attachable again.
pub fn update_permission(
    state: &mut State,
    ctx: &Ctx,
    input: UpdatePermissionInput,
) -> Result<PermissionStatus> {
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    let deprecated = match input.status {
        None => return Err(Error::missing("status")),
        Some(PermissionStatus::Attachable) => false,
        Some(PermissionStatus::Deprecated) => true,
        Some(other) => {
            return Err(Error::InvalidParameter(format!(
                "The status {other:?} cannot be set: use ATTACHABLE or DEPRECATED."
            )))
        }
    };
    let mut p = resolve_own_mut(state, ctx, &input.permission_arn, "UpdatePermission")?;
    if p.deprecated != deprecated {
        p.deprecated = deprecated;
        p.last_updated_time = ctx.now;
    }
    Ok(p.status())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::state::CoreConfig;

    const OWNER: &str = "111122223333";
    const OTHER: &str = "444455556666";
    const T1: &str = r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects"]}"#;
    const T2: &str = r#"{"Effect":"Allow","Action":"codebuild:StartBuild"}"#;

    fn state() -> State {
        State::new(CoreConfig::default(), [7; 32])
    }

    fn ctx(account: &str, minute: i64) -> Ctx {
        let t0 = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Ctx::new(account, t0 + chrono::Duration::minutes(minute), 1)
    }

    fn create(state: &mut State, account: &str, name: &str) -> Result<PermissionInfo> {
        create_permission(
            state,
            &ctx(account, 0),
            CreatePermissionInput {
                name: name.into(),
                resource_type: "codebuild:project".into(),
                policy_template: T1.into(),
                ..Default::default()
            },
        )
    }

    fn version(state: &mut State, arn: &str, minute: i64) -> Result<PermissionInfo> {
        create_permission_version(
            state,
            &ctx(OWNER, minute),
            CreatePermissionVersionInput {
                permission_arn: arn.into(),
                policy_template: T2.into(),
                parameters: vec![],
            },
        )
    }

    #[test]
    fn create_reports_version_one_as_default() {
        let mut s = state();
        let p = create(&mut s, OWNER, "Readers").unwrap();
        assert_eq!(
            p.arn,
            "arn:aws:ram:us-east-1:111122223333:permission/Readers"
        );
        assert_eq!((p.version, p.default_version), (1, true));
        assert_eq!(p.resource_type, "codebuild:Project");
        assert_eq!(p.status, PermissionStatus::Attachable);
        assert_eq!(p.permission_type, PermissionType::CustomerManaged);
        assert_eq!(p.resource_owner, Some(ResourceOwner::SelfAccount));
        assert_eq!(p.creation_time, ctx(OWNER, 0).now);
    }

    #[test]
    fn refusals_leave_the_state_untouched() {
        let mut s = state();
        create(&mut s, OWNER, "Readers").unwrap();
        let before = s.permissions.clone();
        type IsExpected = fn(&Error) -> bool;
        let cases: Vec<(CreatePermissionInput, IsExpected)> = vec![
            (
                CreatePermissionInput {
                    name: "Readers".into(),
                    resource_type: "codebuild:Project".into(),
                    policy_template: T1.into(),
                    ..Default::default()
                },
                |e| matches!(e, Error::PermissionAlreadyExists(_)),
            ),
            (
                CreatePermissionInput {
                    name: "bad name".into(),
                    resource_type: "codebuild:Project".into(),
                    policy_template: T1.into(),
                    ..Default::default()
                },
                |e| matches!(e, Error::InvalidParameter(_)),
            ),
            (
                CreatePermissionInput {
                    name: "x".into(),
                    resource_type: "ec2:Subnet".into(),
                    policy_template: T1.into(),
                    ..Default::default()
                },
                |e| matches!(e, Error::InvalidParameter(_)),
            ),
            (
                CreatePermissionInput {
                    name: "x".into(),
                    resource_type: "codebuild:Project".into(),
                    policy_template: "{".into(),
                    ..Default::default()
                },
                |e| matches!(e, Error::MalformedPolicyTemplate(_)),
            ),
            (
                CreatePermissionInput {
                    name: "x".into(),
                    resource_type: "codebuild:Project".into(),
                    policy_template: T1.into(),
                    tags: vec![("aws:x".into(), "y".into())],
                    ..Default::default()
                },
                |e| matches!(e, Error::TagPolicyViolation(_)),
            ),
        ];
        for (input, want) in cases {
            let name = input.name.clone();
            let e = create_permission(&mut s, &ctx(OWNER, 1), input).unwrap_err();
            assert!(want(&e), "{name}: {e:?}");
            assert_eq!(s.permissions, before, "{name}");
        }
    }

    #[test]
    fn versions_grow_and_are_never_reused() {
        let mut s = state();
        let arn = create(&mut s, OWNER, "V").unwrap().arn;
        assert_eq!(version(&mut s, &arn, 1).unwrap().version, 2);
        assert_eq!(version(&mut s, &arn, 2).unwrap().version, 3);
        delete_permission_version(
            &mut s,
            &ctx(OWNER, 3),
            DeletePermissionVersionInput {
                permission_arn: arn.clone(),
                permission_version: Some(2),
            },
        )
        .unwrap();
        let v = version(&mut s, &arn, 4).unwrap();
        assert_eq!(v.version, 4);
        let p = s.permissions.get(&arn).unwrap();
        assert_eq!(p.versions.keys().copied().collect::<Vec<_>>(), [1, 3, 4]);
        assert_eq!(p.default_version, 4);
        assert_eq!(p.last_updated_time, ctx(OWNER, 4).now);
        // Version 1 keeps its own creation time.
        let v1 = get_permission(
            &s,
            &ctx(OWNER, 5),
            GetPermissionInput {
                permission_arn: arn.clone(),
                permission_version: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(v1.creation_time, ctx(OWNER, 0).now);
        assert_eq!(v1.status, PermissionStatus::Unattachable);
    }

    #[test]
    fn another_account_is_told_it_does_not_exist() {
        let mut s = state();
        let arn = create(&mut s, OWNER, "Mine").unwrap().arn;
        let get = get_permission(
            &s,
            &ctx(OTHER, 1),
            GetPermissionInput {
                permission_arn: arn.clone(),
                ..Default::default()
            },
        );
        assert!(matches!(get, Err(Error::UnknownResource(_))));
        let del = delete_permission(
            &mut s,
            &ctx(OTHER, 1),
            DeletePermissionInput {
                permission_arn: arn.clone(),
            },
        );
        assert!(matches!(del, Err(Error::UnknownResource(_))));
        assert!(s.permissions.contains_key(&arn));
    }

    #[test]
    fn list_filters_by_type_owner_and_status() {
        let mut s = state();
        create(&mut s, OWNER, "A").unwrap();
        create(&mut s, OTHER, "B").unwrap();
        let list = |s: &State, input: ListPermissionsInput| {
            list_permissions(s, &ctx(OWNER, 1), input)
                .unwrap()
                .items
                .into_iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
        };
        let own = list(
            &s,
            ListPermissionsInput {
                resource_owner: Some(ResourceOwner::SelfAccount),
                ..Default::default()
            },
        );
        assert_eq!(own, ["A"]);
        let codebuild = list(
            &s,
            ListPermissionsInput {
                resource_type: Some("CODEBUILD:PROJECT".into()),
                ..Default::default()
            },
        );
        assert_eq!(codebuild, ["AWSRAMDefaultPermissionCodeBuildProject", "A"]);
        let deprecated = list(
            &s,
            ListPermissionsInput {
                permission_status: Some(PermissionStatus::Deprecated),
                ..Default::default()
            },
        );
        assert!(deprecated.is_empty());
        let aws = list(
            &s,
            ListPermissionsInput {
                permission_type: PermissionTypeFilter::AwsManaged,
                ..Default::default()
            },
        );
        assert!(!aws.contains(&"A".to_string()));
        assert!(aws.len() > 50);
        let unknown = list_permissions(
            &s,
            &ctx(OWNER, 1),
            ListPermissionsInput {
                resource_type: Some("ec2:Nothing".into()),
                ..Default::default()
            },
        );
        assert!(matches!(unknown, Err(Error::InvalidParameter(_))));
    }

    #[test]
    fn aws_managed_permissions_cannot_be_changed() {
        let mut s = state();
        let arn = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet";
        let r = set_default_permission_version(
            &mut s,
            &ctx(OWNER, 0),
            SetDefaultPermissionVersionInput {
                permission_arn: arn.into(),
                permission_version: Some(1),
            },
        );
        assert!(matches!(r, Err(Error::OperationNotPermitted(_))));
        let r = version(&mut s, arn, 0);
        assert!(matches!(r, Err(Error::OperationNotPermitted(_))));
    }
}
