//! `ram.admin.v1.Admin`: what AWS RAM learns from other services and a
//! self-hosted RAM must be told, plus test controls.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::api::{to_proto, Shared};
use crate::core::created_from_policy;
use crate::core::orgs::{self, Organization, OrganizationalUnit};
use crate::error::Error;
use crate::pb::admin as pb;
use crate::pb::admin::admin_server::Admin;

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

#[tonic::async_trait]
impl Admin for AdminService {
    async fn reset(&self, req: Request<pb::ResetRequest>) -> Rpc<pb::ResetResponse> {
        self.shared
            .admin("Reset", req, |shared, _, _| {
                shared.write().reset();
                Ok(pb::ResetResponse {})
            })
            .await
    }

    async fn create_organization(
        &self,
        req: Request<pb::CreateOrganizationRequest>,
    ) -> Rpc<pb::CreateOrganizationResponse> {
        self.shared
            .admin("CreateOrganization", req, |shared, caller, r| {
                let ctx = shared.ctx(caller);
                let input = orgs::CreateOrganizationInput {
                    management_account_id: r.management_account_id,
                };
                let org = orgs::create_organization(&mut shared.write_at(ctx.now), &ctx, input)?;
                Ok(pb::CreateOrganizationResponse {
                    organization: Some(organization(&org)),
                })
            })
            .await
    }

    async fn create_organizational_unit(
        &self,
        req: Request<pb::CreateOrganizationalUnitRequest>,
    ) -> Rpc<pb::CreateOrganizationalUnitResponse> {
        self.shared
            .admin("CreateOrganizationalUnit", req, |shared, caller, r| {
                let ctx = shared.ctx(caller);
                let input = orgs::CreateOrganizationalUnitInput {
                    parent_id: r.parent_id,
                    name: r.name,
                };
                let ou =
                    orgs::create_organizational_unit(&mut shared.write_at(ctx.now), &ctx, input)?;
                Ok(pb::CreateOrganizationalUnitResponse {
                    organizational_unit: Some(organizational_unit(ou)),
                })
            })
            .await
    }

    async fn add_account(
        &self,
        req: Request<pb::AddAccountRequest>,
    ) -> Rpc<pb::AddAccountResponse> {
        self.shared
            .admin("AddAccount", req, |shared, caller, r| {
                let ctx = shared.ctx(caller);
                let input = orgs::AddAccountInput {
                    account_id: r.account_id,
                    parent_id: r.parent_id,
                };
                orgs::add_account(&mut shared.write_at(ctx.now), &ctx, input)?;
                Ok(pb::AddAccountResponse {})
            })
            .await
    }

    async fn remove_account(
        &self,
        req: Request<pb::RemoveAccountRequest>,
    ) -> Rpc<pb::RemoveAccountResponse> {
        self.shared
            .admin("RemoveAccount", req, |shared, caller, r| {
                let ctx = shared.ctx(caller);
                let input = orgs::RemoveAccountInput {
                    account_id: r.account_id,
                };
                orgs::remove_account(&mut shared.write_at(ctx.now), &ctx, input)?;
                Ok(pb::RemoveAccountResponse {})
            })
            .await
    }

    async fn describe_organization(
        &self,
        req: Request<pb::DescribeOrganizationRequest>,
    ) -> Rpc<pb::DescribeOrganizationResponse> {
        self.shared
            .admin("DescribeOrganization", req, |shared, caller, r| {
                let ctx = shared.ctx(caller);
                let input = orgs::DescribeOrganizationInput {
                    account_id: r.account_id,
                };
                let d = orgs::describe_organization(&shared.read_at(ctx.now), &ctx, input)?;
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
            })
            .await
    }

    async fn put_resource_policy(
        &self,
        req: Request<pb::PutResourcePolicyRequest>,
    ) -> Rpc<pb::PutResourcePolicyResponse> {
        self.shared
            .admin("PutResourcePolicy", req, |shared, caller, r| {
                let ctx = shared.ctx(caller);
                let input = created_from_policy::PutResourcePolicyInput {
                    resource_arn: r.resource_arn,
                    policy: r.policy,
                };
                let out = created_from_policy::put_resource_policy(
                    &mut shared.write_at(ctx.now),
                    &ctx,
                    input,
                )?;
                Ok(pb::PutResourcePolicyResponse {
                    resource_share_arn: out.resource_share_arn,
                    permission_arn: out.permission_arn,
                })
            })
            .await
    }

    async fn delete_resource_policy(
        &self,
        req: Request<pb::DeleteResourcePolicyRequest>,
    ) -> Rpc<pb::DeleteResourcePolicyResponse> {
        self.shared
            .admin("DeleteResourcePolicy", req, |shared, caller, r| {
                let ctx = shared.ctx(caller);
                let input = created_from_policy::DeleteResourcePolicyInput {
                    resource_arn: r.resource_arn,
                };
                created_from_policy::delete_resource_policy(
                    &mut shared.write_at(ctx.now),
                    &ctx,
                    input,
                )?;
                Ok(pb::DeleteResourcePolicyResponse {})
            })
            .await
    }

    async fn advance_clock(
        &self,
        req: Request<pb::AdvanceClockRequest>,
    ) -> Rpc<pb::AdvanceClockResponse> {
        self.shared
            .admin("AdvanceClock", req, |shared, _, r| {
                if r.seconds < 0 {
                    return Err(Error::InvalidParameter(
                        "seconds must be zero or more: the clock only moves forward.".into(),
                    ));
                }
                match shared.clock.advance(r.seconds) {
                    Some(now) => {
                        // Whatever the new time makes due happens now.
                        drop(shared.write_at(now));
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
