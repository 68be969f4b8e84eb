//! Metrics through the [`metrics`] facade: the application installs a recorder (Prometheus,
//! OpenTelemetry, ...) and these appear in it; without one, nothing is recorded (each call is
//! a no-op of a few nanoseconds). Recording needs the `metrics` cargo feature (on by default);
//! without it, the client records nothing and does not link the `metrics` crate.
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

use crate::error::Error;

#[cfg(not(feature = "metrics"))]
mod off;
#[cfg(feature = "metrics")]
mod recorder;

#[cfg(not(feature = "metrics"))]
pub(crate) use off::*;
#[cfg(feature = "metrics")]
pub(crate) use recorder::*;

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

/// The index in [`crate::error::LABELS`] of an answer's `outcome` (the labels come from the error table).
fn outcome(result: Result<(), &Error>) -> usize {
    result.err().map_or(0, Error::label_index)
}
