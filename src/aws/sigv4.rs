//! AWS Signature Version 4 as a server checks it: parsing the
//! `Authorization` header and verifying its signature against a secret key
//! (canonical request, string to sign, derived signing key).
//!
//! The canonical request follows the AWS rules for services other than S3:
//! the path as sent, URI-encoded once more (`/` kept); the query's pairs
//! decoded, strictly re-encoded and sorted; the signed headers lower-cased,
//! trimmed, with inner runs of spaces collapsed (`host` falls back to the
//! HTTP/2 authority); the payload hash from `x-amz-content-sha256` when sent
//! (checked against the body unless it is `UNSIGNED-PAYLOAD`), else computed.
//! A request time further than [`MAX_SKEW_SECONDS`] from the server's wall
//! clock is refused, as AWS refuses it.

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The only algorithm AWS SigV4 headers name.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far the request time may be from the server's clock, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    /// `YYYYMMDD` of the credential scope.
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `host;x-amz-date;...`, lower case.
    pub signed_headers: &'a str,
    /// Lower-case hex.
    pub signature: &'a str,
}

/// Parses an `Authorization` header value; `None` when it is not a SigV4
/// header with a credential, signed headers and a signature.
pub fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let mut scope = credential?.split('/');
    let (access_key_id, date, region, service, terminator) = (
        scope.next()?,
        scope.next()?,
        scope.next()?,
        scope.next()?,
        scope.next()?,
    );
    if scope.next().is_some() || terminator != "aws4_request" || access_key_id.is_empty() {
        return None;
    }
    Some(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}

/// What of a request the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a http::HeaderMap,
    /// The request's authority (HTTP/2 `:authority`), for a `host` header.
    pub authority: Option<&'a str>,
    pub body: &'a [u8],
}

/// Checks the signature of `req` under `secret`. The error is a message for
/// an InvalidSignatureException.
pub fn verify(
    req: &SignedRequest<'_>,
    auth: &Authorization<'_>,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let amz_date = match header("x-amz-date") {
        Some(d) => d.to_string(),
        None => {
            let date = header("date")
                .ok_or("The request must contain an X-Amz-Date or Date header.".to_string())?;
            DateTime::parse_from_rfc2822(date)
                .map_err(|_| "The Date header is not a valid date.".to_string())?
                .with_timezone(&Utc)
                .format(AMZ_DATE_FORMAT)
                .to_string()
        }
    };
    let at = NaiveDateTime::parse_from_str(&amz_date, AMZ_DATE_FORMAT)
        .map_err(|_| format!("X-Amz-Date {amz_date:?} is not in the form YYYYMMDD'T'HHMMSS'Z'."))?
        .and_utc();
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(format!(
            "The credential date {} does not match the request date {amz_date}.",
            auth.date
        ));
    }
    let skew = (now - at).num_seconds();
    if skew.abs() > MAX_SKEW_SECONDS {
        let side = if skew > 0 { "earlier" } else { "later" };
        return Err(format!(
            "Signature expired: {amz_date} is now {side} than the server time {} +/- 15 min.",
            now.format(AMZ_DATE_FORMAT)
        ));
    }

    let mut canonical = String::with_capacity(512);
    canonical.push_str(req.method);
    canonical.push('\n');
    uri_encode(
        &mut canonical,
        if req.path.is_empty() { "/" } else { req.path },
        true,
    );
    canonical.push('\n');
    canonical.push_str(&canonical_query(req.query.unwrap_or("")));
    canonical.push('\n');
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    if !signed.contains(&"host") {
        return Err("The host header must be signed.".into());
    }
    for name in &signed {
        canonical.push_str(name);
        canonical.push(':');
        let mut values = req.headers.get_all(*name).iter().peekable();
        if values.peek().is_none() {
            match (*name, req.authority) {
                ("host", Some(authority)) => canonical.push_str(authority),
                _ => return Err(format!("The signed header {name} is not in the request.")),
            }
        }
        let mut first = true;
        for value in values {
            if !first {
                canonical.push(',');
            }
            first = false;
            let value = value
                .to_str()
                .map_err(|_| format!("The signed header {name} is not ASCII."))?;
            push_collapsed(&mut canonical, value.trim());
        }
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(auth.signed_headers);
    canonical.push('\n');
    let body_hash = hex(&Sha256::digest(req.body));
    match header("x-amz-content-sha256") {
        Some(UNSIGNED_PAYLOAD) => canonical.push_str(UNSIGNED_PAYLOAD),
        Some(claimed) if claimed.eq_ignore_ascii_case(&body_hash) => canonical.push_str(claimed),
        Some(_) => return Err("The x-amz-content-sha256 header does not match the body.".into()),
        None => canonical.push_str(&body_hash),
    }

    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let expected = hex(&signature(
        secret,
        auth.date,
        auth.region,
        auth.service,
        &string_to_sign,
    ));
    if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        Ok(())
    } else {
        Err(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method."
                .into(),
        )
    }
}

/// HMAC-SHA256 of `string_to_sign` under the key derived from `secret` for
/// the credential scope.
pub fn signature(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hmac(&k_signing, string_to_sign.as_bytes())
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Percent-encodes every byte except the unreserved ones (and `/` when
/// `keep_slash`), with upper-case hex, as SigV4 asks.
fn uri_encode(out: &mut String, s: &str, keep_slash: bool) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The query's pairs, decoded, strictly re-encoded and sorted.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = super::transcode::query_pairs(query)
        .map(|(k, v)| {
            let (mut ek, mut ev) = (String::new(), String::new());
            uri_encode(&mut ek, &k, false);
            uri_encode(&mut ev, &v, false);
            (ek, ev)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Appends `value` with every run of spaces collapsed to one.
fn push_collapsed(out: &mut String, value: &str) {
    let mut space = false;
    for c in value.chars() {
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A request signed by botocore 1.44 (`SigV4Auth` with access key
    // `AKIDEXAMPLE`, secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, region
    // us-east-1, service ram, at 2024-05-01T12:00:00Z).
    const HOST: &str = "localhost:4566";
    const AMZ_DATE: &str = "20240501T120000Z";
    const BODY: &str =
        r#"{"permissionArn": "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet"}"#;
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/ram/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=fd34f46bb1fde33ce46e4bbdd45772af6dbec23498c2089d2e1027e498c4fc7c";

    fn headers() -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("host", HOST.parse().unwrap());
        h.insert("x-amz-date", AMZ_DATE.parse().unwrap());
        h.insert("content-type", "application/json".parse().unwrap());
        h
    }

    fn at(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, AMZ_DATE_FORMAT)
            .unwrap()
            .and_utc()
    }

    fn check(headers: &http::HeaderMap, body: &str, secret: &str, now: &str) -> Result<(), String> {
        let auth = parse_authorization(AUTHORIZATION.trim()).unwrap();
        let req = SignedRequest {
            method: "POST",
            path: "/getpermission",
            query: None,
            headers,
            authority: None,
            body: body.as_bytes(),
        };
        verify(&req, &auth, secret, at(now))
    }

    #[test]
    fn parses_the_header() {
        let auth = parse_authorization(AUTHORIZATION.trim()).unwrap();
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.date, "20240501");
        assert_eq!(auth.region, "us-east-1");
        assert_eq!(auth.service, "ram");
        assert!(auth.signed_headers.contains("host"));
        for bad in [
            "Bearer x",
            "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/ram, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
        ] {
            assert_eq!(parse_authorization(bad), None, "{bad}");
        }
    }

    #[test]
    fn verifies_a_botocore_signature() {
        assert_eq!(check(&headers(), BODY, SECRET, AMZ_DATE), Ok(()));
        // Within the allowed skew.
        assert_eq!(check(&headers(), BODY, SECRET, "20240501T121400Z"), Ok(()));
    }

    #[test]
    fn refuses_what_does_not_match() {
        assert!(check(&headers(), BODY, "wrong", AMZ_DATE).is_err());
        assert!(check(&headers(), "{}", SECRET, AMZ_DATE).is_err());
        let mut h = headers();
        h.insert("host", "elsewhere:4566".parse().unwrap());
        assert!(check(&h, BODY, SECRET, AMZ_DATE).is_err());
        let expired = check(&headers(), BODY, SECRET, "20240501T121600Z").unwrap_err();
        assert!(expired.starts_with("Signature expired"), "{expired}");
        let mut h = headers();
        h.insert("x-amz-content-sha256", "00".parse().unwrap());
        assert!(check(&h, BODY, SECRET, AMZ_DATE).is_err());
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query("b=2&a=x%3Ay&a=1&c"), "a=1&a=x%3Ay&b=2&c=");
    }
}
