//! Test support: a real ramd server on 127.0.0.1 with a free port, its
//! generated clients, and assertions on the error contract.

use clap::Parser;
use ramd::config::Config;
use ramd::pb::admin::admin_client::AdminClient;
use ramd::pb::v1 as pb;
use ramd::pb::v1::resource_access_manager_client::ResourceAccessManagerClient;
use tokio::sync::oneshot;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

/// An account that owns things in most tests.
pub const OWNER: &str = "111122223333";
/// Another account, which must not see the owner's private objects.
pub const STRANGER: &str = "444455556666";

/// A resource type that supports customer managed permissions, and actions
/// that apply to it.
pub const CMP_TYPE: &str = "codebuild:Project";
pub const TEMPLATE: &str = r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects"]}"#;
pub const TEMPLATE_2: &str =
    r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects","codebuild:StartBuild"]}"#;

/// A running server; dropping it stops the server.
pub struct TestServer {
    pub channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with default flags plus `extra` flags.
    pub async fn start_with(extra: &[&str]) -> TestServer {
        let mut args = vec![
            "ramd",
            "--ephemeral",
            "--listen",
            "127.0.0.1:0",
            "--manual-clock",
        ];
        args.extend_from_slice(extra);
        let config = Config::parse_from(args);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            ramd::server::run(config, listener, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("connect to the test server");
        TestServer {
            channel,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    pub async fn start() -> TestServer {
        TestServer::start_with(&[]).await
    }

    pub fn ram(&self) -> ResourceAccessManagerClient<Channel> {
        ResourceAccessManagerClient::new(self.channel.clone())
    }

    pub fn admin(&self) -> AdminClient<Channel> {
        AdminClient::new(self.channel.clone())
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A request made by `account`.
pub fn as_account<T>(account: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("x-ram-account-id", account.parse().unwrap());
    r
}

/// Asserts a failure's gRPC code and ErrorInfo reason (domain `ram`).
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, reason: &str) {
    let status = match result {
        Ok(v) => panic!("expected {reason}, got success: {v:?}"),
        Err(s) => s,
    };
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(
        (status.code(), info.as_ref().map(|i| i.reason.as_str())),
        (code, Some(reason)),
        "message: {}",
        status.message()
    );
    assert_eq!(info.unwrap().domain, "ram");
    assert!(!status.message().is_empty(), "{reason} has no message");
}

/// Creates a customer managed permission of `CMP_TYPE` as `account`.
pub async fn create_permission(
    server: &TestServer,
    account: &str,
    name: &str,
) -> pb::ResourceSharePermissionSummary {
    server
        .ram()
        .create_permission(as_account(
            account,
            pb::CreatePermissionRequest {
                name: name.into(),
                resource_type: CMP_TYPE.into(),
                policy_template: TEMPLATE.into(),
                ..Default::default()
            },
        ))
        .await
        .expect("CreatePermission")
        .into_inner()
        .permission
        .unwrap()
}
