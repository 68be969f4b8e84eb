//! The tokio task behind a client: it connects, moves frames between the socket and the
//! [`Session`] state machine, and delivers replies and watch events. Per connection an inner
//! loop runs until the connection ends; the outer loop reconnects within the session until the
//! session ends (expired, auth failed, closed) or every client handle is gone.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use rand::seq::SliceRandom;
use tokio::sync::{oneshot, watch};
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tokio_util::codec::Framed;
use tracing::{debug, info, warn};

use crate::backoff::Backoff;
use crate::codec::{Frame, FrameCodec};
use crate::error::Error;
use crate::four_letter;
use crate::sasl::{SaslOptions, SaslStart};
use crate::server_list::{rebalance, Move};
use crate::shared::{Delivered, Shared};
use crate::telemetry;
use crate::tls::TlsOptions;
use crate::transport::{open, OpenFailure, Stream};
use crate::types::{SessionIdentity, SessionState};

/// Requests on the connection and not yet answered, at most, before the task stops taking
/// more output (calls then queue up to the request queue's bound, then wait).
const MAX_IN_FLIGHT: usize = 16 * 1024;
/// Frames handled under one lock, at most (then the callers they answer are woken).
const READ_BATCH: usize = 256;

/// How one connection ended.
#[derive(Debug)]
enum Exit {
    Lost(String),
    /// The server closed or failed the connection before accepting the session (a member
    /// without a quorum, a read-only server refusing this client, a full server): for pacing
    /// it counts as a failed attempt.
    Refused(String),
    /// Connected read-only, a read-write server was found: move to the host with this index.
    SwitchTo(usize),
    Terminal(SessionState, Error),
    ClientsGone,
}

pub(crate) struct TaskConfig {
    pub hosts: Vec<(String, u16)>,
    pub connect_timeout: Duration,
    pub max_reply: usize,
    /// Delays between connection attempts.
    pub backoff: Backoff,
    /// Published for [`crate::Client::session_id`] and [`crate::Client::session_password`].
    pub identity: std::sync::Arc<std::sync::Mutex<SessionIdentity>>,
    /// Declare the session expired after a whole session timeout without the server.
    pub local_expiry: bool,
    /// When set, the first connect gives up after one pass over the hosts and says why here.
    pub fail_fast: Option<oneshot::Sender<Vec<OpenFailure>>>,
    /// TLS on every connection, when set.
    pub tls: Option<Arc<TlsOptions>>,
    /// SASL on every connection, when set.
    pub sasl: Option<Arc<SaslOptions>>,
}

pub(crate) struct Task {
    shared: Arc<Shared>,
    cfg: TaskConfig,
    state_tx: watch::Sender<SessionState>,
    /// When a written closeSession stops being waited for (the socket is then closed, and the
    /// server lets the session time out).
    close_by: Option<Instant>,
    /// When the session is known to be expired on the server if nothing is heard before: the
    /// last frame received plus the negotiated timeout (set while disconnected).
    expires_at: Option<Instant>,
    /// When the server was last heard from.
    last_heard: Instant,
}

type Conn = Framed<Stream, FrameCodec>;

impl Task {
    pub(crate) fn new(
        shared: Arc<Shared>,
        mut cfg: TaskConfig,
        state_tx: watch::Sender<SessionState>,
    ) -> Self {
        cfg.hosts.shuffle(&mut rand::rng());
        Task {
            shared,
            cfg,
            state_tx,
            close_by: None,
            expires_at: None,
            last_heard: Instant::now(),
        }
    }

    pub(crate) async fn run(mut self) {
        let mut host = 0usize;
        let mut failures_in_a_row = 0usize;
        let mut no_pause = true;
        let mut next: Option<usize> = None;
        let mut why_not = Vec::new();
        loop {
            if !no_pause {
                let hosts = self.cfg.hosts.len();
                let pause = if failures_in_a_row > 0 && failures_in_a_row % hosts == 0 {
                    let pass = u32::try_from(failures_in_a_row / hosts).unwrap_or(u32::MAX);
                    self.cfg.backoff.after_failed_pass(pass, rand::random())
                } else {
                    self.cfg.backoff.before_attempt(rand::random())
                };
                if !self.pause(pause).await {
                    return;
                }
            }
            no_pause = false;
            if let Some(Move::To(i)) = self.apply_new_hosts() {
                next = Some(i);
            }
            let index = next.take().unwrap_or(host % self.cfg.hosts.len());
            host = index + 1;
            let target = self.cfg.hosts[index].clone();
            // Boxed: alive only while connecting, it would otherwise be part of every idle
            // session's task. The SASL exchange starts first: GSSAPI may ask the KDC.
            // A name's addresses are tried in turn, one per pass over the hosts.
            let turn = failures_in_a_row / self.cfg.hosts.len();
            let attempt = Box::pin(attempt(
                target,
                self.cfg.identity.clone(),
                turn,
                self.cfg.connect_timeout,
                self.cfg.tls.clone(),
                self.cfg.sasl.clone(),
            ));
            let attempt = tokio::select! {
                a = attempt => a,
                exit = self.wait_while_disconnected() => {
                    self.finish(exit);
                    return;
                }
            };
            let (stream, sasl) = match attempt {
                Ok(opened) => opened,
                Err(Attempt::Sasl {
                    mechanism,
                    host,
                    why,
                }) => {
                    // Like a refused exchange: credentials that do not work are not retried
                    // (the Java client ends in AUTH_FAILED too).
                    warn!("SASL ({mechanism}) cannot start for {host}: {why}");
                    self.finish(Exit::Terminal(SessionState::AuthFailed, Error::AuthFailed));
                    return;
                }
                Err(Attempt::Open(e)) => {
                    telemetry::connection(false);
                    failures_in_a_row += 1;
                    info!("cannot connect: {e}");
                    if self.cfg.fail_fast.is_some() {
                        why_not.push(e);
                    }
                    if self.fail_first_pass(failures_in_a_row, &mut why_not) {
                        return;
                    }
                    continue;
                }
            };
            let server = stream.peer_addr().ok();
            let exit = self
                .serve(
                    framed(stream, FrameCodec::new(self.cfg.max_reply)),
                    server,
                    sasl,
                )
                .await;
            if let Ok(mut identity) = self.cfg.identity.lock() {
                identity.server = None;
            }
            let why = match exit {
                Exit::Refused(why) => {
                    telemetry::connection(false);
                    failures_in_a_row += 1;
                    let from = server.map(|a| a.to_string()).unwrap_or_default();
                    info!("no session from {from}: {why}");
                    if self.cfg.fail_fast.is_some() {
                        why_not.push(OpenFailure {
                            server: from,
                            why,
                            tls: None,
                        });
                    }
                    if self.fail_first_pass(failures_in_a_row, &mut why_not) {
                        return;
                    }
                    continue;
                }
                Exit::Lost(why) => {
                    telemetry::disconnect();
                    failures_in_a_row = 0;
                    why
                }
                Exit::SwitchTo(index) => {
                    failures_in_a_row = 0;
                    next = Some(index);
                    no_pause = true;
                    format!("moving to {:?}", self.cfg.hosts.get(index))
                }
                other => {
                    self.finish(other);
                    return;
                }
            };
            info!("connection lost: {why}");
            let mut wake = Vec::new();
            let closing = {
                let mut core = self.shared.lock();
                if self.cfg.local_expiry && core.session.session_id() != 0 {
                    if let Some(timeout) = core.session.negotiated_timeout() {
                        self.expires_at = Some(crate::deadline::after(self.last_heard, timeout));
                    }
                }
                core.on_disconnect(&mut wake);
                core.closing()
            };
            wake.into_iter().for_each(Waker::wake);
            if closing {
                // The server cannot be told; the session will time out on its own.
                self.finish(Exit::Terminal(SessionState::Closed, Error::Closed));
                return;
            }
            info!("session state: Disconnected");
            telemetry::state(SessionState::Disconnected);
            let _ = self.state_tx.send(SessionState::Disconnected);
        }
    }

    /// With fail-fast and no session yet: after a whole pass over the hosts without one, ends
    /// the task and tells the waiting `connect` why. True when it did.
    fn fail_first_pass(
        &mut self,
        failures_in_a_row: usize,
        why_not: &mut Vec<OpenFailure>,
    ) -> bool {
        if self.cfg.fail_fast.is_none() || failures_in_a_row < self.cfg.hosts.len() {
            return false;
        }
        if let Some(tx) = self.cfg.fail_fast.take() {
            let _ = tx.send(std::mem::take(why_not));
        }
        self.finish(Exit::Terminal(SessionState::Closed, Error::Closed));
        true
    }

    /// Waits `pause` while still answering commands; false when the task has to end.
    async fn pause(&mut self, pause: Duration) -> bool {
        if pause.is_zero() {
            return true;
        }
        tokio::select! {
            () = sleep(pause) => true,
            exit = self.wait_while_disconnected() => {
                self.finish(exit);
                false
            }
        }
    }

    /// While there is no connection: calls queue up in the session's output; this notices a
    /// close, every client gone, or the session's local expiry. Returns only when the task
    /// should end.
    async fn wait_while_disconnected(&mut self) -> Exit {
        let expiry = sleep_until_some(self.expires_at);
        tokio::pin!(expiry);
        let shared = self.shared.clone();
        loop {
            let notified = shared.wake().notified();
            let mut wake = Vec::new();
            let next_deadline = {
                let mut core = shared.lock();
                if core.closing() {
                    return Exit::Terminal(SessionState::Closed, Error::Closed);
                }
                if core.clients_gone() {
                    return Exit::ClientsGone;
                }
                core.expire(Instant::now(), &mut wake);
                let next = core.next_deadline();
                core.arm(next);
                next
            };
            wake.into_iter().for_each(Waker::wake);
            tokio::select! {
                () = &mut expiry => {
                    warn!("no server for a whole session timeout: the session is expired");
                    return Exit::Terminal(SessionState::Expired, Error::SessionExpired);
                }
                () = notified => {}
                // Calls waiting for a connection still stop at their deadline.
                () = sleep_until_some(next_deadline) => {}
            }
        }
    }

    async fn serve(
        &mut self,
        mut conn: Conn,
        server: Option<SocketAddr>,
        sasl: Option<Box<SaslStart>>,
    ) -> Exit {
        let hello = self.shared.lock().session.connect_frame();
        telemetry::sent(4 + hello.len());
        if let Err(e) = conn.send(hello.as_slice()).await {
            return Exit::Refused(e.to_string());
        }
        let first = match timeout(self.cfg.connect_timeout, conn.next()).await {
            Err(_) => return Exit::Refused("no handshake reply".into()),
            Ok(None) => {
                return Exit::Refused(
                    "closed before the handshake reply (a member without a quorum, \
                     or a TLS-only port?)"
                        .into(),
                )
            }
            Ok(Some(Err(e))) => return Exit::Refused(e.to_string()),
            Ok(Some(Ok(Frame::Oversized { len, .. }))) => {
                return Exit::Refused(format!("handshake reply of {len} bytes"))
            }
            Ok(Some(Ok(Frame::Data(b)))) => b,
        };
        telemetry::received(4 + first.len());
        let (replay, read_only, ping_interval, read_timeout, authenticating) = {
            let mut core = self.shared.lock();
            let replay = match core.session.on_connect_response(&first, sasl.map(|s| *s)) {
                Ok(frames) => frames,
                Err(Error::SessionExpired) => {
                    return Exit::Terminal(SessionState::Expired, Error::SessionExpired)
                }
                Err(e) => return Exit::Refused(e.to_string()),
            };
            if let Ok(mut identity) = self.cfg.identity.lock() {
                identity.id = core.session.session_id();
                identity.passwd = core.session.password().to_vec();
                identity.server = server;
            }
            info!(
                "connected to {} (session 0x{:x}, timeout {:?})",
                server.map_or_else(|| "?".into(), |s| s.to_string()),
                core.session.session_id(),
                core.session.negotiated_timeout().unwrap_or_default()
            );
            (
                replay,
                core.session.is_read_only(),
                core.session.ping_interval(),
                core.session.read_timeout(),
                core.session.is_authenticating(),
            )
        };
        telemetry::connection(true);
        // Credentials and watches first, then whatever calls queued meanwhile.
        telemetry::sent(replay.iter().map(|f| 4 + f.len()).sum());
        for f in &replay {
            if let Err(e) = conn.feed(f.as_slice()).await {
                return Exit::Refused(e.to_string());
            }
        }
        if let Err(e) = conn.flush().await {
            return Exit::Lost(e.to_string());
        }
        self.expires_at = None;
        self.last_heard = Instant::now();
        let state = if read_only {
            SessionState::ConnectedReadOnly
        } else {
            SessionState::Connected
        };
        // With SASL, the session is usable (and said to be connected) once the exchange has
        // succeeded, which must be within the connect timeout: a server that answers pings
        // but not SASL would otherwise hold the connection (and every call) for ever. Set
        // while the exchange runs.
        let mut sasl_by =
            authenticating.then(|| crate::deadline::from_now(self.cfg.connect_timeout));
        if !authenticating {
            self.announce(state);
        }
        let mut last_recv = Instant::now();
        let mut last_send = Instant::now();
        // Connected read-only: look for a read-write server among the others meanwhile.
        let others: Vec<(usize, (String, u16))> = self
            .cfg
            .hosts
            .iter()
            .cloned()
            .enumerate()
            .filter(|(_, host)| !is_server(host, server))
            .collect();
        let limit = self.cfg.connect_timeout;
        // Boxed, and only when read-only: an idle read-write session should not carry it.
        let tls = self.cfg.tls.clone();
        let mut probe = (read_only && !others.is_empty())
            .then(|| Box::pin(find_read_write(others, limit, tls)));
        // One timer for the ping, the read timeout and the calls' deadlines. It is not moved on
        // every frame (that would touch tokio's timer wheel twice per reply): when it fires it
        // checks the real deadlines, which only ever move later, and is set again for the
        // nearest one. Only a call with an earlier deadline moves it earlier.
        let mut timer_at = self.arm(first_of(
            last_send + ping_interval,
            last_recv + read_timeout,
            sasl_by,
        ));
        let timer = sleep_until(timer_at);
        tokio::pin!(timer);
        let shared = self.shared.clone();
        let notified = shared.wake().notified();
        tokio::pin!(notified);
        let mut frames = Vec::new();
        loop {
            match self.write_output(&mut conn, timer_at).await {
                Ok((wrote, earlier)) => {
                    if wrote {
                        last_send = Instant::now();
                    }
                    if let Some(at) = earlier {
                        timer_at = at;
                        timer.as_mut().reset(at);
                    }
                }
                Err(exit) => return exit,
            }
            let close_by = self.close_by;
            tokio::select! {
                biased;
                frame = conn.next() => {
                    last_recv = Instant::now();
                    self.last_heard = last_recv;
                    // Every frame already read goes under the same lock (up to the end of the
                    // stream or an error, which end the batch).
                    let mut more = matches!(frame, Some(Ok(_)));
                    frames.push(frame);
                    while more && frames.len() < READ_BATCH {
                        match conn.next().now_or_never() {
                            Some(frame) => {
                                more = matches!(frame, Some(Ok(_)));
                                frames.push(frame);
                            }
                            None => more = false,
                        }
                    }
                    if let Some(exit) = self.handle(&mut frames) {
                        return exit;
                    }
                    if sasl_by.is_some() && !self.shared.lock().session.is_authenticating() {
                        self.announce(state);
                        sasl_by = None;
                    }
                }
                () = &mut notified => {
                    notified.set(shared.wake().notified());
                    // A new server list may move this client elsewhere.
                    if let Some(Move::To(i)) = self.apply_new_hosts() {
                        return Exit::SwitchTo(i);
                    }
                }
                () = &mut timer => {
                    let now = Instant::now();
                    let mut wake = Vec::new();
                    self.shared.lock().expire(now, &mut wake);
                    wake.into_iter().for_each(Waker::wake);
                    if sasl_by.is_some_and(|d| now >= d) {
                        let limit = self.cfg.connect_timeout;
                        return Exit::Refused(format!("no answer to SASL within {limit:?}"));
                    }
                    if now >= last_recv + read_timeout {
                        return Exit::Lost(format!("nothing heard for {read_timeout:?}"));
                    }
                    if now >= last_send + ping_interval {
                        let ping = self.shared.lock().session.ping_frame();
                        if let Err(e) = conn.send(ping.as_slice()).await {
                            return Exit::Lost(e.to_string());
                        }
                        last_send = Instant::now();
                    }
                    timer_at = self.arm(first_of(
                        last_send + ping_interval,
                        last_recv + read_timeout,
                        sasl_by,
                    ));
                    timer.as_mut().reset(timer_at);
                }
                index = async {
                    match probe.as_mut() {
                        Some(probe) => probe.await,
                        None => std::future::pending().await,
                    }
                } => return Exit::SwitchTo(index),
                () = sleep_until_some(close_by) => {
                    warn!("no answer to closeSession within {read_timeout:?}: closing the connection");
                    return Exit::Terminal(SessionState::Closed, Error::Closed);
                }
            }
        }
    }

    /// Publishes the connected state, once per connection (after its SASL exchange, when
    /// there is one).
    fn announce(&mut self, state: SessionState) {
        // Fail-fast concerns the first connection only, up to here.
        self.cfg.fail_fast = None;
        info!("session state: {state:?}");
        telemetry::state(state);
        let _ = self.state_tx.send(state);
    }

    /// Hands frames to the session under one lock, then wakes the callers they answer.
    fn handle(
        &mut self,
        frames: &mut Vec<Option<Result<Frame, crate::codec::CodecError>>>,
    ) -> Option<Exit> {
        let mut wake = Vec::new();
        let mut exit = None;
        {
            let mut core = self.shared.lock();
            for frame in frames.drain(..) {
                let outcome = match frame {
                    None => {
                        exit = Some(Exit::Lost("closed by the server".into()));
                        break;
                    }
                    Some(Err(e)) => {
                        exit = Some(Exit::Lost(e.to_string()));
                        break;
                    }
                    Some(Ok(Frame::Data(b))) => {
                        telemetry::received(4 + b.len());
                        core.session.on_frame(&b)
                    }
                    Some(Ok(Frame::Oversized { xid, len })) => {
                        telemetry::received(4 + len);
                        core.session.on_oversized(xid, len).map(Some)
                    }
                };
                match outcome {
                    Ok(Some(o)) => match core.deliver(o, &mut wake) {
                        Delivered::Continue => {}
                        Delivered::Closed => {
                            exit = Some(Exit::Terminal(SessionState::Closed, Error::Closed));
                            break;
                        }
                        Delivered::Broken(why) => {
                            exit = Some(Exit::Lost(why));
                            break;
                        }
                    },
                    Ok(None) => {}
                    // The waiting add_auth learns it when the session ends, after the state
                    // is published.
                    Err(Error::AuthFailed) => {
                        exit = Some(Exit::Terminal(SessionState::AuthFailed, Error::AuthFailed));
                        break;
                    }
                    Err(e) => {
                        exit = Some(Exit::Lost(e.to_string()));
                        break;
                    }
                }
            }
            core.report_load();
        }
        frames.clear();
        wake.into_iter().for_each(Waker::wake);
        exit
    }

    /// Takes a server list given by the client, if any: shuffled, it replaces the hosts, and
    /// the rebalancing rule says whether this client moves (and to which index).
    fn apply_new_hosts(&mut self) -> Option<Move> {
        let mut hosts = self.shared.lock().take_new_hosts()?;
        hosts.shuffle(&mut rand::rng());
        // The host of the current connection; none while not connected.
        let current = self
            .cfg
            .identity
            .lock()
            .ok()
            .and_then(|i| i.server.and(i.host.clone()));
        let decision = rebalance(
            &self.cfg.hosts,
            &hosts,
            current.as_ref(),
            rand::random(),
            rand::random(),
        );
        info!(
            "server list updated from {} to {} hosts: {}",
            self.cfg.hosts.len(),
            hosts.len(),
            match &decision {
                Move::Stay => "staying".to_string(),
                Move::To(i) => format!("moving to {:?}", hosts.get(*i)),
            }
        );
        if let Ok(mut identity) = self.cfg.identity.lock() {
            identity.hosts.clone_from(&hosts);
        }
        self.cfg.hosts = hosts;
        Some(decision)
    }

    /// The timer's next firing: `at`, or a call's deadline when earlier (recorded in the core
    /// so that calls with earlier deadlines wake the task).
    fn arm(&self, at: Instant) -> Instant {
        let mut core = self.shared.lock();
        let at = core.next_deadline().map_or(at, |d| d.min(at));
        core.arm(Some(at));
        at
    }

    /// Writes whatever calls have queued (when not too many requests are in flight), and
    /// notices a close or every client gone. Says whether something was written, and when
    /// the timer must fire earlier than `timer_at` (a call's deadline).
    async fn write_output(
        &mut self,
        conn: &mut Conn,
        timer_at: Instant,
    ) -> Result<(bool, Option<Instant>), Exit> {
        let (permits, earlier) = {
            let mut core = self.shared.lock();
            let earlier = core.next_deadline().filter(|d| *d < timer_at);
            if earlier.is_some() {
                core.arm(earlier);
            }
            if core.clients_gone() {
                return Err(Exit::ClientsGone);
            }
            if core.closing() && self.close_by.is_none() {
                self.close_by = Some(crate::deadline::from_now(core.session.read_timeout()));
            }
            if !core.session.has_output() {
                core.rearm();
                return Ok((false, earlier));
            }
            // Too many in flight: the output waits for replies (the task looks again after
            // each batch of them).
            if core.session.in_flight() >= MAX_IN_FLIGHT {
                return Ok((false, earlier));
            }
            let before = conn.write_buffer().len();
            let permits = core.take_output(conn.write_buffer_mut());
            telemetry::sent(conn.write_buffer().len() - before);
            core.report_load();
            (permits, earlier)
        };
        self.shared.release(permits);
        conn.flush().await.map_err(|e| Exit::Lost(e.to_string()))?;
        Ok((true, earlier))
    }

    /// Ends the session: everything waiting learns why, then the state is published.
    fn finish(&mut self, exit: Exit) {
        let (state, err) = match exit {
            Exit::Terminal(s, e) => (s, e),
            Exit::Lost(_) | Exit::Refused(_) | Exit::SwitchTo(_) | Exit::ClientsGone => {
                (SessionState::Closed, Error::Closed)
            }
        };
        // Publish first: whoever is woken by the error below must already see the final state.
        info!("session state: {state:?}");
        telemetry::state(state);
        let _ = self.state_tx.send(state);
        self.shared.end(&err);
        // The ended session holds nothing any more: its part of the load gauges goes.
        self.shared.lock().load = telemetry::LoadShare::default();
    }
}

/// Why an attempt found no server to talk to.
enum Attempt {
    Open(OpenFailure),
    /// The SASL exchange could not start (no Kerberos credentials, say).
    Sasl {
        mechanism: &'static str,
        host: String,
        why: String,
    },
}

/// One connection attempt to `target` (recorded in `identity` as the current host), on the
/// `turn`th pass over the hosts: the SASL exchange started (when configured), then the stream
/// opened.
async fn attempt(
    target: (String, u16),
    identity: Arc<std::sync::Mutex<SessionIdentity>>,
    turn: usize,
    limit: Duration,
    tls: Option<Arc<TlsOptions>>,
    sasl: Option<Arc<SaslOptions>>,
) -> Result<(Stream, Option<Box<SaslStart>>), Attempt> {
    if let Ok(mut identity) = identity.lock() {
        identity.host = Some(target.clone());
    }
    let sasl = match sasl {
        None => None,
        Some(options) => {
            let mechanism = options.mechanism();
            match start_sasl(options, target.0.clone(), limit).await {
                Ok(s) => Some(Box::new(s)),
                Err(why) => {
                    return Err(Attempt::Sasl {
                        mechanism,
                        host: target.0,
                        why,
                    })
                }
            }
        }
    };
    let stream = open(target, limit, tls, turn)
        .await
        .map_err(Attempt::Open)?;
    Ok((stream, sasl))
}

/// Starts a SASL exchange for a connection to `host`: on tokio's blocking pool when starting
/// may block (GSSAPI asks the KDC), within `limit`.
async fn start_sasl(
    options: Arc<SaslOptions>,
    host: String,
    limit: Duration,
) -> Result<SaslStart, String> {
    if !options.start_blocks() {
        return options.start(&host);
    }
    let job = tokio::task::spawn_blocking(move || options.start(&host));
    match timeout(limit, job).await {
        Err(_) => Err(format!(
            "not started within the connect timeout ({limit:?}): is the KDC reachable?"
        )),
        Ok(Err(e)) => Err(format!("the start failed: {e}")),
        Ok(Ok(started)) => started,
    }
}

/// Whether `host` names the server at `addr` (by address; names are not resolved again).
fn is_server(host: &(String, u16), addr: Option<SocketAddr>) -> bool {
    let Some(addr) = addr else { return false };
    host.1 == addr.port()
        && host
            .0
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip == addr.ip())
}

/// Asks `hosts` in turn whether they serve writes (the `isro` four-letter word), from 100 ms
/// apart doubling up to 10 s, until one answers `rw`; returns its index.
async fn find_read_write(
    hosts: Vec<(usize, (String, u16))>,
    limit: Duration,
    tls: Option<Arc<TlsOptions>>,
) -> usize {
    let mut delay = Duration::from_millis(100);
    loop {
        sleep(delay).await;
        for (index, host) in &hosts {
            if is_read_write(host.clone(), limit, tls.clone()).await {
                debug!("{}:{} serves writes", host.0, host.1);
                return *index;
            }
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

async fn is_read_write(
    (host, port): (String, u16),
    limit: Duration,
    tls: Option<Arc<TlsOptions>>,
) -> bool {
    // The answer is "rw" or "ro": a peer that streams more is not a ZooKeeper server, and
    // reading stops after a few bytes instead of buffering whatever it sends.
    matches!(
        four_letter::ask(&host, port, "isro", tls, limit, ISRO_REPLY_LIMIT).await,
        Ok(reply) if reply == b"rw"
    )
}

/// The most bytes read of an `isro` answer.
const ISRO_REPLY_LIMIT: usize = 16;

/// The earliest of the next ping, the read timeout and the SASL deadline (when one runs).
fn first_of(ping_at: Instant, silent_by: Instant, sasl_by: Option<Instant>) -> Instant {
    let at = ping_at.min(silent_by);
    sasl_by.map_or(at, |d| d.min(at))
}

/// Sleeps until `at`, or forever when there is none.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Buffers start small (tokio-util's default is 8 KiB each way): an idle session then costs
/// little, and the codec reserves room for each frame as its length arrives.
/// (`Framed::from_parts` would grow smaller buffers back to 8 KiB; `with_capacity` keeps them.
/// The write buffer's size is also where `feed` flushes, which only the replayed credentials
/// and watches after a handshake use; the calls' output is flushed as a whole.)
const INITIAL_BUFFER: usize = 512;

fn framed(stream: Stream, codec: FrameCodec) -> Conn {
    Framed::with_capacity(stream, codec, INITIAL_BUFFER)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::sync::watch;

    use super::{Task, TaskConfig};
    use crate::backoff::Backoff;
    use crate::session::{test_config, Session};
    use crate::shared::Shared;
    use crate::types::{SessionIdentity, SessionState};

    #[tokio::test]
    async fn a_connection_starts_with_small_buffers() {
        // An idle session keeps its buffers: 512 bytes each way, not tokio-util's 8 KiB (which
        // `Framed::from_parts` restored, unseen, for every session until a heap profile showed
        // two 7,680-byte blocks per connection).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, _server) =
            tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        let conn = super::framed(
            crate::transport::Stream::Plain(client.unwrap()),
            crate::codec::FrameCodec::new(1 << 20),
        );
        assert_eq!(conn.read_buffer().capacity(), super::INITIAL_BUFFER);
        assert_eq!(conn.write_buffer().capacity(), super::INITIAL_BUFFER);
    }

    #[test]
    fn the_task_of_an_idle_session_is_small() {
        let session = Session::new(test_config("/"));
        let (state_tx, _state) = watch::channel(SessionState::Connecting);
        let task = Task::new(
            Shared::new(session, 8),
            TaskConfig {
                hosts: vec![("127.0.0.1".into(), 2181)],
                connect_timeout: Duration::from_secs(1),
                max_reply: 1 << 20,
                backoff: Backoff::default(),
                identity: Arc::new(Mutex::new(SessionIdentity::default())),
                local_expiry: true,
                fail_fast: None,
                tls: None,
                sasl: None,
            },
            state_tx,
        );
        let run = task.run();
        // Every session holds its task's future for its whole life; the connect attempt (with
        // the SASL start) and the read-only probe are boxed so that they are not part of it
        // (2,160 bytes before; 1,736 with the SASL exchange started outside the session).
        let size = std::mem::size_of_val(&run);
        eprintln!("task future: {size} bytes");
        assert!(size <= 1740, "the connection task's future is {size} bytes");
    }
}
