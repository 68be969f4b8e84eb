//! Watch handles: a one-shot watch is a future of its event; a persistent watch is a stream of
//! events. Dropping a handle unregisters it, and removes the server-side watch when no other
//! local handle needs it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::{mpsc, oneshot, watch};

use crate::error::Error;
use crate::session::WatchedEvent;
use crate::types::SessionState;
use crate::watches::WatchId;

/// Where the connection task delivers a watch's events.
#[derive(Debug)]
pub(crate) enum WatchSink {
    Oneshot(oneshot::Sender<WatchedEvent>),
    Stream(mpsc::UnboundedSender<WatchedEvent>),
}

/// Unregisters a watch when its handle is dropped.
#[derive(Debug)]
pub(crate) struct Unwatcher {
    pub(crate) id: WatchId,
    pub(crate) shared: std::sync::Arc<crate::shared::Shared>,
}

impl Unwatcher {
    fn unwatch(&self) {
        self.shared.unwatch(self.id);
    }
}

fn ended(state: &watch::Receiver<SessionState>) -> Error {
    state.borrow().ending_error()
}

/// A one-shot watch (set by `get_data_watch`, `exists_watch`, `get_children_watch`): resolves
/// to the event that fires it, or to the error that ended the session first.
#[derive(Debug)]
pub struct OneshotWatcher {
    rx: oneshot::Receiver<WatchedEvent>,
    state: watch::Receiver<SessionState>,
    unwatch: Option<Unwatcher>,
}

impl OneshotWatcher {
    pub(crate) fn new(
        rx: oneshot::Receiver<WatchedEvent>,
        state: watch::Receiver<SessionState>,
        unwatch: Unwatcher,
    ) -> Self {
        OneshotWatcher {
            rx,
            state,
            unwatch: Some(unwatch),
        }
    }
}

impl Future for OneshotWatcher {
    type Output = Result<WatchedEvent, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Ready(Ok(ev)) => {
                self.unwatch = None;
                Poll::Ready(Ok(ev))
            }
            Poll::Ready(Err(_)) => {
                self.unwatch = None;
                Poll::Ready(Err(ended(&self.state)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for OneshotWatcher {
    fn drop(&mut self) {
        if let Some(u) = self.unwatch.take() {
            u.unwatch();
        }
    }
}

/// A persistent or persistent-recursive watch (`add_watch`): a stream of events until dropped
/// (which removes it from the server) or until the session ends.
#[derive(Debug)]
pub struct PersistentWatcher {
    rx: mpsc::UnboundedReceiver<WatchedEvent>,
    state: watch::Receiver<SessionState>,
    unwatch: Unwatcher,
}

impl PersistentWatcher {
    pub(crate) fn new(
        rx: mpsc::UnboundedReceiver<WatchedEvent>,
        state: watch::Receiver<SessionState>,
        unwatch: Unwatcher,
    ) -> Self {
        PersistentWatcher { rx, state, unwatch }
    }

    /// The next event, or the error that ended the session.
    pub async fn next(&mut self) -> Result<WatchedEvent, Error> {
        match self.rx.recv().await {
            Some(ev) => Ok(ev),
            None => Err(ended(&self.state)),
        }
    }
}

impl Drop for PersistentWatcher {
    fn drop(&mut self) {
        self.unwatch.unwatch();
    }
}
