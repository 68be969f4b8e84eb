//! Real traffic between ZooKeeper's own Java client (zkCli and tests/capture/CaptureClient.java)
//! and a real 3.8.0 server, captured by tests/capture/capture.sh: every frame of every TCP
//! stream decodes (requests by op code, replies by the op code of the request with the same
//! xid, notifications and pings by their xids) and re-encodes to exactly the captured bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jute::{Encode, Limits, Record};
use jute_schemas::proto::{ConnectRequest, ConnectResponse};
use jute_schemas::protocol::{
    decode_request, decode_response, xid, ErrorCode, EventType, OpCode, RequestBody, ResponseBody,
};
use zk_cli::capture::{connections, frames};
use zk_conformance_tests::test_data;

const FOUR_LETTER_WORDS: [&[u8; 4]; 18] = [
    b"conf", b"cons", b"crst", b"dirs", b"dump", b"envi", b"gtmk", b"ruok", b"stmk", b"srst",
    b"srvr", b"stat", b"wchc", b"wchp", b"wchs", b"mntr", b"isro", b"hash",
];

#[derive(Default)]
struct Seen {
    ops: BTreeSet<&'static str>,
    multi_ops: BTreeSet<&'static str>,
    errors: BTreeSet<String>,
    events: BTreeSet<String>,
    frames: usize,
    connections: usize,
    four_letter: usize,
    multi_error_results: usize,
    unanswered_handshakes: usize,
}

fn check_capture(name: &str) -> Seen {
    let path = test_data(&format!("pcap/{name}"));
    let port: u16 = std::fs::read_to_string(test_data(&format!("pcap/{name}.port")))
        .expect("port file")
        .trim()
        .trim_start_matches("server port ")
        .parse()
        .expect("port number");
    let capture = connections(&path, port).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(capture.notes.is_empty(), "{name}: {:?}", capture.notes);
    let conns = capture.connections;
    let limits = Limits::default();
    let mut seen = Seen::default();
    for (ci, conn) in conns.iter().enumerate() {
        let ctx = format!("{name} connection {ci} from {:?}", conn.request.from);
        // The whole capture: every connection that carried data, from its SYN, no bytes
        // missing.
        for s in [&conn.request, &conn.reply] {
            assert!(
                s.data.is_empty() || (s.syn_seen && s.gaps.is_empty()),
                "{ctx}: incomplete stream"
            );
        }
        if conn.request.data.is_empty() && conn.reply.data.is_empty() {
            // Refused (the script's readiness probe before the server listened): no payload.
            continue;
        }
        if conn.request.data.len() >= 4
            && FOUR_LETTER_WORDS
                .iter()
                .any(|w| conn.request.data.starts_with(*w))
        {
            // A four-letter word: plain text both ways, no frames.
            seen.four_letter += 1;
            continue;
        }
        seen.connections += 1;
        let requests = frames(&conn.request.data).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let replies = frames(&conn.reply.data).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert!(!requests.is_empty(), "{ctx}: no frames");

        // The handshake: bare records, no headers.
        let hello: ConnectRequest =
            jute::from_slice(requests[0]).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(hello.to_vec(), requests[0], "{ctx}: ConnectRequest");
        assert_eq!(
            hello.read_only,
            Some(false),
            "{ctx}: the Java client sends readOnly"
        );
        if replies.is_empty() {
            // The server closed the connection without answering the handshake (a reconnect
            // attempt while it was still starting up).
            assert_eq!(
                requests.len(),
                1,
                "{ctx}: requests after an unanswered handshake"
            );
            seen.unanswered_handshakes += 1;
            seen.frames += 1;
            continue;
        }
        let welcome: ConnectResponse =
            jute::from_slice(replies[0]).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(welcome.to_vec(), replies[0], "{ctx}: ConnectResponse");
        seen.frames += 2;

        let mut waiting: HashMap<i32, OpCode> = HashMap::new();
        for (i, frame) in requests.iter().enumerate().skip(1) {
            let req =
                decode_request(frame, limits).unwrap_or_else(|e| panic!("{ctx} request {i}: {e}"));
            let mut again = Vec::new();
            req.encode(&mut again);
            assert_eq!(&again, frame, "{ctx} request {i}: re-encoded bytes");
            let op = req.op().expect("decoded, so known");
            seen.ops.insert(op.name());
            if let RequestBody::Multi(m) = &req.body {
                for o in &m.ops {
                    seen.multi_ops
                        .insert(OpCode::try_from(o.header.r#type).expect("known").name());
                }
            }
            assert!(
                waiting.insert(req.header.xid, op).is_none() || req.header.xid < 0,
                "{ctx}: xid reused"
            );
            seen.frames += 1;
        }
        for (i, frame) in replies.iter().enumerate().skip(1) {
            let xid_of_frame = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
            let op = waiting.get(&xid_of_frame).copied();
            let resp = decode_response(frame, op, limits)
                .unwrap_or_else(|e| panic!("{ctx} reply {i} (op {op:?}): {e}"));
            let mut again = Vec::new();
            resp.encode(&mut again);
            assert_eq!(&again, frame, "{ctx} reply {i}: re-encoded bytes");
            if resp.header.err != 0 {
                seen.errors.insert(format!(
                    "{:?}",
                    ErrorCode::try_from(resp.header.err).expect("with Unknown")
                ));
            }
            match &resp.body {
                ResponseBody::Notification(ev) => {
                    assert_eq!(resp.header.xid, xid::NOTIFICATION);
                    assert_eq!(resp.header.zxid, -1, "3.8 notifications carry zxid -1");
                    let ty = EventType::try_from(ev.r#type).expect("known event type");
                    seen.events.insert(format!("{ty:?}"));
                }
                ResponseBody::Multi(m) => {
                    seen.multi_error_results +=
                        m.results.iter().filter(|r| r.header.r#type == -1).count();
                }
                _ => {}
            }
            seen.frames += 1;
        }
    }
    seen
}

#[test]
fn java_client_traffic_decodes_and_reencodes_exactly() {
    let seen = check_capture("java-client.pcap");
    let expected_ops = [
        "create",
        "create2",
        "createContainer",
        "createTTL",
        "delete",
        "exists",
        "getData",
        "setData",
        "getACL",
        "setACL",
        "getChildren",
        "getChildren2",
        "sync",
        "ping",
        "multi",
        "multiRead",
        "removeWatches",
        "checkWatches",
        "auth",
        "setWatches2",
        "getEphemerals",
        "getAllChildrenNumber",
        "addWatch",
        "whoAmI",
        "closeSession",
    ];
    let missing: Vec<_> = expected_ops
        .iter()
        .filter(|o| !seen.ops.contains(*o))
        .collect();
    assert!(
        missing.is_empty(),
        "ops not in the capture: {missing:?} (seen {:?})",
        seen.ops
    );
    // The Java client sends every non-TTL, non-container create in a multi as `create` (1).
    for op in [
        "create",
        "setData",
        "check",
        "delete",
        "getData",
        "getChildren",
    ] {
        assert!(
            seen.multi_ops.contains(op),
            "{op} not inside a multi: {:?}",
            seen.multi_ops
        );
    }
    let errors: BTreeSet<&str> = seen.errors.iter().map(String::as_str).collect();
    // (NoWatcher never reaches the wire from the Java client: it checks its own registry first.)
    for e in [
        "NoNode",
        "NodeExists",
        "BadVersion",
        "NotEmpty",
        "NoChildrenForEphemerals",
        "InvalidAcl",
        "NoAuth",
    ] {
        assert!(
            errors.contains(e),
            "no {e} reply in the capture: {errors:?}"
        );
    }
    for e in [
        "NodeCreated",
        "NodeDeleted",
        "NodeDataChanged",
        "NodeChildrenChanged",
    ] {
        assert!(
            seen.events.contains(e),
            "no {e} notification: {:?}",
            seen.events
        );
    }
    assert!(seen.multi_error_results >= 3, "the failed multi's results");
    assert!(
        seen.four_letter >= 1,
        "the srvr probes of the capture script"
    );
    assert!(
        seen.connections >= 12,
        "zkCli runs, the client, its second session and the reconnect"
    );
    let summary: BTreeMap<&str, usize> = [
        ("frames", seen.frames),
        ("connections", seen.connections),
        ("unanswered handshakes", seen.unanswered_handshakes),
    ]
    .into_iter()
    .collect();
    eprintln!("decoded and re-encoded {summary:?}");
}
