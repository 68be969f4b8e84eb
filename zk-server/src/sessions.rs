//! Sessions as a standalone ZooKeeper keeps them, on a clock the caller gives (milliseconds;
//! tests use a fake one): ids from the server id and the start time, passwords derived from
//! the id as ZooKeeper derives them (so a reconnect is checked without storing them), timeouts
//! negotiated between the minimum and maximum (2 and 20 ticks by default), and expiry in
//! tick-sized buckets (`ExpiryQueue`): a session touched at `t` with timeout `T` expires at
//! the first tick boundary after `t + T`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// ZooKeeper's `superSecret`, mixed into the seed of a session's password.
const SUPER_SECRET: i64 = 0xB341_5C00;
/// A password's length.
pub const PASSWORD_LEN: usize = 16;

/// Java's `java.util.Random`, which ZooKeeper seeds with `id ^ superSecret` to make a
/// session's password.
struct JavaRandom {
    seed: i64,
}

impl JavaRandom {
    const MULTIPLIER: i64 = 0x5_DEEC_E66D;
    const MASK: i64 = (1 << 48) - 1;

    fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next_int(&mut self) -> i32 {
        self.seed = self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB) & Self::MASK;
        // The top 32 of the 48 bits, as Java's `next(32)`.
        (self.seed >> 16) as i32
    }

    fn next_bytes(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(4) {
            let mut rnd = self.next_int();
            for b in chunk {
                *b = rnd as u8;
                rnd >>= 8;
            }
        }
    }
}

/// The password ZooKeeper gives session `id` (`ZooKeeperServer.generatePasswd`).
pub fn password(id: i64) -> [u8; PASSWORD_LEN] {
    let mut p = [0u8; PASSWORD_LEN];
    JavaRandom::new(id ^ SUPER_SECRET).next_bytes(&mut p);
    p
}

/// The first session id of a server started at `now_ms` (`initializeNextSessionId`): the
/// clock shifted into the middle bits, the server id in the top byte (1 for a standalone
/// server: ZooKeeperServer's `createSessionTrackerServerId`).
pub fn first_session_id(server_id: u8, now_ms: u64) -> i64 {
    let mut id = ((now_ms as i64) << 24) as u64 >> 8;
    id |= u64::from(server_id) << 56;
    let id = id as i64;
    if id == i64::MIN {
        id + 1
    } else {
        id
    }
}

/// Why a session could not be resumed: answered with a zero timeout and id, then closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The session is unknown (expired or closed) or the password does not match.
    Expired,
}

/// The server's sessions.
#[derive(Debug, Clone)]
pub struct Sessions {
    tick_ms: u64,
    min_timeout_ms: i32,
    max_timeout_ms: i32,
    next_id: i64,
    /// Each session's timeout and the bucket it expires in.
    live: HashMap<i64, (i32, u64)>,
    /// Expiry buckets: tick boundary → sessions.
    buckets: BTreeMap<u64, BTreeSet<i64>>,
}

impl Sessions {
    /// Sessions of a server with `tick_ms`, the timeout bounds (ZooKeeper's
    /// `minSessionTimeout`/`maxSessionTimeout`, 2 and 20 ticks when not set), started at
    /// `now_ms` as server `server_id`.
    pub fn new(tick_ms: u64, bounds: Option<(i32, i32)>, server_id: u8, now_ms: u64) -> Sessions {
        let tick = i32::try_from(tick_ms).unwrap_or(i32::MAX);
        let (min, max) = bounds.unwrap_or((tick.saturating_mul(2), tick.saturating_mul(20)));
        Sessions {
            tick_ms: tick_ms.max(1),
            min_timeout_ms: min,
            max_timeout_ms: max,
            next_id: first_session_id(server_id, now_ms),
            live: HashMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    /// The timeout a client asking for `requested` gets.
    pub fn negotiate(&self, requested: i32) -> i32 {
        requested.max(self.min_timeout_ms).min(self.max_timeout_ms)
    }

    /// The first tick boundary after `t` (`ExpiryQueue.roundToNextInterval`).
    fn bucket(&self, t: u64) -> u64 {
        (t / self.tick_ms + 1) * self.tick_ms
    }

    /// A session recovered from files (its id and negotiated timeout), live from `now_ms` for
    /// its whole timeout, as ZooKeeper gives the sessions it recovers.
    pub fn restore(&mut self, id: i64, timeout: i32, now_ms: u64) {
        self.place(id, timeout, now_ms);
        // A new session never takes a recovered one's id.
        if id >= self.next_id {
            self.next_id = id.wrapping_add(1);
        }
    }

    /// New sessions' ids start from the wall clock `wall_ms` (as ZooKeeper's do), or after the
    /// newest id in use when that is later: a server that keeps its sessions across restarts
    /// never gives a new session the id (and so the password) of one from an earlier run.
    pub fn ids_from_wall_clock(&mut self, server_id: u8, wall_ms: i64) {
        let first = first_session_id(server_id, u64::try_from(wall_ms).unwrap_or(0));
        self.next_id = self.next_id.max(first);
    }

    /// Every live session and its timeout, by id.
    pub fn list(&self) -> Vec<(i64, i32)> {
        let mut all: Vec<(i64, i32)> = self.live.iter().map(|(id, (t, _))| (*id, *t)).collect();
        all.sort_unstable();
        all
    }

    fn place(&mut self, id: i64, timeout: i32, now_ms: u64) {
        let at = self.bucket(now_ms + u64::try_from(timeout).unwrap_or(0));
        if let Some((_, old)) = self.live.insert(id, (timeout, at)) {
            if let Some(set) = self.buckets.get_mut(&old) {
                set.remove(&id);
                if set.is_empty() {
                    self.buckets.remove(&old);
                }
            }
        }
        self.buckets.entry(at).or_default().insert(id);
    }

    /// A new session asking for `requested` ms: its id, negotiated timeout and password.
    pub fn create(&mut self, requested: i32, now_ms: u64) -> (i64, i32, [u8; PASSWORD_LEN]) {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let timeout = self.negotiate(requested);
        self.place(id, timeout, now_ms);
        (id, timeout, password(id))
    }

    /// A client resuming session `id` with `passwd`, asking for `requested` ms: the new
    /// timeout, or why not.
    pub fn resume(
        &mut self,
        id: i64,
        passwd: &[u8],
        requested: i32,
        now_ms: u64,
    ) -> Result<i32, Refused> {
        if id == 0 || passwd != password(id) || !self.live.contains_key(&id) {
            return Err(Refused::Expired);
        }
        let timeout = self.negotiate(requested);
        self.place(id, timeout, now_ms);
        Ok(timeout)
    }

    /// The session was heard from (a request, a ping): its expiry moves. `false` when it is
    /// not live.
    pub fn touch(&mut self, id: i64, now_ms: u64) -> bool {
        let Some(&(timeout, _)) = self.live.get(&id) else {
            return false;
        };
        self.place(id, timeout, now_ms);
        true
    }

    /// Whether the session is live.
    pub fn is_live(&self, id: i64) -> bool {
        self.live.contains_key(&id)
    }

    /// Ends the session (closed, or expired): it is forgotten.
    pub fn remove(&mut self, id: i64) {
        if let Some((_, at)) = self.live.remove(&id) {
            if let Some(set) = self.buckets.get_mut(&at) {
                set.remove(&id);
                if set.is_empty() {
                    self.buckets.remove(&at);
                }
            }
        }
    }

    /// The sessions whose bucket has come by `now_ms` (they are removed).
    pub fn expire(&mut self, now_ms: u64) -> Vec<i64> {
        let due: Vec<u64> = self.buckets.range(..=now_ms).map(|(at, _)| *at).collect();
        let mut out = Vec::new();
        for at in due {
            if let Some(set) = self.buckets.remove(&at) {
                for id in set {
                    self.live.remove(&id);
                    out.push(id);
                }
            }
        }
        out
    }

    /// Every live session's expiry starts again from `now_ms` (a restarted server gives each
    /// session its whole timeout, as ZooKeeper does after loading them).
    pub fn renew_all(&mut self, now_ms: u64) {
        let live: Vec<(i64, i32)> = self.live.iter().map(|(id, (t, _))| (*id, *t)).collect();
        for (id, timeout) in live {
            self.place(id, timeout, now_ms);
        }
    }

    /// The expiry buckets, earliest first: when each comes due and its sessions (what
    /// `dump` lists).
    pub fn buckets(&self) -> Vec<(u64, Vec<i64>)> {
        self.buckets
            .iter()
            .map(|(at, ids)| (*at, ids.iter().copied().collect()))
            .collect()
    }

    /// A live session's negotiated timeout.
    pub fn timeout(&self, id: i64) -> Option<i32> {
        self.live.get(&id).map(|(t, _)| *t)
    }

    /// How many sessions live.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether no session lives.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// The timeout bounds granted: (min, max) in ms.
    pub fn bounds(&self) -> (i32, i32) {
        (self.min_timeout_ms, self.max_timeout_ms)
    }

    /// When the next bucket comes due.
    pub fn next_expiry(&self) -> Option<u64> {
        self.buckets.keys().next().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_random_is_java_random() {
        // `new java.util.Random(42).nextInt()` and the next, as Java prints them.
        let mut r = JavaRandom::new(42);
        assert_eq!(r.next_int(), -1_170_105_035);
        assert_eq!(r.next_int(), 234_785_527);
        // nextBytes takes an int per 4 bytes, low byte first.
        let mut b = [0u8; 5];
        JavaRandom::new(42).next_bytes(&mut b);
        assert_eq!(b[..4], (-1_170_105_035_i32).to_le_bytes());
        assert_eq!(b[4], 234_785_527_i32.to_le_bytes()[0]);
    }

    #[test]
    fn timeouts_are_negotiated_and_sessions_expire_in_tick_buckets() {
        let mut s = Sessions::new(500, None, 0, 1_000);
        assert_eq!(
            (s.negotiate(1), s.negotiate(4_000), s.negotiate(60_000)),
            (1_000, 4_000, 10_000)
        );
        let (a, timeout, pw) = s.create(4_000, 10_100);
        assert_eq!(timeout, 4_000);
        assert_eq!(pw, password(a));
        // 10,100 + 4,000 rounds up to the 14,500 boundary.
        assert_eq!(s.next_expiry(), Some(14_500));
        assert!(s.expire(14_499).is_empty());
        assert!(s.touch(a, 12_000));
        assert_eq!(s.next_expiry(), Some(16_500));
        let (b, _, _) = s.create(1, 12_000);
        assert_eq!(b, a + 1);
        assert_eq!(s.expire(16_500), vec![b, a]);
        assert!(!s.touch(a, 16_600));
        assert_eq!(
            s.resume(a, &password(a), 4_000, 16_600),
            Err(Refused::Expired)
        );
        // Resuming a live session needs its password.
        let (c, _, pw) = s.create(4_000, 17_000);
        assert_eq!(s.resume(c, &[0; 16], 4_000, 17_100), Err(Refused::Expired));
        assert_eq!(s.resume(c, &pw, 9_000, 17_100), Ok(9_000));
        assert_eq!(first_session_id(0, 1_000) >> 56, 0);
        assert_eq!(first_session_id(1, 1_000) >> 56, 1);
    }
}
