//! Watching something a recipe owns (a lock node, a leadership): it is lost when the session
//! ends (expired, closed, authentication failed; local expiry included), when the node is
//! deleted by someone else, or, optionally, when the connection stays lost longer than a
//! grace period (the session may already be gone on the servers).

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use zk_client::{Client, Error, EventType, SessionState, SessionStates};

/// Why ownership can no longer be guaranteed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// The session expired (on the servers, or locally after a whole session timeout without
    /// hearing from any): its ephemeral nodes are gone.
    SessionExpired,
    /// The client was closed.
    ClientClosed,
    /// Authentication failed on a reconnect.
    AuthFailed,
    /// The node was deleted by someone else.
    NodeDeleted,
    /// The connection stayed lost longer than the grace period given.
    Disconnected,
    /// Watching the node failed with an error that leaves ownership unknown (an ACL
    /// change that denies reading it, say).
    Unverifiable,
}

impl std::error::Error for Loss {}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Loss::SessionExpired => "the session expired",
            Loss::ClientClosed => "the client was closed",
            Loss::AuthFailed => "authentication failed",
            Loss::NodeDeleted => "the node was deleted by someone else",
            Loss::Disconnected => "the connection was lost for longer than the grace period",
            Loss::Unverifiable => "the node could no longer be watched",
        })
    }
}

fn loss_of(state: SessionState) -> Option<Loss> {
    match state {
        SessionState::Expired => Some(Loss::SessionExpired),
        SessionState::Closed => Some(Loss::ClientClosed),
        SessionState::AuthFailed => Some(Loss::AuthFailed),
        _ => None,
    }
}

fn loss_of_error(e: &Error) -> Loss {
    match e {
        Error::SessionExpired => Loss::SessionExpired,
        Error::AuthFailed => Loss::AuthFailed,
        Error::Closed => Loss::ClientClosed,
        other => {
            tracing::warn!("watching an owned node failed: {other}");
            Loss::Unverifiable
        }
    }
}

/// A background task watching one owned node, and the loss it reports.
#[derive(Debug)]
pub(crate) struct Watchdog {
    lost: watch::Receiver<Option<Loss>>,
    task: JoinHandle<()>,
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watchdog {
    /// Starts watching `node` on `zk`'s session.
    pub(crate) fn watch(zk: Client, node: String, grace: Option<Duration>) -> Watchdog {
        let (tx, lost) = watch::channel(None);
        let task = tokio::spawn(async move {
            let loss = monitor(&zk, &node, grace).await;
            tracing::info!("ownership of {node} lost: {loss}");
            let _ = tx.send(Some(loss));
        });
        Watchdog { lost, task }
    }

    /// Stops watching (the owner let go): `lost()` then resolves with what was known, or
    /// [`Loss::ClientClosed`] if nothing was.
    pub(crate) fn stop(&self) {
        self.task.abort();
    }

    /// The loss, once there is one.
    pub(crate) fn lost_now(&self) -> Option<Loss> {
        *self.lost.borrow()
    }

    /// Resolves when ownership is lost.
    pub(crate) async fn lost(&self) -> Loss {
        let mut rx = self.lost.clone();
        loop {
            if let Some(l) = *rx.borrow_and_update() {
                return l;
            }
            if rx.changed().await.is_err() {
                // The task ended without a word: only when aborted, i.e. released.
                return Loss::ClientClosed;
            }
        }
    }
}

/// Runs until ownership of `node` is lost, and says why: the node and the session are watched
/// side by side, so a lost connection is noticed even while a request about the node waits.
async fn monitor(zk: &Client, node: &str, grace: Option<Duration>) -> Loss {
    tokio::select! {
        loss = watch_node(zk, node) => loss,
        loss = watch_session(zk.states(), grace) => loss,
    }
}

/// Until the node is deleted (or can no longer be watched).
async fn watch_node(zk: &Client, node: &str) -> Loss {
    loop {
        let watcher = match zk.exists_watch(node).await {
            Ok((Some(_), w)) => w,
            Ok((None, _)) => return Loss::NodeDeleted,
            // The connection was lost with the request in flight: the session goes on (its
            // end, or a lost connection that counts, is the session watch's to report); ask
            // again once reconnected.
            Err(Error::ConnectionLoss | Error::Timeout) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return loss_of_error(&e),
        };
        match watcher.await {
            Ok(ev) if ev.event_type == EventType::NodeDeleted => return Loss::NodeDeleted,
            // Data changed (or a removed-watch event): watch again.
            Ok(_) => {}
            Err(e) => return loss_of_error(&e),
        }
    }
}

/// Until the session ends, or (with a grace) the connection stays lost longer than it.
async fn watch_session(mut states: SessionStates, grace: Option<Duration>) -> Loss {
    loop {
        let now = match states.next().await {
            Some(Ok(now)) => now,
            Some(Err(e)) => return loss_of_error(&e),
            None => return Loss::ClientClosed,
        };
        if let (SessionState::Disconnected, Some(grace)) = (now, grace) {
            if let Some(loss) = disconnected_for(&states, grace).await {
                return loss;
            }
        }
    }
}

/// After the connection was lost: the loss, if the client is not connected again within
/// `grace` (or the session ends); `None` when it is back in time.
async fn disconnected_for(states: &SessionStates, grace: Duration) -> Option<Loss> {
    let back = tokio::time::timeout(grace, states.wait_for(SessionState::is_connected)).await;
    match back {
        Err(_) => Some(Loss::Disconnected),
        Ok(s) => loss_of(s),
    }
}
