//! Authentication and transport security: token mode, admin rights, reload
//! of the tokens file on SIGHUP, start-up refusal of a bad tokens file, TLS,
//! and mutual TLS with certificate identities mapped to accounts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ramd::pb::admin as admin_pb;
use ramd::pb::admin::admin_client::AdminClient;
use ramd::pb::v1 as pb;
use ramd::pb::v1::resource_access_manager_client::ResourceAccessManagerClient;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::common::pki::{dns, uri, Pki};
use crate::common::process::{run_to_exit, RamdProcess, DEADLINE};
use crate::common::*;

const ADMIN_TOKEN: &str = "admin-7b1f9c2e4d6a8b0c1e3f5a7b9d1c3e5f";
const USER_TOKEN: &str = "user-2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b";
const SECRET_KEY: &str = "secret-key-that-must-never-be-logged";
const ADMIN_ACCOUNT: &str = "999988887777";
const USER_ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const SPIFFE_ID: &str = "spiffe://ramd.test/ns/prod/sa/billing";
const SPIFFE_ACCOUNT: &str = "210987654321";
const DNS_ID: &str = "worker.ramd.test";
const DNS_ACCOUNT: &str = "300000000001";
const CN_ID: &str = "ops-console";
const CN_ACCOUNT: &str = "300000000002";

/// The tokens file most tests use: an admin and a user token, and three
/// certificate identities (the last one an admin).
fn tokens_file() -> String {
    serde_json::json!({"tokens": [
        {"token": ADMIN_TOKEN, "accountId": ADMIN_ACCOUNT, "admin": true},
        {"token": USER_TOKEN, "accountId": USER_ACCOUNT, "secretKey": SECRET_KEY},
        {"token": SPIFFE_ID, "accountId": SPIFFE_ACCOUNT, "certificate": true},
        {"token": DNS_ID, "accountId": DNS_ACCOUNT, "certificate": true},
        {"token": CN_ID, "accountId": CN_ACCOUNT, "certificate": true, "admin": true},
    ]})
    .to_string()
}

/// Writes `text` as `tokens.json` in `dir` and returns its path.
fn write_tokens(dir: &std::path::Path, text: &str) -> String {
    let path = dir.join("tokens.json");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// How a test call presents itself.
#[derive(Clone, Default)]
struct Creds {
    /// `authorization` metadata, sent as is.
    authorization: Option<String>,
    /// `x-ram-account-id` metadata.
    account_header: Option<&'static str>,
}

/// `authorization: Bearer <token>`.
fn token(t: &str) -> Creds {
    authorization(&format!("Bearer {t}"))
}

/// `authorization` metadata as given.
fn authorization(value: &str) -> Creds {
    Creds {
        authorization: Some(value.to_string()),
        account_header: None,
    }
}

/// `x-ram-account-id` metadata alone.
fn header(account: &'static str) -> Creds {
    Creds {
        authorization: None,
        account_header: Some(account),
    }
}

fn request<T>(msg: T, creds: &Creds) -> Request<T> {
    let mut r = Request::new(msg);
    if let Some(a) = &creds.authorization {
        r.metadata_mut().insert("authorization", a.parse().unwrap());
    }
    if let Some(a) = creds.account_header {
        r.metadata_mut()
            .insert("x-ram-account-id", a.parse().unwrap());
    }
    r
}

/// The account the server takes the caller for: creates a resource share
/// (named uniquely) and reads its owner.
async fn whoami(channel: &Channel, creds: &Creds) -> Result<String, Status> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("whoami-{}", N.fetch_add(1, Ordering::Relaxed));
    let share = ResourceAccessManagerClient::new(channel.clone())
        .create_resource_share(request(
            pb::CreateResourceShareRequest {
                name,
                ..Default::default()
            },
            creds,
        ))
        .await?
        .into_inner()
        .resource_share
        .unwrap();
    Ok(share.owning_account_id)
}

/// An admin RPC with `creds`.
async fn admin_call(channel: &Channel, creds: &Creds) -> Result<(), Status> {
    AdminClient::new(channel.clone())
        .describe_organization(request(
            admin_pb::DescribeOrganizationRequest {
                account_id: USER_ACCOUNT.into(),
            },
            creds,
        ))
        .await
        .map(drop)
        .or_else(|s| {
            // The account is in no organization: any answer but an
            // authentication or permission refusal shows the call got in.
            if matches!(s.code(), Code::Unauthenticated | Code::PermissionDenied) {
                Err(s)
            } else {
                Ok(())
            }
        })
}

#[tokio::test]
async fn token_mode_identifies_the_caller_by_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_tokens(dir.path(), &tokens_file());
    let server = TestServer::start_with(&["--auth", "token", "--tokens-file", &file]).await;
    let ch = &server.channel;

    assert_eq!(whoami(ch, &token(USER_TOKEN)).await.unwrap(), USER_ACCOUNT);
    assert_eq!(
        whoami(ch, &token(ADMIN_TOKEN)).await.unwrap(),
        ADMIN_ACCOUNT
    );
    // The scheme is case-insensitive.
    let lower = format!("bearer {USER_TOKEN}");
    assert_eq!(
        whoami(ch, &authorization(&lower)).await.unwrap(),
        USER_ACCOUNT
    );

    // x-ram-account-id is ignored: with a token it changes nothing, and
    // alone it is no credential.
    let both = Creds {
        account_header: Some(OTHER_ACCOUNT),
        ..token(USER_TOKEN)
    };
    assert_eq!(whoami(ch, &both).await.unwrap(), USER_ACCOUNT);
    let unauthenticated = |r| assert_err(r, Code::Unauthenticated, "UnrecognizedClientException");
    unauthenticated(whoami(ch, &header(OTHER_ACCOUNT)).await);
    unauthenticated(whoami(ch, &Creds::default()).await);

    // Unknown and malformed tokens; no message quotes what was sent.
    let unknown = "unknown-0000000000000000000000000000";
    for value in [
        format!("Bearer {unknown}"),
        format!("Basic {unknown}"),
        unknown.to_string(),
        "Bearer ".to_string(),
        format!("Bearer {unknown} {unknown}"),
    ] {
        let r = whoami(ch, &authorization(&value)).await;
        if let Err(s) = &r {
            assert!(!s.message().contains(unknown), "{}", s.message());
        }
        unauthenticated(r);
    }
    // A certificate identity is public: it is no bearer token.
    unauthenticated(whoami(ch, &token(SPIFFE_ID)).await);

    // Health checking needs no credentials (probes).
    let health = HealthClient::new(ch.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);
}

#[tokio::test]
async fn admin_rpcs_need_an_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_tokens(dir.path(), &tokens_file());
    let server = TestServer::start_with(&["--auth", "token", "--tokens-file", &file]).await;
    let ch = &server.channel;

    assert_err(
        admin_call(ch, &token(USER_TOKEN)).await,
        Code::PermissionDenied,
        "AccessDeniedException",
    );
    assert_err(
        admin_call(ch, &Creds::default()).await,
        Code::Unauthenticated,
        "UnrecognizedClientException",
    );
    admin_call(ch, &token(ADMIN_TOKEN)).await.unwrap();
    let reset = AdminClient::new(ch.clone())
        .reset(request(admin_pb::ResetRequest {}, &token(USER_TOKEN)))
        .await;
    assert_err(reset, Code::PermissionDenied, "AccessDeniedException");
    AdminClient::new(ch.clone())
        .reset(request(admin_pb::ResetRequest {}, &token(ADMIN_TOKEN)))
        .await
        .unwrap();
}

/// Polls `whoami` with `creds` until it answers `want`, or fails at the
/// deadline.
async fn until_identified(channel: &Channel, creds: &Creds, want: &str) {
    let end = Instant::now() + DEADLINE;
    loop {
        match whoami(channel, creds).await {
            Ok(account) if account == want => return,
            Ok(account) => panic!("identified as {account}, not {want}"),
            Err(s) if s.code() == Code::Unauthenticated && Instant::now() < end => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(s) => panic!("never identified as {want}: {s:?}"),
        }
    }
}

#[tokio::test]
async fn sighup_reloads_the_tokens_file_and_a_bad_file_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_tokens(dir.path(), &tokens_file());
    let mut ramd = RamdProcess::start(&["--auth", "token", "--tokens-file", &file]);
    let ch = connect(ramd.addr, None).await.unwrap();

    let new_token = "rotated-5e7a9c0b2c4e6a8b0d1f3e5a7c9b1d3f";
    assert_eq!(whoami(&ch, &token(USER_TOKEN)).await.unwrap(), USER_ACCOUNT);
    assert_err(
        whoami(&ch, &token(new_token)).await,
        Code::Unauthenticated,
        "UnrecognizedClientException",
    );

    // Rotate: the user's token is replaced.
    let rotated = serde_json::json!({"tokens": [
        {"token": ADMIN_TOKEN, "accountId": ADMIN_ACCOUNT, "admin": true},
        {"token": new_token, "accountId": USER_ACCOUNT, "secretKey": SECRET_KEY},
    ]})
    .to_string();
    write_tokens(dir.path(), &rotated);
    ramd.signal("HUP");
    until_identified(&ch, &token(new_token), USER_ACCOUNT).await;
    assert_err(
        whoami(&ch, &token(USER_TOKEN)).await,
        Code::Unauthenticated,
        "UnrecognizedClientException",
    );

    // A broken file is refused and the tokens in force stay.
    write_tokens(
        dir.path(),
        &format!(r#"{{"tokens": [{{"token": "{USER_TOKEN}", "accountId": "12"}}]}}"#),
    );
    ramd.signal("HUP");
    let failed = ramd.wait_for_log("tokens file reload failed: the previous tokens stay in force");
    assert_eq!(failed["file"], file.as_str());
    assert!(
        failed["error"].as_str().unwrap().contains("tokens[0]"),
        "{failed}"
    );
    assert_eq!(whoami(&ch, &token(new_token)).await.unwrap(), USER_ACCOUNT);
    assert_err(
        whoami(&ch, &token(USER_TOKEN)).await,
        Code::Unauthenticated,
        "UnrecognizedClientException",
    );

    // No token or secret key ever reaches the logs.
    let logs = ramd.drain().join("\n");
    assert!(logs.contains("tokens file reloaded"), "{logs}");
    for secret in [ADMIN_TOKEN, USER_TOKEN, new_token, SECRET_KEY] {
        assert!(!logs.contains(secret), "a secret is in the logs:\n{logs}");
    }
}

#[tokio::test]
async fn a_bad_tokens_file_stops_startup_with_a_message_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("{\"tokens\": [", "not valid JSON".to_string()),
        (
            r#"{"tokens": [{"token": "good-token-1", "accountId": "111122223333"},
                           {"token": "good-token-2", "accountId": "1111-2222-3333"}]}"#,
            "tokens[1]: \"accountId\" must be a 12-digit account id".to_string(),
        ),
        (
            r#"{"tokens": [{"token": "good-token-1", "accountId": "111122223333"},
                           {"accountId": "111122223333"}]}"#,
            "tokens[1]: \"token\" is missing".to_string(),
        ),
        (
            r#"{"tokens": [{"token": "good-token-1", "accountId": "111122223333"},
                           {"token": "good-token-1", "accountId": "444455556666"}]}"#,
            "tokens[1]: repeats the token of tokens[0]".to_string(),
        ),
    ];
    for (text, want) in cases {
        let file = write_tokens(dir.path(), text);
        let (code, stderr) = run_to_exit(&[
            "--ephemeral",
            "--listen",
            "127.0.0.1:0",
            "--auth",
            "token",
            "--tokens-file",
            &file,
        ]);
        assert!(matches!(code, Some(c) if c != 0), "exit {code:?}: {stderr}");
        assert!(stderr.contains(&format!("tokens file {file}")), "{stderr}");
        assert!(stderr.contains(&want), "{want}: {stderr}");
        assert!(!stderr.contains("good-token-1"), "{stderr}");
    }
    // Token mode without a file, and a file without token mode.
    let (code, stderr) =
        run_to_exit(&["--ephemeral", "--listen", "127.0.0.1:0", "--auth", "token"]);
    assert!(matches!(code, Some(c) if c != 0), "{stderr}");
    assert!(
        stderr.contains("--auth token needs --tokens-file"),
        "{stderr}"
    );
}

#[tokio::test]
async fn tls_serves_grpc_over_tls() {
    let pki = Pki::new("ramd test CA");
    let flags = pki.tls_flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = TestServer::start_tls(&flags, Some(pki.client_tls(None))).await;
    let as_other = header(OTHER_ACCOUNT);
    assert_eq!(
        whoami(&server.channel, &as_other).await.unwrap(),
        OTHER_ACCOUNT
    );

    // Plain HTTP/2 is not served.
    let plain = match server.connect(None).await {
        Ok(ch) => whoami(&ch, &as_other).await.map_err(drop),
        Err(_) => Err(()),
    };
    assert!(plain.is_err(), "a plaintext call succeeded");
    // A client that trusts another CA refuses the server.
    let stranger = Pki::new("another CA");
    assert!(server
        .connect(Some(stranger.client_tls(None)))
        .await
        .is_err());
}

/// A call over a fresh TLS channel with `tls`; connection failures count as
/// a refusal too.
async fn call_over(
    server: &TestServer,
    tls: tonic::transport::ClientTlsConfig,
    creds: &Creds,
) -> Result<String, String> {
    let ch = server
        .connect(Some(tls))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    whoami(&ch, creds)
        .await
        .map_err(|s| format!("{:?}: {}", s.code(), s.message()))
}

#[tokio::test]
async fn mutual_tls_maps_the_certificate_identity_to_an_account() {
    let pki = Pki::new("ramd test CA");
    let file = write_tokens(pki.dir.path(), &tokens_file());
    let mut flags = pki.tls_flags();
    flags.extend([
        "--tls-client-ca".to_string(),
        pki.path("ca.pem"),
        "--auth".into(),
        "token".into(),
        "--tokens-file".into(),
        file,
    ]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let spiffe = pki.client(vec![dns(DNS_ID), uri(SPIFFE_ID)], Some(CN_ID));
    let server = TestServer::start_tls(&flags, Some(pki.client_tls(Some(&spiffe)))).await;
    let ch = &server.channel;

    // The first URI name wins over DNS names and the common name.
    assert_eq!(whoami(ch, &Creds::default()).await.unwrap(), SPIFFE_ACCOUNT);
    assert_err(
        admin_call(ch, &Creds::default()).await,
        Code::PermissionDenied,
        "AccessDeniedException",
    );
    // A bearer token wins over the certificate, right or wrong.
    assert_eq!(whoami(ch, &token(USER_TOKEN)).await.unwrap(), USER_ACCOUNT);
    assert_err(
        whoami(ch, &token("unknown-token")).await,
        Code::Unauthenticated,
        "UnrecognizedClientException",
    );
    // x-ram-account-id changes nothing.
    let header = header(OTHER_ACCOUNT);
    assert_eq!(whoami(ch, &header).await.unwrap(), SPIFFE_ACCOUNT);

    // Without a URI name, the first DNS name; without either, the common
    // name (here an admin).
    let dns_only = pki.client(vec![dns(DNS_ID)], Some(CN_ID));
    let tls = pki.client_tls(Some(&dns_only));
    assert_eq!(
        call_over(&server, tls, &Creds::default()).await.unwrap(),
        DNS_ACCOUNT
    );
    let cn_only = pki.client(vec![], Some(CN_ID));
    let ch = server
        .connect(Some(pki.client_tls(Some(&cn_only))))
        .await
        .unwrap();
    assert_eq!(whoami(&ch, &Creds::default()).await.unwrap(), CN_ACCOUNT);
    admin_call(&ch, &Creds::default()).await.unwrap();

    // A valid certificate whose identity is not in the file.
    let unknown = pki.client(vec![uri("spiffe://ramd.test/ns/prod/sa/unknown")], None);
    let ch = server
        .connect(Some(pki.client_tls(Some(&unknown))))
        .await
        .unwrap();
    assert_err(
        whoami(&ch, &Creds::default()).await,
        Code::Unauthenticated,
        "UnrecognizedClientException",
    );
}

#[tokio::test]
async fn mutual_tls_refuses_clients_without_a_trusted_certificate() {
    let pki = Pki::new("ramd test CA");
    let mut flags = pki.tls_flags();
    flags.extend(["--tls-client-ca".to_string(), pki.path("ca.pem")]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let client = pki.client(vec![uri(SPIFFE_ID)], None);
    let server = TestServer::start_tls(&flags, Some(pki.client_tls(Some(&client)))).await;

    // Header mode: a valid certificate gets in, and the header names the
    // account as before.
    let header = header(OTHER_ACCOUNT);
    assert_eq!(
        whoami(&server.channel, &header).await.unwrap(),
        OTHER_ACCOUNT
    );

    // No client certificate.
    let r = call_over(&server, pki.client_tls(None), &header).await;
    assert!(
        r.is_err(),
        "a call without a client certificate got in: {r:?}"
    );
    // A certificate from a CA the server does not trust.
    let rogue = Pki::new("rogue CA");
    let rogue_client = rogue.client(vec![uri(SPIFFE_ID)], None);
    let tls = pki
        .client_tls(None)
        .identity(tonic::transport::Identity::from_pem(
            &rogue_client.cert,
            &rogue_client.key,
        ));
    let r = call_over(&server, tls, &header).await;
    assert!(r.is_err(), "a call with a rogue certificate got in: {r:?}");
    // The server still serves trusted clients afterwards.
    assert_eq!(
        whoami(&server.channel, &header).await.unwrap(),
        OTHER_ACCOUNT
    );
}
