//! One test, two servers: [`Backend`] names which server a test runs on, and [`AnyServer`] is
//! a standalone server of either kind behind the methods both have. A test written once over
//! an `AnyServer` runs against real ZooKeeper (the reference for the client's behaviour) and
//! against the embedded server (which must answer the same).

use std::fmt;
use std::net::SocketAddr;

use crate::{EmbeddedServer, Error, ServerOptions, TestServer};

/// Which server a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// ZooKeeper 3.8 from the Debian package, in a JVM of its own ([`TestServer`]).
    Real,
    /// The embedded server (`zk-server`), in this process ([`EmbeddedServer`]).
    Embedded,
}

impl Backend {
    /// Both, the reference first.
    pub const ALL: [Backend; 2] = [Backend::Real, Backend::Embedded];
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Real => "ZooKeeper 3.8",
            Backend::Embedded => "the embedded server",
        })
    }
}

/// A standalone server of either [`Backend`], stopped when dropped.
///
/// ```
/// use zk_testkit::{AnyServer, Backend};
///
/// let server = AnyServer::start(Backend::Embedded)?;
/// assert_eq!(server.four_letter_word("ruok")?, "imok");
/// # Ok::<(), zk_testkit::Error>(())
/// ```
#[derive(Debug)]
pub enum AnyServer {
    /// Real ZooKeeper.
    Real(TestServer),
    /// The embedded server.
    Embedded(EmbeddedServer),
}

impl AnyServer {
    /// Starts one with the default [`ServerOptions`].
    pub fn start(backend: Backend) -> Result<AnyServer, Error> {
        Self::start_with(backend, ServerOptions::default())
    }

    /// Starts one with `options`; the embedded server refuses those only ZooKeeper has
    /// ([`EmbeddedServer::start_with`]). Both keep their state in a data directory of their
    /// own, so that [`AnyServer::stop`] and [`AnyServer::restart`] mean the same on both: the
    /// embedded server is started with [`EmbeddedServer::start_persistent`].
    pub fn start_with(backend: Backend, options: ServerOptions) -> Result<AnyServer, Error> {
        Ok(match backend {
            Backend::Real => AnyServer::Real(TestServer::start_with(options)?),
            Backend::Embedded => AnyServer::Embedded(EmbeddedServer::start_persistent(&options)?),
        })
    }

    /// Which kind this is.
    pub fn backend(&self) -> Backend {
        match self {
            AnyServer::Real(_) => Backend::Real,
            AnyServer::Embedded(_) => Backend::Embedded,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn connect_string(&self) -> String {
        self.addr().to_string()
    }

    /// The client address.
    pub fn addr(&self) -> SocketAddr {
        match self {
            AnyServer::Real(s) => s.addr(),
            AnyServer::Embedded(s) => s.addr(),
        }
    }

    /// Sends a four-letter word and returns the reply text (every word is allowed on both).
    pub fn four_letter_word(&self, word: &str) -> Result<String, Error> {
        crate::four_letter_word(self.addr(), word)
    }

    /// Ends a client's session on purpose; a wrong password is an error on both.
    pub fn expire_session(&self, session_id: i64, password: &[u8]) -> Result<(), Error> {
        match self {
            AnyServer::Real(s) => s.expire_session(session_id, password),
            AnyServer::Embedded(s) => s.expire_session(session_id, password),
        }
    }

    /// Stops serving and frees the port, keeping the tree: real ZooKeeper is killed (SIGKILL),
    /// the embedded server ends (its connections dropped), its state in its data directory.
    pub fn stop(&mut self) {
        match self {
            AnyServer::Real(s) => s.stop(),
            AnyServer::Embedded(s) => s.stop(),
        }
    }

    /// Serves again on the same port, recovering the tree and the live sessions from the
    /// data directory; the sessions continue.
    pub fn restart(&mut self) -> Result<(), Error> {
        match self {
            AnyServer::Real(s) => s.restart(),
            AnyServer::Embedded(s) => s.restart(),
        }
    }

    /// The last lines of real ZooKeeper's log; the embedded server keeps none, and says so.
    pub fn log_tail(&self) -> String {
        match self {
            AnyServer::Real(s) => s.log_tail(),
            AnyServer::Embedded(_) => "(the embedded server writes no log)".to_string(),
        }
    }
}
