//! The calls: what a client's handles share with the driver. [`Calls`] holds, behind one
//! mutex, the [`Session`] state machine and the reply table (a slot per call waiting for its
//! answer, with its deadline), and the futures of calls ([`Answer`], [`Reply`]) poll it.
//!
//! A call encodes its request straight into the session's output under the lock (so the order
//! of calls is the order on the wire) and takes a reply slot; it wakes the driver only when the
//! driver has taken everything before and has not been woken since. The driver writes all the
//! output that accumulated in one go. When replies arrive, the driver hands every complete
//! frame it has to the session under one lock, fills the slots, and wakes their callers after
//! unlocking.
//!
//! A call's deadline lives in its slot too: the driver's one timer fires for the earliest, so a
//! call costs no timer of its own.
//!
//! Nothing here does I/O or awaits: every method takes the lock for a bounded amount of work.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use jute_schemas::protocol::ResponseBody;
use rand::seq::SliceRandom;
use slab::Slab;
use tokio::sync::{Notify, Semaphore, TryAcquireError};
use tokio::time::Instant;
use tracing::warn;

use crate::codec::{CodecError, Frame};
use crate::error::Error;
use crate::server_list::{rebalance, Move};
use crate::session::WatchedEvent;
use crate::session::{End, OutRequest, Outcome, Session};
use crate::watch::WatchId;
use crate::watch::WatchSink;

mod answer;

use answer::Stage;
pub(crate) use answer::{Answer, Reply};

/// Where a reply goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// A caller waiting on this slot.
    User(usize),
    /// A request of the client's own (removeWatches after a dropped handle).
    Internal,
    /// closeSession; its caller waits on this slot.
    Close(usize),
}

/// A reply slot.
#[derive(Debug)]
enum Slot {
    /// No answer yet: the caller's waker once it has polled, and when it stops waiting.
    Waiting(Option<Waker>, Option<Instant>),
    /// The answer, for the caller to take, and the reply's size on the wire (0 when none came).
    Done(Result<ResponseBody, Error>, u32),
    /// The deadline passed before the answer came: the caller gets [`Error::Timeout`], and the
    /// slot stays taken until the answer comes.
    Late,
    /// The caller stopped waiting (timed out, dropped its future). The slot stays taken until
    /// its answer comes, so a late reply never lands in a slot reused by another call.
    Abandoned,
}

/// What delivering an outcome means for the connection.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delivered {
    /// Go on.
    Continue,
    /// closeSession was answered: the session is over.
    Closed,
    /// The stream can no longer be trusted (a reply did not decode).
    Broken(String),
}

/// The state behind the mutex.
pub(crate) struct Core {
    /// The session, and with it every watch and the sink its events go to.
    pub(crate) session: Session<Token, WatchSink>,
    slots: Slab<Slot>,
    /// Slots of `add_auth` calls, in the order their answers come.
    auth_waiters: VecDeque<usize>,
    /// Queue permits held by requests in the output; returned when the task takes it.
    permits: usize,
    /// Whether the next output written must wake the task: it has taken all output and has
    /// not been woken since.
    wake_for_output: bool,
    /// The deadlines of waiting calls, with their slots.
    deadlines: BTreeSet<(Instant, usize)>,
    /// When the task's timer fires next: a call with an earlier deadline wakes the task.
    armed: Option<Instant>,
    /// A server list given by `Client::update_server_list`, for the task to apply.
    new_hosts: Option<Vec<(String, u16)>>,
    /// This session's part of the process's load gauges.
    pub(crate) load: crate::telemetry::LoadShare,
}

/// The shared state: the core, the task's wake-up, and the bound on queued requests.
pub(crate) struct Calls {
    core: Mutex<Core>,
    /// Wakes the driver: output to write, close asked for, handles gone.
    wake: Notify,
    /// One permit per request that may wait in the output for a connection.
    room: Semaphore,
}

impl std::fmt::Debug for Calls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calls").finish_non_exhaustive()
    }
}

impl Core {
    /// Moves the load gauges by what changed in this session's load.
    pub(crate) fn report_load(&mut self) {
        let (w, q, f) = (
            self.session.watch_count(),
            self.session.unsent(),
            self.session.in_flight(),
        );
        self.load.report(w, q, f);
    }

    /// Fills `key` with `result`; its caller's waker goes to `wake`.
    fn complete(
        &mut self,
        key: usize,
        result: Result<ResponseBody, Error>,
        bytes: usize,
        wake: &mut Vec<Waker>,
    ) {
        let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
        match self.slots.get_mut(key) {
            Some(slot @ (Slot::Waiting(..) | Slot::Late)) => {
                if let Slot::Waiting(waker, deadline) =
                    std::mem::replace(slot, Slot::Done(result, bytes))
                {
                    if let Some(at) = deadline {
                        self.deadlines.remove(&(at, key));
                    }
                    wake.extend(waker);
                }
            }
            Some(Slot::Abandoned) => {
                self.slots.remove(key);
            }
            Some(Slot::Done(..)) | None => {}
        }
    }

    /// Calls whose deadline is `now` or earlier stop waiting with [`Error::Timeout`].
    pub(crate) fn expire(&mut self, now: Instant, wake: &mut Vec<Waker>) {
        while let Some(&(at, key)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            if let Some(slot @ Slot::Waiting(..)) = self.slots.get_mut(key) {
                if let Slot::Waiting(waker, _) = std::mem::replace(slot, Slot::Late) {
                    wake.extend(waker);
                }
            }
        }
    }

    /// The earliest deadline of a waiting call.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// The task's timer fires at `at` next (`None`: it has no call's deadline to keep).
    pub(crate) fn arm(&mut self, at: Option<Instant>) {
        self.armed = at;
    }

    /// Takes a slot for a call that stops waiting at `deadline`; true when the task's timer
    /// must be moved earlier for it.
    fn take_slot(&mut self, deadline: Option<Instant>) -> (usize, bool) {
        let key = self.slots.insert(Slot::Waiting(None, deadline));
        let Some(at) = deadline else {
            return (key, false);
        };
        self.deadlines.insert((at, key));
        let earlier = self.armed.is_none_or(|armed| at < armed);
        if earlier {
            // The task re-arms when it wakes.
            self.armed = Some(at);
        }
        (key, earlier)
    }

    /// Frees a slot taken for a call that was not sent after all.
    fn free_slot(&mut self, key: usize) {
        if let Slot::Waiting(_, Some(at)) = self.slots.remove(key) {
            self.deadlines.remove(&(at, key));
        }
    }

    /// Fails the request behind `token` (the session has dropped the watch it would have set).
    pub(crate) fn fail(&mut self, token: Token, err: Error, wake: &mut Vec<Waker>) {
        match token {
            Token::User(key) | Token::Close(key) => self.complete(key, Err(err), 0, wake),
            Token::Internal => {}
        }
    }

    /// Delivers what the session made of a frame.
    pub(crate) fn deliver(&mut self, outcome: Outcome<Token>, wake: &mut Vec<Waker>) -> Delivered {
        match outcome {
            Outcome::Reply {
                token,
                result,
                removed,
                bytes,
            } => {
                for (id, kind, event) in removed {
                    let watches = self.session.watches_mut();
                    if let Some(sink) = watches.sink_mut(id) {
                        sink.deliver(&event, wake);
                    }
                    // A persistent watch's stream ends after its removal event; a one-shot
                    // watch keeps its entry until its handle takes the event.
                    if kind.is_persistent() {
                        watches.remove(id);
                    }
                }
                match token {
                    Token::User(key) => self.complete(key, result, bytes, wake),
                    Token::Internal => {
                        if let Err(e) = result {
                            if e != Error::NoWatcher {
                                warn!("removing a watch failed: {e}");
                            }
                        }
                    }
                    Token::Close(key) => {
                        self.complete(key, result, bytes, wake);
                        return Delivered::Closed;
                    }
                }
            }
            Outcome::Broken { token, error } => {
                let why = error.to_string();
                self.fail(token, error, wake);
                return Delivered::Broken(why);
            }
            Outcome::Auth => {
                if let Some(key) = self.auth_waiters.pop_front() {
                    self.complete(key, Ok(ResponseBody::None), 0, wake);
                }
            }
            Outcome::Fire { watches, event } => {
                for (id, _) in watches {
                    if let Some(sink) = self.session.watches_mut().sink_mut(id) {
                        sink.deliver(&event, wake);
                    }
                }
            }
        }
        Delivered::Continue
    }

    /// Hands what a connection read at `now` to the session and delivers the outcomes, up to
    /// the first that ends the connection (returned).
    pub(crate) fn on_reads(
        &mut self,
        now: Instant,
        reads: impl Iterator<Item = Option<Result<Frame, CodecError>>>,
        wake: &mut Vec<Waker>,
    ) -> Result<(), End> {
        for read in reads {
            let outcome = match read {
                None => Err(self
                    .session
                    .on_transport_end(if self.session.is_handshaking() {
                        "closed before the handshake reply (a member without a quorum, \
                     or a TLS-only port?)"
                            .into()
                    } else {
                        "closed by the server".into()
                    })),
                Some(Err(e)) => Err(self.session.on_transport_end(e.to_string())),
                Some(Ok(Frame::Data(b))) => {
                    crate::telemetry::received(4 + b.len());
                    self.session.on_input(now, &b)
                }
                Some(Ok(Frame::Oversized { xid, len })) => {
                    crate::telemetry::received(4 + len);
                    self.session.on_oversized_input(now, xid, len).map(Some)
                }
            };
            if let Some(o) = outcome? {
                match self.deliver(o, wake) {
                    Delivered::Continue => {}
                    Delivered::Closed => return Err(End::Session(Error::Closed)),
                    Delivered::Broken(why) => return Err(End::Lost(why)),
                }
            }
        }
        Ok(())
    }

    /// When the driver must next look: the session's next timeout or a call's
    /// deadline, whichever comes first.
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        match (self.session.poll_timeout(), self.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, None) => a,
            (None, b) => b,
        }
    }

    /// The host at `index` (modulo the list's length), recorded in the session as the one
    /// being tried, with the connect timeout; none when the list is empty.
    pub(crate) fn try_host(&mut self, index: usize) -> Option<((String, u16), Duration)> {
        let hosts = self.session.hosts();
        let target = hosts.get(index.checked_rem(hosts.len())?)?.clone();
        self.session.set_host(target.clone());
        Some((target, self.session.timeouts().connect()))
    }

    /// Arms the task's timer for [`Core::next_wake`], and returns it.
    pub(crate) fn arm_next(&mut self) -> Option<Instant> {
        let next = self.next_wake();
        self.armed = next;
        next
    }

    /// Takes a server list given by the client, if any: shuffled, it replaces the hosts, and
    /// the rebalancing rule says whether this client moves (and to which index).
    pub(crate) fn apply_new_hosts(&mut self) -> Option<Move> {
        let mut hosts = self.new_hosts.take()?;
        hosts.shuffle(&mut rand::rng());
        let session = &mut self.session;
        // The host of the current connection; none while not connected.
        let current = session.server().and(session.host().cloned());
        let decision = rebalance(
            session.hosts(),
            &hosts,
            current.as_ref(),
            rand::random(),
            rand::random(),
        );
        tracing::info!(
            "server list updated from {} to {} hosts: {}",
            session.hosts().len(),
            hosts.len(),
            match &decision {
                Move::Stay => "staying".to_string(),
                Move::To(i) => format!("moving to {:?}", hosts.get(*i)),
            }
        );
        session.set_hosts(hosts);
        Some(decision)
    }

    /// The connection ended, the session goes on: requests on it fail with connection loss,
    /// and so do `add_auth` calls waiting for an answer.
    pub(crate) fn on_disconnect(&mut self, wake: &mut Vec<Waker>) {
        for (token, err) in self.session.on_disconnect() {
            self.fail(token, err, wake);
        }
        while let Some(key) = self.auth_waiters.pop_front() {
            self.complete(key, Err(Error::ConnectionLoss), 0, wake);
        }
    }

    /// A connection ended before the session was usable on it (nothing of the calls went on
    /// it; credentials added meanwhile wait for the next one).
    pub(crate) fn on_refused(&mut self, wake: &mut Vec<Waker>) {
        for (token, err) in self.session.on_disconnect() {
            self.fail(token, err, wake);
        }
    }

    /// The session ended with `err`: everything waiting fails with it, and so will every
    /// later call.
    pub(crate) fn on_end(&mut self, err: &Error, wake: &mut Vec<Waker>) {
        let (failed, sinks) = self.session.on_end(err);
        for (token, err) in failed {
            self.fail(token, err, wake);
        }
        while let Some(key) = self.auth_waiters.pop_front() {
            self.complete(key, Err(err.clone()), 0, wake);
        }
        // Waiting one-shot handles learn of the end; streams end with their senders.
        for sink in sinks {
            sink.end(wake);
        }
        self.permits = 0;
        self.deadlines.clear();
    }

    /// Hands the output to the connection (appended to `into`) and re-arms the wake-up.
    /// Returns the queue permits to give back.
    pub(crate) fn take_output(&mut self, now: Instant, into: &mut bytes::BytesMut) -> usize {
        self.session.take_output(now, into);
        self.wake_for_output = true;
        std::mem::take(&mut self.permits)
    }

    /// The task found no output to take: the next output wakes it.
    pub(crate) fn rearm(&mut self) {
        self.wake_for_output = true;
    }

    /// Whether a new output must wake the task (and disarms it until the task takes the output).
    fn wake_needed(&mut self) -> bool {
        std::mem::take(&mut self.wake_for_output)
    }

    /// Why a new call is refused: the session ended, or is closing.
    fn refusal(&self) -> Option<Error> {
        if let Some(e) = self.session.ended() {
            return Some(e.clone());
        }
        self.session.is_closing().then_some(Error::Closed)
    }

    /// The error calls fail with after the session ended (`Closed` before it has).
    fn ended_error(&self) -> Error {
        self.session.ended().cloned().unwrap_or(Error::Closed)
    }
}

impl Calls {
    pub(crate) fn new(session: Session<Token, WatchSink>, queue: usize) -> Arc<Calls> {
        Arc::new(Calls {
            core: Mutex::new(Core {
                session,
                slots: Slab::new(),
                auth_waiters: VecDeque::new(),
                permits: 0,
                wake_for_output: true,
                deadlines: BTreeSet::new(),
                armed: None,
                new_hosts: None,
                load: crate::telemetry::LoadShare::default(),
            }),
            wake: Notify::new(),
            room: Semaphore::new(queue.clamp(1, Semaphore::MAX_PERMITS)),
        })
    }

    /// The core. Nothing panics while holding it, so a poisoned lock still holds a consistent
    /// core.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What wakes the driver.
    pub(crate) fn wake(&self) -> &Notify {
        &self.wake
    }

    /// Gives back queue permits (the task took their requests).
    pub(crate) fn release(&self, permits: usize) {
        if permits > 0 {
            self.room.add_permits(permits);
        }
    }

    /// Ends the session: everything waiting fails with `err`, and so does every later call.
    pub(crate) fn end(&self, err: &Error) {
        let mut wake = Vec::new();
        self.lock().on_end(err, &mut wake);
        self.room.close();
        wake.into_iter().for_each(Waker::wake);
    }

    /// The error calls fail with after the session ended (`Closed` before it has).
    pub(crate) fn ended(&self) -> Error {
        self.lock().ended_error()
    }

    /// Writes a request that holds a queue permit; its caller stops waiting at `deadline`.
    fn write(
        self: &Arc<Self>,
        req: OutRequest,
        sink: Option<WatchSink>,
        deadline: Option<Instant>,
    ) -> Result<Reply, Error> {
        let mut core = self.lock();
        if let Some(e) = core.refusal() {
            drop(core);
            self.room.add_permits(1);
            return Err(e);
        }
        let (key, earlier) = core.take_slot(deadline);
        let written = match sink {
            Some(sink) => core.session.write_watch(req, Token::User(key), sink),
            None => core
                .session
                .write(req, Token::User(key))
                .map(|written| (written, None)),
        };
        let (written, watch) = match written {
            Ok(written) => written,
            Err((_, e)) => {
                core.free_slot(key);
                drop(core);
                self.room.add_permits(1);
                return Err(e);
            }
        };
        core.permits += 1;
        let wake = core.wake_needed() || earlier;
        drop(core);
        if wake {
            self.wake.notify_one();
        }
        let mut reply = Reply::new(self.clone(), key);
        reply.watch = watch;
        reply.wire.xid = written.xid;
        reply.wire.request_bytes = u32::try_from(written.bytes).unwrap_or(u32::MAX);
        Ok(reply)
    }

    /// Queues `req` now (or, when the queue is full, as soon as there is room); the answer
    /// comes within `limit` or is [`Error::Timeout`].
    pub(crate) fn submit(
        self: &Arc<Self>,
        req: OutRequest,
        watch: Option<WatchSink>,
        limit: Option<std::time::Duration>,
    ) -> Answer {
        let deadline = limit.map(crate::deadline::from_now);
        let stage = match self.room.try_acquire() {
            Ok(permit) => {
                permit.forget();
                match self.write(req, watch, deadline) {
                    Ok(reply) => Stage::Waiting(reply),
                    Err(e) => Stage::Failed(Some(e)),
                }
            }
            Err(TryAcquireError::Closed) => Stage::Failed(Some(self.ended())),
            Err(TryAcquireError::NoPermits) => {
                // The queue is full (rare): wait for room, then write, all within the deadline.
                let shared = self.clone();
                let wait = async move {
                    let room = shared.room.acquire();
                    let permit = match deadline {
                        Some(at) => tokio::time::timeout_at(at, room)
                            .await
                            .map_err(|_| Error::Timeout)?,
                        None => room.await,
                    };
                    match permit {
                        Ok(permit) => {
                            permit.forget();
                            shared.write(req, watch, deadline)
                        }
                        Err(_) => Err(shared.ended()),
                    }
                };
                Stage::Room(Box::pin(wait))
            }
        };
        Answer { stage }
    }

    /// Adds credentials; the reply comes when the server has answered them (after the next
    /// handshake when disconnected).
    pub(crate) fn add_auth(
        self: &Arc<Self>,
        scheme: &str,
        auth: &[u8],
        limit: Option<std::time::Duration>,
    ) -> Answer {
        let mut core = self.lock();
        let refused = core
            .refusal()
            .map_or_else(|| core.session.add_auth(scheme, auth), Err);
        if let Err(e) = refused {
            return Answer {
                stage: Stage::Failed(Some(e)),
            };
        }
        let (key, earlier) = core.take_slot(limit.map(crate::deadline::from_now));
        core.auth_waiters.push_back(key);
        let wake = (core.session.is_connected() && core.wake_needed()) || earlier;
        drop(core);
        if wake {
            self.wake.notify_one();
        }
        Answer {
            stage: Stage::Waiting(Reply::new(self.clone(), key)),
        }
    }

    /// Writes closeSession and tells the task; `None` when the session has already ended or
    /// is closing.
    pub(crate) fn close(self: &Arc<Self>) -> Option<Reply> {
        let mut core = self.lock();
        if core.refusal().is_some() {
            return None;
        }
        let (key, _) = core.take_slot(None);
        match core.session.close(Instant::now(), Token::Close(key)) {
            Some(Ok(_)) => {}
            Some(Err(_)) | None => core.free_slot(key),
        }
        // The task must learn of it even with nothing to write (while disconnected).
        core.wake_for_output = false;
        drop(core);
        self.wake.notify_one();
        Some(Reply::new(self.clone(), key))
    }

    /// A watch handle was dropped: forget the watch, and remove the server's watch when no
    /// other local handle needs it.
    pub(crate) fn unwatch(&self, id: WatchId) {
        let mut core = self.lock();
        let Some((_sink, req)) = core.session.unwatch(id) else {
            return;
        };
        // A closing session takes its watches with it.
        let Some(req) = req.filter(|_| core.refusal().is_none()) else {
            return;
        };
        if let Err((_, e)) = core.session.write(req, Token::Internal) {
            warn!("cannot remove a watch: {e}");
            return;
        }
        let wake = core.wake_needed();
        drop(core);
        if wake {
            self.wake.notify_one();
        }
    }

    /// A transport to `server` is open: the session sends its handshake on it.
    pub(crate) fn transport(
        &self,
        server: Option<std::net::SocketAddr>,
        sasl: Option<crate::sasl::SaslStart>,
    ) {
        self.lock()
            .session
            .on_transport(Instant::now(), server, sasl);
    }

    /// Tells the session and the calls the time: calls past their deadline stop waiting; the
    /// session may queue a ping or end the connection or itself.
    pub(crate) fn tick(&self) -> Result<(), End> {
        let now = Instant::now();
        let mut wake = Vec::new();
        let told = {
            let mut core = self.lock();
            core.expire(now, &mut wake);
            core.session.handle_timeout(now)
        };
        wake.into_iter().for_each(Waker::wake);
        told
    }

    /// Hands frames to the session under one lock, then wakes the callers they answer; the
    /// connection's end when one of them ended it.
    pub(crate) fn read(
        &self,
        frames: impl Iterator<Item = Option<Result<Frame, CodecError>>>,
    ) -> Option<End> {
        let mut wake = Vec::new();
        let end = {
            let mut core = self.lock();
            let end = core.on_reads(Instant::now(), frames, &mut wake);
            core.report_load();
            end.err()
        };
        wake.into_iter().for_each(Waker::wake);
        end
    }

    /// Where the connection is: the session granted on it, usable, read-only.
    pub(crate) fn progress(&self) -> (bool, bool, bool) {
        let core = self.lock();
        let s = &core.session;
        (!s.is_handshaking(), s.is_connected(), s.is_read_only())
    }

    /// A connection ended before the session was usable on it.
    pub(crate) fn refused(&self) {
        let mut wake = Vec::new();
        self.lock().on_refused(&mut wake);
        wake.into_iter().for_each(Waker::wake);
    }

    /// A connection with a session on it ended: the calls on it fail with connection loss.
    /// Returns the session's end when it ended with it (it was closing).
    pub(crate) fn disconnected(&self) -> Option<Error> {
        let mut wake = Vec::new();
        let ended = {
            let mut core = self.lock();
            core.on_disconnect(&mut wake);
            core.session.ended().cloned()
        };
        wake.into_iter().for_each(Waker::wake);
        ended
    }

    /// A new server list for the task (the last one given wins).
    pub(crate) fn update_hosts(&self, hosts: Vec<(String, u16)>) {
        self.lock().new_hosts = Some(hosts);
        self.wake.notify_one();
    }

    /// The session is left to the server (the last client handle is gone, or the client
    /// detached): the task stops without closeSession.
    pub(crate) fn leave(&self) {
        self.lock().session.leave();
        self.wake.notify_one();
    }

    /// The event of one-shot watch `id` once it fired; the error that ended the session when
    /// the watch is gone with it.
    pub(crate) fn poll_watch(
        &self,
        id: WatchId,
        cx: &mut Context<'_>,
    ) -> Poll<Result<WatchedEvent, Error>> {
        let mut core = self.lock();
        let watches = core.session.watches_mut();
        match watches.sink_mut(id) {
            Some(WatchSink::Oneshot { waker, fired }) => match fired.take() {
                Some(event) => {
                    watches.remove(id);
                    Poll::Ready(Ok(*event))
                }
                None => {
                    match waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => *waker = Some(cx.waker().clone()),
                    }
                    Poll::Pending
                }
            },
            Some(WatchSink::Stream(_)) => Poll::Ready(Err(Error::protocol(
                "a one-shot handle on a persistent watch",
            ))),
            None => Poll::Ready(Err(core.ended_error())),
        }
    }

    /// Watches the registry holds in any phase (for tests of the bookkeeping).
    #[cfg(test)]
    pub(crate) fn watches_held(&self) -> usize {
        self.lock().session.watches().held()
    }

    /// The answer in `key`'s slot, with the reply's size on the wire (0 when none came).
    fn poll_reply(
        &self,
        key: usize,
        cx: &mut Context<'_>,
    ) -> Poll<(Result<ResponseBody, Error>, u32)> {
        let mut core = self.lock();
        match core.slots.get_mut(key) {
            Some(Slot::Waiting(w, _)) => {
                match w {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *w = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Some(Slot::Done(..)) => match core.slots.remove(key) {
                Slot::Done(result, bytes) => Poll::Ready((result, bytes)),
                _ => Poll::Ready((Err(Error::Closed), 0)),
            },
            Some(slot @ Slot::Late) => {
                // The answer may still come: the slot is kept until it does.
                *slot = Slot::Abandoned;
                Poll::Ready((Err(Error::Timeout), 0))
            }
            Some(Slot::Abandoned) | None => Poll::Ready((Err(core.ended_error()), 0)),
        }
    }

    fn abandon(&self, key: usize) {
        let mut core = self.lock();
        match core.slots.get_mut(key) {
            Some(Slot::Done(..)) => {
                core.slots.remove(key);
            }
            Some(slot) => {
                if let Slot::Waiting(_, Some(at)) = std::mem::replace(slot, Slot::Abandoned) {
                    core.deadlines.remove(&(at, key));
                }
            }
            None => {}
        }
    }

    /// Reply slots in use (answered or not); for tests of the bookkeeping.
    #[cfg(test)]
    fn slots_in_use(&self) -> usize {
        self.lock().slots.len()
    }
}

#[cfg(test)]
mod tests;
