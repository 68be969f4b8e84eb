//! `zk txnlog` and `zk snapshot` on crafted files: a multi nested 2,000 deep, an entry zeroed
//! in the middle of a log, times past the year 9999, a snapshot of 100,000 sessions and
//! 100,000 nodes, and control characters in paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::path::PathBuf;
use std::process::{Command, Output};

use jute::Record;
use jute_schemas::data::StatPersisted;
use jute_schemas::persistence::FileHeader;
use jute_schemas::txn::{CreateTxn, DeleteTxn, MultiTxn, Txn, TxnHeader};

fn zk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(args)
        .output()
        .expect("run zk")
}

fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zk-crafted-files-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn header(magic: i32) -> Vec<u8> {
    FileHeader {
        magic,
        version: 2,
        dbid: 0,
    }
    .to_vec()
}

/// A log entry: Adler-32 as a long, length, payload, 'B'.
fn entry(ty: i32, zxid: i64, time: i64, record: &[u8]) -> Vec<u8> {
    let mut payload = TxnHeader {
        client_id: 0x10,
        cxid: 1,
        zxid,
        time,
        r#type: ty,
    }
    .to_vec();
    payload.extend_from_slice(record);
    let mut out = i64::from(adler2::adler32_slice(&payload))
        .to_be_bytes()
        .to_vec();
    out.extend((payload.len() as i32).to_be_bytes());
    out.extend(&payload);
    out.push(b'B');
    out
}

fn create(path: &str) -> Vec<u8> {
    CreateTxn {
        path: Some(path.into()),
        data: Some(b"d".to_vec()),
        acl: Some(vec![]),
        ephemeral: false,
        parent_c_version: 1,
    }
    .to_vec()
}

const NOW_MS: i64 = 1_795_305_600_000;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_multi_nested_in_a_multi_is_refused() {
    let mut inner = MultiTxn {
        txns: Some(vec![Txn {
            r#type: 2,
            data: Some(
                DeleteTxn {
                    path: Some("/x".into()),
                }
                .to_vec(),
            ),
        }]),
    }
    .to_vec();
    for _ in 0..2_000 {
        inner = MultiTxn {
            txns: Some(vec![Txn {
                r#type: 14,
                data: Some(inner),
            }]),
        }
        .to_vec();
    }
    let mut log = header(0x5A4B_4C47);
    log.extend(entry(1, 1, NOW_MS, &create("/ok")));
    log.extend(entry(14, 2, NOW_MS, &inner));
    let out = zk(&["txnlog", file("nested.log", &log).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("a multi inside a multi"), "{err}");
    assert!(
        text(&out.stdout).contains("create /ok"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn an_entry_zeroed_in_the_middle_is_damage() {
    let mut log = header(0x5A4B_4C47);
    let mut zeroed = 0..0;
    for i in 0..71 {
        let e = entry(1, i + 1, NOW_MS, &create(&format!("/n{i}")));
        if i == 10 {
            zeroed = log.len()..log.len() + e.len();
        }
        log.extend(e);
    }
    // Preallocated zeros after the last entry, as ZooKeeper leaves them.
    log.extend([0u8; 4096]);
    let good = file("good.log", &log);
    let out = zk(&["txnlog", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("71 transactions in the log"));
    for b in &mut log[zeroed.clone()] {
        *b = 0;
    }
    let out = zk(&["txnlog", file("zeroed.log", &log).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "non-zero bytes after the end of the log at byte {}",
            zeroed.start
        )),
        "{err}"
    );
    assert!(
        text(&out.stdout).contains("10 transactions read before the problem below"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn times_past_the_year_9999_print_as_numbers() {
    let mut log = header(0x5A4B_4C47);
    log.extend(entry(1, 1, i64::MAX, &create("/late")));
    log.extend(entry(1, 2, 253_402_300_800_000, &create("/later")));
    let out = zk(&["txnlog", file("times.log", &log).to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("{} session", i64::MAX)),
        "{stdout}"
    );
    assert!(stdout.contains("253402300800000 session"), "{stdout}");
}

/// A Jute ustring (or buffer): length, bytes.
fn ustring(s: &str) -> Vec<u8> {
    let mut v = (s.len() as i32).to_be_bytes().to_vec();
    v.extend(s.as_bytes());
    v
}

/// A snapshot: sessions, an ACL cache of `acls` entries, the nodes, then the seal.
fn snapshot(sessions: &[(i64, i32)], acls: usize, nodes: &[(String, i64, i64)]) -> Vec<u8> {
    let mut s = header(0x5A4B_534E);
    s.extend((sessions.len() as i32).to_be_bytes());
    for (id, timeout) in sessions {
        s.extend(id.to_be_bytes());
        s.extend(timeout.to_be_bytes());
    }
    s.extend((acls as i32).to_be_bytes());
    for id in 0..acls {
        s.extend((id as i64).to_be_bytes());
        s.extend(0i32.to_be_bytes()); // an empty ACL list
    }
    for (path, acl, owner) in nodes {
        s.extend(ustring(path));
        s.extend(ustring("v"));
        s.extend(acl.to_be_bytes());
        s.extend(
            StatPersisted {
                czxid: 1,
                mzxid: 1,
                ctime: NOW_MS,
                mtime: i64::MAX,
                version: 0,
                cversion: 0,
                aversion: 0,
                ephemeral_owner: *owner,
                pzxid: 1,
            }
            .to_vec(),
        );
    }
    s.extend(ustring("/"));
    let seal = i64::from(adler2::adler32_slice(&s));
    s.extend(seal.to_be_bytes());
    s.extend(ustring("/"));
    s
}

#[test]
fn a_big_snapshot_is_read_in_linear_time() {
    let n = 100_000i64;
    let sessions: Vec<(i64, i32)> = (0..n).map(|i| (i + 1, 30_000)).collect();
    let mut nodes = vec![(String::new(), -1, 0)];
    // Every node ephemeral, owned round-robin; ACL ids spread over a 10,000-entry cache.
    nodes.extend((0..n).map(|i| (format!("/n{i}"), i % 10_000, i % n + 1)));
    let snap = file("big.snap", &snapshot(&sessions, 10_000, &nodes));
    // Before: 75 s (a scan of every node per session, a search of the cache per node).
    let out = zk(&["snapshot", snap.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ZNode Details (count=100001)"));
    assert!(stdout.contains("Session Details (sid, timeout, ephemeralCount): 100000"));
    assert!(
        stdout.contains("0x186a0, 30000, 1\n"),
        "each session owns one node"
    );
    // mtime past the year 9999 is a number.
    assert!(stdout.contains(&format!("mtime = {}", i64::MAX)));
}

#[test]
fn control_characters_in_snapshot_paths_are_escaped() {
    let nodes = vec![
        (String::new(), -1, 0),
        ("/\u{1b}]0;title\u{7}".to_string(), -1, 0),
    ];
    let snap = file("esc.snap", &snapshot(&[], 0, &nodes));
    let out = zk(&["snapshot", snap.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}'));
    assert!(stdout.contains("/\\u001b]0;title\\u0007"), "{stdout}");
}
