//! Property tests with arbitrary input: requests generated from the proto
//! descriptors go through the conversions and every core operation, and
//! through a running server; arbitrary bytes go to the server as gRPC
//! bodies. Nothing may panic, every failure must be a proper AWS error
//! (never ServerInternalException), a refused operation must leave the state
//! as it was, and the server must keep serving.
//!
//! Requests are generated from a byte tape (proptest's `Vec<u8>`), read by
//! [`Gen`]: every choice takes bytes off the tape, and an exhausted tape
//! reads as zeros, which choose the smallest option. So proptest's
//! shrinking of the tape shrinks the requests too. Strings are drawn from a
//! pool of meaningful values (ARNs of objects that exist, principals,
//! templates, real and tampered page tokens) mixed with mutated and random
//! text and JSON documents.

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::{Buf, BufMut, Bytes};
use http_body_util::{BodyExt, Full};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use prost::encoding::{encode_key, encode_varint, WireType};
use prost::{Message, Name};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use ramd::core::clock::Ctx;
use ramd::core::state::State;
use ramd::core::{
    associations, created_from_policy, invitations, orgs, permissions, principals,
    resource_policies, resource_types, resources, share_permissions, shares, tagging, timers,
};
use ramd::error::Error;
use ramd::pb::admin as admin_pb;
use ramd::pb::v1 as pb;

use crate::common::*;

/// Cases per property: enough to reach every operation many times, few
/// enough for CI.
const CASES: u32 = 256;

// ---------------------------------------------------------------------------
// The proto schema, from the descriptor set compiled into ramd.

#[derive(Debug, Clone)]
enum Kind {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    Uint,
    Enum,
    Float,
    Message(String),
}

#[derive(Debug, Clone)]
struct Field {
    /// The proto field name, which picks the strings worth trying.
    name: String,
    number: u32,
    repeated: bool,
    kind: Kind,
}

/// Every message's fields, and every method of the two ramd services.
struct Schema {
    messages: HashMap<String, Vec<Field>>,
    /// (gRPC path, request message full name).
    methods: Vec<(String, String)>,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let set = FileDescriptorSet::decode(ramd::pb::FILE_DESCRIPTOR_SET).unwrap();
        let mut schema = Schema {
            messages: HashMap::new(),
            methods: Vec::new(),
        };
        for file in &set.file {
            for m in &file.message_type {
                add_message(&mut schema.messages, file.package(), m);
            }
            if !file.package().starts_with("ram.") {
                continue;
            }
            for service in &file.service {
                for method in &service.method {
                    schema.methods.push((
                        format!("/{}.{}/{}", file.package(), service.name(), method.name()),
                        method.input_type().trim_start_matches('.').to_string(),
                    ));
                }
            }
        }
        assert!(schema.methods.len() >= 36 + 9, "every RPC is in the schema");
        schema
    })
}

fn add_message(out: &mut HashMap<String, Vec<Field>>, scope: &str, m: &DescriptorProto) {
    let name = format!("{scope}.{}", m.name());
    for nested in &m.nested_type {
        add_message(out, &name, nested);
    }
    let fields = m
        .field
        .iter()
        .map(|f| Field {
            name: f.name().to_string(),
            number: f.number() as u32,
            repeated: f.label() == Label::Repeated,
            kind: match f.r#type() {
                Type::String => Kind::String,
                Type::Bytes => Kind::Bytes,
                Type::Bool => Kind::Bool,
                Type::Int32 | Type::Sint32 | Type::Sfixed32 => Kind::Int32,
                Type::Int64 | Type::Sint64 | Type::Sfixed64 => Kind::Int64,
                Type::Uint32 | Type::Uint64 | Type::Fixed32 | Type::Fixed64 => Kind::Uint,
                Type::Enum => Kind::Enum,
                Type::Double | Type::Float => Kind::Float,
                Type::Message | Type::Group => {
                    Kind::Message(f.type_name().trim_start_matches('.').to_string())
                }
            },
        })
        .collect();
    out.insert(name, fields);
}

// ---------------------------------------------------------------------------
// Generating requests from a byte tape.

/// Integers worth trying in any integer field.
const INTS: &[i64] = &[
    0,
    1,
    -1,
    2,
    3,
    5,
    10,
    100,
    500,
    501,
    1000,
    3600,
    i32::MAX as i64,
    i32::MIN as i64,
    i64::MAX,
    i64::MIN,
    315_537_897_599, // the last second of year 9999
];

/// Enum numbers: valid ones, UNSPECIFIED and unknown ones.
const ENUMS: &[i32] = &[0, 1, 2, 3, 4, 5, 6, -1, 99, i32::MAX];

/// Words JSON documents are made of: policy and template vocabulary.
const JSON_WORDS: &[&str] = &[
    "Effect",
    "Allow",
    "Deny",
    "Action",
    "Condition",
    "Statement",
    "Principal",
    "Resource",
    "Version",
    "2012-10-17",
    "AWS",
    "Service",
    "*",
    "StringEquals",
    "StringLike",
    "StringEqualsIfExists",
    "ForAllValues:StringEquals",
    "StringNotEquals",
    "Null",
    "aws:SourceAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalTag/team",
    "ec2:Vpc",
    "codebuild:BatchGetProjects",
    "codebuild:StartBuild",
    "codebuild:*",
    "codebuild:Batch*",
    "ec2:*",
    "@{p}",
    "@{P}",
    "@{",
    "p",
    "ec2.amazonaws.com",
    "arn:aws:iam::210987654321:root",
    "arn:aws:iam::210987654321:role/R",
    "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1",
    "arn:aws:codebuild:us-east-1:111122223333:project/p",
    "111122223333",
    "210987654321",
];

/// Strings that stress lengths, nesting and encodings.
fn special_strings() -> Vec<String> {
    vec![
        String::new(),
        " ".into(),
        "\0".into(),
        "x".repeat(3000),
        "é".repeat(1500),
        "{".repeat(5000),
        format!("{}{}", "[".repeat(200), "]".repeat(200)),
        "9".repeat(400),
        "-1e999".into(),
        "\u{feff}{}".into(),
        "arn:aws:ram:us-east-1:111122223333:resource-share/".into(),
        format!(
            "arn:aws:ec2:us-east-1:111122223333:subnet/{}",
            "s".repeat(2100)
        ),
        "arn:::::".into(),
        "arn:aws:ram::aws:permission/".into(),
        "ou-".into(),
        "o-".into(),
        "r-".into(),
    ]
}

/// Strings worth trying: all of them, and those that fit a field, by proto
/// field name (`resource_share_arn` gets share ARNs, `principals` gets
/// principals, and so on).
#[derive(Debug, Default, Clone)]
struct Pool {
    all: Vec<String>,
    by_field: HashMap<String, Vec<String>>,
}

impl Pool {
    /// Adds `values` as fitting each of `fields`.
    fn add(&mut self, fields: &[&str], values: &[String]) {
        for f in fields {
            self.by_field
                .entry(f.to_string())
                .or_default()
                .extend(values.iter().cloned());
        }
        self.all.extend(values.iter().cloned());
    }
}

/// Reads choices off a byte tape.
struct Gen<'a> {
    tape: &'a [u8],
    pos: usize,
    pool: &'a Pool,
}

impl<'a> Gen<'a> {
    fn new(tape: &'a [u8], pool: &'a Pool) -> Gen<'a> {
        Gen { tape, pos: 0, pool }
    }

    fn byte(&mut self) -> u8 {
        let b = self.tape.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let v = usize::from(self.byte()) | usize::from(self.byte()) << 8;
        v % n
    }

    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.below(items.len())]
    }

    fn int(&mut self) -> i64 {
        match self.byte() % 8 {
            // Small values are the valid ones of maxResults and versions.
            0..=3 => 1 + self.below(3) as i64,
            4..=6 => *self.pick(INTS),
            _ => (0..8).fold(0i64, |v, _| v << 8 | i64::from(self.byte())),
        }
    }

    /// A string for the field `field`.
    fn string(&mut self, field: &str) -> String {
        let document = field.starts_with("polic");
        match self.byte() % 12 {
            0..=6 => match self.pool.by_field.get(field).filter(|v| !v.is_empty()) {
                Some(fitting) => self.pick(fitting).clone(),
                None => self.pick(&self.pool.all).clone(),
            },
            7 if document => self.json(0),
            7 => self.pick(&self.pool.all).clone(),
            8 => {
                // A pool string, cut short or with something appended.
                let s = self.pick(&self.pool.all).clone();
                if self.byte() % 2 == 0 {
                    let mut cut = self.below(s.len() + 1);
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    s[..cut].to_string()
                } else {
                    let tail = self.ascii();
                    s + &tail
                }
            }
            9 => self.ascii(),
            10 => {
                let n = self.below(24);
                (0..n)
                    .filter_map(|_| {
                        let v = u32::from(self.byte()) << 12 | u32::from(self.byte());
                        char::from_u32(v)
                    })
                    .collect()
            }
            11 if document => self.json(0),
            11 if self.byte() % 2 == 0 => {
                // Opaque-looking text, as page tokens are.
                use base64::Engine;
                let n = self.below(120);
                let raw: Vec<u8> = (0..n).map(|_| self.byte()).collect();
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
            }
            _ => self.pick(&special_strings()).clone(),
        }
    }

    /// Printable ASCII, biased towards the characters ARNs are made of.
    fn ascii(&mut self) -> String {
        const CHARS: &[u8] = b"arn:aws/ram-us-east-1:1234567890*?@{}_.,\"' ABCxyz\\\t";
        let n = self.below(40);
        (0..n).map(|_| char::from(*self.pick(CHARS))).collect()
    }

    /// A JSON document of policy vocabulary, sometimes broken.
    fn json(&mut self, depth: usize) -> String {
        let choice = if depth >= 4 { 0 } else { self.byte() % 6 };
        match choice {
            0 => format!("{:?}", self.pick(JSON_WORDS)),
            1 => {
                let n = self.below(4);
                let items: Vec<String> = (0..n).map(|_| self.json(depth + 1)).collect();
                format!("[{}]", items.join(","))
            }
            2..=4 => {
                let n = self.below(4);
                let members: Vec<String> = (0..n)
                    .map(|_| format!("{:?}:{}", self.pick(JSON_WORDS), self.json(depth + 1)))
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            _ => {
                let s = self.json(depth + 1);
                // Truncated, or with trailing garbage.
                if self.byte() % 2 == 0 {
                    s[..s.len() / 2].to_string()
                } else {
                    format!("{s} {}", self.pick(&["true", "null", "1", "}", "@{p}"]))
                }
            }
        }
    }

    /// The encoding of an arbitrary message `name`.
    fn message(&mut self, name: &str, depth: usize) -> Vec<u8> {
        let mut buf = Vec::new();
        let Some(fields) = schema().messages.get(name) else {
            return buf;
        };
        for f in fields {
            // Absent on a zero byte, so an exhausted tape ends the message;
            // lists are often empty, and now and then longer than any limit.
            let n = match (f.repeated, self.byte() % 8) {
                (_, 0) => 0,
                (false, _) => 1,
                (true, 1..=3) => 0,
                (true, 4..=6) => 1 + self.below(2),
                (true, _) if self.byte() == 255 => 101,
                (true, _) => 3,
            };
            for _ in 0..n {
                self.field(f, depth, &mut buf);
            }
        }
        buf
    }

    fn field(&mut self, f: &Field, depth: usize, buf: &mut Vec<u8>) {
        let tag = f.number;
        match &f.kind {
            Kind::String => prost::encoding::string::encode(tag, &self.string(&f.name), buf),
            Kind::Bytes => {
                let n = self.below(16);
                let v: Vec<u8> = (0..n).map(|_| self.byte()).collect();
                prost::encoding::bytes::encode(tag, &v, buf)
            }
            Kind::Bool => prost::encoding::bool::encode(tag, &(self.byte() % 2 == 1), buf),
            Kind::Int32 => prost::encoding::int32::encode(tag, &(self.int() as i32), buf),
            Kind::Int64 => prost::encoding::int64::encode(tag, &self.int(), buf),
            Kind::Uint => prost::encoding::uint64::encode(tag, &(self.int() as u64), buf),
            Kind::Enum => {
                // Mostly a valid value, sometimes an unknown one.
                let v = match self.byte() % 8 {
                    7 => *self.pick(ENUMS),
                    _ => self.below(3) as i32,
                };
                prost::encoding::int32::encode(tag, &v, buf)
            }
            Kind::Float => prost::encoding::double::encode(tag, &(self.int() as f64), buf),
            Kind::Message(name) => {
                let inner = if depth < 4 {
                    self.message(name, depth + 1)
                } else {
                    Vec::new()
                };
                encode_key(tag, WireType::LengthDelimited, buf);
                encode_varint(inner.len() as u64, buf);
                buf.extend_from_slice(&inner);
            }
        }
    }
}

/// Accounts that call: an owner, a receiver outside its organization, a
/// member inside it, and a stranger.
const CALLERS: [&str; 5] = [OWNER, OWNER, RECEIVER, MEMBER_A, STRANGER];

// ---------------------------------------------------------------------------
// Core operations on a State.

use ramd::core::testing::t0;

/// Runs one operation on the generated request bytes; a refusal is returned
/// after checking that it changed nothing.
type Run = Box<dyn Fn(&mut State, &Ctx, &[u8]) -> Result<(), Error>>;

struct Op {
    name: &'static str,
    message: String,
    run: Run,
}

fn decode<Req: Message + Default>(bytes: &[u8]) -> Req {
    Req::decode(bytes).expect("a generated request decodes")
}

/// Runs `op` after `convert`, and checks that a refusal left `state` as it
/// was (compared through its full `Debug` rendering).
fn write<Req, In, Out>(
    state: &mut State,
    ctx: &Ctx,
    bytes: &[u8],
    convert: fn(Req) -> Result<In, Error>,
    op: fn(&mut State, &Ctx, In) -> Result<Out, Error>,
) -> Result<(), Error>
where
    Req: Message + Default,
{
    let input = convert(decode(bytes))?;
    let before = format!("{state:?}");
    let result = op(state, ctx, input).map(drop);
    if let Err(e) = &result {
        assert!(
            before == format!("{state:?}"),
            "a refused operation changed the state: {e:?}"
        );
    }
    result
}

fn read<Req, In, Out>(
    state: &mut State,
    ctx: &Ctx,
    bytes: &[u8],
    convert: fn(Req) -> Result<In, Error>,
    op: fn(&State, &Ctx, In) -> Result<Out, Error>,
) -> Result<(), Error>
where
    Req: Message + Default,
{
    let input = convert(decode(bytes))?;
    op(state, ctx, input).map(drop)
}

/// An operation served through `Shared::query`, `command` or `mutate`: the
/// request converts with its `TryFrom`.
macro_rules! ram_op {
    ($kind:ident, $req:ident, $op:path) => {
        Op {
            name: stringify!($req),
            message: pb::$req::full_name(),
            run: Box::new(|s, c, b| $kind(s, c, b, |r: pb::$req| r.try_into(), $op)),
        }
    };
}

/// An admin operation: the admin service builds the core input field by
/// field, as `convert` does here.
macro_rules! admin_op {
    ($kind:ident, $req:ident, $convert:expr, $op:path) => {
        Op {
            name: stringify!($req),
            message: admin_pb::$req::full_name(),
            run: Box::new(|s, c, b| $kind(s, c, b, $convert, $op)),
        }
    };
}

/// Every core operation the two services reach.
fn operations() -> Vec<Op> {
    vec![
        ram_op!(
            write,
            AcceptResourceShareInvitationRequest,
            invitations::accept_resource_share_invitation
        ),
        ram_op!(
            write,
            AssociateResourceShareRequest,
            associations::associate_resource_share
        ),
        ram_op!(
            write,
            AssociateResourceSharePermissionRequest,
            share_permissions::associate_resource_share_permission
        ),
        ram_op!(
            write,
            CreatePermissionRequest,
            permissions::create_permission
        ),
        ram_op!(
            write,
            CreatePermissionVersionRequest,
            permissions::create_permission_version
        ),
        ram_op!(
            write,
            CreateResourceShareRequest,
            shares::create_resource_share
        ),
        ram_op!(
            write,
            DeletePermissionRequest,
            permissions::delete_permission
        ),
        ram_op!(
            write,
            DeletePermissionVersionRequest,
            permissions::delete_permission_version
        ),
        ram_op!(
            write,
            DeleteResourceShareRequest,
            shares::delete_resource_share
        ),
        ram_op!(
            write,
            DisassociateResourceShareRequest,
            associations::disassociate_resource_share
        ),
        ram_op!(
            write,
            DisassociateResourceSharePermissionRequest,
            share_permissions::disassociate_resource_share_permission
        ),
        ram_op!(
            write,
            EnableSharingWithAwsOrganizationRequest,
            orgs::enable_sharing_with_aws_organization
        ),
        ram_op!(read, GetPermissionRequest, permissions::get_permission),
        ram_op!(
            read,
            GetResourcePoliciesRequest,
            resource_policies::get_resource_policies
        ),
        ram_op!(
            read,
            GetResourceShareAssociationsRequest,
            associations::get_resource_share_associations
        ),
        ram_op!(
            read,
            GetResourceShareInvitationsRequest,
            invitations::get_resource_share_invitations
        ),
        ram_op!(read, GetResourceSharesRequest, shares::get_resource_shares),
        ram_op!(
            read,
            ListPendingInvitationResourcesRequest,
            invitations::list_pending_invitation_resources
        ),
        ram_op!(
            read,
            ListPermissionAssociationsRequest,
            share_permissions::list_permission_associations
        ),
        ram_op!(
            read,
            ListPermissionVersionsRequest,
            permissions::list_permission_versions
        ),
        ram_op!(read, ListPermissionsRequest, permissions::list_permissions),
        ram_op!(read, ListPrincipalsRequest, principals::list_principals),
        ram_op!(
            read,
            ListReplacePermissionAssociationsWorkRequest,
            share_permissions::list_replace_permission_associations_work
        ),
        ram_op!(
            read,
            ListResourceSharePermissionsRequest,
            share_permissions::list_resource_share_permissions
        ),
        ram_op!(
            read,
            ListResourceTypesRequest,
            resource_types::list_resource_types
        ),
        ram_op!(read, ListResourcesRequest, resources::list_resources),
        ram_op!(
            read,
            ListSourceAssociationsRequest,
            associations::list_source_associations
        ),
        ram_op!(
            write,
            PromotePermissionCreatedFromPolicyRequest,
            created_from_policy::promote_permission_created_from_policy
        ),
        ram_op!(
            write,
            PromoteResourceShareCreatedFromPolicyRequest,
            created_from_policy::promote_resource_share_created_from_policy
        ),
        ram_op!(
            write,
            RejectResourceShareInvitationRequest,
            invitations::reject_resource_share_invitation
        ),
        ram_op!(
            write,
            ReplacePermissionAssociationsRequest,
            share_permissions::replace_permission_associations
        ),
        ram_op!(
            write,
            SetDefaultPermissionVersionRequest,
            permissions::set_default_permission_version
        ),
        ram_op!(write, TagResourceRequest, tagging::tag_resource),
        ram_op!(write, UntagResourceRequest, tagging::untag_resource),
        ram_op!(
            write,
            UpdatePermissionRequest,
            permissions::update_permission
        ),
        ram_op!(
            write,
            UpdateResourceShareRequest,
            shares::update_resource_share
        ),
        admin_op!(
            write,
            CreateOrganizationRequest,
            |r: admin_pb::CreateOrganizationRequest| Ok(orgs::CreateOrganizationInput {
                management_account_id: r.management_account_id,
            }),
            orgs::create_organization
        ),
        admin_op!(
            write,
            CreateOrganizationalUnitRequest,
            |r: admin_pb::CreateOrganizationalUnitRequest| Ok(
                orgs::CreateOrganizationalUnitInput {
                    parent_id: r.parent_id,
                    name: r.name,
                }
            ),
            orgs::create_organizational_unit
        ),
        admin_op!(
            write,
            AddAccountRequest,
            |r: admin_pb::AddAccountRequest| Ok(orgs::AddAccountInput {
                account_id: r.account_id,
                parent_id: r.parent_id,
            }),
            orgs::add_account
        ),
        admin_op!(
            write,
            RemoveAccountRequest,
            |r: admin_pb::RemoveAccountRequest| Ok(orgs::RemoveAccountInput {
                account_id: r.account_id,
            }),
            orgs::remove_account
        ),
        admin_op!(
            read,
            DescribeOrganizationRequest,
            |r: admin_pb::DescribeOrganizationRequest| Ok(orgs::DescribeOrganizationInput {
                account_id: r.account_id,
            }),
            orgs::describe_organization
        ),
        admin_op!(
            write,
            PutResourcePolicyRequest,
            |r: admin_pb::PutResourcePolicyRequest| Ok(
                created_from_policy::PutResourcePolicyInput {
                    resource_arn: r.resource_arn,
                    policy: r.policy,
                }
            ),
            created_from_policy::put_resource_policy
        ),
        admin_op!(
            write,
            DeleteResourcePolicyRequest,
            |r: admin_pb::DeleteResourcePolicyRequest| Ok(
                created_from_policy::DeleteResourcePolicyInput {
                    resource_arn: r.resource_arn,
                }
            ),
            created_from_policy::delete_resource_policy
        ),
    ]
}

/// A resource-based policy granting RECEIVER read access to a project.
fn project_policy(resource: &str) -> String {
    format!(
        concat!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","#,
            r#""Principal":{{"AWS":"{}"}},"Action":"codebuild:BatchGetProjects","#,
            r#""Resource":"{}"}}]}}"#
        ),
        RECEIVER, resource
    )
}

/// A state with an organization (OWNER manages it, MEMBER_A sits in an OU,
/// sharing enabled), a customer managed permission with two versions, a
/// share with resources and principals (a pending invitation for RECEIVER),
/// and a CREATED_FROM_POLICY share; and the pool of strings naming them.
fn world() -> (State, Pool) {
    let (mut s, org, ou) = ramd::core::testing::org_with_member(OWNER, MEMBER_A);
    let c = Ctx::new(OWNER, t0(), 1);
    let permission = permissions::create_permission(
        &mut s,
        &c,
        pb::CreatePermissionRequest {
            name: "Fuzz".into(),
            resource_type: CMP_TYPE.into(),
            policy_template: TEMPLATE.into(),
            ..Default::default()
        }
        .try_into()
        .unwrap(),
    )
    .unwrap();
    let permission_arn = s.permission_arn(OWNER, "Fuzz");
    permissions::create_permission_version(
        &mut s,
        &c,
        pb::CreatePermissionVersionRequest {
            permission_arn: permission_arn.clone(),
            policy_template: TEMPLATE_2.into(),
            ..Default::default()
        }
        .try_into()
        .unwrap(),
    )
    .unwrap();
    drop(permission);
    let shared_project = project(OWNER, "shared");
    for (name, resource, principals, permission) in [
        (
            "fuzz",
            shared_project.clone(),
            vec![RECEIVER.into(), ou.arn.clone(), MEMBER_A.into()],
            permission_arn.clone(),
        ),
        (
            "subnets",
            subnet(OWNER, "00000001"),
            vec![ou.arn.clone()],
            SUBNET_DEFAULT.into(),
        ),
    ] {
        shares::create_resource_share(
            &mut s,
            &c,
            pb::CreateResourceShareRequest {
                name: name.into(),
                resource_arns: vec![resource],
                principals,
                permission_arns: vec![permission],
                ..Default::default()
            }
            .try_into()
            .unwrap(),
        )
        .unwrap();
    }
    let policy_project = project(OWNER, "policy");
    created_from_policy::put_resource_policy(
        &mut s,
        &c,
        created_from_policy::PutResourcePolicyInput {
            resource_arn: policy_project.clone(),
            policy: project_policy(&policy_project),
        },
    )
    .unwrap();

    let permission_arn_v1 = format!("{permission_arn}/1");
    let mut pool = Pool::default();
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let accounts = strings(&[OWNER, RECEIVER, MEMBER_A, STRANGER]);
    pool.add(
        &[
            "account_id",
            "management_account_id",
            "principal",
            "principals",
            "sources",
        ],
        &accounts,
    );
    pool.add(
        &["principal", "principals"],
        &[
            format!("arn:aws:iam::{RECEIVER}:role/Reader"),
            format!("arn:aws:iam::{RECEIVER}:user/path/u"),
            format!("arn:aws:iam::{RECEIVER}:root"),
            "ec2.amazonaws.com".into(),
            org.arn.clone(),
            ou.arn.clone(),
        ],
    );
    pool.add(
        &["sources", "source_id"],
        &[format!("arn:aws:codebuild:us-east-1:{OWNER}:project/src")],
    );
    pool.add(&["parent_id"], &[org.root_id.clone(), ou.id.clone()]);
    pool.add(&["id"], std::slice::from_ref(&org.id));
    let resources = [
        subnet(OWNER, "00000001"),
        subnet(OWNER, "00000002"),
        subnet(RECEIVER, "00000003"),
        shared_project.clone(),
        policy_project.clone(),
        project(OWNER, "other"),
        "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-00000009".into(),
        "arn:aws:networkmanager::111122223333:core-network/core-network-1".into(),
    ];
    pool.add(&["resource_arn", "resource_arns"], &resources);
    pool.add(
        &["resource_type"],
        &strings(&[CMP_TYPE, "ec2:Subnet", "EC2:subnet", "glue:Catalog", "ec2"]),
    );
    pool.add(&["service_name"], &strings(&["ec2", "codebuild", "glue"]));
    let mut permission_arns: Vec<String> = s.permissions.values().map(|p| p.arn.clone()).collect();
    permission_arns.extend([
        CODEBUILD_DEFAULT.into(),
        SUBNET_DEFAULT.into(),
        permission_arn_v1,
        s.permission_arn(OWNER, "Missing"),
    ]);
    pool.add(
        &[
            "permission_arn",
            "permission_arns",
            "from_permission_arn",
            "to_permission_arn",
            "resource_arn",
        ],
        &permission_arns,
    );
    let mut share_arns: Vec<String> = s.shares.keys().map(|k| k.to_string()).collect();
    share_arns.push(format!(
        "arn:aws:ram:us-east-1:{OWNER}:resource-share/00000000-0000-4000-8000-000000000000"
    ));
    pool.add(
        &["resource_share_arn", "resource_share_arns", "resource_arn"],
        &share_arns,
    );
    let invitations: Vec<String> = s.invitations.by_arn.keys().cloned().collect();
    pool.add(
        &[
            "resource_share_invitation_arn",
            "resource_share_invitation_arns",
        ],
        &invitations,
    );
    let templates = [
        TEMPLATE.to_string(),
        TEMPLATE_2.to_string(),
        concat!(
            r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects"],"#,
            r#""Condition":{"StringEquals":{"aws:PrincipalTag/team":"@{p}"}}}"#
        )
        .into(),
        r#"{"Effect":"Allow","Action":"ec2:*"}"#.into(),
    ];
    pool.add(&["policy_template"], &templates);
    pool.add(
        &["policy"],
        &[
            project_policy(&policy_project),
            project_policy(&project(OWNER, "new")),
        ],
    );
    pool.add(&["name"], &strings(&["Fuzz", "Prod", "p", "a b", "fuzz"]));
    pool.add(
        &["key", "tag_key", "tag_keys"],
        &strings(&["team", "aws:reserved", "k"]),
    );
    pool.add(
        &["value", "values", "tag_values"],
        &strings(&["red", "", "v"]),
    );
    pool.add(
        &["client_token"],
        &strings(&["client-token-1", "client-token-2"]),
    );
    // Real page tokens, and one tampered with.
    let c = Ctx::new(OWNER, t0(), 2);
    let page = permissions::list_permissions(
        &s,
        &c,
        pb::ListPermissionsRequest {
            max_results: Some(1),
            ..Default::default()
        }
        .try_into()
        .unwrap(),
    )
    .unwrap();
    let token = page.next_token.expect("more than one permission");
    let mut tampered = token.clone().into_bytes();
    tampered[token.len() / 2] ^= 1;
    pool.add(
        &["next_token"],
        &[String::from_utf8(tampered).unwrap(), token],
    );
    (s, pool)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Sequences of arbitrary requests through conversion and the core:
    /// no panic, no ServerInternalException, a refusal changes nothing, and
    /// the indexes rebuilt from a snapshot equal the maintained ones.
    #[test]
    fn core_operations_refuse_arbitrary_input_cleanly(tape in vec(any::<u8>(), 0..3000)) {
        let ops = operations();
        let (mut state, pool) = world();
        let mut g = Gen::new(&tape, &pool);
        let mut now = t0();
        let steps = 1 + g.below(6);
        for step in 0..steps {
            let op = &ops[g.below(ops.len())];
            let account = *g.pick(&CALLERS);
            // Sometimes far enough ahead for invitations to expire and
            // deleted shares to be purged.
            now += chrono::Duration::minutes(*g.pick(&[0, 1, 150, 60 * 24 * 8]));
            let ctx = Ctx::new(account, now, step as u64);
            timers::run_due(&mut state, now);
            let bytes = g.message(&op.message, 0);
            if let Err(e) = (op.run)(&mut state, &ctx, &bytes) {
                prop_assert!(
                    !matches!(e, Error::ServerInternal(_)),
                    "{} answered {e:?}", op.name
                );
            }
        }
        // The indexes are left out of snapshots and rebuilt from the shares:
        // the rebuild must equal what the operations maintained.
        let bytes = state.to_snapshot();
        let back = State::from_snapshot(state.config.clone(), &bytes).expect("a snapshot decodes");
        prop_assert_eq!(back.index.resolved(&back.shares), state.index.resolved(&state.shares));
        prop_assert!(back.to_snapshot() == bytes, "a snapshot round trip changed the state");
        // Attached permissions point at their versions, as maintained and
        // as relinked after decoding.
        prop_assert_eq!(ramd::core::testing::check_links(&state), Ok(()));
        prop_assert_eq!(ramd::core::testing::check_links(&back), Ok(()));
    }

    /// ARNs, principals and sources parse or fail with their own
    /// exceptions, whatever the text.
    #[test]
    fn arn_parsers_take_any_text(tape in vec(any::<u8>(), 0..200)) {
        let mut g = Gen::new(&tape, world_pool());
        let field = *g.pick(&["resource_arn", "principals", "sources", "permission_arn"]);
        let s = g.string(field);
        use ramd::core::arn;
        let results = [
            arn::Arn::parse(&s).err(),
            arn::ResourceShareArn::parse(&s).err(),
            arn::ResourceShareInvitationArn::parse(&s).err(),
            arn::PermissionArn::parse(&s).err(),
            arn::Principal::parse(&s).err(),
            arn::SourceId::parse(&s).err(),
        ];
        for e in results.into_iter().flatten() {
            prop_assert!(
                matches!(e, Error::MalformedArn(_) | Error::InvalidParameter(_)),
                "{s:?}: {e:?}"
            );
        }
    }
}

/// The pool of [`world`], built once for the properties that only need
/// strings.
fn world_pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| world().1)
}

// ---------------------------------------------------------------------------
// A running server.

/// Sends and receives message bodies as they are, so any bytes can be sent
/// to any RPC.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

/// Seeds a server with an organization, a permission and a share, and
/// returns strings naming them.
async fn seed(server: &TestServer) -> Pool {
    let org = create_org(server, OWNER).await.unwrap();
    add(server, MEMBER_A, &org.root_id).await.unwrap();
    enable_sharing(server, OWNER).await.unwrap();
    let permission = create_permission(server, OWNER, "Fuzz").await;
    let share = who(server, OWNER)
        .create_share("fuzz", &[&project(OWNER, "seeded")], &[RECEIVER, MEMBER_A])
        .await;
    let mut pool = world_pool().clone();
    pool.add(&["parent_id"], &[org.root_id]);
    pool.add(&["principal", "principals"], &[org.arn]);
    pool.add(&["id"], &[org.id]);
    pool.add(&["permission_arn", "permission_arns"], &[permission.arn]);
    pool.add(
        &["resource_share_arn", "resource_share_arns"],
        &[share.resource_share_arn],
    );
    pool
}

/// Whether the server still answers: health and an ordinary call.
async fn still_serving(server: &TestServer) -> Result<(), String> {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .map_err(|s| format!("health check: {s:?}"))?;
    server
        .ram()
        .list_resource_types(pb::ListResourceTypesRequest::default())
        .await
        .map_err(|s| format!("ListResourceTypes: {s:?}"))?;
    Ok(())
}

/// Arbitrary requests, valid protobuf, to every RPC of both services with
/// arbitrary callers: each answer is a success or a status of the error
/// contract (an ErrorInfo of domain `ram`), never INTERNAL, and the server
/// keeps serving.
#[test]
fn the_server_answers_arbitrary_requests_with_the_error_contract() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start());
    let pool = rt.block_on(seed(&server));
    let methods = &schema().methods;
    let mut runner = runner(CASES);
    let result = runner.run(&vec(any::<u8>(), 0..2000), |tape| {
        rt.block_on(async {
            let mut g = Gen::new(&tape, &pool);
            let (path, message) = g.pick(methods).clone();
            let body = g.message(&message, 0);
            let mut req = tonic::Request::new(body);
            let caller = match g.byte() % 8 {
                0 => None,
                1 => Some(g.ascii()),
                _ => Some(g.pick(&CALLERS).to_string()),
            };
            if let Some(account) = caller.and_then(|a| a.parse().ok()) {
                req.metadata_mut().insert("x-ram-account-id", account);
            }
            let mut grpc = tonic::client::Grpc::new(server.channel.clone());
            grpc.ready()
                .await
                .map_err(|e| TestCaseError::fail(format!("not ready: {e}")))?;
            let path = PathAndQuery::from_maybe_shared(path.clone()).unwrap();
            match grpc.unary(req, path.clone(), RawCodec).await {
                Ok(_) => {}
                Err(status) => {
                    let info = status.get_error_details().error_info().cloned();
                    prop_assert!(
                        info.as_ref().is_some_and(|i| i.domain == "ram"),
                        "{path} answered a status outside the contract: {status:?}"
                    );
                    prop_assert!(
                        status.code() != Code::Internal,
                        "{path} failed inside: {status:?}"
                    );
                }
            }
            still_serving(&server).await.map_err(TestCaseError::fail)
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// What a gRPC exchange ended with: the `grpc-status` (from the headers of
/// a trailers-only answer, else the trailers) and whether it carried
/// `grpc-status-details-bin`.
async fn raw_exchange(
    server: &TestServer,
    path: &str,
    body: Vec<u8>,
) -> Result<(i32, bool), String> {
    use tonic::client::GrpcService;
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("http://127.0.0.1{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(tonic::body::Body::new(Full::new(Bytes::from(body))))
        .unwrap();
    let mut channel = server.channel.clone();
    std::future::poll_fn(|cx| channel.poll_ready(cx))
        .await
        .map_err(|e| format!("not ready: {e}"))?;
    let resp = channel
        .call(req)
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    if resp.status() != http::StatusCode::OK {
        return Err(format!("HTTP status {}", resp.status()));
    }
    let headers = resp.headers().clone();
    let collected = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?;
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let source = if headers.contains_key("grpc-status") {
        &headers
    } else {
        &trailers
    };
    let code = source
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no grpc-status in {headers:?} / {trailers:?}"))?;
    Ok((code, source.contains_key("grpc-status-details-bin")))
}

/// Arbitrary bytes as gRPC bodies: garbage, frames whose length lies,
/// compressed-flag frames, and well-framed garbage payloads. The decoder
/// refuses them with a status (or, when the payload happens to decode, the
/// operation answers per the contract), and the server keeps serving.
#[test]
fn the_server_survives_arbitrary_bodies() {
    let rt = runtime();
    let server = rt.block_on(TestServer::start_with(&["--max-request-bytes", "65536"]));
    let mut paths: Vec<String> = schema().methods.iter().map(|(p, _)| p.clone()).collect();
    paths.push("/ram.v1.ResourceAccessManager/NoSuchMethod".into());
    let mut runner = runner(CASES / 2);
    let result = runner.run(&vec(any::<u8>(), 0..600), |tape| {
        rt.block_on(async {
            let mut g = Gen::new(&tape, world_pool());
            let path = g.pick(&paths).clone();
            let payload: Vec<u8> = (0..g.below(400)).map(|_| g.byte()).collect();
            let body = match g.byte() % 4 {
                // No framing at all.
                0 => payload,
                // A frame whose length is a lie, or a compressed flag.
                1 => {
                    let mut b = vec![g.byte() % 3];
                    let len = (0..4).fold(0u32, |v, _| v << 8 | u32::from(g.byte()));
                    b.put_u32(len);
                    b.extend(payload);
                    b
                }
                // A well-framed payload, once or twice.
                _ => {
                    let mut b = Vec::new();
                    for _ in 0..1 + g.below(2) {
                        b.put_u8(0);
                        b.put_u32(payload.len() as u32);
                        b.extend(&payload);
                    }
                    b
                }
            };
            let (code, details) = raw_exchange(&server, &path, body)
                .await
                .map_err(TestCaseError::fail)?;
            let code = Code::from_i32(code);
            // Decoder and framing errors come from tonic without details;
            // anything that decoded is answered by ramd with an ErrorInfo.
            prop_assert!(
                code == Code::Ok
                    || details
                    || matches!(
                        code,
                        Code::Internal
                            | Code::InvalidArgument
                            | Code::ResourceExhausted
                            | Code::Unimplemented
                    ),
                "{path} answered {code:?}"
            );
            still_serving(&server).await.map_err(TestCaseError::fail)
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
