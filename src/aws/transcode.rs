//! The one JSON <-> protobuf transcoder of the AWS front end, driven by the
//! descriptor set that build.rs writes (`pb::FILE_DESCRIPTOR_SET`).
//!
//! Requests go from the AWS JSON body (and query-string members) straight to
//! protobuf wire bytes, which the RPC's own message type then decodes;
//! responses go from the encoded response message straight to AWS JSON. The
//! mapping is the contract's: a field's protobuf JSON name is the AWS member
//! name, an enum value is the AWS string (`RESOURCE_OWNER_OTHER_ACCOUNTS` <->
//! `OTHER-ACCOUNTS`, the exact strings taken from the model's enum shapes),
//! a `google.protobuf.Timestamp` is epoch seconds with a millisecond fraction.
//!
//! Responses omit what the wire omits (unset optional members, empty strings,
//! unset enums and structures), as AWS omits absent members, except lists:
//! a repeated field always appears, as `[]` when empty, so SDK users can read
//! `response["resourceShares"]` without a default.
//!
//! The tables are built once at startup; a request allocates only its
//! output buffers.

use std::collections::HashMap;

use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use serde_json::{Map, Value};

use super::model::{Route, ENUMS, ROUTES};
use super::AwsError;

/// Enum strings AWS still accepts beside the model's: (enum shape, legacy
/// value, model value). ListPermissions documents `AWS` and `LOCAL` for its
/// `permissionType` filter.
const LEGACY_ENUM_VALUES: &[(&str, &str, &str)] = &[
    ("PermissionTypeFilter", "AWS", "AWS_MANAGED"),
    ("PermissionTypeFilter", "LOCAL", "CUSTOMER_MANAGED"),
];

/// The protobuf package of the RAM service and its full name.
const SERVICE: &str = "ram.v1.ResourceAccessManager";
const TIMESTAMP: &str = ".google.protobuf.Timestamp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    UInt32,
    UInt64,
    Double,
    Float,
    Enum(usize),
    Message(usize),
    Timestamp,
}

impl Kind {
    /// Whether a repeated field of this kind may be packed on the wire.
    fn packable(self) -> bool {
        !matches!(
            self,
            Kind::String | Kind::Bytes | Kind::Message(_) | Kind::Timestamp
        )
    }
}

#[derive(Debug)]
struct Field {
    number: u32,
    json_name: Box<str>,
    /// `"jsonName":`, ready to write.
    key: Box<[u8]>,
    kind: Kind,
    repeated: bool,
}

#[derive(Debug, Default)]
struct MessageTable {
    /// Sorted by field number.
    fields: Vec<Field>,
}

impl MessageTable {
    fn by_number(&self, number: u32) -> Option<usize> {
        self.fields.binary_search_by_key(&number, |f| f.number).ok()
    }

    fn by_json(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| &*f.json_name == name)
    }
}

#[derive(Debug)]
struct EnumTable {
    /// The shape name (`ResourceOwner`).
    name: Box<str>,
    /// (number, AWS string written in responses).
    to_aws: Vec<(i32, Box<str>)>,
    /// (AWS string accepted in requests, number), legacy values included.
    from_aws: Vec<(Box<str>, i32)>,
}

/// One operation: its route and its request and response messages.
#[derive(Debug)]
pub struct Operation {
    pub route: &'static Route,
    input: usize,
    output: usize,
}

/// The transcoder tables, built once from the descriptor set.
#[derive(Debug)]
pub struct Transcoder {
    messages: Vec<MessageTable>,
    enums: Vec<EnumTable>,
    operations: Vec<Operation>,
    by_path: HashMap<&'static str, usize>,
}

fn serialization(message: impl Into<String>) -> AwsError {
    AwsError::new(400, "SerializationException", message)
}

impl Transcoder {
    /// Builds the tables from an encoded `FileDescriptorSet`. Fails when the
    /// routing table and the service disagree or a field has a type the
    /// transcoder does not map.
    pub fn new(descriptor_set: &[u8]) -> Result<Transcoder, String> {
        let set = FileDescriptorSet::decode(descriptor_set)
            .map_err(|e| format!("the descriptor set does not decode: {e}"))?;
        // First pass: give every message and enum an index by full name.
        let mut message_names: Vec<(String, &DescriptorProto)> = Vec::new();
        let mut enum_protos = Vec::new();
        for file in &set.file {
            let package = file.package.as_deref().unwrap_or_default();
            let prefix = if package.is_empty() {
                String::new()
            } else {
                format!(".{package}")
            };
            for e in &file.enum_type {
                enum_protos.push((format!("{prefix}.{}", e.name()), e));
            }
            let mut stack: Vec<(String, &DescriptorProto)> = file
                .message_type
                .iter()
                .map(|m| (format!("{prefix}.{}", m.name()), m))
                .collect();
            while let Some((name, m)) = stack.pop() {
                for nested in &m.nested_type {
                    stack.push((format!("{name}.{}", nested.name()), nested));
                }
                for e in &m.enum_type {
                    enum_protos.push((format!("{name}.{}", e.name()), e));
                }
                message_names.push((name, m));
            }
        }
        let message_index: HashMap<&str, usize> = message_names
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.as_str(), i))
            .collect();
        let enum_index: HashMap<&str, usize> = enum_protos
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.as_str(), i))
            .collect();

        let enums = enum_protos
            .iter()
            .map(|(full, e)| enum_table(full, e))
            .collect::<Result<Vec<_>, _>>()?;

        let mut messages = Vec::with_capacity(message_names.len());
        for (name, m) in &message_names {
            let mut fields = Vec::with_capacity(m.field.len());
            for f in &m.field {
                let type_name = f.type_name();
                let kind = match f.r#type() {
                    Type::String => Kind::String,
                    Type::Bytes => Kind::Bytes,
                    Type::Bool => Kind::Bool,
                    Type::Int32 => Kind::Int32,
                    Type::Int64 => Kind::Int64,
                    Type::Uint32 => Kind::UInt32,
                    Type::Uint64 => Kind::UInt64,
                    Type::Double => Kind::Double,
                    Type::Float => Kind::Float,
                    Type::Enum => Kind::Enum(
                        *enum_index
                            .get(type_name)
                            .ok_or_else(|| format!("{name}: unknown enum {type_name}"))?,
                    ),
                    Type::Message if type_name == TIMESTAMP => Kind::Timestamp,
                    Type::Message => Kind::Message(
                        *message_index
                            .get(type_name)
                            .ok_or_else(|| format!("{name}: unknown message {type_name}"))?,
                    ),
                    other => {
                        // Types RAM does not use (sint, fixed, groups) are
                        // left out; only the RAM messages must be complete.
                        if name.starts_with(".ram.v1.") {
                            return Err(format!("{name}.{}: unsupported type {other:?}", f.name()));
                        }
                        continue;
                    }
                };
                let json_name = f.json_name.clone().unwrap_or_else(|| f.name().to_string());
                let mut key = Vec::with_capacity(json_name.len() + 3);
                serde_json::to_writer(&mut key, &json_name).map_err(|e| e.to_string())?;
                key.push(b':');
                fields.push(Field {
                    number: f.number() as u32,
                    json_name: json_name.into(),
                    key: key.into(),
                    kind,
                    repeated: f.label() == Label::Repeated,
                });
            }
            fields.sort_by_key(|f| f.number);
            if fields.len() > 64 {
                return Err(format!("{name} has more than 64 fields"));
            }
            messages.push(MessageTable { fields });
        }

        let service = set
            .file
            .iter()
            .flat_map(|f| {
                let package = f.package.clone().unwrap_or_default();
                f.service
                    .iter()
                    .map(move |s| (format!("{package}.{}", s.name()), s))
            })
            .find(|(n, _)| n == SERVICE)
            .map(|(_, s)| s)
            .ok_or_else(|| format!("the descriptor set has no {SERVICE}"))?;
        let mut operations = Vec::with_capacity(ROUTES.len());
        let mut by_path = HashMap::with_capacity(ROUTES.len());
        for route in ROUTES {
            let method = service
                .method
                .iter()
                .find(|m| m.name() == route.operation)
                .ok_or_else(|| format!("{SERVICE} has no RPC {}", route.operation))?;
            let lookup = |t: &str| {
                message_index
                    .get(t)
                    .copied()
                    .ok_or_else(|| format!("unknown message {t}"))
            };
            by_path.insert(route.path, operations.len());
            operations.push(Operation {
                route,
                input: lookup(method.input_type())?,
                output: lookup(method.output_type())?,
            });
        }
        if service.method.len() != ROUTES.len() {
            return Err(format!(
                "{SERVICE} has {} RPCs but the AWS model {} operations",
                service.method.len(),
                ROUTES.len()
            ));
        }
        Ok(Transcoder {
            messages,
            enums,
            operations,
            by_path,
        })
    }

    /// The operation served at `method` and `path`; UnknownOperationException
    /// (404) when there is none.
    pub fn route(&self, method: &str, path: &str) -> Result<&Operation, AwsError> {
        self.by_path
            .get(path)
            .map(|&i| &self.operations[i])
            .filter(|op| op.route.method == method)
            .ok_or_else(|| {
                AwsError::new(
                    404,
                    "UnknownOperationException",
                    format!("No operation is served at {method} {path}."),
                )
            })
    }

    /// Encodes an operation's request: the JSON body (empty means `{}`) and
    /// the members the model sends in the query string.
    pub fn encode_request(
        &self,
        op: &Operation,
        body: &[u8],
        query: Option<&str>,
    ) -> Result<Vec<u8>, AwsError> {
        let mut object = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err(serialization("The request body must be a JSON object.")),
                Err(e) => {
                    return Err(serialization(format!(
                        "The request body is not valid JSON: {e}."
                    )))
                }
            }
        };
        let input = &self.messages[op.input];
        if let Some(query) = query {
            for (name, value) in query_pairs(query) {
                let Some(&(_, member)) = op.route.query.iter().find(|(q, _)| *q == name) else {
                    continue;
                };
                let Some(field) = input.by_json(member) else {
                    continue;
                };
                let value = match field.kind {
                    Kind::Int32 | Kind::Int64 | Kind::UInt32 | Kind::UInt64 => {
                        let n: i64 = value.parse().map_err(|_| {
                            serialization(format!("{member} must be an integer, not {value:?}."))
                        })?;
                        Value::from(n)
                    }
                    Kind::Bool => match value.as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => {
                            return Err(serialization(format!(
                                "{member} must be true or false, not {value:?}."
                            )))
                        }
                    },
                    _ => Value::String(value),
                };
                object.insert(member.to_string(), value);
            }
        }
        let mut out = Vec::with_capacity(body.len() + 16);
        self.encode_message(op.input, &object, &mut out)?;
        Ok(out)
    }

    fn encode_message(
        &self,
        message: usize,
        object: &Map<String, Value>,
        out: &mut Vec<u8>,
    ) -> Result<(), AwsError> {
        let table = &self.messages[message];
        for (name, value) in object {
            // Members the service does not know are ignored.
            let Some(field) = table.by_json(name) else {
                continue;
            };
            match value {
                Value::Null => {}
                Value::Array(items) if field.repeated => {
                    for item in items {
                        self.encode_value(field, item, out)?;
                    }
                }
                _ if field.repeated => {
                    return Err(serialization(format!("{name} must be a JSON array.")))
                }
                _ => self.encode_value(field, value, out)?,
            }
        }
        Ok(())
    }

    fn encode_value(
        &self,
        field: &Field,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<(), AwsError> {
        let name = &field.json_name;
        let number = field.number;
        let wrong = |what: &str| serialization(format!("{name} must be {what}."));
        match field.kind {
            Kind::String => {
                let s = value.as_str().ok_or_else(|| wrong("a string"))?;
                put_bytes(out, number, s.as_bytes());
            }
            Kind::Bytes => {
                use base64::Engine;
                let s = value.as_str().ok_or_else(|| wrong("a base64 string"))?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| wrong("a base64 string"))?;
                put_bytes(out, number, &bytes);
            }
            Kind::Bool => {
                let b = value.as_bool().ok_or_else(|| wrong("a boolean"))?;
                put_varint_field(out, number, b as u64);
            }
            Kind::Int32 => {
                let n = value
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| wrong("a 32-bit integer"))?;
                put_varint_field(out, number, n as i64 as u64);
            }
            Kind::Int64 => {
                let n = value.as_i64().ok_or_else(|| wrong("an integer"))?;
                put_varint_field(out, number, n as u64);
            }
            Kind::UInt32 => {
                let n = value
                    .as_u64()
                    .filter(|n| *n <= u32::MAX as u64)
                    .ok_or_else(|| wrong("a non-negative integer"))?;
                put_varint_field(out, number, n);
            }
            Kind::UInt64 => {
                let n = value
                    .as_u64()
                    .ok_or_else(|| wrong("a non-negative integer"))?;
                put_varint_field(out, number, n);
            }
            Kind::Double => {
                let n = value.as_f64().ok_or_else(|| wrong("a number"))?;
                put_varint(out, ((number as u64) << 3) | 1);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Kind::Float => {
                let n = value.as_f64().ok_or_else(|| wrong("a number"))?;
                put_varint(out, ((number as u64) << 3) | 5);
                out.extend_from_slice(&(n as f32).to_le_bytes());
            }
            Kind::Enum(e) => {
                let s = value.as_str().ok_or_else(|| wrong("a string"))?;
                let table = &self.enums[e];
                let n = table
                    .from_aws
                    .iter()
                    .find(|(v, _)| &**v == s)
                    .map(|(_, n)| *n)
                    .ok_or_else(|| {
                        let valid: Vec<&str> = table.to_aws.iter().map(|(_, v)| &**v).collect();
                        AwsError::new(
                            400,
                            "InvalidParameterException",
                            format!(
                                "{s:?} is not a valid value for {name}; valid values: {}.",
                                valid.join(", ")
                            ),
                        )
                    })?;
                put_varint_field(out, number, n as i64 as u64);
            }
            Kind::Message(m) => {
                let object = value.as_object().ok_or_else(|| wrong("a JSON object"))?;
                let mut inner = Vec::new();
                self.encode_message(m, object, &mut inner)?;
                put_bytes(out, number, &inner);
            }
            Kind::Timestamp => {
                let t = value.as_f64().ok_or_else(|| wrong("a number of seconds"))?;
                let seconds = t.floor();
                let nanos = ((t - seconds) * 1e9).round() as i64;
                let mut inner = Vec::with_capacity(16);
                put_varint_field(&mut inner, 1, seconds as i64 as u64);
                put_varint_field(&mut inner, 2, nanos as u64);
                put_bytes(out, number, &inner);
            }
        }
        Ok(())
    }

    /// Writes an operation's encoded response as AWS JSON.
    pub fn write_response(&self, op: &Operation, encoded: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(encoded.len() * 2 + 32);
        self.write_message(op.output, encoded, &mut out)?;
        Ok(out)
    }

    fn write_message(
        &self,
        message: usize,
        mut buf: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let table = &self.messages[message];
        out.push(b'{');
        let mut first = true;
        // Which fields were written, by index (messages have at most 64
        // fields, checked when the tables are built).
        let mut seen = 0u64;
        // The repeated field whose array is open: prost writes the elements
        // of a repeated field one after the other.
        let mut open: Option<usize> = None;
        while !buf.is_empty() {
            let key = get_varint(&mut buf)?;
            let number = (key >> 3) as u32;
            let wire = (key & 7) as u8;
            let Some(index) = table.by_number(number) else {
                skip(&mut buf, wire)?;
                continue;
            };
            let field = &table.fields[index];
            if open.is_some_and(|o| o != index) {
                out.push(b']');
                open = None;
            }
            if field.repeated {
                if open == Some(index) {
                    out.push(b',');
                } else {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(&field.key);
                    out.push(b'[');
                    open = Some(index);
                    seen |= 1 << index;
                }
                if wire == 2 && field.kind.packable() {
                    let mut packed = get_len_delimited(&mut buf)?;
                    let inner = if matches!(field.kind, Kind::Double) {
                        1
                    } else if matches!(field.kind, Kind::Float) {
                        5
                    } else {
                        0
                    };
                    let mut first_item = true;
                    while !packed.is_empty() {
                        if !first_item {
                            out.push(b',');
                        }
                        first_item = false;
                        self.write_value(field.kind, inner, &mut packed, out)?;
                    }
                } else {
                    self.write_value(field.kind, wire, &mut buf, out)?;
                }
            } else {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(&field.key);
                self.write_value(field.kind, wire, &mut buf, out)?;
                seen |= 1 << index;
            }
        }
        if open.is_some() {
            out.push(b']');
        }
        for (index, field) in table.fields.iter().enumerate() {
            if field.repeated && seen & (1 << index) == 0 {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(&field.key);
                out.extend_from_slice(b"[]");
            }
        }
        out.push(b'}');
        Ok(())
    }

    fn write_value(
        &self,
        kind: Kind,
        wire: u8,
        buf: &mut &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let expect = |want: u8| {
            if wire == want {
                Ok(())
            } else {
                Err(format!("wire type {wire} where {want} was expected"))
            }
        };
        match kind {
            Kind::String => {
                expect(2)?;
                let bytes = get_len_delimited(buf)?;
                let s = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
                serde_json::to_writer(&mut *out, s).map_err(|e| e.to_string())?;
            }
            Kind::Bytes => {
                use base64::Engine;
                expect(2)?;
                let bytes = get_len_delimited(buf)?;
                out.push(b'"');
                out.extend_from_slice(
                    base64::engine::general_purpose::STANDARD
                        .encode(bytes)
                        .as_bytes(),
                );
                out.push(b'"');
            }
            Kind::Bool => {
                expect(0)?;
                let v = get_varint(buf)?;
                out.extend_from_slice(if v != 0 { b"true" } else { b"false" });
            }
            Kind::Int32 => {
                expect(0)?;
                write_display(out, get_varint(buf)? as i32);
            }
            Kind::Int64 => {
                expect(0)?;
                write_display(out, get_varint(buf)? as i64);
            }
            Kind::UInt32 | Kind::UInt64 => {
                expect(0)?;
                write_display(out, get_varint(buf)?);
            }
            Kind::Double => {
                expect(1)?;
                let v = f64::from_le_bytes(take::<8>(buf)?);
                write_float(out, v);
            }
            Kind::Float => {
                expect(5)?;
                let v = f32::from_le_bytes(take::<4>(buf)?);
                write_float(out, v as f64);
            }
            Kind::Enum(e) => {
                expect(0)?;
                let n = get_varint(buf)? as i32;
                match self.enums[e].to_aws.iter().find(|(v, _)| *v == n) {
                    Some((_, s)) => {
                        serde_json::to_writer(&mut *out, &**s).map_err(|e| e.to_string())?
                    }
                    None => return Err(format!("{} has no value {n}", self.enums[e].name)),
                }
            }
            Kind::Message(m) => {
                expect(2)?;
                let inner = get_len_delimited(buf)?;
                self.write_message(m, inner, out)?;
            }
            Kind::Timestamp => {
                expect(2)?;
                let mut inner = get_len_delimited(buf)?;
                let (mut seconds, mut nanos) = (0i64, 0i64);
                while !inner.is_empty() {
                    let key = get_varint(&mut inner)?;
                    match (key >> 3, key & 7) {
                        (1, 0) => seconds = get_varint(&mut inner)? as i64,
                        (2, 0) => nanos = get_varint(&mut inner)? as i32 as i64,
                        (_, w) => skip(&mut inner, w as u8)?,
                    }
                }
                write_timestamp(out, seconds, nanos);
            }
        }
        Ok(())
    }
}

/// The table of one enum: the AWS strings of its values, from the model's
/// enum shape of the same name (`-` where the model has one).
fn enum_table(full_name: &str, e: &prost_types::EnumDescriptorProto) -> Result<EnumTable, String> {
    let name = full_name.rsplit('.').next().unwrap_or(full_name);
    let prefix = e
        .value
        .iter()
        .find(|v| v.number() == 0)
        .and_then(|v| v.name().strip_suffix("UNSPECIFIED"))
        .unwrap_or("");
    let model = ENUMS
        .iter()
        .find(|(shape, _)| *shape == name)
        .map(|(_, v)| *v);
    let mut to_aws = Vec::new();
    let mut from_aws = Vec::new();
    for v in &e.value {
        if v.number() == 0 && !prefix.is_empty() {
            continue;
        }
        let bare = v.name().strip_prefix(prefix).unwrap_or(v.name());
        let aws = model
            .and_then(|values| values.iter().find(|m| m.replace('-', "_") == bare))
            .map(|s| s.to_string())
            .unwrap_or_else(|| bare.to_string());
        to_aws.push((v.number(), aws.clone().into_boxed_str()));
        from_aws.push((aws.into_boxed_str(), v.number()));
    }
    for (shape, legacy, current) in LEGACY_ENUM_VALUES {
        if *shape == name {
            let n = from_aws
                .iter()
                .find(|(v, _)| &**v == *current)
                .map(|(_, n)| *n)
                .ok_or_else(|| format!("{name} has no value {current}"))?;
            from_aws.push(((*legacy).into(), n));
        }
    }
    Ok(EnumTable {
        name: name.into(),
        to_aws,
        from_aws,
    })
}

/// The `name=value` pairs of a query string, percent-decoded (`+` is kept
/// as is, as AWS signing does).
pub fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k), percent_decode(v))
    })
}

/// Decodes `%XX` escapes; invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn write_display(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    use std::io::Write;
    let _ = write!(out, "{v}");
}

fn write_float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        write_display(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Epoch seconds with a millisecond fraction, as AWS JSON protocols send
/// timestamps (`1700000000.123`; whole seconds without a fraction).
fn write_timestamp(out: &mut Vec<u8>, seconds: i64, nanos: i64) {
    let millis = seconds * 1000 + nanos.div_euclid(1_000_000);
    let (s, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    if ms == 0 {
        write_display(out, s);
    } else {
        let text = format!("{s}.{ms:03}");
        out.extend_from_slice(text.trim_end_matches('0').as_bytes());
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_varint_field(out: &mut Vec<u8>, number: u32, v: u64) {
    put_varint(out, (number as u64) << 3);
    put_varint(out, v);
}

fn put_bytes(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_varint(out, ((number as u64) << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn get_varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first().ok_or("truncated varint")?;
        *buf = rest;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

fn get_len_delimited<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let len = get_varint(buf)? as usize;
    if len > buf.len() {
        return Err("truncated length-delimited field".into());
    }
    let (head, rest) = buf.split_at(len);
    *buf = rest;
    Ok(head)
}

fn take<const N: usize>(buf: &mut &[u8]) -> Result<[u8; N], String> {
    if buf.len() < N {
        return Err("truncated fixed-width field".into());
    }
    let (head, rest) = buf.split_at(N);
    *buf = rest;
    Ok(head.try_into().expect("length checked"))
}

fn skip(buf: &mut &[u8], wire: u8) -> Result<(), String> {
    match wire {
        0 => get_varint(buf).map(|_| ()),
        1 => take::<8>(buf).map(|_| ()),
        2 => get_len_delimited(buf).map(|_| ()),
        5 => take::<4>(buf).map(|_| ()),
        w => Err(format!("unsupported wire type {w}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::v1 as pb;

    fn transcoder() -> Transcoder {
        Transcoder::new(crate::pb::FILE_DESCRIPTOR_SET).unwrap()
    }

    fn op<'t>(t: &'t Transcoder, name: &str) -> &'t Operation {
        t.operations
            .iter()
            .find(|o| o.route.operation == name)
            .unwrap()
    }

    fn response_json<M: Message>(t: &Transcoder, name: &str, m: &M) -> Value {
        let bytes = t.write_response(op(t, name), &m.encode_to_vec()).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn every_operation_is_routed() {
        let t = transcoder();
        assert_eq!(t.operations.len(), 36);
        assert_eq!(
            t.route("POST", "/getpermission").unwrap().route.operation,
            "GetPermission"
        );
        assert_eq!(
            t.route("DELETE", "/deleteresourceshare")
                .unwrap()
                .route
                .operation,
            "DeleteResourceShare"
        );
        assert_eq!(t.route("GET", "/getpermission").unwrap_err().status, 404);
        assert_eq!(t.route("POST", "/nothing").unwrap_err().status, 404);
    }

    #[test]
    fn every_enum_value_has_a_model_string() {
        let t = transcoder();
        for e in t
            .enums
            .iter()
            .filter(|e| ENUMS.iter().any(|(n, _)| *n == &*e.name))
        {
            let model = ENUMS.iter().find(|(n, _)| *n == &*e.name).unwrap().1;
            let mine: Vec<&str> = e.to_aws.iter().map(|(_, s)| &**s).collect();
            assert_eq!(mine, model, "{}", e.name);
        }
    }

    #[test]
    fn enums_map_to_aws_strings_both_ways() {
        let t = transcoder();
        let body = br#"{"resourceOwner": "OTHER-ACCOUNTS", "resourceShareStatus": "ACTIVE"}"#;
        let bytes = t
            .encode_request(op(&t, "GetResourceShares"), body, None)
            .unwrap();
        let req = pb::GetResourceSharesRequest::decode(&bytes[..]).unwrap();
        assert_eq!(req.resource_owner, pb::ResourceOwner::OtherAccounts as i32);
        assert_eq!(
            req.resource_share_status,
            pb::ResourceShareStatus::Active as i32
        );
        let resp = pb::GetResourceSharesResponse {
            resource_shares: vec![pb::ResourceShare {
                status: pb::ResourceShareStatus::Active as i32,
                feature_set: pb::ResourceShareFeatureSet::CreatedFromPolicy as i32,
                ..Default::default()
            }],
            next_token: String::new(),
        };
        let json = response_json(&t, "GetResourceShares", &resp);
        assert_eq!(json["resourceShares"][0]["status"], "ACTIVE");
        assert_eq!(
            json["resourceShares"][0]["featureSet"],
            "CREATED_FROM_POLICY"
        );
        let resp = pb::ListPrincipalsResponse::default();
        assert_eq!(
            response_json(&t, "ListPrincipals", &resp),
            serde_json::json!({"principals": []})
        );
    }

    #[test]
    fn legacy_and_unknown_enum_values() {
        let t = transcoder();
        let list = op(&t, "ListPermissions");
        for (given, want) in [
            ("AWS", pb::PermissionTypeFilter::AwsManaged),
            ("LOCAL", pb::PermissionTypeFilter::CustomerManaged),
            ("AWS_MANAGED", pb::PermissionTypeFilter::AwsManaged),
            ("ALL", pb::PermissionTypeFilter::All),
        ] {
            let body = format!(r#"{{"permissionType": "{given}"}}"#);
            let bytes = t.encode_request(list, body.as_bytes(), None).unwrap();
            let req = pb::ListPermissionsRequest::decode(&bytes[..]).unwrap();
            assert_eq!(req.permission_type, want as i32, "{given}");
        }
        let err = t
            .encode_request(list, br#"{"permissionType": "MINE"}"#, None)
            .unwrap_err();
        assert_eq!(
            (err.status, err.code.as_ref()),
            (400, "InvalidParameterException")
        );
    }

    #[test]
    fn timestamps_are_epoch_seconds_with_milliseconds() {
        let t = transcoder();
        let at = |seconds, nanos| prost_types::Timestamp { seconds, nanos };
        let resp = pb::GetResourceSharesResponse {
            resource_shares: vec![pb::ResourceShare {
                creation_time: Some(at(1_700_000_000, 123_456_789)),
                last_updated_time: Some(at(1_700_000_001, 0)),
                ..Default::default()
            }],
            next_token: String::new(),
        };
        let bytes = t
            .write_response(op(&t, "GetResourceShares"), &resp.encode_to_vec())
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(r#""creationTime":1700000000.123"#), "{text}");
        assert!(text.contains(r#""lastUpdatedTime":1700000001"#), "{text}");
        let mut out = Vec::new();
        write_timestamp(&mut out, 1_700_000_000, 500_000_000);
        assert_eq!(out, b"1700000000.5");
    }

    #[test]
    fn optional_members_are_omitted_unless_set() {
        let t = transcoder();
        let resp = pb::GetResourceSharesResponse {
            resource_shares: vec![pb::ResourceShare {
                name: "s".into(),
                allow_external_principals: Some(false),
                ..Default::default()
            }],
            next_token: String::new(),
        };
        let json = response_json(&t, "GetResourceShares", &resp);
        assert_eq!(
            json,
            serde_json::json!({"resourceShares": [
                {"name": "s", "allowExternalPrincipals": false, "tags": []}
            ]})
        );
        // Integers and booleans in requests; absent optional members stay None.
        let bytes = t
            .encode_request(
                op(&t, "GetPermission"),
                br#"{"permissionArn": "arn", "permissionVersion": 2}"#,
                None,
            )
            .unwrap();
        let req = pb::GetPermissionRequest::decode(&bytes[..]).unwrap();
        assert_eq!(req.permission_version, Some(2));
        let bytes = t
            .encode_request(op(&t, "GetPermission"), b"", None)
            .unwrap();
        let req = pb::GetPermissionRequest::decode(&bytes[..]).unwrap();
        assert_eq!(req.permission_version, None);
    }

    #[test]
    fn query_string_members() {
        let t = transcoder();
        let bytes = t
            .encode_request(
                op(&t, "DeletePermissionVersion"),
                b"",
                Some("permissionArn=arn%3Aaws%3Aram&permissionVersion=3&clientToken=t&other=x"),
            )
            .unwrap();
        let req = pb::DeletePermissionVersionRequest::decode(&bytes[..]).unwrap();
        assert_eq!(req.permission_arn, "arn:aws:ram");
        assert_eq!(req.permission_version, 3);
        assert_eq!(req.client_token.as_deref(), Some("t"));
        let err = t
            .encode_request(
                op(&t, "DeletePermissionVersion"),
                b"",
                Some("permissionVersion=x"),
            )
            .unwrap_err();
        assert_eq!(err.code.as_ref(), "SerializationException");
    }

    #[test]
    fn malformed_bodies_are_serialization_errors() {
        let t = transcoder();
        let get = op(&t, "GetPermission");
        for body in [
            &b"{"[..],
            b"[]",
            br#"{"permissionArn": 3}"#,
            br#"{"permissionVersion": "2"}"#,
        ] {
            let err = t.encode_request(get, body, None).unwrap_err();
            assert_eq!(
                (err.status, err.code.as_ref()),
                (400, "SerializationException")
            );
        }
        // Unknown members are ignored.
        assert!(t.encode_request(get, br#"{"foo": 1}"#, None).is_ok());
    }
}
