//! Barriers on Curator's layouts: [`Barrier`] (`DistributedBarrier`: up while its node
//! exists) and [`DoubleBarrier`] (`DistributedDoubleBarrier`: members enter until a number is
//! reached, then leave together; ephemeral `<uuid>` member nodes and a persistent `ready`).

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, CreateOptions, Error};

use crate::queue::wait;

/// The persistent node the last member to enter creates.
const READY: &str = "ready";

/// A barrier that holds everyone waiting on it while its node exists (Curator's
/// `DistributedBarrier`; kazoo's `Barrier` checks the same node).
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// let gate = zk_recipes::Barrier::new(&zk, "/gates/deploy");
/// gate.set().await?;      // the coordinator closes the gate
/// // workers: gate.wait().await?;
/// gate.remove().await?;   // and opens it
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Barrier {
    zk: Client,
    path: String,
}

impl Barrier {
    /// The barrier at `path`.
    pub fn new(zk: &Client, path: &str) -> Barrier {
        Barrier {
            zk: zk.clone(),
            path: path.to_string(),
        }
    }

    /// Raises the barrier (creates the node, persistent, container parents; already up is
    /// fine).
    pub async fn set(&self) -> Result<(), Error> {
        match self
            .zk
            .create_all(
                &self.path,
                b"",
                &CreateOptions::default(),
                CreateMode::Container,
            )
            .await
        {
            Ok(_) | Err(Error::NodeExists) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Removes the barrier (already gone is fine).
    pub async fn remove(&self) -> Result<(), Error> {
        match self.zk.delete(&self.path, None).await {
            Ok(()) | Err(Error::NoNode) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Waits until the barrier is down.
    pub async fn wait(&self) -> Result<(), Error> {
        self.wait_until(None).await.map(|_| ())
    }

    /// Waits at most `timeout`; `false` when the barrier is still up.
    pub async fn try_wait(&self, timeout: Duration) -> Result<bool, Error> {
        self.wait_until(Some(zk_client::deadline::from_now(timeout)))
            .await
    }

    async fn wait_until(&self, deadline: Option<Instant>) -> Result<bool, Error> {
        loop {
            let (stat, watcher) = self.zk.exists_watch(&self.path).await?;
            if stat.is_none() {
                return Ok(true);
            }
            if !wait(watcher, deadline).await? {
                return Ok(false);
            }
        }
    }
}

/// A double barrier: `members` participants enter, none goes on until all have; then they
/// leave, and none goes on until all have (Curator's `DistributedDoubleBarrier`; kazoo's
/// `DoubleBarrier` uses the same `ready` node and member nodes).
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// let round = zk_recipes::DoubleBarrier::new(&zk, "/rounds/42", 3);
/// round.enter().await?; // all three are here
/// // ... compute ...
/// round.leave().await?; // all three are done
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DoubleBarrier {
    zk: Client,
    path: String,
    members: usize,
    /// This member's node name: a UUID, as Curator's.
    name: String,
}

impl DoubleBarrier {
    /// This participant in the double barrier at `path` for `members` participants.
    pub fn new(zk: &Client, path: &str, members: usize) -> DoubleBarrier {
        DoubleBarrier {
            zk: zk.clone(),
            path: path.trim_end_matches('/').to_string(),
            members,
            name: uuid::Uuid::new_v4().to_string(),
        }
    }

    fn node(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// Enters: registers this member and waits until `members` have entered.
    pub async fn enter(&self) -> Result<(), Error> {
        self.enter_until(None).await.map(|_| ())
    }

    /// Enters, waiting at most `timeout`; `false` when not everyone came (this member's node
    /// is removed again).
    pub async fn try_enter(&self, timeout: Duration) -> Result<bool, Error> {
        self.enter_until(Some(zk_client::deadline::from_now(timeout)))
            .await
    }

    async fn enter_until(&self, deadline: Option<Instant>) -> Result<bool, Error> {
        let ready = self.node(READY);
        match self
            .zk
            .create_all(
                &self.node(&self.name),
                b"",
                &CreateOptions::new(CreateMode::Ephemeral),
                CreateMode::Container,
            )
            .await
        {
            Ok(_) | Err(Error::NodeExists) => {}
            Err(e) => return Err(e),
        }
        loop {
            let (stat, watcher) = self.zk.exists_watch(&ready).await?;
            if stat.is_some() {
                return Ok(true);
            }
            // Every member counts, `ready` too (as Curator counts it).
            let present = self.zk.get_children(&self.path).await?.len();
            if present >= self.members {
                match self.zk.create(&ready, b"", &CreateOptions::default()).await {
                    Ok(_) | Err(Error::NodeExists) => return Ok(true),
                    Err(e) => return Err(e),
                }
            }
            // Checked again after any wake-up (a spurious one included: Curator GH-1290).
            if !wait(watcher, deadline).await? {
                match self.zk.delete(&self.node(&self.name), None).await {
                    Ok(()) | Err(Error::NoNode) => {}
                    Err(e) => return Err(e),
                }
                return Ok(false);
            }
        }
    }

    /// Leaves: removes this member and waits until every member has left; the last one
    /// removes `ready`.
    pub async fn leave(&self) -> Result<(), Error> {
        let mut deleted = false;
        loop {
            let mut members: Vec<String> = match self.zk.get_children(&self.path).await {
                Ok(c) => c.into_iter().filter(|c| c != READY).collect(),
                Err(Error::NoNode) => Vec::new(),
                Err(e) => return Err(e),
            };
            members.sort();
            let Some(lowest) = members.first().cloned() else {
                break;
            };
            let ours = members.contains(&self.name);
            if !ours && !deleted {
                // Gone without our delete (session expired): nothing to wait for as a member.
                break;
            }
            if members.len() == 1 && ours {
                self.delete_own().await?;
                break;
            }
            let (stat, watcher) = if lowest == self.name {
                // The lowest waits for the highest to go.
                let highest = members.last().cloned().unwrap_or_default();
                self.zk.exists_watch(&self.node(&highest)).await?
            } else {
                if !deleted {
                    self.delete_own().await?;
                    deleted = true;
                }
                self.zk.exists_watch(&self.node(&lowest)).await?
            };
            if stat.is_some() {
                watcher.await?;
            }
        }
        match self.zk.delete(&self.node(READY), None).await {
            Ok(()) | Err(Error::NoNode) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn delete_own(&self) -> Result<(), Error> {
        match self.zk.delete(&self.node(&self.name), None).await {
            Ok(()) | Err(Error::NoNode) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
