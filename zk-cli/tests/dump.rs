//! `zk dump` on real captures: the Java client's traffic (tests/pcap), this client's own
//! traffic captured here with tcpdump (multi, watches, a reconnect, errors), the same as
//! pcapng, a capture that starts mid-connection, and files that are not captures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use pcap_file::pcap::{PcapReader, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use serde_json::Value;
use zk_cli::capture::{connections, frames};
use zk_client::{ClientBuilder, CreateOptions, Error, Op};
use zk_testkit::{Tcpdump, TestServer};

fn java_capture() -> (PathBuf, u16) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/pcap");
    let port = std::fs::read_to_string(dir.join("java-client.pcap.port"))
        .expect("port file")
        .trim()
        .trim_start_matches("server port ")
        .parse()
        .expect("port");
    (dir.join("java-client.pcap"), port)
}

fn zk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(args)
        .output()
        .expect("run zk")
}

fn dump_json(file: &Path, port: u16) -> (Vec<Value>, String) {
    let out = zk(&[
        "--json",
        "dump",
        file.to_str().unwrap(),
        "-p",
        &port.to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (lines, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn events(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l.get("summary").is_none())
        .collect()
}

#[test]
fn every_frame_of_the_java_capture_is_decoded() {
    let (file, port) = java_capture();
    let mut expected = 0;
    for c in connections(&file, port).unwrap().connections {
        if c.request.data.len() == 4 {
            continue; // a four-letter word
        }
        expected += frames(&c.request.data).unwrap().len() + frames(&c.reply.data).unwrap().len();
    }
    let (lines, notes) = dump_json(&file, port);
    assert!(notes.is_empty(), "{notes}");
    let evs = events(&lines);
    let framed: Vec<_> = evs
        .iter()
        .filter(|e| e["kind"] != "fourletterword")
        .collect();
    assert_eq!(framed.len(), expected, "one event per frame");
    assert!(
        evs.iter().all(|e| e["op"] != "unmatched"),
        "every reply matched a request"
    );
    let ops: std::collections::BTreeSet<&str> =
        evs.iter().filter_map(|e| e["op"].as_str()).collect();
    for op in [
        "connect",
        "create",
        "multi",
        "multiRead",
        "setWatches2",
        "addWatch",
        "ping",
        "notification",
        "getEphemerals",
        "whoAmI",
    ] {
        assert!(ops.contains(op), "{op} missing from {ops:?}");
    }
    // Replies carry their latency, errors their code; the summary counts requests.
    assert!(evs.iter().any(|e| e["kind"] == "reply" && e["err"] == -101));
    assert!(evs
        .iter()
        .filter(|e| e["kind"] == "reply")
        .all(|e| e["latency_us"].is_u64()));
    let summary = lines
        .iter()
        .find(|l| l["summary"] == "create")
        .expect("create summary");
    assert_eq!(
        summary["count"].as_u64().unwrap() as usize,
        evs.iter()
            .filter(|e| e["kind"] == "request" && e["op"] == "create")
            .count()
    );

    // Text form and the summary table.
    let out = zk(&["dump", file.to_str().unwrap(), "-p", &port.to_string()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("-> xid=1 create /cli data=5B flags=0"),
        "{text}"
    );
    assert!(text.contains("p50") && text.contains("p99"), "{text}");
}

#[test]
fn pcapng_and_a_capture_started_mid_connection() {
    let (file, port) = java_capture();
    let dir = std::env::temp_dir().join(format!("zk-dump-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let mut reader = PcapReader::new(&bytes[..]).unwrap();
    let link = reader.header().datalink;
    let mut packets = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.unwrap();
        packets.push((p.timestamp, p.orig_len, p.data.into_owned()));
    }

    // The same packets as pcapng give the same events.
    let ng = dir.join("java.pcapng");
    {
        let mut w = PcapNgWriter::new(std::fs::File::create(&ng).unwrap()).unwrap();
        // pcap-file writes a timestamp's nanoseconds as the raw count, so the interface must
        // say nanoseconds (pcapng's default unit is the microsecond).
        let mut idb = InterfaceDescriptionBlock::new(link, 0xffff);
        idb.options.push(InterfaceDescriptionOption::IfTsResol(9));
        w.write_pcapng_block(idb).unwrap();
        for (ts, len, data) in &packets {
            w.write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: *ts,
                original_len: *len,
                data: data.as_slice().into(),
                options: vec![],
            })
            .unwrap();
        }
    }
    assert_eq!(dump_json(&ng, port).0, dump_json(&file, port).0);

    // Drop the first 60% of the packets: connections in flight lose their start.
    let cut = dir.join("cut.pcap");
    {
        let mut w =
            PcapWriter::with_header(std::fs::File::create(&cut).unwrap(), reader.header()).unwrap();
        for (ts, len, data) in packets.iter().skip(packets.len() * 6 / 10) {
            w.write_packet(&pcap_file::pcap::PcapPacket::new(*ts, *len, data))
                .unwrap();
        }
    }
    let (lines, notes) = dump_json(&cut, port);
    assert!(
        notes.contains("decoding from the first whole frame"),
        "{notes}"
    );
    let evs = events(&lines);
    assert!(evs.len() > 10, "{evs:?}");
    assert!(evs.iter().any(|e| e["op"] == "closeSession"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn files_that_are_not_captures() {
    let dir = std::env::temp_dir().join(format!("zk-dump-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("text");
    std::fs::write(&text, "hello, not a capture").unwrap();
    let out = zk(&["dump", text.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a pcap or pcapng file"));
    let (file, _) = java_capture();
    let out = zk(&["dump", file.to_str().unwrap(), "-p", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no ZooKeeper traffic on port 1"));
    let out = zk(&["dump", "/nonexistent.pcap"]);
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until the capture demonstrably records traffic to `addr` (four-letter words).
fn wait_recording(file: &Path, addr: std::net::SocketAddr) {
    zk_testkit::wait_recording(file, || {
        let _ = zk_testkit::four_letter_word(addr, "ruok");
    })
    .expect("tcpdump records nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_clients_own_traffic_is_decoded() {
    let mut srv = TestServer::start().expect("a real ZooKeeper must start");
    let file = srv.dir().join("own.pcap");
    let port = srv.addr().port();
    let capture = Tcpdump::start(&file, &format!("tcp port {port}")).expect("tcpdump");
    wait_recording(&file, srv.addr());

    let zk = ClientBuilder::new(srv.connect_string())
        .session_timeout(std::time::Duration::from_secs(30))
        .connect_timeout(std::time::Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let session = zk.session_id();
    zk.create("/own", b"v", &CreateOptions::default())
        .await
        .unwrap();
    let (_, _, watch) = zk.get_data_watch("/own").await.unwrap();
    zk.multi(&[
        Op::Create {
            path: "/own/a".into(),
            data: vec![],
            options: CreateOptions::default(),
        },
        Op::SetData {
            path: "/own".into(),
            data: b"w".to_vec(),
            version: None,
        },
    ])
    .await
    .unwrap();
    watch.await.unwrap();
    assert_eq!(zk.get_data("/missing").await.unwrap_err(), Error::NoNode);
    let (_, _, watch) = zk.get_data_watch("/own").await.unwrap();
    // A reconnect: the server restarts, the client resumes the session and sets the watch again.
    let state = zk.states();
    tokio::task::block_in_place(|| srv.restart()).unwrap();
    let back = tokio::time::timeout(
        Duration::from_secs(60),
        state.wait_for(|s| s == zk_client::SessionState::Connected),
    )
    .await;
    assert!(
        back == Ok(zk_client::SessionState::Connected),
        "no session after the restart (state {:?}); server log:\n{}",
        state.current(),
        srv.log_tail()
    );
    zk.set_data("/own", b"x", None).await.unwrap();
    watch.await.unwrap();
    zk.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    capture.stop();

    let (lines, notes) = dump_json(&file, port);
    assert!(notes.is_empty(), "{notes}");
    let evs = events(&lines);
    let mut reqs: Vec<(String, String)> = evs
        .iter()
        .filter(|e| e["kind"] == "request" && e["op"] != "ping")
        .map(|e| {
            (
                e["op"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    // While the server restarts, some reconnect attempts may get no answer: one line each.
    reqs.dedup();
    let expected: Vec<(String, String)> = [
        ("connect", ""),
        ("create2", "/own"),
        ("getData", "/own"),
        ("multi", "/own/a"),
        ("getData", "/missing"),
        ("getData", "/own"),
        ("connect", ""),
        ("setWatches2", ""),
        ("setData", "/own"),
        ("closeSession", ""),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(reqs, expected);
    let sid = format!("{session:#x}");
    let others: Vec<_> = evs
        .iter()
        .filter(|e| e["kind"] != "fourletterword" && e["session"] != sid.as_str())
        .collect();
    assert!(others.is_empty(), "one session throughout: {others:?}");
    let resumed: Vec<_> = evs
        .iter()
        .filter(|e| e["op"] == "connect" && e["kind"] == "reply")
        .collect();
    assert_eq!(
        resumed.len(),
        2,
        "the first handshake and the resumed one were answered"
    );
    assert!(resumed[1]["args"]
        .as_str()
        .unwrap()
        .contains(&format!("session={sid}")));
    assert!(evs
        .iter()
        .any(|e| e["kind"] == "reply" && e["path"] == "/missing" && e["err"] == -101));
    let notes: Vec<_> = evs.iter().filter(|e| e["kind"] == "notification").collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes
        .iter()
        .all(|n| n["path"] == "/own" && n["args"] == "NodeDataChanged"));
}

/// tshark writing pcapng with its defaults (nanosecond `if_tsresol`), and tcpdump's pcap made
/// pcapng by editcap (no `if_tsresol`: microseconds): both decode to the same events, at
/// today's date, with the same latencies. (A pcapng written by pcap-file itself, as the test
/// above does, cannot show a resolution bug: it writes and reads with the same mistake.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pcapng_from_wiresharks_tools_has_the_right_times() {
    zk_testkit::ensure_program("tshark").expect("tshark");
    zk_testkit::ensure_program("editcap").expect("editcap");
    let srv = TestServer::start().expect("a real ZooKeeper must start");
    let port = srv.addr().port();
    let filter = format!("tcp port {port}");
    let ng = srv.dir().join("tshark.pcapng");
    let tshark_log = srv.dir().join("tshark.log");
    let mut cmd = Command::new("tshark");
    cmd.args(["-i", "lo", "-f", &filter, "-w"]).arg(&ng);
    let tshark = zk_testkit::ChildGuard::spawn(cmd, &tshark_log).expect("tshark");
    let pcap = srv.dir().join("tcpdump.pcap");
    let tcpdump = Tcpdump::start(&pcap, &filter).expect("tcpdump");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&tshark_log)
        .unwrap_or_default()
        .contains("Capturing on")
    {
        assert!(Instant::now() < deadline, "tshark did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_recording(&pcap, srv.addr());
    while std::fs::metadata(&ng).map_or(0, |m| m.len()) < 1024 {
        assert!(Instant::now() < deadline, "tshark records nothing");
        let _ = zk_testkit::four_letter_word(srv.addr(), "ruok");
        std::thread::sleep(Duration::from_millis(50));
    }
    let started = std::time::SystemTime::now();
    let zk = ClientBuilder::new(srv.connect_string())
        .connect()
        .await
        .unwrap();
    zk.create("/times", b"t", &CreateOptions::default())
        .await
        .unwrap();
    for _ in 0..5 {
        zk.get_data("/times").await.unwrap();
    }
    zk.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    tcpdump.stop();
    tshark.signal("INT").expect("stop tshark");
    let mut tshark = tshark;
    tshark.wait_or_kill(Duration::from_secs(10));
    let converted = srv.dir().join("tcpdump.pcapng");
    let run = Command::new("editcap")
        .args(["-F", "pcapng"])
        .arg(&pcap)
        .arg(&converted)
        .output()
        .expect("editcap");
    assert!(run.status.success(), "{run:?}");

    let now = |s: &str| {
        let t = humantime::parse_rfc3339(s).unwrap_or_else(|e| panic!("{e}: {s}"));
        let since = t
            .duration_since(started)
            .unwrap_or_else(|e| panic!("{s} is {:?} before the test", e.duration()));
        assert!(since < Duration::from_secs(120), "{s}");
    };
    let mut seen = Vec::new();
    for file in [&ng, &converted] {
        let (lines, _) = dump_json(file, port);
        let evs: Vec<_> = events(&lines)
            .into_iter()
            .filter(|e| e["kind"] != "fourletterword")
            .cloned()
            .collect();
        let gets: Vec<_> = evs
            .iter()
            .filter(|e| e["kind"] == "reply" && e["op"] == "getData")
            .collect();
        assert_eq!(gets.len(), 5, "{}: {evs:?}", file.display());
        for e in &evs {
            now(e["time"].as_str().unwrap());
        }
        for g in &gets {
            let l = g["latency_us"].as_u64().unwrap();
            // A reply on loopback takes microseconds to milliseconds, not nanoseconds' worth
            // of "microseconds" (1000x too small) nor seconds.
            assert!(
                (5..2_000_000).contains(&l),
                "{}: latency {l} µs",
                file.display()
            );
        }
        seen.push(
            evs.iter()
                .map(|e| (e["kind"].clone(), e["op"].clone(), e["time"].clone()))
                .collect::<Vec<_>>(),
        );
    }
    // Two captures of the same traffic: the same events in the same order.
    assert_eq!(seen[0].len(), seen[1].len());
    for (a, b) in seen[0].iter().zip(&seen[1]) {
        assert_eq!((&a.0, &a.1), (&b.0, &b.1));
    }
}
