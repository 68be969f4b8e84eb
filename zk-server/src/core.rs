//! The server without I/O: frames in, frames out, on a clock the caller gives. A connection's
//! first frame is its `ConnectRequest`; after it, each frame is a request, answered in order,
//! with the notifications a write causes sent before its reply (to every watching session's
//! connection, the writer's included). The tokio side only moves bytes.
//!
//! Served: the handshake (new session, resume with id and password, refusal), ping,
//! closeSession, every read and write of a standalone ZooKeeper, setAuth and the ACL checks,
//! the watches and their notifications (filtered by the changed node's ACL), expiry by the
//! clock and the container manager's deletes ([`Core::reap`]).

use std::collections::HashMap;
use std::net::IpAddr;

use jute::{Decode, Encode, Limits, Reader};
use jute_schemas::data::ACL as Acl;
use jute_schemas::proto::*;
use jute_schemas::protocol::frame;
use jute_schemas::protocol::{
    decode_request, perms, xid, CreateMode, ErrorCode, EventType, MultiResponse, MultiResult,
    OpCode, RequestBody, ResponseBody,
};

use crate::auth::Identities;
use crate::logged::{self, Asker, Logged};
use crate::multi::{self, Done, MultiOp};
use crate::ondisk::txn::TxnBody;
use crate::prep::{self, Access, Create};
use crate::reads;
use crate::sessions::{Refused, Sessions};
use crate::tree::{DataTree, Txn};
use crate::watches::{Mode, Notification, WatchKind, Watches};
use jute_schemas::txn::{CheckVersionTxn, ErrorTxn, TxnHeader};

/// A connection, as the caller numbers them.
pub type ConnId = u64;

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Write this frame (length prefix included) to the connection.
    Frame(ConnId, Vec<u8>),
    /// Close the connection (after writing what came before).
    Close(ConnId),
    /// A transaction as ZooKeeper logs it, one per zxid handed out, before the replies and
    /// notifications it causes (a log is written ahead of the answers); with
    /// [`Config::log_transactions`].
    Log(Box<Logged>),
}

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// `tickTime` in milliseconds.
    pub tick_ms: u64,
    /// Whether TTL nodes are allowed (`extendedTypesEnabled`).
    pub extended_types: bool,
    /// The longest session timeout granted, in ms (`maxSessionTimeout`; `None`: 20 ticks).
    pub max_session_timeout_ms: Option<i32>,
    /// The largest request accepted (`jute.maxbuffer`).
    pub max_request: usize,
    /// The four-letter words that run (`4lw.commands.whitelist`: `srvr` by default, `*` for
    /// all).
    pub four_letter_words: Vec<String>,
    /// How often containers and TTL nodes are checked for deletion, in ms
    /// (`znode.container.checkIntervalMs`; ZooKeeper's default is a minute).
    pub container_check_ms: u64,
    /// The super user's digest (`user:base64`, as `zk_server::auth::digest` makes it):
    /// ZooKeeper's `zookeeper.DigestAuthenticationProvider.superDigest`. A connection that
    /// authenticates as it passes every ACL.
    pub super_digest: Option<String>,
    /// Whether the core emits each transaction as ZooKeeper logs it ([`Out::Log`]); off unless
    /// something keeps them (persistence), so the answers do not pay for records nobody reads.
    pub log_transactions: bool,
    /// Serves read-only, as ZooKeeper's `ReadOnlyZooKeeperServer`: only clients that allow a
    /// read-only server (`canBeReadOnly`) are taken, their sessions are the server's alone (no
    /// transaction, no zxid), and every write (and sync, and check) is answered
    /// `NOTREADONLY`. The tree never changes: not by a session's end, not by the container
    /// manager. For looking at a recovered state as it was.
    pub read_only: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tick_ms: 2_000,
            extended_types: false,
            max_session_timeout_ms: None,
            max_request: 1024 * 1024,
            container_check_ms: 60_000,
            four_letter_words: vec!["srvr".into()],
            super_digest: None,
            log_transactions: false,
            read_only: false,
        }
    }
}

/// A connection's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conn {
    /// Waiting for its ConnectRequest.
    New,
    /// Serving a session.
    Session(i64),
}

/// A create's fields, whichever request carried them: path, data, ACL, flags, TTL (-1).
type CreateFields = (Option<String>, Option<Vec<u8>>, Option<Vec<Acl>>, i32, i64);

/// The watch lists of a `setWatches` or `setWatches2`.
struct WatchLists {
    relative_zxid: i64,
    data: Vec<String>,
    exist: Vec<String>,
    child: Vec<String>,
    persistent: Vec<String>,
    recursive: Vec<String>,
}

/// The server's state.
#[derive(Debug)]
pub struct Core {
    config: Config,
    tree: DataTree,
    watches: Watches,
    sessions: Sessions,
    /// The last zxid handed out.
    zxid: i64,
    conns: HashMap<ConnId, Conn>,
    /// Each session's connection, while it has one.
    session_conn: HashMap<i64, ConnId>,
    /// Each connection's identities (ZooKeeper keeps them on the connection).
    idents: HashMap<ConnId, Identities>,
    /// The identities of the connection whose request is being served.
    requester: Identities,
    /// The wall clock (ms since the epoch) at monotonic time 0, for Stats' times.
    wall_at_zero: i64,
    /// Who asked for the request being served (for its transaction's header).
    asker: Asker,
}

fn encode(header: &impl Encode, body: &impl Encode) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.encoded_len() + body.encoded_len());
    header.encode(&mut out);
    body.encode(&mut out);
    // A frame the server makes fits the 4-byte prefix (the tree refuses anything larger).
    frame::to_vec(&out).unwrap_or_default()
}

fn path_of(p: &Option<String>) -> &str {
    p.as_deref().unwrap_or("")
}

/// A create's path, data, flags and TTL, borrowed from its record.
type CreateParts<'a> = (&'a Option<String>, &'a Option<Vec<u8>>, i32, i64);

/// A create's path, data, flags and TTL (-1 for all but `createTTL`), whichever record holds it.
fn create_fields(body: &RequestBody) -> Option<CreateParts<'_>> {
    match body {
        RequestBody::Create(r) => Some((&r.path, &r.data, r.flags, -1)),
        RequestBody::CreateTtl(r) => Some((&r.path, &r.data, r.flags, r.ttl)),
        _ => None,
    }
}

/// The session timeout bounds: 2 ticks to `maxSessionTimeout` (20 ticks when not set).
fn bounds(config: &Config) -> Option<(i32, i32)> {
    let tick = i32::try_from(config.tick_ms).unwrap_or(i32::MAX);
    config
        .max_session_timeout_ms
        .map(|max| (tick.saturating_mul(2), max))
}

/// An operation's op code as ZooKeeper logs it inside a multi: a create2 is a create there.
fn multi_op(kind: Option<OpCode>) -> i32 {
    match kind {
        Some(OpCode::Create2) | None => OpCode::Create.value(),
        Some(k) => k.value(),
    }
}

/// The requests a read-only server answers `NOTREADONLY` (ZooKeeper's
/// `ReadOnlyRequestProcessor`).
fn changes_state(op: OpCode) -> bool {
    matches!(
        op,
        OpCode::Sync
            | OpCode::Create
            | OpCode::Create2
            | OpCode::CreateTtl
            | OpCode::CreateContainer
            | OpCode::Delete
            | OpCode::DeleteContainer
            | OpCode::SetData
            | OpCode::Reconfig
            | OpCode::SetAcl
            | OpCode::Multi
            | OpCode::Check
    )
}

fn mode_of(flags: i32, op: OpCode) -> Option<CreateMode> {
    if op == OpCode::CreateContainer {
        return Some(CreateMode::Container);
    }
    CreateMode::try_from(flags).ok()
}

impl Core {
    /// A server started at monotonic time `now_ms`, when the wall clock said `wall_ms` (ms since
    /// the epoch: Stats' ctime and mtime come from it).
    pub fn new(config: Config, now_ms: u64, wall_ms: i64) -> Core {
        Core {
            tree: DataTree::new(config.extended_types),
            watches: Watches::default(),
            sessions: Sessions::new(config.tick_ms, bounds(&config), 1, now_ms),
            config,
            zxid: 0,
            conns: HashMap::new(),
            session_conn: HashMap::new(),
            idents: HashMap::new(),
            requester: Identities::default(),
            wall_at_zero: wall_ms.saturating_sub(i64::try_from(now_ms).unwrap_or(i64::MAX)),
            asker: Asker::default(),
        }
    }

    /// Serves `state` (recovered from files, [`crate::datadir::load`]) from monotonic time
    /// `now_ms`: its tree, its last zxid, and its sessions, each live for its whole timeout.
    /// What the server held before is dropped.
    pub fn restore(&mut self, state: crate::restore::Restored, now_ms: u64) {
        self.tree = state.tree;
        self.zxid = state.zxid;
        let wall = self.wall(now_ms);
        self.sessions.ids_from_wall_clock(1, wall);
        if self.config.read_only {
            // Nobody takes the recovered sessions over, and they never end: their ephemerals
            // stay as they were.
            return;
        }
        for (id, timeout) in state.sessions {
            self.sessions.restore(id, timeout, now_ms);
        }
    }

    fn wall(&self, now_ms: u64) -> i64 {
        // Saturating: a clock past any wall time is the last one, not a panic.
        self.wall_at_zero
            .saturating_add(i64::try_from(now_ms).unwrap_or(i64::MAX))
    }

    /// The watches.
    pub fn watches(&self) -> &Watches {
        &self.watches
    }

    /// The sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The last zxid handed out.
    pub fn last_zxid(&self) -> i64 {
        self.zxid
    }

    /// The session a connection serves, once its handshake is done.
    pub fn session_of(&self, conn: ConnId) -> Option<i64> {
        match self.conns.get(&conn) {
            Some(Conn::Session(id)) => Some(*id),
            _ => None,
        }
    }

    /// How it is set up.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The wall clock (ms since the epoch) at monotonic time `now_ms`.
    pub fn wall_ms(&self, now_ms: u64) -> i64 {
        self.wall(now_ms)
    }

    /// The data tree (for tests and the command line).
    pub fn tree(&self) -> &DataTree {
        &self.tree
    }

    /// A new connection, from `peer` (its `ip` identity; `None` when it has no address).
    pub fn connected(&mut self, conn: ConnId, peer: Option<IpAddr>) {
        self.conns.insert(conn, Conn::New);
        self.idents.insert(conn, Identities::from_peer(peer));
    }

    /// A connection went away (its session lives on until it expires or is resumed). Its
    /// watches go with it, as ZooKeeper keeps watches per connection: a client that comes
    /// back sets them again (`setWatches`).
    pub fn disconnected(&mut self, conn: ConnId) {
        self.idents.remove(&conn);
        if let Some(Conn::Session(id)) = self.conns.remove(&conn) {
            if self.session_conn.get(&id) == Some(&conn) {
                self.session_conn.remove(&id);
                self.watches.remove_session(id);
            }
        }
    }

    /// When [`Core::tick`] should run next.
    pub fn next_deadline(&self) -> Option<u64> {
        self.sessions.next_expiry()
    }

    /// Expires the sessions whose time has come: their ephemerals go, their watchers are told.
    pub fn tick(&mut self, now_ms: u64) -> Vec<Out> {
        let mut out = Vec::new();
        for id in self.sessions.expire(now_ms) {
            self.end_session(id, 0, now_ms, &mut out);
            if let Some(conn) = self.session_conn.remove(&id) {
                self.conns.remove(&conn);
                out.push(Out::Close(conn));
            }
        }
        out
    }

    /// Expires session `id` now, as its timeout would (its ephemerals go, its watchers are
    /// told, its connection is closed); `None` when it is not live.
    pub fn expire_session(&mut self, id: i64) -> Option<Vec<Out>> {
        if !self.sessions.is_live(id) {
            return None;
        }
        self.sessions.remove(id);
        let mut out = Vec::new();
        self.end_session(id, 0, 0, &mut out);
        if let Some(conn) = self.session_conn.remove(&id) {
            self.conns.remove(&conn);
            out.push(Out::Close(conn));
        }
        Some(out)
    }

    /// Deletes the containers and TTL nodes whose time has come (ZooKeeper's
    /// `ContainerManager`, which the caller runs every `znode.container.checkIntervalMs`):
    /// each delete is a transaction of its own, told to watchers as any delete is.
    pub fn reap(&mut self, now_ms: u64) -> Vec<Out> {
        let mut out = Vec::new();
        if self.config.read_only {
            return out;
        }
        self.asker = Asker {
            session: 0,
            cxid: 0,
            op: logged::types::DELETE_CONTAINER,
        };
        for path in self.tree.reapable(self.wall(now_ms)) {
            let txn = Txn::Delete { path };
            self.commit(&txn, now_ms, &mut out);
        }
        out
    }

    /// The server starts serving again at `now_ms` after a stop: every session gets its
    /// whole timeout again.
    pub fn restarted(&mut self, now_ms: u64) {
        self.sessions.renew_all(now_ms);
    }

    /// Ends session `id` at a new zxid (asked for with xid `cxid`, 0 for an expiry): its
    /// ephemerals go, its watches too, and its watchers are told; the zxid.
    fn end_session(&mut self, id: i64, cxid: i32, now_ms: u64, out: &mut Vec<Out>) -> i64 {
        if self.config.read_only {
            // A read-only server's sessions own nothing and end without a transaction.
            self.watches.remove_session(id);
            return self.zxid;
        }
        self.zxid += 1;
        let deleted = self.tree.ephemerals_listed(id);
        let asker = Asker {
            session: id,
            cxid,
            op: logged::types::CLOSE_SESSION,
        };
        if self.config.log_transactions {
            let time = self.wall(now_ms);
            let entry = logged::close_session(asker, self.zxid, time, deleted.clone());
            out.push(Out::Log(Box::new(entry)));
        }
        let txn = Txn::CloseSession { session: id };
        self.tree.apply(&txn, self.zxid, 0);
        self.watches.remove_session(id);
        let notes = self.watches.fire(&txn, &deleted);
        self.notify(&notes, true, out);
        self.zxid
    }

    /// Sends `notes` to their sessions' connections. After a write (`acl_checked`), only to
    /// connections that may read the node (its ACL, or a deleted node's last ACL): ZooKeeper
    /// filters every notification so since CVE-2024-23944. `setWatches`' own events are not
    /// filtered (there, ZooKeeper passes no ACL).
    fn notify(&mut self, notes: &[Notification], acl_checked: bool, out: &mut Vec<Out>) {
        let gone = self.tree.take_deleted_acls();
        let nobody = Identities::default();
        for n in notes {
            let Some(conn) = self.session_conn.get(&n.session) else {
                continue;
            };
            if acl_checked {
                let acl = match self.tree.get(&n.path) {
                    Some(node) => node.acl.as_slice(),
                    None => gone.get(&n.path).map_or(&[][..], |a| a.as_slice()),
                };
                let ids = self.idents.get(conn).unwrap_or(&nobody);
                if !ids.allows(acl, perms::READ) {
                    continue;
                }
            }
            let header = ReplyHeader {
                xid: xid::NOTIFICATION,
                // 3.8 sends -1 (3.9 the transaction's zxid).
                zxid: -1,
                err: 0,
            };
            let event = WatcherEvent {
                r#type: n.event.value(),
                state: 3,
                path: Some(n.path.clone()),
            };
            out.push(Out::Frame(*conn, encode(&header, &event)));
        }
    }

    /// A frame (without its length prefix) from `conn`.
    pub fn frame(&mut self, conn: ConnId, body: &[u8], now_ms: u64) -> Vec<Out> {
        let mut out = Vec::new();
        match self.conns.get(&conn).copied() {
            None => {}
            Some(Conn::New) => self.handshake(conn, body, now_ms, &mut out),
            Some(Conn::Session(id)) => {
                if self.sessions.touch(id, now_ms) {
                    self.request(conn, id, body, now_ms, &mut out);
                } else {
                    out.push(Out::Close(conn));
                }
            }
        }
        out
    }

    fn handshake(&mut self, conn: ConnId, body: &[u8], now_ms: u64, out: &mut Vec<Out>) {
        let mut r = Reader::new(body);
        let Ok(req) = ConnectRequest::decode(&mut r) else {
            out.push(Out::Close(conn));
            return;
        };
        // A client that has seen a later zxid than ours must find another server.
        if req.last_zxid_seen > self.zxid {
            out.push(Out::Close(conn));
            return;
        }
        // A read-only server takes only clients that allow one.
        let read_only = self.config.read_only;
        if read_only && req.read_only != Some(true) {
            out.push(Out::Close(conn));
            return;
        }
        let passwd = req.passwd.unwrap_or_default();
        let granted = if req.session_id == 0 {
            let (id, timeout, pw) = self.sessions.create(req.time_out, now_ms);
            if !read_only {
                // createSession is a transaction (a read-only server's sessions are its own).
                self.zxid += 1;
            }
            if self.config.log_transactions && !read_only {
                let entry = logged::create_session(id, self.zxid, self.wall(now_ms), timeout);
                out.push(Out::Log(Box::new(entry)));
            }
            Ok((id, timeout, pw.to_vec()))
        } else {
            match self
                .sessions
                .resume(req.session_id, &passwd, req.time_out, now_ms)
            {
                Ok(timeout) => Ok((req.session_id, timeout, passwd)),
                Err(Refused::Expired) => Err(()),
            }
        };
        let rsp = match &granted {
            Ok((id, timeout, pw)) => ConnectResponse {
                protocol_version: 0,
                time_out: *timeout,
                session_id: *id,
                passwd: Some(pw.clone()),
                read_only: Some(read_only),
            },
            Err(()) => ConnectResponse {
                protocol_version: 0,
                time_out: 0,
                session_id: 0,
                passwd: Some(vec![0; 16]),
                read_only: Some(false),
            },
        };
        let mut body = Vec::new();
        rsp.encode(&mut body);
        out.push(Out::Frame(conn, frame::to_vec(&body).unwrap_or_default()));
        match granted {
            Ok((id, _, _)) => {
                // The session's previous connection is closed, as ZooKeeper closes it, and
                // its watches go with it.
                if let Some(old) = self.session_conn.insert(id, conn) {
                    if old != conn {
                        self.conns.remove(&old);
                        self.idents.remove(&old);
                        self.watches.remove_session(id);
                        out.push(Out::Close(old));
                    }
                }
                self.conns.insert(conn, Conn::Session(id));
            }
            Err(()) => {
                self.conns.remove(&conn);
                out.push(Out::Close(conn));
            }
        }
    }

    fn reply(&self, conn: ConnId, xid: i32, zxid: i64, err: ErrorCode, body: &impl Encode) -> Out {
        let header = ReplyHeader {
            xid,
            zxid,
            err: err.value(),
        };
        if err == ErrorCode::Ok {
            Out::Frame(conn, encode(&header, body))
        } else {
            Out::Frame(conn, encode(&header, &ResponseBody::None))
        }
    }

    /// Applies a prepared write at a new zxid and tells the watchers; the zxid.
    fn commit(&mut self, txn: &Txn, now_ms: u64, out: &mut Vec<Out>) -> i64 {
        self.zxid += 1;
        let time = self.wall(now_ms);
        self.tree.apply(txn, self.zxid, time);
        if self.config.log_transactions {
            let entry = logged::entry(self.asker, self.zxid, time, txn, self.tree.digest());
            out.push(Out::Log(Box::new(entry)));
        }
        let notes = self.watches.fire(txn, &[]);
        self.notify(&notes, true, out);
        self.zxid
    }

    fn request(
        &mut self,
        conn: ConnId,
        session: i64,
        body: &[u8],
        now_ms: u64,
        out: &mut Vec<Out>,
    ) {
        let limits = Limits::new(self.config.max_request);
        let Ok(req) = decode_request(body, limits) else {
            // ZooKeeper closes a connection whose request it cannot read.
            out.push(Out::Close(conn));
            return;
        };
        let xid = req.header.xid;
        let Ok(op) = req.op() else {
            out.push(self.reply(conn, xid, -1, ErrorCode::Unimplemented, &ResponseBody::None));
            return;
        };
        self.requester = self.idents.get(&conn).cloned().unwrap_or_default();
        self.asker = Asker {
            session,
            cxid: xid,
            op: op.value(),
        };
        if self.config.read_only && changes_state(op) {
            let zxid = self.zxid;
            out.push(self.reply(conn, xid, zxid, ErrorCode::NotReadOnly, &ResponseBody::None));
            return;
        }
        match op {
            OpCode::Auth => self.authenticate(conn, xid, req.body, out),
            OpCode::Ping => {
                let zxid = self.zxid;
                out.push(self.reply(conn, xid::PING, zxid, ErrorCode::Ok, &ResponseBody::None));
            }
            OpCode::CloseSession => {
                let zxid = self.end_session(session, xid, now_ms, out);
                self.sessions.remove(session);
                self.session_conn.remove(&session);
                out.push(self.reply(conn, xid, zxid, ErrorCode::Ok, &ResponseBody::None));
                self.conns.remove(&conn);
                out.push(Out::Close(conn));
            }
            OpCode::Create
            | OpCode::Create2
            | OpCode::CreateContainer
            | OpCode::CreateTtl
            | OpCode::Delete
            | OpCode::SetData
            | OpCode::SetAcl
            | OpCode::Reconfig
            | OpCode::Multi => self.write_request(conn, xid, session, op, req.body, now_ms, out),
            OpCode::AddWatch
            | OpCode::SetWatches
            | OpCode::SetWatches2
            | OpCode::CheckWatches
            | OpCode::RemoveWatches => {
                self.watch_request(conn, xid, session, req.body, out);
            }
            OpCode::MultiRead => match req.body {
                RequestBody::Multi(m) => self.multi_read(conn, xid, m, out),
                _ => out.push(self.unimplemented(conn, xid)),
            },
            _ => {
                let answer = self.read(conn, xid, session, op, req.body);
                out.push(answer);
            }
        }
    }

    /// `setAuth`: answered at once with zxid 0; a failure (a scheme without a provider) closes
    /// the connection, as ZooKeeper does.
    fn authenticate(&mut self, conn: ConnId, xid: i32, body: RequestBody, out: &mut Vec<Out>) {
        let RequestBody::Auth(packet) = body else {
            out.push(self.unimplemented(conn, xid));
            return;
        };
        let ids = self.idents.entry(conn).or_default();
        let scheme = packet.scheme.as_deref().unwrap_or_default();
        let auth = packet.auth.as_deref().unwrap_or_default();
        match ids.authenticate(scheme, auth, self.config.super_digest.as_deref()) {
            Ok(()) => out.push(self.reply(conn, xid, 0, ErrorCode::Ok, &ResponseBody::None)),
            Err(e) => {
                out.push(self.reply(conn, xid, 0, e, &ResponseBody::None));
                out.push(Out::Close(conn));
            }
        }
    }

    fn unimplemented(&self, conn: ConnId, xid: i32) -> Out {
        self.reply(conn, xid, -1, ErrorCode::Unimplemented, &ResponseBody::None)
    }

    /// A read's answer: its record, or its error, at the last zxid.
    fn answer<T: Encode>(&self, conn: ConnId, xid: i32, r: Result<T, ErrorCode>) -> Out {
        match r {
            Ok(body) => self.reply(conn, xid, self.zxid, ErrorCode::Ok, &body),
            Err(e) => self.reply(conn, xid, self.zxid, e, &ResponseBody::None),
        }
    }

    /// The reads (a watch is set only when the read succeeded, but `exists` sets one on a
    /// missing node too).
    fn read(&mut self, conn: ConnId, xid: i32, session: i64, op: OpCode, body: RequestBody) -> Out {
        let access = self.requester.clone();
        let tree = &self.tree;
        match (op, body) {
            (OpCode::Exists, RequestBody::Exists(e)) => {
                let path = path_of(&e.path);
                let r = reads::exists(tree, path);
                if e.watch && r != Err(ErrorCode::BadArguments) {
                    self.watches.add(path, session, Mode::Data);
                }
                self.answer(conn, xid, r.map(|stat| ExistsResponse { stat }))
            }
            (OpCode::GetData, RequestBody::GetData(g)) => {
                let path = path_of(&g.path);
                let r = reads::get_data(tree, path, &access);
                if g.watch && r.is_ok() {
                    self.watches.add(path, session, Mode::Data);
                }
                let r = r.map(|(data, stat)| GetDataResponse {
                    data: Some(data),
                    stat,
                });
                self.answer(conn, xid, r)
            }
            (OpCode::GetChildren | OpCode::GetChildren2, body) => {
                let (path, watch) = match &body {
                    RequestBody::GetChildren(g) => (path_of(&g.path), g.watch),
                    RequestBody::GetChildren2(g) => (path_of(&g.path), g.watch),
                    _ => return self.unimplemented(conn, xid),
                };
                let r = reads::get_children(tree, path, &access);
                if watch && r.is_ok() {
                    self.watches.add(path, session, Mode::Child);
                }
                let r = r.map(|(children, stat)| {
                    let children = Some(children);
                    if op == OpCode::GetChildren {
                        ResponseBody::GetChildren(GetChildrenResponse { children })
                    } else {
                        ResponseBody::GetChildren2(GetChildren2Response { children, stat })
                    }
                });
                self.answer(conn, xid, r)
            }
            (OpCode::GetAcl, RequestBody::GetAcl(g)) => {
                let r = reads::get_acl(tree, path_of(&g.path), &access).map(|(acl, stat)| {
                    GetACLResponse {
                        acl: Some(acl),
                        stat,
                    }
                });
                self.answer(conn, xid, r)
            }
            (OpCode::GetAllChildrenNumber, RequestBody::GetAllChildrenNumber(g)) => {
                let r = reads::get_all_children_number(tree, path_of(&g.path), &access)
                    .map(|total_number| GetAllChildrenNumberResponse { total_number });
                self.answer(conn, xid, r)
            }
            (OpCode::GetEphemerals, RequestBody::GetEphemerals(g)) => {
                let ephemerals = reads::get_ephemerals(tree, session, path_of(&g.prefix_path));
                let r = Ok(GetEphemeralsResponse {
                    ephemerals: Some(ephemerals),
                });
                self.answer(conn, xid, r)
            }
            (OpCode::WhoAmI, _) => self.answer(
                conn,
                xid,
                Ok(WhoAmIResponse {
                    client_info: Some(access.who_am_i()),
                }),
            ),
            (OpCode::Sync, RequestBody::Sync(s)) => {
                self.answer(conn, xid, Ok(SyncResponse { path: s.path }))
            }
            _ => self.unimplemented(conn, xid),
        }
    }

    /// The writes: prepared, committed (or their error's zxid spent), answered.
    #[allow(clippy::too_many_arguments)]
    fn write_request(
        &mut self,
        conn: ConnId,
        xid: i32,
        session: i64,
        op: OpCode,
        body: RequestBody,
        now_ms: u64,
        out: &mut Vec<Out>,
    ) {
        let access = self.requester.clone();
        match body {
            RequestBody::Create(c) => {
                self.create(
                    conn,
                    xid,
                    op,
                    (c.path, c.data, c.acl, c.flags, -1),
                    session,
                    now_ms,
                    out,
                );
            }
            RequestBody::CreateTtl(c) => {
                let fields = (c.path, c.data, c.acl, c.flags, c.ttl);
                self.create(conn, xid, op, fields, session, now_ms, out);
            }
            RequestBody::Delete(d) if op == OpCode::Delete => {
                let r = prep::delete(&self.tree, path_of(&d.path), d.version, &access);
                self.write(conn, xid, r, now_ms, out, |_, _| ResponseBody::None);
            }
            RequestBody::SetData(s) => {
                let path = path_of(&s.path).to_string();
                let data = s.data.unwrap_or_default();
                let r = prep::set_data(&self.tree, &path, &data, s.version, &access);
                self.write(conn, xid, r, now_ms, out, |tree, _| {
                    ResponseBody::SetData(SetDataResponse {
                        stat: tree.stat(&path).unwrap_or_default(),
                    })
                });
            }
            RequestBody::SetAcl(s) => {
                let path = path_of(&s.path).to_string();
                let acl = s.acl.unwrap_or_default();
                let r = prep::set_acl(&self.tree, &path, &acl, s.version, &access);
                self.write(conn, xid, r, now_ms, out, |tree, _| {
                    ResponseBody::SetAcl(SetACLResponse {
                        stat: tree.stat(&path).unwrap_or_default(),
                    })
                });
            }
            // A standalone server without `reconfigEnabled`: refused, as an error transaction.
            RequestBody::Reconfig(_) => {
                let r = Err(ErrorCode::ReconfigDisabled);
                self.write(conn, xid, r, now_ms, out, |_, _| ResponseBody::None);
            }
            RequestBody::Multi(m) if op == OpCode::Multi => {
                self.multi(conn, xid, session, m, now_ms, out);
            }
            _ => out.push(self.unimplemented(conn, xid)),
        }
    }

    /// `addWatch` and `setWatches`/`setWatches2`.
    fn watch_request(
        &mut self,
        conn: ConnId,
        xid: i32,
        session: i64,
        body: RequestBody,
        out: &mut Vec<Out>,
    ) {
        let lists = match body {
            RequestBody::AddWatch(a) => {
                let mode = if a.mode == 1 {
                    Mode::PersistentRecursive
                } else {
                    Mode::Persistent
                };
                self.watches.add(path_of(&a.path), session, mode);
                out.push(self.answer(conn, xid, Ok(ErrorResponse { err: 0 })));
                return;
            }
            RequestBody::CheckWatches(c) => {
                let r = WatchKind::try_from(c.r#type)
                    .map(|kind| self.watches.contains(path_of(&c.path), session, kind));
                out.push(self.watch_answer(conn, xid, r));
                return;
            }
            RequestBody::RemoveWatches(c) => {
                let r = WatchKind::try_from(c.r#type)
                    .map(|kind| self.watches.remove(path_of(&c.path), session, kind));
                out.push(self.watch_answer(conn, xid, r));
                return;
            }
            RequestBody::SetWatches(w) => WatchLists {
                relative_zxid: w.relative_zxid,
                data: w.data_watches.unwrap_or_default(),
                exist: w.exist_watches.unwrap_or_default(),
                child: w.child_watches.unwrap_or_default(),
                persistent: Vec::new(),
                recursive: Vec::new(),
            },
            RequestBody::SetWatches2(w) => WatchLists {
                relative_zxid: w.relative_zxid,
                data: w.data_watches.unwrap_or_default(),
                exist: w.exist_watches.unwrap_or_default(),
                child: w.child_watches.unwrap_or_default(),
                persistent: w.persistent_watches.unwrap_or_default(),
                recursive: w.persistent_recursive_watches.unwrap_or_default(),
            },
            _ => {
                out.push(self.unimplemented(conn, xid));
                return;
            }
        };
        self.set_watches(conn, session, &lists, out);
    }

    /// `checkWatches`/`removeWatches`' answer: `NoWatcher` when nothing matched, and
    /// `MarshallingError` for a type ZooKeeper cannot read (its `WatcherType.fromInt` throws).
    fn watch_answer(&self, conn: ConnId, xid: i32, found: Result<bool, ErrorCode>) -> Out {
        let r = match found {
            Ok(true) => Ok(ResponseBody::None),
            Ok(false) => Err(ErrorCode::NoWatcher),
            Err(e) => Err(e),
        };
        self.answer(conn, xid, r)
    }

    /// `setWatches`/`setWatches2` after a reconnect (`DataTree.setWatches`): a watch whose
    /// node changed since the client's last zxid fires at once (deleted, created, data or
    /// children changed); the others are set again. The notifications go before the reply.
    fn set_watches(&mut self, conn: ConnId, session: i64, lists: &WatchLists, out: &mut Vec<Out>) {
        let mut notes = Vec::new();
        let note = |event, path: &str| Notification {
            session,
            event,
            path: path.to_string(),
        };
        for path in &lists.data {
            match self.tree.get(path) {
                None => notes.push(note(EventType::NodeDeleted, path)),
                Some(n) if n.stat.mzxid > lists.relative_zxid => {
                    notes.push(note(EventType::NodeDataChanged, path))
                }
                Some(_) => self.watches.add(path, session, Mode::Data),
            }
        }
        for path in &lists.exist {
            match self.tree.get(path) {
                Some(_) => notes.push(note(EventType::NodeCreated, path)),
                None => self.watches.add(path, session, Mode::Data),
            }
        }
        for path in &lists.child {
            match self.tree.get(path) {
                None => notes.push(note(EventType::NodeDeleted, path)),
                Some(n) if n.stat.pzxid > lists.relative_zxid => {
                    notes.push(note(EventType::NodeChildrenChanged, path))
                }
                Some(_) => self.watches.add(path, session, Mode::Child),
            }
        }
        for path in &lists.persistent {
            self.watches.add(path, session, Mode::Persistent);
        }
        for path in &lists.recursive {
            self.watches.add(path, session, Mode::PersistentRecursive);
        }
        self.notify(&notes, false, out);
        out.push(self.reply(
            conn,
            xid::SET_WATCHES,
            self.zxid,
            ErrorCode::Ok,
            &ResponseBody::None,
        ));
    }

    /// `multiRead`: each read answered on its own (not atomic), errors as error results.
    fn multi_read(
        &mut self,
        conn: ConnId,
        xid: i32,
        m: jute_schemas::protocol::MultiRequest,
        out: &mut Vec<Out>,
    ) {
        let access = self.requester.clone();
        let header = |t: i32, err: i32| MultiHeader {
            r#type: t,
            done: false,
            err,
        };
        let failed = |code: ErrorCode| MultiResult {
            header: header(-1, code.value()),
            body: ResponseBody::Error(ErrorResponse { err: code.value() }),
        };
        let mut results = Vec::with_capacity(m.ops.len());
        for op in &m.ops {
            let result = match (OpCode::try_from(op.header.r#type).ok(), &op.body) {
                (Some(OpCode::GetData), RequestBody::GetData(g)) => {
                    match reads::get_data(&self.tree, path_of(&g.path), &access) {
                        Ok((data, stat)) => MultiResult {
                            header: header(OpCode::GetData.value(), 0),
                            body: ResponseBody::GetData(GetDataResponse {
                                data: Some(data),
                                stat,
                            }),
                        },
                        Err(e) => failed(e),
                    }
                }
                (Some(OpCode::GetChildren), RequestBody::GetChildren(g)) => {
                    match reads::get_children(&self.tree, path_of(&g.path), &access) {
                        Ok((children, _)) => MultiResult {
                            header: header(OpCode::GetChildren.value(), 0),
                            body: ResponseBody::GetChildren(GetChildrenResponse {
                                children: Some(children),
                            }),
                        },
                        Err(e) => failed(e),
                    }
                }
                _ => {
                    let rsp = ResponseBody::None;
                    out.push(self.reply(conn, xid, -1, ErrorCode::MarshallingError, &rsp));
                    return;
                }
            };
            results.push(result);
        }
        let rsp = MultiResponse {
            results,
            end: MultiHeader {
                r#type: -1,
                done: true,
                err: -1,
            },
        };
        out.push(self.reply(conn, xid, self.zxid, ErrorCode::Ok, &rsp));
    }

    /// A create of any form (`fields`: path, data, ACL, flags, TTL).
    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        conn: ConnId,
        xid: i32,
        op: OpCode,
        fields: CreateFields,
        session: i64,
        now_ms: u64,
        out: &mut Vec<Out>,
    ) {
        let (path, data, acl, flags, ttl) = fields;
        let acl = acl.unwrap_or_default();
        let r = match mode_of(flags, op) {
            Some(mode) => {
                let req = Create {
                    path: path_of(&path),
                    data: data.as_deref().unwrap_or_default(),
                    acl: &acl,
                    mode,
                    ttl,
                    session,
                };
                prep::create(&self.tree, &req, &self.requester)
            }
            None => Err(ErrorCode::BadArguments),
        };
        self.write(conn, xid, r, now_ms, out, |tree, txn| {
            let path = match txn {
                Txn::Create { path, .. } => path.clone(),
                _ => String::new(),
            };
            if op == OpCode::Create {
                ResponseBody::Create(CreateResponse { path: Some(path) })
            } else {
                let stat = tree.stat(&path).unwrap_or_default();
                ResponseBody::Create2(Create2Response {
                    path: Some(path),
                    stat,
                })
            }
        });
    }

    /// A single write: prepared, committed (or its error's zxid spent), answered.
    fn write(
        &mut self,
        conn: ConnId,
        xid: i32,
        prepared: Result<Txn, ErrorCode>,
        now_ms: u64,
        out: &mut Vec<Out>,
        answer: impl FnOnce(&DataTree, &Txn) -> ResponseBody,
    ) {
        match prepared {
            Ok(txn) => {
                let zxid = self.commit(&txn, now_ms, out);
                let body = answer(&self.tree, &txn);
                out.push(self.reply(conn, xid, zxid, ErrorCode::Ok, &body));
            }
            Err(e) => {
                // A failed write is an error transaction: it spends a zxid.
                self.zxid += 1;
                if self.config.log_transactions {
                    let time = self.wall(now_ms);
                    let entry = logged::error(self.asker, self.zxid, time, e.value());
                    out.push(Out::Log(Box::new(entry)));
                }
                out.push(self.reply(conn, xid, self.zxid, e, &ResponseBody::None));
            }
        }
    }

    fn multi(
        &mut self,
        conn: ConnId,
        xid: i32,
        session: i64,
        m: jute_schemas::protocol::MultiRequest,
        now_ms: u64,
        out: &mut Vec<Out>,
    ) {
        // Owned pieces the operations borrow.
        let acls: Vec<Vec<Acl>> = m
            .ops
            .iter()
            .map(|op| match &op.body {
                RequestBody::Create(c) => c.acl.clone().unwrap_or_default(),
                RequestBody::CreateTtl(c) => c.acl.clone().unwrap_or_default(),
                _ => Vec::new(),
            })
            .collect();
        let mut ops = Vec::with_capacity(m.ops.len());
        let mut kinds = Vec::with_capacity(m.ops.len());
        for (i, op) in m.ops.iter().enumerate() {
            let code = OpCode::try_from(op.header.r#type).ok();
            let parsed = match (code, &op.body) {
                (Some(c), RequestBody::Create(_) | RequestBody::CreateTtl(_)) => {
                    create_fields(&op.body).and_then(|(path, data, flags, ttl)| {
                        mode_of(flags, c).map(|mode| {
                            MultiOp::Create(Create {
                                path: path_of(path),
                                data: data.as_deref().unwrap_or_default(),
                                acl: &acls[i],
                                mode,
                                ttl,
                                session,
                            })
                        })
                    })
                }
                (Some(OpCode::Delete), RequestBody::Delete(r)) => Some(MultiOp::Delete {
                    path: path_of(&r.path),
                    version: r.version,
                }),
                (Some(OpCode::SetData), RequestBody::SetData(r)) => Some(MultiOp::SetData {
                    path: path_of(&r.path),
                    data: r.data.as_deref().unwrap_or_default(),
                    version: r.version,
                }),
                (Some(OpCode::Check), RequestBody::Check(r)) => Some(MultiOp::Check {
                    path: path_of(&r.path),
                    version: r.version,
                }),
                _ => None,
            };
            let Some(parsed) = parsed else {
                out.push(self.reply(
                    conn,
                    xid,
                    -1,
                    ErrorCode::MarshallingError,
                    &ResponseBody::None,
                ));
                return;
            };
            kinds.push(code);
            ops.push(parsed);
        }
        self.zxid += 1;
        let zxid = self.zxid;
        let time = self.wall(now_ms);
        let done = multi::multi(&mut self.tree, &ops, &self.requester, zxid, time);
        if self.config.log_transactions {
            let entry = self.multi_entry(&done, &ops, &kinds, zxid, time);
            out.push(Out::Log(Box::new(entry)));
        }
        let results: Vec<MultiResult> = match done {
            Ok(done) => {
                let mut results = Vec::with_capacity(done.len());
                let mut notes = Vec::new();
                for (d, kind) in done.iter().zip(&kinds) {
                    if let Done::Applied(txn, _) = d {
                        notes.extend(self.watches.fire(txn, &[]));
                    }
                    results.push(self.op_result(d, *kind));
                }
                self.notify(&notes, true, out);
                results
            }
            Err(failed) => {
                // The undone deletes tell nobody.
                self.tree.take_deleted_acls();
                failed
                    .codes
                    .iter()
                    .map(|c| MultiResult {
                        header: MultiHeader {
                            r#type: -1,
                            done: false,
                            err: *c,
                        },
                        body: ResponseBody::Error(ErrorResponse { err: *c }),
                    })
                    .collect()
            }
        };
        let rsp = MultiResponse {
            results,
            end: MultiHeader {
                r#type: -1,
                done: true,
                err: -1,
            },
        };
        out.push(self.reply(conn, xid, zxid, ErrorCode::Ok, &rsp));
    }

    /// A multi as ZooKeeper logs it: each operation's record, or for a failed one, the records
    /// of those before the failure, then error records; with the tree's digest after it.
    fn multi_entry(
        &self,
        done: &Result<Vec<Done>, multi::Failed>,
        ops: &[MultiOp<'_>],
        kinds: &[Option<OpCode>],
        zxid: i64,
        time: i64,
    ) -> Logged {
        let record = |d: &Done, op: &MultiOp<'_>, kind: &Option<OpCode>| match (d, op) {
            // Inside a multi, ZooKeeper reads a create2 as a create (`MultiOperationRecord`).
            (Done::Applied(txn, _), _) => logged::record(txn, multi_op(*kind)),
            (Done::Checked, MultiOp::Check { path, version }) => (
                OpCode::Check.value(),
                TxnBody::Check(CheckVersionTxn {
                    path: Some((*path).to_string()),
                    version: *version,
                }),
            ),
            (Done::Checked, _) => (logged::types::ERROR, TxnBody::Raw(Vec::new())),
        };
        let (done_ops, errors) = match done {
            Ok(done) => (done.as_slice(), &[][..]),
            Err(failed) => (
                failed.before.as_slice(),
                failed.codes.get(failed.before.len()..).unwrap_or_default(),
            ),
        };
        let subs: Vec<(i32, TxnBody)> = done_ops
            .iter()
            .zip(ops)
            .zip(kinds)
            .map(|((d, op), kind)| record(d, op, kind))
            .chain(
                errors
                    .iter()
                    .map(|c| (logged::types::ERROR, TxnBody::Error(ErrorTxn { err: *c }))),
            )
            .collect();
        let header = TxnHeader {
            client_id: self.asker.session,
            cxid: self.asker.cxid,
            zxid,
            time,
            r#type: logged::types::MULTI,
        };
        Logged {
            header,
            body: TxnBody::Multi(subs),
            digest: Some(logged::tree_digest(self.tree.digest())),
        }
    }

    fn op_result(&self, done: &Done, kind: Option<OpCode>) -> MultiResult {
        let header = |t: OpCode| MultiHeader {
            r#type: t.value(),
            done: false,
            err: 0,
        };
        match done {
            Done::Checked => MultiResult {
                header: header(OpCode::Check),
                body: ResponseBody::None,
            },
            Done::Applied(Txn::Create { path, .. }, stat) => {
                if kind == Some(OpCode::Create) {
                    MultiResult {
                        header: header(OpCode::Create),
                        body: ResponseBody::Create(CreateResponse {
                            path: Some(path.clone()),
                        }),
                    }
                } else {
                    MultiResult {
                        header: header(OpCode::Create2),
                        body: ResponseBody::Create2(Create2Response {
                            path: Some(path.clone()),
                            stat: stat.clone().unwrap_or_default(),
                        }),
                    }
                }
            }
            Done::Applied(Txn::SetData { .. }, stat) => MultiResult {
                header: header(OpCode::SetData),
                body: ResponseBody::SetData(SetDataResponse {
                    stat: stat.clone().unwrap_or_default(),
                }),
            },
            Done::Applied(..) => MultiResult {
                header: header(OpCode::Delete),
                body: ResponseBody::None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jute_schemas::protocol::perms;

    /// A frame's body (the length prefix checked and taken off).
    fn body(out: &Out) -> &[u8] {
        let Out::Frame(_, f) = out else {
            panic!("not a frame: {out:?}")
        };
        let len = u32::from_be_bytes([f[0], f[1], f[2], f[3]]) as usize;
        assert_eq!(len, f.len() - 4);
        &f[4..]
    }

    fn request(xid: i32, op: OpCode, record: &impl Encode) -> Vec<u8> {
        let mut out = Vec::new();
        RequestHeader {
            xid,
            r#type: op.value(),
        }
        .encode(&mut out);
        record.encode(&mut out);
        out
    }

    /// What goes to connections, and what is logged.
    fn split_log(outs: Vec<Out>) -> (Vec<Out>, Vec<Logged>) {
        let mut sent = Vec::new();
        let mut logged = Vec::new();
        for o in outs {
            match o {
                Out::Log(l) => logged.push(*l),
                o => sent.push(o),
            }
        }
        (sent, logged)
    }

    fn reply_header(out: &Out) -> ReplyHeader {
        ReplyHeader::decode(&mut Reader::new(body(out))).unwrap()
    }

    fn hello(read_only: bool) -> Vec<u8> {
        let mut hello = Vec::new();
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            time_out: 1_000,
            session_id: 0,
            passwd: Some(vec![0; 16]),
            read_only: Some(read_only),
        }
        .encode(&mut hello);
        hello
    }

    #[test]
    fn a_read_only_server_takes_read_only_clients_and_refuses_writes() {
        let config = Config {
            tick_ms: 100,
            read_only: true,
            log_transactions: true,
            ..Config::default()
        };
        let mut core = Core::new(config, 0, 1_700_000_000_000);
        let mut tree = DataTree::new(false);
        let open = crate::tree::world(perms::ALL);
        let txn = Txn::Create {
            path: "/kept".into(),
            data: b"v".to_vec(),
            acl: open.clone(),
            owner: crate::owner::Owner::Session(7),
            parent_cversion: 1,
        };
        tree.apply(&txn, 5, 0);
        let state = crate::restore::Restored {
            tree,
            sessions: [(7, 1_000)].into_iter().collect(),
            zxid: 5,
            applied: 1,
        };
        core.restore(state, 0);
        // A client that does not allow a read-only server is closed, unanswered.
        core.connected(1, None);
        assert_eq!(core.frame(1, &hello(false), 10), vec![Out::Close(1)]);
        // One that does gets a session of the server's own: no transaction, no zxid.
        core.connected(2, None);
        let out = core.frame(2, &hello(true), 10);
        let rsp = ConnectResponse::decode(&mut Reader::new(body(&out[0]))).unwrap();
        assert_eq!((rsp.read_only, core.last_zxid()), (Some(true), 5));
        let create = CreateRequest {
            path: Some("/new".into()),
            data: Some(Vec::new()),
            acl: Some(open),
            flags: 0,
        };
        for (op, record) in [
            (OpCode::Create2, RequestBody::Create(create)),
            (
                OpCode::Sync,
                RequestBody::Sync(jute_schemas::proto::SyncRequest {
                    path: Some("/".into()),
                }),
            ),
        ] {
            let out = core.frame(2, &request(1, op, &record), 20);
            let h = reply_header(&out[0]);
            assert_eq!(
                (h.zxid, h.err),
                (5, ErrorCode::NotReadOnly.value()),
                "{op:?}"
            );
        }
        let read = jute_schemas::proto::GetDataRequest {
            path: Some("/kept".into()),
            watch: false,
        };
        let out = core.frame(2, &request(2, OpCode::GetData, &read), 30);
        assert_eq!(reply_header(&out[0]).err, 0);
        // Its session ends and the recovered one never does, with no transaction: the tree
        // stays as loaded.
        let (out, logged) = split_log(core.tick(60_000));
        assert_eq!((out, logged), (vec![Out::Close(2)], vec![]));
        assert!(core.tree().get("/kept").is_some());
        assert!(core.reap(120_000).is_empty());
        assert_eq!(core.last_zxid(), 5);
    }

    #[test]
    fn a_session_on_a_fake_clock_from_handshake_to_expiry() {
        let config = Config {
            tick_ms: 100,
            log_transactions: true,
            ..Config::default()
        };
        let mut core = Core::new(config, 0, 1_700_000_000_000);
        core.connected(1, None);
        let (out, logged) = split_log(core.frame(1, &hello(false), 10));
        assert!(matches!(
            &logged[..],
            [Logged { header, body: TxnBody::CreateSession(_), digest: None }] if header.zxid == 1
        ));
        let rsp = ConnectResponse::decode(&mut Reader::new(body(&out[0]))).unwrap();
        assert_eq!(rsp.time_out, 1_000);
        assert_eq!(rsp.session_id >> 56, 1);
        assert_eq!(
            rsp.passwd.as_deref(),
            Some(&crate::sessions::password(rsp.session_id)[..])
        );

        // An ephemeral node, created at zxid 2 (the session's creation was 1).
        let create = CreateRequest {
            path: Some("/e".into()),
            data: Some(b"x".to_vec()),
            acl: Some(crate::tree::world(perms::ALL)),
            flags: CreateMode::Ephemeral.value(),
        };
        let (out, _) = split_log(core.frame(1, &request(1, OpCode::Create2, &create), 20));
        let h = reply_header(&out[0]);
        assert_eq!((h.xid, h.zxid, h.err), (1, 2, 0));
        // A failed write spends a zxid too.
        let (out, logged) = split_log(core.frame(1, &request(2, OpCode::Create2, &create), 30));
        assert!(matches!(
            &logged[..],
            [Logged { header, body: TxnBody::Error(e), digest: None }] if (header.cxid, header.zxid, e.err) == (2, 3, ErrorCode::NodeExists.value())
        ));
        let h = reply_header(&out[0]);
        assert_eq!(
            (h.xid, h.zxid, h.err),
            (2, 3, ErrorCode::NodeExists.value())
        );
        // A ping answers with the last zxid.
        let out = core.frame(
            1,
            &request(xid::PING, OpCode::Ping, &ResponseBody::None),
            40,
        );
        let h = reply_header(&out[0]);
        assert_eq!((h.xid, h.zxid, h.err), (xid::PING, 3, 0));
        assert_eq!(
            core.tree().get("/e").map(|n| n.stat.ctime),
            Some(1_700_000_000_020)
        );

        // Silence past the timeout: at the next tick boundary after 40 + 1,000 ms.
        assert!(core.tick(1_099).is_empty());
        assert_eq!(core.next_deadline(), Some(1_100));
        let (out, logged) = split_log(core.tick(1_100));
        assert_eq!(out, vec![Out::Close(1)]);
        // The expiry is a closeSession, listing the ephemeral it deletes.
        assert!(matches!(
            &logged[..],
            [Logged { header, body: TxnBody::CloseSession(Some(c)), digest: None }]
                if header.zxid == 4 && c.paths2_delete.as_deref() == Some(&["/e".to_string()][..])
        ));
        assert!(core.tree().get("/e").is_none());
        // Its connection is gone: a frame from it is ignored.
        assert!(core.frame(1, &hello(false), 1_200).is_empty());
    }
}
