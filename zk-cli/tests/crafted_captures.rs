//! `zk dump` on crafted captures: each one a way a capture can be odd or hostile (cut off in a
//! packet, equal timestamps, pcapng time units, Simple Packet Blocks, a client port used twice,
//! a nested multi, endless zeros, many connections, control characters in paths). Built here
//! packet by packet with etherparse and pcap-file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use etherparse::PacketBuilder;
use jute::Record;
use jute_schemas::proto::{
    ConnectRequest, ConnectResponse, GetDataRequest, GetDataResponse, ReplyHeader, RequestHeader,
};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::simple_packet::SimplePacketBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use serde_json::Value;

const PORT: u16 = 2181;
/// 2026-11-22T00:00:00Z in µs.
const T0: u64 = 1_795_305_600_000_000;

fn zk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(args)
        .output()
        .expect("run zk")
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("zk-crafted-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One packet: when, and the Ethernet frame.
struct Pkt {
    us: u64,
    data: Vec<u8>,
}

/// Both directions of one TCP connection, with their sequence numbers.
struct Conn {
    client_ip: [u8; 4],
    client_port: u16,
    c_seq: u32,
    s_seq: u32,
}

impl Conn {
    fn new(client_port: u16) -> Conn {
        Conn {
            client_ip: [127, 0, 0, 2],
            client_port,
            c_seq: 1000,
            s_seq: 5000,
        }
    }

    fn packet(&self, to_server: bool, flags: &str, seq: u32, payload: &[u8]) -> Vec<u8> {
        let (sp, dp) = if to_server {
            (self.client_port, PORT)
        } else {
            (PORT, self.client_port)
        };
        let (src, dst) = if to_server {
            (self.client_ip, [127, 0, 0, 1])
        } else {
            ([127, 0, 0, 1], self.client_ip)
        };
        let mut b = PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 65000);
        for f in flags.chars() {
            b = match f {
                'S' => b.syn(),
                'F' => b.fin(),
                'R' => b.rst(),
                'A' => b.ack(1),
                _ => b,
            };
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    /// SYN, SYN-ACK.
    fn open(&mut self, us: u64) -> Vec<Pkt> {
        let syn = self.packet(true, "S", self.c_seq, &[]);
        let syn_ack = self.packet(false, "SA", self.s_seq, &[]);
        self.c_seq += 1;
        self.s_seq += 1;
        vec![Pkt { us, data: syn }, Pkt { us, data: syn_ack }]
    }

    /// One frame: its length prefix, then `frame_body`.
    fn send(&mut self, us: u64, to_server: bool, frame_body: &[u8]) -> Pkt {
        let mut payload = (frame_body.len() as u32).to_be_bytes().to_vec();
        payload.extend_from_slice(frame_body);
        self.send_raw(us, to_server, &payload)
    }

    /// Bytes as they are, no length prefix.
    fn send_raw(&mut self, us: u64, to_server: bool, payload: &[u8]) -> Pkt {
        let seq = if to_server { self.c_seq } else { self.s_seq };
        let data = self.packet(to_server, "A", seq, payload);
        if to_server {
            self.c_seq += payload.len() as u32;
        } else {
            self.s_seq += payload.len() as u32;
        }
        Pkt { us, data }
    }

    fn close(&mut self, us: u64) -> Vec<Pkt> {
        let fin = self.packet(true, "FA", self.c_seq, &[]);
        let fin2 = self.packet(false, "FA", self.s_seq, &[]);
        vec![Pkt { us, data: fin }, Pkt { us, data: fin2 }]
    }
}

fn handshake() -> (Vec<u8>, Vec<u8>) {
    let req = ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: 10_000,
        session_id: 0,
        passwd: Some(vec![0; 16]),
        read_only: Some(false),
    }
    .to_vec();
    let resp = ConnectResponse {
        protocol_version: 0,
        time_out: 10_000,
        session_id: 0x77,
        passwd: Some(vec![1; 16]),
        read_only: Some(false),
    }
    .to_vec();
    (req, resp)
}

fn get_data(xid: i32, path: &str) -> Vec<u8> {
    let mut v = RequestHeader { xid, r#type: 4 }.to_vec();
    v.extend(
        GetDataRequest {
            path: Some(path.into()),
            watch: false,
        }
        .to_vec(),
    );
    v
}

fn get_data_reply(xid: i32) -> Vec<u8> {
    let mut v = ReplyHeader {
        xid,
        zxid: 5,
        err: 0,
    }
    .to_vec();
    v.extend(GetDataResponse::default().to_vec());
    v
}

/// A whole session: handshake, then one getData per entry of `paths` (reply `gap_us` after
/// its request), then FIN.
fn session(c: &mut Conn, start: u64, gap_us: u64, paths: &[&str]) -> Vec<Pkt> {
    let (hello, welcome) = handshake();
    let mut out = c.open(start);
    out.push(c.send(start + 10, true, &hello));
    out.push(c.send(start + 20, false, &welcome));
    let mut t = start + 100;
    for (i, p) in paths.iter().enumerate() {
        let xid = i as i32 + 1;
        out.push(c.send(t, true, &get_data(xid, p)));
        out.push(c.send(t + gap_us, false, &get_data_reply(xid)));
        t += gap_us + 100;
    }
    out.extend(c.close(t));
    out
}

fn write_pcap(path: &Path, packets: &[Pkt]) {
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(std::fs::File::create(path).unwrap(), header).unwrap();
    for p in packets {
        w.write_packet(&PcapPacket::new(
            Duration::from_micros(p.us),
            p.data.len() as u32,
            &p.data,
        ))
        .unwrap();
    }
}

/// A pcapng file whose interface says `tsresol` (absent: microseconds, the default), with
/// timestamps written in those units; packets at the indexes in `simple` are written as Simple
/// Packet Blocks, which carry no time.
fn write_pcapng(path: &Path, packets: &[Pkt], tsresol: Option<u8>, simple: &[usize]) {
    let mut w = PcapNgWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    let mut idb = InterfaceDescriptionBlock::new(DataLink::ETHERNET, 0xffff);
    if let Some(r) = tsresol {
        idb.options.push(InterfaceDescriptionOption::IfTsResol(r));
    }
    w.write_pcapng_block(idb).unwrap();
    let units_per_us: u64 = match tsresol {
        None | Some(6) => 1,
        Some(9) => 1000,
        Some(other) => panic!("resolution {other}"),
    };
    for (i, p) in packets.iter().enumerate() {
        if simple.contains(&i) {
            w.write_pcapng_block(SimplePacketBlock {
                original_len: p.data.len() as u32,
                data: p.data.as_slice().into(),
            })
            .unwrap();
            continue;
        }
        // pcap-file writes the Duration's nanoseconds as the raw count of units.
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_nanos(p.us * units_per_us),
            original_len: p.data.len() as u32,
            data: p.data.as_slice().into(),
            options: vec![],
        })
        .unwrap();
    }
}

fn dump(file: &Path) -> (Output, Vec<Value>, String) {
    let out = zk(&["--json", "dump", file.to_str().unwrap(), "-p", "2181"]);
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v: &Value| v.get("summary").is_none())
        .collect();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, lines, err)
}

fn ops(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["kind"].as_str().unwrap(),
                e["op"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_request_and_its_reply_with_the_same_time_are_matched() {
    let d = dir();
    let mut c = Conn::new(40000);
    let packets = session(&mut c, T0, 0, &["/same"]);
    let file = d.join("same-time.pcap");
    write_pcap(&file, &packets);
    let (out, events, err) = dump(&file);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        ops(&events),
        [
            "request connect",
            "reply connect",
            "request getData",
            "reply getData"
        ]
    );
    assert_eq!(events[3]["latency_us"], 0);
    assert_eq!(events[3]["path"], "/same");
}

#[test]
fn a_capture_cut_off_in_a_packet_prints_what_it_has_then_fails() {
    let d = dir();
    let mut c = Conn::new(40001);
    let packets = session(&mut c, T0, 300, &["/a", "/b", "/c"]);
    let file = d.join("cut.pcap");
    write_pcap(&file, &packets);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 30]).unwrap();
    let (out, events, err) = dump(&file);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // Every getData and its reply came before the cut (the cut is in the last FIN).
    assert_eq!(events.len(), 8, "{events:?}");
    assert!(err.contains("unreadable after packet"), "{err}");
}

#[test]
fn pcapng_times_follow_the_interfaces_resolution() {
    let d = dir();
    for (name, resol) in [("default", None), ("micro", Some(6)), ("nano", Some(9))] {
        let mut c = Conn::new(40002);
        let packets = session(&mut c, T0, 1234, &["/r"]);
        let file = d.join(format!("{name}.pcapng"));
        write_pcapng(&file, &packets, resol, &[]);
        let (out, events, err) = dump(&file);
        assert!(out.status.success(), "{name}: {err}");
        assert_eq!(events.len(), 4, "{name}");
        let time = events[2]["time"].as_str().unwrap();
        assert!(
            time.starts_with("2026-11-22T00:00:00.0001"),
            "{name}: {time}"
        );
        assert_eq!(events[3]["latency_us"], 1234, "{name}");
    }
}

#[test]
fn simple_packet_blocks_take_the_previous_packets_time() {
    let d = dir();
    let mut c = Conn::new(40003);
    let packets = session(&mut c, T0, 500, &["/s"]);
    let file = d.join("spb.pcapng");
    // The getData reply (index 5) has no time of its own.
    write_pcapng(&file, &packets, None, &[5]);
    let (out, events, err) = dump(&file);
    assert!(out.status.success(), "{err}");
    let times: Vec<&str> = events.iter().map(|e| e["time"].as_str().unwrap()).collect();
    assert!(
        times.iter().all(|t| t.starts_with("2026-11-22")),
        "{times:?}"
    );
    assert_eq!(events[3]["op"], "getData");
    assert_eq!(events[3]["latency_us"], 0);
}

#[test]
fn a_client_port_used_again_is_a_second_connection() {
    let d = dir();
    let mut first = Conn::new(40004);
    let mut packets = session(&mut first, T0, 100, &["/one"]);
    let mut second = Conn::new(40004);
    second.c_seq = 900_000;
    second.s_seq = 700_000;
    packets.extend(session(&mut second, T0 + 10_000, 100, &["/two"]));
    let file = d.join("reuse.pcap");
    write_pcap(&file, &packets);
    let (out, events, err) = dump(&file);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("missing"), "{err}");
    let paths: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "reply" && e["op"] == "getData")
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/one", "/two"]);
}

#[test]
fn a_nested_multi_reply_in_a_capture_is_a_note_not_a_crash() {
    let d = dir();
    let mut c = Conn::new(40005);
    let (hello, welcome) = handshake();
    let mut packets = c.open(T0);
    packets.push(c.send(T0 + 1, true, &hello));
    packets.push(c.send(T0 + 2, false, &welcome));
    let mut multi = RequestHeader { xid: 1, r#type: 14 }.to_vec();
    multi.extend([0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff]);
    packets.push(c.send(T0 + 3, true, &multi));
    let mut reply = ReplyHeader {
        xid: 1,
        zxid: 9,
        err: 0,
    }
    .to_vec();
    for _ in 0..5_000 {
        reply.extend([0, 0, 0, 14, 0, 0, 0, 0, 0]);
    }
    packets.push(c.send(T0 + 4, false, &reply));
    let file = d.join("nested.pcap");
    write_pcap(&file, &packets);
    let (out, events, err) = dump(&file);
    assert!(out.status.success(), "{err}");
    let reply = events
        .iter()
        .find(|e| e["kind"] == "reply" && e["op"] == "multi");
    let args = reply.expect("the multi reply is listed")["args"]
        .as_str()
        .unwrap();
    assert!(args.contains("cannot be part of a multi"), "{args}");
}

#[test]
fn zeros_without_a_syn_and_many_connections_take_linear_time() {
    let d = dir();
    // 256 KiB of zero bytes from the server in the middle of a connection (no SYN seen).
    let mut c = Conn::new(40006);
    let mut packets = Vec::new();
    for i in 0..256 {
        packets.push(c.send_raw(T0 + i, false, &[0u8; 1024]));
    }
    // And 100,000 connections (SYN, SYN-ACK), from as many client addresses.
    for i in 0..100_000u32 {
        let mut c = Conn::new(3000 + (i % 60_000) as u16);
        c.client_ip = [127, 1, (i / 60_000) as u8, 2];
        packets.extend(c.open(T0 + 1_000 + u64::from(i)));
    }
    let file = d.join("many.pcap");
    write_pcap(&file, &packets);
    // Before: about a minute for the zeros and 13 s for the connections (quadratic); the run
    // now finishes as fast as the file is read. No event: the zeros are no frames.
    let out = zk(&["dump", file.to_str().unwrap(), "-p", "2181"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no ZooKeeper traffic on port 2181 (100001 connections"),
        "{err}"
    );
}

#[test]
fn control_characters_in_paths_are_escaped() {
    let d = dir();
    let mut c = Conn::new(40007);
    let packets = session(&mut c, T0, 10, &["/\u{1b}[2Jevil\u{9b}"]);
    let file = d.join("escape.pcap");
    write_pcap(&file, &packets);
    let out = zk(&["dump", file.to_str().unwrap(), "-p", "2181"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(text.contains("/\\u001b[2Jevil\\u009b"), "{text}");
    // JSON output stays JSON with the same path.
    let (_, events, _) = dump(&file);
    assert_eq!(events[2]["path"], "/\u{1b}[2Jevil\u{9b}");
}

#[test]
fn timestamps_past_the_year_9999_do_not_panic() {
    let d = dir();
    let mut c = Conn::new(40008);
    // About the year 14,700 (pcapng keeps 64-bit times; pcap's are 32-bit seconds).
    let packets = session(&mut c, 400_000_000_000_000_000, 10, &["/future"]);
    let file = d.join("future.pcapng");
    write_pcapng(&file, &packets, None, &[]);
    let out = zk(&["dump", file.to_str().unwrap(), "-p", "2181"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn decoding_resumes_after_bytes_missing_from_the_capture() {
    let d = dir();
    let mut c = Conn::new(40020);
    let mut packets = session(&mut c, T0, 300, &["/a", "/b", "/c", "/d", "/e"]);
    // SYN, SYN-ACK, hello, welcome, then a request and its reply per path: the request for
    // /c (and its bytes) was not captured.
    let lost = packets.remove(8);
    assert!(!lost.data.is_empty());
    let file = d.join("gap.pcap");
    write_pcap(&file, &packets);
    let (out, events, err) = dump(&file);
    assert!(out.status.success(), "{err}");
    let paths: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "request")
        .filter_map(|e| e["path"].as_str())
        .collect();
    // Before, the rest of the client's direction was skipped at the gap: /d and /e were lost.
    assert_eq!(paths, ["/a", "/b", "/d", "/e"], "{err}");
    assert!(
        err.contains("bytes missing from the client after byte")
            && err.contains("decoding resumes at the first whole frame, 0 bytes later"),
        "{err}"
    );
}

/// A QuorumPacket's bytes (no length prefix on the quorum port).
fn quorum_packet(ty: i32, zxid: i64, data: Option<Vec<u8>>) -> Vec<u8> {
    jute_schemas::quorum::QuorumPacket {
        r#type: ty,
        zxid,
        data,
        authinfo: None,
    }
    .to_vec()
}

#[test]
fn quorum_packets_after_bytes_missing_from_the_capture_are_decoded() {
    let d = dir();
    let mut c = Conn::new(40021);
    let mut packets = c.open(T0);
    // LEARNERINFO from the learner, then PINGs both ways.
    packets.push(c.send_raw(T0 + 10, true, &quorum_packet(11, 0, Some(vec![0; 20]))));
    for i in 0..10u64 {
        packets.push(c.send_raw(T0 + 100 * i + 50, false, &quorum_packet(5, 1 << 32, None)));
        packets.push(c.send_raw(T0 + 100 * i + 60, true, &quorum_packet(5, 1 << 32, None)));
    }
    // The leader's fourth PING was not captured.
    packets.remove(2 + 1 + 2 * 3);
    let file = d.join("quorum-gap.pcap");
    write_pcap(&file, &packets);
    let out = zk(&["--json", "dump", file.to_str().unwrap(), "-p", "2181"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let pings = |dir: &str| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["type"] == "PING" && v["dir"] == dir)
            .count()
    };
    // Before, the leader's stream ended at the gap: 3 of its 9 captured PINGs were shown.
    assert_eq!(pings("from_leader"), 9, "{err}");
    assert_eq!(pings("to_leader"), 10, "{err}");
    assert!(
        err.contains("bytes missing from the capture after byte"),
        "{err}"
    );
}

#[test]
fn a_stream_joined_mid_connection_with_packet_like_bytes_is_searched_in_linear_time() {
    let d = dir();
    // No SYN; 4 MiB from the server of 16-byte blocks that start a QuorumPacket of type 5
    // whose data claims 2 MiB: resync used to decode (and copy) that much at every sixteenth
    // offset of the first MiB, hundreds of gigabytes of copying. It only peeks at lengths now.
    let mut block = 5i32.to_be_bytes().to_vec();
    block.extend(0i64.to_be_bytes());
    block.extend((2i32 << 20).to_be_bytes());
    let mut c = Conn::new(40022);
    let mut packets = Vec::new();
    for i in 0..4096u64 {
        packets.push(c.send_raw(T0 + i, false, &block.repeat(64)));
    }
    let file = d.join("packet-like.pcap");
    write_pcap(&file, &packets);
    let out = zk(&["dump", file.to_str().unwrap(), "-p", "2181"]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
}
