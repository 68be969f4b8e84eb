//! The session as a state machine without I/O: it turns requests into frames and frames into
//! replies and watch events. The driver only moves bytes and delivers outcomes, so
//! everything here is tested with byte vectors.
//!
//! `T` is whatever the caller uses to route a reply back (a reply slot in the client, a number
//! in tests); `S` is where a watch's events go (the client's wakers and channels, `()` in
//! tests). The session owns the watch [`Registry`]: a watch is recorded, with its sink, when its
//! request is written, and made active, or dropped, by the reply.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use jute::{Decode, Encode, Limits, Reader, Record};
use jute_schemas::proto::{
    AuthPacket, ConnectRequest, ConnectResponse, ReplyHeader, RequestHeader, WatcherEvent,
};
use jute_schemas::protocol::frame::{self, FrameError};
use jute_schemas::protocol::ops::{self, Operation};
use jute_schemas::protocol::{xid, EventType, OpCode, RequestBody, ResponseBody, WatcherType};

use tokio::time::Instant;

use crate::error::Error;
use crate::path::Chroot;
use crate::sasl::SaslStart;
use crate::watch::{Registry, WatchId, WatchKind};

mod phase;
mod replay;
mod timeouts;

pub use phase::End;
use phase::{Link, Phase};
pub use timeouts::{Timeouts, MAX_NEGOTIATED_FACTOR};

/// The Java client's batch bound for SetWatches2 (sum of path lengths).
pub const SET_WATCHES_MAX_LENGTH: usize = 128 * 1024;

/// Requests on the connection and not yet answered, at most: beyond, the calls' output waits
/// for replies (calls then queue up to the client's queue bound, then wait).
pub const MAX_IN_FLIGHT: usize = 16 * 1024;

/// A request as the operations build it (paths already with the chroot).
#[derive(Debug, Clone, PartialEq)]
pub struct OutRequest {
    /// The op code.
    pub op: OpCode,
    /// The record.
    pub body: RequestBody,
    /// The watch the request sets when it succeeds: its kind and server path.
    pub watch: Option<(WatchKind, String)>,
}

impl OutRequest {
    /// Operation `O`'s request (its op code and body agree by construction), setting no watch.
    pub fn of<O: Operation>(req: O::Request) -> OutRequest {
        OutRequest {
            op: O::OP,
            body: O::request(req),
            watch: None,
        }
    }

    /// Operation `O`'s request, setting a watch of `kind` on `server_path` when it succeeds.
    pub fn watching<O: Operation>(req: O::Request, kind: WatchKind, server_path: String) -> Self {
        OutRequest {
            watch: Some((kind, server_path)),
            ..OutRequest::of::<O>(req)
        }
    }
}

/// A watch notification for the client (path with the chroot stripped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedEvent {
    /// What happened.
    pub event_type: EventType,
    /// The node it happened to.
    pub path: String,
    /// The zxid of the change (3.9+ servers; -1 from 3.8).
    pub zxid: i64,
}

/// What the session asks the caller to do.
#[derive(Debug)]
pub enum Outcome<T> {
    /// Deliver a reply (or failure) to the request behind `token`.
    Reply {
        /// The request's routing token.
        token: T,
        /// The response body, or the error.
        result: Result<ResponseBody, Error>,
        /// Local watches a successful removeWatches took away (they get a "removed" event).
        removed: Vec<(WatchId, WatchKind, WatchedEvent)>,
        /// The reply's size on the wire, its length prefix included.
        bytes: usize,
    },
    /// The answer to an `add_auth` (replayed credentials after a reconnect get none).
    Auth,
    /// A reply that did not decode: deliver `error` to the request behind `token`, then end
    /// the connection (the stream can no longer be trusted).
    Broken {
        /// The request's routing token.
        token: T,
        /// The decoding failure, as [`Error::Protocol`].
        error: Error,
    },
    /// Deliver an event to these watches (one-shot ones are done: no longer fired, their
    /// entries kept for their handles).
    Fire {
        /// The watches.
        watches: Vec<(WatchId, WatchKind)>,
        /// The event.
        event: WatchedEvent,
    },
}

/// Where a written request went: its xid, and its size on the wire (length prefix included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The request's xid.
    pub xid: i32,
    /// Its frame's size, the 4-byte length prefix included.
    pub bytes: usize,
}

struct Pending<T> {
    xid: i32,
    op: OpCode,
    token: T,
    /// The watch the request sets when it succeeds (pending in the registry).
    watch: Option<WatchId>,
    /// For removeWatches: the server path and watcher type.
    removal: Option<(String, WatcherType)>,
}

/// A request that failed: its routing token and the error (a watch it would have set is
/// dropped from the registry).
pub type Failed<T> = (T, Error);

/// Settings the session needs.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Requested session timeout.
    pub timeout: Duration,
    /// How long one connection attempt may take (open, handshake, SASL); see
    /// [`Timeouts::default_connect`].
    pub connect_timeout: Duration,
    /// Take the session as expired after a negotiated timeout without any server.
    pub local_expiry: bool,
    /// May connect to read-only servers.
    pub read_only: bool,
    /// The chroot.
    pub chroot: Chroot,
    /// Largest request frame the server accepts (its `jute.maxbuffer`).
    pub max_request: usize,
    /// Largest reply the client accepts.
    pub max_reply: usize,
}

/// The session state machine.
///
/// Time comes in from the caller: [`Session::poll_timeout`] says when the session next needs
/// to be told the time, [`Session::handle_timeout`] does it (pings, the read timeout, the
/// handshake and SASL deadlines, the close grace, local expiry).
pub struct Session<T, S = ()> {
    cfg: SessionConfig,
    timeouts: Timeouts,
    phase: Phase,
    session_id: i64,
    passwd: Vec<u8>,
    last_zxid: i64,
    read_only: bool,
    /// Whether a read-write server ever accepted this session. Until one has, the session id
    /// is one a read-only server made up, which no other server knows.
    seen_rw: bool,
    next_xid: i32,
    /// Requests written, oldest first: those on the connection, then the `unsent` ones still in
    /// `out`.
    pending: VecDeque<Pending<T>>,
    /// The calls' frames (with their length prefix) not yet handed to a connection.
    out: BytesMut,
    /// How many of `pending` have their frame in `out`.
    unsent: usize,
    /// The session's own frames, which go before `out`: the handshake, SASL tokens, replayed
    /// credentials and watches, pings.
    first: BytesMut,
    /// When the last connection last heard from its server (local expiry counts from it).
    last_heard: Option<Instant>,
    watches: Registry<S>,
    /// Credentials, replayed after every reconnect, each with whether a caller waits for the
    /// answer to its next sending (one added while disconnected).
    auth: Vec<(AuthPacket, bool)>,
    /// One entry per auth packet in flight: whether a caller waits for its answer.
    auth_in_flight: VecDeque<bool>,
    /// The servers to try, in order (the connect string's, shuffled, or a list given later).
    hosts: Vec<(String, u16)>,
    /// The host of the current attempt, and the address of the connection's server.
    host: Option<(String, u16)>,
    server: Option<SocketAddr>,
}

/// Appends a request frame (its header, then `body`) to `out`; nothing when it would be over
/// `limit` (the server's `jute.maxbuffer`). Returns the frame's length without its prefix.
fn put_request(
    out: &mut BytesMut,
    xid: i32,
    op: OpCode,
    body: &impl Encode,
    limit: usize,
) -> Result<usize, Error> {
    let header = RequestHeader {
        xid,
        r#type: op.value(),
    };
    let len = header.encoded_len() + body.encoded_len();
    if len > limit {
        return Err(Error::RequestTooLarge { size: len, limit });
    }
    out.reserve(frame::PREFIX + len);
    frame::put_records(out, &header, body, limit).map_err(|e| match e {
        FrameError::TooLong { len, limit, .. } => Error::RequestTooLarge { size: len, limit },
        other => Error::protocol(other.to_string()),
    })
}

impl<T, S> Session<T, S> {
    /// A new session (no id yet), to be made on `hosts` in that order.
    pub fn new(cfg: SessionConfig) -> Self {
        Session {
            timeouts: Timeouts::new(cfg.timeout, cfg.connect_timeout),
            cfg,
            phase: Phase::Disconnected { expires_at: None },
            session_id: 0,
            passwd: vec![0; 16],
            last_zxid: 0,
            read_only: false,
            seen_rw: false,
            next_xid: 1,
            pending: VecDeque::new(),
            out: BytesMut::new(),
            unsent: 0,
            first: BytesMut::new(),
            last_heard: None,
            watches: Registry::default(),
            auth: Vec::new(),
            auth_in_flight: VecDeque::new(),
            hosts: Vec::new(),
            host: None,
            server: None,
        }
    }

    /// Takes over the session `id` with its `password` (from [`Session::session_id`] and
    /// [`Session::password`] of another client, in this process or another): the first
    /// handshake asks to resume it instead of creating a session. A server that no longer
    /// knows it, or given the wrong password, answers as for an expired session.
    pub fn resume(&mut self, id: i64, password: Vec<u8>) {
        self.session_id = id;
        self.passwd = password;
        // As after a read-write connection: the id is one every server knows.
        self.seen_rw = true;
    }

    /// The session id (0 before the first connection).
    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    /// The session password (16 bytes once connected).
    pub fn password(&self) -> &[u8] {
        &self.passwd
    }

    /// The negotiated timeout, once connected.
    pub fn negotiated_timeout(&self) -> Option<Duration> {
        self.timeouts.negotiated()
    }

    /// Every duration derived from the session timeout.
    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// The highest zxid seen in a reply.
    pub fn last_zxid(&self) -> i64 {
        self.last_zxid
    }

    /// Whether the server said it is read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The chroot.
    pub fn chroot(&self) -> &Chroot {
        &self.cfg.chroot
    }

    /// Requests on the connection and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.pending.len() - self.unsent
    }

    /// Requests written and waiting for a connection to carry them.
    pub fn unsent(&self) -> usize {
        self.unsent
    }

    /// Whether the calls' output may go out now: a usable connection, not too many requests
    /// in flight.
    fn calls_flow(&self) -> bool {
        matches!(self.phase, Phase::Connected { .. } | Phase::Closing { .. })
            && self.in_flight() < MAX_IN_FLIGHT
    }

    /// Whether there are frames for the connection to write now (the session's own, and the
    /// calls' when they may flow).
    pub fn has_output(&self) -> bool {
        !self.first.is_empty() || (self.calls_flow() && !self.out.is_empty())
    }

    /// Whether the connection's SASL exchange is still running (nothing else is sent until it
    /// completes).
    pub fn is_authenticating(&self) -> bool {
        matches!(self.phase, Phase::Authenticating { .. })
    }

    /// Hands every frame that may go out to the connection (appended to `into`) at `now`: the
    /// session's own, then the calls' (only on a usable connection with room in flight). The
    /// requests among them are then in flight; returns how many that was.
    pub fn take_output(&mut self, now: Instant, into: &mut BytesMut) -> usize {
        let before = into.len();
        into.extend_from_slice(&self.first);
        self.first.clear();
        let mut taken = 0;
        if self.calls_flow() && !self.out.is_empty() {
            if into.is_empty() {
                std::mem::swap(into, &mut self.out);
            } else {
                into.extend_from_slice(&self.out);
                self.out.clear();
            }
            taken = std::mem::take(&mut self.unsent);
        }
        if into.len() > before {
            if let Some(link) = self.phase.link_mut() {
                link.last_sent = now;
            }
        }
        taken
    }

    /// Whether a connection is established and the session usable on it (after the handshake,
    /// and the SASL exchange when there is one).
    pub fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Connected { .. } | Phase::Closing { .. })
    }

    /// Whether a transport is open and the handshake sent, not yet answered.
    pub fn is_handshaking(&self) -> bool {
        matches!(self.phase, Phase::Handshaking { .. })
    }

    /// Whether close was asked for (closeSession is written or will be).
    pub fn is_closing(&self) -> bool {
        match &self.phase {
            Phase::Closing { .. } => true,
            Phase::Handshaking { closing, .. } | Phase::Authenticating { closing, .. } => *closing,
            _ => false,
        }
    }

    /// The error that ended the session, once it has.
    pub fn ended(&self) -> Option<&Error> {
        match &self.phase {
            Phase::Ended(e) => Some(e),
            _ => None,
        }
    }

    /// Local watches active on the server.
    pub fn watch_count(&self) -> usize {
        self.watches.len()
    }

    /// The watch registry (sinks are reached through it).
    pub fn watches(&self) -> &Registry<S> {
        &self.watches
    }

    /// The watch registry, to deliver events to sinks and to take done watches out.
    pub fn watches_mut(&mut self) -> &mut Registry<S> {
        &mut self.watches
    }

    /// The read timeout ([`Timeouts::read`]).
    pub fn read_timeout(&self) -> Duration {
        self.timeouts.read()
    }

    /// The longest negotiated timeout the client accepts ([`Timeouts::max_negotiated`]).
    pub fn max_negotiated_timeout(&self) -> Duration {
        self.timeouts.max_negotiated()
    }

    /// How often to ping when idle ([`Timeouts::ping_interval`]).
    pub fn ping_interval(&self) -> Duration {
        self.timeouts.ping_interval()
    }

    /// The servers to try, in order.
    pub fn hosts(&self) -> &[(String, u16)] {
        &self.hosts
    }

    /// Replaces the servers to try.
    pub fn set_hosts(&mut self, hosts: Vec<(String, u16)>) {
        self.hosts = hosts;
    }

    /// The host being tried or connected to (as the connect string names it).
    pub fn host(&self) -> Option<&(String, u16)> {
        self.host.as_ref()
    }

    /// Records the host the next attempt goes to.
    pub fn set_host(&mut self, host: (String, u16)) {
        self.host = Some(host);
    }

    /// The address of the server that granted the session on the current connection (none
    /// while disconnected or handshaking).
    pub fn server(&self) -> Option<SocketAddr> {
        match self.phase {
            Phase::Authenticating { .. } | Phase::Connected { .. } | Phase::Closing { .. } => {
                self.server
            }
            _ => None,
        }
    }

    /// The instant the session next needs [`Session::handle_timeout`]: the next ping, the read
    /// timeout, the handshake, SASL or close deadline, or local expiry; none when nothing is
    /// timed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let on_link = |link: &Link| {
            let ping = crate::deadline::after(link.last_sent, self.timeouts.ping_interval());
            let silent = crate::deadline::after(link.last_heard, self.timeouts.read());
            ping.min(silent)
        };
        match &self.phase {
            Phase::Disconnected { expires_at } => *expires_at,
            Phase::Handshaking { by, .. } => Some(*by),
            Phase::Authenticating { by, link, .. } | Phase::Closing { by, link } => {
                Some(on_link(link).min(*by))
            }
            Phase::Connected { link } => Some(on_link(link)),
            Phase::Ended(_) => None,
        }
    }

    /// Tells the session the time. It may queue a ping (then there is output), end the
    /// connection (the read timeout, a handshake or SASL exchange not done in time), or end the
    /// session (local expiry, closeSession not answered within the close grace). Early calls
    /// do nothing.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), End> {
        let read = self.timeouts.read();
        let connect = self.timeouts.connect();
        let (link, by) = match &mut self.phase {
            Phase::Disconnected {
                expires_at: Some(at),
            } if now >= *at => {
                tracing::warn!("no server for a whole session timeout: the session is expired");
                return Err(End::Session(Error::SessionExpired));
            }
            Phase::Disconnected { .. } | Phase::Ended(_) => return Ok(()),
            Phase::Handshaking { by, .. } => {
                return if now >= *by {
                    Err(End::Refused("no handshake reply".into()))
                } else {
                    Ok(())
                };
            }
            Phase::Authenticating { by, link, .. } => {
                if now >= *by {
                    return Err(End::Refused(format!(
                        "no answer to SASL within {connect:?}"
                    )));
                }
                (link, None)
            }
            Phase::Closing { by, link } => (link, Some(*by)),
            Phase::Connected { link } => (link, None),
        };
        if by.is_some_and(|by| now >= by) {
            tracing::warn!("no answer to closeSession within {read:?}: closing the connection");
            return Err(End::Session(Error::Closed));
        }
        if now >= crate::deadline::after(link.last_heard, read) {
            return Err(End::Lost(format!("nothing heard for {read:?}")));
        }
        if now >= crate::deadline::after(link.last_sent, self.timeouts.ping_interval()) {
            // Taken as sent now: the driver writes it before sleeping again.
            link.last_sent = now;
            let limit = self.cfg.max_request;
            put_request(
                &mut self.first,
                xid::PING,
                OpCode::Ping,
                &RequestBody::None,
                limit,
            )
            .map_err(|e| End::Lost(e.to_string()))?;
        }
        Ok(())
    }

    /// A transport to `server` is open at `now`: the handshake goes out (resuming the session
    /// when there is one), and its answer is due within the connect timeout. `sasl` is the
    /// exchange to run once the session is granted (started by [`crate::SaslOptions::start`]
    /// before, since starting may block).
    pub fn on_transport(
        &mut self,
        now: Instant,
        server: Option<SocketAddr>,
        sasl: Option<SaslStart>,
    ) {
        let (expires_at, closing) = match &self.phase {
            Phase::Disconnected { expires_at } => (*expires_at, false),
            Phase::Handshaking {
                expires_at,
                closing,
                ..
            } => (*expires_at, *closing),
            _ => (None, self.is_closing()),
        };
        self.server = server;
        self.first.clear();
        let hello = self.connect_frame();
        // A handshake is a few dozen bytes: it fits any prefix.
        let _ = frame::put(&mut self.first, &hello);
        self.phase = Phase::Handshaking {
            by: crate::deadline::after(now, self.timeouts.connect()),
            expires_at,
            sasl,
            closing,
        };
    }

    /// Handles what a connection read at `now`: the handshake's answer while handshaking, then
    /// replies and notifications. `Err` ends the connection (and says whether the session
    /// goes on).
    pub fn on_input(&mut self, now: Instant, frame: &[u8]) -> Result<Option<Outcome<T>>, End> {
        if self.is_handshaking() {
            return match self.on_connect_response(now, frame) {
                Ok(()) => Ok(None),
                Err(Error::SessionExpired) => Err(End::Session(Error::SessionExpired)),
                Err(e) => Err(End::Refused(e.to_string())),
            };
        }
        self.heard(now);
        self.on_frame(frame).map_err(|e| match e {
            // The waiting add_auth learns it when the session ends.
            Error::AuthFailed => End::Session(Error::AuthFailed),
            e => End::Lost(e.to_string()),
        })
    }

    /// Like [`Session::on_input`], for a reply over the client's limit (only its header read).
    pub fn on_oversized_input(
        &mut self,
        now: Instant,
        reply_xid: i32,
        len: usize,
    ) -> Result<Outcome<T>, End> {
        if self.is_handshaking() {
            return Err(End::Refused(format!("handshake reply of {len} bytes")));
        }
        self.heard(now);
        self.on_oversized(reply_xid, len)
            .map_err(|e| End::Lost(e.to_string()))
    }

    /// How the connection's end reads in this phase: before the session is granted on it, a
    /// refusal; after, a loss.
    pub fn on_transport_end(&self, why: String) -> End {
        if self.is_handshaking() {
            End::Refused(why)
        } else {
            End::Lost(why)
        }
    }

    /// The session's own frames waiting to go out, taken (for tests of what it queues).
    #[cfg(test)]
    pub(crate) fn take_first(&mut self) -> BytesMut {
        std::mem::take(&mut self.first)
    }

    fn heard(&mut self, now: Instant) {
        if let Some(link) = self.phase.link_mut() {
            link.last_heard = now;
        }
        self.last_heard = Some(now);
    }

    /// The handshake frame (a bare `ConnectRequest`), resuming the session when there is one.
    /// A session only a read-only server has seen is not resumed (as the Java client): its id
    /// means nothing to other servers, so a new session is asked for.
    pub fn connect_frame(&self) -> Vec<u8> {
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: self.last_zxid,
            time_out: i32::try_from(self.cfg.timeout.as_millis()).unwrap_or(i32::MAX),
            session_id: if self.seen_rw { self.session_id } else { 0 },
            passwd: Some(self.passwd.clone()),
            read_only: Some(self.cfg.read_only),
        }
        .to_vec()
    }

    /// Handles the handshake reply at `now`: the session is granted, and what goes before
    /// anything else is queued (auth packets, then SetWatches2 batches; with SASL, only its
    /// first frame, and those once it completes). `SessionExpired` when the server refused the
    /// session; any other error ends the attempt.
    pub fn on_connect_response(&mut self, now: Instant, frame: &[u8]) -> Result<(), Error> {
        // A server that cannot create the session may answer with a bare reply header (a 3.8
        // read-only server without local sessions sends NotReadOnly with xid 0).
        if frame.len() == 16 {
            if let Ok(h) = jute::from_slice::<ReplyHeader>(frame) {
                let code =
                    Error::from_code(h.err).map_or_else(|| h.err.to_string(), |e| e.to_string());
                return Err(Error::protocol(format!(
                    "the server answered the handshake with an error: {code}"
                )));
            }
        }
        let resp: ConnectResponse = jute::from_slice_with(frame, Limits::new(self.cfg.max_reply))
            .map_err(|e| Error::undecodable("ConnectResponse", e))?;
        if resp.time_out <= 0 {
            return Err(Error::SessionExpired);
        }
        // Asked to resume a session and given another one (ClickHouse Keeper and some proxies
        // do this): the old session's ephemeral nodes and watches are gone, so it has ended.
        let resuming = self.seen_rw && self.session_id != 0;
        if resuming && resp.session_id != self.session_id {
            tracing::warn!(
                "asked to resume session {:#x}, the server gave {:#x}: the session is gone",
                self.session_id,
                resp.session_id
            );
            return Err(Error::SessionExpired);
        }
        let read_only = resp.read_only.unwrap_or(false);
        // A read-only server refuses clients that did not allow read-only mode, so this reply
        // comes from a broken or hostile peer: the attempt fails rather than letting writes
        // meet a server that said it takes none.
        if read_only && !self.cfg.read_only {
            return Err(Error::protocol(
                "the server says it is read-only, but this client did not allow read-only mode",
            ));
        }
        let granted = Duration::from_millis(u64::from(resp.time_out.unsigned_abs()));
        self.session_id = resp.session_id;
        self.passwd = resp.passwd.unwrap_or_default();
        self.timeouts.negotiate(granted);
        self.read_only = read_only;
        if !self.read_only {
            self.seen_rw = true;
        }
        let (sasl, closing) = match std::mem::replace(&mut self.phase, Phase::Ended(Error::Closed))
        {
            Phase::Handshaking { sasl, closing, .. } => (sasl, closing),
            other => (None, matches!(other, Phase::Closing { .. })),
        };
        self.last_heard = Some(now);
        let link = Link::new(now);
        if let Some(SaslStart { mechanism, token }) = sasl {
            let xid = self.take_xid();
            self.put_sasl(xid, token)?;
            self.phase = Phase::Authenticating {
                by: crate::deadline::after(now, self.timeouts.connect()),
                xid,
                mechanism,
                link,
                closing,
            };
            return Ok(());
        }
        self.phase = self.usable(now, link, closing);
        self.queue_replay()
    }

    /// The phase of a connection the session is usable on.
    fn usable(&self, now: Instant, link: Link, closing: bool) -> Phase {
        if closing {
            Phase::Closing {
                by: crate::deadline::after(now, self.timeouts.close_grace()),
                link,
            }
        } else {
            Phase::Connected { link }
        }
    }

    /// The next xid (SASL frames take theirs from the same counter as requests, as Java's).
    fn take_xid(&mut self) -> i32 {
        let xid = self.next_xid;
        self.next_xid = if xid == i32::MAX { 1 } else { xid + 1 };
        xid
    }

    /// Remembers credentials (replayed after every reconnect). Connected, their frame goes to
    /// the output now; otherwise (or while SASL runs) they go with the next replay. Either way
    /// the next answer to them comes out as [`Outcome::Auth`]. Credentials whose frame is over
    /// the server's limit are refused here: sent, the server would close every connection
    /// they are replayed on.
    pub fn add_auth(&mut self, scheme: &str, auth: &[u8]) -> Result<(), Error> {
        let packet = AuthPacket {
            r#type: 0,
            scheme: Some(scheme.to_string()),
            auth: Some(auth.to_vec()),
        };
        let limit = self.cfg.max_request;
        // While SASL runs, credentials wait with the rest and go out in the replay after it.
        let now = self.is_connected();
        if now {
            put_request(&mut self.out, xid::AUTH, OpCode::Auth, &packet, limit)?;
            self.auth_in_flight.push_back(true);
        } else {
            let size = RequestHeader::default().encoded_len() + packet.encoded_len();
            if size > limit {
                return Err(Error::RequestTooLarge { size, limit });
            }
        }
        self.auth.push((packet, !now));
        Ok(())
    }

    /// Assigns an xid to `req` and appends its frame to the output; the reply will come back
    /// with `token`. Returns the xid and the frame's size. A frame over the server's limit is
    /// refused here, before anything is sent. A request that sets a watch goes through
    /// [`Session::write_watch`] (here it is refused: its events would have nowhere to go).
    pub fn write(&mut self, req: OutRequest, token: T) -> Result<Written, (T, Error)> {
        self.write_with(req, token, None).map(|(w, _)| w)
    }

    /// Like [`Session::write`], for a request that sets a watch (`req.watch`): the watch is
    /// recorded as pending with `sink`, and becomes active when the request succeeds. Returns
    /// the watch's id too (`None` when `req` sets none).
    pub fn write_watch(
        &mut self,
        req: OutRequest,
        token: T,
        sink: S,
    ) -> Result<(Written, Option<WatchId>), (T, Error)> {
        self.write_with(req, token, Some(sink))
    }

    fn write_with(
        &mut self,
        req: OutRequest,
        token: T,
        sink: Option<S>,
    ) -> Result<(Written, Option<WatchId>), (T, Error)> {
        if req.watch.is_some() && sink.is_none() {
            return Err((
                token,
                Error::protocol("a request that sets a watch, written without a sink"),
            ));
        }
        let xid = self.next_xid;
        let size = match put_request(&mut self.out, xid, req.op, &req.body, self.cfg.max_request) {
            Ok(size) => size,
            Err(e) => return Err((token, e)),
        };
        self.take_xid();
        self.unsent += 1;
        let removal = match &req.body {
            RequestBody::RemoveWatches(r) => {
                r.path.clone().zip(WatcherType::try_from(r.r#type).ok())
            }
            _ => None,
        };
        let watch = match (req.watch, sink) {
            (Some((kind, path)), Some(sink)) => Some(self.watches.insert(&path, kind, sink)),
            _ => None,
        };
        self.pending.push_back(Pending {
            xid,
            op: req.op,
            token,
            watch,
            removal,
        });
        Ok((
            Written {
                xid,
                bytes: size + 4,
            },
            watch,
        ))
    }

    /// A request failed: the watch it would have set is dropped.
    fn unset(&mut self, watch: Option<WatchId>) {
        if let Some(id) = watch {
            self.watches.remove(id);
        }
    }

    /// Handles a reply over the client's limit: fails the request it answers.
    pub fn on_oversized(&mut self, reply_xid: i32, len: usize) -> Result<Outcome<T>, Error> {
        let p = self.pop(reply_xid)?;
        self.unset(p.watch);
        Ok(Outcome::Reply {
            token: p.token,
            result: Err(Error::ReplyTooLarge {
                size: len,
                limit: self.cfg.max_reply,
            }),
            removed: Vec::new(),
            bytes: len + 4,
        })
    }

    /// The request a reply answers: replies come in request order, so it must be the oldest.
    fn pop(&mut self, reply_xid: i32) -> Result<Pending<T>, Error> {
        if self.in_flight() == 0 {
            return Err(Error::protocol(format!(
                "reply for xid {reply_xid} with no request waiting"
            )));
        }
        match self.pending.pop_front() {
            Some(p) if p.xid == reply_xid => Ok(p),
            Some(p) => {
                let next = p.xid;
                self.pending.push_front(p);
                Err(Error::protocol(format!(
                    "reply for xid {reply_xid} while xid {next} was next"
                )))
            }
            None => Err(Error::protocol(format!(
                "reply for xid {reply_xid} with no request waiting"
            ))),
        }
    }

    /// Handles one frame after the handshake. An `Err` means the connection cannot go on.
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<Option<Outcome<T>>, Error> {
        let mut r = Reader::with_limits(frame, Limits::new(self.cfg.max_reply));
        let header =
            ReplyHeader::decode(&mut r).map_err(|e| Error::undecodable("reply header", e))?;
        if matches!(self.phase, Phase::Authenticating { xid, .. } if xid == header.xid) {
            return self.on_sasl_reply(&header, &mut r);
        }
        match header.xid {
            xid::NOTIFICATION => {
                let ev = WatcherEvent::decode(&mut r)
                    .and_then(|ev| r.finish().map(|()| ev))
                    .map_err(|e| Error::undecodable("notification", e))?;
                // An event type this client does not know (a newer server's) fires no watch:
                // skipped with a warning, as the Java client skips unknown states.
                let Ok(event_type) = EventType::try_from(ev.r#type) else {
                    tracing::warn!(
                        "skipping a notification of unknown type {} (path of {} bytes)",
                        ev.r#type,
                        ev.path.as_ref().map_or(0, String::len)
                    );
                    return Ok(None);
                };
                let server_path = ev.path.unwrap_or_default();
                let watches = self.watches.fire(&server_path, event_type);
                let event = WatchedEvent {
                    event_type,
                    path: self.cfg.chroot.to_client(&server_path),
                    zxid: header.zxid,
                };
                Ok(Some(Outcome::Fire { watches, event }))
            }
            xid::PING => Ok(None),
            xid::SET_WATCHES => match Error::from_code(header.err) {
                None => Ok(None),
                // The watches of that batch are not on the server: rather than lose them
                // silently, drop the connection; the next one sends them again.
                Some(e) => Err(Error::protocol(format!("SetWatches2 refused: {e}"))),
            },
            xid::AUTH => {
                let waited = self.auth_in_flight.pop_front().unwrap_or(false);
                match Error::from_code(header.err) {
                    // The server closes the connection after a failed auth.
                    Some(e) => Err(e),
                    None if waited => Ok(Some(Outcome::Auth)),
                    None => Ok(None),
                }
            }
            reply_xid => {
                let p = self.pop(reply_xid)?;
                if header.zxid > 0 {
                    self.last_zxid = self.last_zxid.max(header.zxid);
                }
                let result = match Error::from_code(header.err) {
                    Some(e) => Err(e),
                    None => match ResponseBody::decode(p.op, &mut r)
                        .and_then(|b| r.finish().map(|()| b))
                    {
                        Ok(body) => Ok(body),
                        Err(e) => {
                            self.unset(p.watch);
                            return Ok(Some(Outcome::Broken {
                                token: p.token,
                                error: Error::undecodable(format_args!("{} reply", p.op.name()), e),
                            }));
                        }
                    },
                };
                if let Some(id) = p.watch {
                    let kind = self.watches.kind(id);
                    // exists() on a missing node still sets a watch (for its creation).
                    let set = result.is_ok()
                        || (kind == Some(WatchKind::Exist) && result == Err(Error::NoNode));
                    match kind {
                        Some(kind) if set => {
                            let kind = if kind == WatchKind::Exist && result.is_ok() {
                                WatchKind::Data
                            } else {
                                kind
                            };
                            self.watches.activate(id, kind);
                        }
                        _ => self.unset(Some(id)),
                    }
                }
                let removed = match (&p.removal, &result) {
                    (Some((path, ty)), Ok(_)) => self.removed_locally(path, *ty),
                    _ => Vec::new(),
                };
                Ok(Some(Outcome::Reply {
                    token: p.token,
                    result,
                    removed,
                    bytes: frame.len() + 4,
                }))
            }
        }
    }

    /// The connection dropped: every request on it fails with connection loss (its outcome is
    /// unknown); those still in the output wait for the next connection. Watches stay
    /// registered for replay. With local expiry, the session is taken as expired a negotiated
    /// timeout after the last frame heard; a session closing ends here (the server cannot be
    /// told).
    pub fn on_disconnect(&mut self) -> Vec<Failed<T>> {
        let closing = self.is_closing();
        let kept = match &self.phase {
            Phase::Disconnected { expires_at } | Phase::Handshaking { expires_at, .. } => {
                Some(*expires_at)
            }
            _ => None,
        };
        self.server = None;
        self.first.clear();
        if !matches!(self.phase, Phase::Ended(_)) {
            self.phase = if closing {
                Phase::Ended(Error::Closed)
            } else {
                let expires_at = kept.unwrap_or_else(|| self.local_expiry());
                Phase::Disconnected { expires_at }
            };
        }
        let sent = self.pending.len() - self.unsent;
        let failed: Vec<Pending<T>> = self.pending.drain(..sent).collect();
        failed
            .into_iter()
            .map(|p| {
                self.unset(p.watch);
                (p.token, Error::ConnectionLoss)
            })
            .collect()
    }

    /// When the session is taken as expired without a server, measured from the last frame
    /// heard (none without local expiry, or before any session).
    fn local_expiry(&self) -> Option<Instant> {
        if !self.cfg.local_expiry || self.session_id == 0 {
            return None;
        }
        let timeout = self.timeouts.expiry()?;
        self.last_heard
            .map(|heard| crate::deadline::after(heard, timeout))
    }

    /// Writes closeSession (its answer comes back with `token`). On a usable connection it
    /// goes out and is waited for within the close grace; while a handshake or SASL exchange
    /// runs it waits for them; with no connection the session ends at once (the server cannot
    /// be told, and lets the session time out). `None` when the session has already ended or
    /// is closing.
    pub fn close(&mut self, now: Instant, token: T) -> Option<Result<Written, (T, Error)>> {
        if self.ended().is_some() || self.is_closing() {
            return None;
        }
        let written = self.write(OutRequest::of::<ops::CloseSession>(()), token);
        let grace = self.timeouts.close_grace();
        match &mut self.phase {
            Phase::Disconnected { .. } => self.phase = Phase::Ended(Error::Closed),
            Phase::Handshaking { closing, .. } | Phase::Authenticating { closing, .. } => {
                *closing = true;
            }
            Phase::Connected { link } => {
                self.phase = Phase::Closing {
                    by: crate::deadline::after(now, grace),
                    link: *link,
                };
            }
            Phase::Closing { .. } | Phase::Ended(_) => {}
        }
        Some(written)
    }

    /// Every client handle is gone (or the client detached): the session is left to the
    /// server, without closeSession.
    pub fn leave(&mut self) {
        if self.ended().is_none() {
            self.phase = Phase::Ended(Error::Closed);
        }
    }

    /// The session ended: every request written, sent or not, fails with `err`; the output is
    /// discarded and the watches dropped (their sinks come back in the second list).
    pub fn on_end(&mut self, err: &Error) -> (Vec<Failed<T>>, Vec<S>) {
        self.phase = Phase::Ended(err.clone());
        self.server = None;
        self.first.clear();
        self.out.clear();
        self.unsent = 0;
        let failed = self
            .pending
            .drain(..)
            .map(|p| (p.token, err.clone()))
            .collect();
        (failed, self.watches.drain())
    }

    /// Unregisters a local watch (its handle is gone), whatever its phase. Returns its sink,
    /// and the removeWatches request to send when it was on the server and no other local watch
    /// that removal would take away is left on the path.
    pub fn unwatch(&mut self, id: WatchId) -> Option<(S, Option<OutRequest>)> {
        let removed = self.watches.remove(id)?;
        if !removed.was_active {
            return Some((removed.sink, None));
        }
        // A removal that would take away a watch another local handle still needs is not
        // sent: the server's watch then stays until it fires or the session ends, and its
        // events find no handle. Never losing a watch matters more than an idle one on the
        // server.
        let (watcher_type, shared_with) = removed.kind.removal();
        if removed.remaining.iter().any(|k| shared_with.contains(k)) {
            return Some((removed.sink, None));
        }
        let req = OutRequest::of::<ops::RemoveWatches>(jute_schemas::proto::RemoveWatchesRequest {
            path: Some(removed.path.into()),
            r#type: watcher_type.value(),
        });
        Some((removed.sink, Some(req)))
    }

    /// Local watches on `server_path` matching a removed watcher type, taken off the server's
    /// list (done), with their removal events.
    fn removed_locally(
        &mut self,
        server_path: &str,
        ty: WatcherType,
    ) -> Vec<(WatchId, WatchKind, WatchedEvent)> {
        let path = self.cfg.chroot.to_client(server_path);
        self.watches
            .take(server_path, WatchKind::removed_by(ty))
            .into_iter()
            .map(|(id, kind)| {
                let event = WatchedEvent {
                    event_type: kind.removed_event(),
                    path: path.clone(),
                    zxid: -1,
                };
                (id, kind, event)
            })
            .collect()
    }
}

/// Settings for unit tests: a 30 s timeout (10 s to connect), local expiry, the default
/// limits, read-write only.
#[cfg(test)]
pub(crate) fn test_config(chroot: &str) -> SessionConfig {
    SessionConfig {
        timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(10),
        local_expiry: true,
        read_only: false,
        chroot: Chroot::new(chroot).unwrap(),
        max_request: 0xfffff,
        max_reply: 0xfffff,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod clock_tests;
