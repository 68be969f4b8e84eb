//! A multi's way back: while a journal is open, every change to the tree records its inverse,
//! and a rollback applies them newest first. Each record is as small as the change it undoes
//! (a Stat, a name, the old data moved out), so taking a multi back costs what the multi
//! cost, whatever the size of the nodes it touched: a create under a parent with a million
//! children does not copy the million names.

use std::sync::Arc;

use jute_schemas::data::{Stat, ACL as Acl};

use super::{DataTree, Node};
use crate::java::SetMark;

/// The inverse of one change.
#[derive(Debug, Clone)]
pub(super) enum Undo {
    /// A node was created: remove it.
    NodeAdded { path: String },
    /// A node was deleted: put it back.
    NodeRemoved { path: String, node: Node },
    /// A node's Stat changed: set it back.
    Stat { path: String, stat: Stat },
    /// A node's data changed: set it back (its Stat has a record of its own).
    Data { path: String, data: Vec<u8> },
    /// A node's ACL changed: set it back.
    Acl { path: String, acl: Arc<Vec<Acl>> },
    /// A name was added to a parent's children, whose counters stood at `mark` before.
    ChildAdded {
        parent: String,
        name: String,
        mark: SetMark,
    },
    /// A name was removed from a parent's children, where it had come at `arrival`.
    ChildRemoved {
        parent: String,
        name: String,
        arrival: u64,
    },
    /// A session's set of ephemerals was made (by its first ephemeral): drop it.
    SessionSetMade { session: i64 },
    /// A path was added to a session's ephemerals, whose counters stood at `mark` before.
    EphemeralAdded {
        session: i64,
        path: String,
        mark: SetMark,
    },
    /// A path was removed from a session's ephemerals, where it had come at `arrival`.
    EphemeralRemoved {
        session: i64,
        path: String,
        arrival: u64,
    },
}

/// Records `undo()` when a journal is open (`undo` is not called otherwise: no allocation
/// outside a multi).
pub(super) fn record(journal: &mut Option<Vec<Undo>>, undo: impl FnOnce() -> Undo) {
    if let Some(j) = journal {
        j.push(undo());
    }
}

impl DataTree {
    /// Opens a journal: the changes from now on can be taken back by
    /// [`DataTree::rollback`] until [`DataTree::commit`].
    pub fn begin(&mut self) {
        self.journal = Some(Vec::new());
        self.digest_at_begin = self.digest;
    }

    /// Keeps the changes since [`DataTree::begin`] and closes the journal.
    pub fn commit(&mut self) {
        self.journal = None;
    }

    /// Takes back every change since [`DataTree::begin`], newest first, and closes the
    /// journal: the tree, its children's order and the sessions' ephemerals are as they were.
    pub fn rollback(&mut self) {
        let Some(journal) = self.journal.take() else {
            return;
        };
        for undo in journal.into_iter().rev() {
            self.undo(undo);
        }
        self.digest = self.digest_at_begin;
    }

    fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::NodeAdded { path } => {
                self.nodes.remove(&path);
            }
            Undo::NodeRemoved { path, node } => {
                self.nodes.insert(path, node);
            }
            Undo::Stat { path, stat } => {
                if let Some(n) = self.nodes.get_mut(&path) {
                    n.stat = stat;
                }
            }
            Undo::Data { path, data } => {
                if let Some(n) = self.nodes.get_mut(&path) {
                    n.data = data;
                }
            }
            Undo::Acl { path, acl } => {
                if let Some(n) = self.nodes.get_mut(&path) {
                    n.acl = acl;
                }
            }
            Undo::ChildAdded { parent, name, mark } => {
                if let Some(p) = self.nodes.get_mut(&parent) {
                    p.kids.removed(&name);
                    p.kids.rewind(mark);
                }
            }
            Undo::ChildRemoved {
                parent,
                name,
                arrival,
            } => {
                if let Some(p) = self.nodes.get_mut(&parent) {
                    p.kids.put_back(&name, arrival);
                }
            }
            Undo::SessionSetMade { session } => {
                self.ephemerals.remove(&session);
            }
            Undo::EphemeralAdded {
                session,
                path,
                mark,
            } => {
                if let Some(set) = self.ephemerals.get_mut(&session) {
                    set.removed(&path);
                    set.rewind(mark);
                }
            }
            Undo::EphemeralRemoved {
                session,
                path,
                arrival,
            } => {
                if let Some(set) = self.ephemerals.get_mut(&session) {
                    set.put_back(&path, arrival);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::create;
    use super::super::{world, Txn};
    use super::*;
    use crate::owner::Owner;
    use jute_schemas::protocol::perms;

    fn delete(path: &str) -> Txn {
        Txn::Delete { path: path.into() }
    }

    /// Every node (with its children's order state), sorted by path.
    type Nodes = Vec<(String, Node)>;
    /// Every session's ephemerals (with their order state), sorted by session.
    type Sets = Vec<(i64, crate::java::HashSetOrder)>;

    /// Everything a rollback must put back.
    fn state(t: &DataTree) -> (Nodes, Sets) {
        let mut nodes: Vec<_> = t
            .nodes
            .iter()
            .map(|(p, n)| (p.clone(), n.clone()))
            .collect();
        nodes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut sets: Vec<_> = t.ephemerals.iter().map(|(s, e)| (*s, e.clone())).collect();
        sets.sort_by_key(|(s, _)| *s);
        (nodes, sets)
    }

    #[test]
    fn a_rollback_leaves_the_tree_as_it_was_down_to_the_childrens_order() {
        let mut t = DataTree::new(false);
        for (i, p) in ["/a", "/a/x", "/a/y", "/e"].iter().enumerate() {
            let owner = if *p == "/e" {
                Owner::Session(7)
            } else {
                Owner::None
            };
            assert!(t.apply(&create(p, owner, i as i32 + 1), i as i64 + 1, 10));
        }
        let before = state(&t);
        let before_children = t.get("/a").map(Node::listed_children);

        t.begin();
        // Enough adds to grow /a's Java table, then deletes, data, ACL, ephemerals of a
        // session that had a set and of one that had none.
        for i in 0..20 {
            assert!(t.apply(&create(&format!("/a/n{i}"), Owner::None, 10 + i), 20, 20));
        }
        assert!(t.apply(&delete("/a/x"), 20, 20));
        assert!(t.apply(&delete("/e"), 20, 20));
        assert!(t.apply(&create("/e2", Owner::Session(7), 5), 20, 20));
        assert!(t.apply(&create("/f", Owner::Session(8), 6), 20, 20));
        let set = Txn::SetData {
            path: "/a/y".into(),
            data: b"new".to_vec(),
            version: 1,
        };
        assert!(t.apply(&set, 20, 20));
        let acl = Txn::SetAcl {
            path: "/a".into(),
            acl: world(perms::READ),
            version: 1,
        };
        assert!(t.apply(&acl, 20, 20));
        assert_ne!(state(&t), before);
        t.rollback();

        assert_eq!(state(&t), before);
        assert_eq!(t.digest(), t.recompute_digest());
        assert_eq!(t.get("/a").map(Node::listed_children), before_children);
        assert!(t.journal.is_none());
        // Closed: later changes are not recorded.
        assert!(t.apply(&create("/g", Owner::None, 7), 21, 21));
        t.rollback();
        assert!(t.get("/g").is_some());
    }
}
