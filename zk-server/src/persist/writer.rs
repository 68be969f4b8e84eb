//! The log writer: a thread of its own that takes the core's output in the order the core made
//! it, appends the transactions to the log, makes them durable with one sync for all that
//! arrived together (group commit), and only then hands the answers on. It rolls the log when
//! a snapshot is taken, and hands the snapshot to a second thread, which writes it and applies
//! retention. After a write or sync fails, nothing more is answered: the failure is reported
//! and every later batch is dropped.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;

use super::log::LogFiles;
use super::snap::{self, Taken};
use crate::core::Out;
use crate::ondisk::txnlog;

/// The most batches one sync covers (a group is what arrived while the last sync ran).
const MAX_GROUP: usize = 4096;

/// What the writer is handed, in order.
#[derive(Debug)]
pub enum Item {
    /// The core's output for one event: the transactions among it are logged, then all of it
    /// is delivered.
    Batch(Vec<Out>),
    /// A snapshot is due after the batches before it: the log rolls to a new file, and the
    /// copy (`None` when one is still being written: skipped, as ZooKeeper skips it) is
    /// written.
    Snapshot(Option<Box<Taken>>),
    /// Answered once everything before it is durable.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Where the writer's results go.
pub trait Sink: Send + Sync {
    /// A batch is durable (`true`: deliver it) or will never be (`false`: drop it).
    fn done(&self, outs: Vec<Out>, durable: bool);
    /// Writing failed: nothing is acknowledged from now on.
    fn fail(&self, why: String);
}

/// The writer's setup.
#[derive(Debug)]
pub struct Writer {
    /// The logs.
    pub log: LogFiles,
    /// The `version-2` directory.
    pub dir: PathBuf,
    /// Whether files are synced.
    pub fsync: bool,
    /// Snapshots kept by retention.
    pub retain: usize,
    /// Set while a snapshot is being written.
    pub snapping: Arc<AtomicBool>,
}

impl Writer {
    /// Runs until every sender is gone; then syncs, and waits for a snapshot being written.
    pub fn run(mut self, items: Receiver<Item>, sink: &dyn Sink) {
        let (snaps_tx, snaps_rx) = mpsc::channel::<Box<Taken>>();
        let (dir, fsync, retain) = (self.dir.clone(), self.fsync, self.retain);
        let snapping = self.snapping.clone();
        let snapper = std::thread::Builder::new()
            .name("zk-server-snapshot".into())
            .spawn(move || {
                for taken in snaps_rx {
                    take(&dir, &taken, fsync, retain);
                    snapping.store(false, Ordering::Release);
                }
            });
        let mut failed = false;
        while let Ok(first) = items.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match items.try_recv() {
                    Ok(item) => group.push(item),
                    Err(_) => break,
                }
            }
            let mut done = Vec::new();
            let mut flushes = Vec::new();
            let mut pending = Pending::default();
            for item in group {
                match item {
                    Item::Batch(outs) => {
                        if !failed {
                            pending.add(&outs);
                        }
                        done.push(outs);
                    }
                    Item::Snapshot(taken) => {
                        if !failed {
                            failed = self.write(&mut pending, sink, true);
                        }
                        match (taken, &snapper) {
                            (Some(t), Ok(_)) if !failed => {
                                let _ = snaps_tx.send(t);
                            }
                            _ => self.snapping.store(false, Ordering::Release),
                        }
                    }
                    Item::Flush(tx) => flushes.push(tx),
                }
            }
            if !failed {
                failed = self.write(&mut pending, sink, false);
            }
            for outs in done {
                sink.done(outs, !failed);
            }
            for f in flushes {
                let _ = f.send(());
            }
        }
        if !failed {
            let _ = self.log.roll();
        }
        drop(snaps_tx);
        if let Ok(t) = snapper {
            let _ = t.join();
        }
    }

    /// Appends and syncs what is pending (then rolls the log, when `roll`); whether it failed.
    fn write(&mut self, pending: &mut Pending, sink: &dyn Sink, roll: bool) -> bool {
        let bytes = std::mem::take(&mut pending.bytes);
        let first = pending.first.take();
        let mut result = match first {
            Some(zxid) => self.log.append(zxid, &bytes),
            None => Ok(()),
        };
        result = result.and_then(|()| self.log.sync());
        if roll {
            result = result.and_then(|()| self.log.roll());
        }
        match result {
            Ok(()) => false,
            Err(e) => {
                let why = format!("the transaction log cannot be written: {e}");
                tracing::error!("{why}; no write is acknowledged from now on");
                sink.fail(why);
                true
            }
        }
    }
}

/// The entries of a group not yet appended.
#[derive(Default)]
struct Pending {
    first: Option<i64>,
    bytes: Vec<u8>,
}

impl Pending {
    fn add(&mut self, outs: &[Out]) {
        for out in outs {
            if let Out::Log(l) = out {
                self.first.get_or_insert(l.header.zxid);
                self.bytes.extend_from_slice(&txnlog::encode_entry(
                    &l.header,
                    &l.body,
                    l.digest.as_ref(),
                ));
            }
        }
    }
}

/// Writes a snapshot and applies retention; a failure is reported and the server goes on (the
/// logs still hold every transaction, as ZooKeeper goes on after a failed snapshot).
fn take(dir: &std::path::Path, taken: &Taken, fsync: bool, retain: usize) {
    match snap::write(dir, taken, fsync) {
        Ok(path) => {
            tracing::debug!("snapshot {} written", path.display());
            match snap::purge(dir, retain) {
                Ok(gone) if !gone.is_empty() => {
                    tracing::debug!("retention deleted {} file(s)", gone.len());
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("retention failed: {e}"),
            }
        }
        Err(e) => tracing::warn!("snapshot at zxid {:#x} failed: {e}", taken.zxid),
    }
}
