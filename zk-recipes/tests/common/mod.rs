//! What the interop tests share: the marker log both sides append to, and its checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use zk_client::{Client, ClientBuilder};
use zk_testkit::{check_turns, EmbeddedServer, TestServer};

/// Appends `<who> <what>` to the shared log.
pub fn mark(log: &Path, who: &str, what: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .expect("log");
    // One write per line: `writeln!` on a File writes its pieces separately, and two tasks
    // marking at once interleaved them ("rust-0rust-1  leftleft").
    f.write_all(format!("{who} {what}\n").as_bytes())
        .expect("write");
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

/// Runs the other implementation's process (`other`, already started against `server`, whose
/// markers say `theirs`) and ours (started once theirs first holds) to the end, then checks
/// that their turns never overlapped, each side took `rounds`, and the holder changed sides
/// at least 6 times.
pub async fn contend(
    connect: &str,
    other: Child,
    log: &Path,
    theirs: &str,
    rounds: usize,
    ours: impl FnOnce(Client, PathBuf) -> tokio::task::JoinHandle<()>,
) {
    let zk = ClientBuilder::new(connect)
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    // Its runtime takes a while to start: contend once it holds for the first time.
    wait_for(log, &format!("{theirs} in")).await;
    let rust = ours(zk, log.to_path_buf());
    let other = tokio::task::spawn_blocking(move || other.wait_with_output().expect("wait"))
        .await
        .expect("join");
    assert!(
        other.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&other.stdout),
        String::from_utf8_lossy(&other.stderr)
    );
    rust.await.expect("our side");
    assert_turns(log, "rust", theirs, rounds, 6);
}

/// A server of either kind: real ZooKeeper (the reference), or the embedded one (the other
/// clients must see no difference).
pub enum Server {
    Real(TestServer),
    Embedded(EmbeddedServer),
}

impl Server {
    pub fn start(embedded: bool) -> Server {
        if embedded {
            Server::Embedded(EmbeddedServer::start().expect("the embedded server"))
        } else {
            Server::Real(TestServer::start().expect("server"))
        }
    }

    pub fn connect_string(&self) -> String {
        match self {
            Server::Real(s) => s.connect_string(),
            Server::Embedded(s) => s.connect_string(),
        }
    }
}
