//! The Prometheus endpoint of a running server: request counters by method
//! and code, latency histograms, object gauges, the storage figures, and
//! plain HTTP answers for other paths and methods.

use std::net::SocketAddr;

use clap::Parser;
use ramd::config::Config;
use ramd::pb::v1 as pb;
use ramd::pb::v1::resource_access_manager_client::ResourceAccessManagerClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::common::*;

/// A server with its metrics endpoint; dropping it stops the server.
struct MetricsServer {
    channel: Channel,
    metrics: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl MetricsServer {
    async fn start() -> MetricsServer {
        let config = Config::parse_from(["ramd", "--ephemeral", "--manual-clock"]);
        let grpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let grpc_addr = grpc.local_addr().unwrap();
        let metrics_addr = metrics.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            ramd::server::run_on(config, grpc, Some(metrics), async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let channel = Channel::from_shared(format!("http://{grpc_addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        MetricsServer {
            channel,
            metrics: metrics_addr,
            _stop: stop,
        }
    }

    fn ram(&self) -> ResourceAccessManagerClient<Channel> {
        ResourceAccessManagerClient::new(self.channel.clone())
    }

    /// One plain HTTP/1.1 request; returns the status line, the headers and
    /// the body.
    async fn http(&self, method: &str, path: &str) -> (String, String, String) {
        let mut stream = TcpStream::connect(self.metrics).await.unwrap();
        let request =
            format!("{method} {path} HTTP/1.1\r\nHost: ramd\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").expect("a complete answer");
        let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
        (status.to_string(), headers.to_lowercase(), body.to_string())
    }

    async fn scrape(&self) -> String {
        let (status, headers, body) = self.http("GET", "/metrics").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(
            headers.contains("content-type: text/plain; version=0.0.4"),
            "{headers}"
        );
        body
    }
}

#[track_caller]
fn assert_line(text: &str, want: &str) {
    assert!(text.lines().any(|l| l == want), "no line {want} in\n{text}");
}

#[tokio::test]
async fn metrics_count_requests_and_objects() {
    let server = MetricsServer::start().await;
    let mut ram = server.ram();
    ram.create_permission(as_account(
        OWNER,
        pb::CreatePermissionRequest {
            name: "Counted".into(),
            resource_type: CMP_TYPE.into(),
            policy_template: TEMPLATE.into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    for _ in 0..2 {
        let r = ram
            .get_permission(as_account(
                OWNER,
                pb::GetPermissionRequest {
                    permission_arn: "arn:aws:ram:us-east-1:111122223333:permission/Nope".into(),
                    ..Default::default()
                },
            ))
            .await;
        assert!(r.is_err());
    }
    ram.create_resource_share(as_account(
        OWNER,
        pb::CreateResourceShareRequest {
            name: "counted".into(),
            resource_arns: vec![project(OWNER, "p")],
            principals: vec![RECEIVER.into()],
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    ramd::pb::admin::admin_client::AdminClient::new(server.channel.clone())
        .create_organization(ramd::pb::admin::CreateOrganizationRequest {
            management_account_id: MEMBER_A.into(),
        })
        .await
        .unwrap();
    HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .unwrap();

    let text = server.scrape().await;
    for want in [
        r#"ramd_requests_total{method="CreatePermission",code="OK"} 1"#,
        r#"ramd_requests_total{method="GetPermission",code="NotFound"} 2"#,
        r#"ramd_requests_total{method="CreateResourceShare",code="OK"} 1"#,
        r#"ramd_requests_total{method="CreateOrganization",code="OK"} 1"#,
        r#"ramd_request_duration_seconds_count{method="GetPermission"} 2"#,
        r#"ramd_request_duration_seconds_bucket{method="GetPermission",le="+Inf"} 2"#,
        r#"ramd_objects{kind="permissions"} 1"#,
        r#"ramd_objects{kind="shares"} 1"#,
        r#"ramd_objects{kind="invitations"} 1"#,
        r#"ramd_objects{kind="organizations"} 1"#,
        "ramd_requests_in_flight 0",
        "ramd_max_concurrent_requests 1024",
        "ramd_journal_bytes 0",
        "ramd_journal_entries 0",
        "ramd_fsync_duration_seconds_count 0",
    ] {
        assert_line(&text, want);
    }
    // One resource association, one principal association awaiting its
    // invitation.
    let associations = text
        .lines()
        .find_map(|l| l.strip_prefix(r#"ramd_objects{kind="associations"} "#))
        .unwrap();
    assert!(associations.parse::<u64>().unwrap() >= 1, "{associations}");
    // Histogram buckets are cumulative and end at the count.
    let buckets: Vec<u64> = text
        .lines()
        .filter(|l| {
            l.starts_with(r#"ramd_request_duration_seconds_bucket{method="GetPermission","#)
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    assert_eq!(buckets.last(), Some(&2));
    // Health checks are not RAM requests.
    assert!(!text.contains("method=\"Check\""), "{text}");

    // Later requests show up in the next scrape.
    ram.list_permissions(as_account(OWNER, pb::ListPermissionsRequest::default()))
        .await
        .unwrap();
    assert_line(
        &server.scrape().await,
        r#"ramd_requests_total{method="ListPermissions",code="OK"} 1"#,
    );
}

#[tokio::test]
async fn the_metrics_endpoint_answers_only_get_on_metrics() {
    let server = MetricsServer::start().await;
    let (status, _, _) = server.http("GET", "/").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    let (status, headers, _) = server.http("POST", "/metrics").await;
    assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");
    assert!(headers.contains("allow: get, head"), "{headers}");
    let (status, _, body) = server.http("HEAD", "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.is_empty());
    // The gRPC port is unaffected.
    server
        .ram()
        .list_resource_types(pb::ListResourceTypesRequest::default())
        .await
        .unwrap();
}
