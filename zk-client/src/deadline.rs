//! Where a duration meets an instant. A limit past any instant the clock can reach (a
//! timeout of 10^19 seconds, `Duration::MAX`) means "no limit"; adding it to an instant would
//! overflow and panic, so every deadline in the client and the recipes is made here.

use std::time::Duration;

use tokio::time::Instant;

/// How far ahead a deadline can lie: 30 years, further than any process runs (and than the
/// clock can always add). A longer limit is this one, which is as good as none.
pub const NEVER: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// The instant `limit` after `from`, or [`NEVER`] after it for a longer limit: never panics.
pub fn after(from: Instant, limit: Duration) -> Instant {
    // 30 years always fit a monotonic clock; should one not take them, the furthest instant it
    // takes is the deadline (never an earlier one than it can hold).
    let mut limit = limit.min(NEVER);
    while !limit.is_zero() {
        if let Some(at) = from.checked_add(limit) {
            return at;
        }
        limit /= 2;
    }
    from
}

/// The instant `limit` from now (see [`after`]).
pub fn from_now(limit: Duration) -> Instant {
    after(Instant::now(), limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_past_any_clock_is_clamped_not_a_panic() {
        let now = Instant::now();
        for limit in [
            Duration::MAX,
            Duration::from_secs(u64::MAX),
            Duration::from_secs_f64(1e19),
            NEVER + Duration::from_nanos(1),
        ] {
            assert_eq!(after(now, limit), now + NEVER, "{limit:?}");
        }
        assert_eq!(after(now, Duration::ZERO), now);
        assert_eq!(
            after(now, Duration::from_millis(1500)),
            now + Duration::from_millis(1500)
        );
    }
}
