//! The future of one call: room in the request queue when it had to wait for it, then the
//! answer in its reply slot.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use jute_schemas::protocol::ResponseBody;

use super::Calls;
use crate::error::Error;
use crate::watch::WatchId;

/// Where a call is.
pub(super) enum Stage {
    /// Sent (or queued for the connection): waiting for the answer.
    Waiting(Reply),
    /// Waiting for room in the queue first (boxed: rare, and it would make every call bigger).
    Room(Pin<Box<dyn Future<Output = Result<Reply, Error>> + Send>>),
    /// Refused at the call.
    Failed(Option<Error>),
}

/// The future of one call: room in the queue when it had to wait for it, then the answer.
pub(crate) struct Answer {
    pub(super) stage: Stage,
}

impl Answer {
    /// The watch the call's request set, once written, with the calls it belongs to: the
    /// caller's to keep (and to remove when it no longer needs it).
    pub(crate) fn take_watch(&mut self) -> Option<(WatchId, Arc<Calls>)> {
        match &mut self.stage {
            Stage::Waiting(reply) => reply.watch.take().map(|id| (id, reply.shared.clone())),
            Stage::Room(_) | Stage::Failed(_) => None,
        }
    }

    /// What the wire saw of the call so far: its xid and sizes once written and answered
    /// (zeros before).
    pub(crate) fn wire(&self) -> Wire {
        match &self.stage {
            Stage::Waiting(reply) => reply.wire,
            Stage::Room(_) | Stage::Failed(_) => Wire::default(),
        }
    }
}

/// What the wire saw of one call, for its tracing span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Wire {
    /// The request's xid (0 until it is written).
    pub(crate) xid: i32,
    /// The request's size on the wire, its length prefix included.
    pub(crate) request_bytes: u32,
    /// The reply's size on the wire (0 until it comes, or when none came).
    pub(crate) reply_bytes: u32,
}

impl Future for Answer {
    type Output = Result<ResponseBody, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.stage {
                Stage::Waiting(reply) => return Pin::new(reply).poll(cx),
                Stage::Room(wait) => match wait.as_mut().poll(cx) {
                    Poll::Ready(Ok(reply)) => self.stage = Stage::Waiting(reply),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
                Stage::Failed(e) => return Poll::Ready(Err(e.take().unwrap_or(Error::Closed))),
            }
        }
    }
}

/// The answer to one request: resolves when the driver has filled its slot.
/// Dropping it before then abandons the slot (freed when the answer comes).
#[derive(Debug)]
pub(crate) struct Reply {
    shared: Arc<Calls>,
    /// `None` once the answer has been taken.
    key: Option<usize>,
    pub(super) wire: Wire,
    /// The watch the request set, until the caller takes it (dropped with the reply, it is
    /// removed: nobody would take its events).
    pub(super) watch: Option<WatchId>,
}

impl Reply {
    pub(super) fn new(shared: Arc<Calls>, key: usize) -> Reply {
        Reply {
            shared,
            key: Some(key),
            wire: Wire::default(),
            watch: None,
        }
    }
}

impl Future for Reply {
    type Output = Result<ResponseBody, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(key) = self.key else {
            return Poll::Ready(Err(Error::Closed));
        };
        match self.shared.poll_reply(key, cx) {
            Poll::Ready((result, bytes)) => {
                self.key = None;
                self.wire.reply_bytes = bytes;
                Poll::Ready(result)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.abandon(key);
        }
        if let Some(id) = self.watch.take() {
            self.shared.unwatch(id);
        }
    }
}
