//! Reads, answered from the tree as ZooKeeper's `FinalRequestProcessor` answers them: a path
//! with a NUL is `BadArguments`; a missing node is `NoNode` before any permission is checked;
//! `exists` and `getEphemerals` check no permission, the others `READ` (`getACL`: `READ` or
//! `ADMIN`). Paths are not validated further: a malformed one names no node (`NoNode`).

use jute_schemas::data::{Stat, ACL as Acl};
use jute_schemas::protocol::{perms, ErrorCode};

use crate::prep::Access;
use crate::tree::{DataTree, Node};

fn node<'a>(tree: &'a DataTree, path: &str) -> Result<&'a Node, ErrorCode> {
    if path.contains('\0') {
        return Err(ErrorCode::BadArguments);
    }
    tree.get(path).ok_or(ErrorCode::NoNode)
}

fn readable<'a>(
    tree: &'a DataTree,
    path: &str,
    access: &dyn Access,
) -> Result<&'a Node, ErrorCode> {
    let n = node(tree, path)?;
    if !access.allows(&n.acl, perms::READ) {
        return Err(ErrorCode::NoAuth);
    }
    Ok(n)
}

/// `exists`: the node's Stat (no permission needed).
pub fn exists(tree: &DataTree, path: &str) -> Result<Stat, ErrorCode> {
    node(tree, path)?;
    tree.stat(path).ok_or(ErrorCode::NoNode)
}

/// `getData`: the data and Stat.
pub fn get_data(
    tree: &DataTree,
    path: &str,
    access: &dyn Access,
) -> Result<(Vec<u8>, Stat), ErrorCode> {
    let n = readable(tree, path, access)?;
    Ok((n.data.clone(), n.client_stat(tree.extended_types())))
}

/// `getChildren2` (and, without the Stat, `getChildren`): the children's names, sorted, and
/// the node's Stat.
pub fn get_children(
    tree: &DataTree,
    path: &str,
    access: &dyn Access,
) -> Result<(Vec<String>, Stat), ErrorCode> {
    let n = readable(tree, path, access)?;
    Ok((n.listed_children(), n.client_stat(tree.extended_types())))
}

/// `getAllChildrenNumber`: how many nodes are under the path.
pub fn get_all_children_number(
    tree: &DataTree,
    path: &str,
    access: &dyn Access,
) -> Result<i32, ErrorCode> {
    readable(tree, path, access)?;
    let count = tree.descendants(path).ok_or(ErrorCode::NoNode)?;
    Ok(i32::try_from(count).unwrap_or(i32::MAX))
}

/// `getACL`: the ACL and Stat, for a session that may read or administer the node. Without
/// ADMIN, digest entries show their user only (`user:x`), as ZooKeeper hides the hash.
pub fn get_acl(
    tree: &DataTree,
    path: &str,
    access: &dyn Access,
) -> Result<(Vec<Acl>, Stat), ErrorCode> {
    let n = node(tree, path)?;
    if !access.allows(&n.acl, perms::READ | perms::ADMIN) {
        return Err(ErrorCode::NoAuth);
    }
    let mut acl = n.acl.to_vec();
    if !access.allows(&n.acl, perms::ADMIN) {
        for a in &mut acl {
            if a.id.scheme.as_deref() == Some("digest") {
                if let Some(id) = &mut a.id.id {
                    if let Some(colon) = id.find(':') {
                        id.replace_range(colon.., ":x");
                    }
                }
            }
        }
    }
    Ok((acl, n.client_stat(tree.extended_types())))
}

/// `getEphemerals`: the session's ephemeral nodes whose paths start with `prefix` (`/`: all).
pub fn get_ephemerals(tree: &DataTree, session: i64, prefix: &str) -> Vec<String> {
    tree.ephemerals_listed(session)
        .into_iter()
        .filter(|p| prefix == "/" || p.starts_with(prefix))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owner::Owner;
    use crate::tree::{world, Txn};
    use jute_schemas::data::Id;

    struct Only(i32);

    impl Access for Only {
        fn allows(&self, _: &[Acl], perm: i32) -> bool {
            perm & self.0 != 0
        }
        fn auth_ids(&self) -> Vec<Id> {
            Vec::new()
        }
    }

    #[test]
    fn a_missing_node_before_a_permission() {
        let mut t = DataTree::default();
        let create = |path: &str, owner| Txn::Create {
            path: path.into(),
            data: b"v".to_vec(),
            acl: world(perms::ALL),
            owner,
            parent_cversion: 1,
        };
        assert!(t.apply(&create("/a", Owner::None), 2, 0));
        assert!(t.apply(&create("/a/e", Owner::Session(9)), 3, 0));
        let nothing = Only(0);
        assert_eq!(get_data(&t, "/x", &nothing), Err(ErrorCode::NoNode));
        assert_eq!(get_data(&t, "/a", &nothing), Err(ErrorCode::NoAuth));
        assert_eq!(get_data(&t, "/a\0", &nothing), Err(ErrorCode::BadArguments));
        assert_eq!(
            get_data(&t, "/a/", &Only(perms::READ)),
            Err(ErrorCode::NoNode)
        );
        assert_eq!(exists(&t, "/a").map(|s| s.num_children), Ok(1));
        assert_eq!(
            get_children(&t, "/a", &Only(perms::READ)).map(|(c, _)| c),
            Ok(vec!["e".to_string()])
        );
        assert_eq!(get_all_children_number(&t, "/", &Only(perms::READ)), Ok(5));
        assert!(get_acl(&t, "/a", &Only(perms::ADMIN)).is_ok());
        assert_eq!(
            get_acl(&t, "/a", &Only(perms::WRITE)),
            Err(ErrorCode::NoAuth)
        );
        assert_eq!(get_ephemerals(&t, 9, "/a"), ["/a/e"]);
        assert_eq!(get_ephemerals(&t, 9, "/b"), Vec::<String>::new());
    }
}
