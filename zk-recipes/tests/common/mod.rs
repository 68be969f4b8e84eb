//! What the interop tests share: the marker log both sides append to, and its checks.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use zk_testkit::check_turns;

/// Appends `<who> <what>` to the shared log.
pub fn mark(log: &Path, who: &str, what: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .expect("log");
    writeln!(f, "{who} {what}").expect("write");
}

/// Waits (at most a minute: a JVM or Python starting) until the log contains `line`.
pub async fn wait_for(log: &Path, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains(line)
    {
        assert!(Instant::now() < deadline, "no {line:?} in the log");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The log never overlaps, both sides took `rounds` turns, and the holder changed sides at
/// least `switches` times (the sides really contended).
pub fn assert_turns(log: &Path, ours: &str, theirs: &str, rounds: usize, switches: usize) {
    let turns = check_turns(log).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(turns.by_side.get(ours), Some(&rounds), "{turns:?}");
    assert_eq!(turns.by_side.get(theirs), Some(&rounds), "{turns:?}");
    assert!(turns.switches >= switches, "no contention: {turns:?}");
}
