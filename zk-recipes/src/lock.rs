//! The exclusive lock, on Curator's `InterProcessMutex` layout (or kazoo's `Lock`): each
//! contender creates an ephemeral sequential node under the lock's path; the first in order
//! owns the lock, and every other watches only the node just before its own, so a release
//! wakes exactly one waiter.

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, CreateOptions, Error, OneshotWatcher, Op, OpResult};

use crate::names::{self, Layout};
use crate::ownership::{Loss, Ownership};

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
    pub(crate) zk: Client,
    pub(crate) dir: String,
    pub(crate) layout: Layout,
    /// Curator's lock name of this contender's node: `lock-`, `latch-`, `__READ__`, `__WRIT__`.
    pub(crate) name: &'static str,
    /// The lock names the sort key strips (Curator).
    pub(crate) sort_names: &'static [&'static str],
    /// Who owns: only the first, or (readers) everyone before the first writer.
    pub(crate) role: Role,
    pub(crate) data: Vec<u8>,
    pub(crate) grace: Option<Duration>,
}

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

    /// Creates this contender's node (and the parents when missing).
    async fn create(&self) -> Result<String, Error> {
        let (parents, prefix) = match self.layout {
            Layout::Curator => (CreateMode::Container, names::node_prefix(Layout::Curator)),
            Layout::Kazoo => (CreateMode::Persistent, names::node_prefix(Layout::Kazoo)),
        };
        let (path, _) = self
            .zk
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
        let mut recreated = 0;
        'create: loop {
            let node = self.create().await?;
            let mut pending = Pending {
                zk: self.zk.clone(),
                node: Some(node.clone()),
            };
            let own = node.rsplit('/').next().unwrap_or(&node).to_string();
            loop {
                let children = match self.zk.get_children(&self.dir).await {
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
                    match self.zk.exists(&node).await? {
                        Some(stat) if stat.ephemeral_owner == self.zk.session_id() => {
                            pending.node = None;
                            return Ok(Some(Owned::new(&self.zk, node, stat.czxid, self.grace)));
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
                let watcher = match self.zk.get_data_watch(&before).await {
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
    ownership: Ownership,
    released: bool,
}

impl Owned {
    /// Owning `node` (created at zxid `token`) from now on, watched for loss.
    pub(crate) fn new(zk: &Client, node: String, token: i64, grace: Option<Duration>) -> Owned {
        Owned {
            zk: zk.clone(),
            ownership: Ownership::watch(zk.clone(), node.clone(), grace),
            node,
            token,
            released: false,
        }
    }

    pub(crate) fn lost_now(&self) -> Option<Loss> {
        self.ownership.lost_now()
    }

    pub(crate) async fn lost(&self) -> Loss {
        self.ownership.lost().await
    }

    pub(crate) async fn guarded(&self, ops: &[Op]) -> Result<Vec<OpResult>, Error> {
        if let Some(loss) = self.lost_now() {
            tracing::debug!("guarded write refused: {loss}");
            return Err(Error::NoNode);
        }
        let mut all = Vec::with_capacity(ops.len() + 1);
        all.push(Op::Check {
            path: self.node.clone(),
            version: -1,
        });
        all.extend_from_slice(ops);
        let mut results = self.zk.multi(&all).await?;
        results.remove(0);
        Ok(results)
    }

    pub(crate) async fn release(&mut self) {
        if !self.released {
            self.released = true;
            // Stop watching first: our own delete is not a loss.
            self.ownership.stop();
            delete_own(&self.zk, &self.node).await;
        }
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.released {
            self.released = true;
            self.ownership.stop();
            let (zk, node) = (self.zk.clone(), self.node.clone());
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { delete_own(&zk, &node).await });
            }
        }
    }
}

/// An exclusive lock on a path, shared with Curator's `InterProcessMutex` (the default) or
/// kazoo's `Lock` ([`Lock::kazoo`]) on the same path.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// use std::time::Duration;
/// use zk_recipes::Lock;
///
/// let lock = Lock::new(&zk, "/locks/nightly-job");
/// let Some(guard) = lock.try_acquire(Duration::from_secs(10)).await? else {
///     return Ok(()); // someone else has it
/// };
/// tokio::select! {
///     loss = guard.lost() => eprintln!("lost the lock: {loss}"),
///     _ = async { /* the work, writing through guard.multi(...) */ } => {}
/// }
/// guard.release().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Lock {
    queue: Queue,
}

impl Lock {
    /// The lock at `path` in Curator's `InterProcessMutex` layout: nodes
    /// `_c_<uuid>-lock-<seq>` with empty data, parents as containers.
    pub fn new(zk: &Client, path: &str) -> Lock {
        Lock {
            queue: Queue {
                zk: zk.clone(),
                dir: path.trim_end_matches('/').to_string(),
                layout: Layout::Curator,
                name: "lock-",
                sort_names: &["lock-"],
                role: Role::Exclusive,
                data: Vec::new(),
                grace: None,
            },
        }
    }

    /// The lock at `path` in kazoo's `Lock` layout: nodes `<uuid hex>__lock__<seq>` whose data
    /// is `identifier` (UTF-8), parents as persistent nodes. (Curator's and kazoo's locks do
    /// not exclude each other on one path; pick the layout of the processes you share with.)
    pub fn kazoo(zk: &Client, path: &str, identifier: &str) -> Lock {
        let mut lock = Lock::new(zk, path);
        lock.queue.layout = Layout::Kazoo;
        lock.queue.data = identifier.as_bytes().to_vec();
        lock
    }

    /// The same lock with another node name, sort names and role (the read-write lock's sides).
    pub(crate) fn queued_as(
        mut self,
        name: &'static str,
        sort_names: &'static [&'static str],
        role: Role,
    ) -> Lock {
        self.queue.name = name;
        self.queue.sort_names = sort_names;
        self.queue.role = role;
        self
    }

    /// The data of this contender's node (Curator writes the host's address; kazoo its
    /// identifier).
    #[must_use]
    pub fn data(mut self, data: &[u8]) -> Lock {
        self.queue.data = data.to_vec();
        self
    }

    /// Also count the lock as lost when the connection stays lost for `grace` (the session
    /// may already have expired on the servers, and another process hold the lock). Without
    /// it, loss is reported on expiry (the servers', or the client's local expiry after a
    /// whole session timeout without a server), closing, or deletion of the node.
    #[must_use]
    pub fn lost_after_disconnect(mut self, grace: Duration) -> Lock {
        self.queue.grace = Some(grace);
        self
    }

    /// Waits for the lock until `deadline` (`None`: as long as it takes).
    pub(crate) async fn acquire_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<Option<LockGuard>, Error> {
        Ok(self
            .queue
            .acquire(deadline)
            .await?
            .map(|owned| LockGuard { owned }))
    }

    /// Waits for the lock as long as it takes. Dropping the future gives up the place in
    /// the queue (the node is deleted).
    pub async fn acquire(&self) -> Result<LockGuard, Error> {
        match self.queue.acquire(None).await? {
            Some(owned) => Ok(LockGuard { owned }),
            None => Err(Error::Timeout),
        }
    }

    /// Waits for the lock at most `timeout`: `None` when it did not come (the node is
    /// deleted).
    pub async fn try_acquire(&self, timeout: Duration) -> Result<Option<LockGuard>, Error> {
        let deadline = zk_client::deadline::from_now(timeout);
        Ok(self
            .queue
            .acquire(Some(deadline))
            .await?
            .map(|owned| LockGuard { owned }))
    }
}

/// The held lock. Dropping it releases the lock in the background; [`LockGuard::release`]
/// does it now.
#[derive(Debug)]
pub struct LockGuard {
    owned: Owned,
}

impl LockGuard {
    /// The lock node's path.
    pub fn node(&self) -> &str {
        &self.owned.node
    }

    /// A fencing token: the zxid that created this holder's lock node (its `czxid`). Holders
    /// own the lock in the order of their nodes' sequence numbers, which is the order the
    /// nodes were created in, so each later holder's token is larger than every earlier
    /// one's; a resource that refuses writes with a token lower than the highest it has seen
    /// keeps a holder that lost the lock (and does not know yet) from overwriting its
    /// successor.
    pub fn fencing_token(&self) -> i64 {
        self.owned.token
    }

    /// Resolves as soon as the lock can no longer be guaranteed (see [`Loss`]).
    pub async fn lost(&self) -> Loss {
        self.owned.lost().await
    }

    /// The loss, if it already happened.
    pub fn is_lost(&self) -> Option<Loss> {
        self.owned.lost_now()
    }

    /// Runs `ops` as one `multi` together with a check that the lock node still exists, so
    /// they are applied only while the lock is held: after a loss the multi fails (with
    /// [`Error::MultiFailed`] naming operation 0, or [`Error::NoNode`] once the loss is
    /// known) instead of racing the next holder. Returns the results of `ops`.
    pub async fn multi(&self, ops: &[Op]) -> Result<Vec<OpResult>, Error> {
        self.owned.guarded(ops).await
    }

    /// Releases the lock (deletes the node). Calling it again, or dropping the guard after
    /// it, does nothing more.
    pub async fn release(mut self) {
        self.owned.release().await;
    }
}
