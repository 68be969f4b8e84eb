//! Who a connection is, and what that lets it do: ZooKeeper's `ip` and `digest`
//! authentication providers, its super user, and its ACL check.
//!
//! As in ZooKeeper, identities belong to the connection, not the session: each connection
//! starts as `ip:<its address>` (written as Java writes addresses), `setAuth` with the
//! `digest` scheme adds `digest:<user>:<base64 SHA-1 of user:password>` (and `super:` when
//! that digest is the configured super digest), and a resumed session on a new connection
//! starts again from its address. Any other scheme fails with `AuthFailed` (the caller
//! closes the connection).

use std::net::IpAddr;

use base64::Engine;
use jute_schemas::data::{ClientInfo, Id, ACL as Acl};
use jute_schemas::protocol::ErrorCode;
use sha1::{Digest, Sha1};

use crate::java;
use crate::prep::Access;

/// ZooKeeper's digest of `user:password`: `user:` then the base64 of the SHA-1 of the whole
/// string (`DigestAuthenticationProvider.generateDigest`).
///
/// ```
/// assert_eq!(
///     zk_server::auth::digest("super:secret"),
///     "super:lK75jTNcA+U9vtVEw5vB51mj/w4="
/// );
/// ```
pub fn digest(user_password: &str) -> String {
    let user = user_password.split(':').next().unwrap_or_default();
    let hash = Sha1::digest(user_password.as_bytes());
    format!(
        "{user}:{}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// An address as Java's `InetAddress.getHostAddress` writes it: dotted IPv4, or eight
/// uncompressed lowercase hex groups for IPv6 (`0:0:0:0:0:0:0:1`).
pub fn java_host_address(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            // Java reports an IPv4-mapped peer as its IPv4 address.
            Some(v4) => v4.to_string(),
            None => v6
                .segments()
                .iter()
                .map(|s| format!("{s:x}"))
                .collect::<Vec<_>>()
                .join(":"),
        },
    }
}

/// An address's bytes, as `IPAuthenticationProvider.addr2Bytes` reads them (IPv4 dotted
/// quads, or IPv6).
fn addr_bytes(s: &str) -> Option<Vec<u8>> {
    match s.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(v4.octets().to_vec()),
        IpAddr::V6(v6) => Some(v6.octets().to_vec()),
    }
}

fn mask(bytes: &mut [u8], bits: usize) {
    for (i, b) in bytes.iter_mut().enumerate() {
        let start = i * 8;
        if start >= bits {
            *b = 0;
        } else if bits - start < 8 {
            *b &= 0xffu8 << (8 - (bits - start));
        }
    }
}

/// Whether the address `id` matches the ACL expression `expr` (`addr` or `addr/bits`), as
/// `IPAuthenticationProvider.matches` judges it.
pub fn ip_matches(id: &str, expr: &str) -> bool {
    let (addr, bits) = match expr.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (expr, None),
    };
    let Some(mut acl) = addr_bytes(addr) else {
        return false;
    };
    let bits = match bits {
        None => acl.len() * 8,
        Some(b) => match b.parse::<usize>() {
            Ok(n) if n <= acl.len() * 8 => n,
            _ => return false,
        },
    };
    let Some(mut remote) = addr_bytes(id) else {
        return false;
    };
    if remote.len() != acl.len() {
        return false;
    }
    mask(&mut acl, bits);
    mask(&mut remote, bits);
    acl == remote
}

/// The bucket of a `ConcurrentHashMap` of `table` slots that ZooKeeper's `Id` (whose
/// Jute-made `hashCode` is `37 * (37 * 17 + scheme) + id`) falls in.
fn java_bucket(i: &Id, table: usize) -> usize {
    let scheme = java::string_hash(i.scheme.as_deref().unwrap_or_default());
    let id = java::string_hash(i.id.as_deref().unwrap_or_default());
    let h = 17i32
        .wrapping_mul(37)
        .wrapping_add(scheme)
        .wrapping_mul(37)
        .wrapping_add(id);
    java::bucket(h, table)
}

/// A connection's identities, in the order it gained them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identities {
    ids: Vec<Id>,
}

fn id(scheme: &str, id: &str) -> Id {
    Id {
        scheme: Some(scheme.to_string()),
        id: Some(id.to_string()),
    }
}

impl Identities {
    /// A new connection from `peer` (`None`: no address, so no `ip` identity).
    pub fn from_peer(peer: Option<IpAddr>) -> Identities {
        Identities {
            ids: peer
                .map(|p| vec![id("ip", &java_host_address(p))])
                .unwrap_or_default(),
        }
    }

    fn add(&mut self, new: Id) {
        if !self.ids.contains(&new) {
            self.ids.push(new);
        }
    }

    /// `setAuth` with `scheme` and `auth`; `super_digest` is the configured super user's
    /// digest (`user:base64`). `AuthFailed` for a scheme ZooKeeper has no provider for.
    pub fn authenticate(
        &mut self,
        scheme: &str,
        auth: &[u8],
        super_digest: Option<&str>,
    ) -> Result<(), ErrorCode> {
        match scheme {
            "digest" => {
                // Java reads the bytes as a string in the platform charset (UTF-8).
                let d = digest(&String::from_utf8_lossy(auth));
                if super_digest == Some(d.as_str()) {
                    self.add(id("super", ""));
                }
                self.add(id("digest", &d));
                Ok(())
            }
            // The `ip` provider authenticates the connection's own address again: the
            // identity it adds is the one the connection already has.
            "ip" => Ok(()),
            _ => Err(ErrorCode::AuthFailed),
        }
    }

    /// The identities, as `whoAmI` reports them: the scheme and the user (an `ip` identity's
    /// address, a digest's user name, nothing for `super`), in the order ZooKeeper lists
    /// them (its set of identities is a `ConcurrentHashMap`'s: by hash bucket, then by
    /// arrival).
    pub fn who_am_i(&self) -> Vec<ClientInfo> {
        let mut ids: Vec<&Id> = self.ids.iter().collect();
        let table = java::concurrent_table_size(ids.len());
        ids.sort_by_key(|i| java_bucket(i, table));
        ids.into_iter()
            .map(|i| {
                let scheme = i.scheme.clone().unwrap_or_default();
                let full = i.id.clone().unwrap_or_default();
                let user = match scheme.as_str() {
                    "digest" => full.split(':').next().unwrap_or_default().to_string(),
                    "ip" => full,
                    _ => String::new(),
                };
                ClientInfo {
                    auth_scheme: Some(scheme),
                    user: Some(user),
                }
            })
            .collect()
    }

    fn is_super(&self) -> bool {
        self.ids
            .iter()
            .any(|i| i.scheme.as_deref() == Some("super"))
    }
}

impl Access for Identities {
    /// `ZooKeeperServer.checkACL`: an empty ACL and the super user pass; otherwise an entry
    /// granting one of `perm`'s bits to `world:anyone`, or to an identity of the connection.
    fn allows(&self, acl: &[Acl], perm: i32) -> bool {
        if acl.is_empty() || self.is_super() {
            return true;
        }
        acl.iter().any(|a| {
            if a.perms & perm == 0 {
                return false;
            }
            let (scheme, expr) = (
                a.id.scheme.as_deref().unwrap_or_default(),
                a.id.id.as_deref().unwrap_or_default(),
            );
            if scheme == "world" && expr == "anyone" {
                return true;
            }
            self.ids.iter().any(|mine| {
                mine.scheme.as_deref() == Some(scheme)
                    && match (scheme, mine.id.as_deref()) {
                        ("digest", Some(d)) => d == expr,
                        ("ip", Some(addr)) => ip_matches(addr, expr),
                        _ => false,
                    }
            })
        })
    }

    /// The identities an `auth` ACL entry stands for: those of authenticated schemes
    /// (`digest`; not `ip`, and not `super`, which has no provider).
    fn auth_ids(&self) -> Vec<Id> {
        self.ids
            .iter()
            .filter(|i| i.scheme.as_deref() == Some("digest"))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(perms: i32, scheme: &str, expr: &str) -> Acl {
        Acl {
            perms,
            id: id(scheme, expr),
        }
    }

    #[test]
    fn digests_are_zookeepers() {
        // As ZooKeeper's `DigestAuthenticationProvider` prints them (its main method).
        assert_eq!(digest("user:pass"), "user:smGaoVKd/cQkjm7b88GyorAUz20=");
        assert_eq!(digest("nocolon"), "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g=");
    }

    #[test]
    fn addresses_are_written_as_java_writes_them() {
        assert_eq!(java_host_address("127.0.0.1".parse().unwrap()), "127.0.0.1");
        assert_eq!(java_host_address("::1".parse().unwrap()), "0:0:0:0:0:0:0:1");
        assert_eq!(
            java_host_address("::ffff:10.1.2.3".parse().unwrap()),
            "10.1.2.3"
        );
    }

    #[test]
    fn ip_acls_match_by_prefix() {
        assert!(ip_matches("127.0.0.1", "127.0.0.1"));
        assert!(ip_matches("127.0.0.1", "127.0.0.0/8"));
        assert!(ip_matches("127.1.2.3", "127.0.0.0/8"));
        assert!(!ip_matches("128.0.0.1", "127.0.0.0/8"));
        assert!(ip_matches("10.0.0.1", "0.0.0.0/0"));
        assert!(!ip_matches("127.0.0.1", "127.0.0.1/33"));
        assert!(!ip_matches("127.0.0.1", "127.0.0.1/x"));
        assert!(!ip_matches("127.0.0.1", "0:0:0:0:0:0:0:1"));
        assert!(ip_matches("0:0:0:0:0:0:0:1", "::1"));
        assert!(!ip_matches("127.0.0.1", "127.0.0.255/31"));
        assert!(ip_matches("127.0.0.254", "127.0.0.255/31"));
    }

    #[test]
    fn acls_are_checked_as_zookeeper_checks_them() {
        let mut me = Identities::from_peer(Some("127.0.0.1".parse().unwrap()));
        let read = 1;
        let write = 2;
        assert!(me.allows(&[], write), "an empty ACL lets everyone in");
        assert!(me.allows(&[acl(read, "world", "anyone")], read));
        assert!(!me.allows(&[acl(read, "world", "anyone")], write));
        assert!(me.allows(&[acl(write, "ip", "127.0.0.0/8")], write));
        let d = digest("alice:pw");
        assert!(!me.allows(&[acl(write, "digest", &d)], write));
        assert!(
            me.auth_ids().is_empty(),
            "an address is not an auth identity"
        );
        me.authenticate("digest", b"alice:pw", None).unwrap();
        me.authenticate("digest", b"alice:pw", None).unwrap();
        assert!(me.allows(&[acl(write, "digest", &d)], write));
        assert_eq!(me.auth_ids(), vec![id("digest", &d)]);
        assert_eq!(me.who_am_i().len(), 2, "no identity twice");
        assert_eq!(
            me.authenticate("kerberos", b"x", None),
            Err(ErrorCode::AuthFailed)
        );
        assert!(!me.allows(&[acl(read, "digest", "bob:x")], read));
        let sup = digest("super:boss");
        me.authenticate("digest", b"super:boss", Some(&sup))
            .unwrap();
        assert!(
            me.allows(&[acl(read, "digest", "bob:x")], 16),
            "the super user passes"
        );
        let pairs = |ids: &Identities| -> Vec<(String, String)> {
            ids.who_am_i()
                .into_iter()
                .map(|c| (c.auth_scheme.unwrap(), c.user.unwrap()))
                .collect()
        };
        let mut who = pairs(&me);
        who.sort();
        let mut expected = [
            ("digest", "alice"),
            ("digest", "super"),
            ("ip", "127.0.0.1"),
            ("super", ""),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        expected.sort();
        assert_eq!(who, expected);
        // The order ZooKeeper 3.8 lists a super user's identities in (tests/auth.rs).
        let mut boss = Identities::from_peer(Some("127.0.0.1".parse().unwrap()));
        boss.authenticate("digest", b"super:boss", Some(&sup))
            .unwrap();
        assert_eq!(
            pairs(&boss),
            [("super", ""), ("digest", "super"), ("ip", "127.0.0.1")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }
}
