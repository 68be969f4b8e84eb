//! SASL on the client port (op 102, `GetSASLRequest`/`SetSASLResponse`): run after every
//! handshake, before anything else is sent on the connection, as the Java client does. The
//! server's identity for the connection becomes `sasl:<user>`; a failed exchange ends the
//! session in `AuthFailed`.
//!
//! ZooKeeper servers speak exactly one mechanism, chosen by their JAAS `Server` section
//! (`DigestLoginModule`: DIGEST-MD5; `Krb5LoginModule`: GSSAPI); nothing on the wire names
//! it, so the client is told.

#[cfg(feature = "sasl")]
mod digest_md5;
#[cfg(feature = "gssapi")]
mod gssapi;

use std::fmt;

#[cfg(feature = "sasl")]
pub(crate) use digest_md5::DigestMd5;

/// One side of a SASL exchange, one per connection, after its first token (made by
/// [`SaslOptions::start`]).
pub(crate) trait Mechanism: Send {
    /// Given the server's token (`None` when it sent a null one), the next token to send, or
    /// `None` when the exchange is complete. An `Err` says why it failed.
    fn step(&mut self, token: Option<&[u8]>) -> Result<Option<Vec<u8>>, String>;
}

/// A started exchange, for one connection: the mechanism's state and the first token to send
/// (ZooKeeper's transport is client-first). Made by [`SaslOptions::start`], handed to
/// [`crate::session::Session::on_connect_response`].
pub struct SaslStart {
    pub(crate) mechanism: Box<dyn Mechanism>,
    pub(crate) token: Vec<u8>,
}

impl fmt::Debug for SaslStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslStart")
            .field("token_len", &self.token.len())
            .finish_non_exhaustive()
    }
}

/// Credentials for SASL, for [`crate::ClientBuilder::sasl`].
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_client::Error> {
/// use zk_client::{ClientBuilder, SaslOptions};
/// // The server's JAAS: Server { org.apache.zookeeper.server.auth.DigestLoginModule required
/// //                             user_bob="bobsecret"; };
/// let zk = ClientBuilder::new("127.0.0.1:2181")
///     .sasl(SaslOptions::digest_md5("bob", "bobsecret"))
///     .connect()
///     .await?;
/// // whoAmI now lists sasl:bob, and `sasl:bob` ACLs let this session in.
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SaslOptions {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    #[cfg(feature = "sasl")]
    DigestMd5 {
        username: String,
        password: String,
        /// The client nonce, fixed (in tests) instead of random.
        cnonce: Option<String>,
    },
    #[cfg(feature = "gssapi")]
    Gssapi(gssapi::Identities),
}

impl SaslOptions {
    /// DIGEST-MD5 with a user of the server's `DigestLoginModule` (`user_<name>="<password>"`).
    /// Needs the `sasl` cargo feature (on by default).
    #[cfg(feature = "sasl")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sasl")))]
    pub fn digest_md5(username: impl Into<String>, password: impl Into<String>) -> Self {
        SaslOptions {
            kind: Kind::DigestMd5 {
                username: username.into(),
                password: password.into(),
                cnonce: None,
            },
        }
    }

    /// DIGEST-MD5 with a fixed client nonce, to replay a recorded exchange.
    #[cfg(all(test, feature = "sasl"))]
    pub(crate) fn digest_md5_with_cnonce(username: &str, password: &str, cnonce: &str) -> Self {
        SaslOptions {
            kind: Kind::DigestMd5 {
                username: username.into(),
                password: password.into(),
                cnonce: Some(cnonce.into()),
            },
        }
    }

    /// GSSAPI (Kerberos 5) with the process's Kerberos credentials; see [`GssapiOptions`].
    /// Needs the `gssapi` cargo feature (and MIT Kerberos: Debian's `libkrb5-dev` to build).
    #[cfg(feature = "gssapi")]
    #[cfg_attr(docsrs, doc(cfg(feature = "gssapi")))]
    pub fn gssapi(options: GssapiOptions) -> Self {
        SaslOptions {
            kind: Kind::Gssapi(options.ids),
        }
    }

    /// The mechanism's name, as SASL spells it.
    pub fn mechanism(&self) -> &'static str {
        match self.kind {
            #[cfg(feature = "sasl")]
            Kind::DigestMd5 { .. } => "DIGEST-MD5",
            #[cfg(feature = "gssapi")]
            Kind::Gssapi(_) => "GSSAPI",
        }
    }

    /// Whether starting an exchange may block on the network (GSSAPI asks the KDC).
    pub(crate) fn start_blocks(&self) -> bool {
        match self.kind {
            #[cfg(feature = "sasl")]
            Kind::DigestMd5 { .. } => false,
            #[cfg(feature = "gssapi")]
            Kind::Gssapi(_) => true,
        }
    }

    /// A fresh exchange for a new connection to `host` (the connect string's name for the
    /// server), with its first token. An `Err` says why no exchange could start (no Kerberos
    /// credentials, say). GSSAPI blocks here while MIT Kerberos asks the KDC for tickets (the
    /// client runs this on tokio's blocking pool).
    pub fn start(&self, host: &str) -> Result<SaslStart, String> {
        #[cfg(not(feature = "gssapi"))]
        let _ = host;
        match self.kind {
            #[cfg(feature = "sasl")]
            Kind::DigestMd5 {
                ref username,
                ref password,
                ref cnonce,
            } => {
                let cnonce = cnonce.clone().unwrap_or_else(|| {
                    let random: [u8; 30] = rand::random();
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, random)
                });
                Ok(SaslStart {
                    mechanism: Box::new(DigestMd5::new(username, password, cnonce)),
                    // DIGEST-MD5 is server-first: the client opens with an empty token.
                    token: Vec::new(),
                })
            }
            #[cfg(feature = "gssapi")]
            Kind::Gssapi(ref ids) => {
                let (mechanism, token) = gssapi::Gssapi::start(ids, host)?;
                Ok(SaslStart {
                    mechanism: Box::new(mechanism),
                    token,
                })
            }
        }
    }
}

/// Which Kerberos identities [`SaslOptions::gssapi`] uses.
///
/// The client's credentials come from the process's Kerberos environment, as for every
/// GSSAPI program: the credential cache (`KRB5CCNAME`, filled by `kinit`), or a client keytab
/// (`KRB5_CLIENT_KTNAME`, or `default_client_keytab_name` in `krb5.conf`) from which MIT
/// Kerberos gets a ticket by itself. `krb5.conf` (or `KRB5_CONFIG`) names the realm and its
/// KDCs.
///
/// The server's principal is, as the Java client's, `zookeeper/<host>` for the host of the
/// connect string being connected to, with the host name canonicalised as `krb5.conf` says
/// (by default an address such as `127.0.0.1` is looked up back to its name), in the realm
/// `krb5.conf` maps that host to. [`GssapiOptions::server_principal`] names it outright
/// instead (Java's `zookeeper.server.principal`).
///
/// Starting an exchange may ask the KDC for tickets; that runs on tokio's blocking pool,
/// within the connect timeout, never on the connection's task.
///
/// ```no_run
/// # #[cfg(feature = "gssapi")]
/// # async fn demo() -> Result<(), zk_client::Error> {
/// use zk_client::{ClientBuilder, GssapiOptions, SaslOptions};
/// // The server's JAAS: Server { com.sun.security.auth.module.Krb5LoginModule required
/// //   useKeyTab=true keyTab="/etc/zookeeper/zk.keytab" storeKey=true
/// //   principal="zookeeper/zk1.example.com@EXAMPLE.COM"; };
/// // This process: KRB5_CLIENT_KTNAME=/etc/app/app.keytab (or a `kinit`).
/// let zk = ClientBuilder::new("zk1.example.com:2181")
///     .sasl(SaslOptions::gssapi(
///         GssapiOptions::new().client_principal("app@EXAMPLE.COM"),
///     ))
///     .connect()
///     .await?;
/// // whoAmI now lists sasl:app@EXAMPLE.COM.
/// # Ok(()) }
/// ```
#[cfg(feature = "gssapi")]
#[derive(Debug, Clone)]
pub struct GssapiOptions {
    ids: gssapi::Identities,
}

#[cfg(feature = "gssapi")]
impl Default for GssapiOptions {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "gssapi")]
impl GssapiOptions {
    /// The default credentials, and the service `zookeeper` on each server's host.
    pub fn new() -> Self {
        GssapiOptions {
            ids: gssapi::Identities {
                client: None,
                server: None,
                service: "zookeeper".into(),
            },
        }
    }

    /// Authenticate as this principal (`app@EXAMPLE.COM`), whose ticket is in the credential
    /// cache or whose key is in the client keytab. Default: the credential cache's principal.
    pub fn client_principal(mut self, principal: impl Into<String>) -> Self {
        self.ids.client = Some(principal.into());
        self
    }

    /// The servers' principal, verbatim (`zookeeper/zk1.example.com@EXAMPLE.COM`; without a
    /// realm, the default realm), for every server. Default: `<service>/<host>`.
    pub fn server_principal(mut self, principal: impl Into<String>) -> Self {
        self.ids.server = Some(principal.into());
        self
    }

    /// The service part of the default server principal (Java's
    /// `zookeeper.sasl.client.username`). Default `zookeeper`.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.ids.service = service.into();
        self
    }
}

impl fmt::Debug for SaslOptions {
    #[cfg_attr(
        not(any(feature = "sasl", feature = "gssapi")),
        allow(unused_variables)
    )]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password is not printed.
        match self.kind {
            #[cfg(feature = "sasl")]
            Kind::DigestMd5 { ref username, .. } => f
                .debug_struct("SaslOptions")
                .field("mechanism", &"DIGEST-MD5")
                .field("username", username)
                .finish_non_exhaustive(),
            #[cfg(feature = "gssapi")]
            Kind::Gssapi(ref ids) => f
                .debug_struct("SaslOptions")
                .field("mechanism", &"GSSAPI")
                .field("client_principal", &ids.client)
                .field("server_principal", &ids.server)
                .field("service", &ids.service)
                .finish(),
        }
    }
}
