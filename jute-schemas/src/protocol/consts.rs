//! Numbers of the client protocol: op codes, special xids, error codes, create modes, watch
//! enums and permission bits (ZooKeeper's `ZooDefs`, `KeeperException.Code`, `Watcher`).

use jute::JuteEnum;

/// Request types (`ZooDefs.OpCode`).
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(missing_docs)]
pub enum OpCode {
    Notification = 0,
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    GetAcl = 6,
    SetAcl = 7,
    GetChildren = 8,
    Sync = 9,
    Ping = 11,
    GetChildren2 = 12,
    /// Only valid inside a multi; a 3.8.0 server never answers a top-level check.
    Check = 13,
    Multi = 14,
    Create2 = 15,
    Reconfig = 16,
    CheckWatches = 17,
    RemoveWatches = 18,
    CreateContainer = 19,
    DeleteContainer = 20,
    CreateTtl = 21,
    MultiRead = 22,
    Auth = 100,
    SetWatches = 101,
    Sasl = 102,
    GetEphemerals = 103,
    GetAllChildrenNumber = 104,
    SetWatches2 = 105,
    AddWatch = 106,
    WhoAmI = 107,
    CreateSession = -10,
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
#[allow(missing_docs)]
pub enum ErrorCode {
    Ok = 0,
    SystemError = -1,
    RuntimeInconsistency = -2,
    DataInconsistency = -3,
    ConnectionLoss = -4,
    MarshallingError = -5,
    Unimplemented = -6,
    OperationTimeout = -7,
    BadArguments = -8,
    UnknownSession = -12,
    NewConfigNoQuorum = -13,
    ReconfigInProgress = -14,
    ApiError = -100,
    NoNode = -101,
    NoAuth = -102,
    BadVersion = -103,
    NoChildrenForEphemerals = -108,
    NodeExists = -110,
    NotEmpty = -111,
    SessionExpired = -112,
    InvalidCallback = -113,
    InvalidAcl = -114,
    AuthFailed = -115,
    SessionMoved = -118,
    NotReadOnly = -119,
    EphemeralOnLocalSession = -120,
    NoWatcher = -121,
    RequestTimeout = -122,
    ReconfigDisabled = -123,
    SessionClosedRequireSaslAuth = -124,
    QuotaExceeded = -125,
    ThrottledOp = -127,
    /// A code this version does not know.
    #[jute(other)]
    Unknown(i32),
}

/// `CreateRequest.flags` (`CreateMode`).
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(missing_docs)]
pub enum CreateMode {
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,
    Container = 4,
    PersistentWithTtl = 5,
    PersistentSequentialWithTtl = 6,
}

/// `WatcherEvent.type`.
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(missing_docs)]
pub enum EventType {
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

/// `WatcherEvent.state` (the server always sends `SyncConnected`).
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(missing_docs)]
pub enum KeeperState {
    Unknown = -1,
    Disconnected = 0,
    NoSyncConnected = 1,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    SaslAuthenticated = 6,
    Expired = -112,
    Closed = 7,
}

/// `CheckWatchesRequest.type` / `RemoveWatchesRequest.type`.
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(missing_docs)]
pub enum WatcherType {
    Children = 1,
    Data = 2,
    Any = 3,
    /// 3.9.0+ (a 3.8 server answers MarshallingError).
    Persistent = 4,
    /// 3.9.0+ (a 3.8 server answers MarshallingError).
    PersistentRecursive = 5,
}

/// `AddWatchRequest.mode`.
#[derive(JuteEnum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(missing_docs)]
pub enum AddWatchMode {
    Persistent = 0,
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
