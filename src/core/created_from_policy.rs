//! Shares and permissions created from resource-based policies
//! (CREATED_FROM_POLICY), and their promotion to STANDARD.
//!
//! When an owning service reports that a customer attached a resource-based
//! policy granting other principals access (Admin PutResourcePolicy), ramd
//! mirrors it with a CREATED_FROM_POLICY resource share owned by the
//! resource's account: the resource, the policy's principals (ASSOCIATED at
//! once, no invitations: the policy already grants them access) and the
//! managed permission that matches the policy's statement exactly, or else a
//! CREATED_FROM_POLICY customer managed permission that mirrors it. Such a
//! share is visible only to its owner and refuses changes through the RAM
//! API.
//!
//! Operations: PutResourcePolicy, DeleteResourcePolicy (admin),
//! PromotePermissionCreatedFromPolicy, PromoteResourceShareCreatedFromPolicy.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::core::arn::{Arn, Principal};
use crate::core::associations::Entities;
use crate::core::catalog::{Catalog, RegionScope, ResourceTypeInfo};
use crate::core::clock::{fresh, Ctx};
use crate::core::permissions::{
    self, FeatureSet, Permission, PermissionInfo, PermissionRef, Version,
};
use crate::core::policy;
use crate::core::share_permissions;
use crate::core::shares::{self, AttachedPermission, ResourceShare, ShareStatus};
use crate::core::state::State;
use crate::core::tags::Tags;
use crate::core::timers::Timer;
use crate::core::vecmap::VecMap;
use crate::error::{Error, Result};

/// Input of PutResourcePolicy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutResourcePolicyInput {
    pub resource_arn: String,
    pub policy: String,
}

/// Output of PutResourcePolicy: the mirroring share and its permission
/// (both empty when the policy grants nobody else).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutResourcePolicyOutput {
    pub resource_share_arn: String,
    pub permission_arn: String,
}

/// What a resource-based policy grants, as RAM can represent it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    principals: BTreeSet<String>,
    /// `{"Effect":"Allow","Action":[...],"Condition":{...}}`, canonical.
    template: String,
}

fn invalid(why: &str) -> Error {
    Error::InvalidPolicy(format!(
        "The resource-based policy can't be represented as a resource share: {why}"
    ))
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(String::from)).collect(),
        _ => None,
    }
}

/// Reads the principals of one statement, as RAM principal ids.
fn statement_principals(state: &State, owner: &str, p: &Value) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let Value::Object(map) = p else {
        return Err(invalid(
            "a statement's Principal must name AWS accounts, IAM roles or users, or services.",
        ));
    };
    for (kind, value) in map {
        let values = strings(value).ok_or_else(|| invalid("Principal values must be strings."))?;
        for v in values {
            let id = match kind.as_str() {
                "AWS" => {
                    let root = format!("arn:{}:iam::", state.config.partition);
                    match v.strip_prefix(&root).and_then(|r| r.strip_suffix(":root")) {
                        Some(account) => account.to_string(),
                        None => v,
                    }
                }
                "Service" => v,
                _ => return Err(invalid(&format!("Principal type {kind} is not supported."))),
            };
            let parsed = Principal::parse(&id).map_err(|_| {
                invalid(&format!(
                    "the principal {id} is not an account, IAM role or user, or service."
                ))
            })?;
            if parsed.account_id() == Some(owner) && !parsed.is_iam() {
                continue;
            }
            out.push(id);
        }
    }
    Ok(out)
}

/// Reads a resource-based policy: every statement must allow the same
/// actions under the same conditions on this resource.
fn read_policy(
    state: &State,
    owner: &str,
    resource_arn: &str,
    rt: &ResourceTypeInfo,
    text: &str,
) -> Result<Grant> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        Error::MalformedPolicyTemplate(format!(
            "The resource-based policy is not valid JSON ({e})."
        ))
    })?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => return Err(invalid("it has no Statement.")),
    };
    if statements.is_empty() {
        return Err(invalid("it has no Statement."));
    }
    let mut principals = BTreeSet::new();
    let mut template: Option<String> = None;
    for st in &statements {
        let Value::Object(st) = st else {
            return Err(invalid("a Statement must be an object."));
        };
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            return Err(invalid("only Allow statements can be shared."));
        }
        if let Some(r) = st.get("Resource") {
            let rs = strings(r)
                .ok_or_else(|| invalid("Resource must be a string or a list of strings."))?;
            if rs.iter().any(|x| x != resource_arn && x != "*") {
                return Err(invalid("a statement names another resource."));
            }
        }
        let principal = st
            .get("Principal")
            .ok_or_else(|| invalid("a statement has no Principal."))?;
        principals.extend(statement_principals(state, owner, principal)?);
        let mut body = Map::new();
        body.insert("Effect".into(), Value::String("Allow".into()));
        body.insert(
            "Action".into(),
            st.get("Action")
                .cloned()
                .ok_or_else(|| invalid("a statement has no Action."))?,
        );
        if let Some(c) = st.get("Condition") {
            body.insert("Condition".into(), c.clone());
        }
        let body = Value::Object(body).to_string();
        match &template {
            None => template = Some(body),
            Some(t) if policy::templates_equivalent(t, &body) => {}
            Some(_) => {
                return Err(invalid(
                    "its statements allow different actions or conditions; one resource share carries one permission per resource type.",
                ))
            }
        }
    }
    let template = template.expect("at least one statement");
    // The actions must belong to the resource's type.
    let probe: Value = serde_json::from_str(&template).expect("built above");
    for action in probe.get("Action").and_then(strings).unwrap_or_default() {
        if rt.actions_matching(&action).next().is_none() {
            return Err(invalid(&format!(
                "the action {action} does not apply to {}.",
                rt.resource_type
            )));
        }
    }
    Ok(Grant {
        principals,
        template,
    })
}

/// The STANDARD managed permission whose default version matches `template`
/// exactly: AWS managed ones first (the type's default first), then the
/// owner's customer managed ones.
fn matching_permission<'a>(
    state: &'a State,
    owner: &str,
    rt: &'a ResourceTypeInfo,
    template: &str,
) -> Option<PermissionRef<'a>> {
    let mut aws: Vec<_> = rt.managed_permissions.iter().collect();
    aws.sort_by_key(|mp| !mp.is_resource_type_default);
    for mp in aws {
        if policy::templates_equivalent(&mp.default_version_info().template, template) {
            return Some(PermissionRef::Aws {
                arn_partition: &state.config.partition,
                rt,
                mp,
            });
        }
    }
    permissions::owned(state, owner)
        .filter(|p| {
            p.feature_set == FeatureSet::Standard
                && !p.deprecated
                && p.resource_type == rt.resource_type
        })
        .find(|p| {
            p.versions[&p.default_version].parameters.is_empty()
                && policy::templates_equivalent(&p.versions[&p.default_version].template, template)
        })
        .map(PermissionRef::Customer)
}

fn resource_type_of(
    state: &State,
    resource_arn: &str,
) -> Result<(&'static ResourceTypeInfo, String)> {
    if resource_arn.is_empty() {
        return Err(Error::missing("resourceArn"));
    }
    let parsed = Arn::parse(resource_arn)?;
    let rt = Catalog::get().type_of_arn(resource_arn).ok_or_else(|| {
        Error::InvalidParameter(format!(
            "The resource {resource_arn} is not of a type RAM can share."
        ))
    })?;
    if !crate::core::arn::is_account_id(&parsed.account) {
        return Err(Error::InvalidParameter(format!(
            "The resource {resource_arn} names no owning account."
        )));
    }
    if rt.region_scope == RegionScope::Regional && parsed.region != state.config.region {
        return Err(Error::InvalidParameter(format!(
            "The resource {resource_arn} is not in this server's Region ({}).",
            state.config.region
        )));
    }
    Ok((rt, parsed.account))
}

/// PutResourcePolicy (admin): mirrors a resource-based policy with a
/// CREATED_FROM_POLICY share; replaces what an earlier policy of the same
/// resource granted.
pub fn put_resource_policy(
    state: &mut State,
    ctx: &Ctx,
    input: PutResourcePolicyInput,
) -> Result<PutResourcePolicyOutput> {
    let (rt, owner) = resource_type_of(state, &input.resource_arn)?;
    if input.policy.is_empty() {
        return Err(Error::missing("policy"));
    }
    let grant = read_policy(state, &owner, &input.resource_arn, rt, &input.policy)?;
    if let Some(existing) = state.policies.get(&input.resource_arn) {
        if state
            .shares
            .get(existing.as_str())
            .is_some_and(|s| s.feature_set != FeatureSet::CreatedFromPolicy)
        {
            return Err(Error::OperationNotPermitted(format!(
                "The resource share {existing} made from this resource's policy was promoted; RAM now manages the resource's policy."
            )));
        }
    }
    // Replace whatever an earlier policy created.
    withdraw_policy(state, ctx, &input.resource_arn);
    if grant.principals.is_empty() {
        return Ok(PutResourcePolicyOutput::default());
    }
    let matched = matching_permission(state, &owner, rt, &grant.template)
        .map(|p| AttachedPermission::new(p.arn(), p.default_version(), Vec::new(), ctx.now));
    let attached = match matched {
        Some(a) => a,
        None => {
            let name = fresh(
                || format!("CFP-{}", ctx.ids.uuid().replace('-', "")),
                |name| {
                    let arn = state.permission_arn(&owner, name);
                    state.permissions.get(&arn).is_some()
                },
            );
            let arn = state.permission_arn(&owner, &name);
            state.permissions.insert(Permission {
                arn: arn.clone(),
                name,
                owner: owner.clone(),
                resource_type: rt.resource_type.clone(),
                feature_set: FeatureSet::CreatedFromPolicy,
                deprecated: false,
                versions: VecMap::from_iter([(
                    1,
                    Arc::new(Version {
                        template: grant.template.clone(),
                        parameters: Vec::new(),
                        creation_time: ctx.now,
                        last_updated_time: ctx.now,
                        plain_action: Default::default(),
                    }),
                )]),
                default_version: 1,
                last_version: 1,
                tags: Tags::new(),
                creation_time: ctx.now,
                last_updated_time: ctx.now,
            });
            AttachedPermission::new(arn, 1, Vec::new(), ctx.now)
        }
    };
    let share_arn = shares::new_share_arn(state, ctx, &owner);
    let resource_id: String = input
        .resource_arn
        .rsplit(['/', ':'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(200)
        .collect();
    let permission_arn = attached.arn.clone();
    let share = ResourceShare {
        arn: std::sync::Arc::from(share_arn.as_str()),
        name: format!("CreatedFromPolicy-{resource_id}"),
        owner: owner.clone(),
        allow_external_principals: true,
        status: ShareStatus::Active,
        status_message: None,
        feature_set: FeatureSet::CreatedFromPolicy,
        tags: Tags::new(),
        retain_sharing_on_account_leave_organization: None,
        creation_time: ctx.now,
        last_updated_time: ctx.now,
        resources: VecMap::new(),
        principals: VecMap::new(),
        sources: VecMap::new(),
        permissions: [(rt.resource_type.clone(), attached)].into_iter().collect(),
    };
    let entities = Entities {
        resource_arns: vec![input.resource_arn.clone()],
        principals: grant.principals.into_iter().collect(),
        sources: Vec::new(),
    };
    let plan = crate::core::associations::plan_for_policy(state, &share, &entities)?;
    crate::core::shares::add_share(state, ctx, share, plan);
    state.policies.insert(input.resource_arn, share_arn.clone());
    Ok(PutResourcePolicyOutput {
        resource_share_arn: share_arn,
        permission_arn,
    })
}

/// Ends the CREATED_FROM_POLICY share mirroring a resource's policy (if any)
/// and deletes its CREATED_FROM_POLICY permission once nothing uses it.
fn withdraw_policy(state: &mut State, ctx: &Ctx, resource_arn: &str) -> bool {
    let Some(share_arn) = state.policies.remove(resource_arn) else {
        return false;
    };
    let Some(share) = state.shares.get(share_arn.as_str()) else {
        return true;
    };
    if share.feature_set != FeatureSet::CreatedFromPolicy || !share.is_live() {
        return true;
    }
    let owner_ctx = Ctx::new(share.owner.clone(), ctx.now, 0);
    let cfp_permissions: Vec<String> = share.permissions.values().map(|a| a.arn.clone()).collect();
    shares::end_share(state, &owner_ctx, &share_arn);
    for arn in cfp_permissions {
        drop_unused_cfp_permission(state, &arn);
    }
    true
}

/// Deletes a CREATED_FROM_POLICY permission that no share uses any more.
fn drop_unused_cfp_permission(state: &mut State, arn: &str) {
    let unused = !permissions::in_use(state, arn, None);
    if unused
        && state
            .permissions
            .get(arn)
            .is_some_and(|p| p.feature_set == FeatureSet::CreatedFromPolicy)
    {
        state.permissions.remove(arn);
    }
}

/// Input of DeleteResourcePolicy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteResourcePolicyInput {
    pub resource_arn: String,
}

/// DeleteResourcePolicy (admin): the resource's policy is gone, and so is
/// the CREATED_FROM_POLICY share that mirrored it.
pub fn delete_resource_policy(
    state: &mut State,
    ctx: &Ctx,
    input: DeleteResourcePolicyInput,
) -> Result<()> {
    resource_type_of(state, &input.resource_arn)?;
    if !withdraw_policy(state, ctx, &input.resource_arn) {
        return Err(Error::ResourceArnNotFound(format!(
            "No resource-based policy is recorded for {}.",
            input.resource_arn
        )));
    }
    Ok(())
}

/// Input of PromotePermissionCreatedFromPolicy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromotePermissionInput {
    pub permission_arn: String,
    pub name: String,
}

/// PromotePermissionCreatedFromPolicy: a new STANDARD customer managed
/// permission with the same resource type and template; the original and
/// the shares using it stay as they are.
pub fn promote_permission_created_from_policy(
    state: &mut State,
    ctx: &Ctx,
    input: PromotePermissionInput,
) -> Result<PermissionInfo> {
    if input.permission_arn.is_empty() {
        return Err(Error::missing("permissionArn"));
    }
    if input.name.is_empty() {
        return Err(Error::missing("name"));
    }
    let (template, resource_type) = match permissions::resolve(state, ctx, &input.permission_arn)? {
        PermissionRef::Customer(p)
            if p.owner == ctx.account && p.feature_set == FeatureSet::CreatedFromPolicy =>
        {
            (p.versions[&p.default_version].template.clone(), p.resource_type.clone())
        }
        _ => {
            return Err(Error::OperationNotPermitted(format!(
                "{} is not a permission created from a resource-based policy; only those can be promoted.",
                input.permission_arn
            )))
        }
    };
    permissions::validate_name(&input.name)?;
    if state
        .permissions
        .contains_key(&state.permission_arn(&ctx.account, &input.name))
    {
        return Err(Error::InvalidParameter(format!(
            "A permission named {} already exists; choose another name.",
            input.name
        )));
    }
    permissions::create_permission(
        state,
        ctx,
        permissions::CreatePermissionInput {
            name: input.name,
            resource_type,
            policy_template: template,
            parameters: Vec::new(),
            tags: Vec::new(),
        },
    )
}

/// Input of PromoteResourceShareCreatedFromPolicy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromoteResourceShareInput {
    pub resource_share_arn: String,
}

/// PromoteResourceShareCreatedFromPolicy: the share goes
/// PROMOTING_TO_STANDARD (answered at once) and then STANDARD, with the
/// STANDARD managed permission that exactly matches its CREATED_FROM_POLICY
/// permission; it becomes visible to its principals and the
/// CREATED_FROM_POLICY permission is deleted once nothing uses it.
pub fn promote_resource_share_created_from_policy(
    state: &mut State,
    ctx: &Ctx,
    input: PromoteResourceShareInput,
) -> Result<bool> {
    let share = shares::resolve_owned(state, ctx, &input.resource_share_arn)?;
    if !share.is_live() || share.feature_set != FeatureSet::CreatedFromPolicy {
        return Err(Error::InvalidStateTransition(format!(
            "The resource share {} is {:?} with feature set {:?}; only an active CREATED_FROM_POLICY share can be promoted.",
            share.arn, share.status, share.feature_set
        )));
    }
    let mut replacements = Vec::new();
    for (rt_name, attached) in &share.permissions {
        let cfp = state
            .permissions
            .get(&attached.arn)
            .filter(|p| p.feature_set == FeatureSet::CreatedFromPolicy);
        let Some(cfp) = cfp else {
            continue;
        };
        let rt = permissions::lookup_resource_type(rt_name)?;
        let template = &cfp.versions[&cfp.default_version].template;
        let Some(m) = matching_permission(state, &share.owner, rt, template) else {
            return Err(Error::UnmatchedPolicyPermission(format!(
                "No managed permission matches the policy of {} exactly. Create one (PromotePermissionCreatedFromPolicy creates it from {}) and try again.",
                share.arn, cfp.arn
            )));
        };
        replacements.push((rt_name.clone(), m.arn(), m.default_version()));
    }
    let arn = share.arn.to_string();
    let share = state
        .shares
        .get_mut(arn.as_str())
        .map(Arc::make_mut)
        .expect("resolved share exists");
    share.feature_set = FeatureSet::PromotingToStandard;
    share.last_updated_time = ctx.now;
    state.promotions.insert(arn.clone(), replacements);
    state
        .timers
        .schedule(ctx.now, Timer::CompletePromotion(arn));
    Ok(true)
}

/// The promotion timer: attaches the matched permissions, makes the share
/// STANDARD and deletes CREATED_FROM_POLICY permissions nothing uses.
pub fn complete_promotion(state: &mut State, arn: &str, now: DateTime<Utc>) {
    let Some(replacements) = state.promotions.remove(arn) else {
        return;
    };
    let Some(share) = state.shares.get(arn) else {
        return;
    };
    if share.feature_set != FeatureSet::PromotingToStandard {
        return;
    }
    let old: Vec<String> = share.permissions.values().map(|a| a.arn.clone()).collect();
    for (rt, to_arn, version) in replacements {
        share_permissions::attach(
            state,
            arn,
            rt,
            AttachedPermission::new(to_arn, version, Vec::new(), now),
            now,
        );
    }
    if let Some(share) = state.shares.get_mut(arn).map(Arc::make_mut) {
        share.feature_set = FeatureSet::Standard;
        share.last_updated_time = now;
    }
    for p in old {
        drop_unused_cfp_permission(state, &p);
    }
}
