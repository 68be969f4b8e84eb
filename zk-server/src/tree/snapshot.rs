//! Snapshots and the data tree: a tree from a snapshot's nodes, as ZooKeeper's
//! `DataTree.deserialize` builds it (nodes in the file's order, each child added to its parent
//! as it comes, which is the order the parent's set of children grows in; ACLs from the
//! snapshot's ACL cache; the sessions' ephemeral sets from the owners), and a snapshot of the
//! tree, as ZooKeeper 3.8's `FileSnap.serialize` writes one.

use std::collections::HashMap;
use std::sync::Arc;

use jute::Encode;
use jute_schemas::data::{Stat, StatPersisted, ACL as Acl};
use jute_schemas::persistence::FileHeader;
use jute_schemas::protocol::perms;

use super::{len_i32, split, world, DataTree, Node};
use crate::ondisk::snapshot::Snapshot;
use crate::ondisk::{adler32, FileError, SNAPSHOT_MAGIC};
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
            let stat = from_persisted(&n.stat);
            let data = n.data.clone().unwrap_or_default();
            if n.path != "/" {
                let (parent, name) = split(&n.path);
                let Some(p) = tree.nodes.get_mut(parent) else {
                    return Err(at(format!("its parent {parent:?} does not come before it")));
                };
                p.add_child(name);
                p.stat.num_children = len_i32(p.child_count());
                if let Owner::Session(id) = Owner::decode(n.stat.ephemeral_owner, extended_types) {
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
        tree.digest = tree.recompute_digest();
        Ok(tree)
    }
}

/// The nodes ZooKeeper's own tree makes with the ACL id -1 (open to anyone, not stored in the
/// ACL cache).
const UNCACHED: [&str; 3] = ["/", "/zookeeper", "/zookeeper/quota"];

impl DataTree {
    /// The tree as a ZooKeeper 3.8 snapshot file (`version-2/snapshot.<zxid>`): the header,
    /// `sessions` (id, timeout), the ACL cache, every node in pre-order with children in the
    /// order ZooKeeper lists them, a seal, the digest after `zxid` (the last transaction
    /// applied), and a second seal. Written with an explicit stack: no recursion, however deep
    /// the tree.
    pub fn write_snapshot(&self, sessions: &[(i64, i32)], zxid: i64) -> Vec<u8> {
        let mut out = Vec::new();
        FileHeader {
            magic: SNAPSHOT_MAGIC,
            version: 2,
            dbid: -1,
        }
        .encode(&mut out);
        len_i32(sessions.len()).encode(&mut out);
        for (id, timeout) in sessions {
            id.encode(&mut out);
            timeout.encode(&mut out);
        }
        // The ACL cache: an id for each distinct ACL, in the order the walk meets them.
        let order = self.preorder();
        let open = world(perms::ALL);
        let mut ids: HashMap<*const Vec<Acl>, i64> = HashMap::new();
        let mut cache: Vec<&Arc<Vec<Acl>>> = Vec::new();
        for (path, node) in &order {
            if UNCACHED.contains(&path.as_str()) && *node.acl == open {
                continue;
            }
            ids.entry(Arc::as_ptr(&node.acl)).or_insert_with(|| {
                cache.push(&node.acl);
                len_i64(cache.len())
            });
        }
        len_i32(cache.len()).encode(&mut out);
        for (i, acl) in cache.iter().enumerate() {
            len_i64(i + 1).encode(&mut out);
            acl.as_slice().to_vec().encode(&mut out);
        }
        for (path, node) in &order {
            let name = if path == "/" { "" } else { path.as_str() };
            name.encode(&mut out);
            node.data.as_slice().encode(&mut out);
            let uncached = UNCACHED.contains(&path.as_str()) && *node.acl == open;
            let id = ids.get(&Arc::as_ptr(&node.acl)).copied();
            id.filter(|_| !uncached)
                .unwrap_or(OPEN_ACL_ID)
                .encode(&mut out);
            persisted(&node.stat).encode(&mut out);
        }
        "/".encode(&mut out);
        seal(&mut out);
        zxid.encode(&mut out);
        super::DIGEST_VERSION.encode(&mut out);
        self.digest().encode(&mut out);
        seal(&mut out);
        out
    }

    /// Every node, parents before children, children in listing order (ZooKeeper's
    /// `serializeNode` walk).
    fn preorder(&self) -> Vec<(String, &Node)> {
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut stack = vec!["/".to_string()];
        while let Some(path) = stack.pop() {
            let Some(node) = self.nodes.get(&path) else {
                continue;
            };
            let children = node.listed_children();
            // Pushed in reverse so the first child comes out first.
            for c in children.iter().rev() {
                stack.push(super::child(&path, c));
            }
            order.push((path, node));
        }
        order
    }
}

/// A Stat as a snapshot keeps it (without the lengths, which the node's data and children give).
fn persisted(s: &Stat) -> StatPersisted {
    StatPersisted {
        czxid: s.czxid,
        mzxid: s.mzxid,
        ctime: s.ctime,
        mtime: s.mtime,
        version: s.version,
        cversion: s.cversion,
        aversion: s.aversion,
        ephemeral_owner: s.ephemeral_owner,
        pzxid: s.pzxid,
    }
}

/// A snapshot's Stat, its lengths 0 until the node's data and children set them.
fn from_persisted(s: &StatPersisted) -> Stat {
    Stat {
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
    }
}

/// The Adler-32 of every byte so far, as a long, and the path "/".
fn seal(out: &mut Vec<u8>) {
    i64::from(adler32(out)).encode(out);
    "/".encode(out);
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::Txn;
    use super::*;
    use crate::ondisk::snapshot;

    fn sample() -> DataTree {
        let mut t = DataTree::new(true);
        let mut zxid = 0;
        let mut create = |t: &mut DataTree, path: &str, owner: Owner, acl: Vec<Acl>| {
            zxid += 1;
            let parent = t.get(split(path).0).map_or(0, |p| p.stat.cversion);
            let txn = Txn::Create {
                path: path.into(),
                data: path.as_bytes().to_vec(),
                acl,
                owner,
                parent_cversion: parent + 1,
            };
            assert!(t.apply(&txn, zxid, 1_000 + zxid));
        };
        let read = world(perms::READ);
        create(&mut t, "/a", Owner::None, world(perms::ALL));
        create(&mut t, "/a/b", Owner::Session(7), read.clone());
        create(&mut t, "/c", Owner::Container, read);
        create(&mut t, "/c/d", Owner::Ttl(5_000), world(perms::ALL));
        for i in 0..20 {
            create(&mut t, &format!("/a/n{i}"), Owner::None, world(perms::ALL));
        }
        t
    }

    #[test]
    fn a_written_snapshot_reads_back_as_the_same_tree() {
        let tree = sample();
        let bytes = tree.write_snapshot(&[(7, 4_000)], 24);
        let snap = snapshot::read(&bytes).unwrap();
        assert_eq!(snap.sessions, [(7, 4_000)]);
        assert_eq!(snap.seals, 2);
        assert_eq!(snap.digest.as_ref().map(|d| d.zxid), Some(24));
        // The root and /zookeeper keep ZooKeeper's uncached open ACL (-1); the two ACLs in use
        // elsewhere (open, and read-only, which /zookeeper/config shares) are cached once each.
        assert_eq!(snap.acls.len(), 2, "{:?}", snap.acls);
        assert_eq!(snap.nodes.first().map(|n| n.acl_id), Some(-1));
        let back = DataTree::from_snapshot(&snap, true).unwrap();
        // Node by node as clients see them (the children's arrival counters restart).
        let seen = |t: &DataTree| -> Vec<_> {
            t.snapshot()
                .into_iter()
                .map(|(p, n)| {
                    (
                        p,
                        n.data.clone(),
                        n.acl.clone(),
                        n.stat.clone(),
                        n.listed_children(),
                    )
                })
                .collect()
        };
        assert!(seen(&back) == seen(&tree), "the trees differ");
        assert_eq!(back.ephemerals(7), ["/a/b"]);
        assert_eq!(back.digest(), tree.digest());
    }

    #[test]
    fn damaged_snapshots_are_errors_not_panics() {
        let bytes = sample().write_snapshot(&[(7, 4_000)], 24);
        let mut seed: u64 = 0x5eed;
        let mut next = move |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        for _ in 0..3_000 {
            let mut damaged = bytes.clone();
            match next(3) {
                0 => damaged.truncate(next(bytes.len())),
                _ => {
                    for _ in 0..=next(4) {
                        let at = next(damaged.len());
                        damaged[at] = next(256) as u8;
                    }
                }
            }
            // The seals catch what the decoding does not; a tree that does not hold together
            // is an error too. Neither may panic.
            if let Ok(snap) = snapshot::read(&damaged) {
                let _ = DataTree::from_snapshot(&snap, true);
            }
        }
    }
}
