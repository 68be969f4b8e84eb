//! Leader election on Curator's `LeaderLatch` layout (or kazoo's `Election`): participants
//! queue as ephemeral sequential nodes holding their id; the first is the leader, and each
//! other watches only the one before it.

use std::future::Future;
use std::time::Duration;

use zk_client::{Client, Error, Op, OpResult};

use crate::names::Layout;
use crate::ownership::Loss;
use crate::queue::{Owned, Queue};

/// A participant in the election at a path.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// use zk_recipes::LeaderLatch;
///
/// let latch = LeaderLatch::new(&zk, "/services/scheduler/leader", "host-a");
/// // Runs the scheduler while leader; stops it (drops the future) when leadership is lost.
/// match latch.run_while_leader(|| async { /* schedule */ }).await? {
///     Ok(()) => println!("done, leadership released"),
///     Err(loss) => eprintln!("leadership lost: {loss}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LeaderLatch {
    queue: Queue,
}

impl LeaderLatch {
    /// A participant with `id` (UTF-8, as its node's data; may be empty) in Curator's
    /// `LeaderLatch` layout at `path`: nodes `_c_<uuid>-latch-<seq>`, container parents.
    pub fn new(zk: &Client, path: &str, id: &str) -> LeaderLatch {
        LeaderLatch {
            queue: Queue {
                zk: zk.clone(),
                dir: path.trim_end_matches('/').to_string(),
                layout: Layout::Curator,
                name: "latch-",
                sort_names: &["latch-"],
                role: crate::queue::Role::Exclusive,
                data: id.as_bytes().to_vec(),
                grace: None,
            },
        }
    }

    /// A participant in kazoo's `Election` layout (the same as its `Lock`:
    /// `<uuid hex>__lock__<seq>` with the identifier as data).
    pub fn kazoo(zk: &Client, path: &str, identifier: &str) -> LeaderLatch {
        let mut latch = LeaderLatch::new(zk, path, identifier);
        latch.queue.layout = Layout::Kazoo;
        latch
    }

    /// Also count leadership as lost when the connection stays lost for `grace` (see
    /// [`crate::Lock::lost_after_disconnect`]).
    #[must_use]
    pub fn lost_after_disconnect(mut self, grace: Duration) -> LeaderLatch {
        self.queue.grace = Some(grace);
        self
    }

    /// Joins the election and waits until this participant leads. Dropping the future leaves
    /// the election (the node is deleted).
    pub async fn leadership(&self) -> Result<Leadership, Error> {
        match self.queue.acquire(None).await? {
            Some(owned) => Ok(Leadership { owned }),
            None => Err(Error::Timeout),
        }
    }

    /// Joins and waits at most `timeout` to lead; `None` when it did not (the node is
    /// deleted, so the participant leaves the election).
    pub async fn try_leadership(&self, timeout: Duration) -> Result<Option<Leadership>, Error> {
        let deadline = zk_client::deadline::from_now(timeout);
        Ok(self
            .queue
            .acquire(Some(deadline))
            .await?
            .map(|owned| Leadership { owned }))
    }

    /// Waits for leadership, then runs the future `work()` makes while leader: its output
    /// when it finishes (leadership is then released), or the [`Loss`] that cancelled it
    /// (the future is dropped as soon as leadership can no longer be guaranteed).
    pub async fn run_while_leader<F, Fut, T>(&self, work: F) -> Result<Result<T, Loss>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let leadership = self.leadership().await?;
        let outcome = tokio::select! {
            loss = leadership.lost() => Err(loss),
            out = work() => Ok(out),
        };
        leadership.release().await;
        Ok(outcome)
    }

    /// The participants' ids in order, leader first (nodes that vanish while being read are
    /// skipped).
    pub async fn participants(&self) -> Result<Vec<String>, Error> {
        let q = &self.queue;
        let children = match q.zk.get_children(&q.dir).await {
            Ok(c) => c,
            Err(Error::NoNode) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut ids = Vec::new();
        for c in crate::names::contenders(&children, q.layout, q.sort_names) {
            match q.zk.get_data(&format!("{}/{c}", q.dir)).await {
                Ok((data, _)) => ids.push(String::from_utf8_lossy(&data).into_owned()),
                Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ids)
    }
}

/// Being the leader. Dropping it leaves the election in the background;
/// [`Leadership::release`] does it now.
#[derive(Debug)]
pub struct Leadership {
    owned: Owned,
}

impl Leadership {
    /// This participant's node.
    pub fn node(&self) -> &str {
        &self.owned.node
    }

    /// A fencing token: the zxid that created this leader's node; later leaders' are larger
    /// (see [`crate::LockGuard::fencing_token`]).
    pub fn fencing_token(&self) -> i64 {
        self.owned.token
    }

    /// Resolves as soon as leadership can no longer be guaranteed.
    pub async fn lost(&self) -> Loss {
        self.owned.lost().await
    }

    /// The loss, if it already happened (`None`: still the leader, as far as is known).
    pub fn is_lost(&self) -> Option<Loss> {
        self.owned.lost_now()
    }

    /// Whether this participant still leads, as far as is known (no loss reported yet).
    pub fn is_leader(&self) -> bool {
        self.is_lost().is_none()
    }

    /// `ops` in one `multi` with a check that this leader's node still exists (see
    /// [`crate::LockGuard::multi`]).
    pub async fn multi(&self, ops: &[Op]) -> Result<Vec<OpResult>, Error> {
        self.owned.guarded(ops).await
    }

    /// Leaves the election (deletes the node); the next participant leads.
    pub async fn release(mut self) {
        self.owned.release().await;
    }
}
