//! `ram.admin.v1.Admin`: what AWS RAM learns from other services and a
//! self-hosted RAM must be told, plus test controls.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::api::{to_proto, Shared};
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

#[tonic::async_trait]
impl Admin for AdminService {
    async fn reset(&self, req: Request<pb::ResetRequest>) -> Rpc<pb::ResetResponse> {
        self.shared
            .admin("Reset", req, |shared, _| {
                shared.write().reset();
                Ok(pb::ResetResponse {})
            })
            .await
    }

    async fn create_organization(
        &self,
        req: Request<pb::CreateOrganizationRequest>,
    ) -> Rpc<pb::CreateOrganizationResponse> {
        let _ = req;
        self.shared.unimplemented("CreateOrganization")
    }

    async fn create_organizational_unit(
        &self,
        req: Request<pb::CreateOrganizationalUnitRequest>,
    ) -> Rpc<pb::CreateOrganizationalUnitResponse> {
        let _ = req;
        self.shared.unimplemented("CreateOrganizationalUnit")
    }

    async fn add_account(
        &self,
        req: Request<pb::AddAccountRequest>,
    ) -> Rpc<pb::AddAccountResponse> {
        let _ = req;
        self.shared.unimplemented("AddAccount")
    }

    async fn remove_account(
        &self,
        req: Request<pb::RemoveAccountRequest>,
    ) -> Rpc<pb::RemoveAccountResponse> {
        let _ = req;
        self.shared.unimplemented("RemoveAccount")
    }

    async fn describe_organization(
        &self,
        req: Request<pb::DescribeOrganizationRequest>,
    ) -> Rpc<pb::DescribeOrganizationResponse> {
        let _ = req;
        self.shared.unimplemented("DescribeOrganization")
    }

    async fn put_resource_policy(
        &self,
        req: Request<pb::PutResourcePolicyRequest>,
    ) -> Rpc<pb::PutResourcePolicyResponse> {
        let _ = req;
        self.shared.unimplemented("PutResourcePolicy")
    }

    async fn delete_resource_policy(
        &self,
        req: Request<pb::DeleteResourcePolicyRequest>,
    ) -> Rpc<pb::DeleteResourcePolicyResponse> {
        let _ = req;
        self.shared.unimplemented("DeleteResourcePolicy")
    }

    async fn advance_clock(
        &self,
        req: Request<pb::AdvanceClockRequest>,
    ) -> Rpc<pb::AdvanceClockResponse> {
        self.shared
            .admin("AdvanceClock", req, |shared, r| {
                if r.seconds < 0 {
                    return Err(Error::InvalidParameter(
                        "seconds must be zero or more: the clock only moves forward.".into(),
                    ));
                }
                match shared.clock.advance(r.seconds) {
                    Some(now) => Ok(pb::AdvanceClockResponse {
                        now: Some(to_proto::timestamp(now)),
                    }),
                    None => Err(Error::OperationNotPermitted(
                        "AdvanceClock needs a server started with --manual-clock.".into(),
                    )),
                }
            })
            .await
    }
}
