//! The exclusive lock, on Curator's `InterProcessMutex` layout (or kazoo's `Lock`): each
//! contender creates an ephemeral sequential node under the lock's path; the first in order
//! owns the lock, and every other watches only the node just before its own, so a release
//! wakes exactly one waiter. The queue itself is [`crate::queue`].

use std::time::Duration;

use tokio::time::Instant;
use zk_client::Error;

use crate::held::held;
use crate::names::Layout;
use crate::queue::{Owned, Queue, Role};
use crate::source::Source;

/// An exclusive lock on a path, shared with Curator's `InterProcessMutex` (the default) or
/// kazoo's `Lock` ([`Lock::kazoo`]) on the same path.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use zk_recipes::Lock;
///
/// let lock = Lock::new(&zk, "/locks/nightly-job");
/// // Bounded like any future here; a timed-out acquire leaves nothing behind.
/// let Ok(guard) = tokio::time::timeout(Duration::from_secs(10), lock.acquire()).await else {
///     return Ok(()); // someone else has it
/// };
/// let guard = guard?;
/// // Runs the work until it is done or the lock can no longer be guaranteed.
/// guard.run_while_held(async { /* the work, writing through guard.multi(...) */ }).await?;
/// guard.release().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Lock {
    queue: Queue,
}

impl Lock {
    /// The lock at `path` (on a client's session, or a supervisor's: see [`Source`]), in
    /// Curator's `InterProcessMutex` layout: nodes `_c_<uuid>-lock-<seq>` with empty data,
    /// parents as containers.
    pub fn new(source: impl Into<Source>, path: &str) -> Lock {
        Lock {
            queue: Queue::new(source.into(), path, "lock-"),
        }
    }

    /// The same lock in kazoo's `Lock` layout: nodes `<uuid hex>__lock__<seq>` whose data is
    /// the contender's identifier (set it with [`Lock::data`]), parents as persistent nodes.
    /// (Curator's and kazoo's locks do not exclude each other on one path; pick the layout of
    /// the processes you share with.)
    #[must_use]
    pub fn kazoo(mut self) -> Lock {
        self.queue.layout = Layout::Kazoo;
        self
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
    pub fn data(mut self, data: impl AsRef<[u8]>) -> Lock {
        self.queue.data = data.as_ref().to_vec();
        self
    }

    /// Tolerate a lost connection for `grace` before the lock counts as lost. By default a
    /// guard counts as lost as soon as the connection is: the client notices a dead
    /// connection up to two thirds of the session timeout after the servers last heard from
    /// it, and they may expire the session (and let another process take the lock) one
    /// session timeout after that, so only no grace at all rules out two holders. A grace
    /// rides out short blips at that risk; keep it well under a third of the session timeout.
    #[must_use]
    pub fn lost_after_disconnect(mut self, grace: Duration) -> Lock {
        self.queue.grace = Some(grace);
        self
    }

    /// Count the lock as lost only when the session ends (its expiry, on the servers or the
    /// client's local one, or closing) or its node is deleted, never for a lost connection
    /// alone: the risk [`Lock::lost_after_disconnect`] describes, for as long as a session
    /// timeout.
    #[must_use]
    pub fn lost_only_on_expiry(mut self) -> Lock {
        self.queue.grace = None;
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

    /// Waits for the lock as long as it takes. Cancel-safe: dropping the future (a
    /// `tokio::time::timeout` running out, say) gives up the place in the queue, and the node
    /// is deleted, even one whose create was still in flight.
    pub async fn acquire(&self) -> Result<LockGuard, Error> {
        match self.queue.acquire(None).await? {
            Some(owned) => Ok(LockGuard { owned }),
            None => Err(Error::Timeout),
        }
    }
}

/// The held lock (see [`Held`](crate::Held) for what it can do). Dropping it releases the
/// lock in the background; [`LockGuard::release`] does it now.
#[derive(Debug)]
pub struct LockGuard {
    owned: Owned,
}

held!(LockGuard);
