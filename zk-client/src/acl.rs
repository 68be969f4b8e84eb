//! ACLs: the well-known lists, permission bits and digest ids computed as the server does.

use base64::Engine;
use sha1::{Digest, Sha1};

pub use jute_schemas::data::{Id, ACL as Acl};
pub use jute_schemas::protocol::perms;

fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
    Acl {
        perms,
        id: Id {
            scheme: Some(scheme.into()),
            id: Some(id.into()),
        },
    }
}

/// `world:anyone` with every permission (`OPEN_ACL_UNSAFE`).
pub fn open_unsafe() -> Vec<Acl> {
    vec![acl(perms::ALL, "world", "anyone")]
}

/// `world:anyone` may read (`READ_ACL_UNSAFE`).
pub fn read_unsafe() -> Vec<Acl> {
    vec![acl(perms::READ, "world", "anyone")]
}

/// Every permission for the ids the session authenticated with (`CREATOR_ALL_ACL`; the server
/// answers `InvalidAcl` when the session has none).
pub fn creator_all() -> Vec<Acl> {
    vec![acl(perms::ALL, "auth", "")]
}

/// An ACL entry granting `perms` to the holder of a client certificate with this subject, as
/// ZooKeeper's x509 provider names it (Java's RFC 2253 form, e.g. `CN=app,O=Example`; read it
/// from [`crate::Client::who_am_i`] rather than computing it).
pub fn x509(subject: &str, perms: i32) -> Acl {
    acl(perms, "x509", subject)
}

/// An ACL entry granting `perms` to a SASL identity (`sasl:<user>`; with Kerberos, the
/// principal as the server's auth-to-local rules leave it, e.g. `app@EXAMPLE.COM`).
pub fn sasl(user: &str, perms: i32) -> Acl {
    acl(perms, "sasl", user)
}

/// The digest id the server derives from `user:password`:
/// `user:` + Base64(SHA-1("user:password")).
///
/// ```
/// assert_eq!(zk_client::acl::digest_id("user", "pw"), "user:2Om+GBbT2q/tS6pdvACZbbm7/1A=");
/// ```
pub fn digest_id(user: &str, password: &str) -> String {
    let hash = Sha1::digest(format!("{user}:{password}").as_bytes());
    format!(
        "{user}:{}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// An ACL entry granting `perms` to the digest user `user` with `password`.
pub fn digest(user: &str, password: &str, perms: i32) -> Acl {
    acl(perms, "digest", &digest_id(user, password))
}
