//! An async Apache ZooKeeper client for tokio, built on the generated Jute records of
//! `jute-schemas`.
//!
//! - [`Client`]: every operation of the client protocol, typed; calls are queued in call order
//!   and any number can be in flight on one connection. [`ClientBuilder`] for the settings.
//! - Watches: one-shot watches come back with the read that set them ([`OneshotWatcher`], a
//!   future of the event); persistent and recursive watches are streams ([`PersistentWatcher`]).
//!   Dropping a handle removes the server-side watch when no other local handle needs it.
//! - The session's states: [`Client::state`] now, [`Client::states`] as a stream.
//! - Paths are checked with the server's rules before anything is sent; the chroot of the
//!   connect string is added on the way out and stripped from every path that comes back.
//!
//! ```no_run
//! # async fn demo() -> Result<(), zk_client::Error> {
//! use zk_client::{Client, CreateOptions, Op};
//!
//! let zk = Client::connect("127.0.0.1:2181/app").await?;
//! zk.ensure_path("/config").await?;
//! let (data, stat, watch) = zk.get_data_watch("/config").await?;
//! zk.multi(&[Op::set_data("/config", "v2").version(stat.version)]).await?;
//! let event = watch.await?;
//! assert_eq!(event.path, "/config");
//! # let _ = data;
//! zk.close().await;
//! # Ok(()) }
//! ```
//!
//! The repository's guide goes deeper: `docs/client.md` (operations, watches, sessions,
//! security, observability), `docs/migrating.md` (from Curator, kazoo or zookeeper-client),
//! `docs/internals.md`. Locks, elections and the other recipes are in `zk-recipes`.
//!
//! # Conventions
//!
//! **Event streams.** Every source of events here and in `zk-recipes` (persistent watches,
//! session states, a tree cache's changes, a supervisor's sessions) is a
//! [`futures_core::Stream`] whose items are `Result<event, Error>`: events are `Ok`, and the
//! error that ended the source (the session expired or was closed) is the last item. Each
//! also has an inherent `next()`, so `while let Some(item) = stream.next().await` needs no
//! import.
//!
//! **Deadlines.** Every future of the client and the recipes is cancel-safe: wrap it in
//! `tokio::time::timeout` to bound it. A call dropped before its reply leaves the request to
//! run on the server (its outcome is unknown, as after [`Error::Timeout`]); a lock or
//! election acquire dropped midway deletes its node. Besides that, each call waits at most the
//! client's request timeout ([`ClientBuilder::request_timeout`], [`Client::with_timeout`]),
//! so nothing waits for ever by default.
//!
//! **Errors** are [`Error`], one variant per ZooKeeper error code plus the client's own
//! (connection loss, timeouts, bad input named with what was wrong).
//!
//! **The Jute records in the API.** [`Stat`], [`acl::Acl`], [`acl::Id`], [`ClientInfo`] and
//! the protocol enums ([`CreateMode`], [`EventType`], [`AddWatchMode`], [`WatcherType`]) are
//! `jute-schemas`' generated types, re-exported here as part of this crate's API (their
//! fields are ZooKeeper's). They implement `jute-schemas`' Jute codec traits, so a new major
//! version of `jute` or `jute-schemas` is a new major version of this crate too.
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `gssapi` | no | SASL GSSAPI (Kerberos 5) through the system's MIT Kerberos |
//!
//! # Inside
//!
//! The protocol is a state machine without I/O that owns its clock and its phase; calls
//! encode their requests straight into its output under a lock shared with one tokio task,
//! the driver, which writes everything the session lets out in one go, hands every frame it
//! reads to the session before waking the callers it answers, and sleeps until the session's
//! next timeout. The modules `session`, `watch`, `codec` and `path` are public only for the
//! fuzz targets: they are hidden from the docs and not part of the API.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod acl;
mod backoff;
mod builder;
mod calls;
mod client;
#[doc(hidden)]
pub mod codec;
pub mod connect_string;
mod deadline;
mod driver;
mod ensemble_tracker;
mod error;
mod four_letter;
mod multi;
#[doc(hidden)]
pub mod path;
pub mod protected;
mod retry;
mod sasl;
mod server_list;
#[doc(hidden)]
pub mod session;
mod states;
pub mod telemetry;
#[cfg(feature = "tls")]
mod tls;
#[cfg(not(feature = "tls"))]
#[path = "tls_off.rs"]
mod tls;
mod transport;
mod tree;
mod types;
#[doc(hidden)]
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
pub use path::validate_path;
pub use retry::{outcome_unknown, Retry};
#[cfg(feature = "gssapi")]
#[cfg_attr(docsrs, doc(cfg(feature = "gssapi")))]
pub use sasl::GssapiOptions;
pub use sasl::{SaslOptions, SaslStart};
pub use states::SessionStates;
pub use tls::{TlsFailure, TlsOptions};
pub use types::{
    AddWatchMode, ClientInfo, CreateMode, CreateOptions, EventType, SessionState, Stat,
    WatchedEvent, WatcherType,
};
pub use watcher::{OneshotWatcher, PersistentWatcher};
