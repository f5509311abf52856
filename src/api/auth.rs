//! Caller identity.
//!
//! * Header mode: the `x-ram-account-id` metadata names the calling account
//!   (absent: the server's default account) and every caller may use the
//!   admin service.
//! * Token mode: `authorization: Bearer <token>` is looked up in the tokens
//!   file (`api::tokens`); without a bearer token, a verified client
//!   certificate (mutual TLS) is looked up by its identity. The entry gives
//!   the account and admin rights; `x-ram-account-id` is ignored. The table
//!   is reloaded on SIGHUP.

use std::sync::Arc;

use tonic::metadata::MetadataMap;
use tonic::transport::CertificateDer;
use tonic::Request;
use x509_parser::extensions::GeneralName;

use crate::api::tokens::{Credential, TokenStore};
use crate::config::{AuthMode, Config};
use crate::core::arn::is_account_id;
use crate::error::Error;

/// The metadata key that names the caller in header mode.
pub const ACCOUNT_HEADER: &str = "x-ram-account-id";

/// The metadata key that carries the bearer token in token mode.
pub const AUTHORIZATION: &str = "authorization";

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    /// May call the admin service.
    pub admin: bool,
}

/// A caller that a front end inside the server has already authenticated
/// (the AWS-protocol front end, after checking SigV4), carried as a request
/// extension. Extensions are never read from the wire, so a gRPC client can't
/// set it; [`Auth::caller`] honours it before anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated(pub Caller);

/// How callers are identified.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `x-ram-account-id`, defaulting to `default_account`.
    Header { default_account: String },
    /// Bearer tokens or client certificates, looked up in the tokens file.
    Token { tokens: Arc<TokenStore> },
}

impl Auth {
    /// The identification the flags ask for. Token mode loads and validates
    /// the tokens file; a bad file is an error naming it.
    pub fn from_config(config: &Config) -> Result<Auth, String> {
        match (config.auth, &config.tokens_file) {
            (AuthMode::Header, None) => Ok(Auth::Header {
                default_account: config.default_account.clone(),
            }),
            (AuthMode::Header, Some(_)) => Err(
                "--tokens-file is used only with --auth token; add --auth token or drop the file"
                    .into(),
            ),
            (AuthMode::Token, None) => Err("--auth token needs --tokens-file".into()),
            (AuthMode::Token, Some(path)) => {
                let tokens = TokenStore::open(path)?;
                let table = tokens.current();
                if table.is_empty() {
                    tracing::warn!(
                        file = %path.display(),
                        "the tokens file has no entries: every call will be refused"
                    );
                }
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    if let Ok(meta) = std::fs::metadata(path) {
                        if meta.permissions().mode() & 0o004 != 0 {
                            tracing::warn!(
                                file = %path.display(),
                                "the tokens file is readable by every user of this machine"
                            );
                        }
                    }
                }
                tracing::info!(file = %path.display(), entries = table.len(), "token mode");
                Ok(Auth::Token {
                    tokens: Arc::new(tokens),
                })
            }
        }
    }

    /// Identifies the caller of one request.
    pub fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Error> {
        if let Some(Authenticated(caller)) = req.extensions().get::<Authenticated>() {
            return Ok(caller.clone());
        }
        match self {
            Auth::Header { default_account } => header_caller(req.metadata(), default_account),
            Auth::Token { tokens } => {
                let table = tokens.current();
                let credential = match bearer_token(req.metadata())? {
                    Some(token) => table.bearer(token).ok_or_else(|| {
                        Error::UnrecognizedClient("The bearer token is not recognized.".into())
                    })?,
                    None => {
                        let certs = req.peer_certs();
                        let Some(cert) = certs.as_ref().and_then(|c| c.first()) else {
                            return Err(Error::UnrecognizedClient(format!(
                                "This call needs credentials: {AUTHORIZATION} metadata \
                                 \"Bearer <token>\", or a client certificate."
                            )));
                        };
                        certificate_caller(&table, cert)?
                    }
                };
                Ok(Caller {
                    account: credential.account.clone(),
                    admin: credential.admin,
                })
            }
        }
    }

    /// Starts reloading the tokens file on SIGHUP (token mode only; in
    /// header mode SIGHUP keeps its default meaning). The signal handler is
    /// installed before this returns, so a SIGHUP sent once the server
    /// reports SERVING is never lost. Dropping the guard stops the task.
    pub fn reload_on_sighup(&self) -> std::io::Result<ReloadTask> {
        let Auth::Token { tokens } = self else {
            return Ok(ReloadTask(None));
        };
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut hangups = signal(SignalKind::hangup())?;
            let tokens = tokens.clone();
            let task = tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    let file = tokens.path().display().to_string();
                    match tokens.reload() {
                        Ok(entries) => tracing::info!(%file, entries, "tokens file reloaded"),
                        Err(error) => tracing::error!(
                            %file,
                            %error,
                            "tokens file reload failed: the previous tokens stay in force"
                        ),
                    }
                }
            });
            Ok(ReloadTask(Some(task)))
        }
        #[cfg(not(unix))]
        {
            let _ = tokens;
            Ok(ReloadTask(None))
        }
    }
}

/// The task that reloads the tokens file; dropping it stops the task.
#[derive(Debug)]
pub struct ReloadTask(Option<tokio::task::JoinHandle<()>>);

impl Drop for ReloadTask {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

fn header_caller(metadata: &MetadataMap, default_account: &str) -> Result<Caller, Error> {
    let account = match metadata.get(ACCOUNT_HEADER) {
        None => default_account.to_string(),
        Some(v) => match v.to_str() {
            Ok(s) if is_account_id(s) => s.to_string(),
            _ => {
                return Err(Error::UnrecognizedClient(format!(
                    "The {ACCOUNT_HEADER} metadata must be a 12-digit account id."
                )))
            }
        },
    };
    Ok(Caller {
        account,
        admin: true,
    })
}

/// The bearer token of a request, if it sends one. More than one
/// `authorization` value, another scheme or a value that is not
/// `Bearer <token>` is refused. Messages never quote the value.
fn bearer_token(metadata: &MetadataMap) -> Result<Option<&str>, Error> {
    let malformed = || {
        Error::UnrecognizedClient(format!(
            "The {AUTHORIZATION} metadata must be \"Bearer <token>\"."
        ))
    };
    let mut values = metadata.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(malformed());
    }
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim_start_matches(' ');
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || !token.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(malformed());
    }
    Ok(Some(token))
}

/// The credential of a verified client certificate, through its identity.
fn certificate_caller<'t>(
    table: &'t crate::api::tokens::TokenTable,
    cert: &CertificateDer<'_>,
) -> Result<&'t Credential, Error> {
    let identity = certificate_identity(cert).ok_or_else(|| {
        Error::UnrecognizedClient(
            "The client certificate has no identity: no URI or DNS subject alternative name \
             and no common name."
                .into(),
        )
    })?;
    table.certificate(&identity).ok_or_else(|| {
        Error::UnrecognizedClient(format!(
            "The client certificate identity {identity:?} is not in the tokens file."
        ))
    })
}

/// The identity of a client certificate: its first URI subject alternative
/// name (a SPIFFE id, for instance), else its first DNS name, else its
/// subject common name. `None` when it has none of them or does not parse.
pub fn certificate_identity(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    // A certificate whose extensions do not parse has no identity, rather
    // than falling back to its common name.
    if let Some(san) = cert.subject_alternative_name().ok()? {
        let names = &san.value.general_names;
        let uri = names.iter().find_map(|n| match n {
            GeneralName::URI(u) => Some(*u),
            _ => None,
        });
        let dns = names.iter().find_map(|n| match n {
            GeneralName::DNSName(d) => Some(*d),
            _ => None,
        });
        if let Some(name) = uri.or(dns) {
            return Some(name.to_string());
        }
    }
    let cn = cert.subject().iter_common_name().next()?;
    cn.as_str().ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_auth() -> Auth {
        Auth::Header {
            default_account: "123456789012".into(),
        }
    }

    #[test]
    fn header_mode() {
        let auth = header_auth();
        let mut req = Request::new(());
        assert_eq!(auth.caller(&req).unwrap().account, "123456789012");
        req.metadata_mut()
            .insert(ACCOUNT_HEADER, "111122223333".parse().unwrap());
        assert_eq!(auth.caller(&req).unwrap().account, "111122223333");
        for bad in ["1111", "11112222333a", "1111222233334"] {
            req.metadata_mut()
                .insert(ACCOUNT_HEADER, bad.parse().unwrap());
            assert!(matches!(
                auth.caller(&req),
                Err(Error::UnrecognizedClient(_))
            ));
        }
    }

    #[test]
    fn bearer_syntax() {
        let parse = |v: &str| {
            let mut md = MetadataMap::new();
            md.insert(AUTHORIZATION, v.parse().unwrap());
            bearer_token(&md).map(|t| t.map(str::to_string))
        };
        assert_eq!(parse("Bearer abc").unwrap().as_deref(), Some("abc"));
        assert_eq!(parse("bearer  abc").unwrap().as_deref(), Some("abc"));
        for bad in ["Bearer", "Bearer ", "Basic abc", "Bearer a b", "abc"] {
            let err = parse(bad).unwrap_err();
            assert!(matches!(err, Error::UnrecognizedClient(_)), "{bad}");
            assert!(!err.to_string().contains("abc"), "{bad}: {err}");
        }
        assert_eq!(bearer_token(&MetadataMap::new()).unwrap(), None);
        let mut md = MetadataMap::new();
        md.append(AUTHORIZATION, "Bearer a".parse().unwrap());
        md.append(AUTHORIZATION, "Bearer b".parse().unwrap());
        assert!(bearer_token(&md).is_err());
    }

    fn cert(sans: Vec<rcgen::SanType>, cn: Option<&str>) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::default();
        params.subject_alt_names = sans;
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn certificate_identity_prefers_uri_then_dns_then_cn() {
        use rcgen::SanType::{DnsName, URI};
        let uri = || URI("spiffe://example.org/ns/a/sa/b".try_into().unwrap());
        let dns = || DnsName("client.example.org".try_into().unwrap());
        let cases = [
            (
                cert(vec![dns(), uri()], Some("cn")),
                Some("spiffe://example.org/ns/a/sa/b"),
            ),
            (cert(vec![dns()], Some("cn")), Some("client.example.org")),
            (cert(vec![], Some("cn")), Some("cn")),
            (cert(vec![], None), None),
        ];
        for (der, want) in cases {
            assert_eq!(certificate_identity(&der).as_deref(), want);
        }
        assert_eq!(certificate_identity(b"not a certificate"), None);
    }
}
