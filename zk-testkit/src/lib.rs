//! Real ZooKeeper servers for tests, like Curator's `TestingServer` and `TestingCluster`, and
//! the faults that test a client: kill, clean stop, freeze (SIGSTOP) and restart of a server or
//! the leader, sessions expired on purpose, and a [`Proxy`] that drops connections at a chosen
//! byte; and a [`FakeServer`] that answers with whatever bytes a hostile-input test needs.
//!
//! [`Ensemble::start`] runs three `QuorumPeerMain` members on loopback ports.
//! [`EmbeddedServer::start`] runs the embedded server (`zk-server`) in-process instead, for
//! tests that need a server but not ZooKeeper's JVM; [`AnyServer`] is either, so one test can
//! run on both ([`Backend::ALL`]).
//! [`TestServer::start`] runs a standalone ZooKeeper from the installed Debian `zookeeper`
//! package (`/usr/share/java/zookeeper.jar`, Java on the `PATH`) in a fresh temporary directory
//! on a free loopback port, waits until it answers, and stops it when dropped. TTL nodes and
//! containers are enabled and every four-letter word is allowed. When the package is missing
//! and the process runs as root, it is installed with `apt-get`; otherwise the error says what
//! to install.
//!
//! ```no_run
//! let server = zk_testkit::TestServer::start()?;
//! println!("ZooKeeper at {}", server.connect_string());
//! assert_eq!(server.four_letter_word("ruok")?, "imok");
//! # Ok::<(), zk_testkit::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backend;
mod child;
mod curator;
mod embedded;
mod ensemble;
mod expire;
pub mod fake;
mod install;
mod kazoo;
mod kdc;
mod process;
pub mod proxy;
mod server;
mod tls;
mod wire;

pub use backend::{AnyServer, Backend};
pub use child::{wait_recording, ChildGuard, Tcpdump};
pub use curator::{
    check_turns, max_holders, CuratorContender, CuratorRecipe, Turns, CURATOR_PACKAGES,
};
pub use embedded::EmbeddedServer;
pub use ensemble::{Ensemble, EnsembleOptions, Mode};
pub use expire::expire_session;
pub use fake::FakeServer;
pub use install::{ensure_installed, ensure_packages, ensure_program, package_of, ZOOKEEPER_JAR};
pub use kazoo::{KazooContender, KazooRecipe, KAZOO_VERSION};
pub use kdc::{TestKdc, KDC_ENV, KDC_PACKAGES, TEST_REALM};
pub use proxy::Proxy;
pub use server::{
    four_letter_word, free_port, ServerKerberos, ServerOptions, ServerSasl, TestServer,
};
pub use tls::{netty_classpath, CertSpec, ClientAuth, IssuedCert, ServerTls, TestCa};

/// Why a server could not be provided.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// ZooKeeper or Java is not installed and could not be installed.
    #[error("ZooKeeper is not available: {0}")]
    NotInstalled(String),
    /// The server process did not start or did not answer in time.
    #[error("ZooKeeper did not start: {0}")]
    StartFailed(String),
    /// A session could not be expired on purpose.
    #[error("cannot expire the session: {0}")]
    Expire(String),
    /// A file or socket operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }
}
