//! `module org.apache.zookeeper.server.quorum`: packets between ensemble members.

use jute::Jute;

/// `org.apache.zookeeper.server.quorum.LearnerInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.server.quorum")]
pub struct LearnerInfo {
    /// `long serverid`
    pub serverid: i64,
    /// `int protocolVersion`
    pub protocol_version: i32,
    /// `long configVersion`
    pub config_version: i64,
}

/// `org.apache.zookeeper.server.quorum.QuorumPacket`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.server.quorum")]
pub struct QuorumPacket {
    /// `int type`: Request, Ack, Commit, Ping
    pub r#type: i32,
    /// `long zxid`
    pub zxid: i64,
    /// `buffer data`: Only significant when type is request
    pub data: Option<Vec<u8>>,
    /// `vector<org.apache.zookeeper.data.Id> authinfo`
    pub authinfo: Option<Vec<crate::data::Id>>,
}

/// `org.apache.zookeeper.server.quorum.QuorumAuthPacket`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.server.quorum")]
pub struct QuorumAuthPacket {
    /// `long magic`
    pub magic: i64,
    /// `int status`
    pub status: i32,
    /// `buffer token`
    pub token: Option<Vec<u8>>,
}
