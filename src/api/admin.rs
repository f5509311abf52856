//! `ram.admin.v1.Admin`: what AWS RAM learns from other services and a
//! self-hosted RAM must be told, plus test controls. Each state-changing RPC
//! is a function of (state, context, request) so the journal can replay it.

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};

use crate::api::{to_proto, Shared};
use crate::core::clock::Ctx;
use crate::core::created_from_policy;
use crate::core::orgs::{self, Organization, OrganizationalUnit};
use crate::core::state::State;
use crate::error::Error;
use crate::pb::admin as pb;
use crate::pb::admin::admin_server::Admin;
use crate::store::Record;

/// The admin service.
#[derive(Debug, Clone)]
pub struct AdminService {
    shared: Arc<Shared>,
}

impl AdminService {
    pub fn new(shared: Arc<Shared>) -> AdminService {
        AdminService { shared }
    }
}

type Rpc<T> = Result<Response<T>, Status>;

/// The admin service's view of an organization.
fn organization(org: &Organization) -> pb::Organization {
    pb::Organization {
        id: org.id.clone(),
        arn: org.arn.clone(),
        management_account_id: org.management_account.clone(),
        root_id: org.root_id.clone(),
    }
}

fn organizational_unit(ou: OrganizationalUnit) -> pb::OrganizationalUnit {
    pb::OrganizationalUnit {
        id: ou.id,
        arn: ou.arn,
        name: ou.name,
        parent_id: ou.parent_id,
    }
}

fn reset(state: &mut State, _: &Ctx, _: pb::ResetRequest) -> Result<pb::ResetResponse, Error> {
    state.reset();
    Ok(pb::ResetResponse {})
}

fn create_organization(
    state: &mut State,
    ctx: &Ctx,
    r: pb::CreateOrganizationRequest,
) -> Result<pb::CreateOrganizationResponse, Error> {
    let input = orgs::CreateOrganizationInput {
        management_account_id: r.management_account_id,
    };
    let org = orgs::create_organization(state, ctx, input)?;
    Ok(pb::CreateOrganizationResponse {
        organization: Some(organization(&org)),
    })
}

fn create_organizational_unit(
    state: &mut State,
    ctx: &Ctx,
    r: pb::CreateOrganizationalUnitRequest,
) -> Result<pb::CreateOrganizationalUnitResponse, Error> {
    let input = orgs::CreateOrganizationalUnitInput {
        parent_id: r.parent_id,
        name: r.name,
    };
    let ou = orgs::create_organizational_unit(state, ctx, input)?;
    Ok(pb::CreateOrganizationalUnitResponse {
        organizational_unit: Some(organizational_unit(ou)),
    })
}

fn add_account(
    state: &mut State,
    ctx: &Ctx,
    r: pb::AddAccountRequest,
) -> Result<pb::AddAccountResponse, Error> {
    let input = orgs::AddAccountInput {
        account_id: r.account_id,
        parent_id: r.parent_id,
    };
    orgs::add_account(state, ctx, input)?;
    Ok(pb::AddAccountResponse {})
}

fn remove_account(
    state: &mut State,
    ctx: &Ctx,
    r: pb::RemoveAccountRequest,
) -> Result<pb::RemoveAccountResponse, Error> {
    let input = orgs::RemoveAccountInput {
        account_id: r.account_id,
    };
    orgs::remove_account(state, ctx, input)?;
    Ok(pb::RemoveAccountResponse {})
}

fn describe_organization(
    state: &State,
    ctx: &Ctx,
    r: pb::DescribeOrganizationRequest,
) -> Result<pb::DescribeOrganizationResponse, Error> {
    let input = orgs::DescribeOrganizationInput {
        account_id: r.account_id,
    };
    let d = orgs::describe_organization(state, ctx, input)?;
    Ok(pb::DescribeOrganizationResponse {
        organization: Some(organization(&d.organization)),
        organizational_units: d
            .organizational_units
            .into_iter()
            .map(organizational_unit)
            .collect(),
        accounts: d
            .accounts
            .into_iter()
            .map(|(account_id, parent_id)| pb::OrganizationAccount {
                account_id,
                parent_id,
            })
            .collect(),
    })
}

fn put_resource_policy(
    state: &mut State,
    ctx: &Ctx,
    r: pb::PutResourcePolicyRequest,
) -> Result<pb::PutResourcePolicyResponse, Error> {
    let input = created_from_policy::PutResourcePolicyInput {
        resource_arn: r.resource_arn,
        policy: r.policy,
    };
    let out = created_from_policy::put_resource_policy(state, ctx, input)?;
    Ok(pb::PutResourcePolicyResponse {
        resource_share_arn: out.resource_share_arn,
        permission_arn: out.permission_arn,
    })
}

fn delete_resource_policy(
    state: &mut State,
    ctx: &Ctx,
    r: pb::DeleteResourcePolicyRequest,
) -> Result<pb::DeleteResourcePolicyResponse, Error> {
    let input = created_from_policy::DeleteResourcePolicyInput {
        resource_arn: r.resource_arn,
    };
    created_from_policy::delete_resource_policy(state, ctx, input)?;
    Ok(pb::DeleteResourcePolicyResponse {})
}

/// The admin RPCs that change the state: (name, request type, function).
macro_rules! admin_mutations {
    ($($name:ident($req:ident) $op:ident;)*) => {
        /// Applies a journaled admin RPC again; `None` when the record is not
        /// an admin RPC.
        pub fn replay(state: &mut State, ctx: &Ctx, rec: &Record) -> Option<Result<(), Error>> {
            match rec.method.as_str() {
                $(stringify!($name) => Some(
                    pb::$req::decode(&rec.request[..])
                        .map_err(|e| Error::ServerInternal(format!("the journaled request does not decode: {e}")))
                        .and_then(|req| $op(state, ctx, req).map(|_| ())),
                ),)*
                _ => None,
            }
        }
    };
}

admin_mutations! {
    Reset(ResetRequest) reset;
    CreateOrganization(CreateOrganizationRequest) create_organization;
    CreateOrganizationalUnit(CreateOrganizationalUnitRequest) create_organizational_unit;
    AddAccount(AddAccountRequest) add_account;
    RemoveAccount(RemoveAccountRequest) remove_account;
    PutResourcePolicy(PutResourcePolicyRequest) put_resource_policy;
    DeleteResourcePolicy(DeleteResourcePolicyRequest) delete_resource_policy;
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn reset(&self, req: Request<pb::ResetRequest>) -> Rpc<pb::ResetResponse> {
        self.shared.admin_mutate("Reset", req, reset).await
    }

    async fn create_organization(
        &self,
        req: Request<pb::CreateOrganizationRequest>,
    ) -> Rpc<pb::CreateOrganizationResponse> {
        self.shared
            .admin_mutate("CreateOrganization", req, create_organization)
            .await
    }

    async fn create_organizational_unit(
        &self,
        req: Request<pb::CreateOrganizationalUnitRequest>,
    ) -> Rpc<pb::CreateOrganizationalUnitResponse> {
        self.shared
            .admin_mutate("CreateOrganizationalUnit", req, create_organizational_unit)
            .await
    }

    async fn add_account(
        &self,
        req: Request<pb::AddAccountRequest>,
    ) -> Rpc<pb::AddAccountResponse> {
        self.shared
            .admin_mutate("AddAccount", req, add_account)
            .await
    }

    async fn remove_account(
        &self,
        req: Request<pb::RemoveAccountRequest>,
    ) -> Rpc<pb::RemoveAccountResponse> {
        self.shared
            .admin_mutate("RemoveAccount", req, remove_account)
            .await
    }

    async fn describe_organization(
        &self,
        req: Request<pb::DescribeOrganizationRequest>,
    ) -> Rpc<pb::DescribeOrganizationResponse> {
        self.shared
            .admin_query("DescribeOrganization", req, describe_organization)
            .await
    }

    async fn put_resource_policy(
        &self,
        req: Request<pb::PutResourcePolicyRequest>,
    ) -> Rpc<pb::PutResourcePolicyResponse> {
        self.shared
            .admin_mutate("PutResourcePolicy", req, put_resource_policy)
            .await
    }

    async fn delete_resource_policy(
        &self,
        req: Request<pb::DeleteResourcePolicyRequest>,
    ) -> Rpc<pb::DeleteResourcePolicyResponse> {
        self.shared
            .admin_mutate("DeleteResourcePolicy", req, delete_resource_policy)
            .await
    }

    async fn advance_clock(
        &self,
        req: Request<pb::AdvanceClockRequest>,
    ) -> Rpc<pb::AdvanceClockResponse> {
        self.shared
            .admin_control("AdvanceClock", req, |shared, r| {
                if r.seconds < 0 {
                    return Err(Error::InvalidParameter(
                        "seconds must be zero or more: the clock only moves forward.".into(),
                    ));
                }
                let latest = crate::core::clock::Clock::latest();
                let target = chrono::TimeDelta::try_seconds(r.seconds)
                    .and_then(|d| shared.clock.now().checked_add_signed(d));
                if shared.clock.is_manual() && target.is_none_or(|t| t > latest) {
                    return Err(Error::InvalidParameter(format!(
                        "seconds would move the clock past {}, the latest time ramd represents.",
                        latest.to_rfc3339()
                    )));
                }
                match shared.clock.advance(r.seconds) {
                    Some(now) => {
                        // Whatever the new time makes due happens now.
                        drop(shared.write_at(now)?);
                        Ok(pb::AdvanceClockResponse {
                            now: Some(to_proto::timestamp(now)),
                        })
                    }
                    None => Err(Error::OperationNotPermitted(
                        "AdvanceClock needs a server started with --manual-clock.".into(),
                    )),
                }
            })
            .await
    }
}
