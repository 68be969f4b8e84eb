//! Certificates for TLS tests: a throwaway CA that issues server and client certificates (made
//! with rcgen), written as the PEM files both ZooKeeper (`ssl.keyStore.type=PEM`) and a client
//! read, and the server settings that turn on its TLS port.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

use crate::process::fresh_dir;
use crate::Error;

/// A certificate authority of its own, in a fresh directory removed on drop.
///
/// ```no_run
/// use zk_testkit::{CertSpec, TestCa};
/// let ca = TestCa::new("test-ca")?;
/// let server = ca.issue("server", &CertSpec::server())?;
/// let client = ca.issue("client", &CertSpec::client("client-a"))?;
/// println!("trust {}, present {}", ca.cert_file().display(), client.cert.display());
/// # Ok::<(), zk_testkit::Error>(())
/// ```
pub struct TestCa {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").field("dir", &self.dir).finish()
    }
}

/// What to put in a certificate [`TestCa::issue`] makes.
#[derive(Debug, Clone)]
pub struct CertSpec {
    /// The subject's common name (the whole subject is `CN=<this>`).
    pub common_name: String,
    /// Subject alternative names: DNS names, or IP addresses when they parse as one.
    pub names: Vec<String>,
    /// Valid from 2000 to 2001 instead of from yesterday for ten years.
    pub expired: bool,
}

impl CertSpec {
    /// A server certificate for `localhost` and `127.0.0.1`.
    pub fn server() -> CertSpec {
        CertSpec {
            common_name: "zookeeper".into(),
            names: vec!["localhost".into(), "127.0.0.1".into()],
            expired: false,
        }
    }

    /// A client certificate with subject `CN=<common_name>` (ZooKeeper's x509 provider then
    /// gives the session the id `x509:CN=<common_name>`).
    pub fn client(common_name: &str) -> CertSpec {
        CertSpec {
            common_name: common_name.into(),
            names: Vec::new(),
            expired: false,
        }
    }
}

/// The files of an issued certificate.
#[derive(Debug, Clone)]
pub struct IssuedCert {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PKCS#8 PEM).
    pub key: PathBuf,
    /// Key and certificate in one PEM file: ZooKeeper's PEM keystore.
    pub keystore: PathBuf,
}

fn rcgen_error(what: &str) -> impl FnOnce(rcgen::Error) -> Error + '_ {
    move |e| Error::Io {
        context: format!("making {what}"),
        source: std::io::Error::other(e.to_string()),
    }
}

impl TestCa {
    /// A new CA named `name` (its subject is `CN=<name>`); its certificate is written to
    /// [`TestCa::cert_file`].
    pub fn new(name: &str) -> Result<TestCa, Error> {
        let dir = fresh_dir("tls")?;
        let key = KeyPair::generate().map_err(rcgen_error("a CA key"))?;
        let mut params = CertificateParams::new(Vec::new()).map_err(rcgen_error("a CA"))?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).map_err(rcgen_error("a CA"))?;
        let cert_pem = cert.pem();
        write(&dir.join("ca.pem"), &cert_pem)?;
        Ok(TestCa {
            dir,
            issuer: Issuer::new(params, key),
            cert_pem,
        })
    }

    /// The CA's certificate (PEM): a trust store for whoever should trust it.
    pub fn cert_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The directory the files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Issues a certificate, written as `<stem>.pem`, `<stem>.key` and `<stem>-keystore.pem`.
    /// Issuing the same stem again replaces the files (a rotated certificate).
    pub fn issue(&self, stem: &str, spec: &CertSpec) -> Result<IssuedCert, Error> {
        let key = KeyPair::generate().map_err(rcgen_error("a key"))?;
        let mut params =
            CertificateParams::new(spec.names.clone()).map_err(rcgen_error("a certificate"))?;
        params
            .distinguished_name
            .push(DnType::CommonName, spec.common_name.as_str());
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        if spec.expired {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        } else {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2090, 1, 1);
        }
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(rcgen_error("a certificate"))?;
        let issued = IssuedCert {
            cert: self.dir.join(format!("{stem}.pem")),
            key: self.dir.join(format!("{stem}.key")),
            keystore: self.dir.join(format!("{stem}-keystore.pem")),
        };
        let key_pem = key.serialize_pem();
        write(&issued.cert, &cert.pem())?;
        write(&issued.key, &key_pem)?;
        write(
            &issued.keystore,
            &format!("{key_pem}{}{}", cert.pem(), self.cert_pem),
        )?;
        Ok(issued)
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    fs::write(path, text).map_err(Error::io(format!("writing {}", path.display())))
}

/// Whether a TLS server asks for client certificates (`ssl.clientAuth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// A client without a certificate is refused (ZooKeeper's default).
    Need,
    /// A client may present one; without it, the session has only its `ip` id.
    Want,
    /// Client certificates are not asked for.
    None,
}

/// A server's TLS port: see [`crate::ServerOptions::tls`].
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The server's key and certificate chain (PEM), as [`IssuedCert::keystore`].
    pub keystore: PathBuf,
    /// The CAs whose client certificates it accepts (PEM).
    pub truststore: PathBuf,
    /// Whether it asks for client certificates.
    pub client_auth: ClientAuth,
}

impl ServerTls {
    /// The JVM system properties that configure the TLS port and the x509 auth provider.
    pub(crate) fn system_properties(&self) -> Vec<(String, String)> {
        let auth = match self.client_auth {
            ClientAuth::Need => "need",
            ClientAuth::Want => "want",
            ClientAuth::None => "none",
        };
        [
            (
                "zookeeper.serverCnxnFactory",
                "org.apache.zookeeper.server.NettyServerCnxnFactory",
            ),
            (
                "zookeeper.ssl.keyStore.location",
                &self.keystore.display().to_string(),
            ),
            ("zookeeper.ssl.keyStore.type", "PEM"),
            (
                "zookeeper.ssl.trustStore.location",
                &self.truststore.display().to_string(),
            ),
            ("zookeeper.ssl.trustStore.type", "PEM"),
            ("zookeeper.ssl.clientAuth", auth),
            (
                "zookeeper.authProvider.x509",
                "org.apache.zookeeper.server.auth.X509AuthenticationProvider",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

/// The jars of Debian's Netty packages that ZooKeeper's Netty server and client need beside
/// `zookeeper.jar` (whose manifest omits some of them, `netty-codec` among them), as a
/// classpath; only the jars present are named.
pub fn netty_classpath() -> String {
    [
        "netty-buffer",
        "netty-codec",
        "netty-common",
        "netty-handler",
        "netty-resolver",
        "netty-transport",
        "netty-transport-native-epoll",
        "netty-transport-native-unix-common",
    ]
    .iter()
    .map(|jar| format!("/usr/share/java/{jar}.jar"))
    .filter(|path| Path::new(path).exists())
    .collect::<Vec<_>>()
    .join(":")
}
