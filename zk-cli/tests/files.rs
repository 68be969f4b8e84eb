//! `zk txnlog` and `zk snapshot` on files written by a real server after a known sequence of
//! operations; damaged, truncated and foreign files give clear errors naming the offset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use zk_client::{acl, ClientBuilder, CreateMode, CreateOptions, Op};
use zk_testkit::TestServer;

fn zk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(args)
        .output()
        .expect("run zk")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("data/version-2"))
        .expect("version-2")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    v.sort();
    v
}

/// Runs a known sequence against a real server, restarts it (which writes a snapshot), and
/// returns the server, the closed session's id and the open session's id.
async fn known_history() -> (TestServer, i64, i64) {
    let mut srv = TestServer::start().expect("a real ZooKeeper must start");
    let keeper = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    keeper
        .create("/kept", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    let zk = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    let closed = zk.session_id();
    let plain = CreateOptions::default();
    zk.create("/a", b"hello", &plain).await.unwrap();
    zk.create("/a/b", &[0, 1, 2, 255], &plain).await.unwrap();
    zk.create("/e", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    zk.set_data("/a", b"world", Some(0)).await.unwrap();
    zk.add_auth("digest", b"alice:secret").await.unwrap();
    zk.set_acl("/a", &acl::creator_all(), None).await.unwrap();
    zk.multi(&[
        Op::Create {
            path: "/m1".into(),
            data: b"one".to_vec(),
            options: plain.clone(),
        },
        Op::Create {
            path: "/m2".into(),
            data: b"two".to_vec(),
            options: plain.clone(),
        },
        Op::SetData {
            path: "/m1".into(),
            data: b"uno".to_vec(),
            version: Some(0),
        },
    ])
    .await
    .unwrap();
    // A failed multi is logged too (as error transactions).
    zk.multi(&[
        Op::Create {
            path: "/m3".into(),
            data: Vec::new(),
            options: plain.clone(),
        },
        Op::Create {
            path: "/m1".into(),
            data: Vec::new(),
            options: plain.clone(),
        },
    ])
    .await
    .unwrap_err();
    zk.delete("/a/b", None).await.unwrap();
    zk.close().await;
    // The restart loads the log and writes a snapshot of everything.
    srv.restart().unwrap();
    let again = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    assert!(again.exists("/m2").await.unwrap().is_some());
    again.close().await;
    let kept = keeper.session_id();
    std::mem::forget(keeper);
    (srv, closed, kept)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txnlog_and_snapshot_account_for_every_operation() {
    let (srv, closed, kept) = known_history().await;
    let logs = files(srv.dir(), "log.");
    let log = logs
        .first()
        .expect("a transaction log")
        .to_str()
        .unwrap()
        .to_string();

    let out = zk(&["txnlog", &log, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    let ours: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l["session"] == format!("{closed:#x}"))
        .map(|l| {
            let path = l["txn"]["path"].as_str().unwrap_or("").to_string();
            (l["type"].as_str().unwrap().to_string(), path)
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("createSession", ""),
        ("create2", "/a"),
        ("create2", "/a/b"),
        ("create2", "/e"),
        ("setData", "/a"),
        ("setACL", "/a"),
        ("multi", ""),
        ("multi", ""),
        ("delete", "/a/b"),
        ("closeSession", ""),
    ]
    .iter()
    .map(|(t, p)| (t.to_string(), p.to_string()))
    .collect();
    assert_eq!(ours, expected);
    let multis: Vec<&Value> = lines.iter().filter(|l| l["type"] == "multi").collect();
    let ops = |m: &Value| -> Vec<i64> {
        m["txn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["type"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ops(multis[0]), [1, 1, 5], "create, create, setData");
    assert_eq!(ops(multis[1])[1], -1, "the failed op is an error txn");
    let close = lines.iter().find(|l| l["type"] == "closeSession").unwrap();
    assert_eq!(close["txn"]["paths2Delete"], serde_json::json!(["/e"]));

    // Text, with data as text or hex, and filters.
    let out = zk(&["txnlog", &log, "--path", "/a"]);
    let t = text(&out.stdout);
    assert!(t.contains("create2 /a data=hello"), "{t}");
    assert!(t.contains("create2 /a/b data=0x000102ff"), "{t}");
    assert!(t.contains("setACL /a acl=digest:alice:"), "{t}");
    assert!(!t.contains("/m1"), "{t}");
    assert!(t.contains("checksums verified"), "{t}");
    let setdata = lines.iter().find(|l| l["type"] == "setData").unwrap();
    let z = setdata["zxid"].as_str().unwrap();
    let out = zk(&["txnlog", &log, "--json", "--from-zxid", z, "--to-zxid", z]);
    assert_eq!(json_lines(&out).len(), 1);

    // The snapshot written at the restart.
    let snaps = files(srv.dir(), "snapshot.");
    let snap = snaps
        .last()
        .expect("a snapshot")
        .to_str()
        .unwrap()
        .to_string();
    let out = zk(&["snapshot", &snap, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    let node = |p: &str| lines.iter().find(|l| l["node"] == p);
    assert_eq!(node("/a").unwrap()["data"], "world");
    assert_eq!(node("/m1").unwrap()["data"], "uno");
    assert_eq!(node("/m2").unwrap()["data"], "two");
    assert!(node("/a/b").is_none() && node("/e").is_none() && node("/m3").is_none());
    assert_eq!(
        node("/kept").unwrap()["stat"]["ephemeralOwner"].as_i64(),
        Some(kept)
    );
    assert!(node("/zookeeper/config").is_some());
    let session = lines
        .iter()
        .find(|l| l["session"] == format!("{kept:#x}"))
        .expect("the open session");
    assert_eq!(session["ephemerals"], 1);
    assert!(lines.iter().any(|l| l["acl"]
        .as_str()
        .is_some_and(|a| a.starts_with("digest:alice:"))));
    assert_eq!(lines.last().unwrap()["seals"], 2, "{:?}", lines.last());
    let out = zk(&["snapshot", &snap, "--path", "/m1"]);
    let t = text(&out.stdout);
    assert!(
        t.contains("ZNode Details (count=1)") && t.contains("data = uno"),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_files_give_errors_naming_the_offset() {
    let (srv, _, _) = known_history().await;
    let scratch = srv.dir().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let log = files(srv.dir(), "log.").remove(0);
    let bytes = std::fs::read(&log).unwrap();
    let out = zk(&["txnlog", log.to_str().unwrap(), "--json"]);
    let entries = json_lines(&out);
    let third = entries[2]["offset"].as_u64().unwrap() as usize;

    // One flipped byte inside the third entry's payload.
    let mut corrupt = bytes.clone();
    corrupt[third + 20] ^= 0x55;
    let p = scratch.join("corrupt.log");
    std::fs::write(&p, &corrupt).unwrap();
    let out = zk(&["txnlog", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("at byte {third}: checksum mismatch")),
        "{err}"
    );
    assert!(err.contains("after 2 good transactions"), "{err}");
    assert_eq!(
        text(&out.stdout).lines().count(),
        3,
        "two entries and the summary"
    );

    // Cut in the middle of the third entry.
    let p = scratch.join("truncated.log");
    std::fs::write(&p, &bytes[..third + 15]).unwrap();
    let out = zk(&["txnlog", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("at byte {third}: truncated entry")),
        "{err}"
    );

    // A snapshot cut short, and one with a flipped byte.
    let snap = files(srv.dir(), "snapshot.").pop().unwrap();
    let sbytes = std::fs::read(&snap).unwrap();
    let p = scratch.join("truncated.snap");
    std::fs::write(&p, &sbytes[..sbytes.len() / 2]).unwrap();
    let out = zk(&["snapshot", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("truncated snapshot") && err.contains("at byte"),
        "{err}"
    );
    let mut flipped = sbytes.clone();
    let i = sbytes.windows(5).position(|w| w == b"world").unwrap();
    flipped[i] = b'W';
    let p = scratch.join("flipped.snap");
    std::fs::write(&p, &flipped).unwrap();
    let out = zk(&["snapshot", p.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(err.contains("seal 1: checksum mismatch"), "{err}");

    // Foreign files.
    let out = zk(&["txnlog", snap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("not a ZooKeeper transaction log: magic 0x5a4b534e (ZKSN)"),
        "{err}"
    );
    let p = scratch.join("text");
    std::fs::write(&p, b"hello").unwrap();
    let err = text(&zk(&["snapshot", p.to_str().unwrap()]).stderr);
    assert!(err.contains("shorter than a file header"), "{err}");
    let err = text(&zk(&["txnlog", "/nonexistent/log.1"]).stderr);
    assert!(err.contains("/nonexistent/log.1"), "{err}");
}
