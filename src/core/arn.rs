//! ARNs, RAM's own ARN kinds, account ids, principals and source ids, each
//! parsed once at the boundary so the rest of the core works with checked values.
//!
//! Syntax errors on ARNs that name a RAM object or a shared resource are
//! `MalformedArn`; malformed principals and sources are `InvalidParameter`, as
//! AWS reports them (see RAM-BEHAVIOUR.md §1.4, §1.5 and §7).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The AWS partitions that have RAM endpoints.
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The longest ARN accepted, in bytes (the IAM limit for ARNs).
pub const MAX_ARN_LEN: usize = 2048;

/// The account field of AWS managed permission ARNs.
pub const AWS_ACCOUNT: &str = "aws";

/// How much of a rejected input is echoed back in an error message.
const MAX_ECHO_CHARS: usize = 256;

/// The hash the in-memory tables file ARNs under: fixed keys, so it is the
/// same in every run (those tables are rebuilt at every start anyway).
pub fn arn_hash(arn: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    arn.hash(&mut h);
    h.finish()
}

/// Whether `s` is an AWS account id: exactly 12 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An account id as a number (`None` unless [`is_account_id`]): a key that
/// is compared and hashed in place, with no string to fetch.
pub fn account_number(s: &str) -> Option<u64> {
    if !is_account_id(s) {
        return None;
    }
    Some(s.bytes().fold(0, |n, b| n * 10 + u64::from(b - b'0')))
}

/// Whether `s` is a known AWS partition name.
pub fn is_partition(s: &str) -> bool {
    PARTITIONS.contains(&s)
}

/// Whether `s` is an organization id, `o-` followed by 10 to 32 lowercase
/// letters or digits.
pub fn is_organization_id(s: &str) -> bool {
    s.strip_prefix("o-")
        .is_some_and(|rest| is_lower_alnum(rest, 10, 32))
}

/// Whether `s` is an organization root id, `r-` followed by 4 to 32 lowercase
/// letters or digits.
pub fn is_root_id(s: &str) -> bool {
    s.strip_prefix("r-")
        .is_some_and(|rest| is_lower_alnum(rest, 4, 32))
}

/// Whether `s` is an organizational unit id, `ou-` then 4 to 32 and 8 to 32
/// lowercase letters or digits separated by a dash.
pub fn is_organizational_unit_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("ou-") else {
        return false;
    };
    let Some((root, unit)) = rest.split_once('-') else {
        return false;
    };
    is_lower_alnum(root, 4, 32) && is_lower_alnum(unit, 8, 32)
}

/// Whether `s` has `min..=max` bytes, all lowercase ASCII letters or digits.
fn is_lower_alnum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Whether `s` is non-empty and made of lowercase letters, digits and dashes.
fn is_lower_dashed(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `s` is a UUID in its 8-4-4-4-12 hexadecimal form.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Returns `s` shortened for an error message, so that a huge input does not
/// produce a huge response.
fn echo(s: &str) -> String {
    if s.chars().count() <= MAX_ECHO_CHARS {
        s.to_string()
    } else {
        let mut short: String = s.chars().take(MAX_ECHO_CHARS).collect();
        short.push_str("...");
        short
    }
}

/// The `MalformedArn` error for an ARN given in a slot named `noun`, shaped as
/// AWS words it for resource share ARNs.
pub fn malformed_arn(noun: &str) -> Error {
    Error::MalformedArn(format!(
        "The specified {noun} ARN is not valid. Verify the ARN and try again."
    ))
}

/// A syntactically valid ARN, split into its six fields.
///
/// The fields are checked but not interpreted: `resource` may hold `:` and `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

impl Arn {
    /// Parses an ARN of a shared resource; the error message echoes the input:
    /// "The specified resource ARN <arn> is not valid. Verify the ARN and try again."
    pub fn parse(s: &str) -> Result<Arn> {
        Arn::split(s).ok_or_else(|| malformed_resource_arn(s))
    }

    /// Checks `s` as [`Arn::parse`] does, without copying its parts out.
    pub fn check(s: &str) -> Result<()> {
        match Arn::parts(s) {
            Some(_) => Ok(()),
            None => Err(malformed_resource_arn(s)),
        }
    }

    /// Parses an ARN given in a slot named `noun` ("resource share",
    /// "permission", ...); the error message names the slot, not the input.
    pub fn parse_as(s: &str, noun: &str) -> Result<Arn> {
        Arn::split(s).ok_or_else(|| malformed_arn(noun))
    }

    /// Whether `s` is a syntactically valid ARN.
    pub fn is_valid(s: &str) -> bool {
        Arn::parts(s).is_some()
    }

    /// The syntax check shared by every parse function.
    fn split(s: &str) -> Option<Arn> {
        let [partition, service, region, account, resource] = Arn::parts(s)?;
        Some(Arn {
            partition: partition.to_string(),
            service: service.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            resource: resource.to_string(),
        })
    }

    /// The parts of a syntactically valid ARN, borrowed: partition,
    /// service, region, account and resource.
    fn parts(s: &str) -> Option<[&str; 5]> {
        if s.len() > MAX_ARN_LEN {
            return None;
        }
        let mut parts = s.splitn(6, ':');
        let (prefix, partition, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let valid = prefix == "arn"
            && is_partition(partition)
            && is_lower_dashed(service)
            && (region.is_empty() || is_lower_dashed(region))
            && (account.is_empty() || account == AWS_ACCOUNT || is_account_id(account))
            && !resource.is_empty()
            && !resource.chars().any(char::is_control);
        valid.then_some([partition, service, region, account, resource])
    }
}

/// The error for a resource ARN that does not parse.
fn malformed_resource_arn(s: &str) -> Error {
    Error::MalformedArn(format!(
        "The specified resource ARN {} is not valid. Verify the ARN and try again.",
        echo(s)
    ))
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

impl FromStr for Arn {
    type Err = Error;

    fn from_str(s: &str) -> Result<Arn> {
        Arn::parse(s)
    }
}

/// Parses a regional RAM ARN `arn:{p}:ram:{region}:{account}:{kind}/{uuid}`
/// and returns (partition, region, account, uuid), or `None`.
fn parse_ram_uuid_arn(s: &str, kind: &str) -> Option<(String, String, String, String)> {
    let arn = Arn::split(s)?;
    let id = arn.resource.strip_prefix(kind)?.strip_prefix('/')?;
    let valid = arn.service == "ram"
        && !arn.region.is_empty()
        && is_account_id(&arn.account)
        && is_uuid(id);
    valid.then(|| (arn.partition, arn.region, arn.account, id.to_string()))
}

/// The ARN of a resource share,
/// `arn:{partition}:ram:{region}:{account}:resource-share/{uuid}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceShareArn {
    pub partition: String,
    pub region: String,
    /// The owning account.
    pub account: String,
    /// The UUID after `resource-share/`.
    pub id: String,
}

impl ResourceShareArn {
    /// The noun used in this ARN's `MalformedArn` message.
    pub const NOUN: &'static str = "resource share";

    /// Builds the ARN of a share; the arguments are trusted (they come from
    /// configuration, the caller's identity and the id generator).
    pub fn new(partition: &str, region: &str, account: &str, id: &str) -> ResourceShareArn {
        ResourceShareArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            id: id.to_string(),
        }
    }

    /// Parses a resource share ARN; anything else is `MalformedArn`.
    pub fn parse(s: &str) -> Result<ResourceShareArn> {
        let (partition, region, account, id) =
            parse_ram_uuid_arn(s, "resource-share").ok_or_else(|| malformed_arn(Self::NOUN))?;
        Ok(ResourceShareArn {
            partition,
            region,
            account,
            id,
        })
    }
}

impl fmt::Display for ResourceShareArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:ram:{}:{}:resource-share/{}",
            self.partition, self.region, self.account, self.id
        )
    }
}

impl FromStr for ResourceShareArn {
    type Err = Error;

    fn from_str(s: &str) -> Result<ResourceShareArn> {
        ResourceShareArn::parse(s)
    }
}

/// The ARN of a resource share invitation,
/// `arn:{partition}:ram:{region}:{sender}:resource-share-invitation/{uuid}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceShareInvitationArn {
    pub partition: String,
    pub region: String,
    /// The sending account, the owner of the share.
    pub account: String,
    /// The UUID after `resource-share-invitation/`.
    pub id: String,
}

impl ResourceShareInvitationArn {
    /// The noun used in this ARN's `MalformedArn` message.
    pub const NOUN: &'static str = "resource share invitation";

    /// Builds the ARN of an invitation from trusted parts.
    pub fn new(
        partition: &str,
        region: &str,
        account: &str,
        id: &str,
    ) -> ResourceShareInvitationArn {
        ResourceShareInvitationArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            id: id.to_string(),
        }
    }

    /// Parses an invitation ARN; anything else is `MalformedArn`.
    pub fn parse(s: &str) -> Result<ResourceShareInvitationArn> {
        let (partition, region, account, id) = parse_ram_uuid_arn(s, "resource-share-invitation")
            .ok_or_else(|| malformed_arn(Self::NOUN))?;
        Ok(ResourceShareInvitationArn {
            partition,
            region,
            account,
            id,
        })
    }
}

impl fmt::Display for ResourceShareInvitationArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:ram:{}:{}:resource-share-invitation/{}",
            self.partition, self.region, self.account, self.id
        )
    }
}

impl FromStr for ResourceShareInvitationArn {
    type Err = Error;

    fn from_str(s: &str) -> Result<ResourceShareInvitationArn> {
        ResourceShareInvitationArn::parse(s)
    }
}

/// Who owns a managed permission, as written in its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PermissionOwner {
    /// An AWS managed permission: account field `aws`, no region.
    Aws,
    /// A customer managed (or created-from-policy) permission of this account.
    Account(String),
}

/// The ARN of a managed permission: `arn:{p}:ram::aws:permission/{name}` for
/// AWS managed ones, `arn:{p}:ram:{region}:{account}:permission/{name}` for
/// customer managed ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermissionArn {
    pub partition: String,
    /// `None` exactly when the owner is `PermissionOwner::Aws`.
    pub region: Option<String>,
    pub owner: PermissionOwner,
    pub name: String,
}

/// The longest permission name accepted inside an ARN. CreatePermission
/// allows only 36 characters, but AWS managed names reach 76.
const MAX_PERMISSION_NAME_IN_ARN: usize = 256;

impl PermissionArn {
    /// The noun used in this ARN's `MalformedArn` message.
    pub const NOUN: &'static str = "permission";

    /// The ARN of the AWS managed permission `name`.
    pub fn aws_managed(partition: &str, name: &str) -> PermissionArn {
        PermissionArn {
            partition: partition.to_string(),
            region: None,
            owner: PermissionOwner::Aws,
            name: name.to_string(),
        }
    }

    /// The ARN of the customer managed permission `name` of `account`.
    pub fn customer_managed(
        partition: &str,
        region: &str,
        account: &str,
        name: &str,
    ) -> PermissionArn {
        PermissionArn {
            partition: partition.to_string(),
            region: Some(region.to_string()),
            owner: PermissionOwner::Account(account.to_string()),
            name: name.to_string(),
        }
    }

    /// Whether this names an AWS managed permission.
    pub fn is_aws_managed(&self) -> bool {
        self.owner == PermissionOwner::Aws
    }

    /// Parses a permission ARN; anything else, including a regional ARN with
    /// account `aws` or a region-less ARN with an account id, is `MalformedArn`.
    pub fn parse(s: &str) -> Result<PermissionArn> {
        PermissionArn::split(s).ok_or_else(|| malformed_arn(Self::NOUN))
    }

    fn split(s: &str) -> Option<PermissionArn> {
        let arn = Arn::split(s)?;
        let name = arn.resource.strip_prefix("permission/")?;
        let name_ok = (1..=MAX_PERMISSION_NAME_IN_ARN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        if arn.service != "ram" || !name_ok {
            return None;
        }
        let (region, owner) = if arn.account == AWS_ACCOUNT && arn.region.is_empty() {
            (None, PermissionOwner::Aws)
        } else if is_account_id(&arn.account) && !arn.region.is_empty() {
            (Some(arn.region), PermissionOwner::Account(arn.account))
        } else {
            return None;
        };
        Some(PermissionArn {
            partition: arn.partition,
            region,
            owner,
            name: name.to_string(),
        })
    }
}

impl fmt::Display for PermissionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let region = self.region.as_deref().unwrap_or("");
        let account = match &self.owner {
            PermissionOwner::Aws => AWS_ACCOUNT,
            PermissionOwner::Account(account) => account,
        };
        write!(
            f,
            "arn:{}:ram:{}:{}:permission/{}",
            self.partition, region, account, self.name
        )
    }
}

impl FromStr for PermissionArn {
    type Err = Error;

    fn from_str(s: &str) -> Result<PermissionArn> {
        PermissionArn::parse(s)
    }
}

/// Someone a resource share can be granted to (RAM-BEHAVIOUR.md §1.4).
///
/// Every string field holds the input exactly as given; the parse checked it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Principal {
    /// A bare 12-digit account id (an `Arc`, so a share's principal and its
    /// key share one allocation).
    Account(std::sync::Arc<str>),
    /// `arn:{p}:organizations::{management}:organization/o-...`.
    Organization(Box<OrgPrincipal>),
    /// `arn:{p}:organizations::{management}:ou/o-.../ou-...`.
    OrganizationalUnit(Box<OuPrincipal>),
    /// `arn:{p}:iam::{account}:role/{path/}{name}`.
    IamRole(Box<IamPrincipal>),
    /// `arn:{p}:iam::{account}:user/{path/}{name}`.
    IamUser(Box<IamPrincipal>),
    /// `{service}.amazonaws.com`.
    ServicePrincipal(String),
}

/// An organization principal (boxed in [`Principal`], which every principal
/// association holds: accounts, the common case, stay small).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrgPrincipal {
    pub arn: String,
    pub management_account: String,
    pub org_id: String,
}

/// An OU principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OuPrincipal {
    pub arn: String,
    pub management_account: String,
    pub org_id: String,
    pub ou_id: String,
}

/// An IAM role or user principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IamPrincipal {
    pub arn: String,
    pub account: String,
}

/// The longest IAM role or user name.
const MAX_IAM_NAME: usize = 64;
/// The longest IAM path, slashes included.
const MAX_IAM_PATH: usize = 512;
/// The longest service principal accepted.
const MAX_SERVICE_PRINCIPAL: usize = 255;
/// The suffix of every service principal.
const SERVICE_PRINCIPAL_SUFFIX: &str = ".amazonaws.com";

impl Principal {
    /// Parses a principal; anything that is not one of the accepted forms is
    /// `InvalidParameter` "Principal ID <x> is malformed. Verify the ID and try again."
    pub fn parse(s: &str) -> Result<Principal> {
        Principal::classify(s).ok_or_else(|| {
            Error::InvalidParameter(format!(
                "Principal ID {} is malformed. Verify the ID and try again.",
                echo(s)
            ))
        })
    }

    fn classify(s: &str) -> Option<Principal> {
        if is_account_id(s) {
            return Some(Principal::Account(s.into()));
        }
        if s.starts_with("arn:") {
            return Principal::classify_arn(s);
        }
        if is_service_principal(s) {
            return Some(Principal::ServicePrincipal(s.to_string()));
        }
        None
    }

    fn classify_arn(s: &str) -> Option<Principal> {
        let arn = Arn::split(s)?;
        if !arn.region.is_empty() || !is_account_id(&arn.account) {
            return None;
        }
        match arn.service.as_str() {
            "organizations" => {
                if let Some(org_id) = arn.resource.strip_prefix("organization/") {
                    is_organization_id(org_id).then(|| {
                        Principal::Organization(Box::new(OrgPrincipal {
                            arn: s.to_string(),
                            management_account: arn.account.clone(),
                            org_id: org_id.to_string(),
                        }))
                    })
                } else {
                    let rest = arn.resource.strip_prefix("ou/")?;
                    let (org_id, ou_id) = rest.split_once('/')?;
                    (is_organization_id(org_id) && is_organizational_unit_id(ou_id)).then(|| {
                        Principal::OrganizationalUnit(Box::new(OuPrincipal {
                            arn: s.to_string(),
                            management_account: arn.account.clone(),
                            org_id: org_id.to_string(),
                            ou_id: ou_id.to_string(),
                        }))
                    })
                }
            }
            "iam" => {
                let account = arn.account.clone();
                if let Some(rest) = arn.resource.strip_prefix("role/") {
                    is_iam_path_and_name(rest).then(|| {
                        Principal::IamRole(Box::new(IamPrincipal {
                            arn: s.to_string(),
                            account,
                        }))
                    })
                } else {
                    let rest = arn.resource.strip_prefix("user/")?;
                    is_iam_path_and_name(rest).then(|| {
                        Principal::IamUser(Box::new(IamPrincipal {
                            arn: s.to_string(),
                            account,
                        }))
                    })
                }
            }
            _ => None,
        }
    }

    /// The principal exactly as given: the account id, the ARN or the service
    /// principal name.
    pub fn id(&self) -> &str {
        match self {
            Principal::Account(id) => id,
            Principal::ServicePrincipal(id) => id,
            Principal::Organization(o) => &o.arn,
            Principal::OrganizationalUnit(o) => &o.arn,
            Principal::IamRole(p) | Principal::IamUser(p) => &p.arn,
        }
    }

    /// The account the principal belongs to: the account itself, or the
    /// account of an IAM role or user. `None` for organizations, OUs and
    /// service principals.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Principal::Account(id) => Some(id),
            Principal::IamRole(p) | Principal::IamUser(p) => Some(&p.account),
            _ => None,
        }
    }

    /// The partition named in the principal's ARN; `None` for account ids and
    /// service principals, which carry none.
    pub fn partition(&self) -> Option<&str> {
        match self {
            Principal::Account(_) | Principal::ServicePrincipal(_) => None,
            _ => self.id().split(':').nth(1),
        }
    }

    /// Whether this is an IAM role or user, which only some resource types accept.
    pub fn is_iam(&self) -> bool {
        matches!(self, Principal::IamRole(_) | Principal::IamUser(_))
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Principal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Principal> {
        Principal::parse(s)
    }
}

/// Whether `rest` (what follows `role/` or `user/`) is an optional IAM path and
/// a name: path segments of printable ASCII without `/`, at most 512
/// characters in all, then a name of 1 to 64 characters from `[\w+=,.@-]`.
fn is_iam_path_and_name(rest: &str) -> bool {
    let (path, name) = match rest.rsplit_once('/') {
        Some((path, name)) => (Some(path), name),
        None => (None, rest),
    };
    let name_ok = (1..=MAX_IAM_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    let path_ok = path.is_none_or(|path| {
        // The path as IAM writes it has a leading and trailing slash.
        path.len() + 2 <= MAX_IAM_PATH
            && path
                .split('/')
                .all(|seg| !seg.is_empty() && seg.bytes().all(|b| (0x21..=0x7e).contains(&b)))
    });
    name_ok && path_ok
}

/// Whether `s` is a service principal `<name>.amazonaws.com`: dot-separated
/// labels of lowercase letters, digits and dashes, none empty.
fn is_service_principal(s: &str) -> bool {
    let Some(name) = s.strip_suffix(SERVICE_PRINCIPAL_SUFFIX) else {
        return false;
    };
    s.len() <= MAX_SERVICE_PRINCIPAL
        && name
            .split('.')
            .all(|label| is_lower_dashed(label) && !label.starts_with('-') && !label.ends_with('-'))
}

/// A source constraint on a share granted to a service principal (§7): the
/// account, resource, organization or organization path the service may act for.
///
/// Each variant holds the input exactly as given (an organization path keeps or
/// lacks its trailing `/` as the caller wrote it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SourceId {
    /// A 12-digit account id (aws:SourceAccount).
    Account(String),
    /// Any valid ARN (aws:SourceArn).
    Arn(String),
    /// `o-...` (aws:SourceOrgID).
    OrganizationId(String),
    /// `o-.../r-.../ou-.../` (aws:SourceOrgPaths).
    OrganizationPath(String),
}

impl SourceId {
    /// Parses a source id; anything else is `InvalidParameter`.
    pub fn parse(s: &str) -> Result<SourceId> {
        let source = if is_account_id(s) {
            Some(SourceId::Account(s.to_string()))
        } else if s.starts_with("arn:") {
            Arn::is_valid(s).then(|| SourceId::Arn(s.to_string()))
        } else if is_organization_id(s) {
            Some(SourceId::OrganizationId(s.to_string()))
        } else if is_organization_path(s) {
            Some(SourceId::OrganizationPath(s.to_string()))
        } else {
            None
        };
        source.ok_or_else(|| {
            Error::InvalidParameter(format!(
                "Source ID {} is malformed. A source must be an account ID, an ARN, an \
                 organization ID (o-...) or an organization path (o-.../r-.../ou-.../).",
                echo(s)
            ))
        })
    }

    /// The source exactly as given.
    pub fn id(&self) -> &str {
        match self {
            SourceId::Account(s)
            | SourceId::Arn(s)
            | SourceId::OrganizationId(s)
            | SourceId::OrganizationPath(s) => s,
        }
    }

    /// The `sourceType` reported for this source.
    pub fn source_type(&self) -> &'static str {
        match self {
            SourceId::Account(_) => "ACCOUNT",
            SourceId::Arn(_) => "ARN",
            SourceId::OrganizationId(_) => "ORGANIZATION_ID",
            SourceId::OrganizationPath(_) => "ORGANIZATION_PATH",
        }
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for SourceId {
    type Err = Error;

    fn from_str(s: &str) -> Result<SourceId> {
        SourceId::parse(s)
    }
}

/// Whether `s` is an organization path `o-xxx/r-xxxx[/ou-...]*` with an
/// optional trailing `/`, as used by aws:SourceOrgPaths.
fn is_organization_path(s: &str) -> bool {
    let s = s.strip_suffix('/').unwrap_or(s);
    let mut segments = s.split('/');
    let org_ok = segments.next().is_some_and(is_organization_id);
    let root_ok = segments.next().is_some_and(is_root_id);
    org_ok && root_ok && segments.all(is_organizational_unit_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    fn is_malformed_arn(r: &Result<impl fmt::Debug>) -> bool {
        matches!(r, Err(Error::MalformedArn(_)))
    }

    #[test]
    fn account_numbers_are_the_ids_digits() {
        assert_eq!(account_number("111122223333"), Some(111_122_223_333));
        assert_eq!(account_number("000000000001"), Some(1));
        assert_eq!(account_number("999999999999"), Some(999_999_999_999));
        for not_an_id in [
            "11112222333",
            "1111222233334",
            "11112222333a",
            "",
            "-11122223333",
        ] {
            assert_eq!(account_number(not_an_id), None, "{not_an_id}");
        }
    }

    #[test]
    fn account_ids() {
        let cases = [
            ("123456789012", true),
            ("000000112358", true),
            ("12345678901", false),
            ("1234567890123", false),
            ("12345678901a", false),
            ("", false),
            ("１２３４５６７８９０１２", false),
        ];
        for (input, want) in cases {
            assert_eq!(is_account_id(input), want, "{input}");
        }
    }

    #[test]
    fn generic_arns() {
        let valid = [
            "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0123",
            "arn:aws-cn:s3:::bucket/key:with:colons",
            "arn:aws-us-gov:ram::aws:permission/AWSRAMDefaultPermissionSubnet",
            "arn:aws-eusc:rds:eu-south-1:123456789012:cluster:my-cluster",
            "arn:aws-iso-f:ec2:us-east-1:123456789012:x",
        ];
        for input in valid {
            let arn = Arn::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(arn.to_string(), input);
            assert_eq!(Arn::check(input), Ok(()), "{input}");
        }
        let arn = Arn::parse("arn:aws:rds:us-east-1:123456789012:cluster:a/b").unwrap();
        assert_eq!(
            (
                arn.partition.as_str(),
                arn.service.as_str(),
                arn.region.as_str(),
                arn.account.as_str(),
                arn.resource.as_str()
            ),
            ("aws", "rds", "us-east-1", "123456789012", "cluster:a/b")
        );

        let too_long = format!("arn:aws:s3:::{}", "x".repeat(MAX_ARN_LEN));
        let invalid = [
            "",
            "arn",
            "arn:aws:ec2:us-east-1:123456789012",
            "arn:aws:ec2:us-east-1:123456789012:",
            "arx:aws:ec2:us-east-1:123456789012:subnet/x",
            "arn:aws-moon:ec2:us-east-1:123456789012:subnet/x",
            "arn:AWS:ec2:us-east-1:123456789012:subnet/x",
            "arn:aws::us-east-1:123456789012:subnet/x",
            "arn:aws:EC2:us-east-1:123456789012:subnet/x",
            "arn:aws:ec2:US-EAST-1:123456789012:subnet/x",
            "arn:aws:ec2:us_east_1:123456789012:subnet/x",
            "arn:aws:ec2:us-east-1:12345678901:subnet/x",
            "arn:aws:ec2:us-east-1:azure:subnet/x",
            "arn:aws:ec2:us-east-1:123456789012:subnet/\nx",
            too_long.as_str(),
        ];
        for input in invalid {
            assert!(is_malformed_arn(&Arn::parse(input)), "{input}");
            assert!(!Arn::is_valid(input), "{input}");
            assert_eq!(Arn::check(input), Arn::parse(input).map(|_| ()), "{input}");
        }
    }

    #[test]
    fn malformed_arn_messages() {
        assert_eq!(
            Arn::parse("nope"),
            Err(Error::MalformedArn(
                "The specified resource ARN nope is not valid. Verify the ARN and try again."
                    .into()
            ))
        );
        assert_eq!(
            Arn::parse_as("nope", "resource share"),
            Err(Error::MalformedArn(
                "The specified resource share ARN is not valid. Verify the ARN and try again."
                    .into()
            ))
        );
        let Err(Error::MalformedArn(msg)) = Arn::parse(&"y".repeat(10_000)) else {
            panic!("expected MalformedArn");
        };
        assert!(msg.len() < 400, "the echoed input is shortened");
    }

    #[test]
    fn resource_share_arns() {
        let input = format!("arn:aws:ram:us-east-1:123456789012:resource-share/{UUID}");
        let arn = ResourceShareArn::parse(&input).unwrap();
        assert_eq!(
            arn,
            ResourceShareArn::new("aws", "us-east-1", "123456789012", UUID)
        );
        assert_eq!(arn.to_string(), input);
        let upper = input
            .to_uppercase()
            .replace("ARN:AWS:RAM:US-EAST-1", "arn:aws:ram:us-east-1");
        let upper = upper.replace("RESOURCE-SHARE", "resource-share");
        assert_eq!(ResourceShareArn::parse(&upper).unwrap().to_string(), upper);

        let invalid = [
            format!("arn:aws:ram:us-east-1:123456789012:resource-share-invitation/{UUID}"),
            format!("arn:aws:ram:us-east-1:123456789012:permission/{UUID}"),
            format!("arn:aws:ram::123456789012:resource-share/{UUID}"),
            format!("arn:aws:ram:us-east-1:aws:resource-share/{UUID}"),
            format!("arn:aws:ec2:us-east-1:123456789012:resource-share/{UUID}"),
            format!("arn:aws:ram:us-east-1:123456789012:resource-share/{UUID}/x"),
            "arn:aws:ram:us-east-1:123456789012:resource-share/not-a-uuid".to_string(),
            format!("arn:aws:ram:us-east-1:123456789012:resource-share{UUID}"),
            "resource-share/x".to_string(),
        ];
        for input in &invalid {
            assert_eq!(
                ResourceShareArn::parse(input),
                Err(malformed_arn("resource share")),
                "{input}"
            );
        }
    }

    #[test]
    fn invitation_arns() {
        let input =
            format!("arn:aws-cn:ram:cn-north-1:111122223333:resource-share-invitation/{UUID}");
        let arn = ResourceShareInvitationArn::parse(&input).unwrap();
        assert_eq!(
            arn,
            ResourceShareInvitationArn::new("aws-cn", "cn-north-1", "111122223333", UUID)
        );
        assert_eq!(arn.to_string(), input);
        let share = format!("arn:aws:ram:us-east-1:123456789012:resource-share/{UUID}");
        assert_eq!(
            ResourceShareInvitationArn::parse(&share),
            Err(malformed_arn("resource share invitation"))
        );
    }

    #[test]
    fn permission_arns() {
        let cases = [
            (
                "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet",
                PermissionArn::aws_managed("aws", "AWSRAMDefaultPermissionSubnet"),
            ),
            (
                "arn:aws-us-gov:ram::aws:permission/AWSRAMPermissionGlueDatabaseReadWrite",
                PermissionArn::aws_managed("aws-us-gov", "AWSRAMPermissionGlueDatabaseReadWrite"),
            ),
            (
                "arn:aws:ram:us-east-1:123456789012:permission/TestCMP",
                PermissionArn::customer_managed("aws", "us-east-1", "123456789012", "TestCMP"),
            ),
            (
                "arn:aws:ram:eu-west-1:000000000001:permission/a.b-c_d",
                PermissionArn::customer_managed("aws", "eu-west-1", "000000000001", "a.b-c_d"),
            ),
        ];
        for (input, want) in cases {
            let got = PermissionArn::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got, want, "{input}");
            assert_eq!(got.to_string(), input);
            assert_eq!(got.is_aws_managed(), got.region.is_none());
        }

        let invalid = [
            "arn:aws:ram:us-east-1:aws:permission/X",
            "arn:aws:ram::123456789012:permission/X",
            "arn:aws:ram:::permission/X",
            "arn:aws:ram::aws:permission/",
            "arn:aws:ram::aws:permission/has space",
            "arn:aws:ram::aws:permission/a/b",
            "arn:aws:iam::aws:permission/X",
            "arn:aws:ram::aws:policy/X",
            "AWSRAMDefaultPermissionSubnet",
        ];
        for input in invalid {
            assert_eq!(
                PermissionArn::parse(input),
                Err(malformed_arn("permission")),
                "{input}"
            );
        }
    }

    #[test]
    fn principals() {
        let org = "arn:aws:organizations::111111111111:organization/o-abcdefghij";
        let ou = "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-abcdefgh";
        let role = "arn:aws:iam::222222222222:role/service-role/My+Role=,.@-_1";
        let user = "arn:aws-cn:iam::222222222222:user/alice";
        let cases = [
            ("123456789012", Principal::Account("123456789012".into())),
            (
                org,
                Principal::Organization(Box::new(OrgPrincipal {
                    arn: org.into(),
                    management_account: "111111111111".into(),
                    org_id: "o-abcdefghij".into(),
                })),
            ),
            (
                ou,
                Principal::OrganizationalUnit(Box::new(OuPrincipal {
                    arn: ou.into(),
                    management_account: "111111111111".into(),
                    org_id: "o-abcdefghij".into(),
                    ou_id: "ou-ab12-abcdefgh".into(),
                })),
            ),
            (
                role,
                Principal::IamRole(Box::new(IamPrincipal {
                    arn: role.into(),
                    account: "222222222222".into(),
                })),
            ),
            (
                user,
                Principal::IamUser(Box::new(IamPrincipal {
                    arn: user.into(),
                    account: "222222222222".into(),
                })),
            ),
            (
                "backup.amazonaws.com",
                Principal::ServicePrincipal("backup.amazonaws.com".into()),
            ),
            (
                "elasticmapreduce.eu-1.amazonaws.com",
                Principal::ServicePrincipal("elasticmapreduce.eu-1.amazonaws.com".into()),
            ),
        ];
        for (input, want) in cases {
            let got = Principal::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got, want, "{input}");
            assert_eq!(got.id(), input);
            assert_eq!(got.to_string(), input);
        }

        let long_name = format!("arn:aws:iam::222222222222:role/{}", "n".repeat(65));
        let long_path = format!(
            "arn:aws:iam::222222222222:role/{}/n",
            "p".repeat(MAX_IAM_PATH)
        );
        let invalid = [
            "ftw",
            "",
            "12345678901",
            "o-abc123",
            "o-abcdefghij",
            "ou-ab12-abcdefgh",
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role//x",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam::123456789012:role/path/",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::aws:role/x",
            "arn:aws:iam::123456789012:group/x",
            "arn:aws:sts::123456789012:assumed-role/x/y",
            "arn:aws:organizations::111111111111:organization/o-abc",
            "arn:aws:organizations::111111111111:organization/o-ABCDEFGHIJ",
            "arn:aws:organizations::111111111111:organization/o-abcdefghij/x",
            "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab1-abcdefgh",
            "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-abcdefg",
            "arn:aws:organizations::111111111111:ou/o-abcdefghij",
            "arn:aws:organizations:us-east-1:111111111111:organization/o-abcdefghij",
            "organizations::111111111111:organization/o-abcdefghij",
            "arn:aws-moon:iam::123456789012:user/x",
            "amazonaws.com",
            ".amazonaws.com",
            "Backup.amazonaws.com",
            "back_up.amazonaws.com",
            "a..b.amazonaws.com",
            "-a.amazonaws.com",
            "backup.amazonaws.com.evil",
            long_name.as_str(),
            long_path.as_str(),
        ];
        for input in invalid {
            assert_eq!(
                Principal::parse(input),
                Err(Error::InvalidParameter(format!(
                    "Principal ID {} is malformed. Verify the ID and try again.",
                    echo(input)
                ))),
                "{input}"
            );
        }
    }

    #[test]
    fn principal_helpers() {
        let cases = [
            ("123456789012", Some("123456789012"), None, false),
            (
                "arn:aws-cn:iam::222222222222:user/a",
                Some("222222222222"),
                Some("aws-cn"),
                true,
            ),
            (
                "arn:aws:iam::222222222222:role/a",
                Some("222222222222"),
                Some("aws"),
                true,
            ),
            (
                "arn:aws-us-gov:organizations::111111111111:organization/o-abcdefghij",
                None,
                Some("aws-us-gov"),
                false,
            ),
            ("backup.amazonaws.com", None, None, false),
        ];
        for (input, account, partition, iam) in cases {
            let p = Principal::parse(input).unwrap();
            assert_eq!(p.account_id(), account, "{input}");
            assert_eq!(p.partition(), partition, "{input}");
            assert_eq!(p.is_iam(), iam, "{input}");
        }
    }

    #[test]
    fn source_ids() {
        let cases = [
            ("123456789012", "ACCOUNT"),
            ("arn:aws:s3:::my-bucket", "ARN"),
            (
                "arn:aws:backup:us-east-1:123456789012:backup-vault:v",
                "ARN",
            ),
            ("o-abcdefghij", "ORGANIZATION_ID"),
            ("o-abcdefghij/r-ab12", "ORGANIZATION_PATH"),
            ("o-abcdefghij/r-ab12/", "ORGANIZATION_PATH"),
            (
                "o-abcdefghij/r-ab12/ou-ab12-11111111/ou-ab12-22222222/",
                "ORGANIZATION_PATH",
            ),
            ("o-abcdefghij/r-ab12/ou-ab12-11111111", "ORGANIZATION_PATH"),
        ];
        for (input, kind) in cases {
            let got = SourceId::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got.source_type(), kind, "{input}");
            assert_eq!(got.id(), input);
            assert_eq!(got.to_string(), input);
        }

        let invalid = [
            "",
            "1234",
            "arn:aws:s3:::",
            "arn:nope",
            "o-abc",
            "o-abcdefghij/",
            "o-abcdefghij//r-ab12",
            "o-abcdefghij/r-ab12//",
            "o-abcdefghij/ou-ab12-11111111/",
            "o-abcdefghij/r-ab12/ou-ab12/",
            "o-abcdefghij/r-ab12/*",
            "r-ab12",
            "backup.amazonaws.com",
        ];
        for input in invalid {
            assert!(
                matches!(SourceId::parse(input), Err(Error::InvalidParameter(_))),
                "{input}"
            );
        }
    }

    #[test]
    fn organization_ids() {
        type Check = fn(&str) -> bool;
        let cases: [(&str, Check, bool); 9] = [
            ("o-abcdefghij", is_organization_id, true),
            ("o-abcdefghi", is_organization_id, false),
            (
                "o-aaaaaaaaaabbbbbbbbbbccccccccccdd",
                is_organization_id,
                true,
            ),
            (
                "o-aaaaaaaaaabbbbbbbbbbccccccccccdde",
                is_organization_id,
                false,
            ),
            ("r-ab12", is_root_id, true),
            ("r-ab1", is_root_id, false),
            ("ou-ab12-abcdefgh", is_organizational_unit_id, true),
            ("ou-ab12-abcdefgh-x", is_organizational_unit_id, false),
            ("ou-ab12abcdefgh", is_organizational_unit_id, false),
        ];
        for (input, check, want) in cases {
            assert_eq!(check(input), want, "{input}");
        }
    }
}
