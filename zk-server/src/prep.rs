//! What a write must pass before it becomes a transaction, in the order ZooKeeper's
//! `PrepRequestProcessor` checks it, so that a request wrong in two ways gets the error
//! ZooKeeper gives: for a create, the mode and TTL, the path, the ACL, the parent, the
//! parent's ACL, the sequence number, the node's existence, an ephemeral parent; for a
//! delete, the path, the parent's ACL, the node, its version, its children; for a setData,
//! the path, the node, its ACL, its version.
//!
//! Permission checks go through the caller's [`Access`] (the session's identities and the
//! super digest live there), so this module stays free of sessions.

use jute_schemas::data::{Id, ACL as Acl};
use jute_schemas::protocol::{perms, CreateMode, ErrorCode};

use crate::owner::{self, Owner};
use crate::tree::{split, DataTree, Txn, SPECIAL_PATHS};

/// Who is asking: whether the session may do `perm` on a node with `acl`, and the identities
/// an `auth` ACL expands to.
pub trait Access {
    /// Whether the session holds `perm` on a node with `acl` (ZooKeeper's `checkACL`).
    fn allows(&self, acl: &[Acl], perm: i32) -> bool;
    /// The session's authenticated identities an `auth` ACL stands for (digest, SASL, x509;
    /// not `ip`, whose provider does not count as authenticated).
    fn auth_ids(&self) -> Vec<Id>;
}

/// ZooKeeper's `PathUtils.validatePath`: absolute, no empty or relative segments, no trailing
/// slash (but the root), no control, surrogate, private-use or `\u{fff0}`-`\u{ffff}`
/// characters (Java sees a character above `\u{ffff}` as a surrogate pair, refused too).
pub fn valid_path(path: &str) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    if path.len() == 1 {
        return true;
    }
    if path.ends_with('/') {
        return false;
    }
    path[1..].split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment.chars().all(|c| {
                let c = u32::from(c);
                !(c == 0
                    || (0x01..=0x1f).contains(&c)
                    || (0x7f..=0x9f).contains(&c)
                    || (0xd800..=0xf8ff).contains(&c)
                    || c >= 0xfff0)
            })
    })
}

/// Whether an `ip` ACL id is valid: an IPv4 address, optionally `/bits` (0 to 32).
fn valid_ip(id: &str) -> bool {
    let (addr, bits) = match id.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (id, None),
    };
    if addr.parse::<std::net::Ipv4Addr>().is_err() {
        return false;
    }
    bits.is_none_or(|b| b.parse::<i32>().is_ok_and(|b| (0..=32).contains(&b)))
}

/// Whether a `digest` ACL id is valid: `user:hash`, as Java's `split(":").length == 2` (empty
/// trailing parts dropped) judges it.
fn valid_digest(id: &str) -> bool {
    let mut parts: Vec<&str> = id.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts.len() == 2
}

/// ZooKeeper's `fixupACL`: duplicates removed, `auth` expanded to the session's identities,
/// every other entry checked by its scheme. `InvalidAcl` when empty, malformed, of an unknown
/// scheme, or `auth` without an authenticated identity.
pub fn fixup_acl(acl: &[Acl], access: &dyn Access) -> Result<Vec<Acl>, ErrorCode> {
    let mut unique: Vec<&Acl> = Vec::new();
    for a in acl {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    if unique.is_empty() {
        return Err(ErrorCode::InvalidAcl);
    }
    let mut out = Vec::new();
    for a in unique {
        let (Some(scheme), id) = (a.id.scheme.as_deref(), a.id.id.as_deref()) else {
            return Err(ErrorCode::InvalidAcl);
        };
        match (scheme, id) {
            ("world", Some("anyone")) => out.push(a.clone()),
            ("auth", _) => {
                let ids = access.auth_ids();
                if ids.is_empty() {
                    return Err(ErrorCode::InvalidAcl);
                }
                out.extend(ids.into_iter().map(|id| Acl { perms: a.perms, id }));
            }
            ("digest", Some(id)) if valid_digest(id) => out.push(a.clone()),
            ("ip", Some(id)) if valid_ip(id) => out.push(a.clone()),
            _ => return Err(ErrorCode::InvalidAcl),
        }
    }
    Ok(out)
}

/// A create request, whichever of `create`, `create2`, `createContainer` or `createTTL` sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Create<'a> {
    /// The path (for sequential modes, the prefix).
    pub path: &'a str,
    /// The data.
    pub data: &'a [u8],
    /// The requested ACL.
    pub acl: &'a [Acl],
    /// The mode.
    pub mode: CreateMode,
    /// The time to live (`createTTL`), or -1.
    pub ttl: i64,
    /// The session asking.
    pub session: i64,
}

fn is_sequential(mode: CreateMode) -> bool {
    matches!(
        mode,
        CreateMode::PersistentSequential
            | CreateMode::EphemeralSequential
            | CreateMode::PersistentSequentialWithTtl
    )
}

fn is_ttl(mode: CreateMode) -> bool {
    matches!(
        mode,
        CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
    )
}

/// The transaction a create makes, or ZooKeeper's error for it.
pub fn create(tree: &DataTree, req: &Create<'_>, access: &dyn Access) -> Result<Txn, ErrorCode> {
    // validateCreateRequest: TTL modes need extended types; a TTL only with them.
    if is_ttl(req.mode) && !tree.extended_types() {
        return Err(ErrorCode::Unimplemented);
    }
    let ttl_ok = if is_ttl(req.mode) {
        owner::valid_ttl(req.ttl)
    } else {
        req.ttl < 0
    };
    if !ttl_ok {
        return Err(ErrorCode::BadArguments);
    }
    // validatePathForCreate: a slash somewhere, no NUL.
    if !req.path.contains('/') || req.path.contains('\0') {
        return Err(ErrorCode::BadArguments);
    }
    let acl = fixup_acl(req.acl, access)?;
    let (parent_path, _) = split(req.path);
    let Some(parent) = tree.get(parent_path) else {
        return Err(ErrorCode::NoNode);
    };
    if !access.allows(&parent.acl, perms::CREATE) {
        return Err(ErrorCode::NoAuth);
    }
    let parent_cversion = parent.stat.cversion;
    let path = if is_sequential(req.mode) {
        format!("{}{parent_cversion:010}", req.path)
    } else {
        req.path.to_string()
    };
    if !valid_path(&path) {
        return Err(ErrorCode::BadArguments);
    }
    if tree.get(&path).is_some() {
        return Err(ErrorCode::NodeExists);
    }
    if tree.owner(parent_path).is_some_and(|o| o.is_session()) {
        return Err(ErrorCode::NoChildrenForEphemerals);
    }
    let owner = match req.mode {
        CreateMode::Container => Owner::Container,
        CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl => {
            Owner::Ttl(req.ttl)
        }
        CreateMode::Ephemeral | CreateMode::EphemeralSequential => Owner::Session(req.session),
        CreateMode::Persistent | CreateMode::PersistentSequential => Owner::None,
    };
    Ok(Txn::Create {
        path,
        data: req.data.to_vec(),
        acl,
        owner,
        parent_cversion: parent_cversion.wrapping_add(1),
    })
}

/// `getParentPathAndValidate`: a slash somewhere, no NUL, not one of ZooKeeper's own paths.
fn parent_of(path: &str) -> Result<&str, ErrorCode> {
    if !path.contains('/') || path.contains('\0') || SPECIAL_PATHS.contains(&path) {
        return Err(ErrorCode::BadArguments);
    }
    Ok(split(path).0)
}

/// `checkAndIncVersion`: the expected version (-1: any) against the node's; the next version,
/// wrapping as Java's `int` does in 3.8 (3.9.2 and later skip -1 after `i32::MAX`).
fn next_version(current: i32, expected: i32) -> Result<i32, ErrorCode> {
    if expected != -1 && expected != current {
        return Err(ErrorCode::BadVersion);
    }
    Ok(current.wrapping_add(1))
}

/// The transaction a delete makes, or ZooKeeper's error for it.
pub fn delete(
    tree: &DataTree,
    path: &str,
    version: i32,
    access: &dyn Access,
) -> Result<Txn, ErrorCode> {
    let parent_path = parent_of(path)?;
    let Some(parent) = tree.get(parent_path) else {
        return Err(ErrorCode::NoNode);
    };
    if !access.allows(&parent.acl, perms::DELETE) {
        return Err(ErrorCode::NoAuth);
    }
    let Some(node) = tree.get(path) else {
        return Err(ErrorCode::NoNode);
    };
    next_version(node.stat.version, version)?;
    if node.child_count() > 0 {
        return Err(ErrorCode::NotEmpty);
    }
    Ok(Txn::Delete {
        path: path.to_string(),
    })
}

/// The transaction a setData makes, or ZooKeeper's error for it.
pub fn set_data(
    tree: &DataTree,
    path: &str,
    data: &[u8],
    version: i32,
    access: &dyn Access,
) -> Result<Txn, ErrorCode> {
    if !valid_path(path) {
        return Err(ErrorCode::BadArguments);
    }
    let Some(node) = tree.get(path) else {
        return Err(ErrorCode::NoNode);
    };
    if !access.allows(&node.acl, perms::WRITE) {
        return Err(ErrorCode::NoAuth);
    }
    let version = next_version(node.stat.version, version)?;
    Ok(Txn::SetData {
        path: path.to_string(),
        data: data.to_vec(),
        version,
    })
}

/// The transaction a setACL makes, or ZooKeeper's error for it (in its order: the path, the
/// ACL's form, the node, the ADMIN permission, the version).
pub fn set_acl(
    tree: &DataTree,
    path: &str,
    acl: &[Acl],
    version: i32,
    access: &dyn Access,
) -> Result<Txn, ErrorCode> {
    if !valid_path(path) {
        return Err(ErrorCode::BadArguments);
    }
    let acl = fixup_acl(acl, access)?;
    let Some(node) = tree.get(path) else {
        return Err(ErrorCode::NoNode);
    };
    if !access.allows(&node.acl, perms::ADMIN) {
        return Err(ErrorCode::NoAuth);
    }
    let version = next_version(node.stat.aversion, version)?;
    Ok(Txn::SetAcl {
        path: path.to_string(),
        acl,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::world;

    /// Allows everything but what `denied` names; `auth` expands to `ids`.
    struct Fixed {
        denied: i32,
        ids: Vec<Id>,
    }

    impl Access for Fixed {
        fn allows(&self, _: &[Acl], perm: i32) -> bool {
            perm & self.denied == 0
        }
        fn auth_ids(&self) -> Vec<Id> {
            self.ids.clone()
        }
    }

    const ANYONE: Fixed = Fixed {
        denied: 0,
        ids: Vec::new(),
    };

    fn req<'a>(path: &'a str, mode: CreateMode, acl: &'a [Acl]) -> Create<'a> {
        Create {
            path,
            data: b"",
            acl,
            mode,
            ttl: -1,
            session: 0x42,
        }
    }

    /// Prepares (against the tree as it is) and applies at `zxid`; the path it touched.
    macro_rules! apply {
        ($tree:ident, $prep:expr, $zxid:expr $(,)?) => {{
            let txn = $prep;
            apply_txn(&mut $tree, txn, $zxid)
        }};
    }

    fn apply_txn(tree: &mut DataTree, txn: Result<Txn, ErrorCode>, zxid: i64) -> String {
        let txn = txn.expect("a transaction");
        let path = match &txn {
            Txn::Create { path, .. }
            | Txn::Delete { path }
            | Txn::SetData { path, .. }
            | Txn::SetAcl { path, .. } => path.clone(),
            Txn::CloseSession { .. } => String::new(),
        };
        assert!(tree.apply(&txn, zxid, 0));
        path
    }

    #[test]
    fn paths_are_judged_as_pathutils_judges_them() {
        for ok in ["/", "/a", "/a/b", "/a.b", "/...", "/a/..b", "/ü"] {
            assert!(valid_path(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "/a/",
            "//a",
            "/a//b",
            "/.",
            "/a/..",
            "/a/./b",
            "/a\0",
            "/\u{1}",
            "/\u{7f}",
            "/\u{e000}",
            "/\u{fff0}",
            "/\u{1f600}",
        ] {
            assert!(!valid_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn sequential_names_follow_the_parents_cversion() {
        let mut t = DataTree::default();
        let open = world(perms::ALL);
        let p = apply!(
            t,
            create(&t, &req("/q", CreateMode::Persistent, &open), &ANYONE),
            2,
        );
        assert_eq!(p, "/q");
        let a = apply!(
            t,
            create(
                &t,
                &req("/q/n-", CreateMode::PersistentSequential, &open),
                &ANYONE
            ),
            3,
        );
        assert_eq!(a, "/q/n-0000000000");
        apply!(t, delete(&t, &a, -1, &ANYONE), 4);
        // A delete does not move cversion, so the next number is the next one, not a reuse.
        let b = apply!(
            t,
            create(
                &t,
                &req("/q/n-", CreateMode::EphemeralSequential, &open),
                &ANYONE
            ),
            5,
        );
        assert_eq!(b, "/q/n-0000000001");
        assert_eq!(t.ephemerals(0x42), [b]);
    }

    #[test]
    fn errors_come_in_zookeepers_order() {
        let mut t = DataTree::default();
        let open = world(perms::ALL);
        apply!(
            t,
            create(&t, &req("/e", CreateMode::Ephemeral, &open), &ANYONE),
            2
        );
        apply!(
            t,
            create(&t, &req("/p", CreateMode::Persistent, &open), &ANYONE),
            3
        );
        let none: &[Acl] = &[];
        // The mode before the path, the path before the ACL, the ACL before the parent.
        let mut ttl = req("bad", CreateMode::PersistentWithTtl, none);
        assert_eq!(create(&t, &ttl, &ANYONE), Err(ErrorCode::Unimplemented));
        ttl.mode = CreateMode::Persistent;
        ttl.ttl = 5;
        assert_eq!(create(&t, &ttl, &ANYONE), Err(ErrorCode::BadArguments));
        assert_eq!(
            create(&t, &req("bad", CreateMode::Persistent, none), &ANYONE),
            Err(ErrorCode::BadArguments)
        );
        assert_eq!(
            create(
                &t,
                &req("/missing/x", CreateMode::Persistent, none),
                &ANYONE
            ),
            Err(ErrorCode::InvalidAcl)
        );
        assert_eq!(
            create(
                &t,
                &req("/missing/x", CreateMode::Persistent, &open),
                &ANYONE
            ),
            Err(ErrorCode::NoNode)
        );
        // The parent's ACL before the node's existence.
        let no_create = Fixed {
            denied: perms::CREATE,
            ids: Vec::new(),
        };
        assert_eq!(
            create(&t, &req("/p", CreateMode::Persistent, &open), &no_create),
            Err(ErrorCode::NoAuth)
        );
        assert_eq!(
            create(&t, &req("/p", CreateMode::Persistent, &open), &ANYONE),
            Err(ErrorCode::NodeExists)
        );
        // Existence before an ephemeral parent; then the ephemeral parent.
        apply!(
            t,
            create(&t, &req("/e2", CreateMode::Persistent, &open), &ANYONE),
            4
        );
        assert_eq!(
            create(&t, &req("/e/c", CreateMode::Persistent, &open), &ANYONE),
            Err(ErrorCode::NoChildrenForEphemerals)
        );
        // The path is checked again once numbered: a sequential name under a bad prefix.
        assert_eq!(
            create(&t, &req("/p/", CreateMode::Persistent, &open), &ANYONE),
            Err(ErrorCode::BadArguments)
        );
        // Deletes: the special paths, the parent's ACL, the node, the version, the children.
        assert_eq!(
            delete(&t, "/zookeeper", -1, &ANYONE),
            Err(ErrorCode::BadArguments)
        );
        let no_delete = Fixed {
            denied: perms::DELETE,
            ids: Vec::new(),
        };
        assert_eq!(
            delete(&t, "/nothing", -1, &no_delete),
            Err(ErrorCode::NoAuth)
        );
        assert_eq!(delete(&t, "/nothing", -1, &ANYONE), Err(ErrorCode::NoNode));
        apply!(
            t,
            create(&t, &req("/p/c", CreateMode::Persistent, &open), &ANYONE),
            5
        );
        assert_eq!(delete(&t, "/p", 3, &ANYONE), Err(ErrorCode::BadVersion));
        assert_eq!(delete(&t, "/p", 0, &ANYONE), Err(ErrorCode::NotEmpty));
        // setData: the node before its ACL, the ACL before the version.
        let no_write = Fixed {
            denied: perms::WRITE,
            ids: Vec::new(),
        };
        assert_eq!(
            set_data(&t, "/x", b"", 9, &no_write),
            Err(ErrorCode::NoNode)
        );
        assert_eq!(
            set_data(&t, "/p", b"", 9, &no_write),
            Err(ErrorCode::NoAuth)
        );
        assert_eq!(
            set_data(&t, "/p", b"", 9, &ANYONE),
            Err(ErrorCode::BadVersion)
        );
        assert_eq!(
            set_data(&t, "/p", b"v", 0, &ANYONE),
            Ok(Txn::SetData {
                path: "/p".into(),
                data: b"v".to_vec(),
                version: 1
            })
        );
    }

    #[test]
    fn acls_are_fixed_up_as_zookeeper_does() {
        let entry = |perms, scheme: &str, id: &str| Acl {
            perms,
            id: Id {
                scheme: Some(scheme.into()),
                id: Some(id.into()),
            },
        };
        let digest = entry(31, "digest", "bob:hash=");
        // Duplicates go; valid digest and ip entries stay.
        let acl = [digest.clone(), digest.clone(), entry(1, "ip", "10.0.0.0/8")];
        assert_eq!(
            fixup_acl(&acl, &ANYONE),
            Ok(vec![digest.clone(), entry(1, "ip", "10.0.0.0/8")])
        );
        for bad in [
            entry(31, "world", "someone"),
            entry(31, "digest", "bob"),
            entry(31, "digest", "bob:"),
            entry(31, "digest", "a:b:c"),
            entry(31, "ip", "10.0.0.0/33"),
            entry(31, "ip", "not-an-address"),
            entry(31, "kerberos", "x"),
            entry(31, "auth", ""),
        ] {
            assert_eq!(
                fixup_acl(std::slice::from_ref(&bad), &ANYONE),
                Err(ErrorCode::InvalidAcl),
                "{bad:?}"
            );
        }
        // `auth` stands for the session's authenticated identities.
        let bob = Fixed {
            denied: 0,
            ids: vec![Id {
                scheme: Some("digest".into()),
                id: Some("bob:hash=".into()),
            }],
        };
        assert_eq!(fixup_acl(&[entry(31, "auth", "")], &bob), Ok(vec![digest]));
    }
}
