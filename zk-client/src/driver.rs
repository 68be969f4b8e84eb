//! The tokio task behind a client: it opens transports, feeds what they read to the
//! [`Session`](crate::session::Session), writes what the session emits, and sleeps until the
//! session's next timeout or a call's deadline. Every decision about time (pings, the read
//! timeout, the handshake, SASL and close deadlines, local expiry) is the session's; this file
//! only moves bytes and delivers outcomes. Per connection an inner loop runs until the
//! connection ends; the outer loop reconnects within the session until the session ends
//! (expired, auth failed, closed, left).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use rand::seq::SliceRandom;
use tokio::sync::{oneshot, watch};
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tokio_util::codec::Framed;
use tracing::{debug, info};

use crate::backoff::Backoff;
use crate::codec::{CodecError, Frame, FrameCodec};
use crate::error::Error;
use crate::four_letter;
use crate::sasl::{SaslOptions, SaslStart};
use crate::server_list::{rebalance, Move};
use crate::session::End;
use crate::shared::{Delivered, Shared};
use crate::telemetry;
use crate::tls::TlsOptions;
use crate::transport::{open, OpenFailure, Stream};
use crate::types::SessionState;

/// Frames handled under one lock, at most (then the callers they answer are woken).
const READ_BATCH: usize = 256;

/// How one connection ended.
#[derive(Debug)]
enum Exit {
    End(End),
    /// Connected read-only, a read-write server was found: move to the host with this index.
    SwitchTo(usize),
}

pub(crate) struct DriverConfig {
    pub max_reply: usize,
    /// Delays between connection attempts.
    pub backoff: Backoff,
    /// When set, the first connect gives up after one pass over the hosts and says why here.
    pub fail_fast: Option<oneshot::Sender<Vec<OpenFailure>>>,
    /// TLS on every connection, when set.
    pub tls: Option<Arc<TlsOptions>>,
    /// SASL on every connection, when set.
    pub sasl: Option<Arc<SaslOptions>>,
}

pub(crate) struct Driver {
    shared: Arc<Shared>,
    cfg: DriverConfig,
    state_tx: watch::Sender<SessionState>,
}

type Conn = Framed<Stream, FrameCodec>;
type Read = Option<Result<Frame, CodecError>>;

impl Driver {
    pub(crate) fn new(
        shared: Arc<Shared>,
        cfg: DriverConfig,
        state_tx: watch::Sender<SessionState>,
    ) -> Self {
        Driver {
            shared,
            cfg,
            state_tx,
        }
    }

    pub(crate) async fn run(mut self) {
        let mut host = 0usize;
        let mut failures_in_a_row = 0usize;
        let mut no_pause = true;
        let mut next: Option<usize> = None;
        let mut why_not = Vec::new();
        loop {
            let hosts = self.shared.lock().session.hosts().len().max(1);
            if !no_pause {
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
            let Some((index, target, limit)) = self.next_host(next.take().unwrap_or(host)) else {
                self.finish(End::Session(Error::NoHosts(
                    "no server to connect to".into(),
                )));
                return;
            };
            host = index + 1;
            // Boxed: alive only while connecting, it would otherwise be part of every idle
            // session's task. The SASL exchange starts first: GSSAPI may ask the KDC.
            // A name's addresses are tried in turn, one per pass over the hosts.
            let attempt = Box::pin(attempt(
                target,
                failures_in_a_row / hosts,
                limit,
                self.cfg.tls.clone(),
                self.cfg.sasl.clone(),
            ));
            let attempt = tokio::select! {
                a = attempt => a,
                end = self.idle() => {
                    self.finish(end);
                    return;
                }
            };
            let refused = match attempt {
                Ok((stream, sasl)) => {
                    let server = stream.peer_addr().ok();
                    let conn = framed(stream, FrameCodec::new(self.cfg.max_reply));
                    let sasl = sasl.map(|s| *s);
                    self.shared
                        .lock()
                        .session
                        .on_transport(Instant::now(), server, sasl);
                    match self.serve(conn, server).await {
                        Exit::End(End::Refused(why)) => {
                            let mut wake = Vec::new();
                            self.shared.lock().on_refused(&mut wake);
                            wake.into_iter().for_each(Waker::wake);
                            let from = server.map(|a| a.to_string()).unwrap_or_default();
                            info!("no session from {from}: {why}");
                            OpenFailure {
                                server: from,
                                why,
                                tls: None,
                            }
                        }
                        Exit::End(End::Lost(why)) => {
                            telemetry::disconnect();
                            failures_in_a_row = 0;
                            if !self.disconnected(&why) {
                                return;
                            }
                            continue;
                        }
                        Exit::SwitchTo(index) => {
                            failures_in_a_row = 0;
                            next = Some(index);
                            no_pause = true;
                            let host = self.shared.lock().session.hosts().get(index).cloned();
                            if !self.disconnected(&format!("moving to {host:?}")) {
                                return;
                            }
                            continue;
                        }
                        Exit::End(end @ End::Session(_)) => {
                            self.finish(end);
                            return;
                        }
                    }
                }
                Err(Attempt::Sasl {
                    mechanism,
                    host,
                    why,
                }) => {
                    // Like a refused exchange: credentials that do not work are not retried
                    // (the Java client ends in AUTH_FAILED too).
                    tracing::warn!("SASL ({mechanism}) cannot start for {host}: {why}");
                    self.finish(End::Session(Error::AuthFailed));
                    return;
                }
                Err(Attempt::Open(e)) => {
                    info!("cannot connect: {e}");
                    e
                }
            };
            telemetry::connection(false);
            failures_in_a_row += 1;
            if self.cfg.fail_fast.is_some() {
                why_not.push(refused);
            }
            if self.fail_first_pass(failures_in_a_row, hosts, &mut why_not) {
                return;
            }
        }
    }

    /// The host to try: the one at `index` (modulo the list), recorded in the session as the
    /// current one, with the connect timeout.
    fn next_host(&self, index: usize) -> Option<(usize, (String, u16), Duration)> {
        let mut core = self.shared.lock();
        let hosts = core.session.hosts();
        if hosts.is_empty() {
            return None;
        }
        let index = index % hosts.len();
        let target = hosts[index].clone();
        core.session.set_host(target.clone());
        Some((index, target, core.session.timeouts().connect()))
    }

    /// A connection with a session on it ended: the calls on it fail with connection loss.
    /// False when the session ended with it (it was closing: the server cannot be told).
    fn disconnected(&mut self, why: &str) -> bool {
        info!("connection lost: {why}");
        let mut wake = Vec::new();
        let ended = {
            let mut core = self.shared.lock();
            core.on_disconnect(&mut wake);
            core.session.ended().cloned()
        };
        wake.into_iter().for_each(Waker::wake);
        if let Some(e) = ended {
            self.finish(End::Session(e));
            return false;
        }
        info!("session state: Disconnected");
        telemetry::state(SessionState::Disconnected);
        let _ = self.state_tx.send(SessionState::Disconnected);
        true
    }

    /// With fail-fast and no session yet: after a whole pass over the hosts without one, ends
    /// the task and tells the waiting `connect` why. True when it did.
    fn fail_first_pass(
        &mut self,
        failures_in_a_row: usize,
        hosts: usize,
        why_not: &mut Vec<OpenFailure>,
    ) -> bool {
        if self.cfg.fail_fast.is_none() || failures_in_a_row < hosts {
            return false;
        }
        if let Some(tx) = self.cfg.fail_fast.take() {
            let _ = tx.send(std::mem::take(why_not));
        }
        self.finish(End::Session(Error::Closed));
        true
    }

    /// Waits `pause` while still minding the session; false when the task has to end.
    async fn pause(&mut self, pause: Duration) -> bool {
        if pause.is_zero() {
            return true;
        }
        tokio::select! {
            () = sleep(pause) => true,
            end = self.idle() => {
                self.finish(end);
                false
            }
        }
    }

    /// While there is no connection: calls queue up in the session's output; the session is
    /// told the time (local expiry) and calls stop at their deadlines. Returns only when the
    /// session has ended (closed, left, expired).
    async fn idle(&self) -> End {
        loop {
            let notified = self.shared.wake().notified();
            let mut wake = Vec::new();
            let next = {
                let mut core = self.shared.lock();
                if let Some(e) = core.session.ended() {
                    return End::Session(e.clone());
                }
                let now = Instant::now();
                core.expire(now, &mut wake);
                if let Err(end) = core.session.handle_timeout(now) {
                    return end;
                }
                let next = earliest(core.session.poll_timeout(), core.next_deadline());
                core.arm(next);
                next
            };
            wake.into_iter().for_each(Waker::wake);
            tokio::select! {
                () = notified => {}
                () = sleep_until_some(next) => {}
            }
        }
    }

    /// Runs one connection: the handshake the session queued, then its traffic, until it ends.
    async fn serve(&mut self, mut conn: Conn, server: Option<SocketAddr>) -> Exit {
        let mut granted = false;
        let mut announced = false;
        let mut probe = None;
        // One timer for the session's timeouts and the calls' deadlines. It is not moved on
        // every frame (that would touch tokio's timer wheel twice per reply): when it fires the
        // session checks the real instants, which only ever move later, and it is set again
        // for the nearest. Only an earlier instant (a call's deadline, a phase change) moves it
        // earlier.
        let mut timer_at = self.arm(None);
        let timer = sleep_until(timer_at);
        tokio::pin!(timer);
        let shared = self.shared.clone();
        let notified = shared.wake().notified();
        tokio::pin!(notified);
        let mut frames = Vec::new();
        loop {
            match self.write_output(&mut conn, timer_at).await {
                Ok(Some(at)) => {
                    timer_at = at;
                    timer.as_mut().reset(at);
                }
                Ok(None) => {}
                Err(exit) => return exit,
            }
            tokio::select! {
                biased;
                frame = conn.next() => {
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
                    if !announced {
                        let (now_granted, usable, read_only) = {
                            let core = self.shared.lock();
                            let s = &core.session;
                            (!s.is_handshaking(), s.is_connected(), s.is_read_only())
                        };
                        if now_granted && !granted {
                            granted = true;
                            self.granted(server);
                        }
                        if usable {
                            announced = true;
                            self.announce(read_only);
                            probe = self.probe(read_only, server);
                        }
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
                    let told = {
                        let mut core = self.shared.lock();
                        core.expire(now, &mut wake);
                        core.session.handle_timeout(now)
                    };
                    wake.into_iter().for_each(Waker::wake);
                    if let Err(end) = told {
                        return Exit::End(end);
                    }
                    timer_at = self.arm(None);
                    timer.as_mut().reset(timer_at);
                }
                index = async {
                    match probe.as_mut() {
                        Some(probe) => probe.await,
                        None => std::future::pending().await,
                    }
                } => return Exit::SwitchTo(index),
            }
        }
    }

    /// The session was granted on the connection to `server`.
    fn granted(&self, server: Option<SocketAddr>) {
        let core = self.shared.lock();
        info!(
            "connected to {} (session 0x{:x}, timeout {:?})",
            server.map_or_else(|| "?".into(), |s| s.to_string()),
            core.session.session_id(),
            core.session.negotiated_timeout().unwrap_or_default()
        );
        drop(core);
        telemetry::connection(true);
    }

    /// Publishes the connected state, once per connection (after its SASL exchange, when
    /// there is one).
    fn announce(&mut self, read_only: bool) {
        let state = if read_only {
            SessionState::ConnectedReadOnly
        } else {
            SessionState::Connected
        };
        // Fail-fast concerns the first connection only, up to here.
        self.cfg.fail_fast = None;
        info!("session state: {state:?}");
        telemetry::state(state);
        let _ = self.state_tx.send(state);
    }

    /// Connected read-only: a search for a read-write server among the others (boxed, and
    /// only then: an idle read-write session should not carry it).
    fn probe(
        &self,
        read_only: bool,
        server: Option<SocketAddr>,
    ) -> Option<std::pin::Pin<Box<impl std::future::Future<Output = usize>>>> {
        let others: Vec<(usize, (String, u16))> = {
            let core = self.shared.lock();
            let hosts = core.session.hosts().iter().cloned().enumerate();
            hosts.filter(|(_, host)| !is_server(host, server)).collect()
        };
        if !read_only || others.is_empty() {
            return None;
        }
        let limit = self.shared.lock().session.timeouts().connect();
        Some(Box::pin(find_read_write(
            others,
            limit,
            self.cfg.tls.clone(),
        )))
    }

    /// Hands frames to the session under one lock, then wakes the callers they answer.
    fn handle(&mut self, frames: &mut Vec<Read>) -> Option<Exit> {
        let mut wake = Vec::new();
        let mut end = None;
        {
            let mut core = self.shared.lock();
            let now = Instant::now();
            for frame in frames.drain(..) {
                let outcome = match frame {
                    None => Err(core
                        .session
                        .on_transport_end(if core.session.is_handshaking() {
                            "closed before the handshake reply (a member without a quorum, \
                         or a TLS-only port?)"
                                .into()
                        } else {
                            "closed by the server".into()
                        })),
                    Some(Err(e)) => Err(core.session.on_transport_end(e.to_string())),
                    Some(Ok(Frame::Data(b))) => {
                        telemetry::received(4 + b.len());
                        core.session.on_input(now, &b)
                    }
                    Some(Ok(Frame::Oversized { xid, len })) => {
                        telemetry::received(4 + len);
                        core.session.on_oversized_input(now, xid, len).map(Some)
                    }
                };
                match outcome {
                    Ok(Some(o)) => match core.deliver(o, &mut wake) {
                        Delivered::Continue => {}
                        Delivered::Closed => {
                            end = Some(End::Session(Error::Closed));
                            break;
                        }
                        Delivered::Broken(why) => {
                            end = Some(End::Lost(why));
                            break;
                        }
                    },
                    Ok(None) => {}
                    Err(e) => {
                        end = Some(e);
                        break;
                    }
                }
            }
            core.report_load();
        }
        frames.clear();
        wake.into_iter().for_each(Waker::wake);
        end.map(Exit::End)
    }

    /// Takes a server list given by the client, if any: shuffled, it replaces the hosts, and
    /// the rebalancing rule says whether this client moves (and to which index).
    fn apply_new_hosts(&mut self) -> Option<Move> {
        let mut core = self.shared.lock();
        let mut hosts = core.take_new_hosts()?;
        hosts.shuffle(&mut rand::rng());
        let session = &mut core.session;
        // The host of the current connection; none while not connected.
        let current = session.server().and(session.host().cloned());
        let decision = rebalance(
            session.hosts(),
            &hosts,
            current.as_ref(),
            rand::random(),
            rand::random(),
        );
        info!(
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

    /// The timer's next firing: the session's next timeout or a call's deadline, whichever
    /// comes first (recorded in the core so that calls with earlier deadlines wake the task),
    /// or `at` when given and earlier.
    fn arm(&self, at: Option<Instant>) -> Instant {
        let mut core = self.shared.lock();
        let next = earliest(
            earliest(core.session.poll_timeout(), core.next_deadline()),
            at,
        );
        core.arm(next);
        next.unwrap_or_else(|| crate::deadline::from_now(crate::deadline::NEVER))
    }

    /// Writes whatever the session lets go out now, and notices the session's end. Returns
    /// when the timer must fire earlier than `timer_at` (a call's deadline, a new phase).
    async fn write_output(
        &mut self,
        conn: &mut Conn,
        timer_at: Instant,
    ) -> Result<Option<Instant>, Exit> {
        let (permits, earlier) = {
            let mut core = self.shared.lock();
            if let Some(e) = core.session.ended() {
                return Err(Exit::End(End::Session(e.clone())));
            }
            let want = earliest(core.session.poll_timeout(), core.next_deadline());
            let earlier = want.filter(|at| *at < timer_at);
            if earlier.is_some() {
                core.arm(earlier);
            }
            if !core.session.has_output() {
                core.rearm();
                return Ok(earlier);
            }
            let before = conn.write_buffer().len();
            let permits = core.take_output(Instant::now(), conn.write_buffer_mut());
            telemetry::sent(conn.write_buffer().len() - before);
            core.report_load();
            (permits, earlier)
        };
        self.shared.release(permits);
        futures_util::SinkExt::<&[u8]>::flush(conn)
            .await
            .map_err(|e| Exit::End(End::Lost(e.to_string())))?;
        Ok(earlier)
    }

    /// Ends the session: everything waiting learns why, then the state is published.
    fn finish(&mut self, end: End) {
        let state = end.terminal_state().unwrap_or(SessionState::Closed);
        let err = match end {
            End::Session(e) => e,
            End::Lost(_) | End::Refused(_) => Error::Closed,
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

/// The earlier of two optional instants.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
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

/// One connection attempt to `target`, on the `turn`th pass over the hosts: the SASL exchange
/// started (when configured), then the stream opened.
async fn attempt(
    target: (String, u16),
    turn: usize,
    limit: Duration,
    tls: Option<Arc<TlsOptions>>,
    sasl: Option<Arc<SaslOptions>>,
) -> Result<(Stream, Option<Box<SaslStart>>), Attempt> {
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
    use tokio::sync::watch;

    use super::{Driver, DriverConfig};
    use crate::backoff::Backoff;
    use crate::session::{test_config, Session};
    use crate::shared::Shared;
    use crate::types::SessionState;

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
        let mut session = Session::new(test_config("/"));
        session.set_hosts(vec![("127.0.0.1".into(), 2181)]);
        let (state_tx, _state) = watch::channel(SessionState::Connecting);
        let task = Driver::new(
            Shared::new(session, 8),
            DriverConfig {
                max_reply: 1 << 20,
                backoff: Backoff::default(),
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
