//! A fake ZooKeeper server for hostile-input tests: it accepts connections on a free loopback
//! port, answers the handshake as told (any timeout, session id, read-only flag, or raw bytes),
//! answers pings, and hands every other request to a script that says which bytes to send back
//! (a malformed reply, a nested multi, a notification with a huge path, nothing at all, ...).
//!
//! [`FakeServer::streaming`] is the other hostile peer: a port that sends bytes without end to
//! whoever connects (a four-letter word, an `isro` probe), and counts what it sent.
//!
//! ```no_run
//! use zk_testkit::fake::{reply, Answer, FakeServer, Handshake};
//! // Every request is answered with a header and 5 bytes that decode as nothing.
//! let server = FakeServer::start(Handshake::default(), |req| {
//!     Answer::Bytes(reply(req.xid, 1, 0, &[0, 0, 0, 9, 1]).unwrap_or_default())
//! })?;
//! println!("connect a client to {}", server.connect_string());
//! # Ok::<(), zk_testkit::Error>(())
//! ```

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use jute::Record;
use jute_schemas::proto::{ConnectResponse, ReplyHeader, WatcherEvent};

use crate::wire::{frame, read_frame};
use crate::Error;

/// How the fake answers a handshake.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The negotiated timeout it grants (ms); 0 or less refuses the session as expired.
    pub time_out: i32,
    /// The session id it grants.
    pub session_id: i64,
    /// The read-only flag it sends (`None`: left out, as old servers do).
    pub read_only: Option<bool>,
    /// Sent instead of a `ConnectResponse`, framed, when set.
    pub raw: Option<Vec<u8>>,
    /// Whether pings get an answer.
    pub answer_pings: bool,
    /// Whether each connection gets a new session (`session_id` plus the connection's index)
    /// instead of the same one, as a server that does not resume sessions.
    pub new_session_per_connection: bool,
}

impl Default for Handshake {
    fn default() -> Self {
        Handshake {
            time_out: 10_000,
            session_id: 0x5eed,
            read_only: Some(false),
            raw: None,
            answer_pings: true,
            new_session_per_connection: false,
        }
    }
}

/// A request the client sent after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Which accepted connection it came on (0 for the first).
    pub connection: usize,
    /// Its xid.
    pub xid: i32,
    /// Its op code.
    pub op: i32,
    /// The record after the header.
    pub body: Vec<u8>,
}

/// What the fake does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Writes these bytes (frames made with [`reply`] or [`notification`], any length-prefixed
    /// frame, or anything else) and goes on.
    Bytes(Vec<u8>),
    /// Says nothing and goes on.
    Nothing,
    /// Closes the connection.
    Close,
}

type Script = Box<dyn FnMut(&Request) -> Answer + Send>;

#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
    accepted: AtomicUsize,
    open: Mutex<Vec<TcpStream>>,
    /// For a streaming port: bytes written in all, and connections the peer closed.
    bytes_sent: AtomicU64,
    peer_closed: AtomicUsize,
}

/// The fake server; stops (and closes every connection) when dropped. See the
/// [module](self) docs.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeServer {
    /// Starts a fake that answers handshakes with `handshake` and requests with `script`.
    pub fn start(
        handshake: Handshake,
        script: impl FnMut(&Request) -> Answer + Send + 'static,
    ) -> Result<FakeServer, Error> {
        let script: Arc<Mutex<Script>> = Arc::new(Mutex::new(Box::new(script)));
        Self::spawn(move |stream, index, shared| {
            serve(stream, index, &handshake, &script, shared);
        })
    }

    /// Starts a port that sends bytes without end to every connection until the peer closes
    /// it (or the fake is dropped).
    pub fn streaming() -> Result<FakeServer, Error> {
        Self::spawn(|stream, _, shared| stream_forever(stream, shared))
    }

    fn spawn(
        handler: impl Fn(TcpStream, usize, &Shared) + Send + Sync + 'static,
    ) -> Result<FakeServer, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(Error::io("binding the fake server"))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io("binding the fake server"))?;
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let handler = Arc::new(handler);
        let accept = thread::Builder::new()
            .name("zk-testkit-fake".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if s.stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let index = s.accepted.fetch_add(1, Ordering::SeqCst);
                    if let Ok(copy) = stream.try_clone() {
                        lock(&s.open).push(copy);
                    }
                    let (s2, h2) = (s.clone(), handler.clone());
                    let _ = thread::Builder::new()
                        .name("zk-testkit-fake-conn".into())
                        .spawn(move || h2(stream, index, &s2));
                }
            })
            .map_err(Error::io("starting the fake server"))?;
        Ok(FakeServer {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT`.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Closes every open connection now.
    pub fn cut(&self) {
        for s in lock(&self.shared.open).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// A streaming port: bytes sent so far over all connections.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes_sent.load(Ordering::SeqCst)
    }

    /// A streaming port: connections the peer closed (a write failed).
    pub fn closed_by_peer(&self) -> usize {
        self.shared.peer_closed.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.cut();
        // Wakes the accept loop so it sees `stopping`, then waits for it.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// A reply frame (length prefix included): header, then `body`.
pub fn reply(xid: i32, zxid: i64, err: i32, body: &[u8]) -> Result<Vec<u8>, Error> {
    let mut payload = ReplyHeader { xid, zxid, err }.to_vec();
    payload.extend_from_slice(body);
    frame(&payload)
}

/// A notification frame (xid -1, zxid -1, state connected).
pub fn notification(event_type: i32, path: &str) -> Result<Vec<u8>, Error> {
    let ev = WatcherEvent {
        r#type: event_type,
        state: 3,
        path: Some(path.to_string()),
    };
    reply(-1, -1, 0, &ev.to_vec())
}

fn handshake_reply(h: &Handshake, connection: usize) -> Result<Vec<u8>, Error> {
    let session_id = if h.new_session_per_connection {
        h.session_id + i64::try_from(connection).unwrap_or(0)
    } else {
        h.session_id
    };
    match &h.raw {
        Some(raw) => frame(raw),
        None => frame(
            &ConnectResponse {
                protocol_version: 0,
                time_out: h.time_out,
                session_id,
                passwd: Some(vec![0x5a; 16]),
                read_only: h.read_only,
            }
            .to_vec(),
        ),
    }
}

fn serve(
    mut s: TcpStream,
    connection: usize,
    handshake: &Handshake,
    script: &Mutex<Script>,
    shared: &Shared,
) {
    let ctx = "fake server";
    let _ = s.set_nodelay(true);
    let Ok(hello) = handshake_reply(handshake, connection) else {
        return;
    };
    if read_frame(&mut s, ctx).is_err() || s.write_all(&hello).is_err() {
        return;
    }
    while !shared.stopping.load(Ordering::SeqCst) {
        let Ok(body) = read_frame(&mut s, ctx) else {
            return;
        };
        let (Some(xid), Some(op)) = (body.get(0..4), body.get(4..8)) else {
            return;
        };
        let request = Request {
            connection,
            xid: i32::from_be_bytes([xid[0], xid[1], xid[2], xid[3]]),
            op: i32::from_be_bytes([op[0], op[1], op[2], op[3]]),
            body: body[8..].to_vec(),
        };
        let answer = if request.xid == -2 {
            if handshake.answer_pings {
                // A bare 16-byte header: framing it cannot fail.
                Answer::Bytes(reply(-2, 0, 0, &[]).unwrap_or_default())
            } else {
                Answer::Nothing
            }
        } else {
            (lock(script))(&request)
        };
        match answer {
            Answer::Bytes(bytes) => {
                if s.write_all(&bytes).is_err() {
                    return;
                }
            }
            Answer::Nothing => {}
            Answer::Close => {
                let _ = s.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

fn stream_forever(mut s: TcpStream, shared: &Shared) {
    let chunk = vec![b'x'; 64 * 1024];
    let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
    while !shared.stopping.load(Ordering::SeqCst) {
        match s.write(&chunk) {
            Ok(n) => {
                shared.bytes_sent.fetch_add(n as u64, Ordering::SeqCst);
            }
            // The peer stopped reading but kept the socket: keep it open and try again.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => {
                shared.peer_closed.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
    }
    // Drain what the peer said, so closing does not reset its last read.
    let _ = s.set_read_timeout(Some(Duration::from_millis(10)));
    let _ = s.read(&mut [0u8; 64]);
}
