//! The tokio task behind a client: it opens transports, feeds what they read to the
//! [`Session`](crate::session::Session), writes what the session emits, and sleeps until the
//! session's next timeout or a call's deadline. Every decision about time (pings, the read
//! timeout, the handshake, SASL and close deadlines, local expiry) is the session's; this file
//! only moves bytes and delivers outcomes. Per connection an inner loop runs until the
//! connection ends; the outer loop reconnects within the session until the session ends
//! (expired, auth failed, closed, left).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::{oneshot, watch};
use tokio::time::{sleep, sleep_until, Instant};
use tracing::info;

use crate::backoff::Backoff;
use crate::calls::Calls;
use crate::codec::FrameCodec;
use crate::error::Error;
use crate::sasl::SaslOptions;
use crate::server_list::Move;
use crate::session::End;
use crate::telemetry;
use crate::tls::TlsOptions;
use crate::transport::OpenFailure;
use crate::types::SessionState;

mod attempt;
mod pacing;
mod read_write;

use attempt::{attempt, framed, Attempt, Conn};
use pacing::Pacing;
use read_write::probe as read_write_probe;

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
    shared: Arc<Calls>,
    cfg: DriverConfig,
    state_tx: watch::Sender<SessionState>,
}

impl Driver {
    pub(crate) fn new(
        shared: Arc<Calls>,
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
        let mut pacing = Pacing::new(self.cfg.backoff.clone(), self.cfg.fail_fast.take());
        loop {
            let hosts = self.shared.lock().session.hosts().len();
            let pause = pacing.pause(hosts, rand::random());
            if !self.pause(pause).await {
                return;
            }
            if let Some(Move::To(i)) = self.apply_new_hosts() {
                pacing.prefer(i);
            }
            // The list may have just changed.
            let hosts = self.shared.lock().session.hosts().len();
            let (index, turn) = pacing.target(hosts);
            let Some((target, limit)) = self.shared.lock().try_host(index) else {
                let none = Error::NoHosts("no server to connect to".into());
                return self.finish(End::Session(none));
            };
            // Boxed: alive only while connecting, it would otherwise be part of every idle
            // session's task. The SASL exchange starts first: GSSAPI may ask the KDC.
            let (tls, sasl) = (self.cfg.tls.clone(), self.cfg.sasl.clone());
            let attempt = Box::pin(attempt(target, turn, limit, tls, sasl));
            let attempt = tokio::select! {
                a = attempt => a,
                end = self.idle() => return self.finish(end),
            };
            let refused = match attempt {
                Ok((stream, sasl)) => {
                    let server = stream.peer_addr().ok();
                    let conn = framed(stream, FrameCodec::new(self.cfg.max_reply));
                    self.shared.transport(server, sasl.map(|s| *s));
                    match self.serve(conn, server, &mut pacing).await {
                        Exit::End(End::Refused(why)) => {
                            self.shared.refused();
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
                            pacing.had_session();
                            if !self.disconnected(&why) {
                                return;
                            }
                            continue;
                        }
                        Exit::SwitchTo(index) => {
                            pacing.had_session();
                            pacing.switch_to(index);
                            if !self.disconnected(&format!("moving to host {index}")) {
                                return;
                            }
                            continue;
                        }
                        Exit::End(end @ End::Session(_)) => return self.finish(end),
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
                    return self.finish(End::Session(Error::AuthFailed));
                }
                Err(Attempt::Open(e)) => {
                    info!("cannot connect: {e}");
                    e
                }
            };
            telemetry::connection(false);
            // With fail-fast and no session yet, a whole pass without one ends the task, and
            // the waiting `connect` learns why.
            if let Some((tx, why_not)) = pacing.failed(refused, hosts) {
                let _ = tx.send(why_not);
                return self.finish(End::Session(Error::Closed));
            }
        }
    }

    /// A connection with a session on it ended: the calls on it fail with connection loss.
    /// False when the session ended with it (it was closing: the server cannot be told).
    fn disconnected(&mut self, why: &str) -> bool {
        info!("connection lost: {why}");
        if let Some(e) = self.shared.disconnected() {
            self.finish(End::Session(e));
            return false;
        }
        info!("session state: Disconnected");
        telemetry::state(SessionState::Disconnected);
        let _ = self.state_tx.send(SessionState::Disconnected);
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
            if let Some(e) = self.shared.lock().session.ended() {
                return End::Session(e.clone());
            }
            if let Err(end) = self.shared.tick() {
                return end;
            }
            let next = self.shared.lock().arm_next();
            tokio::select! {
                () = notified => {}
                () = sleep_until_some(next) => {}
            }
        }
    }

    /// Runs one connection: the handshake the session queued, then its traffic, until it ends.
    async fn serve(
        &mut self,
        mut conn: Conn,
        server: Option<SocketAddr>,
        pacing: &mut Pacing,
    ) -> Exit {
        let mut granted = false;
        let mut announced = false;
        let mut probe = None;
        // One timer for the session's timeouts and the calls' deadlines. It is not moved on
        // every frame (that would touch tokio's timer wheel twice per reply): when it fires the
        // session checks the real instants, which only ever move later, and it is set again
        // for the nearest. Only an earlier instant (a call's deadline, a phase change) moves it
        // earlier.
        let mut timer_at = self.arm();
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
                    if let Some(end) = self.shared.read(frames.drain(..)) {
                        return Exit::End(end);
                    }
                    if !announced {
                        let (now_granted, usable, read_only) = self.shared.progress();
                        if now_granted && !granted {
                            granted = true;
                            self.granted(server);
                        }
                        if usable {
                            announced = true;
                            pacing.connected();
                            self.announce(read_only);
                            let tls = self.cfg.tls.clone();
                            probe = read_only
                                .then(|| read_write_probe(&self.shared, server, tls))
                                .flatten();
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
                    if let Err(end) = self.shared.tick() {
                        return Exit::End(end);
                    }
                    timer_at = self.arm();
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
        info!("session state: {state:?}");
        telemetry::state(state);
        let _ = self.state_tx.send(state);
    }

    /// Takes a server list given by the client, if any (see [`Calls::apply_new_hosts`]).
    fn apply_new_hosts(&mut self) -> Option<Move> {
        self.shared.lock().apply_new_hosts()
    }

    /// The timer's next firing: the session's next timeout or a call's deadline, whichever
    /// comes first (recorded in the core so that calls with earlier deadlines wake the task).
    fn arm(&self) -> Instant {
        let next = self.shared.lock().arm_next();
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
            let earlier = core.next_wake().filter(|at| *at < timer_at);
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

/// Sleeps until `at`, or forever when there is none.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::watch;

    use super::{Driver, DriverConfig};
    use crate::backoff::Backoff;
    use crate::calls::Calls;
    use crate::session::{test_config, Session};
    use crate::types::SessionState;

    #[test]
    fn the_task_of_an_idle_session_is_small() {
        let mut session = Session::new(test_config("/"));
        session.set_hosts(vec![("127.0.0.1".into(), 2181)]);
        let (state_tx, _state) = watch::channel(SessionState::Connecting);
        let task = Driver::new(
            Calls::new(session, 8),
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
        assert!(size <= 1740, "the driver's future is {size} bytes");
    }
}
