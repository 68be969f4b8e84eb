//! The data tree: every node with its data, ACL, persisted Stat and children, and the
//! transactions that change it, applied as ZooKeeper's `DataTree.processTxn` applies them.
//!
//! A fresh tree holds what ZooKeeper's holds: `/`, `/zookeeper`, `/zookeeper/quota` (open
//! ACL, zero Stats) and `/zookeeper/config` (empty, read-only ACL, `aversion` -1, as
//! `DataTree.addConfigNode` leaves it). Paths are kept whole in one map (no recursion walks
//! the tree), children as sets of names that list in ZooKeeper's order, and each distinct ACL
//! once, shared by the nodes that have it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};

use crate::java::HashSetOrder;

use jute_schemas::data::{Id, Stat, ACL as Acl};
use jute_schemas::protocol::perms;

use crate::owner::Owner;

mod digest;
mod journal;
mod snapshot;
pub use digest::{node_digest, DIGEST_VERSION};
use journal::{record, Undo};

/// The paths ZooKeeper owns: not to be deleted or created under by clients' deletes.
pub const SPECIAL_PATHS: [&str; 4] = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"];

/// One node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its data.
    pub data: Vec<u8>,
    /// Its ACL, shared by every node with the same one (as ZooKeeper's ACL cache shares them).
    pub acl: Arc<Vec<Acl>>,
    /// Its Stat as ZooKeeper keeps it (`StatPersisted`, with `dataLength` and `numChildren`
    /// kept current): `cversion` counts the creates under it. Clients see
    /// [`Node::client_stat`].
    pub stat: Stat,
    /// Its children's names, with what the order ZooKeeper lists them in depends on
    /// ([`Node::listed_children`]).
    kids: HashSetOrder,
}

impl Node {
    fn new(data: Vec<u8>, acl: Arc<Vec<Acl>>, stat: Stat) -> Node {
        let mut node = Node {
            data,
            acl,
            stat,
            kids: HashSetOrder::default(),
        };
        node.stat.data_length = len_i32(node.data.len());
        node
    }
}

impl Node {
    /// Adds a child; whether it was new.
    fn add_child(&mut self, name: &str) -> bool {
        if self.kids.contains(name) {
            return false;
        }
        self.kids.added(name);
        true
    }

    /// Removes a child: when it had come, if it was there.
    fn remove_child(&mut self, name: &str) -> Option<u64> {
        self.kids.removed(name)
    }

    /// How many children it has.
    pub fn child_count(&self) -> usize {
        self.kids.len()
    }

    /// Its children's names, in no particular order.
    pub fn children(&self) -> impl Iterator<Item = &str> {
        self.kids.names()
    }

    /// The children in the order ZooKeeper lists them: its `DataNode` keeps them in a
    /// `HashSet` made with room for 8 ([`HashSetOrder`]).
    pub fn listed_children(&self) -> Vec<String> {
        self.kids.list(8)
    }

    /// The Stat as a reply carries it (ZooKeeper's `DataNode.copyStat`): the kept `cversion`
    /// counts creates, and every child no longer there was a create and a delete, so clients
    /// see `2 × creates - children` (a fresh `/zookeeper` with its two children shows -2);
    /// and only a session's node shows its owner (containers and TTL nodes show 0).
    pub fn client_stat(&self, extended_types: bool) -> Stat {
        let owner = self.stat.ephemeral_owner;
        Stat {
            ephemeral_owner: if Owner::decode(owner, extended_types).is_session() {
                owner
            } else {
                0
            },
            cversion: self
                .stat
                .cversion
                .wrapping_mul(2)
                .wrapping_sub(self.stat.num_children),
            ..self.stat.clone()
        }
    }
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `world:anyone` with `perms`.
pub fn world(perms: i32) -> Vec<Acl> {
    vec![Acl {
        perms,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }]
}

/// A change to the tree, as a transaction carries it (ZooKeeper's `CreateTxn`, `DeleteTxn`,
/// `SetDataTxn`), with what [`crate::prep`] decided: the final path, the owner, the parent's
/// new `cversion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Txn {
    /// Create a node.
    Create {
        /// The final path (with its sequence number).
        path: String,
        /// Its data.
        data: Vec<u8>,
        /// Its ACL.
        acl: Vec<Acl>,
        /// Its owner.
        owner: Owner,
        /// The parent's `cversion` after the create.
        parent_cversion: i32,
    },
    /// Delete a node.
    Delete {
        /// Its path.
        path: String,
    },
    /// End a session: its ephemeral nodes go, all at the transaction's zxid (ZooKeeper's
    /// `closeSession`, also made for an expiry).
    CloseSession {
        /// The session.
        session: i64,
    },
    /// Set a node's data.
    SetData {
        /// Its path.
        path: String,
        /// The new data.
        data: Vec<u8>,
        /// The node's new version.
        version: i32,
    },
    /// Set a node's ACL.
    SetAcl {
        /// Its path.
        path: String,
        /// The new ACL.
        acl: Vec<Acl>,
        /// The node's new `aversion`.
        version: i32,
    },
}

/// The data tree.
#[derive(Debug, Clone)]
pub struct DataTree {
    nodes: HashMap<String, Node>,
    /// Each session's ephemeral nodes: its set lives from its first ephemeral to its end (as
    /// ZooKeeper's does, emptied or not, which its order depends on).
    ephemerals: HashMap<i64, HashSetOrder>,
    /// Whether `ephemeralOwner`s are read with the extended (TTL) forms.
    extended_types: bool,
    /// The ACLs of the nodes deleted since [`DataTree::take_deleted_acls`] was last called:
    /// a `NodeDeleted` notification goes only to sessions that could read the node.
    deleted_acls: HashMap<String, Arc<Vec<Acl>>>,
    /// The ACLs in use, each kept once ([`DataTree::intern`]).
    acls: HashMap<Vec<Acl>, Weak<Vec<Acl>>>,
    /// How many ACLs were in use after the last sweep of the dropped ones.
    acls_live: usize,
    /// While a multi runs: how to take its changes back ([`DataTree::begin`]).
    journal: Option<Vec<Undo>>,
    /// The digest ([`DataTree::digest`]), kept as the nodes change.
    digest: i64,
    /// The digest when the journal was opened.
    digest_at_begin: i64,
}

impl Default for DataTree {
    fn default() -> Self {
        DataTree::new(false)
    }
}

/// The parent path and the last name of `path` (`/a/b` → `/a`, `b`; `/a` → `/`, `a`).
pub fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

impl DataTree {
    /// A fresh tree (`extended_types`: ZooKeeper's `zookeeper.extendedTypesEnabled`, which
    /// allows TTL nodes).
    pub fn new(extended_types: bool) -> DataTree {
        let open = Arc::new(world(perms::ALL));
        let read = Arc::new(world(perms::READ));
        let mut nodes = HashMap::new();
        let mut root = Node::new(Vec::new(), open.clone(), Stat::default());
        root.add_child("zookeeper");
        let mut zookeeper = Node::new(Vec::new(), open.clone(), Stat::default());
        zookeeper.add_child("quota");
        zookeeper.add_child("config");
        let quota = Node::new(Vec::new(), open.clone(), Stat::default());
        let config = Node::new(
            Vec::new(),
            read.clone(),
            Stat {
                aversion: -1,
                ..Stat::default()
            },
        );
        nodes.insert("/".to_string(), root);
        nodes.insert("/zookeeper".to_string(), zookeeper);
        nodes.insert("/zookeeper/quota".to_string(), quota);
        nodes.insert("/zookeeper/config".to_string(), config);
        let mut tree = DataTree {
            nodes,
            ephemerals: HashMap::new(),
            extended_types,
            deleted_acls: HashMap::new(),
            acls: HashMap::from([
                (world(perms::ALL), Arc::downgrade(&open)),
                (world(perms::READ), Arc::downgrade(&read)),
            ]),
            acls_live: 2,
            journal: None,
            digest: 0,
            digest_at_begin: 0,
        };
        tree.digest = tree.recompute_digest();
        for path in SPECIAL_PATHS {
            tree.refresh_children_count(path);
        }
        tree
    }

    /// The one shared copy of `acl`: nodes with the same ACL point at one list. Copies no
    /// node uses any more are swept once the table has doubled since the last sweep.
    fn intern(&mut self, acl: &[Acl]) -> Arc<Vec<Acl>> {
        if let Some(shared) = self.acls.get(acl).and_then(Weak::upgrade) {
            return shared;
        }
        let shared = Arc::new(acl.to_vec());
        self.acls.insert(acl.to_vec(), Arc::downgrade(&shared));
        if self.acls.len() > 2 * self.acls_live.max(64) {
            self.acls.retain(|_, w| w.strong_count() > 0);
            self.acls_live = self.acls.len();
        }
        shared
    }

    /// Whether TTL nodes are allowed.
    pub fn extended_types(&self) -> bool {
        self.extended_types
    }

    fn refresh_children_count(&mut self, path: &str) {
        if let Some(n) = self.nodes.get_mut(path) {
            n.stat.num_children = len_i32(n.child_count());
        }
    }

    /// The node at `path`.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// How many nodes the tree holds (the special ones included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty (never: the special nodes are always there).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The Stat of the node at `path` as a reply carries it (see [`Node::client_stat`]).
    pub fn stat(&self, path: &str) -> Option<Stat> {
        self.nodes
            .get(path)
            .map(|n| n.client_stat(self.extended_types))
    }

    /// The owner of the node at `path` as this tree reads owners.
    pub fn owner(&self, path: &str) -> Option<Owner> {
        self.nodes
            .get(path)
            .map(|n| Owner::decode(n.stat.ephemeral_owner, self.extended_types))
    }

    /// The containers and TTL nodes whose time has come at wall time `wall_ms`, sorted
    /// (ZooKeeper's `ContainerManager.getCandidates`): a container that had children and has
    /// none left; a childless TTL node not modified for longer than its TTL. A container that
    /// never had a child stays (`znode.container.maxNeverUsedIntervalMs` is 0 by default).
    pub fn reapable(&self, wall_ms: i64) -> Vec<String> {
        let mut due: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.child_count() == 0)
            .filter(
                |(_, n)| match Owner::decode(n.stat.ephemeral_owner, self.extended_types) {
                    Owner::Container => n.stat.cversion > 0,
                    Owner::Ttl(ttl) => ttl != 0 && wall_ms.saturating_sub(n.stat.mtime) > ttl,
                    _ => false,
                },
            )
            .map(|(p, _)| p.clone())
            .collect();
        due.sort();
        due
    }

    /// The ACLs of the nodes deleted since the last call, by path (for filtering the
    /// notifications of their deletes).
    pub fn take_deleted_acls(&mut self) -> HashMap<String, Arc<Vec<Acl>>> {
        std::mem::take(&mut self.deleted_acls)
    }

    /// Every session that has had ephemeral nodes, and its nodes in ZooKeeper's order,
    /// sessions sorted (what `dump` lists).
    pub fn all_ephemerals(&self) -> BTreeMap<i64, Vec<String>> {
        self.ephemerals
            .iter()
            .map(|(id, set)| (*id, set.list(16)))
            .collect()
    }

    /// How many ephemeral nodes there are (`mntr`'s `zk_ephemerals_count`).
    pub fn ephemeral_count(&self) -> usize {
        self.ephemerals.values().map(HashSetOrder::len).sum()
    }

    /// Takes a session's set of ephemerals out of the tree (its nodes stay), as ZooKeeper's
    /// `killSession` does before deleting them.
    pub fn take_ephemerals(&mut self, session: i64) -> Option<HashSetOrder> {
        self.ephemerals.remove(&session)
    }

    /// ZooKeeper's `setCversionPzxid`: the node's cversion becomes `cversion` (-1: one more),
    /// with its pzxid `zxid`, if that moves it forward; whether the node exists.
    pub fn set_cversion_pzxid(&mut self, path: &str, cversion: i32, zxid: i64) -> bool {
        let Some(node) = self.nodes.get_mut(path) else {
            return false;
        };
        let cversion = if cversion == -1 {
            node.stat.cversion.wrapping_add(1)
        } else {
            cversion
        };
        if cversion > node.stat.cversion {
            record(&mut self.journal, || Undo::Stat {
                path: path.to_string(),
                stat: node.stat.clone(),
            });
            let before = node_digest(path, node);
            node.stat.cversion = cversion;
            node.stat.pzxid = zxid;
            let after = node_digest(path, node);
            self.digest = self.digest.wrapping_sub(before).wrapping_add(after);
        }
        true
    }

    /// The bytes of every node's path and data (`mntr`'s `zk_approximate_data_size`, as
    /// ZooKeeper's `DataTree.approximateDataSize` counts them).
    pub fn approximate_data_size(&self) -> u64 {
        self.nodes
            .iter()
            .map(|(p, n)| (p.len() + n.data.len()) as u64)
            .sum()
    }

    /// The session's ephemeral nodes, in the order ZooKeeper's set of them iterates.
    pub fn ephemerals(&self, session: i64) -> Vec<String> {
        self.ephemerals
            .get(&session)
            .map(|s| s.list(16))
            .unwrap_or_default()
    }

    /// The session's ephemeral nodes as `getEphemerals` lists them, and in the order the
    /// session's end deletes them (ZooKeeper takes both from a copy of its set, which
    /// iterates in an order of its own).
    pub fn ephemerals_listed(&self, session: i64) -> Vec<String> {
        self.ephemerals
            .get(&session)
            .map(|s| s.list_of_copy(16))
            .unwrap_or_default()
    }

    /// How many nodes are under `path` (not counting it), as `getAllChildrenNumber` answers;
    /// `None` when it does not exist. Walks with a stack, not recursion.
    pub fn descendants(&self, path: &str) -> Option<usize> {
        let node = self.nodes.get(path)?;
        let mut count = 0;
        let mut stack: Vec<String> = node.children().map(|c| child(path, c)).collect();
        while let Some(p) = stack.pop() {
            count += 1;
            if let Some(n) = self.nodes.get(&p) {
                stack.extend(n.children().map(|c| child(&p, c)));
            }
        }
        Some(count)
    }

    /// Applies a transaction at `zxid` and `time` (ms since the epoch). A transaction comes from
    /// [`crate::prep`] and was checked against this tree: one that no longer fits (its parent
    /// gone, its node gone) changes nothing and returns `false`, as ZooKeeper's `processTxn`
    /// skips a `NoNode` when replaying.
    pub fn apply(&mut self, txn: &Txn, zxid: i64, time: i64) -> bool {
        // The digest follows the nodes the transaction touches: theirs before, theirs after.
        let touched = self.touched(txn);
        let before = self.digest_of(&touched);
        let applied = self.apply_txn(txn, zxid, time);
        let after = self.digest_of(&touched);
        self.digest = self.digest.wrapping_sub(before).wrapping_add(after);
        applied
    }

    /// The nodes a transaction can change: the node and its parent; for a session's end, its
    /// ephemerals and their parents.
    fn touched(&self, txn: &Txn) -> Vec<String> {
        let with_parent = |path: &str| {
            let parent = split(path).0;
            if parent == path || parent.is_empty() {
                vec![path.to_string()]
            } else {
                vec![path.to_string(), parent.to_string()]
            }
        };
        match txn {
            Txn::Create { path, .. } | Txn::Delete { path } => with_parent(path),
            Txn::SetData { path, .. } | Txn::SetAcl { path, .. } => vec![path.clone()],
            Txn::CloseSession { session } => {
                let mut paths: Vec<String> = self
                    .ephemerals(*session)
                    .iter()
                    .flat_map(|p| with_parent(p))
                    .collect();
                paths.sort();
                paths.dedup();
                paths
            }
        }
    }

    fn digest_of(&self, paths: &[String]) -> i64 {
        paths
            .iter()
            .filter_map(|p| self.nodes.get(p).map(|n| node_digest(p, n)))
            .fold(0i64, i64::wrapping_add)
    }

    fn apply_txn(&mut self, txn: &Txn, zxid: i64, time: i64) -> bool {
        match txn {
            Txn::Create {
                path,
                data,
                acl,
                owner,
                parent_cversion,
            } => self.create(path, data, acl, *owner, *parent_cversion, zxid, time),
            Txn::Delete { path } => self.delete(path, zxid),
            Txn::CloseSession { session } => {
                for path in self.ephemerals_listed(*session) {
                    self.delete(&path, zxid);
                }
                self.ephemerals.remove(session);
                true
            }
            Txn::SetData {
                path,
                data,
                version,
            } => self.set_data(path, data, *version, zxid, time),
            Txn::SetAcl { path, acl, version } => {
                if !self.nodes.contains_key(path) {
                    return false;
                }
                let acl = self.intern(acl);
                let Some(node) = self.nodes.get_mut(path) else {
                    return false;
                };
                record(&mut self.journal, || Undo::Stat {
                    path: path.clone(),
                    stat: node.stat.clone(),
                });
                let old = std::mem::replace(&mut node.acl, acl);
                record(&mut self.journal, || Undo::Acl {
                    path: path.clone(),
                    acl: old,
                });
                node.stat.aversion = *version;
                true
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        path: &str,
        data: &[u8],
        acl: &[Acl],
        owner: Owner,
        parent_cversion: i32,
        zxid: i64,
        time: i64,
    ) -> bool {
        let (parent_path, name) = split(path);
        let Some(parent) = self.nodes.get_mut(parent_path) else {
            return false;
        };
        let mark = parent.kids.mark();
        if !parent.add_child(name) {
            return false;
        }
        record(&mut self.journal, || Undo::ChildAdded {
            parent: parent_path.to_string(),
            name: name.to_string(),
            mark,
        });
        record(&mut self.journal, || Undo::Stat {
            path: parent_path.to_string(),
            stat: parent.stat.clone(),
        });
        // As `DataTree.createNode`: the parent's cversion from the transaction (-1: one more
        // than it was, as old logs' creates carry), and its pzxid, unless a replay over a
        // fuzzy snapshot finds the parent already past it.
        let cversion = if parent_cversion == -1 {
            parent.stat.cversion.wrapping_add(1)
        } else {
            parent_cversion
        };
        if cversion > parent.stat.cversion {
            parent.stat.cversion = cversion;
            parent.stat.pzxid = zxid;
        }
        parent.stat.num_children = len_i32(parent.child_count());
        let stat = Stat {
            czxid: zxid,
            mzxid: zxid,
            ctime: time,
            mtime: time,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: owner.encode(),
            data_length: 0,
            num_children: 0,
            pzxid: zxid,
        };
        let acl = self.intern(acl);
        self.nodes
            .insert(path.to_string(), Node::new(data.to_vec(), acl, stat));
        record(&mut self.journal, || Undo::NodeAdded {
            path: path.to_string(),
        });
        if let Owner::Session(session) = owner {
            if !self.ephemerals.contains_key(&session) {
                record(&mut self.journal, || Undo::SessionSetMade { session });
            }
            let set = self.ephemerals.entry(session).or_default();
            let mark = set.mark();
            set.added(path);
            record(&mut self.journal, || Undo::EphemeralAdded {
                session,
                path: path.to_string(),
                mark,
            });
        }
        true
    }

    fn delete(&mut self, path: &str, zxid: i64) -> bool {
        let (parent_path, name) = split(path);
        let Some(node) = self.nodes.remove(path) else {
            return false;
        };
        self.deleted_acls.insert(path.to_string(), node.acl.clone());
        if let Some(parent) = self.nodes.get_mut(parent_path) {
            record(&mut self.journal, || Undo::Stat {
                path: parent_path.to_string(),
                stat: parent.stat.clone(),
            });
            if let Some(arrival) = parent.remove_child(name) {
                record(&mut self.journal, || Undo::ChildRemoved {
                    parent: parent_path.to_string(),
                    name: name.to_string(),
                    arrival,
                });
            }
            // As `DataTree.deleteNode`: pzxid only moves forward; cversion is not touched.
            if zxid > parent.stat.pzxid {
                parent.stat.pzxid = zxid;
            }
            parent.stat.num_children = len_i32(parent.child_count());
        }
        let owner = Owner::decode(node.stat.ephemeral_owner, self.extended_types);
        if let Owner::Session(session) = owner {
            if let Some(arrival) = self
                .ephemerals
                .get_mut(&session)
                .and_then(|set| set.removed(path))
            {
                record(&mut self.journal, || Undo::EphemeralRemoved {
                    session,
                    path: path.to_string(),
                    arrival,
                });
            }
        }
        record(&mut self.journal, || Undo::NodeRemoved {
            path: path.to_string(),
            node,
        });
        true
    }

    fn set_data(&mut self, path: &str, data: &[u8], version: i32, zxid: i64, time: i64) -> bool {
        let Some(node) = self.nodes.get_mut(path) else {
            return false;
        };
        record(&mut self.journal, || Undo::Stat {
            path: path.to_string(),
            stat: node.stat.clone(),
        });
        let old = std::mem::replace(&mut node.data, data.to_vec());
        record(&mut self.journal, || Undo::Data {
            path: path.to_string(),
            data: old,
        });
        node.stat.data_length = len_i32(data.len());
        node.stat.version = version;
        node.stat.mzxid = zxid;
        node.stat.mtime = time;
        true
    }

    /// Every node by path, sorted (for tests and snapshots).
    pub fn snapshot(&self) -> BTreeMap<String, Node> {
        self.nodes
            .iter()
            .map(|(p, n)| (p.clone(), n.clone()))
            .collect()
    }
}

/// `parent`'s child `name`.
pub fn child(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A create with data `d` and the open ACL (the journal's tests use it too).
    pub(super) fn create(path: &str, owner: Owner, cversion: i32) -> Txn {
        Txn::Create {
            path: path.into(),
            data: b"d".to_vec(),
            acl: world(perms::ALL),
            owner,
            parent_cversion: cversion,
        }
    }

    #[test]
    fn emptied_containers_and_stale_ttl_nodes_are_due() {
        let mut t = DataTree::new(true);
        assert!(t.apply(&create("/c", Owner::Container, 1), 1, 1_000));
        assert!(t.apply(&create("/never", Owner::Container, 2), 2, 1_000));
        assert!(t.apply(&create("/t", Owner::Ttl(500), 3), 3, 1_000));
        assert!(t.apply(&create("/c/kid", Owner::None, 1), 4, 1_000));
        assert!(
            t.reapable(1_400).is_empty(),
            "a container with a child stays"
        );
        assert!(t.apply(
            &Txn::Delete {
                path: "/c/kid".into()
            },
            5,
            1_000
        ));
        assert_eq!(t.reapable(1_400), ["/c"]);
        assert_eq!(
            t.reapable(1_501),
            ["/c", "/t"],
            "past the TTL since its mtime"
        );
        let touched = Txn::SetData {
            path: "/t".into(),
            data: vec![],
            version: 1,
        };
        assert!(t.apply(&touched, 6, 1_450));
        assert_eq!(t.reapable(1_501), ["/c"], "a write restarts the TTL");
        // Without extended types, a TTL owner reads as a session's: never due.
        let mut plain = DataTree::new(false);
        assert!(plain.apply(&create("/t", Owner::Ttl(5), 1), 1, 0));
        assert!(plain.reapable(10_000).is_empty());
    }

    #[test]
    fn a_fresh_tree_is_zookeepers() {
        let t = DataTree::default();
        assert_eq!(t.len(), 4);
        assert_eq!(t.get("/").unwrap().stat.num_children, 1);
        let zk = t.get("/zookeeper").unwrap();
        let mut kids: Vec<&str> = zk.children().collect();
        kids.sort_unstable();
        assert_eq!(kids, ["config", "quota"]);
        assert_eq!(zk.stat.num_children, 2);
        // As ZooKeeper 3.8 answers `stat /zookeeper` and `stat /` on a fresh server.
        assert_eq!(zk.client_stat(false).cversion, -2);
        assert_eq!(t.get("/").unwrap().client_stat(false).cversion, -1);
        let config = t.get("/zookeeper/config").unwrap();
        assert_eq!(config.stat.aversion, -1);
        assert_eq!(*config.acl, world(perms::READ));
        assert_eq!(t.descendants("/"), Some(3));
    }

    #[test]
    fn creates_deletes_and_sets_move_the_stats_as_zookeeper_does() {
        let mut t = DataTree::default();
        assert!(t.apply(&create("/a", Owner::None, 1), 2, 1000));
        let root = &t.get("/").unwrap().stat;
        assert_eq!((root.cversion, root.pzxid, root.num_children), (1, 2, 2));
        let a = &t.get("/a").unwrap().stat;
        assert_eq!(
            (a.czxid, a.mzxid, a.pzxid, a.ctime, a.mtime, a.data_length),
            (2, 2, 2, 1000, 1000, 1)
        );
        assert!(t.apply(
            &Txn::SetData {
                path: "/a".into(),
                data: b"xyz".to_vec(),
                version: 1
            },
            3,
            2000
        ));
        let a = &t.get("/a").unwrap().stat;
        assert_eq!(
            (a.czxid, a.mzxid, a.mtime, a.version, a.data_length),
            (2, 3, 2000, 1, 3)
        );
        assert!(t.apply(&create("/a/b", Owner::Session(7), 1), 4, 3000));
        assert_eq!(t.ephemerals(7), ["/a/b"]);
        assert!(t.apply(&create("/a/c", Owner::Session(7), 2), 5, 3000));
        assert!(t.apply(
            &Txn::Delete {
                path: "/a/b".into()
            },
            5,
            4000
        ));
        assert_eq!(t.ephemerals(7), ["/a/c"]);
        // A session's end takes its ephemerals at the one zxid.
        assert!(t.apply(&Txn::CloseSession { session: 7 }, 5, 4000));
        let a = &t.get("/a").unwrap().stat;
        // A delete moves the parent's pzxid, not its cversion.
        assert_eq!((a.cversion, a.pzxid, a.num_children), (2, 5, 0));
        assert!(t.ephemerals(7).is_empty());
        // A transaction that no longer fits changes nothing.
        assert!(!t.apply(
            &Txn::Delete {
                path: "/a/b".into()
            },
            6,
            5000
        ));
        assert!(!t.apply(&create("/x/y", Owner::None, 1), 6, 5000));
        assert_eq!(t.get("/a").unwrap().stat.pzxid, 5);
    }

    #[test]
    fn counting_a_deep_tree_needs_no_recursion() {
        let mut t = DataTree::default();
        let mut path = String::new();
        // Deeper than a recursive walk's frames fit in a test thread's 2 MiB stack.
        for i in 0..20_000 {
            path.push_str("/n");
            assert!(t.apply(&create(&path, Owner::None, 1), i + 2, 0));
        }
        assert_eq!(t.descendants("/n"), Some(19_999));
        assert_eq!(split("/a/b"), ("/a", "b"));
        assert_eq!(split("/a"), ("/", "a"));
        assert_eq!(child("/", "a"), "/a");
    }
}
