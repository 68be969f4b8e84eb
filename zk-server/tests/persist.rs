//! The server keeping a data directory (`Builder::data_dir`): what it wrote, it recovers after
//! a restart, sessions and ephemerals included; ZooKeeper 3.8 starts from the same directory
//! to the same tree, and its own tools read the files; retention keeps the newest snapshots;
//! the directory is locked; damage is refused by name; a session not resumed after a restart
//! expires; the test kit's persistent embedded server restarts from its directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::path::{Path, PathBuf};
use std::time::Duration;

use zk_client::{Client, ClientBuilder, CreateMode, CreateOptions};
use zk_testkit::{ServerOptions, TestServer};

mod common;
use common::{first_half, read_all, second_half, unordered};

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zk-persist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn ours(dir: &Path) -> zk_server::Server {
    zk_server::Server::builder()
        .extended_types(true)
        .data_dir(dir)
        // A snapshot every 8 to 16 transactions, and small log files: rolls and retention
        // happen within the workload.
        .snap_count(16)
        .prealloc_size(64 * 1024)
        .start()
        .await
        .expect("starts on the directory")
}

async fn connect(addr: &str) -> Client {
    ClientBuilder::new(addr)
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("connect")
}

/// The files of `dir`'s `version-2` whose names start with `prefix`, by name.
fn named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("version-2"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.starts_with(prefix) && !name.ends_with(".tmp")
        })
        .collect();
    v.sort();
    v
}

/// Runs one of ZooKeeper's own tools on `file`; its output.
fn zookeeper_tool(class: &str, file: &Path) -> String {
    let out = std::process::Command::new("java")
        .args(["-cp", zk_testkit::ZOOKEEPER_JAR])
        .arg(class)
        .arg(file)
        .output()
        .expect("java runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{class} {}: {text}{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_directory_survives_a_restart_and_zookeeper_starts_from_it() {
    // The workload's ZooKeeper twin must be installed before anything runs on it.
    zk_testkit::ensure_installed().expect("ZooKeeper is installed");
    let dir = fresh_dir("interop");
    let server = ours(&dir).await;
    let addr = server.connect_string();
    let zk = connect(&addr).await;
    let other = connect(&addr).await;
    let closing = connect(&addr).await;
    closing
        .create("/gone", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    first_half(&zk, &other).await;
    closing.close().await;
    second_half(&zk).await;
    let written = unordered(read_all(&zk).await);
    let (other_id, other_password) = (other.session_id(), other.session_password().to_vec());
    server.shutdown().await;
    drop((zk, other, closing));

    // Snapshots were taken and retention kept the newest three; the logs they need are there.
    let snapshots = named(&dir, "snapshot.");
    assert_eq!(snapshots.len(), 3, "{snapshots:?}");
    let logs = named(&dir, "log.");
    assert!(logs.len() >= 2, "the log rolled: {logs:?}");

    // Restarted on its directory: the same tree, and the session lives on with its ephemerals.
    let server = ours(&dir).await;
    let report = server.load_report().expect("a report").clone();
    assert!(
        report.snapshot.is_some() && !report.logs.is_empty(),
        "{report}"
    );
    assert!(!report.digests_checked.is_empty(), "{report}");
    assert!(report.notes.is_empty(), "{report}");
    let reader = connect(&server.connect_string()).await;
    reader.add_auth("digest", b"user:secret").await.unwrap();
    assert_eq!(unordered(read_all(&reader).await), written);
    let taken = ClientBuilder::new(server.connect_string())
        .session(other_id, other_password.clone())
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("the session is taken over after the restart");
    let mut mine = taken.get_ephemerals("/").await.unwrap();
    mine.sort();
    assert_eq!(
        mine,
        (0..5).map(|i| format!("/app/eph{i}")).collect::<Vec<_>>()
    );
    // One more write after the restart, into the new log.
    reader
        .create("/after", b"restart", &CreateOptions::default())
        .await
        .unwrap();
    let written = unordered(read_all(&reader).await);
    server.shutdown().await;
    drop((reader, taken));

    // ZooKeeper's own tools read every file, and list the transactions and nodes ours does.
    for log in named(&dir, "log.") {
        let text = zookeeper_tool(
            "org.apache.zookeeper.server.persistence.TxnLogToolkit",
            &log,
        );
        let bytes = std::fs::read(&log).unwrap();
        // Each log ends in its preallocated zeros, where a reader stops.
        let ours = match zk_server::ondisk::txnlog::read(&bytes) {
            Ok(l) => l.entries.len(),
            Err(partial) => partial.log.entries.len(),
        };
        assert!(
            text.contains(&format!("EOF reached after {ours} txns.")),
            "{}: ours read {ours}: {text}",
            log.display()
        );
    }
    let newest = named(&dir, "snapshot.").pop().unwrap();
    let text = zookeeper_tool("org.apache.zookeeper.server.SnapshotFormatter", &newest);
    let theirs: std::collections::BTreeSet<&str> =
        text.lines().filter(|l| l.starts_with('/')).collect();
    let snap = zk_server::ondisk::snapshot::read(&std::fs::read(&newest).unwrap()).unwrap();
    let ours: std::collections::BTreeSet<String> = snap
        .nodes
        .iter()
        .map(|n| {
            if n.path.is_empty() {
                "/".to_string()
            } else {
                n.path.clone()
            }
        })
        .collect();
    assert_eq!(
        theirs,
        ours.iter().map(String::as_str).collect(),
        "SnapshotFormatter and ours list other nodes"
    );
    assert!(ours.contains("/app/eph0"), "{ours:?}");

    // ZooKeeper 3.8 started on the directory: the same tree, no digest mismatch, and the
    // session taken over with its ephemerals.
    let theirs = TestServer::start_with(ServerOptions {
        extra_config: vec![format!("dataDir={}", dir.display())],
        ..ServerOptions::default()
    })
    .expect("ZooKeeper starts on our directory");
    let reader = connect(&theirs.connect_string()).await;
    reader.add_auth("digest", b"user:secret").await.unwrap();
    assert_eq!(unordered(read_all(&reader).await), written);
    let mntr = theirs.four_letter_word("mntr").expect("mntr");
    assert!(
        mntr.lines().any(|l| l == "zk_digest_mismatches_count\t0"),
        "{mntr}"
    );
    let taken = ClientBuilder::new(theirs.connect_string())
        .session(other_id, other_password.clone())
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("ZooKeeper takes the session over");
    assert_eq!(taken.get_ephemerals("/app").await.unwrap().len(), 5);
    taken.close().await;
    reader.close().await;
    drop(theirs);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_not_resumed_after_a_restart_expires() {
    let dir = fresh_dir("expiry");
    let start = || {
        zk_server::Server::builder()
            .tick_time(Duration::from_millis(100))
            .data_dir(&dir)
            .start()
    };
    let server = start().await.unwrap();
    let zk = ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_millis(1_000))
        .connect()
        .await
        .unwrap();
    zk.create("/mine", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    server.shutdown().await;
    drop(zk);

    let server = start().await.unwrap();
    let reader = connect(&server.connect_string()).await;
    // Live again for its whole timeout after the restart, then expired.
    assert!(reader.exists("/mine").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(reader.exists("/mine").await.unwrap().is_none());
    reader.close().await;
    server.shutdown().await;
    // The expiry was logged: it is still gone after another restart.
    let server = start().await.unwrap();
    let reader = connect(&server.connect_string()).await;
    assert!(reader.exists("/mine").await.unwrap().is_none());
    reader.close().await;
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_locked_and_damage_is_refused_by_name() {
    let dir = fresh_dir("refused");
    let server = zk_server::Server::builder()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    let second = zk_server::Server::builder().data_dir(&dir).start().await;
    let err = second.expect_err("a second server on the same directory");
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    assert!(
        err.to_string().contains("in use by another server"),
        "{err}"
    );

    let zk = connect(&server.connect_string()).await;
    for i in 0..5 {
        zk.create(&format!("/n{i}"), b"data", &CreateOptions::default())
            .await
            .unwrap();
    }
    zk.close().await;
    server.shutdown().await;

    // A byte of the first entry's payload flipped: its checksum no longer matches.
    let log = named(&dir, "log.").pop().unwrap();
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[16 + 12 + 4] ^= 0xff;
    std::fs::write(&log, &bytes).unwrap();
    let err = zk_server::Server::builder()
        .data_dir(&dir)
        .start()
        .await
        .expect_err("a damaged log");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    let said = err.to_string();
    let name = log.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        said.contains(&name) && said.contains("at byte 16"),
        "{said}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_server_restarts_from_its_directory() {
    let mut server =
        zk_testkit::EmbeddedServer::start_persistent(&ServerOptions::default()).expect("starts");
    let dir = server.data_dir().expect("a data directory").to_path_buf();
    assert!(dir.join("version-2").is_dir());
    let zk = ClientBuilder::new(server.connect_string())
        .session_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await
        .unwrap();
    zk.create("/kept", b"on disk", &CreateOptions::default())
        .await
        .unwrap();
    zk.create("/mine", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    server.stop();
    let addr = server.addr();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "a stopped server listens"
    );
    // Stopped, the server is gone: its lock is free.
    let other = zk_server::Server::builder().data_dir(&dir).start().await;
    drop(other.expect("the directory is free while it is stopped"));
    server.restart().expect("restart");
    // The same client, reconnecting to the same port, finds its session and its nodes.
    assert_eq!(zk.get_data("/kept").await.unwrap().0, b"on disk");
    assert!(zk.exists("/mine").await.unwrap().is_some());
    zk.close().await;
    drop(server);
    assert!(!dir.exists(), "its temporary directory is removed on drop");
}

/// A log a killed server had only begun (no whole header: created, not yet written) holds no
/// transaction: recovery passes over it, and starting on the directory deletes it, so that
/// ZooKeeper 3.8.0 (which refuses such a file) can start from the directory too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_only_begun_is_passed_over() {
    let dir = fresh_dir("begun");
    let server = zk_server::Server::builder()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    let zk = connect(&server.connect_string()).await;
    zk.create("/kept", b"", &CreateOptions::default())
        .await
        .unwrap();
    zk.close().await;
    server.shutdown().await;
    let last = zk_server::datadir::load(&dir, None, false).unwrap().0.zxid;
    let begun = dir.join(format!("version-2/log.{:x}", last + 1));
    std::fs::write(&begun, b"ZKLG").unwrap();
    std::fs::write(dir.join("version-2/snapshot.99.tmp"), b"half a snapshot").unwrap();

    let (state, report) = zk_server::datadir::load(&dir, None, false).expect("loads");
    assert_eq!(state.zxid, last);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("shorter than a log's header")),
        "{report}"
    );
    let server = zk_server::Server::builder()
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    assert!(!begun.exists() && !dir.join("version-2/snapshot.99.tmp").exists());
    let zk = connect(&server.connect_string()).await;
    assert!(zk.exists("/kept").await.unwrap().is_some());
    zk.close().await;
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
