//! The embedded server (`zk-server`) as a test server: no JVM, no package, started in
//! milliseconds. For tests of code built on the client, where what ZooKeeper itself does
//! (ensembles, quorum traffic, TLS, SASL, read-only mode, four-letter words, the JVM's
//! faults) is not the point; the client's own behaviour stays tested against real ZooKeeper.

use std::net::SocketAddr;
use std::time::Duration;

use crate::server::ServerOptions;
use crate::Error;

/// An embedded server on a thread of its own, on a free loopback port, stopped when dropped.
/// Its methods mirror [`crate::TestServer`]'s where they mean the same.
///
/// ```
/// let server = zk_testkit::EmbeddedServer::start()?;
/// println!("serving at {}", server.connect_string());
/// # Ok::<(), zk_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct EmbeddedServer {
    server: zk_server::BlockingServer,
}

impl EmbeddedServer {
    /// Starts one with the default [`ServerOptions`] (TTL nodes allowed, as on the test kit's
    /// ZooKeeper).
    pub fn start() -> Result<EmbeddedServer, Error> {
        Self::start_with(&ServerOptions::default())
    }

    /// Starts one with `options`' tick time, longest session timeout, extended types and super
    /// digest (the system
    /// property `zookeeper.DigestAuthenticationProvider.superDigest`). Options only a real
    /// ZooKeeper has (TLS, SASL, other `zoo.cfg` lines or JVM properties) are refused, naming
    /// the option.
    pub fn start_with(options: &ServerOptions) -> Result<EmbeddedServer, Error> {
        let refuse = |what: &str| {
            Err(Error::StartFailed(format!(
                "the embedded server has no {what}: use TestServer"
            )))
        };
        if options.tls.is_some() {
            return refuse("TLS");
        }
        if options.sasl.is_some() {
            return refuse("SASL");
        }
        if options.reconfig {
            return refuse("reconfig");
        }
        if let Some(line) = options.extra_config.first() {
            return refuse(&format!("zoo.cfg line {line:?}"));
        }
        let mut builder = zk_server::Server::builder()
            .four_letter_words(&["*"])
            .tick_time(Duration::from_millis(u64::from(options.tick_time_ms)))
            .extended_types(options.extended_types)
            .max_session_timeout(Duration::from_millis(u64::from(
                options.max_session_timeout_ms,
            )));
        for (key, value) in &options.system_properties {
            if key == "zookeeper.DigestAuthenticationProvider.superDigest" {
                builder = builder.super_digest(value);
            } else {
                return refuse(&format!("JVM property {key}"));
            }
        }
        let server = builder
            .start_blocking()
            .map_err(Error::io("starting the embedded server"))?;
        Ok(EmbeddedServer { server })
    }

    /// `127.0.0.1:PORT`.
    pub fn connect_string(&self) -> String {
        self.server.connect_string()
    }

    /// The client address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Sends a four-letter word and returns the reply text (every word is allowed, as on
    /// [`crate::TestServer`]).
    pub fn four_letter_word(&self, word: &str) -> Result<String, Error> {
        crate::four_letter_word(self.addr(), word)
    }

    /// Ends a client's session now, as an expiry. As with [`crate::TestServer::expire_session`],
    /// the session's password must be the one the server gave it.
    pub fn expire_session(&self, session_id: i64, password: &[u8]) -> Result<(), Error> {
        if password != zk_server::sessions::password(session_id) {
            return Err(Error::Expire(format!(
                "session 0x{session_id:x}: wrong password"
            )));
        }
        if self.server.expire_session(session_id) {
            Ok(())
        } else {
            Err(Error::Expire(format!(
                "no live session 0x{session_id:x} on the embedded server"
            )))
        }
    }

    /// Closes every client connection, as a network that dropped them (sessions live on).
    pub fn close_connections(&self) {
        self.server.close_connections();
    }

    /// Stops serving (the port is freed, nothing expires), keeping the tree and sessions.
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Serves again on the same port with the same tree; sessions get their whole timeout
    /// again.
    pub fn restart(&mut self) -> Result<(), Error> {
        self.server
            .restart()
            .map_err(Error::io("restarting the embedded server"))
    }
}
