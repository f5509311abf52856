//! Permission policy templates: validation of customer managed permission
//! templates (CreatePermission, CreatePermissionVersion), rendering of
//! template parameters (GetPermission, attachments) and comparison of two
//! templates' meaning.
//!
//! A template is a single statement body, `{"Effect":"Allow","Action":[...],
//! "Condition":{...}}`; RAM fills in `Principal` and `Resource` itself. The
//! rules are those of RAM-BEHAVIOUR.md §5.3 and §15:
//!
//! - Text that is not JSON, or JSON that is not an object, is a
//!   `MalformedPolicyTemplateException`.
//! - Only the keys `Effect`, `Action` and `Condition` may appear, spelled
//!   exactly so; `Effect` must be `Allow`; `Action` is a string or a non-empty
//!   array of strings, each `service:Action` of the resource type's service
//!   and applying to the type (wildcards must match at least one such
//!   action; `*` alone is refused).
//! - `Condition` is optional: operator -> {key -> value or values}. Only
//!   single-valued, non-negating operators are accepted: no `...Not...`
//!   operator and no `ForAllValues:` / `ForAnyValue:` set qualifier; the
//!   `IfExists` suffix is fine. The keys of §5.3 (organization, source and
//!   `aws:`-prefixed system tag keys) are refused.
//! - Template parameters `@{name}` appear only in Condition keys and values
//!   and must be declared. A `STRING` parameter may sit anywhere in a key or a
//!   value; a `STRING_LIST` parameter expands to an array, so it must be a
//!   whole value (or a whole element of a value array) and never in a key.
//! - Declarations (at most 100, names of 1 to 128 ASCII letters, digits and
//!   underscores, unique ignoring case) that break these rules are an
//!   `InvalidParameterException`. A declared parameter the template never
//!   uses is refused too: every declared parameter must be given a value
//!   whenever the permission is attached, and a value that changes nothing
//!   is almost always a typo in the template.
//!
//! Every other failure is an `InvalidPolicyException`.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{Map, Value};

use crate::core::catalog::ResourceTypeInfo;
use crate::error::{Error, Result};

/// The most parameters one permission version may declare (the model's
/// `PermissionTemplateParameterDeclarationList` max).
pub const MAX_TEMPLATE_PARAMETERS: usize = 100;

/// The longest template parameter name accepted.
pub const MAX_TEMPLATE_PARAMETER_NAME_LEN: usize = 128;

/// The type of a template parameter (`PermissionTemplateParameterType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TemplateParameterType {
    /// One string, substituted in place.
    String,
    /// One or more strings, expanded to a JSON array.
    StringList,
}

/// A template parameter declaration
/// (`PermissionTemplateParameterDeclaration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateParameterDecl {
    /// The name written in placeholders as `@{name}`.
    pub name: String,
    /// STRING or STRING_LIST.
    pub kind: TemplateParameterType,
    /// Free text for the consumers of the permission.
    pub description: Option<String>,
}

const KEY_MESSAGE: &str =
    "InvalidPolicy: Only effect, action, and condition blocks can exist in permission policy. Remove the other elements.";
const FORMAT_MESSAGE: &str = "InvalidPolicy: Invalid policy format.";
const EFFECT_MESSAGE: &str =
    "InvalidPolicy: Only the Allow effect is supported. Set Effect to Allow.";

/// Condition keys a template may not use (compared ignoring case).
const FORBIDDEN_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceorgpaths",
    "aws:sourceorgid",
];

/// Tag-key prefixes whose `aws:` system tags a template may not use.
const FORBIDDEN_TAG_PREFIXES: &[&str] = &[
    "aws:principaltag/aws:",
    "aws:resourcetag/aws:",
    "aws:requesttag/aws:",
];

/// The IAM condition operators accepted, without an `IfExists` suffix.
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "NumericEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "ArnEquals",
    "ArnLike",
    "Null",
];

/// The negating IAM condition operators, refused with a message of their own.
const NEGATING_OPERATORS: &[&str] = &[
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
];

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidPolicy(message.into())
}

/// Validates a customer managed permission template for `rt` with its
/// parameter declarations, and returns the canonical compact JSON to store
/// (keys in the order Effect, Action, Condition; values as written).
pub fn validate_template(
    text: &str,
    rt: &ResourceTypeInfo,
    params: &[TemplateParameterDecl],
) -> Result<String> {
    validate_declarations(params)?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::MalformedPolicyTemplate(format!(
            "The policy template is not valid JSON ({e}); write a JSON object such as {{\"Effect\":\"Allow\",\"Action\":[\"service:Action\"]}}."
        ))
    })?;
    let Value::Object(map) = value else {
        return Err(Error::MalformedPolicyTemplate(
            "The policy template must be a JSON object with the keys Effect, Action and optionally Condition."
                .to_string(),
        ));
    };
    for key in map.keys() {
        if !matches!(key.as_str(), "Effect" | "Action" | "Condition") {
            let wrong_case = ["effect", "action", "condition"]
                .iter()
                .any(|k| key.eq_ignore_ascii_case(k));
            return Err(invalid(if wrong_case {
                FORMAT_MESSAGE
            } else {
                KEY_MESSAGE
            }));
        }
    }

    match map.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => {}
        Some(_) => return Err(invalid(EFFECT_MESSAGE)),
        None => {
            return Err(invalid(
                "The policy template has no Effect element; add \"Effect\": \"Allow\".",
            ))
        }
    }

    let action = map.get("Action").ok_or_else(|| {
        invalid("The policy template has no Action element; name at least one action.")
    })?;
    validate_actions(action, rt)?;

    let mut used = BTreeSet::new();
    if let Some(condition) = map.get("Condition") {
        validate_condition(condition, params, &mut used)?;
    }
    for (key, value) in &map {
        if key != "Condition" && contains_placeholder(value) {
            return Err(invalid(
                "Template parameters can only appear in Condition keys and values.",
            ));
        }
    }
    if let Some(unused) = params.iter().find(|p| !used.contains(p.name.as_str())) {
        return Err(Error::InvalidParameter(format!(
            "The template parameter {} is declared but the policy template never uses it; use @{{{}}} in a Condition key or value, or remove the declaration.",
            unused.name, unused.name
        )));
    }

    let mut out = Map::new();
    for key in ["Effect", "Action", "Condition"] {
        if let Some(v) = map.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    Ok(Value::Object(out).to_string())
}

/// Checks template parameter declarations: count, names, uniqueness.
pub fn validate_declarations(params: &[TemplateParameterDecl]) -> Result<()> {
    if params.len() > MAX_TEMPLATE_PARAMETERS {
        return Err(Error::InvalidParameter(format!(
            "A permission can declare at most {MAX_TEMPLATE_PARAMETERS} template parameters; {} were given.",
            params.len()
        )));
    }
    let mut seen = HashSet::new();
    for p in params {
        if !is_parameter_name(&p.name) {
            return Err(Error::InvalidParameter(format!(
                "The template parameter name {:?} is invalid; use 1 to {MAX_TEMPLATE_PARAMETER_NAME_LEN} letters, digits and underscores.",
                p.name
            )));
        }
        if !seen.insert(p.name.to_ascii_lowercase()) {
            return Err(Error::InvalidParameter(format!(
                "The template parameter {} is declared more than once; parameter names must be unique.",
                p.name
            )));
        }
    }
    Ok(())
}

fn is_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_TEMPLATE_PARAMETER_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn validate_actions(action: &Value, rt: &ResourceTypeInfo) -> Result<()> {
    let list: Vec<&Value> = match action {
        Value::String(_) => vec![action],
        Value::Array(items) if !items.is_empty() => items.iter().collect(),
        Value::Array(_) => {
            return Err(invalid(
                "The Action element is empty; name at least one action.",
            ))
        }
        _ => {
            return Err(invalid(
                "The Action element must be a string or an array of strings.",
            ))
        }
    };
    for item in list {
        let Value::String(a) = item else {
            return Err(invalid(
                "Every action in the Action element must be a string.",
            ));
        };
        validate_action(a, rt)?;
    }
    Ok(())
}

fn validate_action(action: &str, rt: &ResourceTypeInfo) -> Result<()> {
    if action == "*" {
        return Err(invalid(format!(
            "The action \"*\" is not allowed; name actions of {} that apply to {}.",
            rt.service_name, rt.resource_type
        )));
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err(invalid(format!(
            "The action {action:?} is not of the form service:Action."
        )));
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
    {
        return Err(invalid(format!(
            "The action {action:?} is not of the form service:Action."
        )));
    }
    if !service.eq_ignore_ascii_case(&rt.service_name) {
        return Err(invalid(format!(
            "The action {action} does not belong to {}, the service of resource type {}.",
            rt.service_name, rt.resource_type
        )));
    }
    if name.contains(['*', '?']) {
        if rt.actions_matching(action).next().is_none() {
            return Err(invalid(format!(
                "The action pattern {action} matches no action that applies to resource type {}.",
                rt.resource_type
            )));
        }
    } else if !rt.has_action(action) {
        return Err(invalid(format!(
            "The action {action} does not apply to resource type {}.",
            rt.resource_type
        )));
    }
    Ok(())
}

fn validate_condition(
    condition: &Value,
    params: &[TemplateParameterDecl],
    used: &mut BTreeSet<String>,
) -> Result<()> {
    let Value::Object(operators) = condition else {
        return Err(invalid(
            "The Condition element must be an object mapping condition operators to keys and values.",
        ));
    };
    for (operator, block) in operators {
        validate_operator(operator)?;
        let Value::Object(keys) = block else {
            return Err(invalid(format!(
                "The condition operator {operator} must map condition keys to values."
            )));
        };
        if keys.is_empty() {
            return Err(invalid(format!(
                "The condition operator {operator} names no condition key."
            )));
        }
        for (key, value) in keys {
            validate_condition_key(key, params, used)?;
            validate_condition_value(key, value, params, used)?;
        }
    }
    Ok(())
}

fn validate_operator(operator: &str) -> Result<()> {
    if operator.contains("@{") {
        return Err(invalid(
            "Template parameters can only appear in Condition keys and values.",
        ));
    }
    if operator.starts_with("ForAllValues:") || operator.starts_with("ForAnyValue:") {
        return Err(invalid(format!(
            "The condition operator {operator} is not supported; permission templates accept only single-valued, non-negating operators such as StringEquals."
        )));
    }
    let base = operator.strip_suffix("IfExists").unwrap_or(operator);
    if NEGATING_OPERATORS.contains(&base) {
        return Err(invalid(format!(
            "The condition operator {operator} negates; permission templates accept only non-negating operators such as StringEquals or StringLike."
        )));
    }
    if !OPERATORS.contains(&base) || (base == "Null" && base != operator) {
        return Err(invalid(format!(
            "The condition operator {operator} is not a valid IAM condition operator."
        )));
    }
    Ok(())
}

fn validate_condition_key(
    key: &str,
    params: &[TemplateParameterDecl],
    used: &mut BTreeSet<String>,
) -> Result<()> {
    let lower = key.to_ascii_lowercase();
    if FORBIDDEN_KEYS.contains(&lower.as_str()) {
        return Err(invalid(format!(
            "The condition key {key} cannot be used in a permission template; RAM sets organization and source conditions itself."
        )));
    }
    if FORBIDDEN_TAG_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return Err(invalid(format!(
            "The condition key {key} refers to an aws: system tag, which a permission template cannot use."
        )));
    }
    let placeholders = placeholders(key)?;
    if placeholders.is_empty() && !key.contains(':') {
        return Err(invalid(format!(
            "The condition key {key:?} is not of the form prefix:name."
        )));
    }
    for name in placeholders {
        let decl = declared(name, params)?;
        if decl.kind == TemplateParameterType::StringList {
            return Err(invalid(format!(
                "The STRING_LIST template parameter {name} cannot appear in a condition key; only STRING parameters can."
            )));
        }
        used.insert(decl.name.clone());
    }
    Ok(())
}

fn validate_condition_value(
    key: &str,
    value: &Value,
    params: &[TemplateParameterDecl],
    used: &mut BTreeSet<String>,
) -> Result<()> {
    let items: Vec<&Value> = match value {
        Value::Array(items) if items.is_empty() => {
            return Err(invalid(format!(
                "The condition key {key} has an empty list of values."
            )))
        }
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for item in items {
        match item {
            Value::String(s) => {
                for name in placeholders(s)? {
                    let decl = declared(name, params)?;
                    if decl.kind == TemplateParameterType::StringList
                        && *s != format!("@{{{name}}}")
                    {
                        return Err(invalid(format!(
                            "The STRING_LIST template parameter {name} must be a whole condition value, written \"@{{{name}}}\"."
                        )));
                    }
                    used.insert(decl.name.clone());
                }
            }
            Value::Bool(_) | Value::Number(_) => {}
            _ => {
                return Err(invalid(format!(
                "The condition key {key} must map to a string, number, boolean, or a list of them."
            )))
            }
        }
    }
    Ok(())
}

fn declared<'a>(
    name: &str,
    params: &'a [TemplateParameterDecl],
) -> Result<&'a TemplateParameterDecl> {
    params.iter().find(|p| p.name == name).ok_or_else(|| {
        invalid(format!(
            "The policy template uses the template parameter @{{{name}}}, which is not declared; declare it in permissionTemplateParameters."
        ))
    })
}

/// The parameter names of every `@{name}` placeholder in `text`.
fn placeholders(text: &str) -> Result<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| malformed_placeholder(text))?;
        let name = &after[..end];
        if !is_parameter_name(name) {
            return Err(malformed_placeholder(text));
        }
        out.push(name);
        rest = &after[end + 1..];
    }
    Ok(out)
}

fn malformed_placeholder(text: &str) -> Error {
    invalid(format!(
        "The text {text:?} holds a malformed template parameter; write @{{name}} with a name of letters, digits and underscores."
    ))
}

fn contains_placeholder(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("@{"),
        Value::Array(items) => items.iter().any(contains_placeholder),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains("@{") || contains_placeholder(v)),
        _ => false,
    }
}

/// Checks parameter values given for an attachment or a rendering against the
/// declarations: every declared parameter gets values, no unknown name, no
/// name twice, exactly one value for STRING, at least one for STRING_LIST.
pub fn validate_parameter_values(
    params: &[TemplateParameterDecl],
    values: &[(String, Vec<String>)],
) -> Result<()> {
    let mut seen = HashSet::new();
    for (name, vals) in values {
        let Some(decl) = params.iter().find(|p| p.name == *name) else {
            return Err(Error::InvalidParameter(format!(
                "The permission declares no template parameter named {name}."
            )));
        };
        if !seen.insert(name.as_str()) {
            return Err(Error::InvalidParameter(format!(
                "The template parameter {name} is given more than once."
            )));
        }
        match decl.kind {
            TemplateParameterType::String if vals.len() != 1 => {
                return Err(Error::InvalidParameter(format!(
                    "The STRING template parameter {name} takes exactly one value; {} were given.",
                    vals.len()
                )))
            }
            TemplateParameterType::StringList if vals.is_empty() => {
                return Err(Error::InvalidParameter(format!(
                    "The STRING_LIST template parameter {name} takes at least one value."
                )))
            }
            _ => {}
        }
    }
    let missing: Vec<&str> = params
        .iter()
        .filter(|p| !seen.contains(p.name.as_str()))
        .map(|p| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::InvalidParameter(format!(
            "Values are required for every template parameter of the permission; missing: {}.",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Renders a stored template with parameter values, exactly per the
/// declarations: a STRING parameter is substituted in place (in keys and
/// values), a STRING_LIST parameter becomes a JSON array (spliced into an
/// enclosing array). The values are first checked with
/// [`validate_parameter_values`]. With no declarations and no values the
/// template is returned unchanged, borrowed: most templates have no
/// parameters, and a caller that only reads the result copies nothing.
pub fn render_template_typed<'t>(
    template: &'t str,
    params: &[TemplateParameterDecl],
    values: &[(String, Vec<String>)],
) -> Result<Cow<'t, str>> {
    validate_parameter_values(params, values)?;
    render(template, params, values)
}

fn render<'t>(
    template: &'t str,
    params: &[TemplateParameterDecl],
    values: &[(String, Vec<String>)],
) -> Result<Cow<'t, str>> {
    if params.is_empty() {
        return Ok(Cow::Borrowed(template));
    }
    let mut value: Value = serde_json::from_str(template)
        .map_err(|e| Error::ServerInternal(format!("a stored policy template is not JSON: {e}")))?;
    let lookup = |name: &str| values.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let subst = |text: &str| -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("@{") {
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    out.push_str(&rest[..start]);
                    match lookup(&after[..end]).and_then(|v| v.first()) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&rest[start..start + end + 3]),
                    }
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
        out.push_str(rest);
        out
    };
    let list_of = |text: &str| -> Option<Vec<Value>> {
        let name = text.strip_prefix("@{")?.strip_suffix('}')?;
        let decl = params.iter().find(|p| p.name == name)?;
        (decl.kind == TemplateParameterType::StringList)
            .then(|| lookup(name))
            .flatten()
            .map(|v| v.iter().cloned().map(Value::String).collect())
    };
    if let Some(Value::Object(operators)) = value.get_mut("Condition") {
        for block in operators.values_mut() {
            let Value::Object(keys) = block else { continue };
            let rendered: Map<String, Value> = std::mem::take(keys)
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => match list_of(&s) {
                            Some(list) => Value::Array(list),
                            None => Value::String(subst(&s)),
                        },
                        Value::Array(items) => Value::Array(
                            items
                                .into_iter()
                                .flat_map(|item| match item {
                                    Value::String(s) => match list_of(&s) {
                                        Some(list) => list,
                                        None => vec![Value::String(subst(&s))],
                                    },
                                    other => vec![other],
                                })
                                .collect(),
                        ),
                        other => other,
                    };
                    (subst(&k), v)
                })
                .collect();
            *keys = rendered;
        }
    }
    Ok(Cow::Owned(value.to_string()))
}

/// Whether two templates mean the same: same effect, the same set of actions
/// (order and case ignored, duplicates ignored), and the same conditions
/// (operators exact, keys ignoring case, value sets ignoring order; a single
/// value equals a one-element list). Text that is not a JSON object is never
/// equivalent to anything.
pub fn templates_equivalent(a: &str, b: &str) -> bool {
    match (Canonical::parse(a), Canonical::parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The meaning of a template, for comparisons.
#[derive(Debug, PartialEq, Eq)]
struct Canonical {
    effect: Option<Value>,
    actions: BTreeSet<String>,
    conditions: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    others: BTreeMap<String, String>,
}

impl Canonical {
    fn parse(text: &str) -> Option<Canonical> {
        let Value::Object(map) = serde_json::from_str::<Value>(text).ok()? else {
            return None;
        };
        let mut c = Canonical {
            effect: None,
            actions: BTreeSet::new(),
            conditions: BTreeMap::new(),
            others: BTreeMap::new(),
        };
        for (key, value) in map {
            match key.as_str() {
                "Effect" => c.effect = Some(value),
                "Action" => c.actions = scalar_set(&value, true),
                "Condition" => {
                    let Value::Object(operators) = value else {
                        c.others.insert(key, value.to_string());
                        continue;
                    };
                    for (op, block) in operators {
                        let entry = c.conditions.entry(op).or_default();
                        match block {
                            Value::Object(keys) => {
                                for (k, v) in keys {
                                    entry
                                        .entry(k.to_ascii_lowercase())
                                        .or_default()
                                        .extend(scalar_set(&v, false));
                                }
                            }
                            other => {
                                entry.insert(String::new(), scalar_set(&other, false));
                            }
                        }
                    }
                }
                _ => {
                    c.others.insert(key, value.to_string());
                }
            }
        }
        Some(c)
    }
}

/// A value or list of values as a set of their texts.
fn scalar_set(value: &Value, lower: bool) -> BTreeSet<String> {
    let text = |v: &Value| {
        let t = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if lower {
            t.to_ascii_lowercase()
        } else {
            t
        }
    };
    match value {
        Value::Array(items) => items.iter().map(text).collect(),
        other => std::iter::once(text(other)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Catalog;

    fn rt(name: &str) -> &'static ResourceTypeInfo {
        Catalog::get().resource_type(name).unwrap()
    }

    fn string(name: &str) -> TemplateParameterDecl {
        TemplateParameterDecl {
            name: name.to_string(),
            kind: TemplateParameterType::String,
            description: None,
        }
    }

    fn list(name: &str) -> TemplateParameterDecl {
        TemplateParameterDecl {
            name: name.to_string(),
            kind: TemplateParameterType::StringList,
            description: Some("values".to_string()),
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Want {
        Ok,
        Malformed,
        Invalid,
        Param,
    }

    fn kind(r: &Result<String>) -> Want {
        match r {
            Ok(_) => Want::Ok,
            Err(Error::MalformedPolicyTemplate(_)) => Want::Malformed,
            Err(Error::InvalidPolicy(_)) => Want::Invalid,
            Err(Error::InvalidParameter(_)) => Want::Param,
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }

    #[test]
    fn every_managed_template_validates_against_its_type() {
        for t in Catalog::get().resource_types() {
            for p in &t.managed_permissions {
                for v in &p.versions {
                    let stored = validate_template(&v.template, t, &[]);
                    assert_eq!(stored.as_deref(), Ok(v.template.as_str()), "{}", p.name);
                }
            }
        }
    }

    #[test]
    fn validation_rules() {
        use Want::*;
        let none: &[TemplateParameterDecl] = &[];
        let cases: &[(&str, &str, &[TemplateParameterDecl], Want)] = &[
            // Well-formed templates.
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":["ec2:RunInstances"]}"#,
                none,
                Ok,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:DescribeSubnets"}"#,
                none,
                Ok,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":["EC2:runinstances"]}"#,
                none,
                Ok,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":["ec2:Describe*"]}"#,
                none,
                Ok,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":["ec2:*"]}"#,
                none,
                Ok,
            ),
            (
                "ec2:subnet",
                r#"{"Action":["ec2:RunInstances"],"Effect":"Allow"}"#,
                none,
                Ok,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"},"BoolIfExists":{"aws:SecureTransport":true},"NumericLessThan":{"ec2:Attribute/x":[1,2]}}}"#,
                none,
                Ok,
            ),
            // Not JSON, not an object.
            ("ec2:Subnet", r#"{"Effect":"Allow","#, none, Malformed),
            ("ec2:Subnet", "", none, Malformed),
            ("ec2:Subnet", r#"["ec2:RunInstances"]"#, none, Malformed),
            // Keys.
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Principal":"*"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Version":"2012-10-17","Statement":[]}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","action":"ec2:RunInstances"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Action":"ec2:RunInstances"}"#,
                none,
                Invalid,
            ),
            ("ec2:Subnet", r#"{"Effect":"Allow"}"#, none, Invalid),
            // Effect.
            (
                "ec2:Subnet",
                r#"{"Effect":"Deny","Action":"ec2:RunInstances"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"allow","Action":"ec2:RunInstances"}"#,
                none,
                Invalid,
            ),
            // Actions.
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":[]}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"*"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":[1]}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":{"a":1}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"RunInstances"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"s3:GetObject"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:TerminateInstances"}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:Nothing*"}"#,
                none,
                Invalid,
            ),
            // Conditions.
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":[]}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringNotEquals":{"aws:PrincipalTag/a":"b"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"ArnNotLikeIfExists":{"aws:PrincipalArn":"b"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a"]}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringSortOf":{"aws:TagKeys":"a"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":"x"}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:PrincipalTag/a":[]}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:PrincipalTag/a":{"b":1}}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"nocolon":"x"}}}"#,
                none,
                Invalid,
            ),
            // Forbidden keys, any case.
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringLike":{"aws:principalorgpaths":"o-1/*"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"AWS:SOURCEACCOUNT":"111122223333"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:SourceOrgPaths":"x"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:SourceOrgID":"o-1"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:PrincipalTag/aws:team":"x"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:ResourceTag/AWS:x":"x"}}}"#,
                none,
                Invalid,
            ),
            (
                "ec2:Subnet",
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:RequestTag/aws:x":"x"}}}"#,
                none,
                Invalid,
            ),
        ];
        for (ty, text, params, want) in cases {
            let got = validate_template(text, rt(ty), params);
            assert_eq!(kind(&got), *want, "{text} -> {got:?}");
            if let Err(e) = &got {
                assert!(
                    e.to_string().ends_with('.') || e.to_string().starts_with("InvalidPolicy"),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn reference_messages() {
        let subnet = rt("ec2:Subnet");
        let cases = [
            (
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}"#,
                KEY_MESSAGE,
            ),
            (
                r#"{"Effect":"Allow","action":"ec2:RunInstances"}"#,
                FORMAT_MESSAGE,
            ),
            (
                r#"{"Effect":"Deny","Action":"ec2:RunInstances"}"#,
                EFFECT_MESSAGE,
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                validate_template(text, subnet, &[]),
                Err(Error::InvalidPolicy(message.to_string()))
            );
        }
    }

    #[test]
    fn template_parameters() {
        use Want::*;
        let cond = |c: &str| {
            format!(r#"{{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{c}}}"#)
        };
        let cases: Vec<(String, Vec<TemplateParameterDecl>, Want)> = vec![
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"@{team}"}}"#),
                vec![string("team")],
                Ok,
            ),
            (
                cond(r#"{"StringLike":{"aws:PrincipalTag/@{key}":"pre-@{v}-*"}}"#),
                vec![string("key"), string("v")],
                Ok,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"@{teams}"}}"#),
                vec![list("teams")],
                Ok,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":["x","@{teams}"]}}"#),
                vec![list("teams")],
                Ok,
            ),
            // Undeclared, malformed, misplaced placeholders.
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"@{team}"}}"#),
                vec![],
                Invalid,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"@{Team}"}}"#),
                vec![string("team")],
                Invalid,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"@{team"}}"#),
                vec![string("team")],
                Invalid,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"@{te-am}"}}"#),
                vec![string("team")],
                Invalid,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/@{teams}":"x"}}"#),
                vec![list("teams")],
                Invalid,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"x-@{teams}"}}"#),
                vec![list("teams")],
                Invalid,
            ),
            (
                r#"{"Effect":"Allow","Action":"ec2:@{a}"}"#.to_string(),
                vec![string("a")],
                Invalid,
            ),
            // Declarations.
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"x"}}"#),
                vec![string("unused")],
                Param,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"@{a}"}}"#),
                vec![string("a"), string("A")],
                Param,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"@{a}"}}"#),
                vec![string("a"), string("a")],
                Param,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"x"}}"#),
                vec![string("bad-name")],
                Param,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"x"}}"#),
                vec![string("")],
                Param,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"x"}}"#),
                vec![string(&"a".repeat(129))],
                Param,
            ),
            (
                cond(r#"{"StringEquals":{"aws:PrincipalTag/team":"x"}}"#),
                (0..=MAX_TEMPLATE_PARAMETERS)
                    .map(|i| string(&format!("p{i}")))
                    .collect(),
                Param,
            ),
            // A bad declaration wins over a malformed template.
            ("{".to_string(), vec![string("bad name")], Param),
        ];
        for (text, params, want) in &cases {
            let got = validate_template(text, rt("ec2:Subnet"), params);
            assert_eq!(kind(&got), *want, "{text} {params:?} -> {got:?}");
        }
    }

    #[test]
    fn rendering() {
        let template = r#"{"Effect":"Allow","Action":["ec2:RunInstances"],"Condition":{"StringEquals":{"aws:PrincipalTag/@{key}":"@{teams}","aws:ResourceTag/env":["prod","@{teams}"]},"StringLike":{"aws:PrincipalTag/x":"pre-@{key}-*"}}}"#;
        let params = [string("key"), list("teams")];
        let values = vec![
            ("key".to_string(), vec!["team".to_string()]),
            (
                "teams".to_string(),
                vec!["blue".to_string(), "red\"".to_string()],
            ),
        ];
        let stored = validate_template(template, rt("ec2:Subnet"), &params).unwrap();
        assert_eq!(stored, template);
        assert_eq!(
            render_template_typed(&stored, &params, &values).unwrap(),
            r#"{"Effect":"Allow","Action":["ec2:RunInstances"],"Condition":{"StringEquals":{"aws:PrincipalTag/team":["blue","red\""],"aws:ResourceTag/env":["prod","blue","red\""]},"StringLike":{"aws:PrincipalTag/x":"pre-team-*"}}}"#
        );
        let plain = r#"{"Effect":"Allow","Action":["ec2:RunInstances"]}"#;
        assert_eq!(render_template_typed(plain, &[], &[]).unwrap(), plain);
        // Nothing to substitute: the template itself, not a copy.
        assert!(matches!(
            render_template_typed(plain, &[], &[]).unwrap(),
            Cow::Borrowed(t) if std::ptr::eq(t, plain)
        ));
        assert_eq!(render(plain, &[], &[]).unwrap(), plain);
        // A STRING substitutes in place, also inside an enclosing array.
        let values_one = vec![
            ("key".to_string(), vec!["team".to_string()]),
            ("teams".to_string(), vec!["blue".to_string()]),
        ];
        assert_eq!(
            render_template_typed(&stored, &[string("key"), string("teams")], &values_one).unwrap(),
            r#"{"Effect":"Allow","Action":["ec2:RunInstances"],"Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:ResourceTag/env":["prod","blue"]},"StringLike":{"aws:PrincipalTag/x":"pre-team-*"}}}"#
        );
        // Unchecked rendering and checked rendering agree on valid values.
        assert_eq!(
            render(&stored, &params, &values).unwrap(),
            render_template_typed(&stored, &params, &values).unwrap()
        );

        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let bad: Vec<Vec<(String, Vec<String>)>> = vec![
            vec![("key".to_string(), s(&["a"]))],
            vec![
                ("key".to_string(), s(&["a", "b"])),
                ("teams".to_string(), s(&["x"])),
            ],
            vec![
                ("key".to_string(), s(&["a"])),
                ("teams".to_string(), s(&[])),
            ],
            vec![
                ("key".to_string(), s(&["a"])),
                ("teams".to_string(), s(&["x"])),
                ("other".to_string(), s(&["x"])),
            ],
            vec![
                ("key".to_string(), s(&["a"])),
                ("key".to_string(), s(&["a"])),
                ("teams".to_string(), s(&["x"])),
            ],
        ];
        for values in bad {
            assert!(
                matches!(
                    render_template_typed(&stored, &params, &values),
                    Err(Error::InvalidParameter(_))
                ),
                "{values:?}"
            );
        }
    }

    #[test]
    fn equivalence() {
        let cases = [
            (
                r#"{"Effect":"Allow","Action":["ec2:RunInstances","ec2:DescribeSubnets"]}"#,
                r#"{"Action":["ec2:describesubnets","ec2:RunInstances","ec2:RunInstances"],"Effect":"Allow"}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Action":"ec2:RunInstances"}"#,
                r#"{"Effect":"Allow","Action":["ec2:RunInstances"]}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:PrincipalTag/a":["x","y"]}}}"#,
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"AWS:principaltag/a":["y","x"]}}}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Action":["ec2:RunInstances"]}"#,
                r#"{"Effect":"Allow","Action":["ec2:RunInstances","ec2:DescribeSubnets"]}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Action":"ec2:RunInstances"}"#,
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"Bool":{"aws:SecureTransport":true}}}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringEquals":{"aws:PrincipalTag/a":"x"}}}"#,
                r#"{"Effect":"Allow","Action":"ec2:RunInstances","Condition":{"StringLike":{"aws:PrincipalTag/a":"x"}}}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Action":"ec2:RunInstances"}"#,
                r#"{"Effect":"Deny","Action":"ec2:RunInstances"}"#,
                false,
            ),
            ("not json", "not json", false),
        ];
        for (a, b, want) in cases {
            assert_eq!(templates_equivalent(a, b), want, "{a} vs {b}");
            assert_eq!(templates_equivalent(b, a), want, "{b} vs {a}");
        }
    }
}
