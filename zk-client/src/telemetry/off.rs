//! Without the `metrics` feature: the same calls, recording nothing.

use std::time::Duration;

use jute_schemas::protocol::OpCode;

use super::outcome;
use crate::error::{Error, LABELS};
use crate::types::SessionState;

/// A call was answered (or failed): returns its `outcome` label.
pub(crate) fn request_done(_: OpCode, result: Result<(), &Error>, _: Duration) -> &'static str {
    LABELS[outcome(result)]
}

/// Bytes went out on the client port.
pub(crate) fn sent(_: usize) {}

/// Bytes came in on the client port.
pub(crate) fn received(_: usize) {}

/// A connection attempt ended.
pub(crate) fn connection(_: bool) {}

/// An established connection was lost.
pub(crate) fn disconnect() {}

/// A session state was published.
pub(crate) fn state(_: SessionState) {}

/// One session's share of the load gauges: nothing to share.
#[derive(Debug, Default)]
pub(crate) struct LoadShare {
    _nothing: (),
}

impl LoadShare {
    /// The session's load now.
    pub(crate) fn report(&mut self, _: usize, _: usize, _: usize) {}
}
