//! A TCP proxy between a client and a server that drops connections on command: at once, or
//! after a chosen number of frames from the server (and optionally part of the next one), so a
//! test can cut a connection in the middle of a frame or between two notifications.
//!
//! It knows ZooKeeper's framing (a 4-byte big-endian length before each frame) and nothing
//! more. It also records the op code of every request the client sends, so a test can see
//! what went over the wire (the handshake, which has no header, is left out).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use jute_schemas::protocol::frame::{Boundaries, Step};

use crate::Error;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A planned cut of the server-to-client direction.
#[derive(Debug, Clone, Copy)]
struct Cut {
    /// Whole frames still to forward.
    frames: usize,
    /// Bytes of the frame after those to forward before closing.
    extra: usize,
}

#[derive(Debug)]
struct Link {
    client: TcpStream,
    server: TcpStream,
    cut: Mutex<Option<Cut>>,
    /// Op codes of the client's requests, in order (handshake excluded).
    client_ops: Mutex<Vec<i32>>,
    closed: AtomicBool,
    /// Watch notifications (xid -1) forwarded to clients, over every connection.
    notifications: Arc<AtomicUsize>,
    /// While set, nothing is forwarded either way (the connections stay open).
    stalled: Arc<AtomicBool>,
}

impl Link {
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }
}

#[derive(Debug)]
struct Shared {
    upstream: Mutex<SocketAddr>,
    links: Mutex<Vec<Arc<Link>>>,
    refusing: AtomicBool,
    stopping: AtomicBool,
    accepted: AtomicUsize,
    notifications: Arc<AtomicUsize>,
    stalled: Arc<AtomicBool>,
}

/// A proxy on a free loopback port forwarding to one server; see the [module](self) docs.
///
/// ```no_run
/// let server = zk_testkit::TestServer::start()?;
/// let proxy = zk_testkit::Proxy::start(server.addr())?;
/// // Connect the client to proxy.addr(), then:
/// proxy.cut_after_server_frames(2, 5); // two more frames, 5 bytes of the third, then close
/// # Ok::<(), zk_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

/// Tracks frame boundaries in one direction of a stream (ZooKeeper's framing, from
/// `jute_schemas::protocol::frame`), keeping the first 8 bytes of each frame's body.
#[derive(Debug, Default)]
struct Framer {
    bounds: Boundaries,
    head: Vec<u8>,
}

impl Framer {
    /// Consumes bytes of `data` up to the end of the current frame's part: the length prefix or
    /// the body. Returns how many bytes it took and whether a frame ended.
    fn step(&mut self, data: &[u8]) -> (usize, bool) {
        let body = self.bounds.in_body();
        let (took, step) = self.bounds.step(data);
        if body {
            let want = 8usize.saturating_sub(self.head.len()).min(took);
            self.head.extend_from_slice(&data[..want]);
        }
        match step {
            Step::Started(len) => {
                self.head.clear();
                (took, len == 0)
            }
            Step::Ended => (took, true),
            Step::Within => (took, false),
        }
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` on a free port of 127.0.0.1.
    pub fn start(upstream: SocketAddr) -> Result<Proxy, Error> {
        Self::start_on(Ipv4Addr::LOCALHOST.into(), upstream)
    }

    /// Starts a proxy to `upstream` on a free port of `listen` (`::1` for an IPv6 client).
    pub fn start_on(listen: std::net::IpAddr, upstream: SocketAddr) -> Result<Proxy, Error> {
        let listener = TcpListener::bind((listen, 0)).map_err(Error::io("binding the proxy"))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io("binding the proxy"))?;
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            links: Mutex::new(Vec::new()),
            refusing: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            notifications: Arc::new(AtomicUsize::new(0)),
            stalled: Arc::new(AtomicBool::new(false)),
        });
        let s = shared.clone();
        thread::Builder::new()
            .name("zk-testkit-proxy".into())
            .spawn(move || accept_loop(listener, s))
            .map_err(Error::io("starting the proxy thread"))?;
        Ok(Proxy { addr, shared })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT` (or `[::1]:PORT`) of the proxy.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// Forwards new connections to `upstream` from now on.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *lock(&self.shared.upstream) = upstream;
    }

    /// Closes every open connection now (both directions).
    pub fn cut(&self) {
        for link in lock(&self.shared.links).drain(..) {
            link.close();
        }
    }

    /// While true, new connections are closed as soon as they are accepted (and open ones are
    /// cut), as if the server were down.
    pub fn set_refusing(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::SeqCst);
        if refusing {
            self.cut();
        }
    }

    /// On every open connection: forwards `frames` more whole frames from the server, then
    /// `extra_bytes` of the next one (0 cuts exactly between frames), then closes the connection.
    /// Returns how many open connections the cut was armed on.
    pub fn cut_after_server_frames(&self, frames: usize, extra_bytes: usize) -> usize {
        let mut armed = 0;
        for link in lock(&self.shared.links).iter() {
            if link.closed.load(Ordering::SeqCst) {
                continue;
            }
            *lock(&link.cut) = Some(Cut {
                frames,
                extra: extra_bytes,
            });
            armed += 1;
        }
        armed
    }

    /// How many connections were accepted so far (refused ones included).
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// While true, the proxy holds every byte in both directions without closing anything,
    /// as a network that stops delivering: clients see silence, not a closed connection.
    pub fn set_stalled(&self, stalled: bool) {
        self.shared.stalled.store(stalled, Ordering::SeqCst);
    }

    /// How many watch notifications (frames with xid -1) the proxy forwarded to clients, over
    /// every connection so far.
    pub fn notifications(&self) -> usize {
        self.shared.notifications.load(Ordering::SeqCst)
    }

    /// How many connections are open now.
    pub fn open_connections(&self) -> usize {
        let mut links = lock(&self.shared.links);
        links.retain(|l| !l.closed.load(Ordering::SeqCst));
        links.len()
    }

    /// The op codes the client sent on the newest open connection (handshake excluded).
    pub fn client_ops(&self) -> Vec<i32> {
        lock(&self.shared.links)
            .iter()
            .rev()
            .find(|l| !l.closed.load(Ordering::SeqCst))
            .map(|l| lock(&l.client_ops).clone())
            .unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.cut();
        // Wakes the accept loop so it sees `stopping`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        if shared.refusing.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let upstream = *lock(&shared.upstream);
        let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(2)) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
            continue;
        };
        let link = Arc::new(Link {
            client,
            server,
            cut: Mutex::new(None),
            client_ops: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            notifications: shared.notifications.clone(),
            stalled: shared.stalled.clone(),
        });
        lock(&shared.links).push(link.clone());
        let l2 = link.clone();
        let up = thread::Builder::new().spawn(move || client_to_server(c2, &l2));
        let down = thread::Builder::new().spawn(move || server_to_client(s2, &link));
        if up.is_err() || down.is_err() {
            continue;
        }
    }
}

/// Holds the bytes read while the proxy is stalled.
fn wait_while_stalled(link: &Link) {
    while link.stalled.load(Ordering::SeqCst) && !link.closed.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(10));
    }
}

fn client_to_server(mut from: TcpStream, link: &Link) {
    let mut to = &link.server;
    let mut framer = Framer::default();
    let mut frames = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        wait_while_stalled(link);
        let mut off = 0;
        while off < n {
            let (took, ended) = framer.step(&buf[off..n]);
            off += took;
            if ended {
                // The first frame is the handshake, without a request header.
                if frames > 0 && framer.head.len() >= 8 {
                    let op = i32::from_be_bytes([
                        framer.head[4],
                        framer.head[5],
                        framer.head[6],
                        framer.head[7],
                    ]);
                    lock(&link.client_ops).push(op);
                }
                frames += 1;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    link.close();
}

fn server_to_client(mut from: TcpStream, link: &Link) {
    let mut to = &link.client;
    let mut framer = Framer::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        wait_while_stalled(link);
        let mut off = 0;
        while off < n {
            let mut cut = lock(&link.cut);
            if let Some(plan) = cut.as_mut() {
                if plan.frames == 0 {
                    // The planned frames are through: `extra` more bytes, then close.
                    let k = plan.extra.min(n - off);
                    let _ = to.write_all(&buf[off..off + k]);
                    plan.extra -= k;
                    off += k;
                    if plan.extra == 0 {
                        let _ = to.flush();
                        *cut = None;
                        drop(cut);
                        // Give the client time to read what was forwarded before the close.
                        thread::sleep(Duration::from_millis(20));
                        link.close();
                        return;
                    }
                    continue;
                }
            }
            let (took, ended) = framer.step(&buf[off..n]);
            if ended {
                if let Some(plan) = cut.as_mut() {
                    plan.frames = plan.frames.saturating_sub(1);
                }
                if framer.head.len() >= 4 && framer.head[..4] == [0xff; 4] {
                    link.notifications.fetch_add(1, Ordering::SeqCst);
                }
            }
            drop(cut);
            if to.write_all(&buf[off..off + took]).is_err() {
                link.close();
                return;
            }
            off += took;
        }
    }
    link.close();
}

#[cfg(test)]
mod tests {
    use super::Framer;

    #[test]
    fn framer_keeps_each_bodys_head() {
        let mut stream = Vec::new();
        for body in [&b"0123456789"[..], b"ab"] {
            stream.extend_from_slice(&(body.len() as u32).to_be_bytes());
            stream.extend_from_slice(body);
        }
        let mut f = Framer::default();
        let mut heads = Vec::new();
        for byte in &stream {
            if f.step(std::slice::from_ref(byte)).1 {
                heads.push(f.head.clone());
            }
        }
        assert_eq!(heads, [b"01234567".to_vec(), b"ab".to_vec()]);
    }

    #[test]
    fn framer_finds_boundaries_split_anywhere() {
        let mut stream = Vec::new();
        for body in [&b"abcdefghij"[..], b"", b"xy"] {
            stream.extend_from_slice(&(body.len() as u32).to_be_bytes());
            stream.extend_from_slice(body);
        }
        for chunk in 1..stream.len() {
            let mut f = Framer::default();
            let mut ends = Vec::new();
            let mut pos = 0;
            for piece in stream.chunks(chunk) {
                let mut off = 0;
                while off < piece.len() {
                    let (took, ended) = f.step(&piece[off..]);
                    off += took;
                    pos += took;
                    if ended {
                        ends.push(pos);
                    }
                }
            }
            assert_eq!(ends, vec![14, 18, 24], "chunk size {chunk}");
        }
    }
}
