//! Captured ZooKeeper traffic as events: each request, reply, notification, ping and handshake
//! of each connection, with the reply's latency, plus a summary per op code (as zktraffic).
//! Decoding uses the generated records of `jute-schemas::protocol`.

use std::collections::{BTreeMap, HashMap};

use jute::Limits;
use jute_schemas::proto::{ConnectRequest, ConnectResponse, ReplyHeader};
use jute_schemas::protocol::frame::{self, Frame};
use jute_schemas::protocol::{
    decode_request, decode_response, xid, ErrorCode, EventType, OpCode, RequestBody, ResponseBody,
};

use crate::capture::{Arrival, Connection, Stream};

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Client to server.
    Request,
    /// Server to client, answering a request.
    Reply,
    /// A watch notification.
    Notification,
    /// A four-letter word and its answer.
    FourLetterWord,
    /// A TLS connection: encrypted, so not decoded.
    Encrypted,
}

/// One line of the dump.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When its last byte was captured (µs since the epoch).
    pub time_us: u64,
    /// The index in the capture of the packet that carried its last byte: events with equal
    /// times keep the order in which they were captured.
    pub packet: u64,
    /// The client's address.
    pub client: String,
    /// The session, once known (from the handshake).
    pub session: Option<i64>,
    /// Request, reply, notification.
    pub kind: Kind,
    /// The xid (0 for the handshake).
    pub xid: i32,
    /// The op code name (`getData`, `connect`, `ping`, `notification`, ...).
    pub op: String,
    /// The main path.
    pub path: Option<String>,
    /// Other arguments or results, briefly.
    pub args: String,
    /// Frame size in bytes (without the length prefix).
    pub size: usize,
    /// The reply's error code (replies only; 0 is success).
    pub err: Option<i32>,
    /// For replies: time since the request (µs).
    pub latency_us: Option<u64>,
    /// For replies: the header's zxid.
    pub zxid: Option<i64>,
}

/// Figures of one op code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpStats {
    /// Requests seen.
    pub count: usize,
    /// Bytes of those requests.
    pub request_bytes: usize,
    /// Bytes of their replies.
    pub reply_bytes: usize,
    /// Replies with an error.
    pub errors: usize,
    /// Latencies (µs) of the answered ones, sorted.
    pub latencies_us: Vec<u64>,
}

impl OpStats {
    /// The latency at quantile `q` (0..=1), in µs.
    pub fn latency(&self, q: f64) -> Option<u64> {
        if self.latencies_us.is_empty() {
            return None;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us.get(i).copied()
    }
}

/// The decoded capture.
#[derive(Debug, Default)]
pub struct Dump {
    /// Every event, by time.
    pub events: Vec<Event>,
    /// Per op code name.
    pub summary: BTreeMap<String, OpStats>,
    /// What could not be decoded, and where.
    pub notes: Vec<String>,
}

const FOUR_LETTER_WORDS: [&[u8; 4]; 18] = [
    b"conf", b"cons", b"crst", b"dirs", b"dump", b"envi", b"gtmk", b"ruok", b"stmk", b"srst",
    b"srvr", b"stat", b"wchc", b"wchp", b"wchs", b"mntr", b"isro", b"hash",
];

/// Whether a stream starts with a TLS record header: content type 20-23 (change cipher spec,
/// alert, handshake, application data), then version 3.x. A ZooKeeper frame starts with its
/// length, whose first byte is 0 for any frame under 16 MiB, so the two cannot be confused.
fn starts_like_tls(data: &[u8]) -> bool {
    matches!(data, [20..=23, 3, 0..=4, ..])
}

/// Every frame of `data` from `start`, and the problem that ended the split, if any.
fn split(data: &[u8], start: usize) -> (Vec<Frame<'_>>, Option<String>) {
    let mut out = Vec::new();
    for f in frame::split(data, start) {
        match f {
            Ok(f) => out.push(f),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
    (out, None)
}

fn plausible_request(body: &[u8]) -> bool {
    body.len() >= 8
        && body.len() <= 1 << 20
        && OpCode::try_from(i32::from_be_bytes([body[4], body[5], body[6], body[7]])).is_ok()
}

fn plausible_reply(body: &[u8]) -> bool {
    let Ok(h) = jute::from_slice::<ReplyHeader>(body.get(..16).unwrap_or(&[])) else {
        return false;
    };
    body.len() <= 1 << 20 && (h.err == 0 || ErrorCode::try_from(h.err).is_ok()) && h.xid >= -8
}

/// Where whole frames start in a stream whose beginning was not captured (or a piece after
/// missing bytes, from `from`): the first offset, within 1 MiB, from which three frames (or all
/// that remain) look like ZooKeeper frames. Each candidate looks at three frames' lengths and
/// headers at most, so the search is linear in the stream.
fn resync(data: &[u8], from: usize, ok: fn(&[u8]) -> bool) -> Option<usize> {
    (from..data.len().min(from.saturating_add(1 << 20))).find(|&start| {
        let mut seen = 0;
        for f in frame::split(data, start).take(3) {
            match f {
                Ok(f) if ok(f.body) => seen += 1,
                Ok(_) => return false,
                // What remains is cut off: plausible if something came before.
                Err(_) => break,
            }
        }
        seen > 0
    })
}

/// The whole frames of one direction, a piece (a stretch captured without a gap) at a time:
/// the first from the stream's start, or from its first whole frame when the start was not
/// captured; each later one from its first whole frame after the missing bytes. Notes say
/// what was skipped.
fn frames_of<'a>(
    s: &'a Stream,
    ok: fn(&[u8]) -> bool,
    (client, dir): (&str, &str),
    notes: &mut Vec<String>,
) -> Vec<Frame<'a>> {
    let mut out = Vec::new();
    for (range, gap) in s.pieces() {
        let piece = &s.data[..range.end];
        let start = match gap {
            None if s.syn_seen => Some(0),
            None => {
                let at = resync(piece, 0, ok);
                if at != Some(0) {
                    notes.push(format!(
                        "{client}: the {dir}'s first whole frame is at byte {}",
                        at.map_or("none".into(), |v| v.to_string())
                    ));
                }
                at
            }
            Some(gap) => {
                let at = resync(piece, range.start, ok);
                notes.push(match at {
                    Some(at) => format!(
                        "{client}: {} bytes missing from the {dir} after byte {}; decoding resumes at the first whole frame, {} bytes later",
                        gap.missing,
                        gap.at,
                        at - gap.at
                    ),
                    None => format!(
                        "{client}: {} bytes missing from the {dir} after byte {}; no whole frame in the {} bytes after it",
                        gap.missing,
                        gap.at,
                        range.len()
                    ),
                });
                at
            }
        };
        let Some(start) = start else {
            continue;
        };
        let (frames, problem) = split(piece, start);
        out.extend(frames);
        if let Some(problem) = problem {
            let by_gap = if range.end < s.data.len() {
                " (bytes missing after it)"
            } else {
                ""
            };
            notes.push(format!("{client}: {problem}{by_gap}"));
        }
    }
    out
}

fn path_of(body: &RequestBody) -> Option<String> {
    let p = match body {
        RequestBody::Create(r) => &r.path,
        RequestBody::CreateTtl(r) => &r.path,
        RequestBody::Delete(r) => &r.path,
        RequestBody::Exists(r) => &r.path,
        RequestBody::GetData(r) => &r.path,
        RequestBody::SetData(r) => &r.path,
        RequestBody::GetAcl(r) => &r.path,
        RequestBody::SetAcl(r) => &r.path,
        RequestBody::GetChildren(r) => &r.path,
        RequestBody::GetChildren2(r) => &r.path,
        RequestBody::Sync(r) => &r.path,
        RequestBody::Check(r) => &r.path,
        RequestBody::CheckWatches(r) => &r.path,
        RequestBody::RemoveWatches(r) => &r.path,
        RequestBody::GetEphemerals(r) => &r.prefix_path,
        RequestBody::GetAllChildrenNumber(r) => &r.path,
        RequestBody::AddWatch(r) => &r.path,
        RequestBody::Multi(m) => return m.ops.first().and_then(|o| path_of(&o.body)),
        _ => return None,
    };
    p.clone()
}

fn len_of<T>(v: &Option<Vec<T>>) -> usize {
    v.as_ref().map_or(0, Vec::len)
}

fn request_args(body: &RequestBody) -> String {
    match body {
        RequestBody::Create(r) => format!("data={}B flags={}", len_of(&r.data), r.flags),
        RequestBody::CreateTtl(r) => {
            format!("data={}B flags={} ttl={}", len_of(&r.data), r.flags, r.ttl)
        }
        RequestBody::Delete(r) => format!("version={}", r.version),
        RequestBody::Exists(r) => format!("watch={}", r.watch),
        RequestBody::GetData(r) => format!("watch={}", r.watch),
        RequestBody::GetChildren(r) => format!("watch={}", r.watch),
        RequestBody::GetChildren2(r) => format!("watch={}", r.watch),
        RequestBody::SetData(r) => format!("data={}B version={}", len_of(&r.data), r.version),
        RequestBody::SetAcl(r) => format!("acls={} version={}", len_of(&r.acl), r.version),
        RequestBody::Check(r) => format!("version={}", r.version),
        RequestBody::RemoveWatches(r) => format!("type={}", r.r#type),
        RequestBody::CheckWatches(r) => format!("type={}", r.r#type),
        RequestBody::AddWatch(r) => format!("mode={}", r.mode),
        RequestBody::Auth(a) => format!("scheme={}", a.scheme.as_deref().unwrap_or("")),
        RequestBody::SetWatches2(w) => format!(
            "relativeZxid={:#x} data={} exist={} child={} persistent={} recursive={}",
            w.relative_zxid,
            len_of(&w.data_watches),
            len_of(&w.exist_watches),
            len_of(&w.child_watches),
            len_of(&w.persistent_watches),
            len_of(&w.persistent_recursive_watches)
        ),
        RequestBody::SetWatches(w) => format!(
            "relativeZxid={:#x} data={} exist={} child={}",
            w.relative_zxid,
            len_of(&w.data_watches),
            len_of(&w.exist_watches),
            len_of(&w.child_watches)
        ),
        RequestBody::Multi(m) => {
            let ops: Vec<String> = m
                .ops
                .iter()
                .map(|o| {
                    let name = OpCode::try_from(o.header.r#type)
                        .map_or_else(|_| o.header.r#type.to_string(), |op| op.name().to_string());
                    match path_of(&o.body) {
                        Some(p) => format!("{name} {p}"),
                        None => name,
                    }
                })
                .collect();
            format!("ops=[{}]", ops.join(", "))
        }
        RequestBody::Reconfig(r) => format!(
            "joining={:?} leaving={:?}",
            r.joining_servers.as_deref().unwrap_or(""),
            r.leaving_servers.as_deref().unwrap_or("")
        ),
        // Sizes only: a DIGEST-MD5 response or a Kerberos ticket is not for a log.
        RequestBody::Sasl(r) => sasl_token(&r.token),
        _ => String::new(),
    }
}

/// A SASL token, by size (`token=null` for none).
fn sasl_token(token: &Option<Vec<u8>>) -> String {
    token
        .as_ref()
        .map_or_else(|| "token=null".into(), |t| format!("token={}B", t.len()))
}

fn reply_args(body: &ResponseBody) -> (Option<String>, String) {
    match body {
        ResponseBody::Create(r) => (r.path.clone(), String::new()),
        ResponseBody::Create2(r) => (r.path.clone(), format!("czxid={:#x}", r.stat.czxid)),
        ResponseBody::GetData(r) => (
            None,
            format!("data={}B version={}", len_of(&r.data), r.stat.version),
        ),
        ResponseBody::SetData(r) => (None, format!("version={}", r.stat.version)),
        ResponseBody::Exists(r) => (None, format!("version={}", r.stat.version)),
        ResponseBody::GetChildren(r) => (None, format!("children={}", len_of(&r.children))),
        ResponseBody::GetChildren2(r) => (None, format!("children={}", len_of(&r.children))),
        ResponseBody::GetAcl(r) => (None, format!("acls={}", len_of(&r.acl))),
        ResponseBody::Multi(m) => {
            let failed = m.results.iter().filter(|r| r.header.err != 0).count();
            (None, format!("results={} failed={failed}", m.results.len()))
        }
        ResponseBody::GetEphemerals(r) => (None, format!("ephemerals={}", len_of(&r.ephemerals))),
        ResponseBody::GetAllChildrenNumber(r) => (None, format!("count={}", r.total_number)),
        ResponseBody::Sasl(r) => (None, sasl_token(&r.token)),
        _ => (None, String::new()),
    }
}

struct Pending {
    code: Option<OpCode>,
    op: String,
    time_us: u64,
    path: Option<String>,
}

/// Decodes the connections of a capture.
pub fn dump(conns: &[Connection]) -> Dump {
    let mut d = Dump::default();
    for conn in conns {
        decode_connection(conn, &mut d);
    }
    d.events.sort_by_key(|e| (e.time_us, e.packet));
    for e in &d.events {
        if e.kind == Kind::Request {
            let s = d.summary.entry(e.op.clone()).or_default();
            s.count += 1;
            s.request_bytes += e.size;
        } else if e.kind == Kind::Reply {
            let s = d.summary.entry(e.op.clone()).or_default();
            s.reply_bytes += e.size;
            if e.err.is_some_and(|c| c != 0) {
                s.errors += 1;
            }
            if let Some(l) = e.latency_us {
                s.latencies_us.push(l);
            }
        }
    }
    for s in d.summary.values_mut() {
        s.latencies_us.sort_unstable();
    }
    d
}

fn decode_connection(conn: &Connection, d: &mut Dump) {
    let req: &Stream = &conn.request;
    let rep: &Stream = &conn.reply;
    let client = req.from.map_or_else(|| "?".into(), |a| a.to_string());
    if req.data.is_empty() && rep.data.is_empty() || undecoded(req, rep, &client, d) {
        return;
    }
    if !req.syn_seen {
        d.notes.push(format!(
            "{client}: the connection's start was not captured; decoding from the first whole frame of each direction"
        ));
    }
    let requests = frames_of(req, plausible_request, (&client, "client"), &mut d.notes);
    let replies = frames_of(rep, plausible_reply, (&client, "server"), &mut d.notes);
    // Walk both directions in capture order, so each reply finds its request (a request and
    // its reply can carry the same time).
    let mut events: Vec<(Arrival, bool, usize)> = Vec::new();
    for (i, f) in requests.iter().enumerate() {
        events.push((req.arrival_of(f.end as u64 - 1), true, i));
    }
    for (i, f) in replies.iter().enumerate() {
        events.push((rep.arrival_of(f.end as u64 - 1), false, i));
    }
    events.sort_by_key(|(arrival, _, i)| (*arrival, *i));
    let mut c = Conversation {
        client,
        session: None,
        pending: HashMap::new(),
        handshake_pending: req.syn_seen,
        handshake_reply_pending: req.syn_seen,
        handshake_time: 0,
    };
    for (arrival, is_request, i) in events {
        if is_request {
            c.request(arrival, &requests[i], d);
        } else {
            c.reply(arrival, &replies[i], d);
        }
    }
}

/// A connection that is not ZooKeeper's client protocol in the clear: a four-letter word, or
/// TLS. It becomes one event (and a note for TLS); true when it was one.
fn undecoded(req: &Stream, rep: &Stream, client: &str, d: &mut Dump) -> bool {
    let event = |first: &Stream, kind, op: String, args, size, latency_us| Event {
        time_us: first.first_seen_us,
        packet: first.arrival_of(0).packet,
        client: client.to_string(),
        session: None,
        kind,
        xid: 0,
        op,
        path: None,
        args,
        size,
        err: None,
        latency_us,
        zxid: None,
    };
    if req.syn_seen && FOUR_LETTER_WORDS.iter().any(|w| req.data.starts_with(*w)) {
        let word = String::from_utf8_lossy(&req.data[..4]).into_owned();
        // No answer captured, no latency.
        let latency =
            (!rep.data.is_empty()).then(|| rep.first_seen_us.saturating_sub(req.first_seen_us));
        let args = format!("reply={}B", rep.data.len());
        d.events.push(event(
            req,
            Kind::FourLetterWord,
            word,
            args,
            req.data.len(),
            latency,
        ));
        return true;
    }
    if [&req.data, &rep.data]
        .iter()
        .any(|data| starts_like_tls(data))
    {
        let first = if req.data.is_empty() { rep } else { req };
        let args = format!(
            "encrypted: {}B from the client, {}B from the server",
            req.data.len(),
            rep.data.len()
        );
        let size = req.data.len() + rep.data.len();
        d.events.push(event(
            first,
            Kind::Encrypted,
            "tls".into(),
            args,
            size,
            None,
        ));
        d.notes.push(format!(
            "{client}: a TLS connection; its traffic is encrypted and not decoded"
        ));
        return true;
    }
    false
}

/// One connection's decoding state: its session once known, the requests awaiting replies,
/// and where the handshake is.
struct Conversation {
    client: String,
    session: Option<i64>,
    pending: HashMap<i32, Pending>,
    handshake_pending: bool,
    handshake_reply_pending: bool,
    handshake_time: u64,
}

impl Conversation {
    /// An event of this connection with the fields every event has; the rest empty.
    fn event(&self, arrival: Arrival, kind: Kind, xid: i32, op: String, size: usize) -> Event {
        Event {
            time_us: arrival.time_us,
            packet: arrival.packet,
            client: self.client.clone(),
            session: self.session,
            kind,
            xid,
            op,
            path: None,
            args: String::new(),
            size,
            err: None,
            latency_us: None,
            zxid: None,
        }
    }

    fn request(&mut self, arrival: Arrival, f: &Frame<'_>, d: &mut Dump) {
        let client = &self.client;
        if std::mem::take(&mut self.handshake_pending) {
            self.handshake_time = arrival.time_us;
            match jute::from_slice::<ConnectRequest>(f.body) {
                Ok(c) => {
                    let mut e =
                        self.event(arrival, Kind::Request, 0, "connect".into(), f.body.len());
                    e.session = (c.session_id != 0).then_some(c.session_id);
                    e.args = format!(
                        "session={:#x} timeout={} lastZxid={:#x} readOnly={}",
                        c.session_id,
                        c.time_out,
                        c.last_zxid_seen,
                        c.read_only.unwrap_or(false)
                    );
                    d.events.push(e);
                    return;
                }
                Err(e) => d.notes.push(format!("{client}: bad ConnectRequest: {e}")),
            }
        }
        match decode_request(f.body, Limits::default()) {
            Ok(r) => {
                let op = r
                    .op()
                    .map_or_else(|_| r.header.r#type.to_string(), |o| o.name().to_string());
                let path = path_of(&r.body);
                self.pending.insert(
                    r.header.xid,
                    Pending {
                        code: r.op().ok(),
                        op: op.clone(),
                        time_us: arrival.time_us,
                        path: path.clone(),
                    },
                );
                let mut e = self.event(arrival, Kind::Request, r.header.xid, op, f.body.len());
                e.path = path;
                e.args = request_args(&r.body);
                d.events.push(e);
            }
            Err(e) => d.notes.push(format!(
                "{client}: undecodable request at client byte {}: {e}",
                f.start + frame::PREFIX
            )),
        }
    }

    fn reply(&mut self, arrival: Arrival, f: &Frame<'_>, d: &mut Dump) {
        if std::mem::take(&mut self.handshake_reply_pending) && self.connected(arrival, f, d) {
            return;
        }
        let header = jute::from_slice::<ReplyHeader>(f.body.get(..16).unwrap_or(f.body));
        let Ok(header) = header else {
            d.notes.push(format!(
                "{}: undecodable reply at server byte {}",
                self.client,
                f.start + frame::PREFIX
            ));
            return;
        };
        let limits = Limits::default();
        if header.xid == xid::NOTIFICATION {
            let (path, args) = match decode_response(f.body, None, limits).map(|r| r.body) {
                Ok(ResponseBody::Notification(ev)) => (
                    ev.path.clone(),
                    EventType::try_from(ev.r#type)
                        .map_or_else(|_| format!("type={}", ev.r#type), |t| format!("{t:?}")),
                ),
                _ => (None, "undecodable".into()),
            };
            let op = "notification".into();
            let mut e = self.event(arrival, Kind::Notification, header.xid, op, f.body.len());
            e.path = path;
            e.args = args;
            e.zxid = Some(header.zxid);
            d.events.push(e);
            return;
        }
        let request = self.pending.remove(&header.xid);
        let code = request.as_ref().and_then(|p| p.code);
        let (path, args) = match (header.err, code) {
            (0, Some(code)) => match decode_response(f.body, Some(code), limits) {
                Ok(r) => reply_args(&r.body),
                Err(e) => (None, format!("undecodable: {e}")),
            },
            (0, None) => (None, String::new()),
            (err, _) => (
                None,
                ErrorCode::try_from(err)
                    .map_or_else(|_| format!("error {err}"), |c| format!("{c:?}")),
            ),
        };
        let op = request.as_ref().map_or_else(
            || match header.xid {
                xid::PING => "ping".into(),
                xid::AUTH => "auth".into(),
                xid::SET_WATCHES => "setWatches2".into(),
                _ => "unmatched".into(),
            },
            |p| p.op.clone(),
        );
        let mut e = self.event(arrival, Kind::Reply, header.xid, op, f.body.len());
        e.path = path.or_else(|| request.as_ref().and_then(|p| p.path.clone()));
        e.args = args;
        e.err = Some(header.err);
        e.latency_us = request.map(|p| arrival.time_us.saturating_sub(p.time_us));
        e.zxid = Some(header.zxid);
        d.events.push(e);
    }

    /// The handshake's reply: the session is known from here on (and given to the events of
    /// this connection so far). False when `f` is not a ConnectResponse.
    fn connected(&mut self, arrival: Arrival, f: &Frame<'_>, d: &mut Dump) -> bool {
        let Ok(c) = jute::from_slice::<ConnectResponse>(f.body) else {
            return false;
        };
        self.session = (c.session_id != 0).then_some(c.session_id);
        for e in d
            .events
            .iter_mut()
            .rev()
            .take_while(|e| e.client == self.client)
        {
            e.session = self.session;
        }
        let mut e = self.event(arrival, Kind::Reply, 0, "connect".into(), f.body.len());
        e.args = format!(
            "session={:#x} timeout={} readOnly={}{}",
            c.session_id,
            c.time_out,
            c.read_only.unwrap_or(false),
            if c.time_out <= 0 {
                " (session expired)"
            } else {
                ""
            }
        );
        e.latency_us = Some(arrival.time_us.saturating_sub(self.handshake_time));
        d.events.push(e);
        true
    }
}
