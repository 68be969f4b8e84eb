//! `module org.apache.zookeeper.server.persistence`: the header of txn log and snapshot files.

use jute::Jute;

/// `org.apache.zookeeper.server.persistence.FileHeader`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Jute)]
#[jute(module = "org.apache.zookeeper.server.persistence")]
pub struct FileHeader {
    /// `int magic`
    pub magic: i32,
    /// `int version`
    pub version: i32,
    /// `long dbid`
    pub dbid: i64,
}
