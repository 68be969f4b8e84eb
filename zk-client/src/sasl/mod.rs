//! SASL on the client port (op 102, `GetSASLRequest`/`SetSASLResponse`): run after every
//! handshake, before anything else is sent on the connection, as the Java client does. The
//! server's identity for the connection becomes `sasl:<user>`; a failed exchange ends the
//! session in `AuthFailed`.
//!
//! ZooKeeper servers speak exactly one mechanism, chosen by their JAAS `Server` section
//! (`DigestLoginModule`: DIGEST-MD5); nothing on the wire names it, so the client is told.

mod digest_md5;

use std::fmt;

pub(crate) use digest_md5::DigestMd5;

/// One side of a SASL exchange, one per connection.
pub(crate) trait Mechanism: Send {
    /// The first token (ZooKeeper's transport is client-first).
    fn initial(&mut self) -> Vec<u8>;
    /// Given the server's token (`None` when it sent a null one), the next token to send, or
    /// `None` when the exchange is complete. An `Err` says why it failed.
    fn step(&mut self, token: Option<&[u8]>) -> Result<Option<Vec<u8>>, String>;
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
    DigestMd5 {
        username: String,
        password: String,
        /// The client nonce, fixed (in tests) instead of random.
        cnonce: Option<String>,
    },
}

impl SaslOptions {
    /// DIGEST-MD5 with a user of the server's `DigestLoginModule` (`user_<name>="<password>"`).
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
    #[cfg(test)]
    pub(crate) fn digest_md5_with_cnonce(username: &str, password: &str, cnonce: &str) -> Self {
        SaslOptions {
            kind: Kind::DigestMd5 {
                username: username.into(),
                password: password.into(),
                cnonce: Some(cnonce.into()),
            },
        }
    }

    /// The mechanism's name, as SASL spells it.
    pub fn mechanism(&self) -> &'static str {
        match self.kind {
            Kind::DigestMd5 { .. } => "DIGEST-MD5",
        }
    }

    /// A fresh exchange for a new connection.
    pub(crate) fn start(&self) -> Box<dyn Mechanism> {
        match &self.kind {
            Kind::DigestMd5 {
                username,
                password,
                cnonce,
            } => {
                let cnonce = cnonce.clone().unwrap_or_else(|| {
                    let random: [u8; 30] = rand::random();
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, random)
                });
                Box::new(DigestMd5::new(username, password, cnonce))
            }
        }
    }
}

impl fmt::Debug for SaslOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password is not printed.
        match &self.kind {
            Kind::DigestMd5 { username, .. } => f
                .debug_struct("SaslOptions")
                .field("mechanism", &"DIGEST-MD5")
                .field("username", username)
                .finish_non_exhaustive(),
        }
    }
}
