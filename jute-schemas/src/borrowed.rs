//! Zero-copy forms of the hot replies: they borrow data and names from the receive buffer.
//!
//! Each has the same schema (and bytes) as its owned counterpart in [`crate::proto`].
//!
//! ```
//! use jute::Record;
//! use jute_schemas::borrowed::GetDataResponseRef;
//! use jute_schemas::proto::GetDataResponse;
//!
//! let owned = GetDataResponse { data: Some(b"hello".to_vec()), stat: Default::default() };
//! let bytes = owned.to_vec();
//! let reply: GetDataResponseRef<'_> = jute::from_slice(&bytes)?;
//! assert_eq!(reply.data, Some(&b"hello"[..]));
//! // The data is a slice of `bytes`, not a copy.
//! assert!(std::ptr::eq(reply.data.unwrap().as_ptr(), bytes[4..].as_ptr()));
//! # Ok::<(), jute::DecodeError>(())
//! ```

use std::borrow::Cow;

use jute::Jute;

use crate::data::Stat;

/// `org.apache.zookeeper.proto.GetDataResponse`, borrowing the data.
#[derive(Debug, Clone, PartialEq, Eq, Jute)]
#[jute(module = "org.apache.zookeeper.proto", name = "GetDataResponse")]
pub struct GetDataResponseRef<'a> {
    /// `buffer data`
    pub data: Option<&'a [u8]>,
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: Stat,
}

/// `org.apache.zookeeper.proto.GetChildrenResponse`, borrowing the names (copied only when Java
/// wrote a character outside the BMP as a surrogate pair).
#[derive(Debug, Clone, PartialEq, Eq, Jute)]
#[jute(module = "org.apache.zookeeper.proto", name = "GetChildrenResponse")]
pub struct GetChildrenResponseRef<'a> {
    /// `vector<ustring> children`
    pub children: Option<Vec<Cow<'a, str>>>,
}

/// `org.apache.zookeeper.proto.GetChildren2Response`, borrowing the names.
#[derive(Debug, Clone, PartialEq, Eq, Jute)]
#[jute(module = "org.apache.zookeeper.proto", name = "GetChildren2Response")]
pub struct GetChildren2ResponseRef<'a> {
    /// `vector<ustring> children`
    pub children: Option<Vec<Cow<'a, str>>>,
    /// `org.apache.zookeeper.data.Stat stat`
    pub stat: Stat,
}

/// `org.apache.zookeeper.proto.WatcherEvent`, borrowing the path.
#[derive(Debug, Clone, PartialEq, Eq, Jute)]
#[jute(module = "org.apache.zookeeper.proto", name = "WatcherEvent")]
pub struct WatcherEventRef<'a> {
    /// `int type`
    pub r#type: i32,
    /// `int state`
    pub state: i32,
    /// `ustring path`
    pub path: Option<Cow<'a, str>>,
}
