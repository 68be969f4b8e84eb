//! The tokio side: accepts connections, reads frames (a frame over the limit closes its
//! connection, as ZooKeeper does), hands them to the [`Core`] under one lock, and writes what
//! it says through a bounded queue per connection (a client that does not read is closed
//! when its queue holds 4,096 frames or 64 MiB, instead of growing the server's memory). A timer runs the core's
//! expiry every tick.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::core::{Config, ConnId, Core, Out};

/// Frames waiting to be written to one connection before it counts as not reading.
const QUEUE: usize = 4096;
/// Bytes waiting to be written to one connection before it counts as not reading (a client
/// that asks for large nodes and never reads the answers is closed at this, not at memory's
/// end).
const QUEUED_BYTES: usize = 64 * 1024 * 1024;

/// A connection's writer: its queue, and the bytes in it.
struct Writer {
    tx: mpsc::Sender<Vec<u8>>,
    /// Bytes queued, not yet written.
    queued: Arc<AtomicUsize>,
    /// What `stat`, `cons` and `dump` show of it.
    stats: Arc<ConnStats>,
    /// Wakes the connection's reader when the server closes the connection.
    closed: Arc<Notify>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Removed from the map: the connection is being closed, whoever is reading.
        self.closed.notify_one();
    }
}

/// A connection's peer and counts of frames.
#[derive(Debug)]
struct ConnStats {
    peer: SocketAddr,
    received: AtomicU64,
    sent: AtomicU64,
}

/// What the connections share.
struct Shared {
    core: Mutex<Core>,
    writers: Mutex<HashMap<ConnId, Writer>>,
    start: Instant,
    config: Config,
    /// Numbers connections across restarts (a late goodbye of an old connection never
    /// touches a new one).
    next_conn: AtomicU64,
    /// Frames received and sent on every connection (`srvr`, `mntr`).
    received: AtomicU64,
    sent: AtomicU64,
    /// The port it listens on.
    port: u16,
    /// The data directory, when the server keeps one.
    disk: Option<crate::persist::Disk>,
    /// Why the server stopped acknowledging writes, once it has.
    failure: tokio::sync::watch::Sender<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Answers a four-letter word on `conn`, and closes it.
    fn four_letter_word(&self, conn: ConnId, word: &str) {
        let mut writers = lock(&self.writers);
        let conns: Vec<crate::words::Connection> = writers
            .iter()
            .map(|(id, w)| crate::words::Connection {
                id: *id,
                peer: Some(w.stats.peer),
                received: w.stats.received.load(Ordering::Relaxed),
                sent: w.stats.sent.load(Ordering::Relaxed),
                queued: (QUEUE - w.tx.capacity()) as u64,
                asking: *id == conn,
            })
            .collect();
        let now = self.now_ms();
        let counters = crate::words::Counters {
            received: self.received.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            uptime_ms: now,
            port: self.port,
        };
        let text = {
            let core = lock(&self.core);
            let whitelist = &core.config().four_letter_words;
            crate::words::answer(word, whitelist, &core, &conns, counters, now)
        };
        if let Some(w) = writers.remove(&conn) {
            // The text, then the close (dropping the writer).
            let _ = w.tx.try_send(text.into_bytes());
        }
    }

    /// Runs `f` on the core and sends what it says: at once, or, with a data directory, once
    /// the transactions among it (and before it) are on disk.
    fn with_core(&self, f: impl FnOnce(&mut Core) -> Vec<Out>) {
        let direct = {
            let mut core = lock(&self.core);
            let outs = f(&mut core);
            match &self.disk {
                Some(disk) => disk.route(&core, outs),
                None => Some(outs),
            }
        };
        if let Some(outs) = direct {
            self.dispatch(outs);
        }
    }

    fn failed(&self) -> bool {
        self.failure.borrow().is_some()
    }

    /// Hands the core's output to the connections' writers.
    fn dispatch(&self, outs: Vec<Out>) {
        let mut writers = lock(&self.writers);
        for out in outs {
            match out {
                Out::Frame(conn, frame) => {
                    let full = writers.get(&conn).is_some_and(|w| {
                        let len = frame.len();
                        let before = w.queued.fetch_add(len, Ordering::AcqRel);
                        before + len > QUEUED_BYTES || w.tx.try_send(frame).is_err()
                    });
                    if full {
                        // Not reading (or gone): closed, as a slow consumer.
                        writers.remove(&conn);
                        lock(&self.core).disconnected(conn);
                    }
                }
                Out::Close(conn) => {
                    // Dropping the sender lets the writer finish what is queued, then close.
                    writers.remove(&conn);
                }
                // Written by the disk's writer, before these were handed here.
                Out::Log(_) => {}
            }
        }
    }
}

impl crate::persist::writer::Sink for Shared {
    fn done(&self, outs: Vec<Out>, durable: bool) {
        if durable {
            self.dispatch(outs);
        }
        if let Some(disk) = &self.disk {
            disk.finished();
        }
    }

    fn fail(&self, why: String) {
        if let Some(disk) = &self.disk {
            disk.set_failed();
        }
        self.failure.send_replace(Some(why));
        // Nothing more is answered: every connection is closed, and new ones are.
        let writers: Vec<Writer> = lock(&self.writers).drain().map(|(_, w)| w).collect();
        drop(writers);
    }
}

/// An embedded ZooKeeper-compatible server (in progress: see the crate docs for what it
/// serves).
#[derive(Debug, Clone)]
pub struct Builder {
    host: String,
    port: u16,
    config: Config,
    state: Option<crate::restore::Restored>,
    data_dir: Option<std::path::PathBuf>,
    tuning: crate::persist::Tuning,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            host: "127.0.0.1".into(),
            port: 0,
            config: Config::default(),
            state: None,
            data_dir: None,
            tuning: crate::persist::Tuning::default(),
        }
    }
}

impl Builder {
    /// The port to listen on (default 0: any free one).
    #[must_use]
    pub fn port(mut self, port: u16) -> Builder {
        self.port = port;
        self
    }

    /// The address to listen on (default 127.0.0.1).
    #[must_use]
    pub fn host(mut self, host: &str) -> Builder {
        self.host = host.to_string();
        self
    }

    /// `tickTime` (default 2 s): sessions are given 2 to 20 ticks.
    #[must_use]
    pub fn tick_time(mut self, tick: Duration) -> Builder {
        self.config.tick_ms = u64::try_from(tick.as_millis()).unwrap_or(u64::MAX).max(1);
        self
    }

    /// The longest session timeout granted (`maxSessionTimeout`; default 20 ticks).
    #[must_use]
    pub fn max_session_timeout(mut self, max: Duration) -> Builder {
        self.config.max_session_timeout_ms =
            Some(i32::try_from(max.as_millis()).unwrap_or(i32::MAX));
        self
    }

    /// How often empty containers and expired TTL nodes are looked for and deleted
    /// (`znode.container.checkIntervalMs`; default a minute, as ZooKeeper's).
    #[must_use]
    pub fn container_check_interval(mut self, every: Duration) -> Builder {
        self.config.container_check_ms =
            u64::try_from(every.as_millis()).unwrap_or(u64::MAX).max(1);
        self
    }

    /// The four-letter words that run (`4lw.commands.whitelist`; default `srvr` only, as
    /// ZooKeeper's; `*` for all). Others get ZooKeeper's refusal.
    #[must_use]
    pub fn four_letter_words(mut self, words: &[&str]) -> Builder {
        self.config.four_letter_words = words.iter().map(|w| (*w).to_string()).collect();
        self
    }

    /// Allows TTL nodes (`extendedTypesEnabled`; default off).
    #[must_use]
    pub fn extended_types(mut self, enabled: bool) -> Builder {
        self.config.extended_types = enabled;
        self
    }

    /// The super user's digest (`user:base64`, as [`crate::auth::digest`] makes it from
    /// `user:password`): a connection that authenticates with that user and password passes
    /// every ACL (ZooKeeper's `zookeeper.DigestAuthenticationProvider.superDigest`).
    #[must_use]
    pub fn super_digest(mut self, digest: &str) -> Builder {
        self.config.super_digest = Some(digest.to_string());
        self
    }

    /// Starts from `state`, recovered from a ZooKeeper data directory
    /// ([`crate::datadir::load`], with the same [`Builder::extended_types`]): its nodes, its
    /// last zxid, and its sessions, which clients can resume with their ids and passwords
    /// (they expire if none does within their timeout). The state lives in memory: nothing is
    /// written back to the directory.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let (state, report) = zk_server::datadir::load("/var/lib/zookeeper".as_ref(), None, false)?;
    /// println!("loaded {report}");
    /// let server = zk_server::Server::builder().restored(state).start().await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn restored(mut self, state: crate::restore::Restored) -> Builder {
        self.state = Some(state);
        self
    }

    /// Keeps the server's state in `dir`, a ZooKeeper `dataDir` (`dir/version-2/log.*` and
    /// `snapshot.*`, in ZooKeeper 3.8's formats): on start it recovers what the directory holds
    /// (a real ZooKeeper's, or its own from an earlier run, even one killed mid-write), and
    /// while it serves, a write is answered only once its transaction is in the log and synced
    /// ([`Builder::fsync`]). ZooKeeper 3.8 can start from the same directory. See
    /// [`crate::persist`].
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join(format!("zk-doc-{}", std::process::id()));
    /// let server = zk_server::Server::builder().data_dir(&dir).start().await?;
    /// let zk = zk_client::Client::connect(&server.connect_string()).await?;
    /// zk.create("/kept", b"across restarts", &Default::default()).await?;
    /// zk.close().await;
    /// server.shutdown().await;
    ///
    /// let server = zk_server::Server::builder().data_dir(&dir).start().await?;
    /// let zk = zk_client::Client::connect(&server.connect_string()).await?;
    /// assert_eq!(zk.get_data("/kept").await?.0, b"across restarts");
    /// # zk.close().await;
    /// # server.shutdown().await;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    #[must_use]
    pub fn data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Builder {
        self.data_dir = Some(dir.into());
        self
    }

    /// With [`Builder::data_dir`]: whether the log is synced to the disk before a write is
    /// answered (default true). Off, a write is answered once the system has it, which
    /// survives the server's process being killed but not the machine crashing: for tests.
    #[must_use]
    pub fn fsync(mut self, sync: bool) -> Builder {
        self.tuning.fsync = sync;
        self
    }

    /// With [`Builder::data_dir`]: ZooKeeper's `snapCount` (default 100,000): a snapshot is
    /// taken after `snapCount / 2` to `snapCount` transactions (randomized).
    #[must_use]
    pub fn snap_count(mut self, count: u64) -> Builder {
        self.tuning.snap_count = count;
        self
    }

    /// With [`Builder::data_dir`]: how many snapshots retention keeps, with the logs they need
    /// (`autopurge.snapRetainCount`; default and least 3).
    #[must_use]
    pub fn snap_retain_count(mut self, count: usize) -> Builder {
        self.tuning.retain = count;
        self
    }

    /// With [`Builder::data_dir`]: how far ahead of the writes a log file is grown, in bytes
    /// (`zookeeper.preAllocSize`; default 64 MiB).
    #[must_use]
    pub fn prealloc_size(mut self, bytes: u64) -> Builder {
        self.tuning.prealloc = bytes;
        self
    }

    /// Serves read-only, as ZooKeeper's read-only server (`readonlymode.enabled`) does: only
    /// clients that allow a read-only server connect (`ClientBuilder::read_only(true)` in
    /// zk-client, `zkCli.sh -r`), and every write is answered `NOTREADONLY`; the tree never
    /// changes (sessions end without deleting anything; the container manager rests). With
    /// [`Builder::restored`], to look at a recovered state, up to a chosen zxid, as it was.
    /// Not with [`Builder::data_dir`].
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Builder {
        self.config.read_only = read_only;
        self
    }

    /// Binds and starts serving on the caller's tokio runtime. With a data directory, a
    /// directory that cannot be recovered (or is in use) is an error of kind `InvalidData`
    /// (or `WouldBlock`) naming the file and offset.
    pub async fn start(mut self) -> io::Result<Server> {
        let mut report = None;
        let mut disk = None;
        if let Some(dir) = &self.data_dir {
            if self.state.is_some() || self.config.read_only {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a server keeps a data directory, or serves a restored state (read-only or \
                     not), not both",
                ));
            }
            let opened = crate::persist::open(dir, &self.tuning, self.config.extended_types)?;
            self.state = Some(opened.state);
            report = Some(opened.report);
            let seed = std::hash::BuildHasher::hash_one(
                &std::collections::hash_map::RandomState::new(),
                dir,
            );
            disk = Some(crate::persist::Disk::new(
                dir,
                &self.tuning,
                opened.lock,
                seed,
            ));
            self.config.log_transactions = true;
        }
        let listener = TcpListener::bind((self.host.as_str(), self.port)).await?;
        let addr = listener.local_addr()?;
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let mut core = Core::new(self.config.clone(), 0, wall);
        if let Some(state) = self.state {
            core.restore(state, 0);
        }
        let shared = Arc::new(Shared {
            core: Mutex::new(core),
            writers: Mutex::new(HashMap::new()),
            start: Instant::now(),
            config: self.config,
            next_conn: AtomicU64::new(0),
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            port: addr.port(),
            disk,
            failure: tokio::sync::watch::Sender::new(None),
        });
        if let Some(disk) = &shared.disk {
            disk.start(shared.clone())?;
        }
        let mut server = Server {
            addr,
            shared,
            tasks: Vec::new(),
            report,
        };
        server.serve(listener);
        Ok(server)
    }

    /// Starts on a thread of its own (with its own tokio runtime), for callers without one
    /// or that want to control it without `.await`.
    ///
    /// ```
    /// let server = zk_server::Server::builder().start_blocking()?;
    /// println!("serving on {}", server.connect_string());
    /// server.shutdown();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_blocking(self) -> io::Result<crate::BlockingServer> {
        crate::blocking::BlockingServer::start(self)
    }
}

/// A running server; dropping it stops it (its tree and sessions go with it).
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// The accept loop and the expiry timer, while serving.
    tasks: Vec<JoinHandle<()>>,
    /// What was recovered from the data directory.
    report: Option<crate::datadir::LoadReport>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Server {
    /// A builder with the defaults (127.0.0.1, a free port, a 2 s tick).
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `host:port`, for a client's connect string.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    fn serve(&mut self, listener: TcpListener) {
        let accept = tokio::spawn(accept_loop(listener, self.shared.clone()));
        let ticker = tokio::spawn(tick_loop(self.shared.clone()));
        let reaper = tokio::spawn(reap_loop(self.shared.clone()));
        self.tasks = vec![accept, ticker, reaper];
    }

    /// Whether it is serving (not stopped).
    pub fn is_running(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// Expires session `id` now, as if its timeout had passed: its ephemeral nodes go, its
    /// watchers are told, its connection is closed (the client then learns of the expiry).
    /// `false` when no such session lives.
    pub fn expire_session(&self, id: i64) -> bool {
        let mut found = false;
        self.shared.with_core(|core| {
            let outs = core.expire_session(id);
            found = outs.is_some();
            outs.unwrap_or_default()
        });
        found
    }

    /// With a data directory: what starting recovered from it.
    pub fn load_report(&self) -> Option<&crate::datadir::LoadReport> {
        self.report.as_ref()
    }

    /// Why the server stopped acknowledging writes (a write or sync of its log failed: a full
    /// disk, an I/O error), once it has. It then closes every connection and serves no more.
    pub fn failure(&self) -> Option<String> {
        self.shared.failure.borrow().clone()
    }

    /// Waits until the server stops acknowledging writes ([`Server::failure`]), and says why.
    pub async fn failed(&self) -> String {
        let mut rx = self.shared.failure.subscribe();
        loop {
            if let Some(why) = rx.borrow_and_update().clone() {
                return why;
            }
            if rx.changed().await.is_err() {
                return "the server is gone".into();
            }
        }
    }

    /// Closes every client connection, as if the network dropped them; the sessions live on
    /// (their clients reconnect and resume them).
    pub fn close_connections(&self) {
        // Dropping a writer wakes its connection's reader, which closes the connection.
        let writers: Vec<Writer> = lock(&self.shared.writers).drain().map(|(_, w)| w).collect();
        drop(writers);
    }

    /// Stops serving, as a stopped ZooKeeper: no more connections (the port is free), every
    /// connection closed, no session expires. The tree and the sessions are kept for
    /// [`Server::restart`].
    pub async fn stop(&mut self) {
        for t in std::mem::take(&mut self.tasks) {
            t.abort();
            // The listener is closed once its task is gone.
            let _ = t.await;
        }
        self.close_connections();
    }

    /// Serves again on the same address after [`Server::stop`], with the same tree and
    /// sessions; each session gets its whole timeout again, for its client to come back.
    /// Nothing happens when it is running.
    pub async fn restart(&mut self) -> io::Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.addr).await?;
        lock(&self.shared.core).restarted(self.shared.now_ms());
        self.serve(listener);
        Ok(())
    }

    /// Stops for good (as dropping it does, but waiting until the port is free). With a data
    /// directory, what was written is synced and the directory's lock released.
    pub async fn shutdown(mut self) {
        self.stop().await;
        if let Some(disk) = &self.shared.disk {
            disk.flush().await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.close_connections();
        if let Some(disk) = &self.shared.disk {
            disk.stop();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        if shared.failed() {
            // Serving no more: what it holds may not be on disk.
            continue;
        }
        let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = stream.set_nodelay(true);
        let (tx, rx) = mpsc::channel(QUEUE);
        let queued = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(Notify::new());
        let stats = Arc::new(ConnStats {
            peer,
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        });
        let writer = Writer {
            tx,
            queued: queued.clone(),
            stats: stats.clone(),
            closed: closed.clone(),
        };
        lock(&shared.writers).insert(conn, writer);
        lock(&shared.core).connected(conn, Some(peer.ip()));
        let pipes = Pipes {
            rx,
            queued,
            closed,
            stats,
        };
        tokio::spawn(serve(conn, stream, pipes, shared.clone()));
    }
}

async fn tick_loop(shared: Arc<Shared>) {
    let tick = Duration::from_millis(shared.config.tick_ms);
    let mut every = tokio::time::interval(tick);
    loop {
        every.tick().await;
        let now = shared.now_ms();
        shared.with_core(|core| core.tick(now));
    }
}

/// Deletes empty containers and expired TTL nodes every check interval.
async fn reap_loop(shared: Arc<Shared>) {
    let every = Duration::from_millis(shared.config.container_check_ms);
    let Some(first) = Instant::now().checked_add(every) else {
        return; // an interval past any clock: never
    };
    let mut ticks = tokio::time::interval_at(first, every);
    loop {
        ticks.tick().await;
        let now = shared.now_ms();
        shared.with_core(|core| core.reap(now));
    }
}

/// One connection: frames in to the core; its writer sends what the core says.
/// A connection's side of its writer: the queue's end, its byte count, the close signal and
/// its counts.
struct Pipes {
    rx: mpsc::Receiver<Vec<u8>>,
    queued: Arc<AtomicUsize>,
    closed: Arc<Notify>,
    stats: Arc<ConnStats>,
}

async fn serve(conn: ConnId, stream: TcpStream, pipes: Pipes, shared: Arc<Shared>) {
    let Pipes {
        mut rx,
        queued,
        closed,
        stats,
    } = pipes;
    let (mut read, mut write) = stream.into_split();
    let counts = (stats.clone(), shared.clone());
    let writer = tokio::spawn(async move {
        let (stats, shared) = counts;
        while let Some(frame) = rx.recv().await {
            if write.write_all(&frame).await.is_err() {
                return;
            }
            queued.fetch_sub(frame.len(), Ordering::AcqRel);
            stats.sent.fetch_add(1, Ordering::Relaxed);
            shared.sent.fetch_add(1, Ordering::Relaxed);
        }
        let _ = write.shutdown().await;
    });
    let mut first = true;
    // Every read has a limit in time: a session's longest timeout (20 ticks), so a silent
    // peer holds its task no longer than its session could live.
    let patience = Duration::from_millis(shared.config.tick_ms.saturating_mul(20));
    // ZooKeeper closes a connection whose frame is longer than jute.maxbuffer
    // (`NIOServerCnxn.readLength`).
    let limit = shared.config.max_request;
    let mut body = Vec::new();
    loop {
        let mut prefix = [0u8; 4];
        let next = tokio::select! {
            got = tokio::time::timeout(patience, read.read_exact(&mut prefix)) => got,
            // Closed by the server (a slow consumer, an expiry): stop reading now.
            () = closed.notified() => break,
        };
        match next {
            Ok(Ok(_)) => {}
            _ => break,
        }
        stats.received.fetch_add(1, Ordering::Relaxed);
        shared.received.fetch_add(1, Ordering::Relaxed);
        // A connection's first four bytes may be a four-letter word instead of a length.
        if std::mem::take(&mut first) {
            if let Some(word) = crate::words::command(&prefix) {
                shared.four_letter_word(conn, word);
                break;
            }
        }
        let len = u32::from_be_bytes(prefix) as usize;
        if len > limit {
            break;
        }
        body.resize(len, 0);
        match tokio::time::timeout(patience, read.read_exact(&mut body)).await {
            Ok(Ok(_)) => {}
            _ => break,
        }
        if shared.failed() {
            break;
        }
        let now = shared.now_ms();
        let mut closing = false;
        shared.with_core(|core| {
            let outs = core.frame(conn, &body, now);
            closing = outs.contains(&Out::Close(conn));
            outs
        });
        if closing || !lock(&shared.writers).contains_key(&conn) {
            break;
        }
        if let Some(disk) = &shared.disk {
            disk.room().await;
        }
    }
    if let Some(disk) = &shared.disk {
        // What the core said before the close goes out first (it may wait for the disk).
        disk.flush().await;
    }
    lock(&shared.writers).remove(&conn);
    lock(&shared.core).disconnected(conn);
    // What was queued gets a moment to go out; a peer that does not read gets no more.
    let mut writer = writer;
    if tokio::time::timeout(Duration::from_secs(2), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}
