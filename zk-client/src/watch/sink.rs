//! Where a watch's events go: the sink the registry keeps with each watch, filled by the
//! session's owner as events come and read by the watch's handle.

use std::task::Waker;

use tokio::sync::mpsc;

use crate::session::WatchedEvent;

/// Where the session's registry delivers a watch's events.
#[derive(Debug)]
pub(crate) enum WatchSink {
    /// A one-shot watch: its handle's waker while it waits, then the event.
    Oneshot {
        waker: Option<Waker>,
        fired: Option<Box<WatchedEvent>>,
    },
    /// A persistent watch's stream.
    Stream(mpsc::UnboundedSender<WatchedEvent>),
}

impl WatchSink {
    /// A one-shot watch's sink, before anything fired.
    pub(crate) fn oneshot() -> WatchSink {
        WatchSink::Oneshot {
            waker: None,
            fired: None,
        }
    }

    /// Delivers `event` (a one-shot watch takes only the first); a waker to wake after the
    /// lock goes to `wake`.
    pub(crate) fn deliver(&mut self, event: &WatchedEvent, wake: &mut Vec<Waker>) {
        match self {
            WatchSink::Oneshot { waker, fired } => {
                if fired.is_none() {
                    *fired = Some(Box::new(event.clone()));
                    wake.extend(waker.take());
                }
            }
            WatchSink::Stream(tx) => {
                let _ = tx.send(event.clone());
            }
        }
    }

    /// The session ended: a waiting one-shot handle is woken (it then finds its watch gone);
    /// a stream ends with its sender.
    pub(crate) fn end(self, wake: &mut Vec<Waker>) {
        if let WatchSink::Oneshot {
            waker: Some(waker), ..
        } = self
        {
            wake.push(waker);
        }
    }
}
