//! Tag rules shared by resource shares and managed permissions: validation,
//! merging, removal and the `tagFilters` of list operations (RAM-BEHAVIOUR.md §9).
//!
//! The RAM model puts no constraints on `TagKey` or `TagValue`; the limits
//! here are the AWS-wide tagging conventions: at most 50 tags, keys of 1 to
//! 128 characters, values of 0 to 256, from `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, and
//! no user key under the reserved prefix `aws:`.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};

/// A resource's tags, key to value. Keys are case sensitive.
pub type Tags = BTreeMap<String, String>;

/// One entry of a `tagFilters` request member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFilter {
    pub tag_key: String,
    /// Empty means "any value of `tag_key`".
    pub tag_values: Vec<String>,
}

/// The most tags one resource may carry.
pub const MAX_TAGS: usize = 50;

/// The longest tag key, in characters.
pub const MAX_TAG_KEY_LEN: usize = 128;

/// The longest tag value, in characters.
pub const MAX_TAG_VALUE_LEN: usize = 256;

/// The key prefix reserved for AWS, compared case-insensitively.
pub const RESERVED_PREFIX: &str = "aws:";

/// The characters tag keys and values may hold, besides letters, numbers and
/// separators.
const TAG_PUNCTUATION: &str = "_.:/=+-@";

/// Whether `c` belongs to the AWS tag character set `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
///
/// `\p{N}` is exactly `char::is_numeric`, and `\p{Z}` is exactly the white
/// space that is not a control character. `char::is_alphabetic` stands in for
/// `\p{L}`: it also admits the few combining marks Unicode calls alphabetic,
/// so this accepts slightly more than AWS does, never less.
fn is_tag_char(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || TAG_PUNCTUATION.contains(c)
}

/// Whether `key` starts with `aws:` in any letter case.
fn is_reserved(key: &str) -> bool {
    key.get(..RESERVED_PREFIX.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(RESERVED_PREFIX))
}

/// Checks a key's length (1 to 128 characters).
fn check_key_length(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidParameter(
            "A tag key must be present and can't be an empty string.".to_string(),
        ));
    }
    if key.chars().count() > MAX_TAG_KEY_LEN {
        return Err(Error::InvalidParameter(format!(
            "The tag key {key} is longer than {MAX_TAG_KEY_LEN} characters."
        )));
    }
    Ok(())
}

/// Checks a value's length (0 to 256 characters).
fn check_value_length(key: &str, value: &str) -> Result<()> {
    if value.chars().count() > MAX_TAG_VALUE_LEN {
        return Err(Error::InvalidParameter(format!(
            "The value of tag {key} is longer than {MAX_TAG_VALUE_LEN} characters."
        )));
    }
    Ok(())
}

/// Checks the tags of one request, in order, stopping at the first fault:
/// lengths and characters (`InvalidParameter`), the reserved prefix `aws:`
/// (`TagPolicyViolation`) and keys given twice (`InvalidParameter`).
///
/// An empty list is valid; operations whose `tags` must be non-empty check that
/// themselves.
pub fn validate_new_tags(tags: &[(String, String)]) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (key, value) in tags {
        check_key_length(key)?;
        check_value_length(key, value)?;
        if !key.chars().all(is_tag_char) {
            return Err(Error::InvalidParameter(format!(
                "The tag key {key} contains characters that are not allowed. Tag keys and \
                 values may contain only letters, numbers, spaces and the characters _ . : / = + - @."
            )));
        }
        if !value.chars().all(is_tag_char) {
            return Err(Error::InvalidParameter(format!(
                "The value of tag {key} contains characters that are not allowed. Tag keys and \
                 values may contain only letters, numbers, spaces and the characters _ . : / = + - @."
            )));
        }
        if is_reserved(key) {
            return Err(Error::TagPolicyViolation(format!(
                "The tag key prefix aws: is reserved for AWS use. Remove the tag {key} and try again."
            )));
        }
        if !seen.insert(key.as_str()) {
            return Err(Error::InvalidParameter(format!(
                "The tag key {key} appears more than once in the request. Specify each key once."
            )));
        }
    }
    Ok(())
}

/// Returns `existing` with `new` merged in (a key already present takes the new
/// value), after validating `new`. More than `MAX_TAGS` tags in the result is
/// `TagLimitExceeded`. `existing` is never changed, so a failure leaves the
/// resource as it was.
pub fn apply_tags(existing: &Tags, new: &[(String, String)]) -> Result<Tags> {
    validate_new_tags(new)?;
    let mut merged = existing.clone();
    merged.extend(new.iter().cloned());
    if merged.len() > MAX_TAGS {
        return Err(Error::TagLimitExceeded(format!(
            "This request would leave the resource with {} tags, more than the limit of \
             {MAX_TAGS}. Remove some tags and try again.",
            merged.len()
        )));
    }
    Ok(merged)
}

/// Returns `existing` without the tags named in `keys`. Keys that are not
/// present are ignored; an empty or overlong key is `InvalidParameter`.
/// `existing` is never changed.
pub fn remove_tags(existing: &Tags, keys: &[String]) -> Result<Tags> {
    for key in keys {
        check_key_length(key)?;
    }
    let mut remaining = existing.clone();
    for key in keys {
        remaining.remove(key);
    }
    Ok(remaining)
}

/// Checks `tagFilters`: each key must be non-empty and at most 128 characters,
/// each value at most 256.
pub fn validate_tag_filters(filters: &[TagFilter]) -> Result<()> {
    for filter in filters {
        if filter.tag_key.is_empty() {
            return Err(Error::InvalidParameter(
                "The tagKey of a tag filter must have a valid string value and can't be empty."
                    .to_string(),
            ));
        }
        check_key_length(&filter.tag_key)?;
        for value in &filter.tag_values {
            check_value_length(&filter.tag_key, value)?;
        }
    }
    Ok(())
}

/// Whether `tags` pass `filters`. The model documents that multiple tag
/// filters are evaluated as an OR: the tags pass if any one filter matches. A
/// filter matches if the tags hold its key with one of its values, or with any
/// value when it lists none. Keys and values compare case-sensitively. No
/// filters at all means no filtering.
pub fn matches_tag_filters(tags: &Tags, filters: &[TagFilter]) -> bool {
    filters.is_empty()
        || filters.iter().any(|filter| {
            tags.get(&filter.tag_key).is_some_and(|value| {
                filter.tag_values.is_empty() || filter.tag_values.iter().any(|v| v == value)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn tags(list: &[(&str, &str)]) -> Tags {
        pairs(list).into_iter().collect()
    }

    /// The error kind, for table tests that do not pin the message.
    #[derive(Debug, PartialEq)]
    enum Kind {
        Ok,
        Invalid,
        Policy,
        Limit,
    }

    fn kind<T>(r: &Result<T>) -> Kind {
        match r {
            Ok(_) => Kind::Ok,
            Err(Error::InvalidParameter(_)) => Kind::Invalid,
            Err(Error::TagPolicyViolation(_)) => Kind::Policy,
            Err(Error::TagLimitExceeded(_)) => Kind::Limit,
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }

    #[test]
    fn tag_validation() {
        let key128 = "k".repeat(128);
        let key129 = "k".repeat(129);
        let value256 = "v".repeat(256);
        let value257 = "v".repeat(257);
        let wide128 = "é".repeat(128);
        let cases: Vec<(Vec<(&str, &str)>, Kind)> = vec![
            (vec![], Kind::Ok),
            (vec![("env", "prod")], Kind::Ok),
            (vec![("env", "")], Kind::Ok),
            (vec![("a b_c.d:e/f=g+h-i@j", "Ünïcødé 日本 ٣")], Kind::Ok),
            (vec![(&key128, &value256)], Kind::Ok),
            (vec![(&wide128, "x")], Kind::Ok),
            (vec![("Env", "1"), ("env", "2")], Kind::Ok),
            (
                vec![("aws", "x"), ("awsx:y", "x"), ("my:aws:x", "x")],
                Kind::Ok,
            ),
            (vec![("", "x")], Kind::Invalid),
            (vec![(&key129, "x")], Kind::Invalid),
            (vec![("k", &value257)], Kind::Invalid),
            (vec![("k*", "x")], Kind::Invalid),
            (vec![("k", "x#")], Kind::Invalid),
            (vec![("k\t", "x")], Kind::Invalid),
            (vec![("k", "line\nbreak")], Kind::Invalid),
            (vec![("k", "1"), ("k", "2")], Kind::Invalid),
            (vec![("aws:x", "y")], Kind::Policy),
            (vec![("AWS:x", "y")], Kind::Policy),
            (vec![("Aws:", "")], Kind::Policy),
            (vec![("ok", "1"), ("aws:x", "y"), ("", "")], Kind::Policy),
        ];
        for (input, want) in cases {
            assert_eq!(kind(&validate_new_tags(&pairs(&input))), want, "{input:?}");
        }
        assert_eq!(
            validate_new_tags(&pairs(&[("aws:x", "y")])),
            Err(Error::TagPolicyViolation(
                "The tag key prefix aws: is reserved for AWS use. Remove the tag aws:x and try again."
                    .into()
            ))
        );
    }

    #[test]
    fn tag_characters() {
        let cases = [
            ('a', true),
            ('Z', true),
            ('0', true),
            (' ', true),
            ('\u{a0}', true),
            ('\u{3000}', true),
            ('ß', true),
            ('中', true),
            ('Ⅻ', true),
            ('½', true),
            ('_', true),
            ('@', true),
            ('-', true),
            ('\t', false),
            ('\u{85}', false),
            ('#', false),
            ('!', false),
            ('*', false),
            ('?', false),
            ('😀', false),
            ('\u{200b}', false),
        ];
        for (c, want) in cases {
            assert_eq!(is_tag_char(c), want, "{c:?}");
        }
    }

    #[test]
    fn apply_merges_and_limits() {
        let existing = tags(&[("a", "1"), ("b", "2")]);
        let merged = apply_tags(&existing, &pairs(&[("b", "3"), ("c", "")])).unwrap();
        assert_eq!(merged, tags(&[("a", "1"), ("b", "3"), ("c", "")]));
        assert_eq!(existing, tags(&[("a", "1"), ("b", "2")]), "input untouched");

        let full: Tags = (0..MAX_TAGS)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        let cases = [
            // (tags to add to a full resource, outcome)
            (pairs(&[("k0", "overwrite")]), Kind::Ok),
            (pairs(&[("new", "x")]), Kind::Limit),
            (pairs(&[("k1", "x"), ("new", "x")]), Kind::Limit),
            (pairs(&[("aws:x", "x")]), Kind::Policy),
            (pairs(&[("", "x")]), Kind::Invalid),
        ];
        for (new, want) in cases {
            assert_eq!(kind(&apply_tags(&full, &new)), want, "{new:?}");
        }
        let fifty_one: Vec<(String, String)> = (0..=MAX_TAGS)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        assert_eq!(kind(&apply_tags(&Tags::new(), &fifty_one)), Kind::Limit);
        assert_eq!(kind(&apply_tags(&Tags::new(), &fifty_one[1..])), Kind::Ok);
    }

    #[test]
    fn remove() {
        let existing = tags(&[("a", "1"), ("b", "2")]);
        let cases: [(&[&str], Option<Tags>); 5] = [
            (&[], Some(existing.clone())),
            (&["a"], Some(tags(&[("b", "2")]))),
            (&["a", "song", "b"], Some(Tags::new())),
            (&["A"], Some(existing.clone())),
            (&["a", ""], None),
        ];
        for (keys, want) in cases {
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            let got = remove_tags(&existing, &keys);
            match want {
                Some(want) => assert_eq!(got.unwrap(), want, "{keys:?}"),
                None => assert_eq!(kind(&got), Kind::Invalid, "{keys:?}"),
            }
        }
        assert_eq!(
            kind(&remove_tags(&existing, &["k".repeat(129)])),
            Kind::Invalid
        );
    }

    fn filter(key: &str, values: &[&str]) -> TagFilter {
        TagFilter {
            tag_key: key.to_string(),
            tag_values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn filters_are_an_or() {
        let t = tags(&[("env", "prod"), ("team", "")]);
        let cases = [
            (vec![], true),
            (vec![filter("env", &[])], true),
            (vec![filter("env", &["prod"])], true),
            (vec![filter("env", &["dev", "prod"])], true),
            (vec![filter("env", &["dev"])], false),
            (vec![filter("env", &["PROD"])], false),
            (vec![filter("Env", &[])], false),
            (vec![filter("owner", &[])], false),
            (vec![filter("team", &[""])], true),
            (vec![filter("env", &["dev"]), filter("team", &[])], true),
            (vec![filter("env", &["dev"]), filter("owner", &[])], false),
        ];
        for (filters, want) in cases {
            assert_eq!(matches_tag_filters(&t, &filters), want, "{filters:?}");
        }
        assert!(matches_tag_filters(&Tags::new(), &[]));
        assert!(!matches_tag_filters(&Tags::new(), &[filter("env", &[])]));
    }

    #[test]
    fn filter_validation() {
        let cases = [
            (vec![], Kind::Ok),
            (vec![filter("env", &[])], Kind::Ok),
            (vec![filter("env", &["", "x"])], Kind::Ok),
            (vec![filter("env", &[]), filter("", &[])], Kind::Invalid),
            (vec![filter(&"k".repeat(129), &[])], Kind::Invalid),
            (vec![filter("env", &[&"v".repeat(257)])], Kind::Invalid),
        ];
        for (filters, want) in cases {
            assert_eq!(kind(&validate_tag_filters(&filters)), want, "{filters:?}");
        }
    }
}
