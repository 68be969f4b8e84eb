//! The session's timers driven with a fake clock: an `Instant` taken once and moved by hand.
//! Each test asks the session when it next needs the time, gives it that time (or just before),
//! and checks what it did: a ping in its output, a connection ended, the session ended.

use std::time::Duration;

use jute::Record;
use jute_schemas::proto::{ConnectResponse, ReplyHeader, RequestHeader};
use jute_schemas::protocol::{xid, OpCode};
use tokio::time::Instant;

use super::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

/// Requested 30 s, 10 s to connect (the test config): read timeout 20 s, pings every 10 s.
fn session() -> Session<u32> {
    Session::new(test_config("/"))
}

fn welcome(timeout: i32) -> Vec<u8> {
    ConnectResponse {
        protocol_version: 0,
        time_out: timeout,
        session_id: 0x42,
        passwd: Some(vec![7; 16]),
        read_only: Some(false),
    }
    .to_vec()
}

/// A session connected at `t0` with the 30 s it asked for; its output taken at `t0`.
fn connected(t0: Instant) -> Session<u32> {
    let mut s = session();
    s.on_transport(t0, None, None);
    s.on_input(t0, &welcome(30_000)).unwrap();
    take(&mut s, t0);
    s
}

/// Hands the output over at `now`; the frames' headers.
fn take(s: &mut Session<u32>, now: Instant) -> Vec<RequestHeader> {
    let mut out = BytesMut::new();
    s.take_output(now, &mut out);
    let mut headers = Vec::new();
    let mut rest = &out[..];
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = u32::from_be_bytes(*len) as usize;
        let (frame, after) = tail.split_at(len);
        // The handshake has no header (its first 8 bytes read as op 0, which no request
        // has): only request frames are listed.
        match jute::from_slice::<RequestHeader>(&frame[..8.min(frame.len())]) {
            Ok(h) if h.r#type != 0 => headers.push(h),
            _ => {}
        }
        rest = after;
    }
    headers
}

fn ping_reply() -> Vec<u8> {
    ReplyHeader {
        xid: xid::PING,
        zxid: 0,
        err: 0,
    }
    .to_vec()
}

#[test]
fn an_idle_connection_pings_at_half_the_read_timeout() {
    let t0 = Instant::now();
    let mut s = connected(t0);
    let ping_at = t0 + MS(10_000);
    assert_eq!(s.poll_timeout(), Some(ping_at));
    // Early: nothing.
    s.handle_timeout(ping_at - MS(1)).unwrap();
    assert!(!s.has_output());
    // Due: one ping, and the next one a ping interval later.
    s.handle_timeout(ping_at).unwrap();
    let sent = take(&mut s, ping_at);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].xid, sent[0].r#type),
        (xid::PING, OpCode::Ping.value())
    );
    assert_eq!(s.poll_timeout(), Some(ping_at + MS(10_000)));
    // Its answer counts as heard: the read timeout moves.
    s.on_input(ping_at + MS(5), &ping_reply()).unwrap();
    s.handle_timeout(t0 + MS(20_000)).unwrap();
}

#[test]
fn a_call_sent_postpones_the_ping() {
    let t0 = Instant::now();
    let mut s = connected(t0);
    let at = t0 + MS(4_000);
    s.write(
        OutRequest {
            op: OpCode::Sync,
            body: RequestBody::Sync(jute_schemas::proto::SyncRequest {
                path: Some("/".into()),
            }),
            watch: None,
        },
        1,
    )
    .unwrap();
    take(&mut s, at);
    assert_eq!(s.poll_timeout(), Some(at + MS(10_000)));
    s.handle_timeout(t0 + MS(10_000)).unwrap();
    assert!(!s.has_output(), "no ping while a call went out recently");
}

#[test]
fn silence_for_the_read_timeout_loses_the_connection_but_not_the_session() {
    let t0 = Instant::now();
    let mut s = connected(t0);
    // Pings go out; nothing comes back.
    s.handle_timeout(t0 + MS(10_000)).unwrap();
    take(&mut s, t0 + MS(10_000));
    assert_eq!(s.poll_timeout(), Some(t0 + MS(20_000)));
    match s.handle_timeout(t0 + MS(20_000)) {
        Err(End::Lost(why)) => assert!(why.contains("nothing heard"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.ended(), None);
}

#[test]
fn a_shorter_negotiated_timeout_shortens_the_timers() {
    let t0 = Instant::now();
    let mut s = session();
    s.on_transport(t0, None, None);
    s.on_input(t0, &welcome(6_000)).unwrap();
    take(&mut s, t0);
    // 6 s granted: read timeout 4 s, pings every 2 s.
    assert_eq!(s.poll_timeout(), Some(t0 + MS(2_000)));
    s.on_input(t0 + MS(1_000), &ping_reply()).unwrap();
    s.handle_timeout(t0 + MS(2_000)).unwrap();
    take(&mut s, t0 + MS(2_000));
    assert!(matches!(
        s.handle_timeout(t0 + MS(5_000)),
        Err(End::Lost(_))
    ));
}

#[test]
fn no_handshake_answer_within_the_connect_timeout_is_a_refusal() {
    let t0 = Instant::now();
    let mut s = session();
    s.on_transport(t0, None, None);
    assert!(s.is_handshaking());
    assert_eq!(s.poll_timeout(), Some(t0 + MS(10_000)));
    s.handle_timeout(t0 + MS(9_999)).unwrap();
    assert!(matches!(
        s.handle_timeout(t0 + MS(10_000)),
        Err(End::Refused(_))
    ));
    // The end of a connection before the answer is a refusal too; after it, a loss.
    assert!(matches!(s.on_transport_end("eof".into()), End::Refused(_)));
    s.on_input(t0 + MS(1), &welcome(30_000)).unwrap();
    assert!(matches!(s.on_transport_end("eof".into()), End::Lost(_)));
}

#[test]
fn local_expiry_counts_a_negotiated_timeout_from_the_last_frame_heard() {
    let t0 = Instant::now();
    let mut s = connected(t0);
    let heard = t0 + MS(3_000);
    s.on_input(heard, &ping_reply()).unwrap();
    s.on_disconnect();
    let expiry = heard + MS(30_000);
    assert_eq!(s.poll_timeout(), Some(expiry));
    s.handle_timeout(expiry - MS(1)).unwrap();
    // A refused attempt meanwhile keeps the instant.
    s.on_transport(expiry - MS(500), None, None);
    assert!(matches!(
        s.handle_timeout(expiry - MS(500) + MS(10_000)),
        Err(End::Refused(_))
    ));
    s.on_disconnect();
    assert_eq!(s.poll_timeout(), Some(expiry));
    assert_eq!(
        s.handle_timeout(expiry),
        Err(End::Session(Error::SessionExpired))
    );
}

#[test]
fn without_local_expiry_or_a_session_nothing_expires() {
    let t0 = Instant::now();
    let mut cfg = test_config("/");
    cfg.local_expiry = false;
    let mut s: Session<u32> = Session::new(cfg);
    s.on_transport(t0, None, None);
    s.on_input(t0, &welcome(30_000)).unwrap();
    s.on_disconnect();
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(t0 + MS(3_600_000)).unwrap();
    // No session yet: nothing to expire either.
    let mut fresh = session();
    assert_eq!(fresh.poll_timeout(), None);
    fresh.handle_timeout(t0 + MS(3_600_000)).unwrap();
}

#[cfg(feature = "sasl")]
#[test]
fn a_sasl_exchange_must_finish_within_the_connect_timeout() {
    let t0 = Instant::now();
    let mut s = session();
    let start = crate::SaslOptions::digest_md5("bob", "secret")
        .start("localhost")
        .unwrap();
    s.on_transport(t0, None, Some(start));
    s.on_input(t0, &welcome(30_000)).unwrap();
    assert!(s.is_authenticating());
    let sent = take(&mut s, t0);
    assert_eq!(sent.len(), 1, "the SASL frame alone");
    assert_eq!(sent[0].r#type, OpCode::Sasl.value());
    // Pings still go out while it runs (10 s), and the deadline is the connect timeout (10 s).
    assert_eq!(s.poll_timeout(), Some(t0 + MS(10_000)));
    s.handle_timeout(t0 + MS(9_999)).unwrap();
    match s.handle_timeout(t0 + MS(10_000)) {
        Err(End::Refused(why)) => assert!(why.contains("SASL"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn close_waits_for_its_answer_within_the_close_grace() {
    let t0 = Instant::now();
    let mut s = connected(t0);
    let asked = t0 + MS(1_000);
    let written = s.close(asked, 9).unwrap().unwrap();
    assert!(s.is_closing());
    let sent = take(&mut s, asked);
    assert_eq!(
        (sent[0].xid, sent[0].r#type),
        (written.xid, OpCode::CloseSession.value())
    );
    // The grace is the read timeout (20 s); pings (every 10 s) and answers do not extend it.
    s.handle_timeout(asked + MS(10_000)).unwrap();
    take(&mut s, asked + MS(10_000));
    s.on_input(asked + MS(10_001), &ping_reply()).unwrap();
    assert_eq!(s.poll_timeout(), Some(asked + MS(20_000)));
    assert_eq!(
        s.handle_timeout(asked + MS(20_000)),
        Err(End::Session(Error::Closed))
    );
    // Asked twice: nothing more is written.
    assert!(s.close(asked, 10).is_none());
}

#[test]
fn close_without_a_connection_ends_the_session_at_once() {
    let t0 = Instant::now();
    let mut s = connected(t0);
    s.on_disconnect();
    assert!(s.close(t0, 9).is_some());
    assert_eq!(s.ended(), Some(&Error::Closed));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn close_during_the_handshake_waits_for_it_then_goes_out() {
    let t0 = Instant::now();
    let mut s = session();
    s.on_transport(t0, None, None);
    take(&mut s, t0);
    s.close(t0, 9).unwrap().unwrap();
    assert!(s.is_closing());
    assert!(
        !s.has_output(),
        "nothing but the handshake before its answer"
    );
    s.on_input(t0 + MS(5), &welcome(30_000)).unwrap();
    let sent = take(&mut s, t0 + MS(5));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].r#type, OpCode::CloseSession.value());
    assert_eq!(
        s.poll_timeout(),
        Some(t0 + MS(5) + MS(10_000)),
        "the next ping"
    );
    assert_eq!(
        s.handle_timeout(t0 + MS(5) + MS(20_000)),
        Err(End::Session(Error::Closed))
    );
}

#[test]
fn a_connection_lost_while_closing_ends_the_session() {
    let t0 = Instant::now();
    let mut s = connected(t0);
    s.close(t0, 9).unwrap().unwrap();
    take(&mut s, t0);
    let failed = s.on_disconnect();
    assert_eq!(failed, vec![(9, Error::ConnectionLoss)]);
    assert_eq!(s.ended(), Some(&Error::Closed));
}

#[test]
fn leaving_ends_the_session_without_writing_anything() {
    let t0 = Instant::now();
    let mut s = connected(t0);
    s.leave();
    assert_eq!(s.ended(), Some(&Error::Closed));
    assert!(!s.has_output());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn calls_wait_for_a_usable_connection_and_the_in_flight_bound() {
    let t0 = Instant::now();
    let mut s = session();
    let get = |n: u32| OutRequest {
        op: OpCode::Exists,
        body: RequestBody::Exists(jute_schemas::proto::ExistsRequest {
            path: Some(format!("/{n}")),
            watch: false,
        }),
        watch: None,
    };
    s.write(get(0), 0).unwrap();
    assert!(!s.has_output(), "disconnected: the call waits");
    s.on_transport(t0, None, None);
    assert_eq!(take(&mut s, t0).len(), 0, "the handshake alone");
    assert_eq!(s.unsent(), 1);
    s.on_input(t0, &welcome(30_000)).unwrap();
    assert_eq!(take(&mut s, t0).len(), 1);
    for n in 1..=MAX_IN_FLIGHT as u32 {
        s.write(get(n), n).unwrap();
    }
    let mut out = BytesMut::new();
    assert_eq!(s.take_output(t0, &mut out), MAX_IN_FLIGHT);
    assert_eq!(s.in_flight(), MAX_IN_FLIGHT + 1);
    s.write(get(0), 0).unwrap();
    assert!(
        !s.has_output(),
        "at the bound, the output waits for replies"
    );
}
