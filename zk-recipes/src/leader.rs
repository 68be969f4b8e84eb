//! Leader election on Curator's `LeaderLatch` layout (or kazoo's `Election`): participants
//! queue as ephemeral sequential nodes holding their id; the first is the leader, and each
//! other watches only the one before it.

use std::time::Duration;

use zk_client::{Client, Error};

use crate::held::held;
use crate::names::Layout;
use crate::queue::{Owned, Queue};
use crate::source::Source;

/// A participant in the election at a path.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use zk_recipes::LeaderLatch;
///
/// let latch = LeaderLatch::new(&zk, "/services/scheduler/leader").id("host-a");
/// let leadership = latch.acquire().await?;
/// // Runs the scheduler while leader; stops it (drops the future) when leadership is lost.
/// leadership.run_while_held(async { /* schedule */ }).await?;
/// leadership.release().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LeaderLatch {
    queue: Queue,
}

impl LeaderLatch {
    /// A participant in the election at `path` (on a client's session, or a supervisor's:
    /// see [`Source`]), in Curator's `LeaderLatch` layout: nodes `_c_<uuid>-latch-<seq>`,
    /// container parents, and an empty id until [`LeaderLatch::id`] sets one.
    pub fn new(source: impl Into<Source>, path: &str) -> LeaderLatch {
        LeaderLatch {
            queue: Queue::new(source.into(), path, "latch-"),
        }
    }

    /// This participant's id (UTF-8, its node's data), as [`LeaderLatch::participants`] and
    /// the other clients' latches list it.
    #[must_use]
    pub fn id(mut self, id: &str) -> LeaderLatch {
        self.queue.data = id.as_bytes().to_vec();
        self
    }

    /// The same participant in kazoo's `Election` layout (the same as its `Lock`:
    /// `<uuid hex>__lock__<seq>` with the identifier as data).
    #[must_use]
    pub fn kazoo(mut self) -> LeaderLatch {
        self.queue.layout = Layout::Kazoo;
        self
    }

    /// Tolerate a lost connection for `grace` before leadership counts as lost (by default
    /// it is lost with the connection: see [`crate::Lock::lost_after_disconnect`] for why).
    #[must_use]
    pub fn lost_after_disconnect(mut self, grace: Duration) -> LeaderLatch {
        self.queue.grace = Some(grace);
        self
    }

    /// Count leadership as lost only when the session ends or the node is deleted (see
    /// [`crate::Lock::lost_only_on_expiry`]).
    #[must_use]
    pub fn lost_only_on_expiry(mut self) -> LeaderLatch {
        self.queue.grace = None;
        self
    }

    /// Joins the election and waits until this participant leads. Cancel-safe: dropping the
    /// future leaves the election (the node is deleted).
    pub async fn acquire(&self) -> Result<Leadership, Error> {
        match self.queue.acquire(None).await? {
            Some(owned) => Ok(Leadership { owned }),
            None => Err(Error::Timeout),
        }
    }

    /// The participants' ids in order, leader first (nodes that vanish while being read are
    /// skipped).
    pub async fn participants(&self) -> Result<Vec<String>, Error> {
        let q = &self.queue;
        let zk: Client = q.source.client();
        let children = match zk.get_children(&q.dir).await {
            Ok(c) => c,
            Err(Error::NoNode) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut ids = Vec::new();
        for c in crate::names::contenders(&children, q.layout, q.sort_names) {
            match zk.get_data(&format!("{}/{c}", q.dir)).await {
                Ok((data, _)) => ids.push(String::from_utf8_lossy(&data).into_owned()),
                Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ids)
    }
}

/// Being the leader (see [`Held`](crate::Held) for what it can do). Dropping it leaves the
/// election in the background; [`Leadership::release`] does it now, and the next participant
/// leads.
#[derive(Debug)]
pub struct Leadership {
    owned: Owned,
}

held!(Leadership);
