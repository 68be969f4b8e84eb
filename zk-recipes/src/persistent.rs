//! A node that stays (like Curator's `PersistentNode`): typically an ephemeral node that
//! announces this process. It is created with its parents, created again when someone deletes
//! it, and, on a [`Supervisor`], created again on each new session after an expiry. Group
//! membership ([`GroupMember`], Curator's `GroupMember` layout) is one such node per member.

use std::collections::BTreeMap;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use zk_client::{Client, CreateMode, CreateOptions, Error, EventType};

use crate::Supervisor;

/// A node kept in place: created with its parents, created again when someone deletes it, and
/// on each new session of the [`Supervisor`]. Dropping it stops keeping it and deletes it in
/// the background.
#[derive(Debug)]
pub struct PersistentNode {
    path: String,
    /// Whether the node exists now, as far as the keeper knows.
    present: watch::Receiver<bool>,
    task: JoinHandle<()>,
    latest: watch::Receiver<Client>,
}

impl Drop for PersistentNode {
    fn drop(&mut self) {
        self.task.abort();
        let zk = self.latest.borrow().clone();
        let path = self.path.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = zk.delete(&path, None).await;
            });
        }
    }
}

impl PersistentNode {
    /// Keeps `path` with `data` as a `mode` node (parents as containers) on the
    /// supervisor's sessions.
    pub fn start(
        supervisor: &Supervisor,
        path: &str,
        data: &[u8],
        mode: CreateMode,
    ) -> PersistentNode {
        let sessions = supervisor.sessions();
        let (tx, present) = watch::channel(false);
        let keeper = Keeper {
            path: path.to_string(),
            data: data.to_vec(),
            mode,
            present: tx,
        };
        let latest = sessions.clone();
        let task = tokio::spawn(keeper.run(sessions));
        PersistentNode {
            path: path.to_string(),
            present,
            task,
            latest,
        }
    }

    /// The node's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Waits until the node exists (at most `timeout`); false if it did not.
    pub async fn wait_present(&self, timeout: std::time::Duration) -> bool {
        let mut rx = self.present.clone();
        tokio::time::timeout(timeout, rx.wait_for(|p| *p))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

struct Keeper {
    path: String,
    data: Vec<u8>,
    mode: CreateMode,
    present: watch::Sender<bool>,
}

impl Keeper {
    async fn run(self, mut sessions: watch::Receiver<Client>) {
        loop {
            let zk = sessions.borrow_and_update().clone();
            tokio::select! {
                () = self.keep(&zk) => {
                    // This session ended: wait for the next one.
                    let _ = self.present.send(false);
                    if sessions.changed().await.is_err() {
                        return;
                    }
                }
                changed = sessions.changed() => {
                    let _ = self.present.send(false);
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Keeps the node on one session; returns when the session has ended.
    async fn keep(&self, zk: &Client) {
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
                Ok(_) => {}
                Err(Error::NodeExists) => {}
                Err(Error::ConnectionLoss | Error::Timeout) => continue,
                Err(e) => {
                    tracing::debug!("keeping {}: {e}", self.path);
                    if zk.state().borrow().is_terminal() {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    continue;
                }
            }
            let (stat, watcher) = match zk.exists_watch(&self.path).await {
                Ok(x) => x,
                Err(Error::ConnectionLoss | Error::Timeout) => continue,
                Err(_) => return,
            };
            let ours = stat.as_ref().is_some_and(|s| {
                !matches!(self.mode, CreateMode::Ephemeral) || s.ephemeral_owner == zk.session_id()
            });
            // Another session's ephemeral node at the path (ours from an expired session, not
            // yet removed by the server): wait for it to go, then create ours.
            let _ = self.present.send(ours);
            match watcher.await {
                Ok(ev) if ev.event_type == EventType::NodeDeleted => {}
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }
}

/// A member of a group (Curator's `GroupMember` layout: an ephemeral `<path>/<id>` node with
/// the member's payload), kept through deletions and new sessions.
#[derive(Debug)]
pub struct GroupMember {
    node: PersistentNode,
    group: String,
    sessions: watch::Receiver<Client>,
}

impl GroupMember {
    /// Joins the group at `path` as `id` with `payload`.
    pub fn join(supervisor: &Supervisor, path: &str, id: &str, payload: &[u8]) -> GroupMember {
        let group = path.trim_end_matches('/').to_string();
        GroupMember {
            node: PersistentNode::start(
                supervisor,
                &format!("{group}/{id}"),
                payload,
                CreateMode::Ephemeral,
            ),
            group,
            sessions: supervisor.sessions(),
        }
    }

    /// This member's node.
    pub fn node(&self) -> &PersistentNode {
        &self.node
    }

    /// The members now: id → payload.
    pub async fn members(&self) -> Result<BTreeMap<String, Vec<u8>>, Error> {
        let zk = self.sessions.borrow().clone();
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
