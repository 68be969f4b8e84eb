//! Metrics through the [`metrics`] facade: the application installs a recorder (Prometheus,
//! OpenTelemetry, ...) and these appear in it; without one, nothing is recorded (each call is
//! a no-op of a few nanoseconds).
//!
//! Each series is registered with the recorder the first time it is used, and its handle kept
//! for the life of the process: **install the recorder before the first client connects**
//! (series first used before that stay unrecorded).
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `zk_client_requests_total` | counter | `op`, `outcome` | calls answered, by op code name (`getData`) and outcome (`ok`, or [`Error::label`]: `no_node`, `connection_loss`, `timeout`, ...) |
//! | `zk_client_request_duration_seconds` | histogram | `op` | from the call to its answer |
//! | `zk_client_bytes_sent_total` / `zk_client_bytes_received_total` | counter | | on the client port, length prefixes included |
//! | `zk_client_connections_total` | counter | `outcome` (`ok`, `failed`) | connection attempts |
//! | `zk_client_disconnects_total` | counter | | established connections lost |
//! | `zk_client_state_transitions_total` | counter | `state` | session states published |
//! | `zk_client_watches` | gauge | | watches the process's sessions hold on the server, all sessions added up |
//! | `zk_client_queued_requests` | gauge | | requests written by callers, not yet on the connection (all sessions) |
//! | `zk_client_in_flight_requests` | gauge | | requests sent, not yet answered (all sessions) |
//!
//! The gauges are sums over the process's sessions: each session moves them by what changed
//! since its own last report, and takes its share away when it ends.
//!
//! At `debug` level, [`tracing`] gets a `zk_call` span per call (target `zk_client::client`)
//! with its `op`, `path`, the `server` the session was on when the call was made, its `xid`,
//! `request_bytes` and `reply_bytes` on the wire (length prefixes included; 0 for a call that
//! never reached the wire or got no reply), `outcome` and `latency_us`, and an `answered`
//! event inside it when the call ends.

use std::sync::OnceLock;
use std::time::Duration;

use jute_schemas::protocol::OpCode;
use metrics::{Counter, Gauge, Histogram};

use crate::error::{Error, LABELS};
use crate::types::SessionState;

/// Metric names, as the table in the module docs lists them.
pub mod names {
    /// Calls answered, by `op` and `outcome`.
    pub const REQUESTS: &str = "zk_client_requests_total";
    /// From the call to its answer, by `op`.
    pub const REQUEST_DURATION: &str = "zk_client_request_duration_seconds";
    /// Bytes written to the client port.
    pub const BYTES_SENT: &str = "zk_client_bytes_sent_total";
    /// Bytes read from the client port.
    pub const BYTES_RECEIVED: &str = "zk_client_bytes_received_total";
    /// Connection attempts, by `outcome`.
    pub const CONNECTIONS: &str = "zk_client_connections_total";
    /// Established connections lost.
    pub const DISCONNECTS: &str = "zk_client_disconnects_total";
    /// Session states published, by `state`.
    pub const STATE_TRANSITIONS: &str = "zk_client_state_transitions_total";
    /// Watches held on the server.
    pub const WATCHES: &str = "zk_client_watches";
    /// Requests not yet on the connection.
    pub const QUEUED: &str = "zk_client_queued_requests";
    /// Requests sent and not answered.
    pub const IN_FLIGHT: &str = "zk_client_in_flight_requests";
}

/// The index in [`LABELS`] of an answer's `outcome` (the labels come from the error table).
fn outcome(result: Result<(), &Error>) -> usize {
    result.err().map_or(0, Error::label_index)
}

/// Op codes run from -11 (closeSession) to 107 (whoAmI): `value + OP_OFFSET` indexes the
/// tables below; anything outside shares the last slot.
const OP_OFFSET: i32 = 16;
const OP_SLOTS: usize = 128;

fn op_slot(op: OpCode) -> usize {
    usize::try_from(op.value() + OP_OFFSET)
        .ok()
        .filter(|i| *i < OP_SLOTS)
        .unwrap_or(OP_SLOTS - 1)
}

// Handles are registered with the recorder the first time each is used (so a series exists
// only for what happened), then reused: a registration hashes its key, a reuse is one atomic
// load. So the recorder must be installed before the first client connects.
static REQUESTS: [[OnceLock<Counter>; LABELS.len()]; OP_SLOTS] =
    [const { [const { OnceLock::new() }; LABELS.len()] }; OP_SLOTS];
static DURATIONS: [OnceLock<Histogram>; OP_SLOTS] = [const { OnceLock::new() }; OP_SLOTS];
static BYTES_SENT: OnceLock<Counter> = OnceLock::new();
static BYTES_RECEIVED: OnceLock<Counter> = OnceLock::new();
static CONNECTIONS: [OnceLock<Counter>; 2] = [const { OnceLock::new() }; 2];
static DISCONNECTS: OnceLock<Counter> = OnceLock::new();
static STATES: [OnceLock<Counter>; 7] = [const { OnceLock::new() }; 7];
static LOAD: OnceLock<[Gauge; 3]> = OnceLock::new();

/// A call was answered (or failed) after `took`: counted and timed. Returns its `outcome`
/// label.
pub(crate) fn request_done(op: OpCode, result: Result<(), &Error>, took: Duration) -> &'static str {
    let slot = op_slot(op);
    let o = outcome(result);
    REQUESTS[slot][o]
        .get_or_init(
            || metrics::counter!(names::REQUESTS, "op" => op.name(), "outcome" => LABELS[o]),
        )
        .increment(1);
    DURATIONS[slot]
        .get_or_init(|| metrics::histogram!(names::REQUEST_DURATION, "op" => op.name()))
        .record(took.as_secs_f64());
    LABELS[o]
}

/// Bytes went out on the client port.
pub(crate) fn sent(bytes: usize) {
    BYTES_SENT
        .get_or_init(|| metrics::counter!(names::BYTES_SENT))
        .increment(bytes as u64);
}

/// Bytes came in on the client port.
pub(crate) fn received(bytes: usize) {
    BYTES_RECEIVED
        .get_or_init(|| metrics::counter!(names::BYTES_RECEIVED))
        .increment(bytes as u64);
}

/// A connection attempt ended: a session on it, or not.
pub(crate) fn connection(ok: bool) {
    let (i, outcome) = if ok { (0, "ok") } else { (1, "failed") };
    CONNECTIONS[i]
        .get_or_init(|| metrics::counter!(names::CONNECTIONS, "outcome" => outcome))
        .increment(1);
}

/// An established connection was lost.
pub(crate) fn disconnect() {
    DISCONNECTS
        .get_or_init(|| metrics::counter!(names::DISCONNECTS))
        .increment(1);
}

/// A session state was published.
pub(crate) fn state(state: SessionState) {
    let (i, name) = match state {
        SessionState::Connecting => (0, "connecting"),
        SessionState::Connected => (1, "connected"),
        SessionState::ConnectedReadOnly => (2, "connected_read_only"),
        SessionState::Disconnected => (3, "disconnected"),
        SessionState::Expired => (4, "expired"),
        SessionState::AuthFailed => (5, "auth_failed"),
        SessionState::Closed => (6, "closed"),
    };
    STATES[i]
        .get_or_init(|| metrics::counter!(names::STATE_TRANSITIONS, "state" => name))
        .increment(1);
}

/// One session's share of the load gauges (watches, queued and in-flight requests), which
/// add up every session of the process: a report moves them by what changed since the
/// session's last one, and dropping the share takes the session's part away.
#[derive(Debug, Default)]
pub(crate) struct LoadShare {
    last: [u32; 3],
}

impl LoadShare {
    /// The session's load now.
    pub(crate) fn report(&mut self, watches: usize, queued: usize, in_flight: usize) {
        let now = [watches, queued, in_flight].map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        if now == self.last {
            return;
        }
        let gauges = LOAD.get_or_init(|| {
            [
                metrics::gauge!(names::WATCHES),
                metrics::gauge!(names::QUEUED),
                metrics::gauge!(names::IN_FLIGHT),
            ]
        });
        for ((gauge, old), new) in gauges.iter().zip(self.last).zip(now) {
            if new > old {
                gauge.increment(f64::from(new - old));
            } else if old > new {
                gauge.decrement(f64::from(old - new));
            }
        }
        self.last = now;
    }
}

impl Drop for LoadShare {
    fn drop(&mut self) {
        self.report(0, 0, 0);
    }
}
