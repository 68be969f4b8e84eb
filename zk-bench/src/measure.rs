//! What one run measures, and the process figures it reads from `/proc/self`.

use serde_json::{json, Value};

/// The result of one run of one contender in one scenario (in its own process).
#[derive(Debug, Clone, Default)]
pub struct Measurement {
    /// Operations completed.
    pub ops: u64,
    /// Seconds of the measured part.
    pub secs: f64,
    /// Latencies in µs (sorted when reported).
    pub latencies_us: Vec<u32>,
    /// CPU time of the process during the measured part (user + system), ms.
    pub cpu_ms: f64,
    /// Peak resident memory of the process, KiB.
    pub peak_rss_kb: u64,
    /// Scenario-specific figures (memory per session or watch, re-registration time, ...).
    pub extra: Vec<(String, f64)>,
}

fn quantile(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied()
}

impl Measurement {
    /// As the JSON line a child process prints.
    pub fn into_json(mut self) -> Value {
        self.latencies_us.sort_unstable();
        let extra: serde_json::Map<String, Value> = self
            .extra
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        json!({
            "ops": self.ops,
            "secs": self.secs,
            "ops_per_sec": if self.secs > 0.0 { self.ops as f64 / self.secs } else { 0.0 },
            "p50_us": quantile(&self.latencies_us, 0.5),
            "p99_us": quantile(&self.latencies_us, 0.99),
            "p999_us": quantile(&self.latencies_us, 0.999),
            "cpu_us_per_op": if self.ops > 0 { self.cpu_ms * 1000.0 / self.ops as f64 } else { 0.0 },
            "peak_rss_kb": self.peak_rss_kb,
            "extra": extra,
        })
    }
}

/// User + system CPU time of this process so far, in ms (`/proc/self/stat`, clock ticks of
/// 10 ms on Linux).
pub fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) * 10.0
}

fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Peak resident memory of this process, KiB.
pub fn peak_rss_kb() -> u64 {
    status_kb("VmHWM:")
}

/// Resident memory of this process now, KiB.
pub fn rss_kb() -> u64 {
    status_kb("VmRSS:")
}
