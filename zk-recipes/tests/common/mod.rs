//! What the tests share: a server of either backend and the macro that runs a test on both;
//! for the interop tests, the marker log both sides append to, and its checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking
#![allow(dead_code, unused_macros, unused_imports)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use zk_client::{Client, ClientBuilder};
use zk_testkit::{check_turns, AnyServer, Backend};

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

/// Declares each listed `async fn NAME(backend: Backend)` as two tests, `NAME::real` (ZooKeeper
/// 3.8, the reference) and `NAME::embedded` (the embedded server): the same test must pass on
/// both.
macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn real() {
                super::$name(zk_testkit::Backend::Real).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                super::$name(zk_testkit::Backend::Embedded).await
            }
        }
    )+};
}
pub(crate) use on_both;

/// A server of `backend`; failing to start fails the test.
pub fn server_on(backend: Backend) -> AnyServer {
    AnyServer::start(backend).unwrap_or_else(|e| panic!("{backend} must start: {e}"))
}
