//! The client protocol above the records: which record follows which header, by op code and
//! xid, including the hand-written multi encoding. Pure functions of bytes, no I/O, shared by the
//! client, the traffic decoder and the tests.
//!
//! A frame here is what follows the 4-byte length prefix.
//!
//! ```
//! use jute::Encode;
//! use jute_schemas::protocol::{decode_request, OpCode, RequestBody};
//!
//! // create("/a", b"x", OPEN_ACL_UNSAFE, PERSISTENT) as xid 1 (PROTOCOL.md §14)
//! let frame = jute::json::hex_decode(
//!     "0000000100000001000000022f610000000178000000010000001f00000005776f726c6400000006616e796f6e6500000000",
//! ).unwrap();
//! let req = decode_request(&frame, jute::Limits::default())?;
//! assert_eq!(req.op(), Ok(OpCode::Create));
//! let RequestBody::Create(create) = &req.body else { panic!() };
//! assert_eq!(create.path.as_deref(), Some("/a"));
//! let mut again = Vec::new();
//! req.encode(&mut again);
//! assert_eq!(again, frame);
//! # Ok::<(), jute::DecodeError>(())
//! ```

mod consts;
pub mod frame;
mod multi;
pub mod ops;
mod request;
mod response;

pub use consts::{
    perms, xid, AddWatchMode, CreateMode, ErrorCode, EventType, KeeperState, OpCode, WatcherType,
};
pub use multi::{MultiOp, MultiRequest, MultiResponse, MultiResult};
pub use request::{decode_request, Request, RequestBody};
pub use response::{decode_response, Response, ResponseBody};

/// Declares a body enum whose variants each hold one record (or nothing), with `Encode` and
/// `ToValue` dispatching to the record.
macro_rules! body_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident($ty:ty)),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            /// No body.
            None,
            $($(#[$vmeta])* $variant($ty),)*
        }

        impl jute::Encode for $name {
            fn encode<B: jute::bytes::BufMut + ?Sized>(&self, buf: &mut B) {
                match self {
                    $name::None => {}
                    $($name::$variant(r) => r.encode(buf),)*
                }
            }
            fn encoded_len(&self) -> usize {
                match self {
                    $name::None => 0,
                    $($name::$variant(r) => r.encoded_len(),)*
                }
            }
        }

        impl jute::ToValue for $name {
            fn to_value(&self) -> jute::Value {
                match self {
                    $name::None => jute::Value::Null,
                    $($name::$variant(r) => r.to_value(),)*
                }
            }
        }
    };
}
pub(crate) use body_enum;
