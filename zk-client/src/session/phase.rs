//! Where the session is in its life, as one value, and how a connection ends.

use tokio::time::Instant;

use crate::error::Error;
use crate::sasl::{Mechanism, SaslStart};
use crate::types::SessionState;

/// The session's phase. Each carries the instants its timers are measured from.
pub(crate) enum Phase {
    /// No connection. With local expiry, the session is taken as expired at `expires_at`
    /// (the last frame heard plus the negotiated timeout).
    Disconnected { expires_at: Option<Instant> },
    /// A transport is open and the handshake sent; its answer is due `by`. `sasl` is the
    /// exchange to run once the session is granted; `closing` when close was asked meanwhile.
    Handshaking {
        by: Instant,
        expires_at: Option<Instant>,
        sasl: Option<SaslStart>,
        closing: bool,
    },
    /// The session is granted; the SASL exchange runs and must end `by`. Only its frames go
    /// out; the reply to its frame carries `xid`.
    Authenticating {
        by: Instant,
        xid: i32,
        mechanism: Box<dyn Mechanism>,
        link: Link,
        closing: bool,
    },
    /// Usable: calls go out.
    Connected { link: Link },
    /// closeSession is written; its answer is due `by`.
    Closing { by: Instant, link: Link },
    /// Over: every call fails with this.
    Ended(Error),
}

/// When a connection last carried something each way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub(crate) last_sent: Instant,
    pub(crate) last_heard: Instant,
}

impl Link {
    pub(crate) fn new(now: Instant) -> Link {
        Link {
            last_sent: now,
            last_heard: now,
        }
    }
}

impl Phase {
    /// The open connection's link (none while handshaking: nothing is timed by it yet).
    pub(crate) fn link_mut(&mut self) -> Option<&mut Link> {
        match self {
            Phase::Authenticating { link, .. }
            | Phase::Connected { link }
            | Phase::Closing { link, .. } => Some(link),
            Phase::Disconnected { .. } | Phase::Handshaking { .. } | Phase::Ended(_) => None,
        }
    }

    /// A short name, for logs and errors.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Phase::Disconnected { .. } => "disconnected",
            Phase::Handshaking { .. } => "handshaking",
            Phase::Authenticating { .. } => "authenticating",
            Phase::Connected { .. } => "connected",
            Phase::Closing { .. } => "closing",
            Phase::Ended(_) => "ended",
        }
    }
}

impl std::fmt::Debug for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// A session was going on it: the client reconnects within the session.
    Lost(String),
    /// It ended before the session was usable on it (no or a failed handshake, SASL that did
    /// not finish in time): for pacing, a failed attempt.
    Refused(String),
    /// The session is over (expired, authentication failed, closed).
    Session(Error),
}

impl End {
    /// The state a session in this end is published as, when the end is the session's.
    pub fn terminal_state(&self) -> Option<SessionState> {
        match self {
            End::Session(Error::SessionExpired) => Some(SessionState::Expired),
            End::Session(Error::AuthFailed) => Some(SessionState::AuthFailed),
            End::Session(_) => Some(SessionState::Closed),
            End::Lost(_) | End::Refused(_) => None,
        }
    }
}
