//! Every duration the session timeout turns into, in one place: computed from the timeout the
//! client asks for, the one the server grants, the number of hosts and the connect timeout.
//!
//! | value | rule |
//! |---|---|
//! | connect timeout (per attempt: open, handshake, SASL) | given, or requested / hosts, at least 500 ms (the Java client's rule, with a floor) |
//! | negotiated timeout | granted by the server, at most [`MAX_NEGOTIATED_FACTOR`] × requested |
//! | read timeout (silence that ends a connection) | 2/3 of the smaller of requested and negotiated |
//! | ping interval (idle) | half the read timeout |
//! | close grace (waiting for closeSession's answer) | the read timeout |
//! | local expiry (no server at all) | the negotiated timeout after the last frame heard |
//! | a call's default deadline | 2 × requested |
//! | `connect()`'s wait | requested; with fail-fast, connect × (hosts + 1) + requested |

use std::time::Duration;

/// A negotiated session timeout above this many times the requested one is taken as this
/// bound: a server may raise a short request to its `minSessionTimeout`, but an unbounded value
/// would keep local expiry from ever firing.
pub const MAX_NEGOTIATED_FACTOR: u32 = 20;

/// The shortest default connect timeout.
const MIN_CONNECT: Duration = Duration::from_millis(500);

/// The session's durations (see the module's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    requested: Duration,
    connect: Duration,
    negotiated: Option<Duration>,
}

impl Timeouts {
    /// For a session asking for `requested`, with `connect` per attempt.
    pub fn new(requested: Duration, connect: Duration) -> Timeouts {
        Timeouts {
            requested,
            connect,
            negotiated: None,
        }
    }

    /// The default connect timeout for `hosts` hosts: the session timeout divided among
    /// them, at least 500 ms.
    pub fn default_connect(requested: Duration, hosts: usize) -> Duration {
        let hosts = u32::try_from(hosts.max(1)).unwrap_or(u32::MAX);
        (requested / hosts).max(MIN_CONNECT)
    }

    /// Records the timeout a server granted (capped); returns what the session now uses.
    pub fn negotiate(&mut self, granted: Duration) -> Duration {
        let negotiated = granted.min(self.max_negotiated());
        self.negotiated = Some(negotiated);
        negotiated
    }

    /// The timeout asked for.
    pub fn requested(&self) -> Duration {
        self.requested
    }

    /// The negotiated timeout, once a server granted one.
    pub fn negotiated(&self) -> Option<Duration> {
        self.negotiated
    }

    /// The longest negotiated timeout the client accepts: [`MAX_NEGOTIATED_FACTOR`] times the
    /// requested one (ZooKeeper's own bound is `maxSessionTimeout`, 20 ticks by default).
    pub fn max_negotiated(&self) -> Duration {
        self.requested.saturating_mul(MAX_NEGOTIATED_FACTOR)
    }

    /// How long one attempt may take: opening the transport, the handshake, the SASL exchange.
    pub fn connect(&self) -> Duration {
        self.connect
    }

    /// How long the connection may stay silent before it is considered dead: 2/3 of the
    /// timeout, as the Java client, but of the requested timeout when the server negotiated a
    /// longer one, so a server that grants a huge timeout and goes silent is still noticed.
    pub fn read(&self) -> Duration {
        self.negotiated
            .map_or(self.requested, |n| n.min(self.requested))
            .saturating_mul(2)
            / 3
    }

    /// How often to ping when nothing else was sent: half the read timeout.
    pub fn ping_interval(&self) -> Duration {
        self.read() / 2
    }

    /// How long a written closeSession is waited for before the connection is simply closed
    /// (the server then lets the session time out).
    pub fn close_grace(&self) -> Duration {
        self.read()
    }

    /// How long after the last frame heard the session is taken as expired when no server
    /// can be reached (local expiry); none before a server granted a timeout.
    pub fn expiry(&self) -> Option<Duration> {
        self.negotiated
    }

    /// A call's default deadline: twice the requested timeout.
    pub fn default_request(&self) -> Duration {
        self.requested.saturating_mul(2)
    }

    /// How long `connect()` waits for the first session over `hosts` hosts. Without fail-fast
    /// the session timeout bounds the wait. With it the end of the first pass decides (each
    /// attempt bounded by the connect timeout), plus a session timeout of margin: racing the
    /// two gave one message or another for the same server depending on which came first.
    pub fn first_connect(&self, hosts: usize, fail_fast: bool) -> Duration {
        if !fail_fast {
            return self.requested;
        }
        let attempts = u32::try_from(hosts).unwrap_or(u32::MAX).saturating_add(1);
        self.connect
            .saturating_mul(attempts)
            .saturating_add(self.requested)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn the_connect_timeout_divides_the_session_timeout_among_hosts_with_a_floor() {
        assert_eq!(Timeouts::default_connect(S(30), 3), S(10));
        assert_eq!(Timeouts::default_connect(S(30), 0), S(30));
        assert_eq!(Timeouts::default_connect(S(1), 5), MIN_CONNECT);
        assert_eq!(
            Timeouts::default_connect(S(1), usize::MAX),
            MIN_CONNECT,
            "a huge host count"
        );
    }

    #[test]
    fn before_negotiation_the_requested_timeout_rules() {
        let t = Timeouts::new(S(30), S(10));
        assert_eq!(t.read(), S(20));
        assert_eq!(t.ping_interval(), S(10));
        assert_eq!(t.close_grace(), S(20));
        assert_eq!(t.expiry(), None);
        assert_eq!(t.default_request(), S(60));
    }

    #[test]
    fn a_shorter_grant_shortens_everything_a_longer_one_only_expiry() {
        let mut t = Timeouts::new(S(30), S(10));
        assert_eq!(t.negotiate(S(6)), S(6));
        assert_eq!(t.read(), S(4));
        assert_eq!(t.ping_interval(), S(2));
        assert_eq!(t.expiry(), Some(S(6)));
        let mut t = Timeouts::new(S(3), S(1));
        assert_eq!(t.negotiate(S(40)), S(40));
        assert_eq!(
            t.read(),
            S(2),
            "silence is still noticed by the requested timeout"
        );
        assert_eq!(t.expiry(), Some(S(40)));
    }

    #[test]
    fn a_huge_grant_is_capped() {
        let mut t = Timeouts::new(S(6), S(2));
        assert_eq!(
            t.negotiate(Duration::from_millis(i32::MAX as u64)),
            S(6 * u64::from(MAX_NEGOTIATED_FACTOR))
        );
        let mut t = Timeouts::new(Duration::MAX, Duration::MAX);
        assert_eq!(t.negotiate(Duration::MAX), Duration::MAX);
        assert_eq!(t.first_connect(usize::MAX, true), Duration::MAX);
    }

    #[test]
    fn connect_waits_a_session_timeout_or_a_first_pass() {
        let t = Timeouts::new(S(30), S(10));
        assert_eq!(t.first_connect(3, false), S(30));
        assert_eq!(t.first_connect(3, true), S(70));
    }
}
