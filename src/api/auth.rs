//! Caller identity. In header mode the `x-ram-account-id` metadata names the
//! calling account (absent: the server's default account) and every caller
//! may use the admin service.

use tonic::metadata::MetadataMap;

use crate::core::arn::is_account_id;
use crate::error::Error;

/// The metadata key that names the caller in header mode.
pub const ACCOUNT_HEADER: &str = "x-ram-account-id";

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    /// May call the admin service.
    pub admin: bool,
}

/// How callers are identified.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `x-ram-account-id`, defaulting to `default_account`.
    Header { default_account: String },
}

impl Auth {
    /// Identifies the caller of one request.
    pub fn caller(&self, metadata: &MetadataMap) -> Result<Caller, Error> {
        match self {
            Auth::Header { default_account } => {
                let account = match metadata.get(ACCOUNT_HEADER) {
                    None => default_account.clone(),
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_mode() {
        let auth = Auth::Header {
            default_account: "123456789012".into(),
        };
        let mut md = MetadataMap::new();
        assert_eq!(auth.caller(&md).unwrap().account, "123456789012");
        md.insert(ACCOUNT_HEADER, "111122223333".parse().unwrap());
        assert_eq!(auth.caller(&md).unwrap().account, "111122223333");
        for bad in ["1111", "11112222333a", "1111222233334"] {
            md.insert(ACCOUNT_HEADER, bad.parse().unwrap());
            assert!(matches!(
                auth.caller(&md),
                Err(Error::UnrecognizedClient(_))
            ));
        }
    }
}
