//! The embedded server (`zk-server`) as a test server: no JVM, no package, started in
//! milliseconds. For tests of code built on the client, where what ZooKeeper itself does
//! (ensembles, quorum traffic, TLS, SASL, read-only mode, four-letter words, the JVM's
//! faults) is not the point; the client's own behaviour stays tested against real ZooKeeper.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// `None` while stopped with a data directory (the state is on disk only).
    server: Option<zk_server::BlockingServer>,
    /// How it was started, for a restart from its data directory.
    builder: Box<zk_server::Builder>,
    addr: SocketAddr,
    data_dir: Option<DataDir>,
}

/// A data directory the server keeps, and whether it is removed on drop.
#[derive(Debug)]
struct DataDir {
    path: PathBuf,
    owned: bool,
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        // The server first: it holds the directory's lock and may still be writing.
        drop(self.server.take());
        if let Some(d) = &self.data_dir {
            if d.owned {
                let _ = std::fs::remove_dir_all(&d.path);
            }
        }
    }
}

/// Numbers the data directories this process makes.
static DIRS: AtomicU64 = AtomicU64::new(0);

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
        Self::start_on(options, None)
    }

    /// Starts one (as [`EmbeddedServer::start_with`]) that keeps its state in a data directory
    /// of its own (a new temporary directory, removed when it is dropped), in ZooKeeper's
    /// format: [`EmbeddedServer::stop`] then ends the server, and [`EmbeddedServer::restart`]
    /// starts a new one on the directory and the same port, which recovers the tree and the
    /// sessions from the files, as a restarted ZooKeeper does. Its log is not synced to the
    /// disk (`fsync` off: a killed process loses nothing, only a crashed machine could).
    pub fn start_persistent(options: &ServerOptions) -> Result<EmbeddedServer, Error> {
        let path = std::env::temp_dir().join(format!(
            "zk-testkit-embedded-{}-{}",
            std::process::id(),
            DIRS.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        Self::start_on(options, Some(DataDir { path, owned: true }))
    }

    /// As [`EmbeddedServer::start_persistent`], on `dir` (a ZooKeeper `dataDir`: created when
    /// missing, recovered when it holds files, ZooKeeper's own included; kept when dropped).
    pub fn start_in(options: &ServerOptions, dir: &Path) -> Result<EmbeddedServer, Error> {
        let data_dir = DataDir {
            path: dir.to_path_buf(),
            owned: false,
        };
        Self::start_on(options, Some(data_dir))
    }

    /// The data directory, when it keeps one.
    pub fn data_dir(&self) -> Option<&Path> {
        self.data_dir.as_ref().map(|d| d.path.as_path())
    }

    fn start_on(
        options: &ServerOptions,
        data_dir: Option<DataDir>,
    ) -> Result<EmbeddedServer, Error> {
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
        if let Some(d) = &data_dir {
            builder = builder.data_dir(&d.path).fsync(false);
        }
        let server = builder
            .clone()
            .start_blocking()
            .map_err(Error::io("starting the embedded server"))?;
        Ok(EmbeddedServer {
            addr: server.addr(),
            server: Some(server),
            builder: Box::new(builder),
            data_dir,
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// The client address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
        if self
            .server
            .as_ref()
            .is_some_and(|s| s.expire_session(session_id))
        {
            Ok(())
        } else {
            Err(Error::Expire(format!(
                "no live session 0x{session_id:x} on the embedded server"
            )))
        }
    }

    /// Closes every client connection, as a network that dropped them (sessions live on).
    pub fn close_connections(&self) {
        if let Some(s) = &self.server {
            s.close_connections();
        }
    }

    /// Stops serving (the port is freed, nothing expires), keeping the tree and sessions: in
    /// memory, or, with a data directory, only there (the server ends, as a stopped
    /// ZooKeeper).
    pub fn stop(&mut self) {
        if self.data_dir.is_some() {
            drop(self.server.take());
        } else if let Some(s) = &self.server {
            s.stop();
        }
    }

    /// Serves again on the same port with the same tree; sessions get their whole timeout
    /// again. With a data directory, a new server recovers them from the files.
    pub fn restart(&mut self) -> Result<(), Error> {
        match &self.server {
            Some(s) if self.data_dir.is_none() => s
                .restart()
                .map_err(Error::io("restarting the embedded server")),
            Some(_) => Ok(()),
            None => {
                let server = (*self.builder)
                    .clone()
                    .port(self.addr.port())
                    .start_blocking()
                    .map_err(Error::io("restarting the embedded server"))?;
                self.server = Some(server);
                Ok(())
            }
        }
    }
}
