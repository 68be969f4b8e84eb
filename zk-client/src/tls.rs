//! TLS options for [`crate::ClientBuilder::tls`]: the CA roots that vouch for the servers, an
//! optional client identity for mutual TLS, and host-name verification. Certificates given as
//! files are read again for every new connection, so rotated files take effect at the next
//! reconnect without restarting the process.
//!
//! ZooKeeper serves TLS on its `secureClientPort` (with `NettyServerCnxnFactory`); 3.8 servers
//! offer TLS 1.2 with ECDHE suites only, 3.9.2 and later TLS 1.3 only. Both are enabled here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// Where a PEM document comes from.
#[derive(Clone)]
enum Pem {
    /// Read at every new connection.
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Pem {
    fn read(&self, what: &str) -> Result<Arc<[u8]>, TlsFailure> {
        match self {
            Pem::Bytes(b) => Ok(b.clone()),
            Pem::File(path) => std::fs::read(path).map(Arc::from).map_err(|e| {
                TlsFailure::Config(format!("cannot read the {what} {}: {e}", path.display()))
            }),
        }
    }
}

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pem::File(p) => write!(f, "{}", p.display()),
            // Key bytes are not printed.
            Pem::Bytes(b) => write!(f, "<{} bytes of PEM>", b.len()),
        }
    }
}

/// How the client sets up TLS on each connection.
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_client::Error> {
/// use zk_client::{ClientBuilder, TlsOptions};
/// let tls = TlsOptions::new()
///     .ca_file("/etc/zookeeper/ca.pem")
///     // Mutual TLS: the server's x509 provider gives this session the certificate's DN.
///     .identity_files("/etc/zookeeper/client.pem", "/etc/zookeeper/client.key");
/// let zk = ClientBuilder::new("zk1.example.com:2281").tls(tls).connect().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    cas: Vec<Pem>,
    system_roots: bool,
    identity: Option<(Pem, Pem)>,
    skip_hostname: bool,
}

impl TlsOptions {
    /// No CA yet, no client identity, host names verified.
    pub fn new() -> Self {
        TlsOptions::default()
    }

    /// Trusts the CA certificates in a PEM file (read again at every new connection).
    #[must_use]
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.cas.push(Pem::File(path.as_ref().to_path_buf()));
        self
    }

    /// Trusts the CA certificates in PEM text.
    #[must_use]
    pub fn ca_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.cas.push(Pem::Bytes(Arc::from(pem.as_ref())));
        self
    }

    /// Also trusts the system's CA certificates (`/etc/ssl/certs` and the like, as found by
    /// `rustls-native-certs`).
    #[must_use]
    pub fn system_roots(mut self) -> Self {
        self.system_roots = true;
        self
    }

    /// Presents this certificate chain and private key (PEM files, read again at every new
    /// connection) for mutual TLS. The key is PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
    #[must_use]
    pub fn identity_files(mut self, chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        self.identity = Some((
            Pem::File(chain.as_ref().to_path_buf()),
            Pem::File(key.as_ref().to_path_buf()),
        ));
        self
    }

    /// Presents this certificate chain and private key (PEM text) for mutual TLS.
    #[must_use]
    pub fn identity_pem(mut self, chain: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Self {
        self.identity = Some((
            Pem::Bytes(Arc::from(chain.as_ref())),
            Pem::Bytes(Arc::from(key.as_ref())),
        ));
        self
    }

    /// Accepts a server certificate that is not valid for the host name connected to, as long
    /// as a trusted CA signed it and it has not expired. Off by default: anyone holding a
    /// certificate from the same CA could then pose as the server.
    #[must_use]
    pub fn no_hostname_verification(mut self) -> Self {
        self.skip_hostname = true;
        self
    }

    /// Whether a client identity is configured.
    pub(crate) fn has_identity(&self) -> bool {
        self.identity.is_some()
    }

    /// The rustls configuration for one connection, from the files as they are now.
    pub(crate) fn client_config(&self) -> Result<Arc<ClientConfig>, TlsFailure> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for ca in &self.cas {
            let pem = ca.read("CA file")?;
            let mut any = false;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert
                    .map_err(|e| TlsFailure::Config(format!("CA certificates in {ca:?}: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| TlsFailure::Config(format!("a CA certificate in {ca:?}: {e}")))?;
                any = true;
            }
            if !any {
                return Err(TlsFailure::Config(format!("no certificate in {ca:?}")));
            }
        }
        if self.system_roots {
            let found = rustls_native_certs::load_native_certs();
            // Unreadable entries among the system's certificates are skipped, as browsers do.
            roots.add_parsable_certificates(found.certs);
        }
        if roots.is_empty() {
            return Err(TlsFailure::Config(
                "no CA to verify the server with (give a CA file or the system roots)".into(),
            ));
        }
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsFailure::Config(e.to_string()))?;
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| TlsFailure::Config(e.to_string()))?;
        let builder = if self.skip_hostname {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyName(verifier)))
        } else {
            builder.with_webpki_verifier(verifier)
        };
        let config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some((chain, key)) => {
                let chain_pem = chain.read("client certificate")?;
                let chain_certs = CertificateDer::pem_slice_iter(&chain_pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        TlsFailure::Config(format!("client certificate in {chain:?}: {e}"))
                    })?;
                if chain_certs.is_empty() {
                    return Err(TlsFailure::Config(format!("no certificate in {chain:?}")));
                }
                let key_pem = key.read("client key")?;
                let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
                    .map_err(|e| TlsFailure::Config(format!("no private key in {key:?}: {e}")))?;
                builder
                    .with_client_auth_cert(chain_certs, key_der)
                    .map_err(|e| TlsFailure::Config(format!("client identity: {e}")))?
            }
        };
        Ok(Arc::new(config))
    }
}

/// The WebPKI verifier, except that a certificate valid for another name is accepted.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // The name is the last thing checked: the chain and the dates were fine.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Why a TLS connection could not be set up (in [`crate::Error::Tls`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate is not signed by a trusted CA.
    #[error("the server's certificate is not signed by a trusted CA")]
    UnknownCa,
    /// The server's certificate has expired or is not valid yet.
    #[error("the server's certificate has expired or is not valid yet")]
    Expired,
    /// The server's certificate is not valid for the host name connected to.
    #[error("the server's certificate is not valid for the name {0} (its names: {1})")]
    NameMismatch(String, String),
    /// The server requires a client certificate and none is configured.
    #[error("the server requires a client certificate and none is configured")]
    NoClientCertificate,
    /// The server rejected the client certificate (not signed by a CA it trusts, expired).
    #[error("the server rejected the client certificate: {0}")]
    ClientCertificateRejected(String),
    /// The server closed the connection during the TLS handshake or answered something that
    /// is not TLS: most likely a plain (non-TLS) port.
    #[error("the server did not speak TLS ({0}): is it a plain, non-TLS port?")]
    NotTls(String),
    /// The TLS options could not be used (a file missing or without a certificate or key).
    #[error("configuration: {0}")]
    Config(String),
    /// Any other handshake failure.
    #[error("{0}")]
    Other(String),
}

impl TlsFailure {
    /// Names the failure behind an error of the handshake.
    pub(crate) fn of_handshake(e: &std::io::Error, host: &str, had_identity: bool) -> TlsFailure {
        let Some(tls) = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) else {
            return match e.kind() {
                std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe => TlsFailure::NotTls(e.to_string()),
                _ => TlsFailure::Other(e.to_string()),
            };
        };
        use rustls::AlertDescription as A;
        match tls {
            rustls::Error::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                    TlsFailure::UnknownCa
                }
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
                CertificateError::NotValidForNameContext {
                    expected,
                    presented,
                } => {
                    let names: Vec<&str> = presented.iter().map(|p| bare_name(p)).collect();
                    TlsFailure::NameMismatch(expected.to_str().into_owned(), names.join(", "))
                }
                CertificateError::NotValidForName => {
                    TlsFailure::NameMismatch(host.to_string(), "not given".into())
                }
                other => TlsFailure::Other(format!("the server's certificate: {other:?}")),
            },
            rustls::Error::AlertReceived(alert) => match alert {
                A::CertificateRequired | A::BadCertificate | A::HandshakeFailure
                    if !had_identity =>
                {
                    TlsFailure::NoClientCertificate
                }
                A::BadCertificate
                | A::UnknownCA
                | A::CertificateUnknown
                | A::CertificateExpired
                | A::CertificateRevoked
                | A::UnsupportedCertificate
                | A::AccessDenied => TlsFailure::ClientCertificateRejected(format!(
                    "alert {alert:?} (is it signed by a CA the server trusts, and valid?)"
                )),
                other => TlsFailure::Other(format!("the server sent the alert {other:?}")),
            },
            rustls::Error::InvalidMessage(m) => {
                TlsFailure::NotTls(format!("not a TLS message: {m:?}"))
            }
            other => TlsFailure::Other(other.to_string()),
        }
    }
}

/// `zk.example` out of rustls's `DnsName("zk.example")` (and likewise for addresses).
fn bare_name(presented: &str) -> &str {
    match (presented.find("(\""), presented.strip_suffix("\")")) {
        (Some(open), Some(rest)) if open + 2 <= rest.len() => &rest[open + 2..],
        _ => presented,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_without_a_ca_are_refused() {
        let e = TlsOptions::new().client_config().unwrap_err();
        assert!(
            matches!(e, TlsFailure::Config(ref m) if m.contains("no CA")),
            "{e}"
        );
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let e = TlsOptions::new()
            .ca_file("/nonexistent/ca.pem")
            .client_config()
            .unwrap_err();
        assert!(
            matches!(e, TlsFailure::Config(ref m) if m.contains("/nonexistent/ca.pem")),
            "{e}"
        );
    }

    #[test]
    fn pem_without_certificates_is_refused() {
        let e = TlsOptions::new()
            .ca_pem("not a certificate")
            .client_config()
            .unwrap_err();
        assert!(
            matches!(e, TlsFailure::Config(ref m) if m.contains("no certificate")),
            "{e}"
        );
    }

    #[test]
    fn presented_names_lose_their_wrapping() {
        assert_eq!(bare_name("DnsName(\"zk.example\")"), "zk.example");
        assert_eq!(bare_name("zk.example"), "zk.example");
        assert_eq!(bare_name("IpAddress(\"10.0.0.1\")"), "10.0.0.1");
    }

    #[test]
    fn handshake_errors_are_named() {
        let io = |e: rustls::Error| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        assert_eq!(
            TlsFailure::of_handshake(
                &io(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer
                )),
                "h",
                false
            ),
            TlsFailure::UnknownCa
        );
        assert_eq!(
            TlsFailure::of_handshake(
                &io(rustls::Error::InvalidCertificate(CertificateError::Expired)),
                "h",
                false
            ),
            TlsFailure::Expired
        );
        assert_eq!(
            TlsFailure::of_handshake(
                &io(rustls::Error::AlertReceived(
                    rustls::AlertDescription::BadCertificate
                )),
                "h",
                false
            ),
            TlsFailure::NoClientCertificate
        );
        assert!(matches!(
            TlsFailure::of_handshake(
                &io(rustls::Error::AlertReceived(
                    rustls::AlertDescription::BadCertificate
                )),
                "h",
                true
            ),
            TlsFailure::ClientCertificateRejected(_)
        ));
        let eof = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "tls handshake eof");
        assert!(matches!(
            TlsFailure::of_handshake(&eof, "h", false),
            TlsFailure::NotTls(_)
        ));
    }
}
