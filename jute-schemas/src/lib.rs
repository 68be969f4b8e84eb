//! Every record of Apache ZooKeeper's `zookeeper.jute` (3.9) as a Rust struct with a derived
//! Jute codec, field names, order and types exactly as in the schema.
//!
//! Type mapping: `int` → `i32`, `long` → `i64`, `boolean` → `bool`, `byte` → `i8`, `ustring` →
//! `Option<String>`, `buffer` → `Option<Vec<u8>>`, `vector<T>` → `Option<Vec<T>>` (`None` is the
//! null form, length -1, which Java distinguishes from empty), nested records by value. Vector
//! elements are never null. The trailing `readOnly` of `ConnectRequest`/`ConnectResponse` is
//! `Option<bool>`: absent when the peer did not send it.
//!
//! [`borrowed`] has zero-copy forms of the hot replies and [`registry`] lists every record by name.
//!
//! ```
//! use jute::{Encode, Record};
//! use jute_schemas::data::Stat;
//! use jute_schemas::proto::GetDataResponse;
//!
//! let reply = GetDataResponse { data: None, stat: Stat { version: 3, ..Stat::default() } };
//! let bytes = reply.to_vec();
//! assert_eq!(&bytes[..4], [0xff, 0xff, 0xff, 0xff]); // null data
//! assert_eq!(bytes.len(), 4 + 68);
//! assert_eq!(jute::from_slice::<GetDataResponse>(&bytes)?, reply);
//! # Ok::<(), jute::DecodeError>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod borrowed;
pub mod data;
pub mod persistence;
pub mod proto;
pub mod protocol;
pub mod quorum;
pub mod registry;
pub mod txn;
