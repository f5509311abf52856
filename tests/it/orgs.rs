//! Organizations through the admin service: organizations, nested OUs,
//! member accounts that join, move and leave, and every refusal.

use ramd::pb::admin as admin_pb;
use tonic::{Code, Status};

use crate::common::*;

/// A member account of the organization in most tests.
const MEMBER: &str = "555566667777";
/// The management account of a second organization.
const OTHER_MGMT: &str = "888899990000";

fn lower_alnum(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn member(account: &str, parent: &str) -> admin_pb::OrganizationAccount {
    admin_pb::OrganizationAccount {
        account_id: account.into(),
        parent_id: parent.into(),
    }
}

#[tokio::test]
async fn organizations_nest_and_accounts_move() {
    let server = TestServer::start().await;
    let org = create_org(&server, OWNER).await.unwrap();
    assert!(
        lower_alnum(org.id.strip_prefix("o-").unwrap(), 10),
        "{}",
        org.id
    );
    assert!(
        lower_alnum(org.root_id.strip_prefix("r-").unwrap(), 4),
        "{}",
        org.root_id
    );
    assert_eq!(
        org.arn,
        format!("arn:aws:organizations::{OWNER}:organization/{}", org.id)
    );
    assert_eq!(org.management_account_id, OWNER);

    let a = create_ou(&server, &org.root_id, "Engineering")
        .await
        .unwrap();
    let b = create_ou(&server, &a.id, "Platform").await.unwrap();
    for (ou, name, parent) in [(&a, "Engineering", &org.root_id), (&b, "Platform", &a.id)] {
        let (root4, eight) = ou.id.strip_prefix("ou-").unwrap().split_once('-').unwrap();
        assert_eq!(root4, &org.root_id[2..]);
        assert!(lower_alnum(eight, 8), "{}", ou.id);
        assert_eq!(
            ou.arn,
            format!("arn:aws:organizations::{OWNER}:ou/{}/{}", org.id, ou.id)
        );
        assert_eq!((ou.name.as_str(), &ou.parent_id), (name, parent));
    }
    let mut ous = vec![a.clone(), b.clone()];
    ous.sort_by(|x, y| x.id.cmp(&y.id));

    add(&server, MEMBER, &b.id).await.unwrap();
    let d = describe(&server, MEMBER).await.unwrap();
    assert_eq!(d.organization.as_ref(), Some(&org));
    assert_eq!(d.organizational_units, ous);
    assert_eq!(
        d.accounts,
        [member(OWNER, &org.root_id), member(MEMBER, &b.id)]
    );

    // Adding a member again moves it.
    add(&server, MEMBER, &a.id).await.unwrap();
    let d = describe(&server, OWNER).await.unwrap();
    assert_eq!(
        d.accounts,
        [member(OWNER, &org.root_id), member(MEMBER, &a.id)]
    );
    // The management account may move into an OU too.
    add(&server, OWNER, &b.id).await.unwrap();
    let d = describe(&server, OWNER).await.unwrap();
    assert_eq!(d.accounts, [member(OWNER, &b.id), member(MEMBER, &a.id)]);

    remove(&server, MEMBER).await.unwrap();
    assert_err(
        describe(&server, MEMBER).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    let d = describe(&server, OWNER).await.unwrap();
    assert_eq!(d.accounts, [member(OWNER, &b.id)]);

    // Having left, the account may join another organization.
    let other = create_org(&server, OTHER_MGMT).await.unwrap();
    assert_ne!(other.id, org.id);
    add(&server, MEMBER, &other.root_id).await.unwrap();
    let d = describe(&server, MEMBER).await.unwrap();
    assert_eq!(d.organization, Some(other.clone()));
    assert!(d.organizational_units.is_empty());
    assert_eq!(
        d.accounts,
        [
            member(MEMBER, &other.root_id),
            member(OTHER_MGMT, &other.root_id)
        ]
    );
}

#[tokio::test]
async fn refusals_carry_their_code_and_reason() {
    let server = TestServer::start().await;
    let org = create_org(&server, OWNER).await.unwrap();
    let a = create_ou(&server, &org.root_id, "A").await.unwrap();
    add(&server, MEMBER, &a.id).await.unwrap();
    let other = create_org(&server, OTHER_MGMT).await.unwrap();
    let unknown_ou = format!("ou-{}-zzzzzzzz", &org.root_id[2..]);

    /// The gRPC code and ErrorInfo reason a refusal must carry.
    type Want = (Code, &'static str);
    const MISSING: Want = (Code::InvalidArgument, "MissingRequiredParameterException");
    const INVALID: Want = (Code::InvalidArgument, "InvalidParameterException");
    const UNKNOWN: Want = (Code::NotFound, "UnknownResourceException");
    const REFUSED: Want = (Code::FailedPrecondition, "OperationNotPermittedException");

    let cases: Vec<(&str, Result<(), Status>, Want)> = vec![
        (
            "org without account",
            create_org(&server, "").await.map(drop),
            MISSING,
        ),
        (
            "org of a bad account",
            create_org(&server, "12345").await.map(drop),
            INVALID,
        ),
        (
            "org of a management account",
            create_org(&server, OWNER).await.map(drop),
            REFUSED,
        ),
        (
            "org of a member",
            create_org(&server, MEMBER).await.map(drop),
            REFUSED,
        ),
        (
            "ou without parent",
            create_ou(&server, "", "X").await.map(drop),
            MISSING,
        ),
        (
            "ou without name",
            create_ou(&server, &org.root_id, "").await.map(drop),
            MISSING,
        ),
        (
            "ou under a malformed parent",
            create_ou(&server, "o-notaparent", "X").await.map(drop),
            INVALID,
        ),
        (
            "ou under an unknown root",
            create_ou(&server, "r-zzzz", "X").await.map(drop),
            UNKNOWN,
        ),
        (
            "ou under an unknown ou",
            create_ou(&server, &unknown_ou, "X").await.map(drop),
            UNKNOWN,
        ),
        (
            "ou name too long",
            create_ou(&server, &org.root_id, &"x".repeat(129))
                .await
                .map(drop),
            INVALID,
        ),
        (
            "ou name taken under the parent",
            create_ou(&server, &org.root_id, "A").await.map(drop),
            INVALID,
        ),
        (
            "add without account",
            add(&server, "", &org.root_id).await,
            MISSING,
        ),
        (
            "add without parent",
            add(&server, STRANGER, "").await,
            MISSING,
        ),
        (
            "add a bad account",
            add(&server, "abcdefghijkl", &org.root_id).await,
            INVALID,
        ),
        (
            "add under an unknown ou",
            add(&server, STRANGER, &unknown_ou).await,
            UNKNOWN,
        ),
        (
            "add a member of another org",
            add(&server, MEMBER, &other.root_id).await,
            REFUSED,
        ),
        ("remove without account", remove(&server, "").await, MISSING),
        (
            "remove a non-member",
            remove(&server, STRANGER).await,
            UNKNOWN,
        ),
        (
            "remove a management account",
            remove(&server, OWNER).await,
            REFUSED,
        ),
        (
            "describe without account",
            describe(&server, "").await.map(drop),
            MISSING,
        ),
        (
            "describe a bad account",
            describe(&server, "1").await.map(drop),
            INVALID,
        ),
        (
            "describe a non-member",
            describe(&server, STRANGER).await.map(drop),
            UNKNOWN,
        ),
    ];
    for (name, result, (code, reason)) in cases {
        eprintln!("case: {name}");
        assert_err(result, code, reason);
    }

    // Nothing changed.
    let d = describe(&server, OWNER).await.unwrap();
    assert_eq!(d.organizational_units, std::slice::from_ref(&a));
    assert_eq!(
        d.accounts,
        [member(OWNER, &org.root_id), member(MEMBER, &a.id)]
    );
    let d = describe(&server, OTHER_MGMT).await.unwrap();
    assert_eq!(d.accounts, [member(OTHER_MGMT, &other.root_id)]);
}

#[tokio::test]
async fn reset_drops_organizations() {
    let server = TestServer::start().await;
    create_org(&server, OWNER).await.unwrap();
    server
        .admin()
        .reset(admin_pb::ResetRequest {})
        .await
        .unwrap();
    assert_err(
        describe(&server, OWNER).await,
        Code::NotFound,
        "UnknownResourceException",
    );
    create_org(&server, OWNER).await.unwrap();
}
