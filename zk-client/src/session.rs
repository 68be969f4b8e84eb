//! The session as a state machine without I/O: it turns requests into frames and frames into
//! replies and watch events. The connection task only moves bytes and delivers outcomes, so
//! everything here is tested with byte vectors.
//!
//! `T` is whatever the caller uses to route a reply back (a reply slot in the client, a number
//! in tests); `S` is where a watch's events go (the client's wakers and channels, `()` in
//! tests). The session owns the watch [`Registry`]: a watch is recorded, with its sink, when its
//! request is written, and made active, or dropped, by the reply.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use jute::{Decode, Encode, Limits, Reader, Record};
use jute_schemas::proto::{
    AuthPacket, ConnectRequest, ConnectResponse, GetSASLRequest, ReplyHeader, RequestHeader,
    SetSASLResponse, SetWatches2, WatcherEvent,
};
use jute_schemas::protocol::{xid, EventType, OpCode, RequestBody, ResponseBody, WatcherType};

use crate::error::Error;
use crate::path::Chroot;
use crate::sasl::{Mechanism, SaslStart};
use crate::watch::{Registry, WatchId, WatchKind};

/// The Java client's batch bound for SetWatches2 (sum of path lengths).
pub const SET_WATCHES_MAX_LENGTH: usize = 128 * 1024;

/// A negotiated session timeout above this many times the requested one is taken as this
/// bound: a server may raise a short request to its `minSessionTimeout`, but an unbounded value
/// would keep local expiry from ever firing.
pub const MAX_NEGOTIATED_FACTOR: u32 = 20;

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
pub struct Session<T, S = ()> {
    cfg: SessionConfig,
    session_id: i64,
    passwd: Vec<u8>,
    last_zxid: i64,
    negotiated: Option<Duration>,
    read_only: bool,
    /// Whether a read-write server ever accepted this session. Until one has, the session id
    /// is one a read-only server made up, which no other server knows.
    seen_rw: bool,
    next_xid: i32,
    /// Requests written, oldest first: those on the connection, then the `unsent` ones still in
    /// `out`.
    pending: VecDeque<Pending<T>>,
    /// Frames (with their length prefix) not yet handed to a connection.
    out: BytesMut,
    /// How many of `pending` have their frame in `out`.
    unsent: usize,
    /// Between a handshake reply and the connection's end.
    connected: bool,
    watches: Registry<S>,
    /// Credentials, replayed after every reconnect, each with whether a caller waits for the
    /// answer to its next sending (one added while disconnected).
    auth: Vec<(AuthPacket, bool)>,
    /// One entry per auth packet in flight: whether a caller waits for its answer.
    auth_in_flight: VecDeque<bool>,
    /// The SASL exchange of this connection while it runs: the xid its reply will carry, and
    /// the mechanism. Meanwhile only its frames (in `sasl_out`) go out; `out` waits.
    sasl: Option<(i32, Box<dyn Mechanism>)>,
    sasl_out: BytesMut,
}

/// A SASL frame (without its length prefix): a request header with op 102 and the token.
fn sasl_frame(xid: i32, token: Vec<u8>) -> Vec<u8> {
    frame_of(
        &RequestHeader {
            xid,
            r#type: OpCode::Sasl.value(),
        },
        &GetSASLRequest { token: Some(token) },
    )
}

fn frame_of(header: &RequestHeader, body: &impl Encode) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.encoded_len() + body.encoded_len());
    header.encode(&mut out);
    body.encode(&mut out);
    out
}

/// Appends an encoded frame to `out` behind its length prefix.
fn push_prefixed(out: &mut BytesMut, frame: &[u8]) {
    out.reserve(4 + frame.len());
    // Frames the session encodes are far below i32::MAX.
    out.put_u32(u32::try_from(frame.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(frame);
}

/// Appends `header` and `body` to `out` with the frame's length prefix (`len`: the frame's
/// length without it).
fn put_frame(out: &mut BytesMut, len: usize, header: &RequestHeader, body: &impl Encode) {
    out.reserve(4 + len);
    // The caller checked `len` against the request limit, itself an i32.
    out.put_u32(u32::try_from(len).unwrap_or(u32::MAX));
    header.encode(out);
    body.encode(out);
}

impl<T, S> Session<T, S> {
    /// A new session (no id yet).
    pub fn new(cfg: SessionConfig) -> Self {
        Session {
            cfg,
            session_id: 0,
            passwd: vec![0; 16],
            last_zxid: 0,
            negotiated: None,
            read_only: false,
            seen_rw: false,
            next_xid: 1,
            pending: VecDeque::new(),
            out: BytesMut::new(),
            unsent: 0,
            connected: false,
            watches: Registry::default(),
            auth: Vec::new(),
            auth_in_flight: VecDeque::new(),
            sasl: None,
            sasl_out: BytesMut::new(),
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
        self.negotiated
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

    /// Whether there are frames waiting for the connection (while SASL runs, only its own).
    pub fn has_output(&self) -> bool {
        if self.sasl.is_some() {
            !self.sasl_out.is_empty()
        } else {
            !self.out.is_empty()
        }
    }

    /// Whether the connection's SASL exchange is still running (nothing else is sent until it
    /// completes).
    pub fn is_authenticating(&self) -> bool {
        self.sasl.is_some()
    }

    /// Hands every waiting frame to the connection (appended to `into`); the requests among
    /// them are then in flight. Returns how many requests that was. While SASL runs, only its
    /// frames are handed over.
    pub fn take_output(&mut self, into: &mut BytesMut) -> usize {
        if self.sasl.is_some() {
            into.extend_from_slice(&self.sasl_out);
            self.sasl_out.clear();
            return 0;
        }
        if into.is_empty() {
            std::mem::swap(into, &mut self.out);
        } else {
            into.extend_from_slice(&self.out);
            self.out.clear();
        }
        std::mem::take(&mut self.unsent)
    }

    /// Whether a connection is established (between a handshake reply and its end).
    pub fn is_connected(&self) -> bool {
        self.connected
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

    /// How long the connection may stay silent before it is considered dead: 2/3 of the
    /// timeout, as the Java client, but of the requested timeout when the server negotiated a
    /// longer one, so a server that grants a huge timeout and goes silent is still noticed.
    pub fn read_timeout(&self) -> Duration {
        self.negotiated
            .map_or(self.cfg.timeout, |n| n.min(self.cfg.timeout))
            .saturating_mul(2)
            / 3
    }

    /// The longest negotiated timeout the client accepts: [`MAX_NEGOTIATED_FACTOR`] times the
    /// requested one (ZooKeeper's own bound is `maxSessionTimeout`, 20 ticks by default).
    pub fn max_negotiated_timeout(&self) -> Duration {
        self.cfg.timeout.saturating_mul(MAX_NEGOTIATED_FACTOR)
    }

    /// How often to ping when idle (half the read timeout).
    pub fn ping_interval(&self) -> Duration {
        self.read_timeout() / 2
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

    /// Handles the handshake reply. Returns the frames to send before anything else (auth
    /// packets, then SetWatches2 batches; with SASL, only its first frame, and those once it
    /// completes), or `SessionExpired` when the server refused the session.
    ///
    /// `sasl` is the exchange to run on this connection (started by
    /// [`crate::SaslOptions::start`] before the handshake, since starting may block).
    pub fn on_connect_response(
        &mut self,
        frame: &[u8],
        sasl: Option<SaslStart>,
    ) -> Result<Vec<Vec<u8>>, Error> {
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
        self.negotiated = Some(granted.min(self.max_negotiated_timeout()));
        self.read_only = read_only;
        if !self.read_only {
            self.seen_rw = true;
        }
        self.connected = true;
        if let Some(SaslStart { mechanism, token }) = sasl {
            let xid = self.take_xid();
            self.sasl = Some((xid, mechanism));
            return Ok(vec![sasl_frame(xid, token)]);
        }
        Ok(self.replay_frames())
    }

    /// Credentials (auth packets), then the watches (SetWatches2 batches), for a new
    /// connection.
    fn replay_frames(&mut self) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        // Replayed credentials: only those added while disconnected have someone waiting.
        self.auth_in_flight.clear();
        for (a, waited) in &mut self.auth {
            frames.push(frame_of(
                &RequestHeader {
                    xid: xid::AUTH,
                    r#type: OpCode::Auth.value(),
                },
                a,
            ));
            self.auth_in_flight.push_back(std::mem::take(waited));
        }
        frames.extend(self.set_watches_frames());
        frames
    }

    /// The next xid (SASL frames take theirs from the same counter as requests, as Java's).
    fn take_xid(&mut self) -> i32 {
        let xid = self.next_xid;
        self.next_xid = if xid == i32::MAX { 1 } else { xid + 1 };
        xid
    }

    /// A reply to the running SASL exchange: the next token goes out, or the exchange is
    /// complete and what waited behind it (credentials, watches, queued calls) goes out, in
    /// that order. A refusal ends the session with `AuthFailed` (the server closes the
    /// connection after it).
    fn on_sasl_reply(
        &mut self,
        header: &ReplyHeader,
        r: &mut Reader<'_>,
    ) -> Result<Option<Outcome<T>>, Error> {
        let Some((_, mut mechanism)) = self.sasl.take() else {
            return Err(Error::protocol("a SASL reply with no exchange running"));
        };
        let fail = |why: String| {
            tracing::warn!("SASL authentication failed: {why}");
            Err(Error::AuthFailed)
        };
        if let Some(e) = Error::from_code(header.err) {
            return fail(format!("the server refused the credentials ({e})"));
        }
        let reply = SetSASLResponse::decode(r)
            .and_then(|b| r.finish().map(|()| b))
            .map_err(|e| Error::undecodable("SASL reply", e))?;
        match mechanism.step(reply.token.as_deref()) {
            Err(why) => fail(why),
            Ok(Some(token)) => {
                let xid = self.take_xid();
                push_prefixed(&mut self.sasl_out, &sasl_frame(xid, token));
                self.sasl = Some((xid, mechanism));
                Ok(None)
            }
            Ok(None) => {
                let frames = self.replay_frames();
                let len: usize = frames.iter().map(|f| 4 + f.len()).sum();
                let mut out = BytesMut::with_capacity(len + self.out.len());
                for f in &frames {
                    push_prefixed(&mut out, f);
                }
                out.extend_from_slice(&self.out);
                self.out = out;
                Ok(None)
            }
        }
    }

    fn set_watches_frames(&self) -> Vec<Vec<u8>> {
        let by_kind = self.watches.by_kind();
        let entries = by_kind
            .iter()
            .flat_map(|(kind, paths)| paths.iter().map(move |p| (*kind, *p)));
        // Every list is sent, empty rather than null: the server iterates all five.
        let empty = || SetWatches2 {
            relative_zxid: self.last_zxid,
            data_watches: Some(Vec::new()),
            exist_watches: Some(Vec::new()),
            child_watches: Some(Vec::new()),
            persistent_watches: Some(Vec::new()),
            persistent_recursive_watches: Some(Vec::new()),
        };
        let mut frames = Vec::new();
        let mut batch = empty();
        let mut size = 0;
        let flush = |batch: &mut SetWatches2, frames: &mut Vec<Vec<u8>>| {
            let header = RequestHeader {
                xid: xid::SET_WATCHES,
                r#type: OpCode::SetWatches2.value(),
            };
            frames.push(frame_of(&header, &*batch));
            *batch = empty();
        };
        for (kind, path) in entries {
            let list = match kind {
                WatchKind::Data => &mut batch.data_watches,
                WatchKind::Exist => &mut batch.exist_watches,
                WatchKind::Child => &mut batch.child_watches,
                WatchKind::Persistent => &mut batch.persistent_watches,
                WatchKind::PersistentRecursive => &mut batch.persistent_recursive_watches,
            };
            list.get_or_insert_with(Vec::new).push(path.to_string());
            size += path.len();
            if size >= SET_WATCHES_MAX_LENGTH {
                flush(&mut batch, &mut frames);
                size = 0;
            }
        }
        if size > 0 {
            flush(&mut batch, &mut frames);
        }
        frames
    }

    /// Remembers credentials (replayed after every reconnect). Connected, their frame goes to
    /// the output now; otherwise (or while SASL runs) they go with the next replay. Either way the next answer to
    /// them comes out as [`Outcome::Auth`].
    pub fn add_auth(&mut self, scheme: &str, auth: &[u8]) {
        let packet = AuthPacket {
            r#type: 0,
            scheme: Some(scheme.to_string()),
            auth: Some(auth.to_vec()),
        };
        // While SASL runs, credentials wait with the rest and go out in the replay after it.
        let now = self.connected && self.sasl.is_none();
        if now {
            let header = RequestHeader {
                xid: xid::AUTH,
                r#type: OpCode::Auth.value(),
            };
            let len = header.encoded_len() + packet.encoded_len();
            put_frame(&mut self.out, len, &header, &packet);
            self.auth_in_flight.push_back(true);
        }
        self.auth.push((packet, !now));
    }

    /// The ping frame.
    pub fn ping_frame(&self) -> Vec<u8> {
        frame_of(
            &RequestHeader {
                xid: xid::PING,
                r#type: OpCode::Ping.value(),
            },
            &RequestBody::None,
        )
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
        let header = RequestHeader {
            xid,
            r#type: req.op.value(),
        };
        let size = header.encoded_len() + req.body.encoded_len();
        if size > self.cfg.max_request {
            return Err((
                token,
                Error::RequestTooLarge {
                    size,
                    limit: self.cfg.max_request,
                },
            ));
        }
        self.take_xid();
        put_frame(&mut self.out, size, &header, &req.body);
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
        if self.sasl.as_ref().is_some_and(|(x, _)| *x == header.xid) {
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
    /// registered for replay.
    pub fn on_disconnect(&mut self) -> Vec<Failed<T>> {
        self.connected = false;
        self.sasl = None;
        self.sasl_out.clear();
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

    /// The session ended: every request written, sent or not, fails with `err`; the output is
    /// discarded and the watches dropped (their sinks come back in the second list).
    pub fn on_end(&mut self, err: &Error) -> (Vec<Failed<T>>, Vec<S>) {
        self.connected = false;
        self.sasl = None;
        self.sasl_out.clear();
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
        let req = OutRequest {
            op: OpCode::RemoveWatches,
            body: RequestBody::RemoveWatches(jute_schemas::proto::RemoveWatchesRequest {
                path: Some(removed.path.into()),
                r#type: watcher_type.value(),
            }),
            watch: None,
        };
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

/// Settings for unit tests: a 30 s timeout, the default limits, read-write only.
#[cfg(test)]
pub(crate) fn test_config(chroot: &str) -> SessionConfig {
    SessionConfig {
        timeout: Duration::from_secs(30),
        read_only: false,
        chroot: Chroot::new(chroot).unwrap(),
        max_request: 0xfffff,
        max_reply: 0xfffff,
    }
}

#[cfg(test)]
mod tests;
