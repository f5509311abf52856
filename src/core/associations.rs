//! What a share holds and grants: resource, principal and source
//! associations. Operations: AssociateResourceShare,
//! DisassociateResourceShare (including a receiver leaving a share),
//! GetResourceShareAssociations and ListSourceAssociations.
//!
//! Associating is done in two steps so that a failed call changes nothing:
//! `plan_associate` validates every entity against the share and the state
//! and returns a plan; `apply_associate` carries the plan out and cannot
//! fail.

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::core::access;
use crate::core::arn::{Arn, Principal, ResourceShareArn, SourceId};
use crate::core::catalog::{Catalog, RegionScope, ResourceTypeInfo};
use crate::core::clock::Ctx;
use crate::core::invitations;
use crate::core::resources::{rows_after, split_cursor};
use crate::core::share_map::Handle;
use crate::core::shares::{
    self, row_key, Assoc, AssociationStatus, AssociationType, AttachedPermission, PrincipalAssoc,
    ResourceAssoc, ResourceShare, SourceAssoc,
};
use crate::core::state::State;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};

/// The entities of an Associate / Disassociate / Create request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entities {
    pub resource_arns: Vec<String>,
    pub principals: Vec<String>,
    pub sources: Vec<String>,
}

impl Entities {
    pub fn is_empty(&self) -> bool {
        self.resource_arns.is_empty() && self.principals.is_empty() && self.sources.is_empty()
    }
}

/// What the API reports about an association (`ResourceShareAssociation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationInfo {
    pub share_arn: String,
    pub share_name: String,
    pub entity: String,
    pub association_type: AssociationType,
    pub status: AssociationStatus,
    pub status_message: Option<String>,
    pub creation_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
    /// For principal associations.
    pub external: Option<bool>,
}

fn info(
    share: &ResourceShare,
    entity: &str,
    kind: AssociationType,
    assoc: &Assoc,
    external: Option<bool>,
) -> AssociationInfo {
    AssociationInfo {
        share_arn: share.arn.to_string(),
        share_name: share.name.clone(),
        entity: entity.to_string(),
        association_type: kind,
        status: assoc.status,
        status_message: assoc.status_message.as_deref().map(str::to_string),
        creation_time: assoc.creation_time,
        last_updated_time: assoc.last_updated_time,
        external,
    }
}

/// A resource to add.
#[derive(Debug, Clone)]
struct NewResource {
    arn: String,
    resource_type: crate::core::shares::TypeName,
    /// Why the association fails (the resource is not the owner's, or not in
    /// this Region): the call succeeds and the association ends FAILED.
    failure: Option<String>,
}

/// A principal to add.
#[derive(Debug, Clone)]
struct NewPrincipal {
    id: String,
    principal: Principal,
    external: bool,
    /// (receiver account, receiver IAM ARN) when an invitation is needed.
    invite: Option<(String, Option<String>)>,
}

/// A validated change to a share.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    resources: Vec<NewResource>,
    principals: Vec<NewPrincipal>,
    sources: Vec<SourceId>,
    permissions: Vec<(String, AttachedPermission)>,
    /// Every entity of the request, in request order, for the response.
    order: Vec<(AssociationType, String)>,
}

fn dedup(list: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    list.iter()
        .filter(|s| seen.insert(s.as_str()))
        .cloned()
        .collect()
}

fn org_only_message() -> String {
    "The resource you are attempting to share can only be shared within your AWS Organization. This error may also occur if you have not enabled sharing with your AWS organization, or that onboarding process is still in progress.".into()
}

/// Validates adding `entities` to `share` (which may be new and not yet in
/// the state) and returns the plan.
pub fn plan_associate(
    state: &State,
    ctx: &Ctx,
    share: &ResourceShare,
    entities: &Entities,
) -> Result<Plan> {
    let limits = &state.config.limits;
    let catalog = Catalog::get();
    let resource_arns = dedup(&entities.resource_arns);
    let principal_ids = dedup(&entities.principals);
    let source_ids = dedup(&entities.sources);
    if resource_arns.len() > limits.resources_per_call {
        return Err(Error::ResourceShareLimitExceeded(format!(
            "A request can associate at most {} resources; this one has {}.",
            limits.resources_per_call,
            resource_arns.len()
        )));
    }
    let mut plan = Plan::default();

    // Resources.
    let mut new_types: Vec<&'static ResourceTypeInfo> = Vec::new();
    for arn in &resource_arns {
        plan.order.push((AssociationType::Resource, arn.clone()));
        if share
            .resources
            .get(arn.as_str())
            .is_some_and(|r| r.assoc.status.is_live())
        {
            continue;
        }
        let parsed = Arn::parse(arn)?;
        let rt = catalog.type_of_arn(arn).ok_or_else(|| {
            Error::InvalidParameter(format!(
                "The resource {arn} is not of a type RAM can share. ListResourceTypes lists the shareable types."
            ))
        })?;
        if rt.region_scope == RegionScope::Global && state.config.region != "us-east-1" {
            return Err(Error::InvalidParameter(format!(
                "{} is a global resource type; global resources can be shared only from resource shares in us-east-1.",
                rt.resource_type
            )));
        }
        let failure = if parsed.partition != state.config.partition
            || (!parsed.account.is_empty() && parsed.account != share.owner)
        {
            Some("The specified resource could not be found in your AWS account.".to_string())
        } else if rt.region_scope == RegionScope::Regional
            && !parsed.region.is_empty()
            && parsed.region != state.config.region
        {
            Some(format!(
                "The resource is in Region {}; a resource share in {} can hold only resources of its own Region.",
                parsed.region, state.config.region
            ))
        } else {
            None
        };
        if failure.is_none() {
            new_types.push(rt);
        }
        plan.resources.push(NewResource {
            arn: arn.clone(),
            resource_type: rt.resource_type.as_str(),
            failure,
        });
    }
    // The types the share will hold.
    let mut all_types: BTreeSet<&str> = share.resource_types();
    all_types.extend(new_types.iter().map(|t| t.resource_type.as_str()));
    let type_infos: Vec<&ResourceTypeInfo> = all_types
        .iter()
        .filter_map(|t| catalog.resource_type(t))
        .collect();
    let org_only = type_infos.iter().any(|t| !t.can_share_outside_organization);
    let iam_ok = type_infos.iter().all(|t| t.can_share_with_iam_principals);

    // Principals.
    let owner_org = state.orgs.org_of(&share.owner);
    let mut invitations = 0usize;
    let mut has_service_principal = share.has_service_principals();
    for id in &principal_ids {
        plan.order.push((AssociationType::Principal, id.clone()));
        if share
            .principals
            .get(id.as_str())
            .is_some_and(|p| p.assoc.status.is_live())
        {
            continue;
        }
        let principal = Principal::parse(id)?;
        let np = match &principal {
            Principal::ServicePrincipal(_) => {
                has_service_principal = true;
                NewPrincipal {
                    id: id.clone(),
                    principal: principal.clone(),
                    external: false,
                    invite: None,
                }
            }
            Principal::Organization(org) => {
                let org_id = &org.org_id;
                match owner_org {
                    Some(o) if &o.id == org_id && o.arn == *id => {}
                    _ => {
                        return Err(Error::UnknownResource(format!(
                            "Organization {org_id} could not be found."
                        )))
                    }
                }
                if !access::org_sharing_available(state, &share.owner) {
                    return Err(Error::OperationNotPermitted(org_only_message()));
                }
                NewPrincipal {
                    id: id.clone(),
                    principal: principal.clone(),
                    external: false,
                    invite: None,
                }
            }
            Principal::OrganizationalUnit(ou) => {
                let (org_id, ou_id) = (&ou.org_id, &ou.ou_id);
                let known = owner_org.is_some_and(|o| {
                    &o.id == org_id && o.ous.get(ou_id).is_some_and(|ou| ou.arn == *id)
                });
                if !known {
                    return Err(Error::UnknownResource(format!(
                        "OrganizationalUnit {ou_id} could not be found."
                    )));
                }
                if !access::org_sharing_available(state, &share.owner) {
                    return Err(Error::OperationNotPermitted(org_only_message()));
                }
                NewPrincipal {
                    id: id.clone(),
                    principal: principal.clone(),
                    external: false,
                    invite: None,
                }
            }
            Principal::Account(_) | Principal::IamRole(_) | Principal::IamUser(_) => {
                let account = principal
                    .account_id()
                    .expect("accounts and IAM principals have one");
                if principal.is_iam() && !iam_ok {
                    return Err(Error::OperationNotPermitted(format!(
                        "The resource share holds resource types that can't be shared with IAM roles and users, so {id} can't be added."
                    )));
                }
                if principal
                    .partition()
                    .is_some_and(|p| p != state.config.partition)
                {
                    return Err(Error::InvalidParameter(format!(
                        "Principal ID {id} is malformed. Verify the ID and try again."
                    )));
                }
                if !principal.is_iam() && account == share.owner {
                    return Err(Error::InvalidParameter(format!(
                        "The account {account} owns the resource share and can't be one of its principals."
                    )));
                }
                // The owner's own IAM roles and users are as close as it gets.
                let own = account == share.owner;
                let same_org = own || state.orgs.same_org(&share.owner, account);
                let inside = own || access::inside_org(state, &share.owner, account);
                if !inside {
                    if org_only && !same_org {
                        return Err(Error::InvalidParameter(org_only_message()));
                    }
                    if !share.allow_external_principals {
                        if !access::org_sharing_available(state, &share.owner) {
                            return Err(Error::OperationNotPermitted(org_only_message()));
                        }
                        return Err(Error::InvalidParameter(format!(
                            "Principal {id} is not in your AWS organization. You do not have permission to add external AWS accounts to a resource share."
                        )));
                    }
                }
                let invite = if inside {
                    None
                } else {
                    invitations += 1;
                    Some((account.to_string(), principal.is_iam().then(|| id.clone())))
                };
                NewPrincipal {
                    id: id.clone(),
                    principal: principal.clone(),
                    external: !same_org,
                    invite,
                }
            }
        };
        plan.principals.push(np);
    }
    // New resources must fit the principals already there.
    if !new_types.is_empty() {
        let live = || {
            share
                .principals
                .values()
                .filter(|p| p.assoc.status.is_live())
        };
        if new_types.iter().any(|t| !t.can_share_with_iam_principals)
            && live().any(|p| p.principal.is_iam())
        {
            return Err(Error::OperationNotPermitted(
                "The resource share has IAM role or user principals, and these resources can't be shared with them.".into(),
            ));
        }
        if new_types.iter().any(|t| !t.can_share_outside_organization) && live().any(|p| p.external)
        {
            return Err(Error::InvalidParameter(org_only_message()));
        }
    }

    // Sources.
    for id in &source_ids {
        plan.order.push((AssociationType::Source, id.clone()));
        if share
            .sources
            .get(id)
            .is_some_and(|s| s.assoc.status.is_live())
        {
            continue;
        }
        plan.sources.push(SourceId::parse(id)?);
    }
    if !plan.sources.is_empty() && !has_service_principal {
        return Err(Error::InvalidParameter(
            "Sources constrain service principals: add a service principal to the resource share together with its sources.".into(),
        ));
    }

    // Quotas.
    let live_resources = share
        .resources
        .values()
        .filter(|r| r.assoc.status.is_live())
        .count();
    let live_principals = share
        .principals
        .values()
        .filter(|p| p.assoc.status.is_live())
        .count();
    let adding_resources = plan
        .resources
        .iter()
        .filter(|r| r.failure.is_none())
        .count();
    let usage = state.index.usage(&share.owner);
    if live_resources + adding_resources > limits.resources_per_share
        || usage.resource_associations + adding_resources > limits.resource_associations_per_account
    {
        return Err(Error::ResourceShareLimitExceeded(format!(
            "The resource association quota would be exceeded ({} per resource share, {} per account).",
            limits.resources_per_share, limits.resource_associations_per_account
        )));
    }
    if live_principals + plan.principals.len() > limits.principals_per_share
        || usage.principal_associations + plan.principals.len()
            > limits.principal_associations_per_account
    {
        return Err(Error::ResourceShareLimitExceeded(format!(
            "The principal association quota would be exceeded ({} per resource share, {} per account).",
            limits.principals_per_share, limits.principal_associations_per_account
        )));
    }
    if invitations > 0
        && state.invitations.pending_of(&share.owner) + invitations
            > limits.pending_invitations_per_account
    {
        return Err(Error::ResourceShareLimitExceeded(format!(
            "The account already has the maximum of {} pending invitations.",
            limits.pending_invitations_per_account
        )));
    }

    // Default permissions for resource types that have none yet.
    for rt in new_types {
        if share.permissions.contains_key(&rt.resource_type)
            || plan.permissions.iter().any(|(t, _)| *t == rt.resource_type)
        {
            continue;
        }
        let mp = catalog.default_permission(rt);
        plan.permissions.push((
            rt.resource_type.clone(),
            AttachedPermission::new(
                mp.arn(&state.config.partition),
                mp.default_version,
                Vec::new(),
                ctx.now,
            ),
        ));
    }
    Ok(plan)
}

/// Plans the associations of a share mirroring a resource-based policy: the
/// policy already grants its principals access, so they are ASSOCIATED at
/// once, without invitations or organization rules.
pub fn plan_for_policy(state: &State, share: &ResourceShare, entities: &Entities) -> Result<Plan> {
    let catalog = Catalog::get();
    let mut plan = Plan::default();
    for arn in dedup(&entities.resource_arns) {
        let rt = catalog.type_of_arn(&arn).ok_or_else(|| {
            Error::InvalidParameter(format!(
                "The resource {arn} is not of a type RAM can share."
            ))
        })?;
        plan.order.push((AssociationType::Resource, arn.clone()));
        plan.resources.push(NewResource {
            arn,
            resource_type: rt.resource_type.as_str(),
            failure: None,
        });
    }
    for id in dedup(&entities.principals) {
        let principal = Principal::parse(&id)?;
        let external = principal
            .account_id()
            .is_some_and(|a| !state.orgs.same_org(&share.owner, a));
        plan.order.push((AssociationType::Principal, id.clone()));
        plan.principals.push(NewPrincipal {
            id,
            principal,
            external,
            invite: None,
        });
    }
    Ok(plan)
}

/// Carries out a plan on `share` (not in `state.shares` while this runs,
/// but holding handle `h`) and returns the response rows, new associations
/// reported ASSOCIATING as AWS reports them.
pub fn apply_associate(
    state: &mut State,
    ctx: &Ctx,
    share: &mut ResourceShare,
    h: Handle,
    plan: Plan,
) -> Vec<AssociationInfo> {
    let now = ctx.now;
    let mut fresh: BTreeSet<(AssociationType, String)> = BTreeSet::new();
    for (rt, mut p) in plan.permissions {
        p.link(&state.permissions);
        state.index.index_permission(&share.arn, &p);
        share.permissions.insert(rt, p);
    }
    for r in plan.resources {
        let key: Arc<str> = Arc::from(r.arn.as_str());
        // Plans never name a resource the share holds live
        // (`plan_associate` skips them; the other plans are for new shares).
        debug_assert!(!share
            .resources
            .get(&*key)
            .is_some_and(|r| r.assoc.status.is_live()));
        let mut assoc = Assoc::new(AssociationStatus::Associated, now);
        if let Some(why) = r.failure {
            assoc.set(AssociationStatus::Failed, Some(why), now);
        } else {
            state.index.index_resource(&share.owner, h, &key);
        }
        fresh.insert((AssociationType::Resource, r.arn));
        share.resources.insert(
            key,
            ResourceAssoc {
                assoc,
                resource_type: r.resource_type,
            },
        );
    }
    for s in plan.sources {
        fresh.insert((AssociationType::Source, s.id().to_string()));
        share.sources.insert(
            s.id().to_string(),
            SourceAssoc {
                assoc: Assoc::new(AssociationStatus::Associated, now),
                source: s,
            },
        );
    }
    let mut invites = Vec::new();
    for p in plan.principals {
        let status = if p.invite.is_some() {
            AssociationStatus::Associating
        } else {
            AssociationStatus::Associated
        };
        let key = state.index.intern_principal(&p.id);
        let associated = status == AssociationStatus::Associated;
        state
            .index
            .index_principal(&share.owner, &share.arn, h, &key, associated);
        fresh.insert((AssociationType::Principal, p.id.clone()));
        if let Some((account, arn)) = p.invite {
            invites.push((p.id.clone(), account, arn));
        }
        let mut principal = p.principal;
        if let Principal::Account(a) = &mut principal {
            *a = key.clone();
        }
        share.principals.insert(
            key,
            PrincipalAssoc {
                assoc: Assoc::new(status, now),
                principal,
                external: p.external,
                invitation: None,
            },
        );
    }
    // Invitations are created once every resource is in place, so the
    // expiry window reflects the share's types.
    for (id, account, arn) in invites {
        let inv = invitations::create(state, ctx, share, &id, &account, arn);
        if let Some(pa) = share.principals.get_mut(id.as_str()) {
            pa.invitation = Some(inv.into_boxed_str());
        }
    }
    if !fresh.is_empty() {
        share.last_updated_time = now;
    }
    plan.order
        .into_iter()
        .filter_map(|(kind, id)| {
            let mut row = row_of(share, kind, &id)?;
            if fresh.contains(&(kind, id)) {
                row.status = AssociationStatus::Associating;
                row.status_message = None;
            }
            Some(row)
        })
        .collect()
}

/// The association row of one entity of a share.
fn row_of(share: &ResourceShare, kind: AssociationType, id: &str) -> Option<AssociationInfo> {
    match kind {
        AssociationType::Resource => share
            .resources
            .get(id)
            .map(|r| info(share, id, kind, &r.assoc, None)),
        AssociationType::Principal => share
            .principals
            .get(id)
            .map(|p| info(share, id, kind, &p.assoc, Some(p.external))),
        AssociationType::Source => share
            .sources
            .get(id)
            .map(|s| info(share, id, kind, &s.assoc, None)),
    }
}

/// Input of AssociateResourceShare / DisassociateResourceShare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShareEntitiesInput {
    pub resource_share_arn: String,
    pub entities: Entities,
}

/// AssociateResourceShare: adds resources, principals and sources to a share
/// the caller owns.
pub fn associate_resource_share(
    state: &mut State,
    ctx: &Ctx,
    input: ShareEntitiesInput,
) -> Result<Vec<AssociationInfo>> {
    let share = shares::resolve_for_change(state, ctx, &input.resource_share_arn)?;
    if input.entities.is_empty() {
        return Err(Error::MissingRequiredParameter(
            "AssociateResourceShare needs at least one of resourceArns, principals or sources."
                .into(),
        ));
    }
    let plan = plan_associate(state, ctx, share, &input.entities)?;
    Ok(
        shares::change_share(state, &input.resource_share_arn, |state, share, h| {
            apply_associate(state, ctx, share, h, plan)
        })
        .expect("resolved share exists"),
    )
}

/// DisassociateResourceShare: the owner removes entities; a receiver that
/// was added as an account leaves by naming its own account id.
pub fn disassociate_resource_share(
    state: &mut State,
    ctx: &Ctx,
    input: ShareEntitiesInput,
) -> Result<Vec<AssociationInfo>> {
    let arn = &input.resource_share_arn;
    if arn.is_empty() {
        return Err(Error::missing("resourceShareArn"));
    }
    ResourceShareArn::parse(arn)?;
    if input.entities.is_empty() {
        return Err(Error::MissingRequiredParameter(
            "DisassociateResourceShare needs at least one of resourceArns, principals or sources."
                .into(),
        ));
    }
    let is_owner = state
        .shares
        .get(arn.as_str())
        .is_some_and(|s| s.owner == ctx.account);
    if !is_owner {
        return leave(state, ctx, &input);
    }
    let share = shares::resolve_for_change(state, ctx, arn)?;
    let e = &input.entities;
    let mut order = Vec::new();
    for r in dedup(&e.resource_arns) {
        Arn::parse(&r)?;
        live_or_refuse(share.resources.get(r.as_str()).map(|x| &x.assoc), &r, arn)?;
        order.push((AssociationType::Resource, r));
    }
    for p in dedup(&e.principals) {
        live_or_refuse(share.principals.get(p.as_str()).map(|x| &x.assoc), &p, arn)?;
        order.push((AssociationType::Principal, p));
    }
    for s in dedup(&e.sources) {
        live_or_refuse(share.sources.get(&s).map(|x| &x.assoc), &s, arn)?;
        order.push((AssociationType::Source, s));
    }
    // Sources constrain service principals: while one remains, so must a
    // source (if the share had any); without service principals, sources
    // constrain nothing and end with them.
    let removing =
        |kind: AssociationType, id: &str| order.iter().any(|(k, x)| *k == kind && x == id);
    let service_principals_left = share.principals.iter().any(|(id, p)| {
        p.assoc.status.is_live()
            && matches!(p.principal, Principal::ServicePrincipal(_))
            && !removing(AssociationType::Principal, id)
    });
    let live_sources: Vec<&String> = share
        .sources
        .iter()
        .filter(|(_, s)| s.assoc.status.is_live())
        .map(|(id, _)| id)
        .collect();
    let sources_left: Vec<String> = live_sources
        .iter()
        .filter(|id| !removing(AssociationType::Source, id))
        .map(|id| id.to_string())
        .collect();
    if service_principals_left && !live_sources.is_empty() && sources_left.is_empty() {
        return Err(Error::InvalidParameter(
            "At least one source must remain when service principals are present.".into(),
        ));
    }
    if !service_principals_left {
        order.extend(
            sources_left
                .into_iter()
                .map(|id| (AssociationType::Source, id)),
        );
    }
    Ok(shares::change_share(state, arn, |state, share, h| {
        end_associations(state, ctx, share, h, &order)
    })
    .expect("resolved share exists"))
}

fn live_or_refuse(assoc: Option<&Assoc>, entity: &str, share_arn: &str) -> Result<()> {
    match assoc {
        Some(a) if a.status.is_live() => Ok(()),
        _ => Err(Error::InvalidParameter(format!(
            "{entity} is not associated with the resource share {share_arn}."
        ))),
    }
}

/// Ends the listed associations of `share` (handle `h`); returns rows
/// reported DISASSOCIATING.
fn end_associations(
    state: &mut State,
    ctx: &Ctx,
    share: &mut ResourceShare,
    h: Handle,
    order: &[(AssociationType, String)],
) -> Vec<AssociationInfo> {
    let now = ctx.now;
    let mut rows = Vec::new();
    for (kind, id) in order {
        match kind {
            AssociationType::Resource => {
                // Live: disassociation refuses a resource that is not.
                state.index.unindex_resource(&share.owner, h, id);
                if let Some(r) = share.resources.get_mut(id.as_str()) {
                    r.assoc.set(AssociationStatus::Disassociated, None, now);
                }
            }
            AssociationType::Principal => {
                state.index.unindex_principal(&share.owner, &share.arn, id);
                if let Some(p) = share.principals.get_mut(id.as_str()) {
                    p.assoc.set(AssociationStatus::Disassociated, None, now);
                    if let Some(inv) = p.invitation.take() {
                        invitations::withdraw(state, &inv);
                    }
                }
            }
            AssociationType::Source => {
                if let Some(s) = share.sources.get_mut(id) {
                    s.assoc.set(AssociationStatus::Disassociated, None, now);
                }
            }
        }
        if let Some(mut row) = row_of(share, *kind, id) {
            row.status = AssociationStatus::Disassociating;
            rows.push(row);
        }
    }
    share.last_updated_time = now;
    rows
}

/// A receiver leaves a share it was added to as an account.
fn leave(state: &mut State, ctx: &Ctx, input: &ShareEntitiesInput) -> Result<Vec<AssociationInfo>> {
    let arn = &input.resource_share_arn;
    let Some(share) = state.shares.get(arn.as_str()) else {
        return Err(Error::UnknownResource(format!(
            "ResourceShare {arn} could not be found."
        )));
    };
    if !access::reaches(state, share, &ctx.account) {
        return Err(Error::UnknownResource(format!(
            "ResourceShare {arn} could not be found."
        )));
    }
    let e = &input.entities;
    if !e.resource_arns.is_empty() || !e.sources.is_empty() || e.principals != [ctx.account.clone()]
    {
        return Err(Error::OperationNotPermitted(format!(
            "Only the owner of resource share {arn} can change it; a receiver can only leave it by naming its own account id as the principal."
        )));
    }
    let individually = share
        .principals
        .get(ctx.account.as_str())
        .is_some_and(|p| p.assoc.status == AssociationStatus::Associated);
    if !individually {
        return Err(Error::OperationNotPermitted(format!(
            "The account has access to {arn} through its organization and can't leave it individually."
        )));
    }
    let leaving = [(AssociationType::Principal, ctx.account.clone())];
    Ok(shares::change_share(state, arn, |state, share, h| {
        end_associations(state, ctx, share, h, &leaving)
    })
    .expect("share exists"))
}

/// The caller's shares (DELETED ones included) from the page cursor's share
/// on, only those named in `named` when it is not empty.
fn owned_from_cursor<'a>(
    state: &'a State,
    ctx: &'a Ctx,
    cursor: Option<&str>,
    named: &'a [String],
) -> impl Iterator<Item = &'a ResourceShare> + 'a {
    let (after_share, _) = split_cursor(cursor);
    let start = after_share.map_or(Bound::Unbounded, Bound::Included);
    shares::owned(state, &ctx.account, start)
        .filter(move |s| named.is_empty() || named.iter().any(|n| **n == *s.arn))
}

/// Input of GetResourceShareAssociations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetResourceShareAssociationsInput {
    pub association_type: Option<AssociationType>,
    pub resource_share_arns: Vec<String>,
    pub resource_arn: Option<String>,
    pub principal: Option<String>,
    pub status: Option<AssociationStatus>,
    pub page: PageInput,
}

/// GetResourceShareAssociations: the associations of the caller's shares.
pub fn get_resource_share_associations(
    state: &State,
    ctx: &Ctx,
    input: GetResourceShareAssociationsInput,
) -> Result<Page<AssociationInfo>> {
    let kind = input
        .association_type
        .ok_or_else(|| Error::missing("associationType"))?;
    let resource_arn = input.resource_arn.as_deref().filter(|s| !s.is_empty());
    let principal = input.principal.as_deref().filter(|s| !s.is_empty());
    if resource_arn.is_some() && kind == AssociationType::Principal {
        return Err(Error::InvalidParameter(
            "resourceArn can't be used with associationType PRINCIPAL.".into(),
        ));
    }
    if principal.is_some() && kind == AssociationType::Resource {
        return Err(Error::InvalidParameter(
            "principal can't be used with associationType RESOURCE.".into(),
        ));
    }
    if let Some(r) = resource_arn {
        Arn::parse(r)?;
    }
    for a in &input.resource_share_arns {
        shares::resolve_owned(state, ctx, a)?;
    }
    let query = format!(
        "{kind:?}|{:?}|{resource_arn:?}|{principal:?}|{:?}",
        input.resource_share_arns, input.status
    );
    let pager = input
        .page
        .start(state, ctx, "GetResourceShareAssociations", &query)?;
    let cursor = pager.after().map(str::to_string);
    let shares = owned_from_cursor(state, ctx, cursor.as_deref(), &input.resource_share_arns);
    let items = rows_after(shares, cursor.as_deref(), |s, after| {
        let ids: Vec<&str> = match kind {
            AssociationType::Resource => s.resources.keys().map(|k| &**k).collect(),
            AssociationType::Principal => s.principals.keys().map(|k| &**k).collect(),
            AssociationType::Source => s.sources.keys().map(String::as_str).collect(),
        };
        ids.into_iter()
            .filter(move |id| after.is_none_or(|a| *id > a))
            .filter_map(move |id| row_of(s, kind, id))
    })
    .filter(|r| resource_arn.is_none_or(|a| r.entity == a))
    .filter(|r| principal.is_none_or(|p| r.entity == p))
    .filter(|r| input.status.is_none_or(|st| r.status == st))
    .map(|r| (row_key(&r.share_arn, &r.entity), r));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}

/// What the API reports about a source (`AssociatedSource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub share_arn: String,
    pub source_id: String,
    pub source_type: &'static str,
    pub status: AssociationStatus,
    pub status_message: Option<String>,
    pub creation_time: DateTime<Utc>,
    pub last_updated_time: DateTime<Utc>,
}

/// Input of ListSourceAssociations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSourceAssociationsInput {
    pub resource_share_arns: Vec<String>,
    pub source_id: Option<String>,
    pub source_type: Option<String>,
    pub status: Option<AssociationStatus>,
    pub page: PageInput,
}

/// The source types ListSourceAssociations filters on.
pub const SOURCE_TYPES: [&str; 4] = ["ACCOUNT", "ARN", "ORGANIZATION_ID", "ORGANIZATION_PATH"];

/// ListSourceAssociations: the source constraints of the caller's shares.
pub fn list_source_associations(
    state: &State,
    ctx: &Ctx,
    input: ListSourceAssociationsInput,
) -> Result<Page<SourceInfo>> {
    for a in &input.resource_share_arns {
        shares::resolve_owned(state, ctx, a)?;
    }
    let source_type = input.source_type.as_deref().filter(|s| !s.is_empty());
    if let Some(t) = source_type {
        if !SOURCE_TYPES.contains(&t) {
            return Err(Error::InvalidParameter(format!(
                "{t} is not a source type: use one of {}.",
                SOURCE_TYPES.join(", ")
            )));
        }
    }
    let source_id = input.source_id.as_deref().filter(|s| !s.is_empty());
    let query = format!(
        "{:?}|{source_id:?}|{source_type:?}|{:?}",
        input.resource_share_arns, input.status
    );
    let pager = input
        .page
        .start(state, ctx, "ListSourceAssociations", &query)?;
    let cursor = pager.after().map(str::to_string);
    let shares = owned_from_cursor(state, ctx, cursor.as_deref(), &input.resource_share_arns);
    let items = rows_after(shares, cursor.as_deref(), |s, after| {
        s.sources
            .iter()
            .filter(move |(id, _)| after.is_none_or(|a| id.as_str() > a))
            .map(move |(id, src)| SourceInfo {
                share_arn: s.arn.to_string(),
                source_id: id.clone(),
                source_type: src.source.source_type(),
                status: src.assoc.status,
                status_message: src.assoc.status_message.as_deref().map(str::to_string),
                creation_time: src.assoc.creation_time,
                last_updated_time: src.assoc.last_updated_time,
            })
    })
    .filter(|r| source_id.is_none_or(|x| r.source_id == x))
    .filter(|r| source_type.is_none_or(|t| r.source_type == t))
    .filter(|r| input.status.is_none_or(|st| r.status == st))
    .map(|r| (row_key(&r.share_arn, &r.source_id), r));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::access;
    use crate::core::invitations::{self, InvitationInput, InvitationStatus};
    use crate::core::orgs;
    use crate::core::shares::{create_resource_share, CreateResourceShareInput};
    use crate::core::timers;

    const OWNER: &str = "111122223333";
    const MEMBER: &str = "222233334444";
    const OUTSIDER: &str = "444455556666";
    const STRANGER: &str = "777788889999";

    fn t(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + chrono::Duration::minutes(minute)
    }

    fn ctx(account: &str, minute: i64) -> Ctx {
        Ctx::new(account, t(minute), minute as u64 + 1)
    }

    fn subnet(n: u32) -> String {
        format!("arn:aws:ec2:us-east-1:{OWNER}:subnet/subnet-{n:08x}")
    }

    fn project(n: u32) -> String {
        format!("arn:aws:codebuild:us-east-1:{OWNER}:project/p{n}")
    }

    /// An organization of OWNER (management) and MEMBER under one OU, with
    /// sharing enabled; returns (state, OU ARN, org ARN).
    fn org_state() -> (State, String, String) {
        let (s, org, ou) = crate::core::testing::org_with_member(OWNER, MEMBER);
        (s, ou.arn, org.arn)
    }

    fn share(s: &mut State, resources: Vec<String>, principals: Vec<&str>) -> Result<String> {
        create_resource_share(
            s,
            &ctx(OWNER, 1),
            CreateResourceShareInput {
                name: "s".into(),
                entities: Entities {
                    resource_arns: resources,
                    principals: principals.into_iter().map(String::from).collect(),
                    sources: vec![],
                },
                ..Default::default()
            },
        )
        .map(|i| i.arn)
    }

    #[test]
    fn an_ou_principal_reaches_members_now_and_later() {
        let (mut s, ou, _) = org_state();
        let arn = share(&mut s, vec![subnet(1)], vec![&ou]).unwrap();
        assert!(access::visible_shares(&s, MEMBER).any(|sh| *sh.arn == *arn));
        assert!(access::visible_shares(&s, STRANGER).next().is_none());
        let sh = &s.shares[arn.as_str()];
        assert_eq!(
            sh.principals[ou.as_str()].assoc.status,
            AssociationStatus::Associated
        );
        assert!(!sh.principals[ou.as_str()].external);
        // The default permission of the subnet type is attached.
        assert_eq!(
            sh.permissions["ec2:Subnet"].arn,
            "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet"
        );
        // A member removed from the organization loses access at once.
        orgs::remove_account(
            &mut s,
            &ctx(OWNER, 2),
            orgs::RemoveAccountInput {
                account_id: MEMBER.into(),
            },
        )
        .unwrap();
        assert!(!access::reaches(&s, &s.shares[arn.as_str()], MEMBER));
    }

    #[test]
    fn an_outsider_is_invited_and_gets_access_on_accept() {
        let (mut s, _, _) = org_state();
        let arn = share(&mut s, vec![project(1)], vec![OUTSIDER]).unwrap();
        let pa = &s.shares[arn.as_str()].principals[OUTSIDER];
        assert_eq!(pa.assoc.status, AssociationStatus::Associating);
        assert!(pa.external);
        let inv = pa.invitation.clone().unwrap();
        assert!(!access::reaches(&s, &s.shares[arn.as_str()], OUTSIDER));
        // Only the receiver can answer.
        let stranger = invitations::accept_resource_share_invitation(
            &mut s,
            &ctx(STRANGER, 2),
            InvitationInput {
                invitation_arn: inv.to_string(),
            },
        );
        assert!(matches!(
            stranger,
            Err(Error::ResourceShareInvitationArnNotFound(_))
        ));
        let accepted = invitations::accept_resource_share_invitation(
            &mut s,
            &ctx(OUTSIDER, 2),
            InvitationInput {
                invitation_arn: inv.to_string(),
            },
        )
        .unwrap();
        assert_eq!(accepted.status, InvitationStatus::Accepted);
        assert!(access::reaches(&s, &s.shares[arn.as_str()], OUTSIDER));
        assert_eq!(s.invitations.pending_of(OWNER), 0);
    }

    #[test]
    fn invitations_expire_with_the_shortest_window() {
        let (mut s, _, _) = org_state();
        // A codebuild project: 12 hours.
        let arn = share(&mut s, vec![project(1)], vec![OUTSIDER]).unwrap();
        let inv = s.shares[arn.as_str()].principals[OUTSIDER]
            .invitation
            .clone()
            .unwrap();
        timers::run_due(
            &mut s,
            t(1) + chrono::Duration::hours(12) - chrono::Duration::seconds(1),
        );
        assert_eq!(
            s.invitations.by_arn[&*inv].status,
            InvitationStatus::Pending
        );
        timers::run_due(&mut s, t(1) + chrono::Duration::hours(12));
        assert_eq!(
            s.invitations.by_arn[&*inv].status,
            InvitationStatus::Expired
        );
        let pa = &s.shares[arn.as_str()].principals[OUTSIDER];
        assert_eq!(pa.assoc.status, AssociationStatus::Disassociated);
        assert!(s.index.shares_of_principal(OUTSIDER).is_empty());
    }

    #[test]
    fn refusals_change_nothing() {
        let (mut s, _, org) = org_state();
        let before_shares = s.shares.clone();
        let before_index = s.index.clone();
        let cases: Vec<(Vec<String>, Vec<&str>, &str)> = vec![
            // Subnets can't leave the organization.
            (vec![subnet(1)], vec![OUTSIDER], "InvalidParameterException"),
            // Malformed principals.
            (
                vec![],
                vec!["arn:aws:iam::123456789012:root"],
                "InvalidParameterException",
            ),
            (vec![], vec!["o-abcdefghij"], "InvalidParameterException"),
            // Another organization.
            (
                vec![],
                vec!["arn:aws:organizations::999999999999:organization/o-zzzzzzzzzz"],
                "UnknownResourceException",
            ),
            // The owner itself.
            (vec![], vec![OWNER], "InvalidParameterException"),
            // Subnets can't be shared with IAM roles.
            (
                vec![subnet(2)],
                vec!["arn:aws:iam::222233334444:role/r"],
                "OperationNotPermittedException",
            ),
            (vec!["not-an-arn".into()], vec![], "MalformedArnException"),
            (
                vec!["arn:aws:ec2:us-east-1:111122223333:instance/i-1".into()],
                vec![],
                "InvalidParameterException",
            ),
        ];
        for (resources, principals, reason) in cases {
            let e = share(&mut s, resources.clone(), principals.clone()).unwrap_err();
            assert_eq!(e.aws_code(), reason, "{resources:?} {principals:?}: {e}");
            assert_eq!(s.shares, before_shares);
            assert_eq!(
                s.index.resolved(&s.shares),
                before_index.resolved(&before_shares)
            );
        }
        // The organization itself is a valid principal.
        share(&mut s, vec![subnet(3)], vec![&org]).unwrap();
    }

    #[test]
    fn foreign_resources_fail_asynchronously() {
        let (mut s, _, _) = org_state();
        let foreign = "arn:aws:ec2:us-east-1:999999999999:subnet/subnet-1".to_string();
        let elsewhere = format!("arn:aws:ec2:eu-west-1:{OWNER}:subnet/subnet-2");
        let arn = share(&mut s, vec![foreign.clone(), elsewhere.clone()], vec![]).unwrap();
        let sh = &s.shares[arn.as_str()];
        for r in [&foreign, &elsewhere] {
            assert_eq!(
                sh.resources[r.as_str()].assoc.status,
                AssociationStatus::Failed
            );
            assert!(sh.resources[r.as_str()].assoc.status_message.is_some());
        }
        assert!(s.index.by_resource.is_empty());
        assert!(
            sh.permissions.is_empty(),
            "no permission for failed resources"
        );
    }

    #[test]
    fn a_receiver_leaves_only_what_it_joined_individually() {
        let (mut s, ou, _) = org_state();
        let arn = share(&mut s, vec![subnet(1)], vec![&ou]).unwrap();
        let leave = |s: &mut State, who: &str| {
            disassociate_resource_share(
                s,
                &ctx(who, 3),
                ShareEntitiesInput {
                    resource_share_arn: arn.clone(),
                    entities: Entities {
                        principals: vec![who.to_string()],
                        ..Default::default()
                    },
                },
            )
        };
        assert!(matches!(
            leave(&mut s, MEMBER),
            Err(Error::OperationNotPermitted(_))
        ));
        assert!(matches!(
            leave(&mut s, STRANGER),
            Err(Error::UnknownResource(_))
        ));
        associate_resource_share(
            &mut s,
            &ctx(OWNER, 2),
            ShareEntitiesInput {
                resource_share_arn: arn.clone(),
                entities: Entities {
                    principals: vec![MEMBER.into()],
                    ..Default::default()
                },
            },
        )
        .unwrap();
        let rows = leave(&mut s, MEMBER).unwrap();
        assert_eq!(rows[0].status, AssociationStatus::Disassociating);
        assert_eq!(
            s.shares[arn.as_str()].principals[MEMBER].assoc.status,
            AssociationStatus::Disassociated
        );
        // Still reached through the OU.
        assert!(access::reaches(&s, &s.shares[arn.as_str()], MEMBER));
    }
}
