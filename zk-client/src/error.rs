//! The client's error type: every server error code, and the client's own failures.

use jute_schemas::protocol::ErrorCode;

/// The one table of errors: the server's codes (with ZooKeeper's names from
/// [`ErrorCode`]) and the client's own failures. [`Error::from_code`], [`Error::code`] and the
/// metrics' `outcome` labels ([`Error::label`]) are all derived from it.
macro_rules! errors {
    (
        server { $( $(#[$m:meta])* $variant:ident = $code:ident, $label:literal; )* }
        client { $($client:tt)* }
    ) => {
        /// Everything a ZooKeeper call can fail with.
        ///
        /// Cheap to clone, so one connection failure can be handed to every request that was
        /// waiting.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[non_exhaustive]
        pub enum Error {
            $( $(#[$m])* $variant, )*
            $($client)*
        }

        /// The `outcome` labels' order: success, each server error, then the client's own.
        #[derive(Clone, Copy)]
        #[allow(dead_code)]
        enum LabelIndex {
            Ok,
            $( $variant, )*
            Server,
            Closed,
            MultiFailed,
            Protocol,
            TooLarge,
            Other,
        }

        /// Every `outcome` label, indexed by [`Error::label_index`] (0 is success).
        pub(crate) const LABELS: &[&str] = &[
            "ok",
            $( $label, )*
            "server_error",
            "closed",
            "multi_failed",
            "protocol",
            "too_large",
            "other",
        ];

        impl Error {
            /// The error for a ZooKeeper error code (`KeeperException.Code`); `None` for 0.
            /// A code this client does not name is [`Error::Server`].
            pub fn from_code(code: i32) -> Option<Error> {
                match ErrorCode::try_from(code) {
                    Ok(ErrorCode::Ok) => None,
                    $( Ok(ErrorCode::$code) => Some(Error::$variant), )*
                    _ => Some(Error::Server(code)),
                }
            }

            /// The ZooKeeper error code this error stands for, when it has one.
            pub fn code(&self) -> Option<i32> {
                match self {
                    $( Error::$variant => Some(ErrorCode::$code.value()), )*
                    Error::Server(c) => Some(*c),
                    _ => None,
                }
            }

            /// The error's `outcome` label in the client's metrics (`no_node`, `timeout`, ...).
            pub fn label(&self) -> &'static str {
                LABELS[self.label_index()]
            }

            /// The index of [`Error::label`] in [`LABELS`].
            pub(crate) fn label_index(&self) -> usize {
                let i = match self {
                    $( Error::$variant => LabelIndex::$variant, )*
                    Error::Server(_) => LabelIndex::Server,
                    Error::Closed => LabelIndex::Closed,
                    Error::MultiFailed { .. } => LabelIndex::MultiFailed,
                    Error::Protocol { .. } => LabelIndex::Protocol,
                    Error::RequestTooLarge { .. } | Error::ReplyTooLarge { .. } => {
                        LabelIndex::TooLarge
                    }
                    _ => LabelIndex::Other,
                };
                i as usize
            }
        }
    };
}

errors! {
    server {
        /// The node does not exist (`NONODE`, -101).
        #[error("node does not exist")]
        NoNode = NoNode, "no_node";
        /// The node already exists (`NODEEXISTS`, -110).
        #[error("node already exists")]
        NodeExists = NodeExists, "node_exists";
        /// The expected version does not match (`BADVERSION`, -103).
        #[error("version does not match")]
        BadVersion = BadVersion, "bad_version";
        /// The node has children (`NOTEMPTY`, -111).
        #[error("node has children")]
        NotEmpty = NotEmpty, "not_empty";
        /// Ephemeral nodes cannot have children (`NOCHILDRENFOREPHEMERALS`, -108).
        #[error("ephemeral nodes cannot have children")]
        NoChildrenForEphemerals = NoChildrenForEphemerals, "no_children_for_ephemerals";
        /// The session lacks the permission (`NOAUTH`, -102).
        #[error("not authorized")]
        NoAuth = NoAuth, "no_auth";
        /// The ACL is empty, has an unknown scheme, or uses `auth` without credentials (`INVALIDACL`, -114).
        #[error("invalid ACL")]
        InvalidAcl = InvalidAcl, "invalid_acl";
        /// Authentication failed (`AUTHFAILED`, -115); the server closes the connection.
        #[error("authentication failed")]
        AuthFailed = AuthFailed, "auth_failed";
        /// The session moved to another server (`SESSIONMOVED`, -118).
        #[error("session moved to another server")]
        SessionMoved = SessionMoved, "session_moved";
        /// A write was sent to a read-only server (`NOTREADONLY`, -119).
        #[error("the server is read-only")]
        NotReadOnly = NotReadOnly, "not_read_only";
        /// Ephemeral node on a local session (`EPHEMERALONLOCALSESSION`, -120).
        #[error("ephemeral node on a local session")]
        EphemeralOnLocalSession = EphemeralOnLocalSession, "ephemeral_on_local_session";
        /// No watch matched (`NOWATCHER`, -121).
        #[error("no such watch")]
        NoWatcher = NoWatcher, "no_watcher";
        /// Reconfiguration is disabled (`RECONFIGDISABLED`, -123).
        #[error("reconfiguration is disabled")]
        ReconfigDisabled = ReconfigDisabled, "reconfig_disabled";
        /// The server requires SASL (`SESSIONCLOSEDREQUIRESASLAUTH`, -124).
        #[error("the server requires SASL authentication")]
        SessionClosedRequireSaslAuth = SessionClosedRequireSaslAuth, "sasl_required";
        /// A hard quota was exceeded (`QUOTAEXCEEDED`, -125).
        #[error("quota exceeded")]
        QuotaExceeded = QuotaExceeded, "quota_exceeded";
        /// The server shed the request; retry with backoff (`THROTTLEDOP`, -127).
        #[error("request throttled by the server")]
        Throttled = ThrottledOp, "throttled";
        /// The server does not implement the request (`UNIMPLEMENTED`, -6).
        #[error("not implemented by the server")]
        Unimplemented = Unimplemented, "unimplemented";
        /// The server rejected the arguments (`BADARGUMENTS`, -8).
        #[error("bad arguments")]
        BadArguments = BadArguments, "bad_arguments";
        /// The server could not read the request (`MARSHALLINGERROR`, -5).
        #[error("the server could not decode the request")]
        MarshallingError = MarshallingError, "marshalling_error";
        /// Marks the operations after a failed one in a multi (`RUNTIMEINCONSISTENCY`, -2).
        #[error("runtime inconsistency")]
        RuntimeInconsistency = RuntimeInconsistency, "runtime_inconsistency";
        /// Reconfiguration without a quorum (`NEWCONFIGNOQUORUM`, -13).
        #[error("new configuration has no quorum")]
        NewConfigNoQuorum = NewConfigNoQuorum, "new_config_no_quorum";
        /// Another reconfiguration is running (`RECONFIGINPROGRESS`, -14).
        #[error("reconfiguration in progress")]
        ReconfigInProgress = ReconfigInProgress, "reconfig_in_progress";
        /// The connection was lost after the request was written: the outcome is unknown.
        #[error("connection lost: the outcome of the request is unknown")]
        ConnectionLoss = ConnectionLoss, "connection_loss";
        /// The session expired; the client cannot be used any more (create a new one).
        #[error("session expired")]
        SessionExpired = SessionExpired, "session_expired";
        /// No reply within the request deadline: the outcome is unknown.
        #[error("no reply within the request deadline: the outcome is unknown")]
        Timeout = RequestTimeout, "timeout";
    }
    client {
        /// Any other code the server sent.
        #[error("server error code {0}")]
        Server(i32),

        /// The client was closed.
        #[error("client closed")]
        Closed,
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

    #[test]
    fn labels_are_distinct_and_follow_the_table() {
        let mut seen = std::collections::HashSet::new();
        assert!(LABELS.iter().all(|l| seen.insert(*l)), "{LABELS:?}");
        assert_eq!(Error::NoNode.label(), "no_node");
        assert_eq!(Error::Throttled.label(), "throttled");
        assert_eq!(Error::Server(-999).label(), "server_error");
        assert_eq!(Error::Timeout.label(), "timeout");
        assert_eq!(Error::InvalidArgument("x".into()).label(), "other");
        assert_eq!(LABELS[0], "ok");
    }
}
