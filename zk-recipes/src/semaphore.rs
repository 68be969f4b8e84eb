//! The counting semaphore on Curator's `InterProcessSemaphoreV2` layout: a lease is an
//! ephemeral sequential node under `<path>/leases` (`_c_<uuid>-lease-<seq>`); contenders take
//! turns through a lock on `<path>/locks` and, holding it, wait until the leases number at
//! most the maximum (their own included).

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, CreateOptions, Error, Op, OpResult};

use crate::lock::Lock;
use crate::ownership::Loss;
use crate::queue::{Owned, Pending};

/// A semaphore of `max_leases` at a path, shared with Curator's `InterProcessSemaphoreV2`
/// (which, like this, keeps the maximum in each participant, not in ZooKeeper: all must use
/// the same).
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// let pool = zk_recipes::Semaphore::new(&zk, "/limits/db-connections", 10);
/// let lease = pool.acquire().await?;
/// // ... one of at most ten ...
/// lease.release().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Semaphore {
    zk: Client,
    path: String,
    max_leases: usize,
    data: Vec<u8>,
    grace: Option<Duration>,
}

impl Semaphore {
    /// The semaphore at `path` allowing `max_leases` holders at once.
    pub fn new(zk: &Client, path: &str, max_leases: usize) -> Semaphore {
        Semaphore {
            zk: zk.clone(),
            path: path.trim_end_matches('/').to_string(),
            max_leases,
            data: Vec::new(),
            grace: None,
        }
    }

    /// The data of this holder's lease node (Curator's `setNodeData`).
    #[must_use]
    pub fn data(mut self, data: &[u8]) -> Semaphore {
        self.data = data.to_vec();
        self
    }

    /// Count a lease as lost after the connection stays lost for `grace` (see
    /// [`crate::Lock::lost_after_disconnect`]).
    #[must_use]
    pub fn lost_after_disconnect(mut self, grace: Duration) -> Semaphore {
        self.grace = Some(grace);
        self
    }

    /// Waits for a lease as long as it takes.
    pub async fn acquire(&self) -> Result<Lease, Error> {
        self.acquire_until(None).await?.ok_or(Error::Timeout)
    }

    /// Waits for a lease at most `timeout`; `None` when none came (nothing is left behind).
    pub async fn try_acquire(&self, timeout: Duration) -> Result<Option<Lease>, Error> {
        self.acquire_until(Some(zk_client::deadline::from_now(timeout)))
            .await
    }

    async fn acquire_until(&self, deadline: Option<Instant>) -> Result<Option<Lease>, Error> {
        let turn = Lock::new(&self.zk, &format!("{}/locks", self.path));
        let Some(turn) = turn.acquire_until(deadline).await? else {
            return Ok(None);
        };
        let leases = format!("{}/leases", self.path);
        let result = self.lease_while_holding(&leases, deadline).await;
        turn.release().await;
        result
    }

    async fn lease_while_holding(
        &self,
        leases: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<Lease>, Error> {
        let (node, stat) = self
            .zk
            .create_protected_all(
                &format!("{leases}/lease-"),
                &self.data,
                &CreateOptions::new(CreateMode::EphemeralSequential),
                CreateMode::Container,
            )
            .await?;
        let mut pending = Pending {
            zk: self.zk.clone(),
            node: Some(node.clone()),
        };
        let own = node.rsplit('/').next().unwrap_or(&node).to_string();
        loop {
            let (children, watcher) = self.zk.get_children_watch(leases).await?;
            if !children.contains(&own) {
                pending.node = None;
                return Err(Error::NoNode);
            }
            if children.len() <= self.max_leases {
                pending.node = None;
                return Ok(Some(Lease {
                    owned: Owned::new(&self.zk, node, stat.czxid, self.grace),
                }));
            }
            if !pending.wait(watcher, deadline).await? {
                return Ok(None);
            }
        }
    }
}

/// A held lease. Dropping it releases it in the background; [`Lease::release`] does it now.
#[derive(Debug)]
pub struct Lease {
    owned: Owned,
}

impl Lease {
    /// The lease node.
    pub fn node(&self) -> &str {
        &self.owned.node
    }

    /// Resolves as soon as the lease can no longer be guaranteed.
    pub async fn lost(&self) -> Loss {
        self.owned.lost().await
    }

    /// The loss, if it already happened.
    pub fn is_lost(&self) -> Option<Loss> {
        self.owned.lost_now()
    }

    /// `ops` in one `multi` with a check that the lease node still exists.
    pub async fn multi(&self, ops: &[Op]) -> Result<Vec<OpResult>, Error> {
        self.owned.guarded(ops).await
    }

    /// Gives the lease back.
    pub async fn release(mut self) {
        self.owned.release().await;
    }
}
