//! Barriers on Curator's layouts: [`Barrier`] (`DistributedBarrier`: up while its node
//! exists) and [`DoubleBarrier`] (`DistributedDoubleBarrier`: members enter until a number is
//! reached, then leave together; ephemeral `<uuid>` member nodes and a persistent `ready`).

use zk_client::{Client, CreateMode, CreateOptions, Error};

use crate::queue::Pending;
use crate::source::Source;

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
    source: Source,
    path: String,
}

impl Barrier {
    /// The barrier at `path` (on a client's session, or a supervisor's: see [`Source`]).
    pub fn new(source: impl Into<Source>, path: &str) -> Barrier {
        Barrier {
            source: source.into(),
            path: path.to_string(),
        }
    }

    /// Raises the barrier (creates the node, persistent, container parents; already up is
    /// fine).
    pub async fn set(&self) -> Result<(), Error> {
        match self
            .source
            .client()
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
        match self.source.client().delete(&self.path, None).await {
            Ok(()) | Err(Error::NoNode) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Waits until the barrier is down. Cancel-safe (bound it with `tokio::time::timeout`).
    pub async fn wait(&self) -> Result<(), Error> {
        let zk = self.source.client();
        loop {
            let (stat, watcher) = zk.exists_watch(&self.path).await?;
            if stat.is_none() {
                return Ok(());
            }
            watcher.await?;
        }
    }
}

/// A double barrier: `members` participants enter, none goes on until all have; then they
/// leave, and none goes on until all have (Curator's `DistributedDoubleBarrier`; kazoo's
/// `DoubleBarrier` uses the same `ready` node and member nodes).
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// let round = zk_recipes::DoubleBarrier::new(&zk, "/rounds/42").members(3);
/// round.enter().await?; // all three are here
/// // ... compute ...
/// round.leave().await?; // all three are done
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DoubleBarrier {
    source: Source,
    path: String,
    members: usize,
    /// This member's node name: a UUID, as Curator's.
    name: String,
}

impl DoubleBarrier {
    /// This participant in the double barrier at `path` (on a client's session, or a
    /// supervisor's: see [`Source`]); [`DoubleBarrier::members`] says how many take part.
    pub fn new(source: impl Into<Source>, path: &str) -> DoubleBarrier {
        DoubleBarrier {
            source: source.into(),
            path: path.trim_end_matches('/').to_string(),
            members: 0,
            name: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// How many participants enter before any goes on (required: entering without it fails
    /// with [`Error::InvalidArgument`]).
    #[must_use]
    pub fn members(mut self, members: usize) -> DoubleBarrier {
        self.members = members;
        self
    }

    fn node(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// Enters: registers this member and waits until the members have entered.
    /// Cancel-safe: dropping the future (a `tokio::time::timeout` running out) removes this
    /// member's node again.
    pub async fn enter(&self) -> Result<(), Error> {
        if self.members == 0 {
            return Err(Error::InvalidArgument(format!(
                "the double barrier at {} needs its number of members (DoubleBarrier::members)",
                self.path
            )));
        }
        let zk = self.source.client();
        let ready = self.node(READY);
        match zk
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
        // Until everyone is in, giving up (an error, or the future dropped) takes this
        // member out again.
        let mut member = Pending {
            zk: zk.clone(),
            node: Some(self.node(&self.name)),
        };
        loop {
            let (stat, watcher) = zk.exists_watch(&ready).await?;
            if stat.is_some() {
                member.node = None;
                return Ok(());
            }
            // Every member counts, `ready` too (as Curator counts it).
            let present = zk.get_children(&self.path).await?.len();
            if present >= self.members {
                match zk.create(&ready, b"", &CreateOptions::default()).await {
                    Ok(_) | Err(Error::NodeExists) => {
                        member.node = None;
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                }
            }
            // Checked again after any wake-up (a spurious one included: Curator GH-1290).
            watcher.await?;
        }
    }

    /// Leaves: removes this member and waits until every member has left; the last one
    /// removes `ready`.
    pub async fn leave(&self) -> Result<(), Error> {
        let zk = &self.source.client();
        let mut deleted = false;
        loop {
            let mut members: Vec<String> = match zk.get_children(&self.path).await {
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
                self.delete_own(zk).await?;
                break;
            }
            let (stat, watcher) = if lowest == self.name {
                // The lowest waits for the highest to go.
                let highest = members.last().cloned().unwrap_or_default();
                zk.exists_watch(&self.node(&highest)).await?
            } else {
                if !deleted {
                    self.delete_own(zk).await?;
                    deleted = true;
                }
                zk.exists_watch(&self.node(&lowest)).await?
            };
            if stat.is_some() {
                watcher.await?;
            }
        }
        match zk.delete(&self.node(READY), None).await {
            Ok(()) | Err(Error::NoNode) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn delete_own(&self, zk: &Client) -> Result<(), Error> {
        match zk.delete(&self.node(&self.name), None).await {
            Ok(()) | Err(Error::NoNode) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
