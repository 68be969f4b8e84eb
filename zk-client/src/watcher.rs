//! Watch handles: a one-shot watch is a future of its event; a persistent watch is a
//! [`Stream`] of events. Dropping a handle unregisters it, and removes the server-side watch when no other
//! local handle needs it.
//!
//! A one-shot watch has no channel: its event waits in the session's registry entry, and the
//! handle polls it there (as a call polls its reply slot). A persistent watch's events go
//! through an unbounded channel, as they may come faster than they are read.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;

use crate::calls::Calls;
use crate::error::Error;
use crate::session::WatchedEvent;
use crate::watch::WatchId;

/// Owns a watch's registration: dropped while it holds the shared state, it unregisters the
/// watch. (16 bytes: a handle is kept per watch, so its size counts.)
#[derive(Debug)]
pub(crate) struct Unwatcher {
    id: WatchId,
    /// `None` once the registry has let go of the watch.
    shared: Option<Arc<Calls>>,
}

impl Unwatcher {
    pub(crate) fn new(id: WatchId, shared: Arc<Calls>) -> Unwatcher {
        Unwatcher {
            id,
            shared: Some(shared),
        }
    }
}

impl Drop for Unwatcher {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.unwatch(self.id);
        }
    }
}

/// A one-shot watch (set by `get_data_watch`, `exists_watch`, `get_children_watch`): resolves
/// to the event that fires it, or to the error that ended the session first. Polled again
/// after that, it answers [`Error::Closed`].
#[derive(Debug)]
pub struct OneshotWatcher {
    watch: Unwatcher,
}

impl OneshotWatcher {
    pub(crate) fn new(watch: Unwatcher) -> Self {
        OneshotWatcher { watch }
    }
}

impl Future for OneshotWatcher {
    type Output = Result<WatchedEvent, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(shared) = &self.watch.shared else {
            return Poll::Ready(Err(Error::Closed));
        };
        match shared.poll_watch(self.watch.id, cx) {
            Poll::Ready(result) => {
                // The registry has let go of the watch (taken, or ended with the session).
                self.watch.shared = None;
                Poll::Ready(result)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A persistent or persistent-recursive watch (`add_watch`): a [`Stream`] of events until
/// dropped (which removes it from the server) or until the session ends.
///
/// Like every event stream of the client and the recipes, its items are
/// `Result<event, Error>`: events are `Ok`; the error that ended the session (expired, closed,
/// authentication failed) is the last item, and the stream ends after it.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// use zk_client::AddWatchMode;
/// let mut changes = zk.add_watch("/config", AddWatchMode::PersistentRecursive).await?;
/// while let Some(event) = changes.next().await {
///     let event = event?;
///     println!("{:?} {}", event.event_type, event.path);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PersistentWatcher {
    rx: mpsc::UnboundedReceiver<WatchedEvent>,
    watch: Unwatcher,
    /// The ending error was handed out: the stream is over.
    done: bool,
}

impl PersistentWatcher {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<WatchedEvent>, watch: Unwatcher) -> Self {
        PersistentWatcher {
            rx,
            watch,
            done: false,
        }
    }

    /// The next item (the same as `StreamExt::next`, without importing it): `None` after
    /// the ending error was returned.
    pub async fn next(&mut self) -> Option<Result<WatchedEvent, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for PersistentWatcher {
    type Item = Result<WatchedEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(ev)) => Poll::Ready(Some(Ok(ev))),
            Poll::Ready(None) => {
                self.done = true;
                let ended = self
                    .watch
                    .shared
                    .as_ref()
                    .map_or(Error::Closed, |s| s.ended());
                Poll::Ready(Some(Err(ended)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_shot_handle_is_two_words() {
        // 100,000 watches keep 100,000 handles: their size is part of a watch's cost.
        assert_eq!(std::mem::size_of::<OneshotWatcher>(), 16);
    }
}
