//! `module org.apache.zookeeper.proto`: the client protocol's requests, responses and headers.

use jute::Jute;

/// `org.apache.zookeeper.proto.ConnectRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct ConnectRequest {
    /// `int protocolVersion`
    pub protocol_version: i32,
    /// `long lastZxidSeen`
    pub last_zxid_seen: i64,
    /// `int timeOut`
    pub time_out: i32,
    /// `long sessionId`
    pub session_id: i64,
    /// `buffer passwd`
    pub passwd: Option<Vec<u8>>,
    /// `boolean readOnly`: a trailing byte that clients older than 3.4 omit (and 3.8's schema
    /// leaves out, though 3.8 writes it by hand); `None` when absent.
    #[jute(optional)]
    pub read_only: Option<bool>,
}

/// `org.apache.zookeeper.proto.ConnectResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct ConnectResponse {
    /// `int protocolVersion`
    pub protocol_version: i32,
    /// `int timeOut`
    pub time_out: i32,
    /// `long sessionId`
    pub session_id: i64,
    /// `buffer passwd`
    pub passwd: Option<Vec<u8>>,
    /// `boolean readOnly`: a trailing byte that clients older than 3.4 omit (and 3.8's schema
    /// leaves out, though 3.8 writes it by hand); `None` when absent.
    #[jute(optional)]
    pub read_only: Option<bool>,
}

/// `org.apache.zookeeper.proto.SetWatches`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetWatches {
    /// `long relativeZxid`
    pub relative_zxid: i64,
    /// `vector<ustring> dataWatches`
    pub data_watches: Option<Vec<String>>,
    /// `vector<ustring> existWatches`
    pub exist_watches: Option<Vec<String>>,
    /// `vector<ustring> childWatches`
    pub child_watches: Option<Vec<String>>,
}

/// `org.apache.zookeeper.proto.SetWatches2`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetWatches2 {
    /// `long relativeZxid`
    pub relative_zxid: i64,
    /// `vector<ustring> dataWatches`
    pub data_watches: Option<Vec<String>>,
    /// `vector<ustring> existWatches`
    pub exist_watches: Option<Vec<String>>,
    /// `vector<ustring> childWatches`
    pub child_watches: Option<Vec<String>>,
    /// `vector<ustring> persistentWatches`
    pub persistent_watches: Option<Vec<String>>,
    /// `vector<ustring> persistentRecursiveWatches`
    pub persistent_recursive_watches: Option<Vec<String>>,
}

/// `org.apache.zookeeper.proto.RequestHeader`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct RequestHeader {
    /// `int xid`
    pub xid: i32,
    /// `int type`
    pub r#type: i32,
}

/// `org.apache.zookeeper.proto.MultiHeader`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct MultiHeader {
    /// `int type`
    pub r#type: i32,
    /// `boolean done`
    pub done: bool,
    /// `int err`
    pub err: i32,
}

/// `org.apache.zookeeper.proto.AuthPacket`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct AuthPacket {
    /// `int type`
    pub r#type: i32,
    /// `ustring scheme`
    pub scheme: Option<String>,
    /// `buffer auth`
    pub auth: Option<Vec<u8>>,
}

/// `org.apache.zookeeper.proto.ReplyHeader`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct ReplyHeader {
    /// `int xid`
    pub xid: i32,
    /// `long zxid`
    pub zxid: i64,
    /// `int err`
    pub err: i32,
}

/// `org.apache.zookeeper.proto.GetDataRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetDataRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `boolean watch`
    pub watch: bool,
}

/// `org.apache.zookeeper.proto.SetDataRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetDataRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `int version`
    pub version: i32,
}

/// `org.apache.zookeeper.proto.ReconfigRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct ReconfigRequest {
    /// `ustring joiningServers`
    pub joining_servers: Option<String>,
    /// `ustring leavingServers`
    pub leaving_servers: Option<String>,
    /// `ustring newMembers`
    pub new_members: Option<String>,
    /// `long curConfigId`
    pub cur_config_id: i64,
}

/// `org.apache.zookeeper.proto.SetDataResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetDataResponse {
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: crate::data::Stat,
}

/// `org.apache.zookeeper.proto.GetSASLRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetSASLRequest {
    /// `buffer token`
    pub token: Option<Vec<u8>>,
}

/// `org.apache.zookeeper.proto.SetSASLRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetSASLRequest {
    /// `buffer token`
    pub token: Option<Vec<u8>>,
}

/// `org.apache.zookeeper.proto.SetSASLResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetSASLResponse {
    /// `buffer token`
    pub token: Option<Vec<u8>>,
}

/// `org.apache.zookeeper.proto.CreateRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct CreateRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `int flags`
    pub flags: i32,
}

/// `org.apache.zookeeper.proto.CreateTTLRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct CreateTTLRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `int flags`
    pub flags: i32,
    /// `long ttl`
    pub ttl: i64,
}

/// `org.apache.zookeeper.proto.DeleteRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct DeleteRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `int version`
    pub version: i32,
}

/// `org.apache.zookeeper.proto.GetChildrenRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetChildrenRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `boolean watch`
    pub watch: bool,
}

/// `org.apache.zookeeper.proto.GetAllChildrenNumberRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetAllChildrenNumberRequest {
    /// `ustring path`
    pub path: Option<String>,
}

/// `org.apache.zookeeper.proto.GetChildren2Request`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetChildren2Request {
    /// `ustring path`
    pub path: Option<String>,
    /// `boolean watch`
    pub watch: bool,
}

/// `org.apache.zookeeper.proto.CheckVersionRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct CheckVersionRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `int version`
    pub version: i32,
}

/// `org.apache.zookeeper.proto.GetMaxChildrenRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetMaxChildrenRequest {
    /// `ustring path`
    pub path: Option<String>,
}

/// `org.apache.zookeeper.proto.GetMaxChildrenResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetMaxChildrenResponse {
    /// `int max`
    pub max: i32,
}

/// `org.apache.zookeeper.proto.SetMaxChildrenRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetMaxChildrenRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `int max`
    pub max: i32,
}

/// `org.apache.zookeeper.proto.SyncRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SyncRequest {
    /// `ustring path`
    pub path: Option<String>,
}

/// `org.apache.zookeeper.proto.SyncResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SyncResponse {
    /// `ustring path`
    pub path: Option<String>,
}

/// `org.apache.zookeeper.proto.GetACLRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetACLRequest {
    /// `ustring path`
    pub path: Option<String>,
}

/// `org.apache.zookeeper.proto.SetACLRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetACLRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `int version`
    pub version: i32,
}

/// `org.apache.zookeeper.proto.SetACLResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct SetACLResponse {
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: crate::data::Stat,
}

/// `org.apache.zookeeper.proto.AddWatchRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct AddWatchRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `int mode`
    pub mode: i32,
}

/// `org.apache.zookeeper.proto.WatcherEvent`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct WatcherEvent {
    /// `int type`: event type
    pub r#type: i32,
    /// `int state`: state of the Keeper client runtime
    pub state: i32,
    /// `ustring path`
    pub path: Option<String>,
}

/// `org.apache.zookeeper.proto.ErrorResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct ErrorResponse {
    /// `int err`
    pub err: i32,
}

/// `org.apache.zookeeper.proto.CreateResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct CreateResponse {
    /// `ustring path`
    pub path: Option<String>,
}

/// `org.apache.zookeeper.proto.Create2Response`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct Create2Response {
    /// `ustring path`
    pub path: Option<String>,
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: crate::data::Stat,
}

/// `org.apache.zookeeper.proto.ExistsRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct ExistsRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `boolean watch`
    pub watch: bool,
}

/// `org.apache.zookeeper.proto.ExistsResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct ExistsResponse {
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: crate::data::Stat,
}

/// `org.apache.zookeeper.proto.GetDataResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetDataResponse {
    /// `buffer data`
    pub data: Option<Vec<u8>>,
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: crate::data::Stat,
}

/// `org.apache.zookeeper.proto.GetChildrenResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetChildrenResponse {
    /// `vector<ustring> children`
    pub children: Option<Vec<String>>,
}

/// `org.apache.zookeeper.proto.GetAllChildrenNumberResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetAllChildrenNumberResponse {
    /// `int totalNumber`
    pub total_number: i32,
}

/// `org.apache.zookeeper.proto.GetChildren2Response`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetChildren2Response {
    /// `vector<ustring> children`
    pub children: Option<Vec<String>>,
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: crate::data::Stat,
}

/// `org.apache.zookeeper.proto.GetACLResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetACLResponse {
    /// `vector<org.apache.zookeeper.data.ACL> acl`
    pub acl: Option<Vec<crate::data::ACL>>,
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: crate::data::Stat,
}

/// `org.apache.zookeeper.proto.CheckWatchesRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct CheckWatchesRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `int type`
    pub r#type: i32,
}

/// `org.apache.zookeeper.proto.RemoveWatchesRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct RemoveWatchesRequest {
    /// `ustring path`
    pub path: Option<String>,
    /// `int type`
    pub r#type: i32,
}

/// `org.apache.zookeeper.proto.GetEphemeralsRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetEphemeralsRequest {
    /// `ustring prefixPath`
    pub prefix_path: Option<String>,
}

/// `org.apache.zookeeper.proto.GetEphemeralsResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct GetEphemeralsResponse {
    /// `vector<ustring> ephemerals`
    pub ephemerals: Option<Vec<String>>,
}

/// `org.apache.zookeeper.proto.WhoAmIResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.proto")]
pub struct WhoAmIResponse {
    /// `vector<org.apache.zookeeper.data.ClientInfo> clientInfo`
    pub client_info: Option<Vec<crate::data::ClientInfo>>,
}
