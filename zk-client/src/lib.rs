//! An async Apache ZooKeeper client (work in progress: protocol core).

#![forbid(unsafe_code)]

pub mod codec;
pub mod connect_string;
pub mod error;
pub mod path;
pub mod session;
pub mod watches;

pub use error::Error;
