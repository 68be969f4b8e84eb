//! `multi`: its operations prepared one after another, each seeing what the ones before it
//! did (a create of `/a` then of `/a/b` succeeds), and applied together at one zxid, or not at
//! all. As in ZooKeeper, a failed multi answers a result per operation: `Ok` (0) for the ones
//! before the failure, the failure's code, then `RuntimeInconsistency` for the rest; and the
//! tree is as it was.

use jute_schemas::data::Stat;
use jute_schemas::protocol::{perms, ErrorCode};

use crate::prep::{self, Access, Create};
use crate::tree::{DataTree, Txn};

/// One operation of a multi.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiOp<'a> {
    /// A create (any mode).
    Create(Create<'a>),
    /// A delete at a version (-1: any).
    Delete {
        /// The path.
        path: &'a str,
        /// The expected version.
        version: i32,
    },
    /// A setData at a version (-1: any).
    SetData {
        /// The path.
        path: &'a str,
        /// The new data.
        data: &'a [u8],
        /// The expected version.
        version: i32,
    },
    /// A version check: fails the multi unless the node is at `version`.
    Check {
        /// The path.
        path: &'a str,
        /// The expected version.
        version: i32,
    },
}

/// What one operation of a successful multi did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// A change, applied, with the node's Stat right after it (as ZooKeeper reports it in the
    /// operation's result, whatever later operations of the multi did; `None` for a delete).
    Applied(Txn, Option<Stat>),
    /// A check that passed.
    Checked,
}

/// The version check of a multi (ZooKeeper's `check`): the path, the node, `READ`, the version.
fn check(tree: &DataTree, path: &str, version: i32, access: &dyn Access) -> Result<(), ErrorCode> {
    if !prep::valid_path(path) {
        return Err(ErrorCode::BadArguments);
    }
    let Some(node) = tree.get(path) else {
        return Err(ErrorCode::NoNode);
    };
    if !access.allows(&node.acl, perms::READ) {
        return Err(ErrorCode::NoAuth);
    }
    if version != -1 && version != node.stat.version {
        return Err(ErrorCode::BadVersion);
    }
    Ok(())
}

/// A multi that failed: the result code of each operation, and what the operations before the
/// failing one had prepared (ZooKeeper logs those as they were, then error records), the tree
/// untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// Each operation's result code.
    pub codes: Vec<i32>,
    /// What the operations before the failing one did, taken back.
    pub before: Vec<Done>,
}

/// Runs `ops` as one multi at `zxid` and `time`: what each did, or why it failed (and the tree
/// untouched).
pub fn multi(
    tree: &mut DataTree,
    ops: &[MultiOp<'_>],
    access: &dyn Access,
    zxid: i64,
    time: i64,
) -> Result<Vec<Done>, Failed> {
    tree.begin();
    let mut done = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let prepared = match op {
            MultiOp::Create(req) => prep::create(tree, req, access).map(Some),
            MultiOp::Delete { path, version } => {
                prep::delete(tree, path, *version, access).map(Some)
            }
            MultiOp::SetData {
                path,
                data,
                version,
            } => prep::set_data(tree, path, data, *version, access).map(Some),
            MultiOp::Check { path, version } => check(tree, path, *version, access).map(|()| None),
        };
        match prepared {
            Ok(Some(txn)) => {
                tree.apply(&txn, zxid, time);
                let stat = match &txn {
                    Txn::Create { path, .. } | Txn::SetData { path, .. } => tree.stat(path),
                    _ => None,
                };
                done.push(Done::Applied(txn, stat));
            }
            Ok(None) => done.push(Done::Checked),
            Err(code) => {
                tree.rollback();
                let mut codes = vec![ErrorCode::Ok.value(); i];
                codes.push(code.value());
                codes.resize(ops.len(), ErrorCode::RuntimeInconsistency.value());
                return Err(Failed {
                    codes,
                    before: done,
                });
            }
        }
    }
    tree.commit();
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::world;
    use jute_schemas::data::{Id, ACL as Acl};
    use jute_schemas::protocol::CreateMode;

    struct Anyone;

    impl Access for Anyone {
        fn allows(&self, _: &[Acl], _: i32) -> bool {
            true
        }
        fn auth_ids(&self) -> Vec<Id> {
            Vec::new()
        }
    }

    fn create<'a>(path: &'a str, mode: CreateMode, acl: &'a [Acl]) -> MultiOp<'a> {
        MultiOp::Create(Create {
            path,
            data: b"",
            acl,
            mode,
            ttl: -1,
            session: 7,
        })
    }

    #[test]
    fn later_operations_see_earlier_ones_and_a_failure_undoes_them_all() {
        let mut t = DataTree::default();
        let open = world(perms::ALL);
        let before = t.snapshot();
        // /a, then /a/b under it, then a failing check: nothing stays.
        let failed = multi(
            &mut t,
            &[
                create("/a", CreateMode::Persistent, &open),
                create("/a/b", CreateMode::Ephemeral, &open),
                MultiOp::Check {
                    path: "/a",
                    version: 5,
                },
                MultiOp::Delete {
                    path: "/a/b",
                    version: -1,
                },
            ],
            &Anyone,
            10,
            0,
        );
        let failed = failed.unwrap_err();
        assert_eq!(failed.codes, [0, 0, -103, -2]);
        // The two that passed are kept, for the log.
        assert_eq!(failed.before.len(), 2);
        assert_eq!(t.snapshot(), before);
        assert!(t.ephemerals(7).is_empty());
        // The same without the bad check applies at one zxid.
        let done = multi(
            &mut t,
            &[
                create("/a", CreateMode::Persistent, &open),
                create("/a/b", CreateMode::Ephemeral, &open),
                MultiOp::Check {
                    path: "/a",
                    version: 0,
                },
                MultiOp::SetData {
                    path: "/a",
                    data: b"x",
                    version: 0,
                },
            ],
            &Anyone,
            11,
            0,
        )
        .expect("applied");
        assert_eq!(done.len(), 4);
        assert_eq!(done[2], Done::Checked);
        // Each result's Stat is the node's right after its own operation.
        let stat_of = |d: &Done| match d {
            Done::Applied(_, Some(s)) => (s.version, s.num_children),
            other => panic!("{other:?}"),
        };
        assert_eq!(stat_of(&done[0]), (0, 0), "/a as created, before its child");
        assert_eq!(stat_of(&done[3]), (1, 1));
        let a = t.get("/a").expect("created");
        assert_eq!((a.stat.czxid, a.stat.mzxid, a.stat.version), (11, 11, 1));
        assert_eq!(t.ephemerals(7), ["/a/b"]);
        // A failing delete after a successful one puts both nodes back, ephemerals included.
        let before = t.snapshot();
        let failed = multi(
            &mut t,
            &[
                MultiOp::Delete {
                    path: "/a/b",
                    version: -1,
                },
                MultiOp::Delete {
                    path: "/a/missing",
                    version: -1,
                },
            ],
            &Anyone,
            12,
            0,
        );
        let failed = failed.unwrap_err();
        assert_eq!(failed.codes, [0, -101]);
        assert!(
            matches!(&failed.before[..], [Done::Applied(Txn::Delete { path }, None)] if path == "/a/b")
        );
        assert_eq!(t.snapshot(), before);
        assert_eq!(t.ephemerals(7), ["/a/b"]);
    }
}
