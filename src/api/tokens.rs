//! The tokens file of token mode: bearer tokens and client-certificate
//! identities mapped to accounts, validated as a whole, looked up without a
//! timing oracle, and swapped atomically when the file is reloaded.
//!
//! The file is JSON:
//!
//! ```json
//! {"tokens": [
//!   {"token": "...", "accountId": "111122223333", "admin": false, "secretKey": "..."},
//!   {"token": "spiffe://example.org/billing", "accountId": "444455556666", "certificate": true}
//! ]}
//! ```
//!
//! `admin`, `secretKey` and `certificate` are optional. An entry with
//! `"certificate": true` names a client-certificate identity (see
//! `auth::certificate_identity`) rather than a secret: such identities are
//! public, so they are never accepted as bearer tokens, and bearer tokens are
//! never matched against certificates.
//!
//! Tokens and secret keys never appear in logs, error messages or `Debug`
//! output; errors name entries by their index (`tokens[2]`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::core::arn::is_account_id;

/// The longest token accepted, in bytes.
const MAX_TOKEN_LEN: usize = 4096;

/// A secret string that shows as `<redacted>` when debug-printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the code that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How an entry authenticates a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `authorization: Bearer <token>`.
    Bearer,
    /// A verified client certificate whose identity is the entry's token.
    Certificate,
}

/// What one entry of the tokens file grants, without its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The account the caller acts as.
    pub account: String,
    /// May call the admin service.
    pub admin: bool,
    /// The SigV4 secret of the access key id `token` (bearer entries only),
    /// kept for an AWS-protocol front end.
    pub secret_key: Option<Secret>,
}

/// One version of the tokens file.
///
/// Lookups hash the presented token with SHA-256 and compare the digest with
/// every entry's digest of the right kind in constant time, without stopping
/// at a match, so the time a lookup takes says nothing about which tokens
/// exist. The cost is linear in the number of entries, which is small.
#[derive(Clone, Default)]
pub struct TokenTable {
    bearer: Vec<([u8; 32], Credential)>,
    certificate: Vec<([u8; 32], Credential)>,
}

impl fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenTable")
            .field("bearer_entries", &self.bearer.len())
            .field("certificate_entries", &self.certificate.len())
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` can be sent in an `authorization` metadata value and
/// compared byte for byte: visible ASCII, no spaces.
fn is_token_syntax(token: &str) -> bool {
    !token.is_empty() && token.len() <= MAX_TOKEN_LEN && token.bytes().all(|b| b.is_ascii_graphic())
}

/// Finds the entry whose digest equals `wanted`, in constant time.
fn find<'a>(entries: &'a [([u8; 32], Credential)], wanted: &[u8; 32]) -> Option<&'a Credential> {
    let mut found = Choice::from(0);
    let mut index = 0u64;
    for (i, (d, _)) in entries.iter().enumerate() {
        let hit = d[..].ct_eq(&wanted[..]);
        index.conditional_assign(&(i as u64), hit);
        found |= hit;
    }
    if bool::from(found) {
        entries.get(index as usize).map(|(_, c)| c)
    } else {
        None
    }
}

/// Reads a string member of an entry.
fn string_member<'a>(
    entry: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, String> {
    match entry.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("\"{name}\" must be a string")),
    }
}

/// Reads a boolean member of an entry (absent: false).
fn bool_member(entry: &serde_json::Map<String, Value>, name: &str) -> Result<bool, String> {
    match entry.get(name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("\"{name}\" must be true or false")),
    }
}

/// Validates one entry. Messages never quote a value, so a token put in the
/// wrong member does not leak into logs.
fn parse_entry(value: &Value) -> Result<(String, Kind, Credential), String> {
    let Value::Object(entry) = value else {
        return Err("must be an object".into());
    };
    for key in entry.keys() {
        if !matches!(
            key.as_str(),
            "token" | "accountId" | "admin" | "secretKey" | "certificate"
        ) {
            return Err(format!(
                "unknown member {key:?} (known: token, accountId, admin, secretKey, certificate)"
            ));
        }
    }
    let token = string_member(entry, "token")?.ok_or("\"token\" is missing")?;
    if !is_token_syntax(token) {
        return Err(format!(
            "\"token\" must be 1 to {MAX_TOKEN_LEN} visible ASCII characters without spaces"
        ));
    }
    let account = string_member(entry, "accountId")?.ok_or("\"accountId\" is missing")?;
    if !is_account_id(account) {
        return Err("\"accountId\" must be a 12-digit account id".into());
    }
    let admin = bool_member(entry, "admin")?;
    let kind = if bool_member(entry, "certificate")? {
        Kind::Certificate
    } else {
        Kind::Bearer
    };
    let secret_key = match string_member(entry, "secretKey")? {
        None => None,
        Some("") => return Err("\"secretKey\" must not be empty".into()),
        Some(_) if kind == Kind::Certificate => {
            return Err("\"secretKey\" belongs to bearer tokens, not certificate entries".into())
        }
        Some(s) => Some(Secret(s.to_string())),
    };
    Ok((
        token.to_string(),
        kind,
        Credential {
            account: account.to_string(),
            admin,
            secret_key,
        },
    ))
}

impl TokenTable {
    /// Parses and validates the text of a tokens file. Errors name the entry
    /// by index, never by token.
    pub fn parse(text: &str) -> Result<TokenTable, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
        let Value::Object(top) = doc else {
            return Err("must be a JSON object {\"tokens\": [...]}".into());
        };
        if let Some(key) = top.keys().find(|k| k.as_str() != "tokens") {
            return Err(format!("unknown member {key:?} (known: tokens)"));
        }
        let Some(Value::Array(entries)) = top.get("tokens") else {
            return Err("\"tokens\" must be an array of entries".into());
        };
        let mut table = TokenTable::default();
        let mut seen: Vec<[u8; 32]> = Vec::with_capacity(entries.len());
        for (i, value) in entries.iter().enumerate() {
            let (token, kind, credential) =
                parse_entry(value).map_err(|e| format!("tokens[{i}]: {e}"))?;
            let d = digest(&token);
            if let Some(first) = seen.iter().position(|s| *s == d) {
                return Err(format!("tokens[{i}]: repeats the token of tokens[{first}]"));
            }
            seen.push(d);
            match kind {
                Kind::Bearer => table.bearer.push((d, credential)),
                Kind::Certificate => table.certificate.push((d, credential)),
            }
        }
        Ok(table)
    }

    /// Reads and validates a tokens file. Errors name the file.
    pub fn load(path: &Path) -> Result<TokenTable, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("tokens file {}: cannot read it: {e}", path.display()))?;
        TokenTable::parse(&text).map_err(|e| format!("tokens file {}: {e}", path.display()))
    }

    /// The credential of a bearer token.
    pub fn bearer(&self, token: &str) -> Option<&Credential> {
        find(&self.bearer, &digest(token))
    }

    /// The credential of a verified client certificate's identity.
    pub fn certificate(&self, identity: &str) -> Option<&Credential> {
        find(&self.certificate, &digest(identity))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.bearer.len() + self.certificate.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The tokens file and the table last loaded from it.
///
/// Requests read the table through a std `RwLock<Arc<_>>`: the lock is held
/// only to clone the `Arc`, and a reload builds the new table before taking
/// the write lock, so a request sees either the old table or the new one,
/// never a mix, and a reload that fails leaves the old table in place.
pub struct TokenStore {
    path: PathBuf,
    table: RwLock<Arc<TokenTable>>,
}

impl fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenStore")
            .field("path", &self.path)
            .field("table", &*self.current())
            .finish()
    }
}

impl TokenStore {
    /// Loads the tokens file; a bad file is an error naming it.
    pub fn open(path: &Path) -> Result<TokenStore, String> {
        let table = TokenTable::load(path)?;
        Ok(TokenStore {
            path: path.to_path_buf(),
            table: RwLock::new(Arc::new(table)),
        })
    }

    /// The file this store reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The table in force.
    pub fn current(&self) -> Arc<TokenTable> {
        self.table.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the file again and, if it is valid, puts it in force. Returns
    /// the number of entries, or the error (the old table stays in force).
    pub fn reload(&self) -> Result<usize, String> {
        let table = Arc::new(TokenTable::load(&self.path)?);
        let n = table.len();
        *self.table.write().unwrap_or_else(|e| e.into_inner()) = table;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"tokens": [
        {"token": "alpha-token", "accountId": "111122223333", "admin": true, "secretKey": "s3cret"},
        {"token": "beta-token", "accountId": "444455556666"},
        {"token": "spiffe://example.org/ns/a/sa/b", "accountId": "210987654321", "certificate": true}
    ]}"#;

    #[test]
    fn lookups_by_kind() {
        let t = TokenTable::parse(GOOD).unwrap();
        assert_eq!(t.len(), 3);
        let a = t.bearer("alpha-token").unwrap();
        assert_eq!((a.account.as_str(), a.admin), ("111122223333", true));
        assert_eq!(a.secret_key.as_ref().unwrap().expose(), "s3cret");
        let b = t.bearer("beta-token").unwrap();
        assert_eq!((b.account.as_str(), b.admin), ("444455556666", false));
        assert!(b.secret_key.is_none());
        assert!(t.bearer("gamma-token").is_none());
        assert!(t.bearer("").is_none());
        // Certificate identities are public: never a bearer token, and the
        // other way round.
        assert!(t.bearer("spiffe://example.org/ns/a/sa/b").is_none());
        assert!(t.certificate("alpha-token").is_none());
        let c = t.certificate("spiffe://example.org/ns/a/sa/b").unwrap();
        assert_eq!(c.account, "210987654321");
    }

    #[test]
    fn debug_output_hides_tokens_and_secrets() {
        let t = TokenTable::parse(GOOD).unwrap();
        let shown = format!("{t:?} {:?}", t.bearer("alpha-token").unwrap());
        for secret in ["alpha-token", "beta-token", "s3cret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn bad_files_are_refused_with_the_entry_index() {
        let cases = [
            ("", "not valid JSON"),
            ("[]", "must be a JSON object"),
            (r#"{"tokens": {}}"#, "\"tokens\" must be an array"),
            (r#"{}"#, "\"tokens\" must be an array"),
            (r#"{"tokens": [], "extra": 1}"#, "unknown member \"extra\""),
            (r#"{"tokens": [1]}"#, "tokens[0]: must be an object"),
            (
                r#"{"tokens": [{"accountId": "111122223333"}]}"#,
                "tokens[0]: \"token\" is missing",
            ),
            (
                r#"{"tokens": [{"token": "t1"}]}"#,
                "tokens[0]: \"accountId\" is missing",
            ),
            (
                r#"{"tokens": [{"token": "t1", "accountId": "1111"}]}"#,
                "tokens[0]: \"accountId\" must be a 12-digit",
            ),
            (
                r#"{"tokens": [{"token": "t1", "accountId": 111122223333}]}"#,
                "tokens[0]: \"accountId\" must be a string",
            ),
            (
                r#"{"tokens": [{"token": "", "accountId": "111122223333"}]}"#,
                "tokens[0]: \"token\" must be 1 to",
            ),
            (
                r#"{"tokens": [{"token": "a b", "accountId": "111122223333"}]}"#,
                "tokens[0]: \"token\" must be 1 to",
            ),
            (
                r#"{"tokens": [{"token": "t1", "accountId": "111122223333", "admin": "yes"}]}"#,
                "tokens[0]: \"admin\" must be true or false",
            ),
            (
                r#"{"tokens": [{"token": "t1", "accountId": "111122223333", "Admin": true}]}"#,
                "tokens[0]: unknown member \"Admin\"",
            ),
            (
                r#"{"tokens": [{"token": "t1", "accountId": "111122223333", "secretKey": ""}]}"#,
                "tokens[0]: \"secretKey\" must not be empty",
            ),
            (
                r#"{"tokens": [{"token": "t1", "accountId": "111122223333", "certificate": true, "secretKey": "k"}]}"#,
                "tokens[0]: \"secretKey\" belongs to bearer tokens",
            ),
            (
                r#"{"tokens": [{"token": "t1", "accountId": "111122223333"},
                               {"token": "t2", "accountId": "111122223333"},
                               {"token": "t1", "accountId": "444455556666"}]}"#,
                "tokens[2]: repeats the token of tokens[0]",
            ),
        ];
        for (text, want) in cases {
            let err = TokenTable::parse(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
            assert!(
                !err.contains("t1\""),
                "{text}: the error quotes a token: {err}"
            );
        }
    }

    #[test]
    fn an_empty_table_is_valid() {
        let t = TokenTable::parse(r#"{"tokens": []}"#).unwrap();
        assert!(t.is_empty());
        assert!(t.bearer("x").is_none());
    }

    #[test]
    fn a_failed_reload_keeps_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        std::fs::write(&path, GOOD).unwrap();
        let store = TokenStore::open(&path).unwrap();
        std::fs::write(&path, "{not json").unwrap();
        let err = store.reload().unwrap_err();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(store.current().bearer("alpha-token").is_some());
        std::fs::write(
            &path,
            r#"{"tokens": [{"token": "new-token", "accountId": "111122223333"}]}"#,
        )
        .unwrap();
        assert_eq!(store.reload(), Ok(1));
        assert!(store.current().bearer("alpha-token").is_none());
        assert!(store.current().bearer("new-token").is_some());
    }
}
