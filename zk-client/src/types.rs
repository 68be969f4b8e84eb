//! Public value types: session states, create options, watched events.

use std::time::Duration;

pub use jute_schemas::data::{ClientInfo, Stat};
pub use jute_schemas::protocol::{AddWatchMode, CreateMode, EventType, WatcherType};

pub use crate::session::WatchedEvent;

use crate::acl::{self, Acl};

/// The state of the session, published on [`crate::Client::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Looking for a server.
    Connecting,
    /// Connected to a read-write server.
    Connected,
    /// Connected to a read-only server (only when allowed).
    ConnectedReadOnly,
    /// The connection was lost; the client is reconnecting within the session.
    Disconnected,
    /// The session expired (terminal).
    Expired,
    /// Authentication failed (terminal).
    AuthFailed,
    /// The client was closed (terminal).
    Closed,
}

impl SessionState {
    /// Whether the state can never change again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SessionState::Expired | SessionState::AuthFailed | SessionState::Closed
        )
    }

    /// The error calls fail with once the session is in this terminal state
    /// ([`crate::Error::SessionExpired`], [`crate::Error::AuthFailed`], else
    /// [`crate::Error::Closed`]).
    pub fn ending_error(self) -> crate::Error {
        match self {
            SessionState::Expired => crate::Error::SessionExpired,
            SessionState::AuthFailed => crate::Error::AuthFailed,
            _ => crate::Error::Closed,
        }
    }

    /// Whether requests can be answered now.
    pub fn is_connected(self) -> bool {
        matches!(
            self,
            SessionState::Connected | SessionState::ConnectedReadOnly
        )
    }
}

/// How to create a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    /// Persistent, ephemeral, sequential, container or TTL.
    pub mode: CreateMode,
    /// The node's ACL (default: `world:anyone` with every permission).
    pub acl: Vec<Acl>,
    /// Time to live, for the TTL modes.
    pub ttl: Option<Duration>,
}

impl CreateOptions {
    /// Options with `mode` and the open ACL.
    pub fn new(mode: CreateMode) -> Self {
        CreateOptions {
            mode,
            acl: acl::open_unsafe(),
            ttl: None,
        }
    }

    /// A TTL node (`PersistentWithTtl`).
    pub fn ttl(ttl: Duration) -> Self {
        CreateOptions {
            mode: CreateMode::PersistentWithTtl,
            acl: acl::open_unsafe(),
            ttl: Some(ttl),
        }
    }

    /// The same options with another ACL.
    #[must_use]
    pub fn with_acl(mut self, acl: Vec<Acl>) -> Self {
        self.acl = acl;
        self
    }

    /// The same options with another mode.
    #[must_use]
    pub fn with_mode(mut self, mode: CreateMode) -> Self {
        self.mode = mode;
        self
    }

    pub(crate) fn is_sequential(&self) -> bool {
        matches!(
            self.mode,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }

    pub(crate) fn is_ttl(&self) -> bool {
        matches!(
            self.mode,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
        )
    }
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions::new(CreateMode::Persistent)
    }
}
