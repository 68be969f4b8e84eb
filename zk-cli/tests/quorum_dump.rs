//! `zk dump` on an ensemble's quorum port, over a capture this test makes: tcpdump on
//! loopback while a three-member ensemble commits writes, a follower restarts and is synced
//! with DIFF, and another restarts with its data wiped and is synced with SNAP. Every packet
//! must decode, every proposal meet its commit, and the election port's traffic be skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use zk_client::{Client, ClientBuilder, CreateOptions, Error, Op};
use zk_testkit::{Ensemble, EnsembleOptions, ServerOptions, Tcpdump};

fn run_zk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(args)
        .output()
        .expect("run zk")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn writes(zk: &Client, tag: &str) {
    let path = format!("/q/{tag}");
    zk.create(&path, b"v1", &CreateOptions::default())
        .await
        .expect("create");
    zk.set_data(&path, b"v2", None).await.expect("set");
    // A failed write is proposed and committed as an error transaction.
    assert_eq!(
        zk.delete(&format!("{path}/missing"), None).await,
        Err(Error::NoNode)
    );
    zk.multi(&[
        Op::Create {
            path: format!("{path}-m"),
            data: b"m".to_vec(),
            options: CreateOptions::default(),
        },
        Op::Check {
            path: path.clone(),
            version: 1,
        },
    ])
    .await
    .expect("multi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ensemble_capture_decodes_packet_by_packet() {
    // A learner whose zxid is in the leader's committed log gets DIFF; a wiped one, with the
    // on-disk log not offered (snapshotSizeFactor -1), gets SNAP.
    // The ports are chosen first, so the capture takes only the ensemble's own traffic.
    let ports: Vec<(u16, u16, u16)> = (0..3)
        .map(|_| {
            let p = || zk_testkit::free_port().expect("a free port");
            (p(), p(), p())
        })
        .collect();
    let filter = ports
        .iter()
        .flat_map(|(_, q, e)| [format!("tcp port {q}"), format!("tcp port {e}")])
        .collect::<Vec<_>>()
        .join(" or ");
    let options = EnsembleOptions {
        server: ServerOptions {
            system_properties: vec![("zookeeper.snapshotSizeFactor".into(), "-1".into())],
            ..ServerOptions::default()
        },
        ports,
        ..EnsembleOptions::default()
    };
    let dir = std::env::temp_dir().join(format!("zk-quorum-dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // One capture from before the ensemble starts (its election, and every learner's
    // connection from its SYN)...
    let file = dir.join("ensemble.pcap");
    let tcpdump = Tcpdump::start(&file, &filter).expect("tcpdump");
    let first_election = options.ports[0].2;
    zk_testkit::wait_recording(&file, || {
        // A refused connection to a port of the filter is a packet to record.
        let _ = std::net::TcpStream::connect(("127.0.0.1", first_election));
    })
    .expect("tcpdump records nothing");
    let mut ens = Ensemble::start_with(options).expect("ensemble");
    let leader = ens.leader().expect("leader");
    let followers: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    let quorum = ens.quorum_port(leader);
    // ...and one from after it formed, which joins the first connections mid-stream.
    let late_file = dir.join("late.pcap");
    let late = Tcpdump::start(&late_file, &format!("tcp port {quorum}")).expect("tcpdump");
    let zk = ClientBuilder::new(ens.addr(leader).to_string())
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("connect to the leader");
    zk.create("/q", b"", &CreateOptions::default())
        .await
        .expect("create /q");
    writes(&zk, "a").await;

    // DIFF: a follower misses a few writes, then comes back.
    ens.kill(followers[0]);
    writes(&zk, "while-down").await;
    ens.restart(followers[0]).expect("restart a follower");
    writes(&zk, "b").await;

    // SNAP: a follower loses its data.
    ens.kill(followers[1]);
    std::fs::remove_dir_all(ens.dir(followers[1]).join("data/version-2"))
        .expect("wipe the follower's data");
    writes(&zk, "while-wiped").await;
    ens.restart(followers[1])
        .expect("restart the wiped follower");
    writes(&zk, "c").await;
    // Writes through a follower reach the leader as forwarded REQUEST packets.
    let via_follower = ClientBuilder::new(ens.addr(followers[1]).to_string())
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("connect to a follower");
    writes(&via_follower, "d").await;
    via_follower.close().await;
    // A sync and some pings before the capture stops.
    zk.sync("/q").await.expect("sync");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    tcpdump.stop();
    late.stop();
    assert_eq!(ens.leader().expect("leader"), leader, "the leader changed");

    let out = run_zk(&[
        "--json",
        "dump",
        file.to_str().expect("utf-8"),
        "-p",
        &quorum.to_string(),
    ]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let events: Vec<&Value> = lines
        .iter()
        .filter(|l| l.get("summary").is_none())
        .collect();
    let of_type = |t: &str| events.iter().filter(|e| e["type"] == t).count();
    for t in [
        "FOLLOWERINFO",
        "LEADERINFO",
        "ACKEPOCH",
        "DIFF",
        "SNAP",
        "NEWLEADER",
        "UPTODATE",
        "PROPOSAL",
        "ACK",
        "COMMIT",
        "PING",
        "REQUEST",
        "snapshot",
    ] {
        assert!(of_type(t) > 0, "no {t} in the dump:\n{}", text(&out.stdout));
    }
    for e in &events {
        assert!(e["data"].get("error").is_none(), "undecoded: {e}");
    }
    // Each follower joined twice with FOLLOWERINFO (at the start, after its restart), with
    // its server id.
    let mut sids: Vec<i64> = events
        .iter()
        .filter(|e| e["type"] == "FOLLOWERINFO")
        .map(|e| e["data"]["sid"].as_i64().expect("sid"))
        .collect();
    sids.sort_unstable();
    let mut expected: Vec<i64> = followers
        .iter()
        .flat_map(|&i| [i as i64 + 1, i as i64 + 1])
        .collect();
    expected.sort_unstable();
    assert_eq!(sids, expected);

    // The transactions inside proposals: every write of the test, by path and type.
    let proposals: Vec<&&Value> = events.iter().filter(|e| e["type"] == "PROPOSAL").collect();
    let has = |txn_type: &str, path: &str| {
        proposals.iter().any(|p| {
            p["data"]["txn_type"] == txn_type
                && p["data"]["paths"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == path))
        })
    };
    for tag in ["a", "while-down", "b", "while-wiped", "c", "d"] {
        let path = format!("/q/{tag}");
        assert!(
            has("create", &path) || has("create2", &path),
            "no create of {path}"
        );
        assert!(has("setData", &path), "no setData of {path}");
        assert!(has("multi", &format!("{path}-m")), "no multi for {path}");
    }
    assert!(
        proposals
            .iter()
            .any(|p| p["data"]["txn_type"] == "error" && p["data"]["txn"]["err"] == -101),
        "no error txn"
    );
    // The writes made while a follower was down reach it in its DIFF, before its UPTODATE.
    assert!(
        proposals.iter().any(|p| p["sync"] == true
            && p["data"]["paths"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "/q/while-down"))),
        "the missed writes are not replayed in a sync"
    );
    let forwarded: Vec<&&Value> = events.iter().filter(|e| e["type"] == "REQUEST").collect();
    for op in [
        "createSession",
        "create2",
        "setData",
        "delete",
        "multi",
        "closeSession",
    ] {
        assert!(
            forwarded.iter().any(|r| r["data"]["op"] == op),
            "no forwarded {op}: {forwarded:?}"
        );
    }
    assert!(
        forwarded.iter().any(|r| r["data"]["path"] == "/q/d"),
        "{forwarded:?}"
    );
    // The wiped follower's SNAP carries the nodes written before the wipe (an earlier SNAP,
    // while the ensemble started, may carry only the four nodes of an empty tree).
    let nodes = events
        .iter()
        .filter(|e| e["type"] == "snapshot")
        .filter_map(|e| e["nodes"].as_u64())
        .max()
        .expect("a snapshot");
    assert!(nodes >= 12, "{nodes} nodes in the largest snapshot");

    // Every PROPOSAL to a learner is followed by its COMMIT on the same connection, but on the
    // connection of a follower killed right after it (the leader sends a dead follower's
    // connection nothing more once it notices): then the leader sent that learner nothing
    // after it, and the transaction was committed on another learner's connection.
    let mut cut_short = 0;
    for (at, p) in events.iter().enumerate() {
        if p["type"] != "PROPOSAL" {
            continue;
        }
        let committed = events[at..].iter().any(|c| {
            c["type"] == "COMMIT" && c["learner"] == p["learner"] && c["zxid"] == p["zxid"]
        });
        if committed {
            continue;
        }
        let later = events[at + 1..]
            .iter()
            .any(|e| e["learner"] == p["learner"] && e["dir"] == "from_leader");
        assert!(
            !later,
            "no commit for {p}, though its learner heard from the leader later"
        );
        let elsewhere = events
            .iter()
            .any(|c| c["type"] == "COMMIT" && c["zxid"] == p["zxid"]);
        assert!(elsewhere, "{p} was committed nowhere");
        cut_short += 1;
    }
    let summary = lines
        .iter()
        .find(|l| l["summary"] == "proposals")
        .expect("proposal summary");
    assert_eq!(summary["proposals"].as_u64(), Some(proposals.len() as u64));
    assert_eq!(summary["uncommitted"], cut_short, "{summary}");
    assert!(summary["live"].as_u64().expect("live") > 0, "{summary}");
    assert!(summary["commit_p99_us"].as_u64().is_some(), "{summary}");
    let syncs = lines
        .iter()
        .find(|l| l["summary"] == "syncs")
        .expect("syncs");
    assert!(syncs["syncs"]["DIFF"].as_u64() >= Some(1), "{syncs}");
    assert!(syncs["syncs"]["SNAP"].as_u64() >= Some(1), "{syncs}");

    // The same as text: one line per packet and the summary.
    let out = run_zk(&[
        "dump",
        file.to_str().expect("utf-8"),
        "-p",
        &quorum.to_string(),
    ]);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        shown
            .lines()
            .any(|l| l.contains(" <- PROPOSAL zxid=0x") && l.contains("setData /q/c session=0x")),
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.contains(" -> FOLLOWERINFO zxid=0x") && l.contains("protocol=0x10000")),
        "{shown}"
    );
    assert!(shown.contains(", uncommitted 0, "), "{shown}");

    // The late capture: the connection that was already open is read from its first whole
    // packet, and its proposals meet their commits too.
    let out = run_zk(&[
        "--json",
        "dump",
        late_file.to_str().expect("utf-8"),
        "-p",
        &quorum.to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for note in text(&out.stderr).lines() {
        assert!(note.contains("starts mid-connection"), "{note}");
    }
    let late_lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let joined: std::collections::BTreeSet<String> = late_lines
        .iter()
        .filter(|e| e["type"] == "FOLLOWERINFO")
        .map(|e| e["learner"].to_string())
        .collect();
    assert!(
        late_lines
            .iter()
            .any(|e| e["type"] == "PROPOSAL" && !joined.contains(&e["learner"].to_string())),
        "no proposal on the connection joined mid-stream"
    );
    for e in &late_lines {
        assert!(
            e.get("data").is_none_or(|d| d.get("error").is_none()),
            "undecoded: {e}"
        );
    }
    let summary = late_lines
        .iter()
        .find(|l| l["summary"] == "proposals")
        .expect("summary");
    assert_eq!(summary["uncommitted"], 0, "{summary}");

    // The election port: recognised, skipped with a note, and nothing decoded from it.
    let member0 = ens.election_port(0);
    let out = run_zk(&[
        "dump",
        file.to_str().expect("utf-8"),
        "-p",
        &member0.to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let said = text(&out.stderr);
    assert!(
        said.contains("leader-election connection(s): that port's protocol is not Jute"),
        "{said}"
    );
    assert!(text(&out.stdout).is_empty());
    drop(zk);
    let _ = std::fs::remove_dir_all(&dir);
}
