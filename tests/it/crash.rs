//! The crash test: a real `ramd` with durable storage, under concurrent
//! writes from several accounts, is killed with SIGKILL at random moments,
//! again and again. After every restart each acknowledged write is present,
//! nothing appears that was never attempted, and the state's invariants hold.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ramd::pb::v1 as pb;
use rand::Rng;

use crate::common::process::RamdProcess;
use crate::common::*;

const ACCOUNTS: [&str; 4] = [
    "111111111111",
    "222222222222",
    "333333333333",
    "444444444444",
];
const ROUNDS: usize = 6;

/// What the writers know: names they tried, and names the server acknowledged.
#[derive(Default, Clone)]
struct Ledger {
    attempted: BTreeMap<String, BTreeSet<String>>,
    acknowledged: BTreeMap<String, BTreeSet<String>>,
}

fn flags() -> Vec<String> {
    [
        "--quota-permissions",
        "100000",
        "--quota-permissions-per-type",
        "100000",
        "--quota-pending-invitations",
        "100000",
        "--snapshot-every",
        "50",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Every permission and share name an account has, by paging through.
async fn names(
    ramd: &tonic::transport::Channel,
    account: &str,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut ram =
        pb::resource_access_manager_client::ResourceAccessManagerClient::new(ramd.clone());
    let mut permissions = BTreeSet::new();
    let mut token = None;
    loop {
        let page = ram
            .list_permissions(as_account(
                account,
                pb::ListPermissionsRequest {
                    permission_type: pb::PermissionTypeFilter::CustomerManaged as i32,
                    next_token: token,
                    max_results: Some(100),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        permissions.extend(page.permissions.into_iter().map(|p| p.name));
        if page.next_token.is_empty() {
            break;
        }
        token = Some(page.next_token);
    }
    let mut shares = BTreeSet::new();
    let mut token = None;
    loop {
        let page = ram
            .get_resource_shares(as_account(
                account,
                pb::GetResourceSharesRequest {
                    resource_owner: pb::ResourceOwner::Self_ as i32,
                    next_token: token,
                    max_results: Some(100),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        for s in page.resource_shares {
            // Invariant: every share that exists has its permission attached.
            let attached = ram
                .list_resource_share_permissions(as_account(
                    account,
                    pb::ListResourceSharePermissionsRequest {
                        resource_share_arn: s.resource_share_arn.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .permissions;
            assert_eq!(attached.len(), 1, "share {} lost its permission", s.name);
            shares.insert(s.name);
        }
        if page.next_token.is_empty() {
            break;
        }
        token = Some(page.next_token);
    }
    (permissions, shares)
}

/// Checks every acknowledged write is present and nothing unattempted is.
async fn verify(ramd: &tonic::transport::Channel, ledger: &Ledger) {
    for account in ACCOUNTS {
        let (permissions, shares) = names(ramd, account).await;
        let present: BTreeSet<String> = permissions.union(&shares).cloned().collect();
        let acknowledged = ledger
            .acknowledged
            .get(account)
            .cloned()
            .unwrap_or_default();
        let attempted = ledger.attempted.get(account).cloned().unwrap_or_default();
        let lost: Vec<_> = acknowledged.difference(&present).collect();
        assert!(
            lost.is_empty(),
            "{account}: acknowledged writes lost: {lost:?}"
        );
        let invented: Vec<_> = present.difference(&attempted).collect();
        assert!(
            invented.is_empty(),
            "{account}: never attempted: {invented:?}"
        );
    }
}

/// One writer: creates permissions and shares (alternately) until the
/// server dies, recording what it tried and what was acknowledged.
async fn writer(
    ramd_channel: tonic::transport::Channel,
    account: &'static str,
    round: usize,
    ledger: Arc<Mutex<Ledger>>,
) {
    let mut ram =
        pb::resource_access_manager_client::ResourceAccessManagerClient::new(ramd_channel);
    for i in 0.. {
        let name = format!("r{round}-n{i}");
        ledger
            .lock()
            .unwrap()
            .attempted
            .entry(account.to_string())
            .or_default()
            .insert(name.clone());
        let result = if i % 2 == 0 {
            ram.create_permission(as_account(
                account,
                pb::CreatePermissionRequest {
                    name: name.clone(),
                    resource_type: CMP_TYPE.into(),
                    policy_template: TEMPLATE.into(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ())
        } else {
            ram.create_resource_share(as_account(
                account,
                pb::CreateResourceShareRequest {
                    name: name.clone(),
                    resource_arns: vec![format!(
                        "arn:aws:codebuild:us-east-1:{account}:project/{name}"
                    )],
                    principals: vec!["999999999999".into()],
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ())
        };
        match result {
            Ok(()) => {
                ledger
                    .lock()
                    .unwrap()
                    .acknowledged
                    .entry(account.to_string())
                    .or_default()
                    .insert(name);
            }
            Err(_) => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let dir_str = dir.path().to_str().unwrap().to_string();
    let args = flags();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = rand::rng();
    let mut total_acknowledged = 0;
    for round in 0..ROUNDS {
        let mut ramd = RamdProcess::start_durable(&dir_str, &args);
        let channel = ramd.channel().await;
        let known = ledger.lock().unwrap_or_else(|e| e.into_inner()).clone();
        verify(&channel, &known).await;
        let mut writers = Vec::new();
        for account in ACCOUNTS {
            for _ in 0..2 {
                writers.push(tokio::spawn(writer(
                    channel.clone(),
                    account,
                    round,
                    ledger.clone(),
                )));
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..400))).await;
        ramd.signal("KILL");
        ramd.wait_exit().await;
        for w in writers {
            tokio::time::timeout(Duration::from_secs(30), w)
                .await
                .expect("writers stop once the server is gone")
                .unwrap();
        }
        total_acknowledged = ledger
            .lock()
            .unwrap()
            .acknowledged
            .values()
            .map(BTreeSet::len)
            .sum::<usize>();
    }
    let ramd = RamdProcess::start_durable(&dir_str, &args);
    let known = ledger.lock().unwrap().clone();
    verify(&ramd.channel().await, &known).await;
    eprintln!("{ROUNDS} crashes, {total_acknowledged} acknowledged writes, all present");
    assert!(
        total_acknowledged > ROUNDS * 10,
        "the load was real: {total_acknowledged} acknowledged writes"
    );
}

/// Thirty permissions of ACCOUNTS[0], named `<prefix>0` to `<prefix>29`.
async fn create_permissions(channel: &tonic::transport::Channel, prefix: &str) {
    for i in 0..30 {
        create_permission_with(
            pb::resource_access_manager_client::ResourceAccessManagerClient::new(channel.clone()),
            ACCOUNTS[0],
            &format!("{prefix}{i}"),
        )
        .await;
    }
}

/// The README's online backup: the database first (SQLite's own backup; here
/// `VACUUM INTO`, the same consistent copy), then the snapshot file, while
/// the server runs and snapshots come and go. A server started on the copy
/// has every write acknowledged before the backup began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_restores_every_write_made_before_it() {
    use pb::resource_access_manager_client::ResourceAccessManagerClient;
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    let args = [
        "--snapshot-every",
        "4",
        "--quota-permissions-per-type",
        "100",
    ];
    let ramd = RamdProcess::start_durable(live.to_str().unwrap(), &args);
    let channel = ramd.channel().await;
    create_permissions(&channel, "before").await;
    // Writes keep coming (and snapshots with them) while the copy is taken.
    let during = tokio::spawn({
        let channel = channel.clone();
        async move { create_permissions(&channel, "during").await }
    });
    let db = rusqlite::Connection::open(live.join("ramd.db")).unwrap();
    db.execute("VACUUM INTO ?1", [copy.join("ramd.db").to_str().unwrap()])
        .unwrap();
    drop(db);
    std::fs::copy(live.join("ramd.snapshot"), copy.join("ramd.snapshot")).unwrap();
    during.await.unwrap();
    drop(ramd);

    let restored = RamdProcess::start_durable(copy.to_str().unwrap(), &args);
    let mut ram = ResourceAccessManagerClient::new(restored.channel().await);
    for i in 0..30 {
        let arn = format!("arn:aws:ram:us-east-1:{}:permission/before{i}", ACCOUNTS[0]);
        ram.get_permission(as_account(
            ACCOUNTS[0],
            pb::GetPermissionRequest {
                permission_arn: arn.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_or_else(|e| panic!("{arn} is in the backup: {e}"));
    }
}
