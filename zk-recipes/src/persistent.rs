//! A node that stays (like Curator's `PersistentNode`): typically an ephemeral node that
//! announces this process. It is created with its parents, created again when someone deletes
//! it, and, on a [`Supervisor`](crate::Supervisor), created again on each new session after an expiry. Group
//! membership ([`GroupMember`], Curator's `GroupMember` layout) is one such node per member.

use std::collections::BTreeMap;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use zk_client::{Client, CreateMode, CreateOptions, Error};

use crate::source::Source;

/// A node kept in place: created with its parents, created again when someone deletes it,
/// and, on a [`Supervisor`](crate::Supervisor), on each new session. Dropping it stops
/// keeping it and deletes it in the background.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// use zk_recipes::PersistentNode;
/// let announced = PersistentNode::new(&zk, "/services/api/host-a")
///     .data(b"10.0.0.7:8080")
///     .start()
///     .await?;
/// # let _ = announced; Ok(()) }
/// ```
#[derive(Debug)]
pub struct PersistentNode {
    source: Source,
    path: String,
    data: Vec<u8>,
    mode: CreateMode,
    /// Whether the node exists now, as far as the keeper knows; `None` once it stopped.
    present: Option<watch::Receiver<Option<bool>>>,
    /// Whether to move to a supervisor's next session after an expiry.
    follow: bool,
    task: Option<JoinHandle<()>>,
}

impl Drop for PersistentNode {
    fn drop(&mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        task.abort();
        let zk = self.source.client();
        let path = self.path.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = zk.delete(&path, None).await;
            });
        }
    }
}

impl PersistentNode {
    /// The node at `path` (on a client's session, or a supervisor's: see [`Source`]): an
    /// ephemeral node with empty data unless [`PersistentNode::data`] and
    /// [`PersistentNode::mode`] say otherwise; parents are containers. Nothing is created
    /// until [`PersistentNode::start`].
    pub fn new(source: impl Into<Source>, path: &str) -> PersistentNode {
        PersistentNode {
            source: source.into(),
            path: path.to_string(),
            data: Vec::new(),
            mode: CreateMode::Ephemeral,
            present: None,
            follow: true,
            task: None,
        }
    }

    /// On a supervisor, stop keeping the node at the first expiry
    /// ([`PersistentNode::wait_present`] then fails with [`Error::SessionExpired`]) instead
    /// of creating it again on the next session. (On a plain client that is what happens
    /// anyway.)
    #[must_use]
    pub fn stop_at_expiry(mut self) -> PersistentNode {
        self.follow = false;
        self
    }

    /// The node's data.
    #[must_use]
    pub fn data(mut self, data: impl AsRef<[u8]>) -> PersistentNode {
        self.data = data.as_ref().to_vec();
        self
    }

    /// The node's mode (default ephemeral; a sequential mode is refused by `start`, since
    /// each re-creation would make another node).
    #[must_use]
    pub fn mode(mut self, mode: CreateMode) -> PersistentNode {
        self.mode = mode;
        self
    }

    /// Creates the node and starts keeping it. Fails with the first create's error when it
    /// is one that trying again cannot mend (an invalid path, no permission, a parent that
    /// is ephemeral, a sequential mode); a node that exists already (someone else's
    /// ephemeral, say) is waited for and replaced when it goes.
    pub async fn start(mut self) -> Result<PersistentNode, Error> {
        if matches!(
            self.mode,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        ) {
            return Err(Error::InvalidArgument(format!(
                "a persistent node cannot be sequential ({:?} for {})",
                self.mode, self.path
            )));
        }
        if self.task.is_some() {
            return Err(Error::InvalidArgument(format!(
                "the node {} is kept already",
                self.path
            )));
        }
        if !self.follow {
            self.source = self.source.current_only();
        }
        let (tx, mut present) = watch::channel(None);
        let keeper = Keeper {
            path: self.path.clone(),
            data: self.data.clone(),
            mode: self.mode,
            present: tx,
        };
        let (first_tx, first) = tokio::sync::oneshot::channel();
        self.task = Some(tokio::spawn(keeper.run(self.source.sessions(), first_tx)));
        match first.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                self.task = None;
                return Err(e);
            }
            // The keeper stopped before creating anything: the session ended first.
            Err(_) => {
                self.task = None;
                let state = self.source.client().state();
                return Err(if state.is_terminal() {
                    state.ending_error()
                } else {
                    Error::Closed
                });
            }
        }
        present.borrow_and_update();
        self.present = Some(present);
        Ok(self)
    }

    /// The node's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the node exists now, as far as the keeper knows.
    pub fn is_present(&self) -> bool {
        self.present
            .as_ref()
            .is_some_and(|p| p.borrow().unwrap_or(false))
    }

    /// Waits until the node exists (now, or once re-created). Fails with the session's
    /// error when the node can no longer be kept (its session ended, on a plain client).
    /// Cancel-safe: bound it with `tokio::time::timeout`.
    pub async fn wait_present(&self) -> Result<(), Error> {
        let Some(present) = &self.present else {
            return Err(Error::InvalidArgument(format!(
                "the node {} is not started",
                self.path
            )));
        };
        let mut rx = present.clone();
        let present = rx.wait_for(|p| *p == Some(true)).await.is_ok();
        if present {
            Ok(())
        } else {
            Err(self.source.client().state().ending_error())
        }
    }
}

struct Keeper {
    path: String,
    data: Vec<u8>,
    mode: CreateMode,
    /// `Some(present)` while kept; the channel closes when the keeper stops.
    present: watch::Sender<Option<bool>>,
}

/// How keeping the node on one session ended.
enum Kept {
    /// The session ended.
    SessionEnded,
    /// A supervisor made a new session.
    NewSession,
    /// The first create failed in a way trying again cannot mend.
    Failed,
}

/// Where the first create's outcome goes (once).
type First = Option<tokio::sync::oneshot::Sender<Result<(), Error>>>;

impl Keeper {
    async fn run(
        self,
        mut sessions: watch::Receiver<Client>,
        first: tokio::sync::oneshot::Sender<Result<(), Error>>,
    ) {
        let mut first = Some(first);
        loop {
            let zk = sessions.borrow_and_update().clone();
            let ended = tokio::select! {
                kept = self.keep(&zk, &mut first) => kept,
                // A new session (on a supervisor; on a plain client this never matches).
                Ok(()) = sessions.changed() => Kept::NewSession,
            };
            let _ = self.present.send(Some(false));
            match ended {
                Kept::Failed => return,
                Kept::NewSession => {}
                // Wait for the next session: none on a plain client.
                Kept::SessionEnded => {
                    if sessions.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Keeps the node on one session; returns when the session has ended, or when the first
    /// create failed for good (after telling `first`).
    async fn keep(&self, zk: &Client, first: &mut First) -> Kept {
        loop {
            match zk
                .create_all(
                    &self.path,
                    &self.data,
                    &CreateOptions::new(self.mode),
                    CreateMode::Container,
                )
                .await
            {
                Ok(_) | Err(Error::NodeExists) => {
                    if let Some(first) = first.take() {
                        let _ = first.send(Ok(()));
                    }
                }
                Err(Error::ConnectionLoss | Error::Timeout) => continue,
                Err(e) => {
                    tracing::debug!("keeping {}: {e}", self.path);
                    if zk.state().is_terminal() {
                        return Kept::SessionEnded;
                    }
                    if let Some(first) = first.take() {
                        let _ = first.send(Err(e));
                        return Kept::Failed;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    continue;
                }
            }
            let (stat, watcher) = match zk.exists_watch(&self.path).await {
                Ok(x) => x,
                Err(Error::ConnectionLoss | Error::Timeout) => continue,
                Err(_) => return Kept::SessionEnded,
            };
            let ours = stat.as_ref().is_some_and(|s| {
                !matches!(self.mode, CreateMode::Ephemeral) || s.ephemeral_owner == zk.session_id()
            });
            // Another session's ephemeral node at the path (ours from an expired session, not
            // yet removed by the server): wait for it to go, then create ours.
            let _ = self.present.send(Some(ours));
            if watcher.await.is_err() {
                return Kept::SessionEnded;
            }
        }
    }
}

/// A member of a group (Curator's `GroupMember` layout: an ephemeral `<path>/<id>` node with
/// the member's payload), kept through deletions and, on a supervisor, new sessions.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// use zk_recipes::GroupMember;
/// let me = GroupMember::new(&zk, "/services/api/members")
///     .id("host-a")
///     .payload(b"10.0.0.7:8080")
///     .join()
///     .await?;
/// for (id, payload) in me.members().await? {
///     println!("{id}: {}", String::from_utf8_lossy(&payload));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct GroupMember {
    source: Source,
    group: String,
    id: String,
    payload: Vec<u8>,
    /// Whether to join again on a supervisor's next session after an expiry.
    follow: bool,
    /// This member's node, once joined.
    node: Option<PersistentNode>,
}

impl GroupMember {
    /// A member of the group at `path` (on a client's session, or a supervisor's: see
    /// [`Source`]), with a random id (a UUID) until [`GroupMember::id`] sets one, and an
    /// empty payload. Nothing is created until [`GroupMember::join`].
    pub fn new(source: impl Into<Source>, path: &str) -> GroupMember {
        GroupMember {
            source: source.into(),
            group: path.trim_end_matches('/').to_string(),
            id: uuid::Uuid::new_v4().to_string(),
            payload: Vec::new(),
            follow: true,
            node: None,
        }
    }

    /// On a supervisor, leave the group at the first expiry instead of joining again on the
    /// next session (see [`PersistentNode::stop_at_expiry`]).
    #[must_use]
    pub fn stop_at_expiry(mut self) -> GroupMember {
        self.follow = false;
        self
    }

    /// This member's id: its node's name, unique in the group.
    #[must_use]
    pub fn id(mut self, id: &str) -> GroupMember {
        self.id = id.to_string();
        self
    }

    /// This member's payload: its node's data.
    #[must_use]
    pub fn payload(mut self, payload: impl AsRef<[u8]>) -> GroupMember {
        self.payload = payload.as_ref().to_vec();
        self
    }

    /// Joins: creates this member's node and keeps it (see [`PersistentNode::start`] for
    /// how it fails). Dropping the member leaves the group.
    pub async fn join(mut self) -> Result<GroupMember, Error> {
        if self.node.is_some() {
            return Err(Error::InvalidArgument(format!(
                "{} joined {} already",
                self.id, self.group
            )));
        }
        let mut node = PersistentNode::new(&self.source, &format!("{}/{}", self.group, self.id))
            .data(&self.payload);
        if !self.follow {
            node = node.stop_at_expiry();
        }
        let node = node.start().await?;
        self.node = Some(node);
        Ok(self)
    }

    /// This member's node, once joined.
    pub fn node(&self) -> Option<&PersistentNode> {
        self.node.as_ref()
    }

    /// The members now: id → payload.
    pub async fn members(&self) -> Result<BTreeMap<String, Vec<u8>>, Error> {
        let zk = self.source.client();
        let mut out = BTreeMap::new();
        let ids = match zk.get_children(&self.group).await {
            Ok(c) => c,
            Err(Error::NoNode) => return Ok(out),
            Err(e) => return Err(e),
        };
        for id in ids {
            match zk.get_data(&format!("{}/{id}", self.group)).await {
                Ok((data, _)) => {
                    out.insert(id, data);
                }
                Err(Error::NoNode) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
