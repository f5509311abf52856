//! Transport security: TLS (rustls) on the gRPC port from `--tls-cert` and
//! `--tls-key`, mutual TLS with `--tls-client-ca`, and the start-up warnings
//! about callers the server cannot authenticate.
//!
//! With `--tls-client-ca` every client must present a certificate issued by
//! one of those CAs; connections without one fail the handshake. Which
//! account a certificate acts as is decided per request by `api::auth`.
//! Certificates are read once at start-up: replacing them needs a restart.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use crate::api::Auth;
use crate::config::Config;

/// How long a client may take to complete the TLS handshake, so that idle
/// half-open connections cannot pile up.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The gRPC server builder: plain HTTP/2, or TLS when `--tls-cert` is given.
pub fn server_builder(config: &Config) -> Result<Server, String> {
    let builder = Server::builder();
    match server_tls_config(config)? {
        None => Ok(builder),
        Some(tls) => builder.tls_config(tls).map_err(|e| {
            format!(
                "TLS set-up from --tls-cert {} and --tls-key {} failed \
                 (does the key belong to the certificate?): {e}",
                display(config.tls_cert.as_deref()),
                display(config.tls_key.as_deref())
            )
        }),
    }
}

fn display(path: Option<&Path>) -> String {
    path.map(|p| p.display().to_string()).unwrap_or_default()
}

fn read(flag: &str, path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{flag} {}: cannot read it: {e}", path.display()))
}

/// Reads a PEM file of one or more certificates.
fn read_certificates(flag: &str, path: &Path) -> Result<Vec<u8>, String> {
    let pem = read(flag, path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{flag} {}: not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(pem)
}

/// The rustls configuration the TLS flags ask for, if any.
pub fn server_tls_config(config: &Config) -> Result<Option<ServerTlsConfig>, String> {
    let (cert_path, key_path) = match (&config.tls_cert, &config.tls_key) {
        (None, None) if config.tls_client_ca.is_some() => {
            return Err("--tls-client-ca needs --tls-cert and --tls-key".into())
        }
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let cert = read_certificates("--tls-cert", cert_path)?;
    let key = read("--tls-key", key_path)?;
    PrivateKeyDer::from_pem_slice(&key).map_err(|e| {
        format!(
            "--tls-key {}: holds no usable PEM private key (PKCS#8, PKCS#1 or SEC1): {e}",
            key_path.display()
        )
    })?;
    let mut tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(cert, key))
        .timeout(HANDSHAKE_TIMEOUT);
    if let Some(ca_path) = &config.tls_client_ca {
        let ca = read_certificates("--tls-client-ca", ca_path)?;
        // Client certificates are required: tonic only makes them optional
        // when asked to.
        tls = tls.client_ca_root(Certificate::from_pem(ca));
    }
    Ok(Some(tls))
}

/// Warns about set-ups where callers reach the server unauthenticated or
/// credentials travel in clear text over a network.
pub fn warn_if_exposed(config: &Config, auth: &Auth, addr: SocketAddr) {
    if addr.ip().is_loopback() {
        return;
    }
    match auth {
        Auth::Header { .. } => tracing::warn!(
            "header mode trusts x-ram-account-id from any caller on a non-loopback address"
        ),
        Auth::Token { .. } if config.tls_cert.is_none() => tracing::warn!(
            "token mode without --tls-cert: bearer tokens cross the network in clear text"
        ),
        Auth::Token { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn self_signed() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn config(dir: &Path, files: &[(&str, &str)], flags: &[&str]) -> Config {
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let mut args = vec!["ramd".to_string()];
        for f in flags {
            args.push(match f.strip_prefix('@') {
                Some(name) => dir.join(name).display().to_string(),
                None => f.to_string(),
            });
        }
        Config::parse_from(args)
    }

    #[test]
    fn tls_flags_are_checked_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let (_, other_key) = self_signed();
        let files = [
            ("cert.pem", cert.as_str()),
            ("key.pem", key.as_str()),
            ("other.key", other_key.as_str()),
            ("garbage.pem", "not a PEM file"),
        ];
        let tls = ["--tls-cert", "@cert.pem", "--tls-key", "@key.pem"];
        let ok = config(dir.path(), &files, &tls);
        assert!(server_builder(&ok).is_ok());
        assert!(server_builder(&config(dir.path(), &files, &[])).is_ok());

        let cases: [(&[&str], &str); 5] = [
            (
                &["--tls-cert", "@missing.pem", "--tls-key", "@key.pem"],
                "--tls-cert",
            ),
            (
                &["--tls-cert", "@garbage.pem", "--tls-key", "@key.pem"],
                "holds no PEM certificate",
            ),
            (
                &["--tls-cert", "@cert.pem", "--tls-key", "@garbage.pem"],
                "holds no usable PEM private key",
            ),
            (
                &["--tls-cert", "@cert.pem", "--tls-key", "@other.key"],
                "does the key belong to the certificate?",
            ),
            (
                &[
                    "--tls-cert",
                    "@cert.pem",
                    "--tls-key",
                    "@key.pem",
                    "--tls-client-ca",
                    "@garbage.pem",
                ],
                "--tls-client-ca",
            ),
        ];
        for (flags, want) in cases {
            let err = server_builder(&config(dir.path(), &files, flags)).unwrap_err();
            assert!(err.contains(want), "{flags:?}: {err}");
        }
    }
}
