//! Sessions one after another: a [`zk_client::Client`]'s session ending by expiry is
//! terminal for it, so a service that must go on (keep its membership node, its caches) needs
//! a new client. The [`Supervisor`] makes one from the same builder each time the current
//! session expires, and publishes it; recipes built on the supervisor move to it. Locks and
//! leaderships are not carried over: their holders learn of the loss first (their `lost()`)
//! and acquire again if they want.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::ReusableBoxFuture;
use zk_client::{Client, ClientBuilder, Error, SessionState};

/// Keeps a session: a new client from `builder` after each expiry.
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_client::Error> {
/// let builder = zk_client::ClientBuilder::new("zk1:2181,zk2:2181,zk3:2181");
/// let supervisor = zk_recipes::Supervisor::start(builder).await?;
/// let zk = supervisor.client(); // the current session's client
/// let mut sessions = supervisor.sessions();
/// while let Some(session) = sessions.next().await {
///     let zk = session?; // the first session, then a new one after each expiry
///     println!("session 0x{:x}", zk.session_id());
/// }
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
                let ended = zk.states().wait_for(SessionState::is_terminal).await;
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

    /// The sessions as a stream of their clients: the current one first, then a new one
    /// each time a session expires. The stream ends, with the error of the last session's
    /// end, when there will be no next one (the client was closed, its credentials were
    /// refused, or the supervisor was dropped).
    pub fn sessions(&self) -> Sessions {
        Sessions {
            step: ReusableBoxFuture::new(next_session(self.current.clone(), true)),
            done: false,
        }
    }

    /// The clients as a channel, for the recipes that follow the sessions.
    pub(crate) fn watch_sessions(&self) -> watch::Receiver<Client> {
        self.current.clone()
    }
}

/// A [`Supervisor`]'s sessions ([`Supervisor::sessions`]): `Ok(client)` per session, then the
/// error that ended the last one.
pub struct Sessions {
    step: ReusableBoxFuture<'static, Step>,
    done: bool,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// One step of [`Sessions`]: its item, and the receiver handed back for the next step.
type Step = (Result<Client, Error>, watch::Receiver<Client>);

/// The next item after the session `rx` saw last: a new client, or how the last one ended.
async fn next_session(mut rx: watch::Receiver<Client>, first: bool) -> Step {
    if first {
        let zk = rx.borrow_and_update().clone();
        return (Ok(zk), rx);
    }
    let last = rx.borrow().clone();
    match rx.changed().await {
        Ok(()) => {
            let zk = rx.borrow_and_update().clone();
            (Ok(zk), rx)
        }
        // No next session: the supervisor stopped because the last one ended (or was dropped,
        // the client still open: that reads as closed).
        Err(_) => {
            let state = last.state();
            let end = if state.is_terminal() {
                state.ending_error()
            } else {
                Error::Closed
            };
            (Err(end), rx)
        }
    }
}

impl Sessions {
    /// The next item (the same as `StreamExt::next`, without importing it).
    pub async fn next(&mut self) -> Option<Result<Client, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for Sessions {
    type Item = Result<Client, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let (item, rx) = match self.step.poll(cx) {
            Poll::Ready(step) => step,
            Poll::Pending => return Poll::Pending,
        };
        self.done = item.is_err();
        self.step.set(next_session(rx, false));
        Poll::Ready(Some(item))
    }
}
