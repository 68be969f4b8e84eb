//! `module org.apache.zookeeper.txn`: transactions as written to the txn log.

use jute::Jute;

/// `org.apache.zookeeper.txn.TxnDigest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct TxnDigest {
    /// `int version`
    pub version: i32,
    /// `long treeDigest`
    pub tree_digest: i64,
}

/// `org.apache.zookeeper.txn.TxnHeader`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct TxnHeader {
    /// `long clientId`
    pub client_id: i64,
    /// `int cxid`
    pub cxid: i32,
    /// `long zxid`
    pub zxid: i64,
    /// `long time`
    pub time: i64,
    /// `int type`
    pub r#type: i32,
}

/// `org.apache.zookeeper.txn.CreateTxnV0`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct CreateTxnV0 {
    /// `ustring path`
    pub path: Option<String>,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `boolean ephemeral`
    pub ephemeral: bool,
}

/// `org.apache.zookeeper.txn.CreateTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct CreateTxn {
    /// `ustring path`
    pub path: Option<String>,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `boolean ephemeral`
    pub ephemeral: bool,
    /// `int parentCVersion`
    pub parent_c_version: i32,
}

/// `org.apache.zookeeper.txn.CreateTTLTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct CreateTTLTxn {
    /// `ustring path`
    pub path: Option<String>,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `int parentCVersion`
    pub parent_c_version: i32,
    /// `long ttl`
    pub ttl: i64,
}

/// `org.apache.zookeeper.txn.CreateContainerTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct CreateContainerTxn {
    /// `ustring path`
    pub path: Option<String>,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `int parentCVersion`
    pub parent_c_version: i32,
}

/// `org.apache.zookeeper.txn.DeleteTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct DeleteTxn {
    /// `ustring path`
    pub path: Option<String>,
}

/// `org.apache.zookeeper.txn.SetDataTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct SetDataTxn {
    /// `ustring path`
    pub path: Option<String>,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `int version`
    pub version: i32,
}

/// `org.apache.zookeeper.txn.CheckVersionTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct CheckVersionTxn {
    /// `ustring path`
    pub path: Option<String>,
    /// `int version`
    pub version: i32,
}

/// `org.apache.zookeeper.txn.SetACLTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct SetACLTxn {
    /// `ustring path`
    pub path: Option<String>,
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `int version`
    pub version: i32,
}

/// `org.apache.zookeeper.txn.SetMaxChildrenTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct SetMaxChildrenTxn {
    /// `ustring path`
    pub path: Option<String>,
    /// `int max`
    pub max: i32,
}

/// `org.apache.zookeeper.txn.CreateSessionTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct CreateSessionTxn {
    /// `int timeOut`
    pub time_out: i32,
}

/// `org.apache.zookeeper.txn.CloseSessionTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct CloseSessionTxn {
    /// `vector<ustring> paths2Delete`
    pub paths2_delete: Option<Vec<String>>,
}

/// `org.apache.zookeeper.txn.ErrorTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct ErrorTxn {
    /// `int err`
    pub err: i32,
}

/// `org.apache.zookeeper.txn.Txn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct Txn {
    /// `int type`
    pub r#type: i32,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
}

/// `org.apache.zookeeper.txn.MultiTxn`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.txn")]
pub struct MultiTxn {
    /// `vector<org.apache.zookeeper.txn.Txn> txns`
    pub txns: Option<Vec<crate::txn::Txn>>,
}
