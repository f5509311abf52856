//! Request admission: the concurrency limit that sheds load, and the size
//! limits every string and list of a request must respect.
//!
//! Both are applied once, in [`Shared::admit`], which every helper of
//! [`Shared`] calls before it converts the request. The request size limit
//! itself is tonic's (`max_decoding_message_size`, set in `server.rs`);
//! [`OversizeLayer`] gives its refusal the gRPC code the contract names.
//!
//! # Size limits, generically
//!
//! The AWS model states few length constraints, and the core validates the
//! members it knows (names, ARNs, tags). What is left is a bound on what a
//! client can make the server hold and walk: no list may have more than
//! [`MAX_LIST_ENTRIES`] entries and no string may be longer than
//! [`MAX_STRING_CHARS`] characters, except the few fields listed in
//! [`LONG_FIELDS`] (policy documents and templates, pagination tokens).
//!
//! Rather than one hand-written check per request type, the limits are
//! checked on the request's protobuf encoding, walked with the descriptor
//! set the build already produces for reflection: the descriptor says which
//! field is a string, a nested message or repeated, so one walker covers
//! every request of both services, nested messages included, and a field
//! added to the proto is covered without further code.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use prost::encoding::decode_varint;
use prost::{Message, Name};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use tokio::sync::{Semaphore, SemaphorePermit, TryAcquireError};
use tonic::codegen::http::{HeaderMap, HeaderValue, Request, Response};
use tonic::codegen::Service;
use tonic::Code;

use crate::api::Shared;
use crate::error::Error;
use crate::pb;

/// Entries a repeated field of a request may have.
pub const MAX_LIST_ENTRIES: usize = 1000;

/// Characters a string field of a request may have, unless listed in
/// [`LONG_FIELDS`].
pub const MAX_STRING_CHARS: usize = 2048;

/// Characters of a policy document or permission template.
pub const MAX_DOCUMENT_CHARS: usize = 64 * 1024;

/// Fields (by proto name, in any message) that may be longer than
/// [`MAX_STRING_CHARS`]. A `nextToken` carries the last key of a page (up to
/// two ARNs); the core refuses tokens longer than it ever issues with
/// InvalidNextTokenException, so this bound only caps what is held.
pub const LONG_FIELDS: &[(&str, usize)] = &[
    ("policy_template", MAX_DOCUMENT_CHARS),
    ("policy", MAX_DOCUMENT_CHARS),
    ("next_token", 16 * 1024),
];

/// The default of `--max-concurrent-requests`.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 1024;

/// The concurrency limit: a request that finds every slot taken is refused
/// at once with ThrottlingException rather than queued, so an overloaded
/// server answers quickly and clients back off.
#[derive(Debug)]
pub struct Admission {
    slots: Semaphore,
    max: usize,
}

impl Admission {
    /// A limit of `max` requests in flight (at least one).
    pub fn new(max: usize) -> Admission {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Admission {
            slots: Semaphore::new(max),
            max,
        }
    }

    /// How many requests hold a slot now.
    pub fn in_flight(&self) -> usize {
        self.max - self.slots.available_permits()
    }

    /// The limit.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes a slot for one request, held until the permit is dropped.
    pub fn enter(&self) -> Result<SemaphorePermit<'_>, Error> {
        self.slots.try_acquire().map_err(|e| match e {
            TryAcquireError::NoPermits => Error::Throttling(format!(
                "Rate exceeded: the server is already serving its limit of {} concurrent \
                 requests. Retry with backoff.",
                self.max
            )),
            TryAcquireError::Closed => {
                Error::ServiceUnavailable("The server is shutting down.".to_string())
            }
        })
    }
}

impl Default for Admission {
    fn default() -> Admission {
        Admission::new(DEFAULT_MAX_CONCURRENT_REQUESTS)
    }
}

impl Shared {
    /// Admits one request: takes a concurrency slot (ThrottlingException
    /// when none is free) and checks the size limits of its fields
    /// (InvalidParameterException). The slot is held until the permit is
    /// dropped, at the end of the helper that serves the request.
    pub fn admit<M: Message + Name>(&self, request: &M) -> Result<SemaphorePermit<'_>, Error> {
        let permit = self.admission.enter()?;
        check_sizes(request)?;
        Ok(permit)
    }
}

/// Gives tonic's refusal of an oversized request the code RESOURCE_EXHAUSTED.
///
/// tonic answers a message longer than `max_decoding_message_size` with
/// OUT_OF_RANGE, before the message is read; gRPC implementations and
/// ramd's contract use RESOURCE_EXHAUSTED for it. ramd itself never answers
/// OUT_OF_RANGE (`status.rs` maps no error to it), so the layer rewrites
/// exactly that one answer: a trailers-only response whose `grpc-status` is
/// OUT_OF_RANGE and whose message is tonic's "too large" one.
#[derive(Debug, Clone, Copy, Default)]
pub struct OversizeLayer;

impl<S> tower_layer::Layer<S> for OversizeLayer {
    type Service = Oversize<S>;

    fn layer(&self, inner: S) -> Oversize<S> {
        Oversize(inner)
    }
}

/// The service [`OversizeLayer`] wraps around the server's routes.
#[derive(Debug, Clone)]
pub struct Oversize<S>(S);

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Oversize<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Relabeled<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        Relabeled {
            answer: self.0.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of the wrapped service, relabeled when it is ready (no
    /// allocation per request, unlike a boxed `async` block).
    pub struct Relabeled<F> {
        #[pin]
        answer: F,
    }
}

impl<F, ResBody, E> Future for Relabeled<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().answer.poll(cx).map_ok(|mut resp| {
            relabel_oversize(resp.headers_mut());
            resp
        })
    }
}

/// OUT_OF_RANGE as a `grpc-status` value.
const OUT_OF_RANGE: &[u8] = b"11";

/// Rewrites tonic's OUT_OF_RANGE "message too large" status, if that is
/// what `headers` carry, to RESOURCE_EXHAUSTED.
fn relabel_oversize(headers: &mut HeaderMap) {
    let is_oversize = headers
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == OUT_OF_RANGE)
        && headers
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| m.contains("too%20large") || m.contains("too large"));
    if is_oversize {
        let code = (Code::ResourceExhausted as i32).to_string();
        if let Ok(v) = HeaderValue::from_str(&code) {
            headers.insert("grpc-status", v);
        }
    }
}

/// Checks every string and list of `request` against the size limits.
///
/// A request whose whole encoding is no longer than [`SMALL_REQUEST_BYTES`]
/// passes without a walk: each list entry takes at least one byte and each
/// character of a string at least one, so no list of it can have more than
/// [`MAX_LIST_ENTRIES`] entries and no string more than
/// [`MAX_STRING_CHARS`] characters. Most requests are that small, and
/// measuring one costs no allocation, where the walk re-encodes it.
pub fn check_sizes<M: Message + Name>(request: &M) -> Result<(), Error> {
    if request.encoded_len() <= SMALL_REQUEST_BYTES {
        return Ok(());
    }
    let bytes = request.encode_to_vec();
    check_encoded(schema(), &M::full_name(), &bytes, "")
}

/// The encoded size up to which a request cannot break a size limit.
const SMALL_REQUEST_BYTES: usize = if MAX_LIST_ENTRIES < MAX_STRING_CHARS {
    MAX_LIST_ENTRIES
} else {
    MAX_STRING_CHARS
};

/// What the walker needs to know of one field.
#[derive(Debug)]
struct FieldInfo {
    /// The AWS member name (the proto JSON name), for messages.
    json_name: String,
    repeated: bool,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// A string, with its longest allowed length in characters.
    String(usize),
    /// A nested message, by full name.
    Message(String),
    /// Numbers, booleans, enums and bytes: only counted when repeated.
    Other,
}

/// The fields of every message of `ram.v1` and `ram.admin.v1`, by full
/// message name and field number.
#[derive(Debug, Default)]
struct Schema {
    messages: HashMap<String, HashMap<u64, FieldInfo>>,
}

/// The schema, built once from the descriptor set compiled into the binary.
fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let set = FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET)
            .expect("the descriptor set compiled into the binary decodes");
        let mut schema = Schema::default();
        for file in &set.file {
            for message in &file.message_type {
                schema.add(file.package(), message);
            }
        }
        schema
    })
}

impl Schema {
    fn add(&mut self, scope: &str, message: &DescriptorProto) {
        let name = format!("{scope}.{}", message.name());
        for nested in &message.nested_type {
            self.add(&name, nested);
        }
        let fields = message
            .field
            .iter()
            .map(|f| {
                let kind = match f.r#type() {
                    Type::String => {
                        let max = LONG_FIELDS
                            .iter()
                            .find(|(n, _)| *n == f.name())
                            .map_or(MAX_STRING_CHARS, |(_, max)| *max);
                        Kind::String(max)
                    }
                    Type::Message => {
                        Kind::Message(f.type_name().trim_start_matches('.').to_string())
                    }
                    _ => Kind::Other,
                };
                let info = FieldInfo {
                    json_name: f.json_name().to_string(),
                    repeated: f.label() == Label::Repeated,
                    kind,
                };
                (f.number() as u64, info)
            })
            .collect();
        self.messages.insert(name, fields);
    }
}

/// An encoding the walker cannot read; requests are re-encoded by prost, so
/// this means a bug, never bad input.
fn undecodable(what: &str) -> Error {
    Error::ServerInternal(format!("size check: {what} in a re-encoded request"))
}

/// Splits `len` bytes off the front of `buf`.
fn take<'a>(buf: &mut &'a [u8], len: usize) -> Result<&'a [u8], Error> {
    if buf.len() < len {
        return Err(undecodable("a truncated field"));
    }
    let (head, tail) = buf.split_at(len);
    *buf = tail;
    Ok(head)
}

/// Walks the encoding `bytes` of message `name`, whose member path is
/// `path` (empty at the top), and checks every field against the limits.
fn check_encoded(schema: &Schema, name: &str, mut bytes: &[u8], path: &str) -> Result<(), Error> {
    // Messages outside the schema (well-known types such as Timestamp)
    // hold no strings or lists.
    let Some(fields) = schema.messages.get(name) else {
        return Ok(());
    };
    let mut counts: HashMap<u64, usize> = HashMap::new();
    let buf = &mut bytes;
    while !buf.is_empty() {
        let key = decode_varint(buf).map_err(|_| undecodable("a bad key"))?;
        let payload = match key & 7 {
            0 => {
                decode_varint(buf).map_err(|_| undecodable("a bad varint"))?;
                None
            }
            1 => {
                take(buf, 8)?;
                None
            }
            5 => {
                take(buf, 4)?;
                None
            }
            2 => {
                let len = decode_varint(buf).map_err(|_| undecodable("a bad length"))?;
                let len = usize::try_from(len).map_err(|_| undecodable("a bad length"))?;
                Some(take(buf, len)?)
            }
            _ => return Err(undecodable("a group")),
        };
        let Some(field) = fields.get(&(key >> 3)) else {
            continue;
        };
        // The member path, built only when needed.
        let member = || match path {
            "" => field.json_name.clone(),
            p => format!("{p}.{}", field.json_name),
        };
        let mut index = None;
        if field.repeated {
            let count = counts.entry(key >> 3).or_default();
            // A packed list of numbers or enums holds one varint per byte
            // whose high bit is clear.
            *count += match (&field.kind, payload) {
                (Kind::Other, Some(p)) => p.iter().filter(|b| **b < 0x80).count(),
                _ => 1,
            };
            if *count > MAX_LIST_ENTRIES {
                return Err(Error::InvalidParameter(format!(
                    "{} has more than {MAX_LIST_ENTRIES} entries, the most a request may give.",
                    member()
                )));
            }
            index = Some(*count - 1);
        }
        match (&field.kind, payload) {
            // Bytes bound characters from above: count only long strings.
            (Kind::String(max), Some(p)) if p.len() > *max => {
                let chars = std::str::from_utf8(p).map_or(p.len(), |s| s.chars().count());
                if chars > *max {
                    return Err(Error::InvalidParameter(format!(
                        "{} is {chars} characters long; at most {max} are allowed.",
                        member()
                    )));
                }
            }
            (Kind::Message(nested), Some(p)) => {
                let member = match index {
                    Some(i) => format!("{}[{i}]", member()),
                    None => member(),
                };
                check_encoded(schema, nested, p, &member)?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::admin as admin_pb;
    use crate::pb::v1 as ram_pb;

    fn message(e: Result<(), Error>) -> String {
        match e {
            Err(Error::InvalidParameter(m)) => m,
            other => panic!("expected InvalidParameterException, got {other:?}"),
        }
    }

    #[test]
    fn out_of_range_is_written_as_tonic_writes_it() {
        assert_eq!(
            OUT_OF_RANGE,
            (Code::OutOfRange as i32).to_string().as_bytes()
        );
    }

    #[test]
    fn every_request_of_both_services_is_in_the_schema() {
        let set = FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET).unwrap();
        let mut methods = 0;
        for file in set.file.iter().filter(|f| f.package().starts_with("ram.")) {
            for service in &file.service {
                for method in &service.method {
                    let input = method.input_type().trim_start_matches('.');
                    assert!(schema().messages.contains_key(input), "{input}");
                    methods += 1;
                }
            }
        }
        assert!(methods >= 36 + 9, "{methods} methods");
        assert_eq!(
            ram_pb::CreatePermissionRequest::full_name(),
            "ram.v1.CreatePermissionRequest"
        );
        assert!(schema()
            .messages
            .contains_key(&admin_pb::PutResourcePolicyRequest::full_name()));
    }

    #[test]
    fn ordinary_requests_pass() {
        let req = ram_pb::CreateResourceShareRequest {
            name: "n".repeat(MAX_STRING_CHARS),
            resource_arns: vec!["arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1".into(); 100],
            principals: vec!["210987654321".into(); MAX_LIST_ENTRIES],
            ..Default::default()
        };
        check_sizes(&req).unwrap();
        let req = ram_pb::CreatePermissionRequest {
            policy_template: "x".repeat(MAX_DOCUMENT_CHARS),
            ..Default::default()
        };
        check_sizes(&req).unwrap();
        // Multi-byte characters count once.
        let req = ram_pb::CreatePermissionRequest {
            name: "é".repeat(MAX_STRING_CHARS),
            ..Default::default()
        };
        check_sizes(&req).unwrap();
    }

    /// A schema of one message, `t.M`, whose field 1 is a packed list of
    /// numbers named `codes`.
    fn packed_codes_schema() -> Schema {
        Schema {
            messages: HashMap::from([(
                "t.M".to_string(),
                HashMap::from([(
                    1,
                    FieldInfo {
                        json_name: "codes".into(),
                        repeated: true,
                        kind: Kind::Other,
                    },
                )]),
            )]),
        }
    }

    #[test]
    fn requests_passed_unwalked_are_too_short_to_break_a_limit() {
        // The shortest encodings that break each limit: one more entry than
        // allowed, each a single byte (a packed varint) or an empty string,
        // and one character more than a string may have.
        let mut shortest_long_list = Vec::new();
        prost::encoding::int32::encode_packed(
            1,
            &vec![1; MAX_LIST_ENTRIES + 1],
            &mut shortest_long_list,
        );
        assert!(check_encoded(&packed_codes_schema(), "t.M", &shortest_long_list, "").is_err());
        let shortest_long_strings = ram_pb::GetResourceSharesRequest {
            resource_share_arns: vec![String::new(); MAX_LIST_ENTRIES + 1],
            ..Default::default()
        };
        let shortest_long_string = ram_pb::CreateResourceShareRequest {
            name: "n".repeat(MAX_STRING_CHARS + 1),
            ..Default::default()
        };
        assert!(shortest_long_list.len() > SMALL_REQUEST_BYTES);
        assert!(shortest_long_strings.encoded_len() > SMALL_REQUEST_BYTES);
        assert!(shortest_long_string.encoded_len() > SMALL_REQUEST_BYTES);
        assert!(check_sizes(&shortest_long_strings).is_err());
        assert!(check_sizes(&shortest_long_string).is_err());
        // A request at the bound passes both ways.
        let at_bound = ram_pb::AssociateResourceShareRequest {
            principals: vec![String::new(); SMALL_REQUEST_BYTES / 2],
            ..Default::default()
        };
        assert_eq!(at_bound.encoded_len(), SMALL_REQUEST_BYTES);
        check_sizes(&at_bound).unwrap();
        check_encoded(
            schema(),
            &ram_pb::AssociateResourceShareRequest::full_name(),
            &at_bound.encode_to_vec(),
            "",
        )
        .unwrap();
    }

    #[test]
    fn long_strings_are_refused_with_their_member_name() {
        let req = ram_pb::CreateResourceShareRequest {
            name: "n".repeat(MAX_STRING_CHARS + 1),
            ..Default::default()
        };
        let m = message(check_sizes(&req));
        assert!(m.starts_with("name is 2049 characters long"), "{m}");

        let req = ram_pb::CreatePermissionRequest {
            policy_template: "x".repeat(MAX_DOCUMENT_CHARS + 1),
            ..Default::default()
        };
        assert!(message(check_sizes(&req)).starts_with("policyTemplate is"));

        let req = admin_pb::PutResourcePolicyRequest {
            resource_arn: "a".into(),
            policy: "p".repeat(MAX_DOCUMENT_CHARS + 1),
        };
        assert!(message(check_sizes(&req)).starts_with("policy is"));
    }

    #[test]
    fn long_lists_are_refused_with_their_member_name() {
        let req = ram_pb::AssociateResourceShareRequest {
            principals: vec!["1".into(); MAX_LIST_ENTRIES + 1],
            ..Default::default()
        };
        let m = message(check_sizes(&req));
        assert!(
            m.starts_with("principals has more than 1000 entries"),
            "{m}"
        );
        // Empty strings are entries too.
        let req = ram_pb::GetResourceSharesRequest {
            resource_share_arns: vec![String::new(); MAX_LIST_ENTRIES + 1],
            ..Default::default()
        };
        assert!(message(check_sizes(&req)).starts_with("resourceShareArns has"));
    }

    #[test]
    fn nested_messages_are_walked() {
        let values = |n: usize, len: usize| ram_pb::PermissionTemplateParameterInput {
            name: "p".into(),
            values: vec!["v".repeat(len); n],
        };
        let req = ram_pb::CreateResourceShareRequest {
            permission_template_parameters: vec![ram_pb::PermissionArnAndTemplateParameters {
                permission_arn: "a".into(),
                permission_template_parameters: vec![values(1, 1), values(1, MAX_STRING_CHARS + 1)],
            }],
            ..Default::default()
        };
        let m = message(check_sizes(&req));
        assert!(
            m.starts_with(
                "permissionTemplateParameters[0].permissionTemplateParameters[1].values is"
            ),
            "{m}"
        );
        let req = ram_pb::GetPermissionRequest {
            permission_template_parameters: vec![values(MAX_LIST_ENTRIES + 1, 1)],
            ..Default::default()
        };
        let m = message(check_sizes(&req));
        assert!(
            m.starts_with("permissionTemplateParameters[0].values has"),
            "{m}"
        );
        let req = ram_pb::TagResourceRequest {
            tags: vec![
                ram_pb::Tag {
                    key: "k".into(),
                    value: "v".into()
                };
                MAX_LIST_ENTRIES + 1
            ],
            ..Default::default()
        };
        assert!(message(check_sizes(&req)).starts_with("tags has"));
    }

    #[test]
    fn packed_enum_lists_are_counted() {
        // No request has a repeated enum today; the walker still counts one
        // varint per element of a packed list.
        let schema = packed_codes_schema();
        let encode = |n: usize| {
            let mut buf = Vec::new();
            prost::encoding::int32::encode_packed(1, &vec![300; n], &mut buf);
            buf
        };
        check_encoded(&schema, "t.M", &encode(MAX_LIST_ENTRIES), "").unwrap();
        assert!(message(check_encoded(
            &schema,
            "t.M",
            &encode(MAX_LIST_ENTRIES + 1),
            ""
        ))
        .starts_with("codes has"));
    }

    #[test]
    fn the_concurrency_limit_sheds() {
        let admission = Admission::new(2);
        let a = admission.enter().unwrap();
        let _b = admission.enter().unwrap();
        assert_eq!(admission.in_flight(), 2);
        assert!(matches!(admission.enter(), Err(Error::Throttling(_))));
        drop(a);
        assert_eq!(admission.in_flight(), 1);
        drop(admission.enter().unwrap());
        assert_eq!(Admission::new(0).max(), 1);
    }

    /// A request that finds no free slot is refused by the helpers with the
    /// status of ThrottlingException, and counted.
    #[tokio::test]
    async fn helpers_shed_load_with_throttling() {
        use crate::core::clock::Clock;
        use crate::core::permissions;
        use crate::core::state::{CoreConfig, State};
        use tonic_types::StatusExt;

        let shared = Shared::new(
            State::new(CoreConfig::default(), [1; 32]),
            Clock::System,
            crate::api::Auth::Header {
                default_account: "111122223333".into(),
            },
        )
        .with_max_concurrent_requests(1);
        let list = || {
            shared.query::<_, _, _, ram_pb::ListPermissionsResponse>(
                "ListPermissions",
                tonic::Request::new(ram_pb::ListPermissionsRequest::default()),
                permissions::list_permissions,
            )
        };
        let held = shared.admission.enter().unwrap();
        let status = list().await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        let info = status.get_error_details().error_info().cloned().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("ThrottlingException", "ram")
        );
        drop(held);
        list().await.unwrap();
        assert_eq!(shared.admission.in_flight(), 0, "the slot is given back");
        let text = crate::metrics::scrape(&shared);
        for want in [
            "ramd_requests_total{method=\"ListPermissions\",code=\"ResourceExhausted\"} 1",
            "ramd_requests_total{method=\"ListPermissions\",code=\"OK\"} 1",
        ] {
            assert!(text.lines().any(|l| l == want), "{want} in\n{text}");
        }
    }

    #[test]
    fn only_the_oversize_refusal_is_relabelled() {
        let headers = |status: &str, message: &str| {
            let mut h = HeaderMap::new();
            h.insert("grpc-status", HeaderValue::from_str(status).unwrap());
            h.insert("grpc-message", HeaderValue::from_str(message).unwrap());
            h
        };
        let tonic_message =
            "Error,%20decoded%20message%20length%20too%20large:%20found%205000%20bytes";
        let mut h = headers("11", tonic_message);
        relabel_oversize(&mut h);
        assert_eq!(h["grpc-status"], "8");
        for (status, message) in [("11", "other"), ("3", tonic_message), ("0", "")] {
            let mut h = headers(status, message);
            relabel_oversize(&mut h);
            assert_eq!(h["grpc-status"], status);
        }
    }
}
