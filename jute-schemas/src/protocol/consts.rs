//! Numbers of the client protocol: op codes, special xids, error codes, create modes, watch
//! enums and permission bits (ZooKeeper's `ZooDefs`, `KeeperException.Code`, `Watcher`).

use jute::JuteEnum;

/// Request types (`ZooDefs.OpCode`).
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum OpCode {
    /// A watch notification (server to client), xid -1.
    Notification = 0,
    /// `create`: a node, answered with its path.
    Create = 1,
    /// `delete`: a node without children.
    Delete = 2,
    /// `exists`: a node's Stat, optionally setting a data watch.
    Exists = 3,
    /// `getData`: data and Stat.
    GetData = 4,
    /// `setData`: new data, answered with the new Stat.
    SetData = 5,
    /// `getACL`: a node's ACL and Stat.
    GetAcl = 6,
    /// `setACL`: a new ACL.
    SetAcl = 7,
    /// `getChildren`: child names.
    GetChildren = 8,
    /// `sync`: the server catches up with the leader.
    Sync = 9,
    /// A ping (xid -2), keeping the session alive.
    Ping = 11,
    /// `getChildren2`: child names and the parent's Stat.
    GetChildren2 = 12,
    /// Only valid inside a multi; a 3.8.0 server never answers a top-level check.
    Check = 13,
    /// `multi`: writes applied together or not at all.
    Multi = 14,
    /// `create2`: a node, answered with its path and Stat.
    Create2 = 15,
    /// `reconfig`: change the ensemble's membership.
    Reconfig = 16,
    /// `checkWatches`: whether a watch is set.
    CheckWatches = 17,
    /// `removeWatches`: remove watches from the server.
    RemoveWatches = 18,
    /// `createContainer`: a container node.
    CreateContainer = 19,
    /// `deleteContainer` (server-internal: the reaper's delete).
    DeleteContainer = 20,
    /// `createTTL`: a node with a time to live.
    CreateTtl = 21,
    /// `multiRead`: reads answered together, each on its own.
    MultiRead = 22,
    /// `auth` (xid -4): add credentials to the session.
    Auth = 100,
    /// `setWatches` (xid -8): re-register watches on a new connection.
    SetWatches = 101,
    /// `sasl`: one token of a SASL exchange.
    Sasl = 102,
    /// `getEphemerals`: the session's ephemeral nodes under a prefix.
    GetEphemerals = 103,
    /// `getAllChildrenNumber`: how many nodes are under a path.
    GetAllChildrenNumber = 104,
    /// `setWatches2` (xid -8): `setWatches` with persistent watches too.
    SetWatches2 = 105,
    /// `addWatch`: a persistent or persistent recursive watch.
    AddWatch = 106,
    /// `whoAmI`: the session's identities.
    WhoAmI = 107,
    /// A session's creation (a transaction type; the handshake carries no op code).
    CreateSession = -10,
    /// `closeSession`: end the session.
    CloseSession = -11,
    /// The txn type of a failed write, and the result type of a failed multi op.
    Error = -1,
}

impl OpCode {
    /// The name ZooKeeper's `Request.op2String` uses (`create`, `getData`, ...).
    pub fn name(self) -> &'static str {
        match self {
            OpCode::Notification => "notification",
            OpCode::Create => "create",
            OpCode::Delete => "delete",
            OpCode::Exists => "exists",
            OpCode::GetData => "getData",
            OpCode::SetData => "setData",
            OpCode::GetAcl => "getACL",
            OpCode::SetAcl => "setACL",
            OpCode::GetChildren => "getChildren",
            OpCode::Sync => "sync",
            OpCode::Ping => "ping",
            OpCode::GetChildren2 => "getChildren2",
            OpCode::Check => "check",
            OpCode::Multi => "multi",
            OpCode::Create2 => "create2",
            OpCode::Reconfig => "reconfig",
            OpCode::CheckWatches => "checkWatches",
            OpCode::RemoveWatches => "removeWatches",
            OpCode::CreateContainer => "createContainer",
            OpCode::DeleteContainer => "deleteContainer",
            OpCode::CreateTtl => "createTTL",
            OpCode::MultiRead => "multiRead",
            OpCode::Auth => "auth",
            OpCode::SetWatches => "setWatches",
            OpCode::Sasl => "sasl",
            OpCode::GetEphemerals => "getEphemerals",
            OpCode::GetAllChildrenNumber => "getAllChildrenNumber",
            OpCode::SetWatches2 => "setWatches2",
            OpCode::AddWatch => "addWatch",
            OpCode::WhoAmI => "whoAmI",
            OpCode::CreateSession => "createSession",
            OpCode::CloseSession => "closeSession",
            OpCode::Error => "error",
        }
    }
}

/// Special xids (`ClientCnxn`).
pub mod xid {
    /// Watch notifications, server to client.
    pub const NOTIFICATION: i32 = -1;
    /// Pings and their replies.
    pub const PING: i32 = -2;
    /// `auth` requests and their replies.
    pub const AUTH: i32 = -4;
    /// `setWatches`/`setWatches2` requests and their replies.
    pub const SET_WATCHES: i32 = -8;
}

/// Server error codes (`KeeperException.Code`); values the enum does not know are kept.
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorCode {
    /// No error.
    Ok = 0,
    /// A server-side failure without a more precise code.
    SystemError = -1,
    /// A runtime inconsistency was found.
    RuntimeInconsistency = -2,
    /// A data inconsistency was found.
    DataInconsistency = -3,
    /// The connection to the server was lost.
    ConnectionLoss = -4,
    /// A record could not be serialized or read (a malformed request, say).
    MarshallingError = -5,
    /// The operation is not implemented (by this server version, say).
    Unimplemented = -6,
    /// The operation timed out.
    OperationTimeout = -7,
    /// Invalid arguments.
    BadArguments = -8,
    /// The session is not known to the server.
    UnknownSession = -12,
    /// A reconfiguration's new configuration has no quorum up.
    NewConfigNoQuorum = -13,
    /// Another reconfiguration is in progress.
    ReconfigInProgress = -14,
    /// The base of the API errors (not sent by servers).
    ApiError = -100,
    /// The node does not exist.
    NoNode = -101,
    /// The session is not allowed to do this (the node's ACL).
    NoAuth = -102,
    /// The node's version is not the one expected.
    BadVersion = -103,
    /// Ephemeral nodes cannot have children.
    NoChildrenForEphemerals = -108,
    /// The node exists already.
    NodeExists = -110,
    /// The node has children.
    NotEmpty = -111,
    /// The session expired.
    SessionExpired = -112,
    /// An invalid callback (a client-side code).
    InvalidCallback = -113,
    /// The ACL is invalid.
    InvalidAcl = -114,
    /// Authentication failed.
    AuthFailed = -115,
    /// The session moved to another server.
    SessionMoved = -118,
    /// A write reached a read-only server.
    NotReadOnly = -119,
    /// An ephemeral node on a local session.
    EphemeralOnLocalSession = -120,
    /// No such watch to remove or check.
    NoWatcher = -121,
    /// The request timed out (a client-side code).
    RequestTimeout = -122,
    /// Reconfiguration is disabled on the server.
    ReconfigDisabled = -123,
    /// The session was closed because SASL authentication is required.
    SessionClosedRequireSaslAuth = -124,
    /// A hard quota was exceeded.
    QuotaExceeded = -125,
    /// The server throttled the operation.
    ThrottledOp = -127,
    /// A code this version does not know.
    #[jute(other)]
    Unknown(i32),
}

/// `CreateRequest.flags` (`CreateMode`).
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum CreateMode {
    /// Stays until deleted.
    Persistent = 0,
    /// Deleted when the session that created it ends.
    Ephemeral = 1,
    /// Persistent, its name followed by the parent's next 10-digit sequence number.
    PersistentSequential = 2,
    /// Ephemeral and sequential.
    EphemeralSequential = 3,
    /// Deleted by the server some time after its last child goes.
    Container = 4,
    /// Persistent, deleted by the server when it has had no child and no change for its TTL (needs `extendedTypesEnabled`).
    PersistentWithTtl = 5,
    /// Sequential and with a TTL.
    PersistentSequentialWithTtl = 6,
}

/// `WatcherEvent.type`.
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum EventType {
    /// No node event: a change of the session's state.
    None = -1,
    /// The watched node was created.
    NodeCreated = 1,
    /// The watched node was deleted.
    NodeDeleted = 2,
    /// The watched node's data changed.
    NodeDataChanged = 3,
    /// The watched node's children changed.
    NodeChildrenChanged = 4,
    /// A data watch was removed (`removeWatches`).
    DataWatchRemoved = 5,
    /// A child watch was removed.
    ChildWatchRemoved = 6,
    /// A persistent watch was removed.
    PersistentWatchRemoved = 7,
}

/// `WatcherEvent.state` (the server always sends `SyncConnected`).
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum KeeperState {
    /// Unused (an old state).
    Unknown = -1,
    /// The client is disconnected.
    Disconnected = 0,
    /// Unused (an old state).
    NoSyncConnected = 1,
    /// Connected: what every notification from a server says.
    SyncConnected = 3,
    /// Authentication failed.
    AuthFailed = 4,
    /// Connected to a read-only server.
    ConnectedReadOnly = 5,
    /// SASL authentication succeeded.
    SaslAuthenticated = 6,
    /// The session expired.
    Expired = -112,
    /// The client was closed.
    Closed = 7,
}

/// `CheckWatchesRequest.type` / `RemoveWatchesRequest.type`.
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum WatcherType {
    /// Child watches.
    Children = 1,
    /// Data watches (set by `getData` and `exists`).
    Data = 2,
    /// Any watch.
    Any = 3,
    /// 3.9.0+ (a 3.8 server answers MarshallingError).
    Persistent = 4,
    /// 3.9.0+ (a 3.8 server answers MarshallingError).
    PersistentRecursive = 5,
}

/// `AddWatchRequest.mode`.
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum AddWatchMode {
    /// Fires for the node's data and children changes, and stays.
    Persistent = 0,
    /// Fires for the node and every node under it (no child events), and stays.
    PersistentRecursive = 1,
}

/// `ACL.perms` bits (`ZooDefs.Perms`).
pub mod perms {
    /// Read data and list children.
    pub const READ: i32 = 1;
    /// Set data.
    pub const WRITE: i32 = 1 << 1;
    /// Create children.
    pub const CREATE: i32 = 1 << 2;
    /// Delete children.
    pub const DELETE: i32 = 1 << 3;
    /// Set the ACL.
    pub const ADMIN: i32 = 1 << 4;
    /// Everything.
    pub const ALL: i32 = READ | WRITE | CREATE | DELETE | ADMIN;
}
