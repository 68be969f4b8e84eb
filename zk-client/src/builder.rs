//! Configuring and connecting a [`Client`].

use std::sync::Arc;
use std::time::Duration;

use rand::seq::SliceRandom;
use tokio::sync::{oneshot, watch};

use crate::backoff::Backoff;
use crate::calls::Calls;
use crate::client::{Client, Inner};
use crate::connect_string::ConnectString;
use crate::driver::{Driver, DriverConfig};
use crate::error::Error;
use crate::sasl::SaslOptions;
use crate::session::{Session, SessionConfig, Timeouts};
use crate::tls::TlsOptions;
use crate::transport::OpenFailure;
use crate::types::SessionState;

/// Builds a [`Client`]: connect string, timeouts, limits.
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_client::Error> {
/// use std::time::Duration;
/// let client = zk_client::ClientBuilder::new("127.0.0.1:2181,127.0.0.1:2182/app")
///     .session_timeout(Duration::from_secs(10))
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    connect_string: String,
    session_timeout: Duration,
    read_only: bool,
    max_request: usize,
    max_reply: usize,
    queue: usize,
    backoff: Backoff,
    request_timeout: Option<Option<Duration>>,
    local_expiry: bool,
    fail_fast: bool,
    connect_timeout: Option<Duration>,
    tls: Option<TlsOptions>,
    sasl: Option<SaslOptions>,
    resume: Option<(i64, Vec<u8>)>,
}

impl ClientBuilder {
    /// A builder for `connect_string` (`host:port,...[/chroot]`, default port 2181).
    pub fn new(connect_string: impl Into<String>) -> Self {
        ClientBuilder {
            connect_string: connect_string.into(),
            session_timeout: Duration::from_secs(30),
            read_only: false,
            max_request: jute::JUTE_MAXBUFFER_DEFAULT,
            max_reply: jute::JUTE_MAXBUFFER_DEFAULT,
            queue: 4096,
            backoff: Backoff::default(),
            request_timeout: None,
            local_expiry: true,
            fail_fast: false,
            connect_timeout: None,
            tls: None,
            sasl: None,
            resume: None,
        }
    }

    /// The session timeout to ask for (the server clamps it to 2–20 ticks). Default 30 s.
    #[must_use]
    pub fn session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// Whether a read-only server (a member cut off from the quorum, started with
    /// `readonlymode.enabled=true`) may be used. Default false.
    ///
    /// When allowed, the state is [`SessionState::ConnectedReadOnly`] while connected to one:
    /// reads work and writes fail with [`Error::NotReadOnly`]. Meanwhile the client asks the
    /// other hosts (`isro`, 100 ms apart doubling up to 10 s) for a read-write server and moves
    /// to the first it finds; requests in flight at that moment fail with
    /// [`Error::ConnectionLoss`]. A session that only read-only servers have seen cannot be
    /// resumed elsewhere: the read-write server gives it a new id (watches are set again).
    #[must_use]
    pub fn read_only(mut self, allowed: bool) -> Self {
        self.read_only = allowed;
        self
    }

    /// The largest request frame to send (the server's `jute.maxbuffer`, default 1,048,575).
    /// Larger requests fail with [`Error::RequestTooLarge`] without being sent.
    #[must_use]
    pub fn max_request_size(mut self, bytes: usize) -> Self {
        self.max_request = bytes;
        self
    }

    /// The largest reply frame to accept (default 1,048,575). A larger reply fails only the
    /// request it answers, with [`Error::ReplyTooLarge`].
    #[must_use]
    pub fn max_reply_size(mut self, bytes: usize) -> Self {
        self.max_reply = bytes;
        self
    }

    /// How many requests may wait to be written before calls wait for room. Default 4096.
    #[must_use]
    pub fn request_queue(mut self, capacity: usize) -> Self {
        self.queue = capacity.max(1);
        self
    }

    /// How long to wait between connection attempts (default: up to 100 ms of jitter before
    /// each reconnect, and after each full pass over the hosts without success, 100 ms doubling
    /// up to 10 s, jittered).
    #[must_use]
    pub fn reconnect_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How long each call may wait for its reply (`None`: no limit). Default: twice the
    /// session timeout. A call that runs out of time fails with [`Error::Timeout`], its outcome
    /// unknown; [`Client::with_timeout`] overrides this per call.
    #[must_use]
    pub fn request_timeout(mut self, deadline: Option<Duration>) -> Self {
        self.request_timeout = Some(deadline);
        self
    }

    /// Whether the client declares its session expired on its own after a whole (negotiated)
    /// session timeout without hearing from any server, as Curator does. Default true.
    ///
    /// By then the servers have expired it too, or will as soon as they can: they drop a
    /// session they have not heard from for that long, and the client counts from the last
    /// frame it received, which is no later than the last one the servers received. Without
    /// this, a client cut off from every server stays [`SessionState::Disconnected`] until a
    /// server is reachable and says the session is gone.
    #[must_use]
    pub fn local_expiry(mut self, enabled: bool) -> Self {
        self.local_expiry = enabled;
        self
    }

    /// Whether [`ClientBuilder::connect`] fails with [`Error::NoHosts`] (naming each host's
    /// failure) as soon as one pass over the hosts found none reachable, instead of retrying
    /// until the session timeout. Default false. Only the first connection is concerned: later
    /// reconnects always retry.
    #[must_use]
    pub fn fail_fast(mut self, enabled: bool) -> Self {
        self.fail_fast = enabled;
        self
    }

    /// How long one connection attempt may take: the TCP connect and the handshake reply
    /// together. Default: the session timeout divided by the number of hosts, as the Java
    /// client (at least 500 ms).
    ///
    /// A server that has bound its port but is still starting (loading its data) accepts the
    /// connection and answers nothing until it is ready; with one host and a long session
    /// timeout the default waits a long time on it before trying again.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Connects with TLS (to the servers' `secureClientPort`), on every connection of the
    /// session. The handshake is part of the connect timeout; a failed handshake counts as a
    /// failed attempt, and with [`ClientBuilder::fail_fast`] `connect` returns
    /// [`Error::Tls`] naming the reason when TLS is why no host could be used.
    ///
    /// Certificates named by file are read again at each new connection.
    ///
    /// Needs the `tls` cargo feature.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    #[must_use]
    pub fn tls(mut self, options: TlsOptions) -> Self {
        self.tls = Some(options);
        self
    }

    /// Authenticates every connection with SASL before anything else is sent on it (as the
    /// Java client with a JAAS `Client` section). `connect` returns once the first exchange
    /// has succeeded; when the server refuses the credentials, the session ends in
    /// [`SessionState::AuthFailed`], `connect` fails with [`Error::AuthFailed`] and so does
    /// every call, without reconnecting.
    #[must_use]
    pub fn sasl(mut self, options: SaslOptions) -> Self {
        self.sasl = Some(options);
        self
    }

    /// Takes over an existing session instead of creating one: its id and password, from
    /// [`Client::session_id`] and [`Client::session_password`] of the client that made it
    /// (the Java client's `new ZooKeeper(..., sessionId, sessionPasswd)`). A process that
    /// restarts within the session timeout keeps its ephemeral nodes this way. The server
    /// closes the previous holder's connection: hand a session over with [`Client::detach`]
    /// (or from a process that has exited), or two clients will take it from each other.
    /// Watches are not carried over: set them again.
    ///
    /// When the server no longer knows the session (expired, closed) or the password is wrong,
    /// `connect` fails with [`Error::SessionExpired`]; a session id of 0 is refused with
    /// [`Error::InvalidArgument`].
    ///
    /// ```no_run
    /// # async fn demo(old: zk_client::Client) -> Result<(), zk_client::Error> {
    /// let (id, password) = (old.session_id(), old.session_password());
    /// old.detach().await; // or: the old process exits without closing
    /// let zk = zk_client::ClientBuilder::new("127.0.0.1:2181")
    ///     .session(id, password)
    ///     .connect()
    ///     .await?;
    /// assert_eq!(zk.session_id(), id);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn session(mut self, id: i64, password: impl Into<Vec<u8>>) -> Self {
        self.resume = Some((id, password.into()));
        self
    }

    /// Connects, waiting until a session is established (or the session timeout passes).
    ///
    /// TLS options that cannot be used (a missing file, a file without a certificate) fail
    /// here at once with [`Error::Tls`].
    pub async fn connect(&self) -> Result<Client, Error> {
        let cs = ConnectString::parse(&self.connect_string)?;
        if let Some(tls) = &self.tls {
            tls.client_config().map_err(|reason| Error::Tls {
                server: self.connect_string.clone(),
                reason,
            })?;
        }
        let hosts = cs.hosts.clone();
        let connect_timeout = self
            .connect_timeout
            .unwrap_or_else(|| Timeouts::default_connect(self.session_timeout, hosts.len()));
        let mut session = Session::new(SessionConfig {
            timeout: self.session_timeout,
            connect_timeout,
            local_expiry: self.local_expiry,
            read_only: self.read_only,
            chroot: cs.chroot.clone(),
            max_request: self.max_request,
            max_reply: self.max_reply,
        });
        if let Some((id, password)) = &self.resume {
            if *id == 0 {
                return Err(Error::InvalidArgument(
                    "session id 0 names no session (a new one is made without .session)".into(),
                ));
            }
            session.resume(*id, password.clone());
        }
        // The order the hosts are tried in (and what `Client::servers` shows).
        let mut order = hosts.clone();
        order.shuffle(&mut rand::rng());
        session.set_hosts(order);
        let timeouts = *session.timeouts();
        let shared = Calls::new(session, self.queue);
        let (state_tx, mut state_rx) = watch::channel(SessionState::Connecting);
        let (fail_tx, fail_rx) = oneshot::channel();
        let driver = Driver::new(
            shared.clone(),
            DriverConfig {
                max_reply: self.max_reply,
                backoff: self.backoff.clone(),
                fail_fast: self.fail_fast.then_some(fail_tx),
                tls: self.tls.clone().map(Arc::new),
                sasl: self.sasl.clone().map(Arc::new),
            },
            state_tx,
        );
        tokio::spawn(driver.run());
        let client = Client {
            inner: Arc::new(Inner {
                shared,
                state: state_rx.clone(),
                chroot: cs.chroot,
            }),
            deadline: self
                .request_timeout
                .unwrap_or(Some(timeouts.default_request())),
        };
        let limit = timeouts.first_connect(hosts.len(), self.fail_fast);
        let waited = tokio::time::timeout(limit, async {
            state_rx
                .wait_for(|s| s.is_connected() || s.is_terminal())
                .await
                .map(|s| *s)
        })
        .await;
        let names: Vec<String> = hosts.iter().map(|(h, p)| format!("{h}:{p}")).collect();
        match waited {
            Ok(Ok(s)) if s.is_connected() => Ok(client),
            Ok(Ok(SessionState::Closed)) if self.fail_fast => match fail_rx.await {
                Ok(failures) => Err(first_pass_error(&names, failures)),
                Err(_) => Err(Error::Closed),
            },
            Ok(Ok(s)) => Err(s.ending_error()),
            Ok(Err(_)) => Err(Error::Closed),
            Err(_) => Err(Error::NoHosts(format!(
                "no session with any of {} within {:?}",
                names.join(","),
                limit
            ))),
        }
    }
}

/// The error of a fail-fast connect after a pass over the hosts: TLS's own when TLS is why
/// every host failed, else every host's reason.
fn first_pass_error(names: &[String], mut failures: Vec<OpenFailure>) -> Error {
    if !failures.is_empty() && failures.iter().all(|f| f.tls.is_some()) {
        let first = failures.swap_remove(0);
        if let Some(reason) = first.tls {
            return Error::Tls {
                server: first.server,
                reason,
            };
        }
    }
    let why: Vec<String> = failures.iter().map(ToString::to_string).collect();
    Error::NoHosts(format!(
        "none of {} is reachable: {}",
        names.join(","),
        why.join("; ")
    ))
}
