//! The client's session state machine fed as a hostile server would: arbitrary handshake
//! bytes, then arbitrary frames, with requests (some setting watches) written in between and
//! handed to the connection (or left queued) as the input says, with or without a SASL
//! (DIGEST-MD5) exchange after each handshake. Never a panic; what the session holds stays
//! bounded by what was asked of it.
#![no_main]

use std::time::Duration;

use jute_schemas::proto::{GetDataRequest, MultiHeader};
use jute_schemas::protocol::{MultiOp, MultiRequest, OpCode, RequestBody};
use libfuzzer_sys::fuzz_target;
use zk_client::path::Chroot;
use zk_client::session::{OutRequest, Outcome, Session, SessionConfig};
use zk_client::watch::WatchKind;

fn request(kind: u8, n: u64) -> OutRequest {
    let path = format!("/n{}", n % 4);
    match kind % 4 {
        0 => OutRequest {
            op: OpCode::GetData,
            body: RequestBody::GetData(GetDataRequest { path: Some(path), watch: false }),
            watch: None,
        },
        1 => OutRequest {
            op: OpCode::GetData,
            body: RequestBody::GetData(GetDataRequest { path: Some(path.clone()), watch: true }),
            watch: Some((WatchKind::Data, path)),
        },
        2 => OutRequest {
            op: OpCode::AddWatch,
            body: RequestBody::None,
            watch: Some((WatchKind::PersistentRecursive, path)),
        },
        _ => OutRequest {
            op: OpCode::Multi,
            body: RequestBody::Multi(MultiRequest {
                ops: vec![MultiOp {
                    header: MultiHeader { r#type: OpCode::GetData.value(), done: false, err: -1 },
                    body: RequestBody::GetData(GetDataRequest { path: Some(path), watch: false }),
                }],
                ..MultiRequest::default()
            }),
            watch: None,
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let cfg = SessionConfig {
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(3),
        local_expiry: true,
        read_only: data.first().is_some_and(|b| b & 1 == 1),
        chroot: Chroot::new(if data.get(1).is_some_and(|b| b & 1 == 1) { "/app" } else { "/" })
            .expect("a valid chroot"),
        max_request: 1 << 20,
        max_reply: 1 << 16,
    };
    let sasl = data
        .get(1)
        .is_some_and(|b| b & 2 == 2)
        .then(|| zk_client::SaslOptions::digest_md5("bob", "bobsecret"));
    let mut s: Session<u64> = Session::new(cfg);
    // The fuzzer's clock: a millisecond per record.
    let mut now = tokio::time::Instant::now();
    // The input is a sequence of records: a tag byte, a 2-byte length, that many bytes.
    let mut rest = data.get(2..).unwrap_or_default();
    let mut connected = false;
    let mut written = 0u64;
    let mut watches_asked = 0usize;
    let mut wire = bytes::BytesMut::new();
    while let [tag, a, b, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*a, *b])).min(tail.len());
        let (bytes, after) = tail.split_at(len);
        rest = after;
        now += Duration::from_millis(1);
        if !connected || tag % 8 == 0 {
            let start = sasl.as_ref().map(|o| o.start("localhost").expect("DIGEST-MD5 starts"));
            let _ = s.on_disconnect();
            s.on_transport(now, None, start);
            connected = s.on_input(now, bytes).is_ok();
            if connected {
                assert!(s.read_timeout() <= Duration::from_secs(10));
                assert!(s.negotiated_timeout() <= Some(s.max_negotiated_timeout()));
            }
            continue;
        }
        if tag % 8 == 1 {
            let req = request(bytes.first().copied().unwrap_or(0), written);
            if req.watch.is_some() {
                watches_asked += 1;
            }
            if s.write_watch(req, written, ()).is_ok() {
                written += 1;
            }
            // Most requests go on the connection at once; some wait in the output.
            if bytes.get(1).is_none_or(|b| b & 3 != 0) {
                wire.clear();
                s.take_output(now, &mut wire);
            }
            continue;
        }
        if tag % 8 == 2 {
            for (token, _) in s.on_disconnect() {
                assert!(token < written);
            }
            continue;
        }
        if tag % 8 == 3 {
            let _ = s.add_auth("digest", bytes);
            continue;
        }
        if tag % 8 == 4 {
            // Time passes: pings, the read timeout, local expiry.
            now += Duration::from_millis(u64::from(u16::from_be_bytes([*a, *b])));
            // Whatever was due is handled: the next timeout is later.
            if s.handle_timeout(now).is_ok() {
                assert!(s.poll_timeout().is_none_or(|at| at > now));
            }
            continue;
        }
        match s.on_input(now, bytes) {
            Ok(Some(Outcome::Reply { token, .. } | Outcome::Broken { token, .. })) => {
                assert!(token < written)
            }
            Ok(Some(Outcome::Fire { watches, .. })) => assert!(watches.len() <= watches_asked),
            Ok(_) | Err(_) => {}
        }
        let oversized = s.on_oversized(i32::from(*tag), bytes.len());
        if let Ok(Outcome::Reply { token, .. }) = oversized {
            assert!(token < written);
        }
        assert!((s.in_flight() + s.unsent()) as u64 <= written);
        assert!(s.watch_count() <= watches_asked);
        // The registry holds no more watches than were asked for, in any phase.
        assert!(s.watches().held() <= watches_asked);
    }
});
