//! The counting semaphore on Curator's `InterProcessSemaphoreV2` layout: a lease is an
//! ephemeral sequential node under `<path>/leases` (`_c_<uuid>-lease-<seq>`); contenders take
//! turns through a lock on `<path>/locks` and, holding it, wait until the leases number at
//! most the maximum (their own included).

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, CreateOptions, Error};

use crate::held::held;
use crate::lock::Lock;
use crate::queue::{Owned, Pending, DEFAULT_GRACE};
use crate::source::Source;

/// A semaphore at a path with a number of leases (1 unless [`Semaphore::max_leases`] says
/// otherwise), shared with Curator's `InterProcessSemaphoreV2` (which, like this, keeps the
/// maximum in each participant, not in ZooKeeper: all must use the same).
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// let pool = zk_recipes::Semaphore::new(&zk, "/limits/db-connections").max_leases(10);
/// let lease = pool.acquire().await?;
/// // ... one of at most ten ...
/// lease.release().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Semaphore {
    source: Source,
    path: String,
    max_leases: usize,
    data: Vec<u8>,
    grace: Option<Duration>,
}

impl Semaphore {
    /// The semaphore at `path` (on a client's session, or a supervisor's: see [`Source`]),
    /// with one lease until [`Semaphore::max_leases`] says otherwise.
    pub fn new(source: impl Into<Source>, path: &str) -> Semaphore {
        Semaphore {
            source: source.into(),
            path: path.trim_end_matches('/').to_string(),
            max_leases: 1,
            data: Vec::new(),
            grace: DEFAULT_GRACE,
        }
    }

    /// How many holders at once.
    #[must_use]
    pub fn max_leases(mut self, max_leases: usize) -> Semaphore {
        self.max_leases = max_leases;
        self
    }

    /// The data of this holder's lease node (Curator's `setNodeData`).
    #[must_use]
    pub fn data(mut self, data: impl AsRef<[u8]>) -> Semaphore {
        self.data = data.as_ref().to_vec();
        self
    }

    /// Tolerate a lost connection for `grace` before a lease counts as lost (by default it
    /// is lost with the connection: see [`crate::Lock::lost_after_disconnect`] for why).
    #[must_use]
    pub fn lost_after_disconnect(mut self, grace: Duration) -> Semaphore {
        self.grace = Some(grace);
        self
    }

    /// Count a lease as lost only when the session ends or the node is deleted (see
    /// [`crate::Lock::lost_only_on_expiry`]).
    #[must_use]
    pub fn lost_only_on_expiry(mut self) -> Semaphore {
        self.grace = None;
        self
    }

    /// Waits for a lease as long as it takes. Cancel-safe: dropping the future leaves
    /// nothing behind.
    pub async fn acquire(&self) -> Result<Lease, Error> {
        self.acquire_until(None).await?.ok_or(Error::Timeout)
    }

    async fn acquire_until(&self, deadline: Option<Instant>) -> Result<Option<Lease>, Error> {
        let zk = self.source.client();
        let turn = Lock::new(&zk, &format!("{}/locks", self.path));
        let Some(turn) = turn.acquire_until(deadline).await? else {
            return Ok(None);
        };
        let leases = format!("{}/leases", self.path);
        let result = self.lease_while_holding(&zk, &leases, deadline).await;
        turn.release().await;
        result
    }

    async fn lease_while_holding(
        &self,
        zk: &Client,
        leases: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<Lease>, Error> {
        let (node, stat) = zk
            .create_protected_all(
                &format!("{leases}/lease-"),
                &self.data,
                &CreateOptions::new(CreateMode::EphemeralSequential),
                CreateMode::Container,
            )
            .await?;
        let mut pending = Pending {
            zk: zk.clone(),
            node: Some(node.clone()),
        };
        let own = node.rsplit('/').next().unwrap_or(&node).to_string();
        loop {
            let (children, watcher) = zk.get_children_watch(leases).await?;
            if !children.contains(&own) {
                pending.node = None;
                return Err(Error::NoNode);
            }
            if children.len() <= self.max_leases {
                pending.node = None;
                return Ok(Some(Lease {
                    owned: Owned::new(zk, node, stat.czxid, self.grace),
                }));
            }
            if !pending.wait(watcher, deadline).await? {
                return Ok(None);
            }
        }
    }
}

/// A held lease (see [`Held`](crate::Held) for what it can do; its fencing token is its
/// lease node's `czxid`). Dropping it gives it back in the background; [`Lease::release`]
/// does it now.
#[derive(Debug)]
pub struct Lease {
    owned: Owned,
}

held!(Lease);
