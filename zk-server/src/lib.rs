//! An embedded, ZooKeeper-compatible server, built on `jute-schemas`' records, without I/O in
//! its logic (as the client's session is). One node, no replication; its state in memory, or
//! kept in a ZooKeeper data directory ([`Builder::data_dir`]): for development, examples and
//! tests; production runs on real ZooKeeper.
//!
//! It serves a standalone ZooKeeper as clients see it: the handshake (new and resumed
//! sessions, refusals), pings, closeSession and expiry by its clock; create in every mode
//! (TTL with [`Builder::extended_types`]), delete, exists, getData, setData, getChildren(2),
//! getACL and setACL, getAllChildrenNumber, getEphemerals, sync, check, multi and multiRead;
//! one-shot, persistent and recursive watches, removeWatches/checkWatches, setWatches(2)
//! after a reconnect; setAuth (`digest`, `ip`; another scheme fails), ACLs enforced for
//! `world`, `auth`, `digest` and `ip`, a super digest, whoAmI; getConfig and reconfig as a
//! standalone server without reconfig answers them; the container manager (emptied
//! containers, expired TTL nodes); four-letter words behind a whitelist.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = zk_server::Server::builder().start().await?;
//! let zk = zk_client::Client::connect(&server.connect_string()).await?;
//! zk.create("/hello", b"world", &Default::default()).await?;
//! # Ok(()) }
//! ```
//!
//! **Persistence in ZooKeeper's format** ([`Builder::data_dir`], `zk server --data-dir DIR`):
//! the server keeps its state in a ZooKeeper `dataDir` (`DIR/version-2/log.<zxid>` and
//! `snapshot.<zxid>`, byte for byte as ZooKeeper 3.8 writes them), so ZooKeeper can start from
//! a directory this server wrote and this server from one ZooKeeper wrote. A write is answered
//! only once its transaction is in the log and synced, the transactions that arrived together
//! sharing one sync (and no answer after it goes out before it); the log is preallocated and
//! rolled at each snapshot, taken every `snapCount` transactions (randomized) on a thread of
//! its own, and retention keeps the newest three with the logs they need. Started again
//! (after a stop or a SIGKILL), it recovers the tree and the sessions as ZooKeeper does; a
//! failed write or sync (a full disk) stops every acknowledgement and says why
//! ([`Server::failure`]); the directory is locked against a second server. See [`persist`].
//! `tests/persist.rs` has ZooKeeper 3.8 start from our directory (the same tree, no digest
//! mismatch, a session taken over with its ephemerals) and its `TxnLogToolkit` and
//! `SnapshotFormatter` read our files; zk-tools' `server_crash.rs` kills `zk server` with
//! SIGKILL under pipelined writes and finds every acknowledged write after each restart.
//!
//! **Reading a data directory**: [`datadir::load`] recovers the state a real ZooKeeper left in
//! its `dataDir` (its newest whole snapshot, then its transaction logs, as ZooKeeper 3.8
//! recovers, optionally up to a chosen zxid), and [`Builder::restored`] serves it in memory, its
//! sessions resumable by their clients, or read-only ([`Builder::read_only`]) to look at the
//! state just before an incident; `zk server --load DIR [--up-to ZXID] [--read-only]`. The
//! files are read with [`ondisk`] (which `zk txnlog` and `zk snapshot` use too) and replayed
//! by [`restore`], without I/O. `tests/datadir.rs` holds it to ZooKeeper: a real server's
//! files, recovered by ZooKeeper restarted on them and by this crate, read back the same
//! (every node's data, Stat, ACL and children in order), and the recovered tree is checked
//! against the digests ZooKeeper wrote ([`tree::DataTree::digest`], its `DigestCalculator`,
//! kept as the tree changes). The core emits, for every zxid it hands out, the transaction
//! ZooKeeper would log ([`logged`], as [`core::Out::Log`], ahead of the answers, with the
//! digest); `tests/logged.rs` replays a random workload's log to the core's own tree, and
//! ZooKeeper 3.8, given it as its files, recovers the same tree without a digest mismatch.
//!
//! [`Server`] runs on the caller's tokio runtime; [`BlockingServer`]
//! ([`Builder::start_blocking`]) on a thread of its own. Either can expire a session, drop
//! every connection, stop (freeing its port) and restart on the same address with its tree.
//!
//! Inside: [`tree::DataTree`] (the nodes), [`prep`] (the checks a write passes, in
//! ZooKeeper's order and with its error codes), [`reads`], [`multi`], [`watches`],
//! [`sessions`] (ids, ZooKeeper's passwords, timeout negotiation, tick-bucket expiry),
//! [`auth`] (identities and the ACL check), [`words`] (four-letter words), [`java`] (the
//! orders of Java's hash sets, which ZooKeeper's lists follow), and [`core::Core`], the server
//! without I/O (frames in, frames out, a fake clock in its tests); [`net`] only moves bytes.
//!
//! **Held to ZooKeeper 3.8** (Debian's, which the test kit installs): `tests/random.rs` runs a
//! seeded random workload of four sessions (every create mode, versions, failing multis,
//! ACLs and auth, every kind of watch, closes, expiries and resumes by id) on a real server
//! and on this one, 20,000 operations per suite run, and every answer and notification must
//! be the same, zxids included; `tests/differential.rs`, `watches.rs`, `auth.rs`,
//! `reaping.rs` and `words.rs` compare scripted corners. ZooKeeper's own orders are kept:
//! children, a session's ephemerals and its identities are listed in the order of Java's
//! hash sets, as ZooKeeper lists them. Its quirks are kept too: a persistent or recursive
//! watch lives in both watch managers, so a one-shot watch set later on the same path
//! replaces it in one only; `checkWatches` finds anyone's watch on the path.
//!
//! **Where it follows 3.9 instead**: a create inside a multi is answered with its Stat (3.8.0
//! answers the path only); `removeWatches`/`checkWatches` take the persistent types 4 and 5
//! (3.8 cannot read them). Notifications carry zxid -1, as 3.8 sends them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
mod blocking;
pub mod core;
pub mod datadir;
pub mod java;
pub mod logged;
pub mod multi;
pub mod net;
pub mod ondisk;
pub mod owner;
pub mod persist;
pub mod prep;
pub mod reads;
pub mod restore;
pub mod sessions;
pub mod tree;
pub mod watches;
pub mod words;

pub use blocking::BlockingServer;
pub use net::{Builder, Server};

/// ZooKeeper's error codes, as answers carry them.
pub use jute_schemas::protocol::ErrorCode;
