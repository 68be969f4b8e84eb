//! The client's error type: every server error code, and the client's own failures.

/// Everything a ZooKeeper call can fail with.
///
/// Cheap to clone, so one connection failure can be handed to every request that was waiting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The node does not exist (`NONODE`, -101).
    #[error("node does not exist")]
    NoNode,
    /// The node already exists (`NODEEXISTS`, -110).
    #[error("node already exists")]
    NodeExists,
    /// The expected version does not match (`BADVERSION`, -103).
    #[error("version does not match")]
    BadVersion,
    /// The node has children (`NOTEMPTY`, -111).
    #[error("node has children")]
    NotEmpty,
    /// Ephemeral nodes cannot have children (`NOCHILDRENFOREPHEMERALS`, -108).
    #[error("ephemeral nodes cannot have children")]
    NoChildrenForEphemerals,
    /// The session lacks the permission (`NOAUTH`, -102).
    #[error("not authorized")]
    NoAuth,
    /// The ACL is empty, has an unknown scheme, or uses `auth` without credentials (`INVALIDACL`, -114).
    #[error("invalid ACL")]
    InvalidAcl,
    /// Authentication failed (`AUTHFAILED`, -115); the server closes the connection.
    #[error("authentication failed")]
    AuthFailed,
    /// The session moved to another server (`SESSIONMOVED`, -118).
    #[error("session moved to another server")]
    SessionMoved,
    /// A write was sent to a read-only server (`NOTREADONLY`, -119).
    #[error("the server is read-only")]
    NotReadOnly,
    /// Ephemeral node on a local session (`EPHEMERALONLOCALSESSION`, -120).
    #[error("ephemeral node on a local session")]
    EphemeralOnLocalSession,
    /// No watch matched (`NOWATCHER`, -121).
    #[error("no such watch")]
    NoWatcher,
    /// Reconfiguration is disabled (`RECONFIGDISABLED`, -123).
    #[error("reconfiguration is disabled")]
    ReconfigDisabled,
    /// The server requires SASL (`SESSIONCLOSEDREQUIRESASLAUTH`, -124).
    #[error("the server requires SASL authentication")]
    SessionClosedRequireSaslAuth,
    /// A hard quota was exceeded (`QUOTAEXCEEDED`, -125).
    #[error("quota exceeded")]
    QuotaExceeded,
    /// The server shed the request; retry with backoff (`THROTTLEDOP`, -127).
    #[error("request throttled by the server")]
    Throttled,
    /// The server does not implement the request (`UNIMPLEMENTED`, -6).
    #[error("not implemented by the server")]
    Unimplemented,
    /// The server rejected the arguments (`BADARGUMENTS`, -8).
    #[error("bad arguments")]
    BadArguments,
    /// The server could not read the request (`MARSHALLINGERROR`, -5).
    #[error("the server could not decode the request")]
    MarshallingError,
    /// Marks the operations after a failed one in a multi (`RUNTIMEINCONSISTENCY`, -2).
    #[error("runtime inconsistency")]
    RuntimeInconsistency,
    /// Reconfiguration without a quorum (`NEWCONFIGNOQUORUM`, -13).
    #[error("new configuration has no quorum")]
    NewConfigNoQuorum,
    /// Another reconfiguration is running (`RECONFIGINPROGRESS`, -14).
    #[error("reconfiguration in progress")]
    ReconfigInProgress,
    /// Any other code the server sent.
    #[error("server error code {0}")]
    Server(i32),

    /// The connection was lost after the request was written: the outcome is unknown.
    #[error("connection lost: the outcome of the request is unknown")]
    ConnectionLoss,
    /// The session expired; the client cannot be used any more (create a new one).
    #[error("session expired")]
    SessionExpired,
    /// The client was closed.
    #[error("client closed")]
    Closed,
    /// No reply within the request deadline: the outcome is unknown.
    #[error("no reply within the request deadline: the outcome is unknown")]
    Timeout,
    /// The request would be larger than the server accepts; it was not sent.
    #[error("request of {size} bytes is over the limit of {limit} bytes; not sent")]
    RequestTooLarge {
        /// Encoded size of the request frame.
        size: usize,
        /// The configured maximum frame size.
        limit: usize,
    },
    /// The reply was larger than the client accepts; it was skipped.
    #[error("reply of {size} bytes is over the client's limit of {limit} bytes")]
    ReplyTooLarge {
        /// The reply frame's size.
        size: usize,
        /// The configured maximum frame size.
        limit: usize,
    },
    /// A path the server would reject; nothing was sent.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// An argument the client rejects before sending.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The connect string cannot be parsed.
    #[error("invalid connect string: {0}")]
    InvalidConnectString(String),
    /// The server sent something the client cannot accept (a reply that does not decode, a
    /// reply for no request, a handshake it did not ask for); the connection is dropped.
    #[error("protocol error: {message}")]
    Protocol {
        /// What was wrong.
        message: String,
        /// The decoding failure behind it, when there is one (its byte offset, record and
        /// field).
        #[source]
        source: Option<jute::DecodeError>,
    },
    /// An operation of a multi failed, so none took effect.
    #[error("operation {index} of the multi failed: {error}")]
    MultiFailed {
        /// Index of the failing operation.
        index: usize,
        /// Why it failed.
        error: Box<Error>,
    },
    /// No server could be reached.
    #[error("no server could be reached: {0}")]
    NoHosts(String),
    /// TLS could not be set up with a server (with fail-fast, when that is why no host could
    /// be used).
    #[error("TLS with {server}: {reason}")]
    Tls {
        /// The host, and the address tried.
        server: String,
        /// What went wrong.
        reason: crate::tls::TlsFailure,
    },
}

impl Error {
    /// A protocol error without a decoding failure behind it.
    pub(crate) fn protocol(message: impl Into<String>) -> Error {
        Error::Protocol {
            message: message.into(),
            source: None,
        }
    }

    /// A protocol error caused by bytes that did not decode as `what`.
    pub(crate) fn undecodable(what: impl std::fmt::Display, source: jute::DecodeError) -> Error {
        Error::Protocol {
            message: format!("bad {what}: {source}"),
            source: Some(source),
        }
    }

    /// The error for a ZooKeeper error code (`KeeperException.Code`); `None` for 0.
    pub fn from_code(code: i32) -> Option<Error> {
        Some(match code {
            0 => return None,
            -101 => Error::NoNode,
            -110 => Error::NodeExists,
            -103 => Error::BadVersion,
            -111 => Error::NotEmpty,
            -108 => Error::NoChildrenForEphemerals,
            -102 => Error::NoAuth,
            -114 => Error::InvalidAcl,
            -115 => Error::AuthFailed,
            -118 => Error::SessionMoved,
            -119 => Error::NotReadOnly,
            -120 => Error::EphemeralOnLocalSession,
            -121 => Error::NoWatcher,
            -123 => Error::ReconfigDisabled,
            -124 => Error::SessionClosedRequireSaslAuth,
            -125 => Error::QuotaExceeded,
            -127 => Error::Throttled,
            -6 => Error::Unimplemented,
            -8 => Error::BadArguments,
            -5 => Error::MarshallingError,
            -2 => Error::RuntimeInconsistency,
            -13 => Error::NewConfigNoQuorum,
            -14 => Error::ReconfigInProgress,
            -4 => Error::ConnectionLoss,
            -112 => Error::SessionExpired,
            -122 => Error::Timeout,
            other => Error::Server(other),
        })
    }

    /// The ZooKeeper error code this error stands for, when it has one.
    pub fn code(&self) -> Option<i32> {
        Some(match self {
            Error::NoNode => -101,
            Error::NodeExists => -110,
            Error::BadVersion => -103,
            Error::NotEmpty => -111,
            Error::NoChildrenForEphemerals => -108,
            Error::NoAuth => -102,
            Error::InvalidAcl => -114,
            Error::AuthFailed => -115,
            Error::SessionMoved => -118,
            Error::NotReadOnly => -119,
            Error::EphemeralOnLocalSession => -120,
            Error::NoWatcher => -121,
            Error::ReconfigDisabled => -123,
            Error::SessionClosedRequireSaslAuth => -124,
            Error::QuotaExceeded => -125,
            Error::Throttled => -127,
            Error::Unimplemented => -6,
            Error::BadArguments => -8,
            Error::MarshallingError => -5,
            Error::RuntimeInconsistency => -2,
            Error::NewConfigNoQuorum => -13,
            Error::ReconfigInProgress => -14,
            Error::Server(c) => *c,
            Error::ConnectionLoss => -4,
            Error::SessionExpired => -112,
            Error::Timeout => -122,
            _ => return None,
        })
    }

    /// Whether the request certainly did not take effect and can be sent again as is.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Throttled | Error::RequestTooLarge { .. } | Error::NoHosts(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [
            -101, -110, -103, -111, -108, -102, -114, -115, -118, -119, -120, -121, -123, -124,
            -125, -127, -6, -8, -5, -2, -13, -14, -4, -112, -122, -999,
        ] {
            let e = Error::from_code(code).expect("non-zero");
            assert_eq!(e.code(), Some(code), "{e:?}");
        }
        assert_eq!(Error::from_code(0), None);
    }
}
