//! GetResourcePolicies: the resource-based policy RAM generates for each
//! resource an account shares, built from the principals, sources and
//! attached permissions of the account's shares (RAM-BEHAVIOUR.md §7, §8).
//!
//! # Which resources
//!
//! Every requested ARN must be syntactically valid (MalformedArnException)
//! and must be a resource the caller owns in at least one of its ACTIVE
//! shares, with an ASSOCIATED resource association; anything else (an
//! unknown resource, one shared by another account, one whose association
//! ended or failed, one in a deleted share) is ResourceArnNotFoundException.
//! A repeated ARN is answered once.
//!
//! # What a policy holds
//!
//! One compact JSON document per resource, in the order requested:
//! `{"Version":"2012-10-17","Statement":[...]}`. For every ACTIVE STANDARD
//! share of the caller that holds the resource, the permission attached to
//! the share for the resource's type (the attached version's template, its
//! parameters rendered with the attached values) yields one statement per
//! principal group, in this order:
//!
//! 1. the accounts and IAM roles and users: `"Principal":{"AWS":[...]}`, an
//!    account as `arn:<partition>:iam::<account>:root`, IAM principals by
//!    their ARN, sorted; always an array, even with one member;
//! 2. each organization: `"Principal":"*"` and
//!    `{"StringEquals":{"aws:PrincipalOrgID":"o-..."}}`;
//! 3. each OU: `"Principal":"*"` and
//!    `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-.../r-.../ou-.../*"}}`,
//!    the OU's path from the root with a wildcard, so accounts in nested OUs
//!    match too;
//! 4. each service principal: `"Principal":{"Service":"<name>"}` and one
//!    condition key per kind of live source of the share: accounts as
//!    `StringEquals` `aws:SourceAccount`, ARNs as `ArnLike` `aws:SourceArn`,
//!    organization ids as `StringEquals` `aws:SourceOrgID` and organization
//!    paths as `ForAnyValue:StringLike` `aws:SourceOrgPaths` (the path with a
//!    trailing `/*`). A share without sources restricts its service
//!    principals to `aws:SourceAccount` = the owner. The kinds combine as IAM
//!    combines condition keys (all must hold); the values of one kind are
//!    alternatives. Source values are always arrays.
//!
//! Only ASSOCIATED principal associations count: a principal still waiting
//! for an invitation (ASSOCIATING) or removed (DISASSOCIATED) is absent.
//! Statements are ordered by share ARN, then by group as above (principal id
//! order within a kind). Each statement reads `Sid`, `Effect` (`Allow`),
//! `Principal`, `Action` (the template's, as written), `Resource` (the
//! resource ARN) and `Condition`: the template's Condition with the group's
//! condition merged in per operator (the keys RAM adds are those a template
//! may not use, so they never meet a template's key; were they to, the
//! values would be joined). A statement without any condition has no
//! `Condition` member.
//!
//! `Sid` is `RamStatement<n>`, numbering the statements of the whole
//! document from 1. The `principal` filter keeps only the statements whose
//! principal is exactly the given principal id (an account id, an
//! organization, OU or IAM ARN, or a service principal; in the AWS group
//! only that member is kept) and leaves their `Sid` unchanged, so a filtered
//! document is a part of the full one.
//!
//! # Resources without a grant
//!
//! A resource whose shares currently grant nobody (no ASSOCIATED principal,
//! or none left after the `principal` filter) gets no document at all, as
//! AWS returns policies only for resources that have one: a policy with an
//! empty `Statement` list is not a valid IAM policy, and each document names
//! its resource in every statement, so nothing is lost. Such a resource is
//! still found; it is not an error.
//!
//! # Paging
//!
//! Pages are keyset ranges over the position of each ARN in the
//! (deduplicated) request, zero-padded so the keys sort as the positions
//! do; the token binds the ARNs and the `principal` filter.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write as _;

use serde_json::{Map, Value};

use crate::core::arn::{Arn, Principal, SourceId};
use crate::core::clock::Ctx;
use crate::core::permissions::FeatureSet;
use crate::core::policy;
use crate::core::read_ahead;
use crate::core::share_permissions;
use crate::core::shares::{AssociationStatus, ResourceShare, ShareStatus};
use crate::core::state::State;
use crate::core::{Page, PageInput};
use crate::error::{Error, Result};

/// The policy language version every generated document declares.
pub const POLICY_VERSION: &str = "2012-10-17";

/// The prefix of every statement id.
pub const SID_PREFIX: &str = "RamStatement";

/// Input of GetResourcePolicies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetResourcePoliciesInput {
    pub resource_arns: Vec<String>,
    pub principal: Option<String>,
    pub page: PageInput,
}

/// GetResourcePolicies: the generated policy of each requested resource the
/// caller shares (see the module documentation for its shape).
pub fn get_resource_policies(
    state: &State,
    ctx: &Ctx,
    input: GetResourcePoliciesInput,
) -> Result<Page<String>> {
    if input.resource_arns.is_empty() {
        return Err(Error::missing("resourceArns"));
    }
    for arn in &input.resource_arns {
        Arn::check(arn)?;
    }
    let principal = input.principal.as_deref().filter(|p| !p.is_empty());
    if let Some(p) = principal {
        Principal::parse(p)?;
    }
    let arns = dedup(&input.resource_arns);
    let query = || format!("{arns:?}|{principal:?}");
    let pager = input
        .page
        .start_deferred(state, ctx, "GetResourcePolicies", &query)?;
    let mut holding = Vec::with_capacity(arns.len());
    for arn in &arns {
        let shares = shares_holding(state, &ctx.account, arn);
        if shares.is_empty() {
            return Err(Error::ResourceArnNotFound(format!(
                "The resource {arn} could not be found in any active resource share of account {}. Share it with CreateResourceShare or AssociateResourceShare first.",
                ctx.account
            )));
        }
        holding.push(shares);
    }
    // Documents are built only up to one past the page, which tells whether
    // another page follows (that one is not kept). Keys are positions; only
    // the last one of a page is written out, for its token.
    let after = pager
        .after()
        .map(|a| a.parse::<usize>().unwrap_or(usize::MAX));
    let mut items = Vec::new();
    let mut last = None;
    let mut more = false;
    for (i, (arn, shares)) in arns.iter().zip(&holding).enumerate() {
        if after.is_some_and(|a| i <= a) {
            continue;
        }
        if let Some(doc) = policy_of(state, shares, arn, principal)? {
            if items.len() == pager.limit() {
                more = true;
                break;
            }
            items.push(doc);
            last = Some(i);
        }
    }
    let next_token = match last {
        Some(i) if more => Some(pager.token_after(&position_key(i))),
        _ => None,
    };
    Ok(Page { items, next_token })
}

/// The list without repeats, in first-occurrence order. A short list (one
/// ARN is the usual request) is searched instead of indexed.
fn dedup(list: &[String]) -> Vec<&str> {
    const SHORT: usize = 8;
    if list.len() <= SHORT {
        let mut out: Vec<&str> = Vec::with_capacity(list.len());
        for s in list {
            if !out.contains(&s.as_str()) {
                out.push(s);
            }
        }
        return out;
    }
    let mut seen = BTreeSet::new();
    list.iter()
        .map(String::as_str)
        .filter(|s| seen.insert(*s))
        .collect()
}

/// The bytes reserved for a policy document before it is written.
const DOCUMENT_CAPACITY: usize = 512;

/// The page key of the `i`-th requested ARN: zero-padded, so that keys sort
/// as positions do.
fn position_key(i: usize) -> String {
    format!("{i:020}")
}

/// The ACTIVE shares `owner` owns that hold `arn` ASSOCIATED, in share ARN
/// order.
fn shares_holding<'a>(state: &'a State, owner: &'a str, arn: &'a str) -> Vec<&'a ResourceShare> {
    let mut shares: Vec<&ResourceShare> = state
        .index
        .resource_candidates(&state.shares, arn)
        .collect();
    read_ahead(&shares);
    shares.retain(|s| s.holds_live(arn) && s.owner == owner && s.status == ShareStatus::Active);
    shares.sort_unstable_by(|a, b| a.arn.cmp(&b.arn));
    // A share two of whose resources collide in the index comes twice.
    shares.dedup_by(|a, b| std::ptr::eq(*a, *b));
    shares
}

/// Asks for what the checks and a policy document read of `shares`, in
/// rounds (`read_ahead`): the shares' fields; the owner and the entries of
/// the resource, principal and permission maps; the strings and linked
/// permission versions those entries point to; the versions' templates.
fn read_ahead(shares: &[&ResourceShare]) {
    for s in shares {
        read_ahead::fetch(&s.owner);
        read_ahead::fetch(&s.resources);
        read_ahead::fetch(&s.principals);
        read_ahead::fetch(&s.permissions);
        read_ahead::fetch(&s.status);
    }
    for s in shares {
        read_ahead::text(&s.owner);
        read_ahead::entries(&s.resources, |r| &r.assoc.status);
        read_ahead::entries(&s.principals, |p| &p.principal);
        read_ahead::fields(&s.principals, |p| &p.assoc.status);
        // The link (and beside it the parameter values), which an entry
        // longer than a cache line may hold in a line of its own.
        read_ahead::entries(&s.permissions, |p| &p.linked);
    }
    for s in shares {
        read_ahead::keys(&s.resources);
        read_ahead::keys(&s.principals);
        read_ahead::keys(&s.permissions);
        for p in s.permissions.values().take(read_ahead::ENTRIES) {
            match &p.linked {
                // A version spans two or three cache lines: the template,
                // its parameters and the kept `Action` may each be in
                // another.
                Some(v) => {
                    read_ahead::fetch(&v.template);
                    read_ahead::fetch(&v.parameters);
                    read_ahead::fetch(&v.plain_action);
                }
                None => {
                    read_ahead::text(&p.arn);
                    read_ahead::fetch(&p.version);
                }
            }
        }
    }
    for s in shares {
        for p in s.permissions.values().take(read_ahead::ENTRIES) {
            if let Some(v) = &p.linked {
                match v.plain_action.get() {
                    Some(Some(action)) => read_ahead::text(action),
                    _ => read_ahead::text(&v.template),
                }
            }
        }
    }
}

/// The policy document of one resource held by `shares` (those of
/// [`shares_holding`]), `None` when no statement remains. The JSON is
/// written directly, compact and in the member order the module
/// documentation gives; only conditions are merged as values.
fn policy_of<'s>(
    state: &'s State,
    shares: &[&'s ResourceShare],
    arn: &str,
    principal: Option<&str>,
) -> Result<Option<String>> {
    // Room for a typical document, so it is not grown step by step.
    let mut doc = Vec::with_capacity(DOCUMENT_CAPACITY);
    let mut sid = 0usize;
    for share in shares
        .iter()
        .filter(|s| s.feature_set == FeatureSet::Standard)
    {
        let Some(body) = template_of(state, share, arn)? else {
            continue;
        };
        for group in groups(state, share) {
            sid += 1;
            if let Some(group) = group.only(principal) {
                if doc.is_empty() {
                    doc.extend_from_slice(br#"{"Version":""#);
                    doc.extend_from_slice(POLICY_VERSION.as_bytes());
                    doc.extend_from_slice(br#"","Statement":["#);
                } else {
                    doc.push(b',');
                }
                write_statement(&mut doc, sid, &body, &group, share, arn);
            }
        }
    }
    if doc.is_empty() {
        return Ok(None);
    }
    doc.extend_from_slice(b"]}");
    String::from_utf8(doc)
        .map(Some)
        .map_err(|e| internal(format!("a policy document is not UTF-8: {e}")))
}

fn internal(what: String) -> Error {
    Error::ServerInternal(what)
}

/// What a statement takes from a rendered template: its `Action` and its
/// `Condition`; the other members (`Effect`) are not used.
#[derive(Debug)]
enum Body<'t> {
    /// A template without a `Condition` whose `Action` is a string or a
    /// list of strings, none with an escape: the `Action` as written in
    /// the template. Its whitespace outside the strings removed, it is what
    /// writing the parsed value would give (compact, the strings as they
    /// are), so a statement copies it ([`write_compact`]). Most templates
    /// (AWS's managed ones among them) are of this kind, and reading one
    /// this way builds no JSON values: `Effect` is skipped over, `Action`
    /// borrowed.
    Plain { action: &'t str },
    /// The same, with the whitespace already removed: a linked version's
    /// `Version::plain_action`.
    Compact { action: &'t str },
    /// Any other template, parsed.
    Parsed {
        action: Option<Value>,
        condition: Option<Value>,
    },
}

/// The two members of a template a statement uses, borrowed.
#[derive(serde::Deserialize)]
struct Members<'a> {
    #[serde(rename = "Action", borrow, default)]
    action: Option<&'a serde_json::value::RawValue>,
    #[serde(rename = "Condition", borrow, default)]
    condition: Option<&'a serde_json::value::RawValue>,
}

impl<'t> Body<'t> {
    /// Reads a rendered template, which must be a JSON object (a repeated
    /// member is valid JSON: the last one counts).
    fn parse(rendered: &'t str) -> Option<Body<'t>> {
        // A repeated member fails this reading; the parsed reading settles
        // it, and refuses what is not an object (a struct would also be read
        // from a list).
        let members = rendered
            .trim_start()
            .starts_with('{')
            .then(|| serde_json::from_str::<Members>(rendered).ok())
            .flatten();
        if let Some(Members {
            action: Some(action),
            condition: None,
        }) = members
        {
            if plain_action(action.get()) {
                return Some(Body::Plain {
                    action: action.get(),
                });
            }
        }
        Body::parse_values(rendered)
    }

    /// Reads a rendered template into JSON values.
    fn parse_values(rendered: &str) -> Option<Body<'static>> {
        match serde_json::from_str(rendered) {
            Ok(Value::Object(mut members)) => Some(Body::Parsed {
                action: members.remove("Action"),
                condition: members.remove("Condition"),
            }),
            _ => None,
        }
    }

    /// The template's `Condition`, when it is an object.
    fn condition(&self) -> Option<&Map<String, Value>> {
        match self {
            Body::Parsed {
                condition: Some(Value::Object(c)),
                ..
            } => Some(c),
            _ => None,
        }
    }

    /// Writes the `Action` value: the template's, or an empty list.
    fn write_action(&self, out: &mut Vec<u8>) {
        match self {
            Body::Plain { action } => write_compact(out, action),
            Body::Compact { action } => out.extend_from_slice(action.as_bytes()),
            Body::Parsed {
                action: Some(action),
                ..
            } => write_json(out, action),
            Body::Parsed { action: None, .. } => out.extend_from_slice(b"[]"),
        }
    }
}

/// Whether `action` (valid JSON) is a string or a list of strings (lists
/// nested or not) without a backslash anywhere: then [`write_compact`]
/// writes what serializing its parsed value would.
fn plain_action(action: &str) -> bool {
    let mut in_string = false;
    action.bytes().all(|b| match b {
        b'\\' => false,
        b'"' => {
            in_string = !in_string;
            true
        }
        _ if in_string => true,
        b'[' | b']' | b',' | b' ' | b'\t' | b'\n' | b'\r' => true,
        _ => false,
    })
}

/// Appends `json` (valid JSON without escapes) without the whitespace
/// outside its strings.
fn write_compact(out: &mut Vec<u8>, json: &str) {
    let mut in_string = false;
    for b in json.bytes() {
        match b {
            b'"' => in_string = !in_string,
            b' ' | b'\t' | b'\n' | b'\r' if !in_string => continue,
            _ => {}
        }
        out.push(b);
    }
}

/// The rendered template of the permission `share` attaches for the type of
/// `arn`; `None` when no permission is attached for that type (the share
/// then grants nothing on the resource). A template without parameters is
/// read where it is stored (rendering borrows it).
fn template_of<'s>(
    state: &'s State,
    share: &'s ResourceShare,
    arn: &str,
) -> Result<Option<Body<'s>>> {
    let Some(resource) = share.resources.get(arn) else {
        return Ok(None);
    };
    let Some(attached) = share.permissions.get(resource.resource_type) else {
        return Ok(None);
    };
    // A customer managed permission's version is linked from the share;
    // an AWS managed one is found in the catalogue.
    let (template, params) = match &attached.linked {
        Some(v) => (v.template.as_str(), v.parameters.as_slice()),
        None => {
            let definition = share_permissions::definition(state, attached).ok_or_else(|| {
                internal(format!(
                    "attached permission {} of {} has no definition",
                    attached.arn, share.arn
                ))
            })?;
            definition.template(attached.version).ok_or_else(|| {
                internal(format!(
                    "attached permission {} of {} has no version {}",
                    attached.arn, share.arn, attached.version
                ))
            })?
        }
    };
    let rendered = policy::render_template_typed(template, params, &attached.parameter_values)
        .map_err(|e| {
            internal(format!(
                "attached permission {} of {} does not render: {e}",
                attached.arn, share.arn
            ))
        })?;
    let body = match (rendered, &attached.linked) {
        // The linked version's template itself: its plain `Action`, if it
        // has one, is worked out once.
        (Cow::Borrowed(template), Some(v)) => {
            match v
                .plain_action
                .get_or_init(|| compact_plain_action(template))
            {
                Some(action) => Some(Body::Compact { action }),
                None => Body::parse(template),
            }
        }
        (Cow::Borrowed(template), None) => Body::parse(template),
        (Cow::Owned(rendered), _) => Body::parse_values(&rendered),
    };
    match body {
        Some(body) => Ok(Some(body)),
        None => Err(internal(format!(
            "the template of attached permission {} is not a JSON object",
            attached.arn
        ))),
    }
}

/// The `Action` of `template` as a statement writes it, when the template
/// reads as [`Body::Plain`]: for `Version::plain_action`.
fn compact_plain_action(template: &str) -> Option<Box<str>> {
    let Some(Body::Plain { action }) = Body::parse(template) else {
        return None;
    };
    let mut compact = Vec::with_capacity(action.len());
    write_compact(&mut compact, action);
    String::from_utf8(compact).ok().map(String::into_boxed_str)
}

/// A set of principals that one statement grants.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Group<'a> {
    /// Accounts, IAM roles and IAM users: (principal id, policy principal),
    /// sorted by the policy principal.
    Aws(Vec<(&'a str, String)>),
    Organization {
        id: &'a str,
        org_id: &'a str,
    },
    OrganizationalUnit {
        id: &'a str,
        path: String,
    },
    Service {
        id: &'a str,
    },
}

impl<'a> Group<'a> {
    /// The part of the group the `principal` filter keeps.
    fn only(self, principal: Option<&str>) -> Option<Group<'a>> {
        let Some(p) = principal else {
            return Some(self);
        };
        match self {
            Group::Aws(mut members) => {
                members.retain(|(id, _)| *id == p);
                (!members.is_empty()).then_some(Group::Aws(members))
            }
            Group::Organization { id, .. }
            | Group::OrganizationalUnit { id, .. }
            | Group::Service { id }
                if id != p =>
            {
                None
            }
            other => Some(other),
        }
    }

    /// Writes the `Principal` value of the group's statement.
    fn write_principal(&self, out: &mut Vec<u8>) {
        match self {
            Group::Aws(members) => {
                out.extend_from_slice(br#"{"AWS":["#);
                for (i, (_, p)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json(out, p.as_str());
                }
                out.extend_from_slice(b"]}");
            }
            Group::Organization { .. } | Group::OrganizationalUnit { .. } => {
                out.extend_from_slice(br#""*""#)
            }
            Group::Service { id } => {
                out.extend_from_slice(br#"{"Service":"#);
                write_json(out, *id);
                out.push(b'}');
            }
        }
    }

    /// The condition of the group's statement (before the template's is
    /// merged in).
    fn condition(&self, share: &ResourceShare) -> Map<String, Value> {
        let mut condition = Map::new();
        match self {
            Group::Aws(_) => {}
            Group::Organization { org_id, .. } => add_condition(
                &mut condition,
                "StringEquals",
                "aws:PrincipalOrgID",
                Value::from(*org_id),
            ),
            Group::OrganizationalUnit { path, .. } => add_condition(
                &mut condition,
                "ForAnyValue:StringLike",
                "aws:PrincipalOrgPaths",
                Value::from(format!("{path}*")),
            ),
            Group::Service { .. } => condition = source_condition(share),
        }
        condition
    }
}

/// The principal groups of a share's ASSOCIATED principals, in statement
/// order: the AWS group, organizations, OUs, service principals.
fn groups<'a>(state: &State, share: &'a ResourceShare) -> Vec<Group<'a>> {
    let mut aws = Vec::new();
    let (mut orgs, mut ous, mut services) = (Vec::new(), Vec::new(), Vec::new());
    let live = share
        .principals
        .iter()
        .filter(|(_, p)| p.assoc.status == AssociationStatus::Associated);
    for (id, pa) in live {
        match &pa.principal {
            Principal::Account(account) => {
                // `format!` costs more than the parts' copies here.
                let partition = &state.config.partition;
                let mut root = String::with_capacity(15 + partition.len() + account.len());
                for part in ["arn:", partition, ":iam::", account, ":root"] {
                    root.push_str(part);
                }
                aws.push((&**id, root))
            }
            Principal::IamRole(p) | Principal::IamUser(p) => aws.push((&**id, p.arn.clone())),
            Principal::Organization(o) => orgs.push(Group::Organization {
                id,
                org_id: o.org_id.as_str(),
            }),
            Principal::OrganizationalUnit(o) => {
                let (org_id, ou_id) = (&o.org_id, &o.ou_id);
                // OUs are never deleted, so the path is known; the fallback
                // matches the same accounts, as OU ids are unique.
                let path = state
                    .orgs
                    .ou_path(ou_id)
                    .unwrap_or_else(|| format!("{org_id}/*/{ou_id}/"));
                ous.push(Group::OrganizationalUnit { id, path });
            }
            Principal::ServicePrincipal(_) => services.push(Group::Service { id }),
        }
    }
    aws.sort_by(|a, b| a.1.cmp(&b.1));
    let mut out = Vec::new();
    if !aws.is_empty() {
        out.push(Group::Aws(aws));
    }
    out.extend(orgs);
    out.extend(ous);
    out.extend(services);
    out
}

/// The condition on a share's service principals, from its live sources;
/// without any, the owner account.
fn source_condition(share: &ResourceShare) -> Map<String, Value> {
    let (mut accounts, mut arns, mut org_ids, mut paths) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let live = share
        .sources
        .values()
        .filter(|s| s.assoc.status == AssociationStatus::Associated);
    for s in live {
        match &s.source {
            SourceId::Account(a) => accounts.push(Value::from(a.as_str())),
            SourceId::Arn(a) => arns.push(Value::from(a.as_str())),
            SourceId::OrganizationId(o) => org_ids.push(Value::from(o.as_str())),
            SourceId::OrganizationPath(p) => {
                let p = p.strip_suffix('/').unwrap_or(p);
                paths.push(Value::from(format!("{p}/*")));
            }
        }
    }
    if accounts.is_empty() && arns.is_empty() && org_ids.is_empty() && paths.is_empty() {
        accounts.push(Value::from(share.owner.as_str()));
    }
    let mut condition = Map::new();
    for (operator, key, values) in [
        ("StringEquals", "aws:SourceAccount", accounts),
        ("StringEquals", "aws:SourceOrgID", org_ids),
        ("ArnLike", "aws:SourceArn", arns),
        ("ForAnyValue:StringLike", "aws:SourceOrgPaths", paths),
    ] {
        if !values.is_empty() {
            add_condition(&mut condition, operator, key, Value::Array(values));
        }
    }
    condition
}

/// Adds `key: value` under `operator`; a key already present keeps its
/// values and gains the new ones.
fn add_condition(condition: &mut Map<String, Value>, operator: &str, key: &str, value: Value) {
    let block = condition
        .entry(operator.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !block.is_object() {
        *block = Value::Object(Map::new());
    }
    let Value::Object(keys) = block else {
        unreachable!("the block was just made an object")
    };
    match keys.get_mut(key) {
        None => {
            keys.insert(key.to_string(), value);
        }
        Some(existing) => {
            let mut joined = values_of(existing.take());
            for v in values_of(value) {
                if !joined.contains(&v) {
                    joined.push(v);
                }
            }
            *existing = Value::Array(joined);
        }
    }
}

/// A condition value as a list: an array's items, or the single value.
fn values_of(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => vec![other],
    }
}

/// Writes one statement: `Sid`, `Effect`, the group's `Principal`, the
/// template's `Action`, `Resource` and the group's condition merged into the
/// template's.
fn write_statement(
    out: &mut Vec<u8>,
    sid: usize,
    body: &Body<'_>,
    group: &Group<'_>,
    share: &ResourceShare,
    arn: &str,
) {
    let mut merged = body.condition().cloned().unwrap_or_default();
    for (operator, keys) in group.condition(share) {
        let Value::Object(keys) = keys else { continue };
        for (key, value) in keys {
            add_condition(&mut merged, &operator, &key, value);
        }
    }
    out.extend_from_slice(br#"{"Sid":""#);
    out.extend_from_slice(SID_PREFIX.as_bytes());
    let _ = write!(out, "{sid}");
    out.extend_from_slice(br#"","Effect":"Allow","Principal":"#);
    group.write_principal(out);
    out.extend_from_slice(br#","Action":"#);
    body.write_action(out);
    out.extend_from_slice(br#","Resource":"#);
    write_json(out, arn);
    if !merged.is_empty() {
        out.extend_from_slice(br#","Condition":"#);
        write_json(out, &merged);
    }
    out.push(b'}');
}

/// Appends the compact JSON of `value`.
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(out, value).expect("strings and JSON values always serialize");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_template_body_keeps_action_and_condition_only() {
        /// The `Action` a statement writes, and the template's condition.
        fn read(template: &str) -> Option<(String, Option<Value>)> {
            let body = Body::parse(template)?;
            let mut action = Vec::new();
            body.write_action(&mut action);
            let condition = body.condition().cloned().map(Value::Object);
            Some((String::from_utf8(action).unwrap(), condition))
        }
        assert_eq!(
            read(
                r#"{"Effect":"Allow","Action":["a:B"],"Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#
            ),
            Some((
                r#"["a:B"]"#.into(),
                Some(json!({"Bool": {"aws:SecureTransport": "true"}}))
            ))
        );
        // A repeated member: the last one counts, as in a JSON object.
        assert_eq!(
            read(r#"{"Action":"a:B","Effect":"Allow","Action":["a:C"]}"#),
            Some((r#"["a:C"]"#.into(), None))
        );
        assert_eq!(read(r#"  {"Effect":"Allow"}"#), Some(("[]".into(), None)));
        for not_an_object in [r#"[["a:B"], null]"#, "\"x\"", "", "{"] {
            assert!(Body::parse(not_an_object).is_none(), "{not_an_object}");
        }
    }

    #[test]
    fn dedup_keeps_first_occurrences_in_order_short_or_long() {
        for n in [1, 3, 8, 9, 40] {
            let list: Vec<String> = (0..n).map(|i| format!("r{}", (i * 7) % 5)).collect();
            let mut expected: Vec<&str> = Vec::new();
            for s in &list {
                if !expected.contains(&s.as_str()) {
                    expected.push(s);
                }
            }
            assert_eq!(dedup(&list), expected, "{n} ARNs");
        }
    }

    /// Whichever way a template is read, a statement's `Action` is the
    /// compact serialization of the template's parsed `Action`.
    #[test]
    fn an_action_is_written_as_its_parsed_value_would_be() {
        // (action, whether it is read in place)
        let actions = [
            (r#""a:B""#, true),
            (r#"[ "a:B" ,	"c:*" ]"#, true),
            ("[\n  \"a:B\",\n  \"c:D\"\n]", true),
            (r#"["é, [x]", "a b"]"#, true),
            (r#"[["a:B"], []]"#, true),
            ("[]", true),
            (
                r#"["with space", "tab\there", "quote\"d", "\u0041"]"#,
                false,
            ),
            (r#"[1, 2.50, -0, 1e3, true, null]"#, false),
            (r#"{"Not": "a list"}"#, false),
        ];
        for (action, in_place) in actions {
            let template = format!(r#"{{"Effect":"Allow","Action":{action}}}"#);
            let body = Body::parse(&template).unwrap();
            let mut written = Vec::new();
            body.write_action(&mut written);
            let parsed: Value = serde_json::from_str(action).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&parsed).unwrap(),
                "{action}"
            );
            assert_eq!(matches!(body, Body::Plain { .. }), in_place, "{action}");
            // A version keeps exactly what a plain body writes, and nothing
            // for the others (they are read each time).
            let kept = compact_plain_action(&template);
            let mut compact = Vec::new();
            if let Some(action) = kept.as_deref() {
                Body::Compact { action }.write_action(&mut compact);
            }
            assert_eq!(kept.is_some(), in_place, "{action}");
            if in_place {
                assert_eq!(
                    String::from_utf8(compact).unwrap(),
                    serde_json::to_string(&parsed).unwrap(),
                    "{action}"
                );
            }
        }
    }
    use crate::core::associations::{self, Entities, ShareEntitiesInput};
    use crate::core::catalog::Catalog;
    use crate::core::invitations::{self, InvitationInput};
    use crate::core::orgs::{self, Organization, OrganizationalUnit};
    use crate::core::permissions::{self, CreatePermissionInput};
    use crate::core::policy::{TemplateParameterDecl, TemplateParameterType};
    use crate::core::shares::{self, CreateResourceShareInput, DeleteResourceShareInput};

    /// The management account of the organization; owns every share.
    const OWNER: &str = "111122223333";
    /// A member account in the OU.
    const MEMBER: &str = "444455556666";
    /// A member account directly under the root.
    const MEMBER2: &str = "555566667777";
    /// An account outside the organization.
    const OUTSIDER: &str = "777788889999";
    const SUBNET: &str = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc";
    const PROJECT: &str = "arn:aws:codebuild:us-east-1:111122223333:project/builder";
    const SERVICE: &str = "backup.amazonaws.com";

    fn ctx(account: &str, seed: u64) -> Ctx {
        Ctx::new(account, crate::core::testing::t0(), seed)
    }

    /// A state with an organization (OWNER manages it, sharing enabled), an
    /// OU holding MEMBER, and MEMBER2 under the root.
    struct World {
        state: State,
        org: Organization,
        ou: OrganizationalUnit,
        seed: u64,
    }

    impl World {
        fn new() -> World {
            let (mut state, org, ou) = crate::core::testing::org_with_member(OWNER, MEMBER);
            orgs::add_account(
                &mut state,
                &ctx(OWNER, 3),
                orgs::AddAccountInput {
                    account_id: MEMBER2.into(),
                    parent_id: org.root_id.clone(),
                },
            )
            .unwrap();
            World {
                state,
                org,
                ou,
                seed: 100,
            }
        }

        fn ctx(&mut self, account: &str) -> Ctx {
            self.seed += 1;
            ctx(account, self.seed)
        }

        fn share(&mut self, resources: &[&str], principals: &[&str], sources: &[&str]) -> String {
            self.share_with(resources, principals, sources, Vec::new(), Vec::new())
        }

        fn share_with(
            &mut self,
            resources: &[&str],
            principals: &[&str],
            sources: &[&str],
            permission_arns: Vec<String>,
            permission_parameters: Vec<(String, shares::ParameterValues)>,
        ) -> String {
            let c = self.ctx(OWNER);
            shares::create_resource_share(
                &mut self.state,
                &c,
                CreateResourceShareInput {
                    name: "policies".into(),
                    entities: entities(resources, principals, sources),
                    permission_arns,
                    permission_parameters,
                    ..Default::default()
                },
            )
            .unwrap()
            .arn
        }

        fn associate(&mut self, share: &str, principals: &[&str]) {
            let c = self.ctx(OWNER);
            associations::associate_resource_share(
                &mut self.state,
                &c,
                ShareEntitiesInput {
                    resource_share_arn: share.into(),
                    entities: entities(&[], principals, &[]),
                },
            )
            .unwrap();
        }

        fn disassociate(&mut self, share: &str, resources: &[&str], principals: &[&str]) {
            let c = self.ctx(OWNER);
            associations::disassociate_resource_share(
                &mut self.state,
                &c,
                ShareEntitiesInput {
                    resource_share_arn: share.into(),
                    entities: entities(resources, principals, &[]),
                },
            )
            .unwrap();
        }

        fn get_as(
            &self,
            caller: &str,
            arns: &[&str],
            principal: Option<&str>,
            page: PageInput,
        ) -> Result<Page<String>> {
            get_resource_policies(
                &self.state,
                &ctx(caller, 9),
                GetResourcePoliciesInput {
                    resource_arns: arns.iter().map(|a| a.to_string()).collect(),
                    principal: principal.map(str::to_string),
                    page,
                },
            )
        }

        /// The documents for `arns` as OWNER, parsed.
        fn policies(&self, arns: &[&str], principal: Option<&str>) -> Vec<Value> {
            self.get_as(OWNER, arns, principal, PageInput::default())
                .unwrap()
                .items
                .iter()
                .map(|d| serde_json::from_str(d).unwrap())
                .collect()
        }

        fn ou_path(&self) -> String {
            format!("{}/{}/{}/", self.org.id, self.org.root_id, self.ou.id)
        }
    }

    fn entities(resources: &[&str], principals: &[&str], sources: &[&str]) -> Entities {
        let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Entities {
            resource_arns: owned(resources),
            principals: owned(principals),
            sources: owned(sources),
        }
    }

    /// The `Action` of an AWS managed permission's default version.
    fn actions_of(name: &str) -> Value {
        let (_, mp) = Catalog::get().managed_permission(name).unwrap();
        let body: Value = serde_json::from_str(&mp.default_version_info().template).unwrap();
        body["Action"].clone()
    }

    fn root(account: &str) -> String {
        format!("arn:aws:iam::{account}:root")
    }

    fn statement(
        sid: usize,
        principal: Value,
        action: &Value,
        resource: &str,
        cond: Value,
    ) -> Value {
        let mut st = json!({
            "Sid": format!("RamStatement{sid}"),
            "Effect": "Allow",
            "Principal": principal,
            "Action": action,
            "Resource": resource,
        });
        if !cond.is_null() {
            st["Condition"] = cond;
        }
        st
    }

    fn doc(statements: Vec<Value>) -> String {
        json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }

    #[test]
    fn each_principal_form_has_its_statement() {
        let w = World::new();
        let (org_id, ou_arn, org_arn, path) = (
            w.org.id.clone(),
            w.ou.arn.clone(),
            w.org.arn.clone(),
            w.ou_path(),
        );
        let subnet = actions_of("AWSRAMDefaultPermissionSubnet");
        let project = actions_of("AWSRAMDefaultPermissionCodeBuildProject");
        let vault = "arn:aws:backup:us-east-1:444455556666:backup-vault/v1";
        let role = "arn:aws:iam::444455556666:role/Builder";
        let user = "arn:aws:iam::555566667777:user/ci";
        let service_alone = json!({"StringEquals": {"aws:SourceAccount": [OWNER]}});
        let org_cond = json!({"StringEquals": {"aws:PrincipalOrgID": org_id}});
        let ou_cond =
            json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": format!("{path}*")}});
        let org_path_source = format!("{}/{}/{}", org_id, w.org.root_id, w.ou.id);
        type Case<'a> = (&'a str, &'a str, Vec<&'a str>, Vec<&'a str>, Vec<Value>);
        let cases: Vec<Case> = vec![
            (
                "an account",
                SUBNET,
                vec![MEMBER],
                vec![],
                vec![statement(
                    1,
                    json!({"AWS": [root(MEMBER)]}),
                    &subnet,
                    SUBNET,
                    Value::Null,
                )],
            ),
            (
                "the organization",
                SUBNET,
                vec![&org_arn],
                vec![],
                vec![statement(1, json!("*"), &subnet, SUBNET, org_cond.clone())],
            ),
            (
                "an OU",
                SUBNET,
                vec![&ou_arn],
                vec![],
                vec![statement(1, json!("*"), &subnet, SUBNET, ou_cond.clone())],
            ),
            (
                "a service principal without sources",
                SUBNET,
                vec![SERVICE],
                vec![],
                vec![statement(
                    1,
                    json!({"Service": SERVICE}),
                    &subnet,
                    SUBNET,
                    service_alone.clone(),
                )],
            ),
            (
                "a service principal with every kind of source",
                SUBNET,
                vec![SERVICE],
                vec![MEMBER, vault, &org_id, &org_path_source],
                vec![statement(
                    1,
                    json!({"Service": SERVICE}),
                    &subnet,
                    SUBNET,
                    json!({
                        "StringEquals": {"aws:SourceAccount": [MEMBER], "aws:SourceOrgID": [org_id]},
                        "ArnLike": {"aws:SourceArn": [vault]},
                        "ForAnyValue:StringLike": {"aws:SourceOrgPaths": [format!("{path}*")]},
                    }),
                )],
            ),
            (
                "IAM roles, users and accounts, sorted",
                PROJECT,
                vec![user, MEMBER, role],
                vec![],
                vec![statement(
                    1,
                    json!({"AWS": [role, root(MEMBER), user]}),
                    &project,
                    PROJECT,
                    Value::Null,
                )],
            ),
            (
                "every form at once, in group order",
                SUBNET,
                vec![SERVICE, &ou_arn, &org_arn, MEMBER2, MEMBER],
                vec![],
                vec![
                    statement(
                        1,
                        json!({"AWS": [root(MEMBER), root(MEMBER2)]}),
                        &subnet,
                        SUBNET,
                        Value::Null,
                    ),
                    statement(2, json!("*"), &subnet, SUBNET, org_cond.clone()),
                    statement(3, json!("*"), &subnet, SUBNET, ou_cond.clone()),
                    statement(
                        4,
                        json!({"Service": SERVICE}),
                        &subnet,
                        SUBNET,
                        service_alone.clone(),
                    ),
                ],
            ),
        ];
        for (name, resource, principals, sources, expected) in cases {
            let mut w = World::new();
            w.share(&[resource], &principals, &sources);
            let page = w
                .get_as(OWNER, &[resource], None, PageInput::default())
                .unwrap();
            assert_eq!(page.items, [doc(expected)], "{name}");
            assert_eq!(page.next_token, None, "{name}");
        }
    }

    #[test]
    fn template_parameters_are_rendered_and_merged() {
        let mut w = World::new();
        let c = w.ctx(OWNER);
        let template = r#"{"Effect":"Allow","Action":["codebuild:BatchGetProjects"],"Condition":{"StringEquals":{"aws:PrincipalTag/@{key}":"@{teams}"}}}"#;
        let cmp = permissions::create_permission(
            &mut w.state,
            &c,
            CreatePermissionInput {
                name: "TeamReaders".into(),
                resource_type: "codebuild:Project".into(),
                policy_template: template.into(),
                parameters: vec![
                    TemplateParameterDecl {
                        name: "key".into(),
                        kind: TemplateParameterType::String,
                        description: None,
                    },
                    TemplateParameterDecl {
                        name: "teams".into(),
                        kind: TemplateParameterType::StringList,
                        description: None,
                    },
                ],
                tags: vec![],
            },
        )
        .unwrap()
        .arn;
        let org_arn = w.org.arn.clone();
        w.share_with(
            &[PROJECT],
            &[MEMBER, &org_arn],
            &[],
            vec![cmp.clone()],
            vec![(
                cmp,
                vec![
                    ("key".into(), vec!["team".into()]),
                    ("teams".into(), vec!["blue".into()]),
                ],
            )],
        );
        let action = json!(["codebuild:BatchGetProjects"]);
        let expected = doc(vec![
            statement(
                1,
                json!({"AWS": [root(MEMBER)]}),
                &action,
                PROJECT,
                json!({"StringEquals": {"aws:PrincipalTag/team": ["blue"]}}),
            ),
            statement(
                2,
                json!("*"),
                &action,
                PROJECT,
                json!({"StringEquals": {
                    "aws:PrincipalTag/team": ["blue"],
                    "aws:PrincipalOrgID": w.org.id,
                }}),
            ),
        ]);
        let page = w
            .get_as(OWNER, &[PROJECT], None, PageInput::default())
            .unwrap();
        assert_eq!(page.items, std::slice::from_ref(&expected));
        // The share reads the template through its link to the version,
        // also once a snapshot is decoded (and relinked).
        crate::core::testing::check_links(&w.state).unwrap();
        let bytes = w.state.to_snapshot();
        w.state = State::from_snapshot(w.state.config.clone(), &bytes).unwrap();
        crate::core::testing::check_links(&w.state).unwrap();
        let page = w
            .get_as(OWNER, &[PROJECT], None, PageInput::default())
            .unwrap();
        assert_eq!(page.items, [expected]);
    }

    #[test]
    fn replaced_permissions_are_read_through_their_new_version() {
        let mut w = World::new();
        let create = |w: &mut World, name: &str, action: &str| {
            let c = w.ctx(OWNER);
            permissions::create_permission(
                &mut w.state,
                &c,
                CreatePermissionInput {
                    name: name.into(),
                    resource_type: "codebuild:Project".into(),
                    policy_template: format!(r#"{{"Effect":"Allow","Action":["{action}"]}}"#),
                    parameters: vec![],
                    tags: vec![],
                },
            )
            .unwrap()
            .arn
        };
        let readers = create(&mut w, "Readers", "codebuild:BatchGetProjects");
        let builders = create(&mut w, "Builders", "codebuild:StartBuild");
        w.share_with(&[PROJECT], &[MEMBER], &[], vec![readers.clone()], vec![]);
        let action_of =
            |w: &World| w.policies(&[PROJECT], None)[0]["Statement"][0]["Action"].clone();
        assert_eq!(action_of(&w), json!(["codebuild:BatchGetProjects"]));
        let c = w.ctx(OWNER);
        crate::core::share_permissions::replace_permission_associations(
            &mut w.state,
            &c,
            crate::core::share_permissions::ReplacePermissionAssociationsInput {
                from_permission_arn: readers,
                to_permission_arn: builders,
                ..Default::default()
            },
        )
        .unwrap();
        crate::core::timers::run_due(&mut w.state, c.now);
        // The work re-attached the share's permission (`attach`), linked to
        // the new version.
        crate::core::testing::check_links(&w.state).unwrap();
        assert_eq!(action_of(&w), json!(["codebuild:StartBuild"]));
    }

    #[test]
    fn the_principal_filter_keeps_matching_statements_and_their_sids() {
        let mut w = World::new();
        let (org_arn, ou_arn) = (w.org.arn.clone(), w.ou.arn.clone());
        w.share(
            &[SUBNET],
            &[MEMBER, MEMBER2, &org_arn, &ou_arn, SERVICE],
            &[],
        );
        type Case<'a> = (Option<&'a str>, Vec<(&'a str, Value)>);
        let cases: Vec<Case> = vec![
            (
                None,
                vec![
                    (
                        "RamStatement1",
                        json!({"AWS": [root(MEMBER), root(MEMBER2)]}),
                    ),
                    ("RamStatement2", json!("*")),
                    ("RamStatement3", json!("*")),
                    ("RamStatement4", json!({"Service": SERVICE})),
                ],
            ),
            (
                Some(""),
                vec![
                    (
                        "RamStatement1",
                        json!({"AWS": [root(MEMBER), root(MEMBER2)]}),
                    ),
                    ("RamStatement2", json!("*")),
                    ("RamStatement3", json!("*")),
                    ("RamStatement4", json!({"Service": SERVICE})),
                ],
            ),
            (
                Some(MEMBER),
                vec![("RamStatement1", json!({"AWS": [root(MEMBER)]}))],
            ),
            (
                Some(MEMBER2),
                vec![("RamStatement1", json!({"AWS": [root(MEMBER2)]}))],
            ),
            (Some(&org_arn), vec![("RamStatement2", json!("*"))]),
            (Some(&ou_arn), vec![("RamStatement3", json!("*"))]),
            (
                Some(SERVICE),
                vec![("RamStatement4", json!({"Service": SERVICE}))],
            ),
            (Some(OUTSIDER), vec![]),
        ];
        for (filter, expected) in cases {
            let docs = w.policies(&[SUBNET], filter);
            let got: Vec<(String, Value)> = docs
                .iter()
                .flat_map(|d| d["Statement"].as_array().unwrap().clone())
                .map(|s| {
                    (
                        s["Sid"].as_str().unwrap().to_string(),
                        s["Principal"].clone(),
                    )
                })
                .collect();
            let expected: Vec<(String, Value)> = expected
                .into_iter()
                .map(|(sid, p)| (sid.to_string(), p))
                .collect();
            assert_eq!(got, expected, "filter {filter:?}");
            assert_eq!(
                docs.len(),
                usize::from(!expected.is_empty()),
                "filter {filter:?}"
            );
        }
    }

    #[test]
    fn pending_and_removed_principals_do_not_appear() {
        let mut w = World::new();
        let share = w.share(&[PROJECT], &[OUTSIDER], &[]);
        let principals = |w: &World| -> Vec<Value> {
            w.policies(&[PROJECT], None)
                .iter()
                .flat_map(|d| d["Statement"].as_array().unwrap().clone())
                .map(|s| s["Principal"].clone())
                .collect()
        };
        // Invited, not yet accepted: the share grants nobody, so there is
        // no policy (and no error).
        assert_eq!(principals(&w), Vec::<Value>::new());
        let invitation = w.state.shares[share.as_str()].principals[OUTSIDER]
            .invitation
            .clone()
            .unwrap();
        let c = w.ctx(OUTSIDER);
        invitations::accept_resource_share_invitation(
            &mut w.state,
            &c,
            InvitationInput {
                invitation_arn: invitation.to_string(),
            },
        )
        .unwrap();
        assert_eq!(principals(&w), [json!({"AWS": [root(OUTSIDER)]})]);
        w.associate(&share, &[MEMBER]);
        assert_eq!(
            principals(&w),
            [json!({"AWS": [root(MEMBER), root(OUTSIDER)]})]
        );
        w.disassociate(&share, &[], &[OUTSIDER]);
        assert_eq!(principals(&w), [json!({"AWS": [root(MEMBER)]})]);
        w.disassociate(&share, &[], &[MEMBER]);
        assert_eq!(principals(&w), Vec::<Value>::new());
    }

    #[test]
    fn statements_follow_share_order_and_documents_follow_the_request() {
        let mut w = World::new();
        let org_arn = w.org.arn.clone();
        let a = w.share(&[SUBNET, PROJECT], &[MEMBER], &[]);
        let b = w.share(&[SUBNET], &[&org_arn], &[]);
        let idle = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-idle";
        w.share(&[idle], &[], &[]);
        let docs = w.policies(&[PROJECT, idle, SUBNET, PROJECT], None);
        let summary: Vec<Vec<(String, String)>> = docs
            .iter()
            .map(|d| {
                d["Statement"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        (
                            s["Sid"].as_str().unwrap().to_string(),
                            s["Resource"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .collect();
        let st = |n: usize, r: &str| (format!("RamStatement{n}"), r.to_string());
        assert_eq!(
            summary,
            [vec![st(1, PROJECT)], vec![st(1, SUBNET), st(2, SUBNET)]]
        );
        let first_is_a = a < b;
        let subnet_principals: Vec<&Value> = docs[1]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["Principal"])
            .collect();
        let (member, org) = (json!({"AWS": [root(MEMBER)]}), json!("*"));
        let expected = if first_is_a {
            [&member, &org]
        } else {
            [&org, &member]
        };
        assert_eq!(subnet_principals, expected);
    }

    #[test]
    fn pages_hold_documents_and_tokens_are_bound_to_the_query() {
        let mut w = World::new();
        w.share(&[SUBNET, PROJECT], &[MEMBER], &[]);
        let idle = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-idle";
        w.share(&[idle], &[], &[]);
        let one = || PageInput {
            max_results: Some(1),
            next_token: None,
        };
        let arns = [SUBNET, idle, PROJECT];
        let first = w.get_as(OWNER, &arns, None, one()).unwrap();
        assert_eq!(first.items.len(), 1);
        assert!(first.items[0].contains("subnet-0abc"));
        let token = first.next_token.expect("a second page");
        let next = PageInput {
            max_results: Some(1),
            next_token: Some(token.clone()),
        };
        let second = w.get_as(OWNER, &arns, None, next.clone()).unwrap();
        assert_eq!(second.items.len(), 1);
        assert!(second.items[0].contains("project/builder"));
        assert_eq!(second.next_token, None);
        let all = w
            .get_as(OWNER, &arns, None, PageInput::default())
            .unwrap()
            .items;
        assert_eq!(all, [first.items[0].clone(), second.items[0].clone()]);
        // A token is good only for the caller and query that received it.
        for (arns, principal, caller) in [
            (&arns[..], Some(MEMBER), OWNER),
            (&arns[..2], None, OWNER),
            (&arns[..], None, MEMBER),
        ] {
            let e = w.get_as(caller, arns, principal, next.clone());
            assert!(matches!(e, Err(Error::InvalidNextToken(_))), "{e:?}");
        }
    }

    #[test]
    fn refusals_name_the_problem() {
        let mut w = World::new();
        let gone = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-gone";
        let deleted = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-deleted";
        let foreign = "arn:aws:ec2:us-east-1:444455556666:subnet/subnet-theirs";
        let unknown = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-none";
        let share = w.share(&[SUBNET, gone, foreign], &[MEMBER], &[]);
        w.disassociate(&share, &[gone], &[]);
        let doomed = w.share(&[deleted], &[MEMBER], &[]);
        let c = w.ctx(OWNER);
        shares::delete_resource_share(
            &mut w.state,
            &c,
            DeleteResourceShareInput {
                resource_share_arn: doomed,
            },
        )
        .unwrap();
        type IsExpected = fn(&Error) -> bool;
        let not_found: IsExpected = |e| matches!(e, Error::ResourceArnNotFound(_));
        let page = |max_results, next_token: Option<&str>| PageInput {
            max_results,
            next_token: next_token.map(str::to_string),
        };
        type Case<'a> = (
            &'a str,
            &'a str,
            Vec<&'a str>,
            Option<&'a str>,
            PageInput,
            IsExpected,
        );
        let cases: Vec<Case> = vec![
            ("no ARN", OWNER, vec![], None, page(None, None), |e| {
                matches!(e, Error::MissingRequiredParameter(_))
            }),
            (
                "a malformed ARN",
                OWNER,
                vec![SUBNET, "subnet-0abc"],
                None,
                page(None, None),
                |e| matches!(e, Error::MalformedArn(_)),
            ),
            (
                "an unknown resource",
                OWNER,
                vec![SUBNET, unknown],
                None,
                page(None, None),
                not_found,
            ),
            (
                "a disassociated resource",
                OWNER,
                vec![gone],
                None,
                page(None, None),
                not_found,
            ),
            (
                "a resource of a deleted share",
                OWNER,
                vec![deleted],
                None,
                page(None, None),
                not_found,
            ),
            (
                "a resource whose association failed",
                OWNER,
                vec![foreign],
                None,
                page(None, None),
                not_found,
            ),
            (
                "a resource shared with the caller",
                MEMBER,
                vec![SUBNET],
                None,
                page(None, None),
                not_found,
            ),
            (
                "a stranger",
                OUTSIDER,
                vec![SUBNET],
                None,
                page(None, None),
                not_found,
            ),
            (
                "a malformed principal",
                OWNER,
                vec![SUBNET],
                Some("nobody"),
                page(None, None),
                |e| matches!(e, Error::InvalidParameter(_)),
            ),
            (
                "maxResults out of range",
                OWNER,
                vec![SUBNET],
                None,
                page(Some(0), None),
                |e| matches!(e, Error::InvalidParameter(_)),
            ),
            (
                "a forged token",
                OWNER,
                vec![SUBNET],
                None,
                page(None, Some("forged")),
                |e| matches!(e, Error::InvalidNextToken(_)),
            ),
        ];
        for (name, caller, arns, principal, page, is_expected) in cases {
            let result = w.get_as(caller, &arns, principal, page);
            match result {
                Err(e) if is_expected(&e) => {
                    if let Error::ResourceArnNotFound(m) = &e {
                        assert!(arns.iter().any(|a| m.contains(a)), "{name}: {m}");
                    }
                }
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
        // The failures above came from a state that still answers.
        assert_eq!(w.policies(&[SUBNET], None).len(), 1);
    }
}
