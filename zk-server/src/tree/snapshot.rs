//! A data tree from a snapshot's nodes, as ZooKeeper's `DataTree.deserialize` builds it: nodes
//! in the file's order (each child added to its parent as it comes, which is the order the
//! parent's set of children grows in), ACLs from the snapshot's ACL cache, and the sessions'
//! ephemeral sets from the owners.

use std::collections::HashMap;
use std::sync::Arc;

use jute_schemas::data::{Stat, ACL as Acl};
use jute_schemas::protocol::perms;

use super::{len_i32, split, world, DataTree, Node};
use crate::ondisk::snapshot::Snapshot;
use crate::ondisk::FileError;
use crate::owner::Owner;

/// The ACL id ZooKeeper's cache gives the open ACL (`world:anyone`, every permission) without
/// storing it.
const OPEN_ACL_ID: i64 = -1;

impl DataTree {
    /// The tree a snapshot holds. A snapshot whose nodes do not make a tree (a node before its
    /// parent, a path twice, no root) or that names an ACL its cache lacks is refused, naming
    /// the node and its offset in the file.
    pub fn from_snapshot(snap: &Snapshot, extended_types: bool) -> Result<DataTree, FileError> {
        let mut tree = DataTree::new(extended_types);
        tree.nodes.clear();
        let mut acls: HashMap<i64, Arc<Vec<Acl>>> = HashMap::new();
        for (id, list) in &snap.acls {
            acls.insert(*id, tree.intern(list));
        }
        let open = tree.intern(&world(perms::ALL));
        for n in &snap.nodes {
            let at = |what: String| FileError {
                offset: n.offset,
                what: format!("node {:?}: {what}", n.path),
            };
            let acl = match acls.get(&n.acl_id) {
                Some(acl) => acl.clone(),
                None if n.acl_id == OPEN_ACL_ID => open.clone(),
                None => return Err(at(format!("ACL id {} is not in the ACL cache", n.acl_id))),
            };
            if tree.nodes.contains_key(&n.path) {
                return Err(at("a second node with this path".into()));
            }
            let s = &n.stat;
            let stat = Stat {
                czxid: s.czxid,
                mzxid: s.mzxid,
                ctime: s.ctime,
                mtime: s.mtime,
                version: s.version,
                cversion: s.cversion,
                aversion: s.aversion,
                ephemeral_owner: s.ephemeral_owner,
                data_length: 0,
                num_children: 0,
                pzxid: s.pzxid,
            };
            let data = n.data.clone().unwrap_or_default();
            if n.path != "/" {
                let (parent, name) = split(&n.path);
                let Some(p) = tree.nodes.get_mut(parent) else {
                    return Err(at(format!("its parent {parent:?} does not come before it")));
                };
                p.add_child(name);
                p.stat.num_children = len_i32(p.child_count());
                if let Owner::Session(id) = Owner::decode(s.ephemeral_owner, extended_types) {
                    tree.ephemerals.entry(id).or_default().added(&n.path);
                }
            } else if !tree.nodes.is_empty() {
                return Err(at("the root comes after other nodes".into()));
            }
            tree.nodes
                .insert(n.path.clone(), Node::new(data, acl, stat));
        }
        if !tree.nodes.contains_key("/") {
            return Err(FileError {
                offset: 16,
                what: "the snapshot holds no root node".into(),
            });
        }
        Ok(tree)
    }
}
