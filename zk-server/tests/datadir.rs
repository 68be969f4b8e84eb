//! Recovery from a real ZooKeeper's data directory: ZooKeeper 3.8 runs a workload (snapshots
//! every few transactions, so the state is a snapshot and logs after it), is killed, and both
//! servers recover from the same files: ZooKeeper restarted on them, and
//! `zk_server::datadir::load`. Every node's data, Stat, ACL and children (in ZooKeeper's order)
//! and the live sessions must be the same; and loading up to a zxid from the middle of the
//! workload gives the tree as it was then.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::collections::BTreeMap;
use std::time::Duration;

use zk_client::{Client, ClientBuilder, CreateMode, CreateOptions};
use zk_server::datadir;
use zk_testkit::{ServerOptions, TestServer};

mod common;
use common::{first_half, read_all, second_half, unordered, Seen};

async fn connect(server: &TestServer) -> Client {
    ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("connect")
}

/// The same, from a recovered tree.
fn tree_of(restored: &zk_server::restore::Restored) -> Seen {
    let tree = &restored.tree;
    let mut seen = BTreeMap::new();
    let mut stack = vec!["/".to_string()];
    while let Some(path) = stack.pop() {
        let node = tree
            .get(&path)
            .unwrap_or_else(|| panic!("{path} is missing"));
        let children = node.listed_children();
        for c in &children {
            stack.push(zk_server::tree::child(&path, c));
        }
        seen.insert(
            path,
            (
                node.data.clone(),
                node.client_stat(true),
                node.acl.to_vec(),
                children,
            ),
        );
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_servers_recover_the_same_state_from_zookeepers_files() {
    let mut server = TestServer::start_with(ServerOptions {
        // A snapshot every few transactions: the state is a snapshot and the logs after it.
        extra_config: vec!["snapCount=16".into()],
        ..ServerOptions::default()
    })
    .expect("ZooKeeper starts");
    let zk = connect(&server).await;
    let other = connect(&server).await;
    let closing = connect(&server).await;
    closing
        .create("/gone", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    first_half(&zk, &other).await;
    let (_, mark) = zk.exists("/app").await.unwrap().map(|s| ((), s)).unwrap();
    let middle = unordered(read_all(&zk).await);
    let middle_zxid = zk
        .create("/mark", b"", &CreateOptions::default())
        .await
        .unwrap()
        .1
        .czxid;
    zk.delete("/mark", None).await.unwrap();
    assert!(mark.czxid < middle_zxid);
    closing.close().await;
    second_half(&zk).await;

    // Killed: what is on disk is what was acknowledged.
    server.stop();
    let dir = server.dir().join("data");
    let snapshots = std::fs::read_dir(dir.join("version-2"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("snapshot."))
        })
        .count();
    assert!(
        snapshots >= 3,
        "only {snapshots} snapshots: the test needs several"
    );
    let (ours, report) = datadir::load(&dir, None, true).expect("load");

    assert!(!report.logs.is_empty(), "{report}");
    // A snapshot the kill cut short (ZooKeeper writes one every few transactions here) is
    // passed over, as ZooKeeper passes it over.
    assert!(report.skipped.len() <= 1, "{report}");
    // The recovered tree was checked against the digests ZooKeeper wrote: with its snapshot,
    // and with the last transaction that carries one (failed writes carry none).
    assert!(!report.digests_checked.is_empty(), "{report}");

    server.restart().expect("ZooKeeper restarts on its files");
    let reader = connect(&server).await;
    reader.add_auth("digest", b"user:secret").await.unwrap();
    let theirs = read_all(&reader).await;
    assert_eq!(tree_of(&ours), theirs, "recovered from {report}");
    // A digest that differs from the snapshot's is not asserted either way: a snapshot is
    // fuzzy, a change made while it was written can leave a parent's Stat behind in it, and
    // ZooKeeper's replay leaves it so too (the trees above are the same); the report says so.

    // The sessions still open live on in both; the closed one is gone from both.
    assert!(ours.sessions.contains_key(&zk.session_id()));
    assert!(ours.sessions.contains_key(&other.session_id()));
    assert!(!ours.sessions.contains_key(&closing.session_id()));
    let mut eph = ours.tree.ephemerals(other.session_id());
    eph.sort();
    assert_eq!(eph.len(), 5, "{eph:?}");
    assert!(theirs.contains_key("/app/eph0") && !theirs.contains_key("/gone"));

    // Served: the same answers through the wire, and a session recovered from the files is
    // taken over with its id and password, its ephemerals still there.
    let ours_served = zk_server::Server::builder()
        .extended_types(true)
        .restored(ours.clone())
        .start()
        .await
        .expect("serves the recovered state");
    let served = ClientBuilder::new(ours_served.connect_string())
        .connect()
        .await
        .expect("connect");
    served.add_auth("digest", b"user:secret").await.unwrap();
    assert_eq!(read_all(&served).await, theirs);
    let taken = ClientBuilder::new(ours_served.connect_string())
        .session(other.session_id(), other.session_password())
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("the recovered session is taken over");
    assert_eq!(taken.session_id(), other.session_id());
    let mut mine = taken.get_ephemerals("/").await.unwrap();
    mine.sort();
    assert_eq!(
        mine,
        (0..5).map(|i| format!("/app/eph{i}")).collect::<Vec<_>>()
    );
    served.close().await;
    taken.close().await;

    damaged_copies(&dir, &theirs);
    written_back(&ours, &theirs).await;

    // Up to the middle of the workload: the tree as it was then.
    let (then, report) = datadir::load(&dir, Some(middle_zxid - 1), true).expect("load up to");
    assert_eq!(then.zxid, middle_zxid - 1);
    assert!(!report.digests_checked.is_empty(), "{report}");
    assert_eq!(unordered(tree_of(&then)), middle);
    for zk in [zk, other, reader] {
        zk.close().await;
    }
}

/// A copy of the data directory `from` (its `version-2`), at a fresh path.
fn copy(from: &std::path::Path, name: &str) -> std::path::PathBuf {
    let to = std::env::temp_dir().join(format!("zk-datadir-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(to.join("version-2")).unwrap();
    for e in std::fs::read_dir(from.join("version-2")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join("version-2").join(e.file_name())).unwrap();
    }
    to
}

/// The files of `dir`'s `version-2` starting with `prefix`, by name (zxids are hex of one width
/// per epoch here).
fn named(dir: &std::path::Path, prefix: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("version-2"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        u64::from_str_radix(name.rsplit('.').next().unwrap(), 16).unwrap()
    });
    v
}

/// Damage as crashes and disks make it, on copies of ZooKeeper's directory.
fn damaged_copies(dir: &std::path::Path, whole: &Seen) {
    // The newest whole snapshot (ZooKeeper's restart wrote one too) damaged: passed over (and
    // said so), the same state from an older one and more of the log.
    let d = copy(dir, "snapshot");
    let (_, before) = datadir::load(&d, None, true).expect("load");
    let newest = before.snapshot.expect("a snapshot");
    let mut bytes = std::fs::read(&newest).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 0xff;
    std::fs::write(&newest, bytes).unwrap();
    let (state, report) = datadir::load(&d, None, true).expect("an older snapshot");
    let said = newest.display().to_string();
    assert!(report.skipped.iter().any(|s| s.contains(&said)), "{report}");
    assert_ne!(report.snapshot.as_ref(), Some(&newest), "{report}");
    assert_eq!(&tree_of(&state), whole);
    std::fs::remove_dir_all(&d).unwrap();

    // The last log's last entry torn (a crash mid-write): the log ends before it.
    let d = copy(dir, "torn");
    let last = named(&d, "log.").pop().unwrap();
    let log = zk_server::ondisk::txnlog::read(&std::fs::read(&last).unwrap()).unwrap();
    let tail = log.entries.last().unwrap();
    let mut bytes = std::fs::read(&last).unwrap();
    bytes.truncate(tail.offset as usize + 20);
    std::fs::write(&last, &bytes).unwrap();
    let (state, report) = datadir::load(&d, None, true).expect("a torn tail is the end");
    assert_eq!(state.zxid, tail.header.zxid - 1, "{report}");
    assert!(
        report.notes.iter().any(|n| n.contains("truncated")),
        "{report}"
    );
    std::fs::remove_dir_all(&d).unwrap();

    // A checksum that does not match in the middle of a log: an error naming the file and
    // the entry's offset.
    let d = copy(dir, "checksum");
    let last = named(&d, "log.").pop().unwrap();
    let bytes = std::fs::read(&last).unwrap();
    let log = zk_server::ondisk::txnlog::read(&bytes).unwrap();
    let entry = &log.entries[log.entries.len() / 2];
    let mut bytes = bytes.clone();
    bytes[entry.offset as usize + 20] ^= 0x01;
    std::fs::write(&last, &bytes).unwrap();
    let err = datadir::load(&d, None, true).unwrap_err().to_string();
    assert!(
        err.contains(&last.display().to_string())
            && err.contains(&format!("at byte {}", entry.offset))
            && err.contains("checksum"),
        "{err}"
    );
    std::fs::remove_dir_all(&d).unwrap();

    // Every snapshot damaged, or none and logs: refused, saying why.
    let d = copy(dir, "nosnap");
    for snap in named(&d, "snapshot.") {
        std::fs::write(&snap, b"ZKSN").unwrap();
    }
    let err = datadir::load(&d, None, true).unwrap_err().to_string();
    assert!(err.contains("no usable snapshot"), "{err}");
    for snap in named(&d, "snapshot.") {
        std::fs::remove_file(snap).unwrap();
    }
    let err = datadir::load(&d, None, true).unwrap_err().to_string();
    assert!(err.contains("without a snapshot"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// Our recovered state written as a ZooKeeper snapshot: our reader, ZooKeeper's
/// `SnapshotFormatter` and ZooKeeper itself (started on a directory holding only that file)
/// read it back as the same tree.
async fn written_back(ours: &zk_server::restore::Restored, theirs: &Seen) {
    let sessions: Vec<(i64, i32)> = ours.sessions.iter().map(|(id, t)| (*id, *t)).collect();
    let bytes = ours.tree.write_snapshot(&sessions, ours.zxid);
    let back = zk_server::ondisk::snapshot::read(&bytes).expect("our snapshot reads");
    assert_eq!(back.seals, 2);
    assert_eq!(back.sessions, sessions);
    let again = zk_server::restore::Restored::from_snapshot(&back, ours.zxid, true).unwrap();
    assert_eq!(&tree_of(&again), theirs);

    let export = std::env::temp_dir().join(format!("zk-datadir-{}-export", std::process::id()));
    let _ = std::fs::remove_dir_all(&export);
    std::fs::create_dir_all(export.join("version-2")).unwrap();
    let file = export
        .join("version-2")
        .join(format!("snapshot.{:x}", ours.zxid));
    std::fs::write(&file, &bytes).unwrap();

    let formatted = std::process::Command::new("java")
        .args(["-cp", zk_testkit::ZOOKEEPER_JAR])
        .arg("org.apache.zookeeper.server.SnapshotFormatter")
        .arg(&file)
        .output()
        .expect("SnapshotFormatter");
    let text = String::from_utf8_lossy(&formatted.stdout);
    assert!(
        formatted.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&formatted.stderr)
    );
    for path in theirs.keys() {
        assert!(text.lines().any(|l| l == path), "{path} not in:\n{text}");
    }
    assert!(
        text.contains("Session Details (sid, timeout, ephemeralCount):"),
        "{text}"
    );

    let exported = TestServer::start_with(ServerOptions {
        extra_config: vec![format!("dataDir={}", export.display())],
        ..ServerOptions::default()
    })
    .expect("ZooKeeper starts on our snapshot");
    let reader = connect(&exported).await;
    reader.add_auth("digest", b"user:secret").await.unwrap();
    assert_eq!(&read_all(&reader).await, theirs);
    reader.close().await;
    drop(exported);
    std::fs::remove_dir_all(&export).unwrap();
}
