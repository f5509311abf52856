//! Pagination: page sizes, and opaque, tamper-proof, query-bound keyset tokens.
//!
//! A list operation walks an ordered map. The token it returns names the key of
//! the last item it sent; the next page starts strictly after that key, so items
//! inserted or removed between pages never make a page repeat or skip an item
//! that existed throughout (RAM-BEHAVIOUR.md §10.1).
//!
//! A token is base64url (no padding) of
//! `version ‖ len(op) op ‖ len(account) account ‖ sha256(query) ‖ len(key) key ‖ tag`,
//! where lengths are big-endian `u16` and `tag` is the first 16 bytes of an
//! HMAC-SHA256, under the server's secret, of everything before it. A token is
//! accepted only by the operation, caller account and filters it was issued for.
//!
//! Typical use:
//! ```text
//! let pager = Pager::start(&codec, "GetResourceShares", account, &query, max, token,
//!     MaxResultsError::InvalidParameter)?;
//! let items = shares.range::<str, _>(pager.range()).filter(...).map(|(k, v)| (k, v.clone()));
//! let (page, next_token) = pager.finish(items);
//! ```

use std::ops::Bound;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The page size when the request has no `maxResults`; §10.1 recommends the
/// maximum, since the service default is undocumented.
pub const DEFAULT_PAGE_SIZE: usize = 500;

/// How many items a page makes room for before it knows how many it gets.
const PREALLOCATED: usize = 32;

/// The largest `maxResults` the model allows.
pub const MAX_PAGE_SIZE: i32 = 500;

/// The current token format.
const TOKEN_VERSION: u8 = 1;

/// Bytes of the HMAC-SHA256 tag kept in a token.
const TAG_LEN: usize = 16;

/// Bytes of the query digest.
const QUERY_HASH_LEN: usize = 32;

/// Longer tokens are refused before decoding: no token this server issues
/// comes near it.
const MAX_TOKEN_LEN: usize = 8192;

type HmacSha256 = Hmac<Sha256>;

/// Which exception an out-of-range `maxResults` raises: the model declares
/// `InvalidMaxResultsException` for some operations and not for others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxResultsError {
    InvalidMaxResults,
    InvalidParameter,
}

/// The error for a token this server did not issue for this query.
pub fn invalid_next_token() -> Error {
    Error::InvalidNextToken("The specified value for nextToken is not valid.".to_string())
}

/// Seals and opens pagination tokens with the server's secret key.
///
/// `Debug` does not print the key.
#[derive(Clone)]
pub struct TokenCodec {
    /// The keyed MAC, cloned for each token rather than re-keyed.
    mac: HmacSha256,
}

impl std::fmt::Debug for TokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCodec { .. }")
    }
}

/// What a token binds: the operation, the caller and the filters.
struct Scope<'a> {
    op: &'a str,
    account: &'a str,
    query_hash: [u8; QUERY_HASH_LEN],
}

impl TokenCodec {
    /// A codec keyed with `secret`; tokens from a codec with another key are refused.
    pub fn new(secret: [u8; 32]) -> TokenCodec {
        let mac = HmacSha256::new_from_slice(&secret).expect("HMAC accepts keys of any length");
        TokenCodec { mac }
    }

    /// Seals `key` into a token for `scope`.
    fn encode(&self, scope: &Scope<'_>, key: &str) -> String {
        let mut raw = Vec::with_capacity(
            1 + 6 + scope.op.len() + scope.account.len() + QUERY_HASH_LEN + key.len() + TAG_LEN,
        );
        raw.push(TOKEN_VERSION);
        push_field(&mut raw, scope.op.as_bytes());
        push_field(&mut raw, scope.account.as_bytes());
        raw.extend_from_slice(&scope.query_hash);
        push_field(&mut raw, key.as_bytes());
        let mut mac = self.mac.clone();
        mac.update(&raw);
        let tag = mac.finalize().into_bytes();
        raw.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Opens `token` and returns its key if it is authentic and was issued for
    /// `scope`; `None` otherwise.
    fn decode(&self, scope: &Scope<'_>, token: &str) -> Option<String> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        let body_len = raw.len().checked_sub(TAG_LEN)?;
        let (body, tag) = raw.split_at(body_len);
        let mut mac = self.mac.clone();
        mac.update(body);
        // The comparison is constant-time; nothing in the body is trusted before it.
        mac.verify_truncated_left(tag).ok()?;

        let (&version, mut rest) = body.split_first()?;
        if version != TOKEN_VERSION {
            return None;
        }
        let op = take_field(&mut rest)?;
        let account = take_field(&mut rest)?;
        let query_hash = take(&mut rest, QUERY_HASH_LEN)?;
        let key = take_field(&mut rest)?;
        let bound = rest.is_empty()
            && op == scope.op.as_bytes()
            && account == scope.account.as_bytes()
            && query_hash == scope.query_hash;
        if !bound {
            return None;
        }
        String::from_utf8(key.to_vec()).ok()
    }
}

/// Appends a `u16` big-endian length and the bytes.
fn push_field(raw: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).expect("token fields are shorter than 64 KiB");
    raw.extend_from_slice(&len.to_be_bytes());
    raw.extend_from_slice(bytes);
}

/// Splits `n` bytes off the front of `rest`.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if rest.len() < n {
        return None;
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Some(head)
}

/// Splits a length-prefixed field off the front of `rest`.
fn take_field<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = take(rest, 2)?;
    let len = u16::from_be_bytes([len[0], len[1]]);
    take(rest, usize::from(len))
}

/// Checks `maxResults` and returns the page size.
pub fn page_size(max_results: Option<i32>, max_kind: MaxResultsError) -> Result<usize> {
    match max_results {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => {
            Ok(usize::try_from(n).expect("a value from 1 to 500 fits in usize"))
        }
        Some(n) => {
            let msg = format!(
                "The value {n} for maxResults is not valid. Specify a value from 1 to {MAX_PAGE_SIZE}."
            );
            Err(match max_kind {
                MaxResultsError::InvalidMaxResults => Error::InvalidMaxResults(msg),
                MaxResultsError::InvalidParameter => Error::InvalidParameter(msg),
            })
        }
    }
}

/// One page of one list request: where it starts, how long it is, and how to
/// seal the token for the next page.
///
/// It borrows what the request already holds (the codec, the operation, the
/// account, the query), so starting a page copies nothing.
#[derive(Debug, Clone)]
pub struct Pager<'a> {
    codec: &'a TokenCodec,
    op: &'a str,
    account: &'a str,
    query: Query<'a>,
    limit: usize,
    after: Option<String>,
}

/// The filters a token binds: their digest, computed only when a token is
/// read or issued (most requests fit one page and need neither).
#[derive(Clone)]
pub enum Query<'a> {
    Text(&'a str),
    /// Rendered only if a token is read or issued.
    Deferred(&'a dyn Fn() -> String),
    Hash([u8; QUERY_HASH_LEN]),
}

impl std::fmt::Debug for Query<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Query::Text(q) => f.debug_tuple("Text").field(q).finish(),
            Query::Deferred(_) => f.write_str("Deferred"),
            Query::Hash(h) => f.debug_tuple("Hash").field(h).finish(),
        }
    }
}

impl Query<'_> {
    fn hash(&self) -> [u8; QUERY_HASH_LEN] {
        match self {
            Query::Text(q) => Sha256::digest(q.as_bytes()).into(),
            Query::Deferred(q) => Sha256::digest(q().as_bytes()).into(),
            Query::Hash(h) => *h,
        }
    }
}

impl<'a> Pager<'a> {
    /// Checks `max_results` and `next_token` for a request of operation `op`
    /// by `account` whose filters render to the canonical string `query`.
    ///
    /// `query` must not include `maxResults`, so a client may change the page
    /// size between pages. An empty `next_token` counts as absent.
    pub fn start(
        codec: &'a TokenCodec,
        op: &'a str,
        account: &'a str,
        query: &'a str,
        max_results: Option<i32>,
        next_token: Option<&str>,
        max_kind: MaxResultsError,
    ) -> Result<Pager<'a>> {
        Pager::start_query(
            codec,
            op,
            account,
            Query::Text(query),
            max_results,
            next_token,
            max_kind,
        )
    }

    /// Like [`Pager::start`], with the query as given (a `Query::Deferred`
    /// one is rendered only if a token is read or issued).
    pub fn start_query(
        codec: &'a TokenCodec,
        op: &'a str,
        account: &'a str,
        query: Query<'a>,
        max_results: Option<i32>,
        next_token: Option<&str>,
        max_kind: MaxResultsError,
    ) -> Result<Pager<'a>> {
        let limit = page_size(max_results, max_kind)?;
        let (query, after) = match next_token.filter(|t| !t.is_empty()) {
            None => (query, None),
            Some(token) => {
                let query_hash = query.hash();
                let scope = Scope {
                    op,
                    account,
                    query_hash,
                };
                let after = codec.decode(&scope, token).ok_or_else(invalid_next_token)?;
                (Query::Hash(query_hash), Some(after))
            }
        };
        Ok(Pager {
            codec,
            op,
            account,
            query,
            limit,
            after,
        })
    }

    /// The key to start strictly after; `None` on the first page.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The most items this page may hold.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The key range this page reads from, for
    /// `map.range::<str, _>(pager.range())` on a `BTreeMap<String, _>`.
    pub fn range(&self) -> (Bound<&str>, Bound<&str>) {
        match self.after() {
            None => (Bound::Unbounded, Bound::Unbounded),
            Some(key) => (Bound::Excluded(key), Bound::Unbounded),
        }
    }

    /// Takes up to `limit` items, in key order, from those after `after()`.
    /// Returns them and, if at least one more item follows, the token for the
    /// next page (naming the key of the last item returned).
    ///
    /// At most `limit + 1` items are pulled from `items`.
    pub fn finish<K, T>(self, items: impl IntoIterator<Item = (K, T)>) -> (Vec<T>, Option<String>)
    where
        K: AsRef<str>,
    {
        let (page, next) = self.finish_keyed(items, |(key, _)| key.as_ref().to_string());
        (page.into_iter().map(|(_, item)| item).collect(), next)
    }

    /// Like `finish`, with the key computed by `key` and only for the last
    /// item of the page, so items can be cheap borrowed rows.
    pub fn finish_keyed<T>(
        self,
        items: impl IntoIterator<Item = T>,
        key: impl Fn(&T) -> String,
    ) -> (Vec<T>, Option<String>) {
        let mut items = items.into_iter();
        // Room for a short page at once (a long one grows as usual).
        let mut page: Vec<T> = Vec::with_capacity(self.limit.min(PREALLOCATED));
        page.extend(items.by_ref().take(self.limit));
        let next = match (page.last(), items.next()) {
            (Some(last), Some(_)) => Some(self.token_after(&key(last))),
            _ => None,
        };
        (page, next)
    }

    /// The token for the page that starts after `key`.
    pub fn token_after(&self, key: &str) -> String {
        let scope = Scope {
            op: self.op,
            account: self.account,
            query_hash: self.query.hash(),
        };
        self.codec.encode(&scope, key)
    }
}

/// Joins the parts of a composite key with NUL, so that the strings sort as
/// the tuples do (NUL sorts first) as long as no part contains NUL.
pub fn join_key(parts: &[&str]) -> String {
    parts.join("\u{0}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const OP: &str = "GetResourceShares";
    const ACCOUNT: &str = "123456789012";
    const QUERY: &str = "resourceOwner=SELF";

    fn codec() -> &'static TokenCodec {
        static CODEC: std::sync::OnceLock<TokenCodec> = std::sync::OnceLock::new();
        CODEC.get_or_init(|| TokenCodec::new([7; 32]))
    }

    fn pager(token: Option<&str>, max: Option<i32>) -> Result<Pager<'static>> {
        Pager::start(
            codec(),
            OP,
            ACCOUNT,
            QUERY,
            max,
            token,
            MaxResultsError::InvalidParameter,
        )
    }

    /// A token issued by the first page of `OP` over keys k0..k9 with size 3.
    fn first_token() -> String {
        let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
        let (page, token) = pager(None, Some(3))
            .unwrap()
            .finish(keys.iter().map(|k| (k, k.clone())));
        assert_eq!(page, ["k0", "k1", "k2"]);
        token.unwrap()
    }

    #[test]
    fn max_results_ranges() {
        let cases = [
            (None, Ok(DEFAULT_PAGE_SIZE)),
            (Some(1), Ok(1)),
            (Some(250), Ok(250)),
            (Some(500), Ok(500)),
            (Some(0), Err(())),
            (Some(-1), Err(())),
            (Some(501), Err(())),
            (Some(i32::MIN), Err(())),
            (Some(i32::MAX), Err(())),
        ];
        for (max, want) in cases {
            for kind in [
                MaxResultsError::InvalidParameter,
                MaxResultsError::InvalidMaxResults,
            ] {
                let got = Pager::start(codec(), OP, ACCOUNT, QUERY, max, None, kind);
                match (got, want) {
                    (Ok(p), Ok(n)) => assert_eq!(p.limit(), n),
                    (Err(Error::InvalidParameter(_)), Err(()))
                        if kind == MaxResultsError::InvalidParameter => {}
                    (Err(Error::InvalidMaxResults(_)), Err(()))
                        if kind == MaxResultsError::InvalidMaxResults => {}
                    (got, want) => panic!("{max:?} {kind:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn empty_token_is_absent() {
        let p = pager(Some(""), None).unwrap();
        assert_eq!(p.after(), None);
        assert_eq!(p.range(), (Bound::Unbounded, Bound::Unbounded));
    }

    #[test]
    fn round_trip() {
        let token = first_token();
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        // The page size may change between pages.
        let p = pager(Some(&token), Some(100)).unwrap();
        assert_eq!(p.after(), Some("k2"));
        assert_eq!(p.range(), (Bound::Excluded("k2"), Bound::Unbounded));
        assert_eq!(p.limit(), 100);

        let keys = [
            String::new(),
            "arn:aws:ram:us-east-1:123456789012:resource-share/x".to_string(),
            "ünïcødé\u{0}key".to_string(),
            "k".repeat(4000),
        ];
        let p = pager(None, None).unwrap();
        for key in keys {
            let token = p.token_after(&key);
            assert_eq!(
                pager(Some(&token), None).unwrap().after(),
                Some(key.as_str())
            );
        }
    }

    #[test]
    fn foreign_tokens_are_refused() {
        let token = first_token();
        let other_key = TokenCodec::new([8; 32]);
        let cases: [(&TokenCodec, &str, &str, &str); 5] = [
            (&other_key, OP, ACCOUNT, QUERY),
            (codec(), "ListResources", ACCOUNT, QUERY),
            (codec(), OP, "210987654321", QUERY),
            (codec(), OP, ACCOUNT, "resourceOwner=OTHER-ACCOUNTS"),
            (codec(), OP, ACCOUNT, ""),
        ];
        for (codec, op, account, query) in cases {
            let got = Pager::start(
                codec,
                op,
                account,
                query,
                None,
                Some(&token),
                MaxResultsError::InvalidMaxResults,
            );
            assert_eq!(
                got.unwrap_err(),
                invalid_next_token(),
                "{op} {account} {query}"
            );
        }
    }

    #[test]
    fn garbage_tokens_are_refused() {
        let token = first_token();
        let short = &token[..token.len() - 1];
        let long = "A".repeat(MAX_TOKEN_LEN + 4);
        let cases = [
            "x",
            "not base64!",
            "AAAA",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            short,
            long.as_str(),
            &token[1..],
        ];
        for input in cases {
            assert_eq!(pager(Some(input), None).unwrap_err(), invalid_next_token());
        }
        let padded = format!("{token}==");
        assert_eq!(
            pager(Some(&padded), None).unwrap_err(),
            invalid_next_token()
        );
    }

    #[test]
    fn any_tampered_byte_is_refused() {
        let token = first_token();
        let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
        for i in 0..raw.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut forged = raw.clone();
                forged[i] ^= flip;
                let forged = URL_SAFE_NO_PAD.encode(&forged);
                assert_eq!(
                    pager(Some(&forged), None).unwrap_err(),
                    invalid_next_token(),
                    "byte {i} ^ {flip:#x}"
                );
            }
        }
        // Changing any character of the text is refused too, including the
        // last one, whose spare low bits must be zero.
        for i in 0..token.len() {
            let mut chars: Vec<char> = token.chars().collect();
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            let forged: String = chars.into_iter().collect();
            assert_eq!(
                pager(Some(&forged), None).unwrap_err(),
                invalid_next_token(),
                "char {i}"
            );
        }
    }

    #[test]
    fn a_version_we_do_not_know_is_refused() {
        let mut raw = vec![TOKEN_VERSION + 1];
        push_field(&mut raw, OP.as_bytes());
        push_field(&mut raw, ACCOUNT.as_bytes());
        raw.extend_from_slice(&Sha256::digest(QUERY.as_bytes()));
        push_field(&mut raw, b"k2");
        let mut mac = codec().mac.clone();
        mac.update(&raw);
        raw.extend_from_slice(&mac.finalize().into_bytes()[..TAG_LEN]);
        let token = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(pager(Some(&token), None).unwrap_err(), invalid_next_token());
    }

    #[test]
    fn finish_pages_and_bounds_consumption() {
        let cases = [
            // (items, limit, page length, token expected)
            (0, 3, 0, false),
            (2, 3, 2, false),
            (3, 3, 3, false),
            (4, 3, 3, true),
            (100, 3, 3, true),
            (1, 1, 1, false),
            (2, 1, 1, true),
        ];
        for (n, limit, len, more) in cases {
            let mut pulled = 0;
            let items = (0..n).map(|i| {
                pulled += 1;
                (format!("k{i:03}"), i)
            });
            let (page, token) = pager(None, Some(limit)).unwrap().finish(items);
            assert_eq!(page.len(), len, "{n} items, limit {limit}");
            assert_eq!(token.is_some(), more, "{n} items, limit {limit}");
            assert!(pulled <= limit + 1, "pulled {pulled} for limit {limit}");
            if let Some(token) = token {
                let last = format!("k{:03}", len - 1);
                assert_eq!(
                    pager(Some(&token), None).unwrap().after(),
                    Some(last.as_str())
                );
            }
        }
    }

    /// Pages over sorted items from the cursor on, as the listings do.
    fn page_of(p: Pager, items: &[String]) -> (Vec<String>, Option<String>) {
        let after = p.after().map(str::to_string);
        p.finish(
            items
                .iter()
                .filter(|k| after.as_deref().is_none_or(|a| k.as_str() > a))
                .map(|k| (k.clone(), k.clone())),
        )
    }

    #[test]
    fn paging_resumes_after_the_cursor() {
        let items: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let p = pager(token.as_deref(), Some(4)).unwrap();
            let (page, next) = page_of(p, &items);
            seen.extend(page);
            match next {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, items);
        // A cursor that falls between items (its item was deleted) still works.
        let p = pager(None, None).unwrap();
        let token = p.token_after("k35");
        let (page, next) = page_of(pager(Some(&token), Some(2)).unwrap(), &items);
        assert_eq!(page, ["k4", "k5"]);
        assert!(next.is_some());
    }

    #[test]
    fn concurrent_inserts_and_removals_neither_repeat_nor_skip() {
        let mut map: BTreeMap<String, u32> =
            (0..20).map(|i| (format!("k{:03}", i * 10), i)).collect();
        let original: Vec<String> = map.keys().cloned().collect();
        let mut seen: Vec<String> = Vec::new();
        let mut token: Option<String> = None;
        let mut round = 0;
        loop {
            let p = pager(token.as_deref(), Some(3)).unwrap();
            let page: Vec<String> = {
                let items = map.range::<str, _>(p.range()).map(|(k, _)| (k, k.clone()));
                let (page, next) = p.finish(items);
                token = next;
                page
            };
            seen.extend(page.iter().cloned());
            let Some(cursor) = page.last().cloned() else {
                break;
            };
            // Between pages, keys appear before and after the cursor, and the
            // cursor's own item disappears.
            round += 1;
            map.insert(format!("a{round:03}"), 0);
            map.insert(format!("{cursor}+"), 0);
            map.insert(format!("z{round:03}"), 0);
            map.remove(&cursor);
            if token.is_none() {
                break;
            }
        }
        let mut deduped = seen.clone();
        deduped.dedup();
        assert_eq!(deduped, seen, "no key is returned twice");
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, seen, "keys come in order");
        for key in &original {
            assert!(seen.contains(key), "{key} was skipped");
        }
        // Keys inserted behind the cursor are not returned; those ahead are.
        assert!(!seen.iter().any(|k| k.starts_with('a')));
        assert!(seen.iter().any(|k| k.ends_with('+')));
    }

    #[test]
    fn join_key_sorts_like_tuples() {
        let mut tuples = [("ab", "c"), ("a", "z"), ("a", "b"), ("b", "")];
        let mut joined: Vec<String> = tuples.iter().map(|(a, b)| join_key(&[a, b])).collect();
        tuples.sort();
        joined.sort();
        let want: Vec<String> = tuples.iter().map(|(a, b)| join_key(&[a, b])).collect();
        assert_eq!(joined, want);
    }
}
