//! The library behind the `zk` command line: readers of ZooKeeper's on-disk files, and how
//! data is shown. The binary is `zk` (see `zk --help`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod capture;
pub mod dump;
pub use zk_server::ondisk;
pub mod quorum;
pub mod show;
