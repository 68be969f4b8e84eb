//! The exclusive lock, on Curator's `InterProcessMutex` layout (or kazoo's `Lock`): each
//! contender creates an ephemeral sequential node under the lock's path; the first in order
//! owns the lock, and every other watches only the node just before its own, so a release
//! wakes exactly one waiter. The queue itself is [`crate::queue`].

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, Error, Op, OpResult};

use crate::names::Layout;
use crate::ownership::Loss;
use crate::queue::{Owned, Queue, Role};

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
