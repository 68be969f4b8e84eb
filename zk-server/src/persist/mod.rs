//! Persistence in ZooKeeper's own format: the server keeps its state in a ZooKeeper `dataDir`
//! (`DIR/version-2/log.<zxid>` and `snapshot.<zxid>`), which ZooKeeper 3.8 can start from, and
//! which this server starts from after a stop or a crash.
//!
//! - On start ([`open`]): the directory is locked ([`lock`]), recovered as ZooKeeper recovers
//!   it ([`crate::datadir::load`]), and a snapshot of what was recovered is written (ZooKeeper
//!   does the same at every start; an empty directory gets `snapshot.0`).
//! - While serving ([`Disk`]): every transaction the core hands out is appended to the log, and
//!   nothing it causes (its answer, its notifications, and every answer after it) is sent
//!   before the log is synced ([`writer`]); the transactions that arrive together share one
//!   sync. Every `snapCount` transactions (randomized, [`policy::SnapPolicy`]) the log rolls
//!   and a copy of the tree, taken at that zxid, is written as a snapshot by a thread of its
//!   own; then retention deletes the snapshots past the newest few and the logs only they
//!   needed.
//! - A failed write or sync stops every acknowledgement: the server closes its connections and
//!   serves no more, and says why ([`crate::Server::failure`]).

pub mod lock;
pub mod log;
pub mod policy;
pub mod snap;
pub mod writer;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::core::{Core, Out};
use crate::datadir::LoadReport;
use crate::restore::Restored;

/// How a data directory is kept (ZooKeeper's settings, with its defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuning {
    /// Whether the log is synced before answers go (default true; off for tests only: a
    /// crash of the machine can then lose acknowledged writes).
    pub fsync: bool,
    /// `snapCount` (default 100,000): a snapshot after `snapCount / 2` to `snapCount`
    /// transactions.
    pub snap_count: u64,
    /// `zookeeper.preAllocSize` in bytes (default 64 MiB): how far ahead of the writes a log
    /// file is grown (with zeros: most file systems store none of them).
    pub prealloc: u64,
    /// `autopurge.snapRetainCount` (default 3, at least 3): the snapshots kept, with the logs
    /// they need.
    pub retain: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            fsync: true,
            snap_count: 100_000,
            prealloc: 64 * 1024 * 1024,
            retain: 3,
        }
    }
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// A data directory opened: what it held, what the load read, and its lock.
#[derive(Debug)]
pub struct Opened {
    /// The recovered state.
    pub state: Restored,
    /// What was read.
    pub report: LoadReport,
    /// The directory's lock, held while it is served.
    pub lock: lock::DirLock,
}

/// Opens `dir` (created when missing): locks it, recovers it, and writes a snapshot of what was
/// recovered (then applies retention), as ZooKeeper does when it starts. A damaged directory
/// is an error naming the file and offset; one in use by another server is refused.
pub fn open(dir: &Path, tuning: &Tuning, extended_types: bool) -> io::Result<Opened> {
    let version2 = dir.join("version-2");
    std::fs::create_dir_all(&version2)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", version2.display())))?;
    let lock = lock::lock(dir)?;
    remove_leftovers(&version2)?;
    let (state, report) = crate::datadir::load(dir, None, extended_types).map_err(other)?;
    let taken = snap::Taken {
        tree: state.tree.clone(),
        sessions: state.sessions.iter().map(|(id, t)| (*id, *t)).collect(),
        zxid: state.zxid,
    };
    snap::write(&version2, &taken, tuning.fsync)?;
    snap::purge(&version2, tuning.retain)?;
    Ok(Opened {
        state,
        report,
        lock,
    })
}

/// Deletes what a crash can leave of a file being begun: `*.tmp` (a snapshot or a log's
/// header, written under a temporary name and renamed once whole), and a log shorter than its
/// header (ZooKeeper's own, begun when it stopped: no transaction is in it, and ZooKeeper
/// 3.8.0 would refuse to start from it; later versions delete it too, ZOOKEEPER-1621).
fn remove_leftovers(version2: &Path) -> io::Result<()> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", version2.display()));
    for entry in std::fs::read_dir(version2).map_err(named)? {
        let entry = entry.map_err(named)?;
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let begun = name.starts_with("log.") || name.starts_with("snapshot.");
        let headless = name.starts_with("log.")
            && !name.ends_with(".tmp")
            && entry.metadata().is_ok_and(|m| m.len() < 16);
        if (begun && name.ends_with(".tmp")) || headless {
            std::fs::remove_file(&path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        }
    }
    Ok(())
}

/// The most batches waiting for the disk before connections stop reading requests.
pub const MAX_IN_FLIGHT: usize = 16_384;

/// A data directory being served: the way to the log writer, and what it needs to decide.
#[derive(Debug)]
pub struct Disk {
    items: Mutex<Option<mpsc::Sender<writer::Item>>>,
    /// Taken by [`Disk::start`].
    parts: Mutex<Option<(writer::Writer, mpsc::Receiver<writer::Item>)>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Batches handed to the writer and not yet delivered or dropped.
    in_flight: AtomicUsize,
    policy: Mutex<policy::SnapPolicy>,
    snapping: Arc<AtomicBool>,
    failed: AtomicBool,
    /// Wakes connections waiting for room ([`MAX_IN_FLIGHT`]).
    room: tokio::sync::Notify,
    /// Held until [`Disk::stop`] (connection tasks may hold the server's state a moment
    /// longer; the directory is free as soon as the writer is done).
    lock: Mutex<Option<lock::DirLock>>,
}

fn lock_of<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Disk {
    /// A disk for `dir` (opened by [`open`], whose lock it keeps), not yet writing.
    pub fn new(dir: &Path, tuning: &Tuning, lock: lock::DirLock, seed: u64) -> Disk {
        let version2: PathBuf = dir.join("version-2");
        let snapping = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let w = writer::Writer {
            log: log::LogFiles::new(&version2, tuning.prealloc, tuning.fsync),
            dir: version2,
            fsync: tuning.fsync,
            retain: tuning.retain,
            snapping: snapping.clone(),
        };
        Disk {
            items: Mutex::new(Some(tx)),
            parts: Mutex::new(Some((w, rx))),
            thread: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            policy: Mutex::new(policy::SnapPolicy::new(tuning.snap_count, seed)),
            snapping,
            failed: AtomicBool::new(false),
            room: tokio::sync::Notify::new(),
            lock: Mutex::new(Some(lock)),
        }
    }

    /// Starts the writer thread, delivering to `sink`.
    pub fn start(&self, sink: Arc<dyn writer::Sink>) -> io::Result<()> {
        let Some((w, rx)) = lock_of(&self.parts).take() else {
            return Ok(());
        };
        let t = std::thread::Builder::new()
            .name("zk-server-log".into())
            .spawn(move || w.run(rx, sink.as_ref()))?;
        *lock_of(&self.thread) = Some(t);
        Ok(())
    }

    /// Takes the core's output for one event, with the core still locked (so the writer gets
    /// it in the core's order): `Some` when it can go out at once (no transaction in it and
    /// nothing before it waiting for the disk), `None` when the writer delivers it once durable
    /// (or never, after a failure).
    pub fn route(&self, core: &Core, outs: Vec<Out>) -> Option<Vec<Out>> {
        if self.failed.load(Ordering::Acquire) {
            return None;
        }
        let logged = outs.iter().filter(|o| matches!(o, Out::Log(_))).count() as u64;
        if logged == 0 && self.in_flight.load(Ordering::Acquire) == 0 {
            return Some(outs);
        }
        let items = lock_of(&self.items);
        let tx = items.as_ref()?;
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if tx.send(writer::Item::Batch(outs)).is_err() {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        if logged > 0 && lock_of(&self.policy).logged(logged) {
            // ZooKeeper skips a snapshot while the last is still being written.
            let taken = if self.snapping.swap(true, Ordering::AcqRel) {
                None
            } else {
                Some(Box::new(snap::Taken {
                    tree: core.tree().clone(),
                    sessions: core.sessions().list(),
                    zxid: core.last_zxid(),
                }))
            };
            let _ = tx.send(writer::Item::Snapshot(taken));
        }
        None
    }

    /// A batch the writer finished with (delivered or dropped).
    pub fn finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.room.notify_waiters();
    }

    /// Writing failed: nothing more is routed.
    pub fn set_failed(&self) {
        self.failed.store(true, Ordering::Release);
        self.room.notify_waiters();
    }

    /// Waits while too many batches wait for the disk (a client pipelining writes faster than
    /// the disk takes them waits here, instead of growing the server's memory).
    pub async fn room(&self) {
        loop {
            let wake = self.room.notified();
            if self.in_flight.load(Ordering::Acquire) < MAX_IN_FLIGHT
                || self.failed.load(Ordering::Acquire)
            {
                return;
            }
            wake.await;
        }
    }

    /// Waits until everything routed so far is delivered (or dropped, after a failure).
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = lock_of(&self.items)
            .as_ref()
            .is_some_and(|items| items.send(writer::Item::Flush(tx)).is_ok());
        if sent {
            let _ = rx.await;
        }
    }

    /// Stops the writer after it has written everything routed so far, and waits for it (and
    /// for a snapshot being written).
    pub fn stop(&self) {
        lock_of(&self.items).take();
        if let Some(t) = lock_of(&self.thread).take() {
            let _ = t.join();
        }
        // Nothing writes to the directory any more: another server may take it.
        lock_of(&self.lock).take();
    }
}
