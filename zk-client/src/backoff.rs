//! How long the client waits between connection attempts.
//!
//! Before every attempt after a lost connection the client waits a random fraction of the
//! initial delay (so that many clients of a restarted server do not reconnect in the same
//! instant). After every full pass over the hosts without a session, it waits an exponentially
//! growing delay, jittered and capped, or whatever a custom function says.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The reconnect delay policy of a [`crate::ClientBuilder`].
///
/// ```
/// use std::time::Duration;
/// use zk_client::Backoff;
///
/// let b = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(5));
/// // After the third failed pass: 400 ms, jittered into [200 ms, 400 ms].
/// let d = b.after_failed_pass(3, 0.5);
/// assert_eq!(d, Duration::from_millis(300));
/// assert_eq!(b.after_failed_pass(30, 1.0), Duration::from_secs(5));
///
/// let fixed = Backoff::custom(|_pass| Duration::from_millis(250));
/// assert_eq!(fixed.after_failed_pass(7, 0.9), Duration::from_millis(250));
/// ```
#[derive(Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    custom: Option<Arc<dyn Fn(u32) -> Duration + Send + Sync>>,
}

impl Backoff {
    /// Doubling delays from `initial` up to `max`, each jittered into its upper half.
    pub fn exponential(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            custom: None,
        }
    }

    /// The delay after failed pass `n` (1-based) is `f(n)`; no jitter is added.
    pub fn custom(f: impl Fn(u32) -> Duration + Send + Sync + 'static) -> Self {
        Backoff {
            initial: Duration::ZERO,
            max: Duration::MAX,
            custom: Some(Arc::new(f)),
        }
    }

    /// The wait before a reconnect attempt: `jitter` (in `[0, 1)`) of the initial delay.
    pub fn before_attempt(&self, jitter: f64) -> Duration {
        self.initial.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// The wait after failed pass `pass` (1-based) over every host, for `jitter` in `[0, 1]`.
    pub fn after_failed_pass(&self, pass: u32, jitter: f64) -> Duration {
        if let Some(f) = &self.custom {
            return f(pass);
        }
        let doublings = pass.saturating_sub(1).min(30);
        let base = self.initial.saturating_mul(1u32 << doublings).min(self.max);
        base / 2 + (base / 2).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

impl Default for Backoff {
    /// 100 ms doubling up to 10 s.
    fn default() -> Self {
        Backoff::exponential(Duration::from_millis(100), Duration::from_secs(10))
    }
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.custom {
            Some(_) => f.write_str("Backoff::custom(..)"),
            None => f
                .debug_struct("Backoff")
                .field("initial", &self.initial)
                .field("max", &self.max)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_jitters_and_caps() {
        let b = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(b.after_failed_pass(1, 1.0), Duration::from_millis(100));
        assert_eq!(b.after_failed_pass(1, 0.0), Duration::from_millis(50));
        assert_eq!(b.after_failed_pass(2, 1.0), Duration::from_millis(200));
        assert_eq!(b.after_failed_pass(4, 1.0), Duration::from_millis(800));
        assert_eq!(b.after_failed_pass(5, 1.0), Duration::from_secs(1));
        assert_eq!(
            b.after_failed_pass(u32::MAX, 0.0),
            Duration::from_millis(500)
        );
        assert!(b.before_attempt(0.99) < Duration::from_millis(100));
        assert_eq!(
            b.before_attempt(7.0),
            Duration::from_millis(100),
            "jitter is clamped"
        );
    }

    #[test]
    fn custom_delays_are_used_as_given() {
        let b = Backoff::custom(|n| Duration::from_millis(u64::from(n) * 10));
        assert_eq!(b.after_failed_pass(3, 0.2), Duration::from_millis(30));
        assert_eq!(b.before_attempt(0.5), Duration::ZERO);
    }
}
