//! `module org.apache.zookeeper.data`: ids, ACLs and node stats shared by client and server.

use jute::Jute;

/// `org.apache.zookeeper.data.Id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Jute)]
#[jute(module = "org.apache.zookeeper.data")]
pub struct Id {
    /// `ustring scheme`
    pub scheme: Option<String>,
    /// `ustring id`
    pub id: Option<String>,
}

/// `org.apache.zookeeper.data.ACL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Jute)]
#[jute(module = "org.apache.zookeeper.data")]
pub struct ACL {
    /// `int perms`
    pub perms: i32,
    /// `Id id`
    pub id: Id,
}

/// `org.apache.zookeeper.data.Stat`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.data")]
pub struct Stat {
    /// `long czxid`: created zxid
    pub czxid: i64,
    /// `long mzxid`: last modified zxid
    pub mzxid: i64,
    /// `long ctime`: created
    pub ctime: i64,
    /// `long mtime`: last modified
    pub mtime: i64,
    /// `int version`: version
    pub version: i32,
    /// `int cversion`: child version
    pub cversion: i32,
    /// `int aversion`: acl version
    pub aversion: i32,
    /// `long ephemeralOwner`: owner id if ephemeral, 0 otw
    pub ephemeral_owner: i64,
    /// `int dataLength`: length of the data in the node
    pub data_length: i32,
    /// `int numChildren`: number of children of this node
    pub num_children: i32,
    /// `long pzxid`: last modified children
    pub pzxid: i64,
}

/// `org.apache.zookeeper.data.StatPersisted`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.data")]
pub struct StatPersisted {
    /// `long czxid`: created zxid
    pub czxid: i64,
    /// `long mzxid`: last modified zxid
    pub mzxid: i64,
    /// `long ctime`: created
    pub ctime: i64,
    /// `long mtime`: last modified
    pub mtime: i64,
    /// `int version`: version
    pub version: i32,
    /// `int cversion`: child version
    pub cversion: i32,
    /// `int aversion`: acl version
    pub aversion: i32,
    /// `long ephemeralOwner`: owner id if ephemeral, 0 otw
    pub ephemeral_owner: i64,
    /// `long pzxid`: last modified children
    pub pzxid: i64,
}

/// `org.apache.zookeeper.data.ClientInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.data")]
pub struct ClientInfo {
    /// `ustring authScheme`: Authentication scheme
    pub auth_scheme: Option<String>,
    /// `ustring user`: user name or any other id(for example ip)
    pub user: Option<String>,
}
