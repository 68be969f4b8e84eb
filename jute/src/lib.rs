//! Runtime of the Jute binary format, the serialization of Apache ZooKeeper's records.
//!
//! - [`Encode`], [`Decode`], [`Typed`] and [`Record`]: what `#[derive(Jute)]` implements.
//! - Encodings of every Jute type: `byte` (`i8`), `boolean` (`bool`), `int` (`i32`), `long`
//!   (`i64`), `float`, `double`, `ustring` (`String`, `&str`, `Cow<str>`), `buffer` (`Vec<u8>`,
//!   `&[u8]`, `Bytes`), `vector<T>` (`Vec<T>`), `map<K,V>` (`BTreeMap`), nested records, and the
//!   null form of ustring/buffer/vector as `Option`.
//! - [`Limits`]: every length read from input is checked before anything is allocated.
//! - [`DecodeError`]: what went wrong, at which byte, in which record and field.
//! - [`Value`] with [`ToValue`]/[`FromValue`], and [`json`]: records as dynamic values and JSON.
//! - [`idl`]: a parser for `.jute` files.
//!
//! All integers are big-endian. Strings are written as UTF-8 and read as UTF-8 or as the CESU-8
//! form ZooKeeper's Java `BinaryOutputArchive` writes for characters outside the BMP.
//!
//! ```
//! use jute::{Encode, Jute, Record};
//!
//! #[derive(Jute, Debug, PartialEq)]
//! #[jute(module = "org.apache.zookeeper.proto")]
//! struct GetDataRequest {
//!     path: Option<String>,
//!     watch: bool,
//! }
//!
//! let req = GetDataRequest { path: Some("/a".into()), watch: true };
//! let bytes = req.to_vec();
//! assert_eq!(bytes, [0, 0, 0, 2, b'/', b'a', 1]);
//! assert_eq!(req.encoded_len(), bytes.len());
//! assert_eq!(jute::from_slice::<GetDataRequest>(&bytes)?, req);
//! assert_eq!(GetDataRequest::SCHEMA.fields[1].name, "watch");
//! # Ok::<(), jute::DecodeError>(())
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod buffer;
pub mod error;
pub mod idl;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub mod json;
pub mod limits;
mod primitives;
pub mod reader;
pub mod schema;
mod string;
pub mod traits;
pub mod value;
pub mod vector;

pub use error::{DecodeError, DecodeErrorKind, EncodeError, ValueError};
pub use limits::{Limits, JAVA_FIELD_LENGTH_LIMIT, JUTE_MAXBUFFER_DEFAULT};
pub use reader::Reader;
pub use schema::{FieldSchema, JuteType, RecordSchema};
pub use string::decode_java_utf8;
pub use traits::{from_slice, from_slice_with, Decode, Encode, Record, Typed};
pub use value::{FromValue, ToValue, Value};
pub use vector::Nullable;

#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use jute_derive::{Jute, JuteEnum};

/// The `bytes` crate, whose `BufMut` the encoders write into.
pub use bytes;
