//! Sessions one after another: a [`zk_client::Client`]'s session ending by expiry is
//! terminal for it, so a service that must go on (keep its membership node, its caches) needs
//! a new client. The [`Supervisor`] makes one from the same builder each time the current
//! session expires, and publishes it; recipes built on the supervisor move to it. Locks and
//! leaderships are not carried over: their holders learn of the loss first (their `lost()`)
//! and acquire again if they want.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use zk_client::{Client, ClientBuilder, Error, SessionState};

/// Keeps a session: a new client from `builder` after each expiry.
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_client::Error> {
/// let builder = zk_client::ClientBuilder::new("zk1:2181,zk2:2181,zk3:2181");
/// let supervisor = zk_recipes::Supervisor::start(builder).await?;
/// let zk = supervisor.client(); // the current session's client
/// let mut sessions = supervisor.sessions();
/// sessions.changed().await.ok(); // a new session after an expiry
/// # let _ = zk; Ok(()) }
/// ```
#[derive(Debug)]
pub struct Supervisor {
    current: watch::Receiver<Client>,
    task: JoinHandle<()>,
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Supervisor {
    /// Connects the first session (failing as [`ClientBuilder::connect`] does), then watches
    /// it.
    pub async fn start(builder: ClientBuilder) -> Result<Supervisor, Error> {
        let first = builder.connect().await?;
        let (tx, current) = watch::channel(first);
        let task = tokio::spawn(async move {
            loop {
                let zk = tx.borrow().clone();
                let mut state = zk.state();
                let ended = match state.wait_for(|s| s.is_terminal()).await {
                    Ok(s) => *s,
                    Err(_) => SessionState::Closed,
                };
                if ended != SessionState::Expired {
                    // Closed on purpose, or credentials refused: nothing to renew.
                    return;
                }
                tracing::info!(
                    "session 0x{:x} expired; starting a new one",
                    zk.session_id()
                );
                let mut pause = Duration::from_millis(100);
                let next = loop {
                    match builder.connect().await {
                        Ok(c) => break c,
                        Err(e) => {
                            tracing::warn!("a new session could not be made yet: {e}");
                            tokio::time::sleep(pause).await;
                            pause = (pause * 2).min(Duration::from_secs(10));
                        }
                    }
                };
                tracing::info!("new session 0x{:x}", next.session_id());
                if tx.send(next).is_err() {
                    return;
                }
            }
        });
        Ok(Supervisor { current, task })
    }

    /// The current session's client.
    pub fn client(&self) -> Client {
        self.current.borrow().clone()
    }

    /// The clients, one per session: `changed()` resolves when a new session replaces an
    /// expired one.
    pub fn sessions(&self) -> watch::Receiver<Client> {
        self.current.clone()
    }
}
