//! A throw-away certificate authority for the TLS tests: a CA, a server
//! certificate for localhost and client certificates, made at test time and
//! written as PEM files to a temporary directory.

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// A client certificate and its private key, PEM-encoded.
pub struct ClientCert {
    pub cert: String,
    pub key: String,
}

/// A CA with a server certificate, all in one temporary directory.
pub struct Pki {
    pub dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    /// A new CA named `name`, and a server certificate for `localhost` and
    /// `127.0.0.1` that it issued. Files: `ca.pem`, `server.pem`,
    /// `server.key`.
    pub fn new(name: &str) -> Pki {
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();

        let mut server =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().unwrap();
        let cert = server.signed_by(&key, &ca).unwrap();
        std::fs::write(dir.path().join("server.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("server.key"), key.serialize_pem()).unwrap();
        Pki { dir, ca }
    }

    /// The path of a file in the directory, as a string for flags.
    pub fn path(&self, name: &str) -> String {
        self.file(name).display().to_string()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The server flags for TLS with this CA's server certificate.
    pub fn tls_flags(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.path("server.pem"),
            "--tls-key".into(),
            self.path("server.key"),
        ]
    }

    /// A client certificate issued by this CA, with subject alternative
    /// names `sans` and common name `cn`.
    pub fn client(&self, sans: Vec<SanType>, cn: Option<&str>) -> ClientCert {
        let mut params = CertificateParams::default();
        params.subject_alt_names = sans;
        params.distinguished_name = DistinguishedName::new();
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        ClientCert {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// A client TLS configuration that trusts this CA, presenting `identity`
    /// when given.
    pub fn client_tls(&self, identity: Option<&ClientCert>) -> ClientTlsConfig {
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(self.ca.pem()))
            .domain_name("localhost");
        match identity {
            Some(c) => tls.identity(Identity::from_pem(&c.cert, &c.key)),
            None => tls,
        }
    }
}

/// A URI subject alternative name.
pub fn uri(name: &str) -> SanType {
    SanType::URI(name.try_into().unwrap())
}

/// A DNS subject alternative name.
pub fn dns(name: &str) -> SanType {
    SanType::DnsName(name.try_into().unwrap())
}
