//! The engine the lock, the read-write lock, leader election and the semaphore share: a queue
//! of ephemeral sequential nodes under a directory, where the first (or, for readers, every
//! node before the first writer) owns. A contender creates its node, finds its place, watches
//! only the node that blocks it, and takes its node away when it gives up (cancelled or timed
//! out); an owned node is watched for its loss and deleted on release.

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, CreateOptions, Error, OneshotWatcher, Op, OpResult};

use crate::names::{self, Layout};
use crate::ownership::{Loss, Watchdog};
use crate::source::Source;

/// How many times a contender whose node vanished while it waited (deleted by someone else)
/// creates a new one before giving up with [`Error::NoNode`].
const RECREATES: usize = 3;

/// Who owns in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The first node owns; each other waits for the node just before it.
    Exclusive,
    /// Every node before the first whose name contains `blocker` owns (a reader before any
    /// writer); a waiting one waits for that first blocker.
    Shared {
        /// The name part of the nodes that block (`__WRIT__`).
        blocker: &'static str,
    },
}

/// A queue of ephemeral sequential nodes where the first owns: the lock, and leader election.
#[derive(Debug, Clone)]
pub(crate) struct Queue {
    pub(crate) source: Source,
    pub(crate) dir: String,
    pub(crate) layout: Layout,
    /// Curator's lock name of this contender's node: `lock-`, `latch-`, `__READ__`, `__WRIT__`.
    pub(crate) name: &'static str,
    /// The lock names the sort key strips (Curator).
    pub(crate) sort_names: &'static [&'static str],
    /// Who owns: only the first, or (readers) everyone before the first writer.
    pub(crate) role: Role,
    pub(crate) data: Vec<u8>,
    /// How long a lost connection is tolerated before the owned node counts as lost (`None`:
    /// until the session's expiry). See [`DEFAULT_GRACE`].
    pub(crate) grace: Option<Duration>,
}

/// The default grace for a lost connection while owning: none. The client notices a dead
/// connection up to two thirds of the session timeout after it last heard from a server
/// (its read timeout), and the servers may expire the session one session timeout after they
/// last heard from it, so what is left when the client notices can be a third of the session
/// timeout or less, and another process may own next as soon as the session expires. Only
/// a grace of zero keeps that from ever overlapping; a longer one (`lost_after_disconnect`)
/// trades that for riding out short blips, and should stay well under a third of the
/// session timeout.
pub(crate) const DEFAULT_GRACE: Option<Duration> = Some(Duration::ZERO);

/// Removes a contender's node unless disarmed: when an acquire is cancelled (its future
/// dropped) or times out, its node must not stay in the queue.
pub(crate) struct Pending {
    pub(crate) zk: Client,
    pub(crate) node: Option<String>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            let zk = self.zk.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { delete_own(&zk, &node).await });
            }
        }
    }
}

/// Waits for `watcher` until `deadline` (`None`: as long as it takes): `Ok(false)` when the
/// deadline came first.
pub(crate) async fn wait(
    watcher: OneshotWatcher,
    deadline: Option<Instant>,
) -> Result<bool, Error> {
    match deadline {
        Some(at) => match tokio::time::timeout_at(at, watcher).await {
            Ok(event) => event.map(|_| true),
            Err(_) => Ok(false),
        },
        None => watcher.await.map(|_| true),
    }
}

impl Pending {
    /// Waits for `watcher` until `deadline`; when the deadline comes first, deletes the node
    /// now and answers `false`.
    pub(crate) async fn wait(
        &mut self,
        watcher: OneshotWatcher,
        deadline: Option<Instant>,
    ) -> Result<bool, Error> {
        if wait(watcher, deadline).await? {
            return Ok(true);
        }
        if let Some(node) = self.node.take() {
            delete_own(&self.zk, &node).await;
        }
        Ok(false)
    }
}

/// Deletes one's own node, tolerating its absence and retrying while the connection is lost
/// (an ephemeral node goes with its session anyway).
pub(crate) async fn delete_own(zk: &Client, node: &str) {
    for _ in 0..5 {
        match zk.delete(node, None).await {
            Ok(()) | Err(Error::NoNode) => return,
            Err(Error::ConnectionLoss | Error::Timeout) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => {
                tracing::debug!("could not delete {node}: {e}");
                return;
            }
        }
    }
}

impl Queue {
    fn node_path(&self) -> String {
        match self.layout {
            Layout::Curator => format!("{}/{}", self.dir, self.name),
            Layout::Kazoo => format!("{}/{}", self.dir, names::KAZOO_LOCK),
        }
    }

    /// A queue at `path` on `source`, with the defaults (Curator's layout, exclusive, no
    /// data, [`DEFAULT_GRACE`]); `name` is Curator's lock name of its nodes.
    pub(crate) fn new(source: Source, path: &str, name: &'static str) -> Queue {
        Queue {
            source,
            dir: path.trim_end_matches('/').to_string(),
            layout: Layout::Curator,
            name,
            sort_names: match name {
                "lock-" => &["lock-"],
                "latch-" => &["latch-"],
                _ => &[],
            },
            role: Role::Exclusive,
            data: Vec::new(),
            grace: DEFAULT_GRACE,
        }
    }

    /// Creates this contender's node (and the parents when missing).
    async fn create(&self, zk: &Client) -> Result<String, Error> {
        let (parents, prefix) = match self.layout {
            Layout::Curator => (CreateMode::Container, names::node_prefix(Layout::Curator)),
            Layout::Kazoo => (CreateMode::Persistent, names::node_prefix(Layout::Kazoo)),
        };
        let (path, _) = zk
            .create_prefixed(
                &self.node_path(),
                &prefix,
                &self.data,
                &CreateOptions::new(CreateMode::EphemeralSequential),
                Some(parents),
            )
            .await?;
        Ok(path)
    }

    /// Waits to be first, until `deadline` (`None`: for ever). `Ok(None)` when the deadline
    /// passed first (the node is deleted then); dropping the future deletes it too.
    pub(crate) async fn acquire(&self, deadline: Option<Instant>) -> Result<Option<Owned>, Error> {
        // One session for the whole acquire: on a supervisor, the one current now.
        let zk = &self.source.client();
        let mut recreated = 0;
        'create: loop {
            let node = self.create(zk).await?;
            let mut pending = Pending {
                zk: zk.clone(),
                node: Some(node.clone()),
            };
            let own = node.rsplit('/').next().unwrap_or(&node).to_string();
            loop {
                let children = match zk.get_children(&self.dir).await {
                    Ok(c) => c,
                    Err(Error::NoNode) => Vec::new(),
                    Err(e) => return Err(e),
                };
                let order = names::contenders(&children, self.layout, self.sort_names);
                let Some(index) = order.iter().position(|c| *c == own) else {
                    // Our node is gone (deleted by someone else): queue again, as Curator does.
                    pending.node = None;
                    if recreated == RECREATES {
                        return Err(Error::NoNode);
                    }
                    recreated += 1;
                    continue 'create;
                };
                // The node to wait for, if any.
                let wait_for = match self.role {
                    Role::Exclusive => index.checked_sub(1),
                    Role::Shared { blocker } => {
                        order[..index].iter().position(|c| c.contains(blocker))
                    }
                };
                if wait_for.is_none() {
                    // Owned only if the node is this session's (CURATOR-604, -696: an expired
                    // session's node can still be listed for a moment).
                    match zk.exists(&node).await? {
                        Some(stat) if stat.ephemeral_owner == zk.session_id() => {
                            pending.node = None;
                            return Ok(Some(Owned::new(zk, node, stat.czxid, self.grace)));
                        }
                        _ => {
                            pending.node = None;
                            if recreated == RECREATES {
                                return Err(Error::NoNode);
                            }
                            recreated += 1;
                            continue 'create;
                        }
                    }
                }
                let Some(before) = wait_for.map(|i| format!("{}/{}", self.dir, order[i])) else {
                    continue;
                };
                let watcher = match zk.get_data_watch(&before).await {
                    Ok((_, _, w)) => w,
                    // Gone already: look again.
                    Err(Error::NoNode) => continue,
                    Err(e) => return Err(e),
                };
                if !pending.wait(watcher, deadline).await? {
                    return Ok(None);
                }
            }
        }
    }
}

/// Something owned through a queue node: the lock, a leadership.
#[derive(Debug)]
pub(crate) struct Owned {
    pub(crate) zk: Client,
    pub(crate) node: String,
    pub(crate) token: i64,
    watchdog: Watchdog,
    released: bool,
}

impl Owned {
    /// Owning `node` (created at zxid `token`) from now on, watched for loss.
    pub(crate) fn new(zk: &Client, node: String, token: i64, grace: Option<Duration>) -> Owned {
        Owned {
            zk: zk.clone(),
            watchdog: Watchdog::watch(zk.clone(), node.clone(), grace),
            node,
            token,
            released: false,
        }
    }

    pub(crate) fn lost_now(&self) -> Option<Loss> {
        self.watchdog.lost_now()
    }

    pub(crate) async fn lost(&self) -> Loss {
        self.watchdog.lost().await
    }

    pub(crate) async fn guarded(&self, ops: &[Op]) -> Result<Vec<OpResult>, Error> {
        if let Some(loss) = self.lost_now() {
            tracing::debug!("guarded write refused: {loss}");
            return Err(Error::NoNode);
        }
        let mut all = Vec::with_capacity(ops.len() + 1);
        all.push(Op::check(self.node.clone(), -1));
        all.extend_from_slice(ops);
        let mut results = self.zk.multi(&all).await?;
        results.remove(0);
        Ok(results)
    }

    pub(crate) async fn release(&mut self) {
        if !self.released {
            self.released = true;
            // Stop watching first: our own delete is not a loss.
            self.watchdog.stop();
            delete_own(&self.zk, &self.node).await;
        }
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.released {
            self.released = true;
            self.watchdog.stop();
            let (zk, node) = (self.zk.clone(), self.node.clone());
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { delete_own(&zk, &node).await });
            }
        }
    }
}
