//! Recovery as ZooKeeper 3.8 does it (`FileTxnSnapLog.restore`), without I/O: the tree and
//! sessions a snapshot holds, then each logged transaction after it applied as
//! `DataTree.processTxn` and `FileTxnSnapLog.processTransaction` apply it, in zxid order, up
//! to an optional last zxid. Reading the files is [`crate::datadir`]'s.

use std::collections::BTreeMap;

use jute_schemas::txn::TxnHeader;

use crate::ondisk::snapshot::Snapshot;
use crate::ondisk::txn::TxnBody;
use crate::ondisk::FileError;
use crate::owner::Owner;
use crate::tree::{split, DataTree, Txn};

/// The create op code: on replay, a create that finds its node already there moves the
/// parent's cversion and pzxid (ZooKeeper does this for `create` only, not `create2`).
const CREATE: i32 = 1;

/// A server's state rebuilt from its files.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The data tree.
    pub tree: DataTree,
    /// The live sessions and their timeouts (ms), by id.
    pub sessions: BTreeMap<i64, i32>,
    /// The last zxid applied (the snapshot's, then each transaction's).
    pub zxid: i64,
    /// How many logged transactions were applied.
    pub applied: u64,
}

impl Restored {
    /// The state `snap` holds; `zxid` is the one its file name carries (the last transaction
    /// applied when it was begun: those after it may be in it too, as snapshots are fuzzy, and
    /// are applied again).
    pub fn from_snapshot(
        snap: &Snapshot,
        zxid: i64,
        extended_types: bool,
    ) -> Result<Restored, FileError> {
        Ok(Restored {
            tree: DataTree::from_snapshot(snap, extended_types)?,
            sessions: snap.sessions.iter().copied().collect(),
            zxid,
            applied: 0,
        })
    }

    /// Applies one logged transaction (those at or before the state's zxid are skipped, as
    /// ZooKeeper reads the logs from the zxid after its snapshot's).
    pub fn apply(&mut self, header: &TxnHeader, body: &TxnBody) {
        if header.zxid <= self.zxid {
            return;
        }
        self.apply_body(header, header.r#type, body);
        self.zxid = header.zxid;
        self.applied += 1;
    }

    fn apply_body(&mut self, h: &TxnHeader, ty: i32, body: &TxnBody) {
        let session = h.client_id;
        let create = |path: &Option<String>,
                      data: &Option<Vec<u8>>,
                      acl: &Option<Vec<jute_schemas::data::ACL>>,
                      owner: Owner,
                      parent_cversion: i32| Txn::Create {
            path: path.clone().unwrap_or_default(),
            data: data.clone().unwrap_or_default(),
            acl: acl.clone().unwrap_or_default(),
            owner,
            parent_cversion,
        };
        let txn = match body {
            TxnBody::CreateSession(t) => {
                self.sessions.insert(session, t.time_out);
                return;
            }
            TxnBody::CloseSession(t) => {
                self.close_session(h, t.as_ref().and_then(|t| t.paths2_delete.as_deref()));
                return;
            }
            TxnBody::Create(t) => {
                let owner = if t.ephemeral {
                    Owner::Session(session)
                } else {
                    Owner::None
                };
                create(&t.path, &t.data, &t.acl, owner, t.parent_c_version)
            }
            TxnBody::CreateV0(t) => {
                let owner = if t.ephemeral {
                    Owner::Session(session)
                } else {
                    Owner::None
                };
                create(&t.path, &t.data, &t.acl, owner, -1)
            }
            TxnBody::CreateTtl(t) => create(
                &t.path,
                &t.data,
                &t.acl,
                Owner::Ttl(t.ttl),
                t.parent_c_version,
            ),
            TxnBody::CreateContainer(t) => create(
                &t.path,
                &t.data,
                &t.acl,
                Owner::Container,
                t.parent_c_version,
            ),
            TxnBody::Delete(t) => Txn::Delete {
                path: t.path.clone().unwrap_or_default(),
            },
            TxnBody::SetData(t) => Txn::SetData {
                path: t.path.clone().unwrap_or_default(),
                data: t.data.clone().unwrap_or_default(),
                version: t.version,
            },
            TxnBody::SetAcl(t) => Txn::SetAcl {
                path: t.path.clone().unwrap_or_default(),
                acl: t.acl.clone().unwrap_or_default(),
                version: t.version,
            },
            TxnBody::Multi(ops) => {
                // A multi that failed holds an error record: nothing of it is applied.
                if ops.iter().any(|(_, b)| matches!(b, TxnBody::Error(_))) {
                    return;
                }
                for (sub_ty, sub) in ops {
                    self.apply_body(h, *sub_ty, sub);
                }
                return;
            }
            TxnBody::Check(_) | TxnBody::Error(_) | TxnBody::Raw(_) => return,
        };
        let applied = self.tree.apply(&txn, h.zxid, h.time);
        // A create replayed over a fuzzy snapshot that already holds its node: the parent's
        // cversion and pzxid move as if it had been made now (inside a multi too).
        if let (
            false,
            CREATE,
            Txn::Create {
                path,
                parent_cversion,
                ..
            },
        ) = (applied, ty, &txn)
        {
            if self.tree.get(path).is_some() {
                self.tree
                    .set_cversion_pzxid(split(path).0, *parent_cversion, h.zxid);
            }
        }
    }

    /// `closeSession`: the paths its record lists, in that order, then any other ephemeral of
    /// the session, in the order of its set (`DataTree.killSession`).
    fn close_session(&mut self, h: &TxnHeader, listed: Option<&[String]>) {
        let session = h.client_id;
        self.sessions.remove(&session);
        let mut local = self.tree.take_ephemerals(session);
        for path in listed.unwrap_or_default() {
            self.tree
                .apply(&Txn::Delete { path: path.clone() }, h.zxid, h.time);
            if let Some(set) = local.as_mut() {
                set.removed(path);
            }
        }
        for path in local.map(|set| set.list(16)).unwrap_or_default() {
            self.tree.apply(&Txn::Delete { path }, h.zxid, h.time);
        }
    }
}
