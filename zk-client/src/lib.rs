//! An async Apache ZooKeeper client for tokio, built on the generated Jute records of
//! `jute-schemas`.
//!
//! - [`Client`]: every operation of the client protocol, typed; calls are queued in call order
//!   and any number can be in flight on one connection.
//! - Watches: one-shot watches come back with the read that set them ([`OneshotWatcher`], a
//!   future of the event); persistent and recursive watches are streams ([`PersistentWatcher`]).
//!   Dropping a handle removes the server-side watch when no other local handle needs it.
//! - Session state on a `watch` channel ([`Client::state`]).
//! - Paths are checked with the server's rules before anything is sent; the chroot of the
//!   connect string is added on the way out and stripped from every path that comes back.
//!
//! Inside, [`session::Session`] is the protocol as a state machine without I/O: it owns its
//! clock ([`session::Timeouts`], [`session::Session::poll_timeout`],
//! [`session::Session::handle_timeout`]) and its phase. Calls encode their requests straight
//! into its output under a lock shared with one tokio task, the driver, which writes
//! everything the session lets out in one go, hands every frame it reads to the session before
//! waking the callers it answers, and sleeps until the session's next timeout.
//!
//! ```no_run
//! # async fn demo() -> Result<(), zk_client::Error> {
//! use zk_client::{Client, CreateMode, CreateOptions};
//!
//! let zk = Client::connect("127.0.0.1:2181/app").await?;
//! zk.create("/config", b"v1", &CreateOptions::default()).await?;
//! let (data, _stat, watch) = zk.get_data_watch("/config").await?;
//! assert_eq!(data, b"v1");
//! zk.set_data("/config", b"v2", None).await?;
//! let event = watch.await?;
//! assert_eq!(event.path, "/config");
//! zk.close().await;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod acl;
mod backoff;
mod builder;
mod calls;
mod client;
pub mod codec;
pub mod connect_string;
pub mod deadline;
mod driver;
mod ensemble_tracker;
pub mod error;
mod four_letter;
mod multi;
pub mod path;
pub mod protected;
mod retry;
pub mod sasl;
mod server_list;
pub mod session;
pub mod telemetry;
pub mod tls;
mod transport;
mod tree;
mod types;
pub mod watch;
mod watch_ops;
mod watcher;

pub use backoff::Backoff;
pub use builder::ClientBuilder;
pub use client::{Client, CONFIG_NODE, MAX_TTL_MS};
pub use ensemble_tracker::{servers_of_config, EnsembleTracker};
pub use error::Error;
pub use four_letter::{four_letter_word, MAX_FOUR_LETTER_REPLY};
pub use multi::{Op, OpResult, ReadOp, ReadResult};
pub use retry::{outcome_unknown, Retry};
#[cfg(feature = "gssapi")]
pub use sasl::GssapiOptions;
pub use sasl::{SaslOptions, SaslStart};
pub use tls::{TlsFailure, TlsOptions};
pub use types::{
    AddWatchMode, ClientInfo, CreateMode, CreateOptions, EventType, SessionState, Stat,
    WatchedEvent, WatcherType,
};
pub use watcher::{OneshotWatcher, PersistentWatcher};
