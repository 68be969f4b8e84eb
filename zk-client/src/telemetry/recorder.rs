//! Recording through the `metrics` facade (the `metrics` feature).

use std::sync::OnceLock;
use std::time::Duration;

use jute_schemas::protocol::OpCode;
use metrics::{Counter, Gauge, Histogram};

use super::{names, outcome};
use crate::error::{Error, LABELS};
use crate::types::SessionState;

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
