//! When the warm-up is over, the same rule for every contender (the Java program has its
//! copy in `BenchClient.java`): at least the minimum, then until the throughput of two
//! consecutive half-second windows differs by at most 5% (a JIT still compiling, or caches
//! still filling, move it more), and at most 15 s. The time it took is reported with each run.

use std::time::{Duration, Instant};

/// One throughput window.
const WINDOW: Duration = Duration::from_millis(500);
/// Two windows' throughputs this close (relative) count as stable.
const STABLE: f64 = 0.05;
/// The longest warm-up.
pub const MAX: Duration = Duration::from_secs(15);

/// Decides when a run's warm-up ends.
#[derive(Debug)]
pub struct Warmup {
    min: Duration,
    started: Instant,
    window_start: Instant,
    window_ops: u64,
    last_rate: Option<f64>,
}

impl Warmup {
    /// A warm-up of at least `min` from now.
    pub fn new(min: Duration) -> Warmup {
        let now = Instant::now();
        Warmup {
            min,
            started: now,
            window_start: now,
            window_ops: 0,
            last_rate: None,
        }
    }

    /// `ops` more operations completed by `now`; whether the warm-up is over.
    pub fn done(&mut self, now: Instant, ops: u64) -> bool {
        self.window_ops += ops;
        let elapsed = now.duration_since(self.started);
        if elapsed >= MAX {
            return true;
        }
        let span = now.duration_since(self.window_start);
        if span < WINDOW {
            return false;
        }
        #[allow(clippy::cast_precision_loss)]
        let rate = self.window_ops as f64 / span.as_secs_f64();
        let stable = self
            .last_rate
            .is_some_and(|last| last > 0.0 && ((rate - last) / last).abs() <= STABLE);
        self.last_rate = Some(rate);
        self.window_start = now;
        self.window_ops = 0;
        elapsed >= self.min && stable
    }

    /// How long the warm-up has run, in ms.
    pub fn elapsed_ms(&self, now: Instant) -> f64 {
        now.duration_since(self.started).as_secs_f64() * 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_after_the_minimum_once_two_windows_agree_or_at_the_maximum() {
        let t0 = Instant::now();
        let mut w = Warmup::new(Duration::from_secs(1));
        w.started = t0;
        w.window_start = t0;
        let at = |ms| t0 + Duration::from_millis(ms);
        // Rising throughput (a JIT at work): not stable.
        assert!(!w.done(at(500), 100));
        assert!(!w.done(at(1000), 200));
        assert!(!w.done(at(1500), 300));
        // Two windows within 5% after the minimum: over.
        assert!(w.done(at(2000), 310));
        let mut w = Warmup::new(Duration::from_secs(1));
        w.started = t0;
        w.window_start = t0;
        // Never stable: over at the maximum.
        let mut ops = 100;
        let mut ms = 500;
        while ms < 15_000 {
            assert!(!w.done(at(ms), ops));
            ops *= 2;
            ms += 500;
        }
        assert!(w.done(at(15_000), ops));
    }
}
