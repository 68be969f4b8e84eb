//! What ZooKeeper writes to its transaction log for each zxid it hands out: a `TxnHeader`
//! (session, the request's xid, zxid, wall time, type) and the transaction's record. The core
//! emits one [`Logged`] per zxid, before the replies and notifications it causes (a log is
//! written ahead of the answers); [`crate::restore::Restored::apply`] applies them back.

use jute_schemas::data::ACL as Acl;
use jute_schemas::txn::{
    CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn, CreateTxn, DeleteTxn,
    ErrorTxn, SetACLTxn, SetDataTxn, TxnDigest, TxnHeader,
};

use crate::ondisk::txn::TxnBody;
use crate::owner::Owner;
use crate::tree::Txn;

/// `TxnHeader.type` values (ZooKeeper's op codes) a log holds.
pub mod types {
    /// A failed write.
    pub const ERROR: i32 = -1;
    /// `create`.
    pub const CREATE: i32 = 1;
    /// `delete`.
    pub const DELETE: i32 = 2;
    /// `setData`.
    pub const SET_DATA: i32 = 5;
    /// `setACL`.
    pub const SET_ACL: i32 = 7;
    /// `multi`.
    pub const MULTI: i32 = 14;
    /// `create2`.
    pub const CREATE2: i32 = 15;
    /// `createContainer`.
    pub const CREATE_CONTAINER: i32 = 19;
    /// `deleteContainer` (the container manager's deletes, of containers and TTL nodes).
    pub const DELETE_CONTAINER: i32 = 20;
    /// `createTTL`.
    pub const CREATE_TTL: i32 = 21;
    /// `createSession`.
    pub const CREATE_SESSION: i32 = -10;
    /// `closeSession`.
    pub const CLOSE_SESSION: i32 = -11;
}

/// One logged transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// Session, the request's xid, zxid, wall time (ms), type.
    pub header: TxnHeader,
    /// The record.
    pub body: TxnBody,
    /// The tree's digest after the transaction, for the types ZooKeeper writes one with
    /// (creates, deletes, setData, setACL, multi; not failed writes, createSession or
    /// closeSession).
    pub digest: Option<TxnDigest>,
}

/// Who asked, for a transaction's header: the session (0 for the server's own), the request's
/// xid (0 for the server's own and for handshakes), and the request's op code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Asker {
    /// The session.
    pub session: i64,
    /// The request's xid.
    pub cxid: i32,
    /// The request's op code.
    pub op: i32,
}

/// The type and record ZooKeeper logs for `txn`, asked for with op code `op` (which decides
/// `create` against `create2`, and `delete` against `deleteContainer`).
pub fn record(txn: &Txn, op: i32) -> (i32, TxnBody) {
    let acl = |a: &[Acl]| Some(a.to_vec());
    match txn {
        Txn::Create {
            path,
            data,
            acl: a,
            owner,
            parent_cversion,
        } => match owner {
            Owner::Container => (
                types::CREATE_CONTAINER,
                TxnBody::CreateContainer(CreateContainerTxn {
                    path: Some(path.clone()),
                    data: Some(data.clone()),
                    acl: acl(a),
                    parent_c_version: *parent_cversion,
                }),
            ),
            Owner::Ttl(ttl) => (
                types::CREATE_TTL,
                TxnBody::CreateTtl(CreateTTLTxn {
                    path: Some(path.clone()),
                    data: Some(data.clone()),
                    acl: acl(a),
                    parent_c_version: *parent_cversion,
                    ttl: *ttl,
                }),
            ),
            Owner::None | Owner::Session(_) => (
                if op == types::CREATE2 {
                    types::CREATE2
                } else {
                    types::CREATE
                },
                TxnBody::Create(CreateTxn {
                    path: Some(path.clone()),
                    data: Some(data.clone()),
                    acl: acl(a),
                    ephemeral: owner.is_session(),
                    parent_c_version: *parent_cversion,
                }),
            ),
        },
        Txn::Delete { path } => (
            if op == types::DELETE_CONTAINER {
                types::DELETE_CONTAINER
            } else {
                types::DELETE
            },
            TxnBody::Delete(DeleteTxn {
                path: Some(path.clone()),
            }),
        ),
        Txn::SetData {
            path,
            data,
            version,
        } => (
            types::SET_DATA,
            TxnBody::SetData(SetDataTxn {
                path: Some(path.clone()),
                data: Some(data.clone()),
                version: *version,
            }),
        ),
        Txn::SetAcl {
            path,
            acl: a,
            version,
        } => (
            types::SET_ACL,
            TxnBody::SetAcl(SetACLTxn {
                path: Some(path.clone()),
                acl: acl(a),
                version: *version,
            }),
        ),
        Txn::CloseSession { .. } => (
            types::CLOSE_SESSION,
            TxnBody::CloseSession(Some(CloseSessionTxn {
                paths2_delete: Some(Vec::new()),
            })),
        ),
    }
}

/// The entry for `txn` at `zxid` and wall time `time`, the tree's digest after it `digest`.
pub fn entry(asker: Asker, zxid: i64, time: i64, txn: &Txn, digest: i64) -> Logged {
    let (ty, body) = record(txn, asker.op);
    let digest = match txn {
        Txn::CloseSession { .. } => None,
        _ => Some(tree_digest(digest)),
    };
    Logged {
        header: header(asker, zxid, time, ty),
        body,
        digest,
    }
}

/// A `TxnDigest` of ZooKeeper 3.8's version.
pub fn tree_digest(digest: i64) -> TxnDigest {
    TxnDigest {
        version: crate::tree::DIGEST_VERSION,
        tree_digest: digest,
    }
}

/// A failed write's entry: its error code.
pub fn error(asker: Asker, zxid: i64, time: i64, err: i32) -> Logged {
    Logged {
        header: header(asker, zxid, time, types::ERROR),
        body: TxnBody::Error(ErrorTxn { err }),
        digest: None,
    }
}

/// A new session's entry.
pub fn create_session(session: i64, zxid: i64, time: i64, timeout: i32) -> Logged {
    let asker = Asker {
        session,
        cxid: 0,
        op: types::CREATE_SESSION,
    };
    Logged {
        header: header(asker, zxid, time, types::CREATE_SESSION),
        body: TxnBody::CreateSession(CreateSessionTxn { time_out: timeout }),
        digest: None,
    }
}

/// A session's end: the ephemerals it deletes, in the order they are deleted.
pub fn close_session(asker: Asker, zxid: i64, time: i64, paths: Vec<String>) -> Logged {
    Logged {
        header: header(asker, zxid, time, types::CLOSE_SESSION),
        body: TxnBody::CloseSession(Some(CloseSessionTxn {
            paths2_delete: Some(paths),
        })),
        digest: None,
    }
}

fn header(asker: Asker, zxid: i64, time: i64, ty: i32) -> TxnHeader {
    TxnHeader {
        client_id: asker.session,
        cxid: asker.cxid,
        zxid,
        time,
        r#type: ty,
    }
}
