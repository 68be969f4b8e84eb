//! The client against a hostile or broken server (the test kit's `FakeServer`): every bad
//! answer becomes a named error for the call it concerns, nothing aborts the process, nothing
//! hangs and nothing allocates without bound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::{Duration, Instant};

use jute::Record;
use jute_schemas::proto::GetDataResponse;
use tokio::time::timeout;
use zk_client::{AddWatchMode, ClientBuilder, Error, Op, SessionState};
use zk_testkit::fake::{notification, reply, Answer, FakeServer, Handshake, Request};

const GET_DATA: i32 = 4;
const MULTI: i32 = 14;
const CLOSE: i32 = -11;
const ADD_WATCH: i32 = 106;

fn builder(server: &FakeServer) -> ClientBuilder {
    ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(6))
        .fail_fast(true)
}

fn empty_get_data() -> Vec<u8> {
    GetDataResponse::default().to_vec()
}

/// A multi reply whose first result is a multi, nested `depth` times.
fn nested_multi(xid: i32, depth: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for _ in 0..depth {
        body.extend(14i32.to_be_bytes());
        body.push(0);
        body.extend(0i32.to_be_bytes());
    }
    for _ in 0..=depth {
        body.extend((-1i32).to_be_bytes());
        body.push(1);
        body.extend((-1i32).to_be_bytes());
    }
    reply(xid, 9, 0, &body).unwrap()
}

fn protocol_error(e: &Error) -> &str {
    match e {
        Error::Protocol { message, .. } => message,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

// Worker threads have tokio's default 2 MiB stack, where the 1,000-level reply used to abort
// the whole process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_multi_reply_is_a_protocol_error_not_a_crash() {
    let server = FakeServer::start(Handshake::default(), |req: &Request| match req.op {
        MULTI => Answer::Bytes(nested_multi(req.xid, 1_000)),
        _ => Answer::Bytes(reply(req.xid, 9, 0, &empty_get_data()).unwrap()),
    })
    .unwrap();
    let zk = builder(&server).connect().await.unwrap();
    let err = zk
        .multi(&[Op::Check {
            path: "/a".into(),
            version: 0,
        }])
        .await
        .unwrap_err();
    let message = protocol_error(&err).to_string();
    assert!(message.contains("cannot be part of a multi"), "{message}");
    assert!(std::error::Error::source(&err).is_some());
    // The connection was dropped and the client came back on a new one.
    let (data, _) = zk.get_data("/a").await.unwrap();
    assert!(data.is_empty());
    assert_eq!(server.connections(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_with_the_wrong_number_of_results_is_refused() {
    // Two ops, one result (a setData Stat is not needed: a delete result has no body).
    let server = FakeServer::start(Handshake::default(), |req: &Request| {
        let mut body = Vec::new();
        body.extend(2i32.to_be_bytes());
        body.push(0);
        body.extend(0i32.to_be_bytes());
        body.extend((-1i32).to_be_bytes());
        body.push(1);
        body.extend((-1i32).to_be_bytes());
        Answer::Bytes(reply(req.xid, 9, 0, &body).unwrap())
    })
    .unwrap();
    let zk = builder(&server).connect().await.unwrap();
    let ops = [
        Op::Delete {
            path: "/a".into(),
            version: None,
        },
        Op::Delete {
            path: "/b".into(),
            version: None,
        },
    ];
    let err = zk.multi(&ops).await.unwrap_err();
    assert_eq!(
        protocol_error(&err),
        "multi of 2 operations answered with 1 results"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_reply_fails_its_call_with_the_decode_error() {
    let server = FakeServer::start(Handshake::default(), |req: &Request| {
        if req.connection == 0 {
            // A data length of 9 with 1 byte behind it.
            Answer::Bytes(reply(req.xid, 9, 0, &[0, 0, 0, 9, 1]).unwrap())
        } else {
            // Trailing bytes after a whole reply.
            let mut body = empty_get_data();
            body.extend([1, 2, 3]);
            Answer::Bytes(reply(req.xid, 9, 0, &body).unwrap())
        }
    })
    .unwrap();
    let zk = builder(&server).connect().await.unwrap();
    let err = zk.get_data("/a").await.unwrap_err();
    assert!(protocol_error(&err).contains("getData"), "{err}");
    let source = std::error::Error::source(&err).expect("the jute error is the source");
    assert!(source.to_string().contains("truncated"), "{source}");
    let err = zk.get_data("/a").await.unwrap_err();
    let Error::Protocol {
        source: Some(jute_error),
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        jute_error.kind(),
        &jute::DecodeErrorKind::TrailingBytes { count: 3 }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_is_bounded_when_the_server_never_answers() {
    let server = FakeServer::start(Handshake::default(), |req: &Request| match req.op {
        CLOSE => Answer::Nothing,
        _ => Answer::Bytes(reply(req.xid, 9, 0, &empty_get_data()).unwrap()),
    })
    .unwrap();
    let zk = builder(&server).connect().await.unwrap();
    zk.get_data("/a").await.unwrap();
    let started = Instant::now();
    // The read timeout of a 6 s session is 4 s; the guard of 30 s only keeps a regression from
    // hanging the suite.
    timeout(Duration::from_secs(30), zk.close())
        .await
        .expect("close() must return although closeSession is never answered");
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(3), "closed after {took:?}");
    assert_eq!(zk.state(), SessionState::Closed);
    assert_eq!(zk.get_data("/a").await.unwrap_err(), Error::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_negotiated_timeout_does_not_hide_a_silent_server() {
    let handshake = Handshake {
        time_out: i32::MAX,
        answer_pings: false,
        ..Handshake::default()
    };
    let server = FakeServer::start(handshake, |_: &Request| Answer::Nothing).unwrap();
    let zk = builder(&server)
        .session_timeout(Duration::from_secs(1))
        .connect()
        .await
        .unwrap();
    let state = zk.states();
    // Read timeout from the requested 1 s: 667 ms. Before, it followed the 24-day negotiated
    // value and nothing was ever reported; following the capped negotiated value (20 s) would
    // take 13 s, past this wait.
    timeout(
        Duration::from_secs(8),
        state.wait_for(|s| s != SessionState::Connected),
    )
    .await
    .expect("the silent server must be noticed");
    // And local expiry is not pushed out by the server's word: with no server, the session
    // ends at most 20 x 1 s after the last frame.
    drop(server);
    timeout(
        Duration::from_secs(60),
        state.wait_for(|s| s == SessionState::Expired),
    )
    .await
    .expect("local expiry within the capped timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_handshake_is_refused_when_not_asked_for() {
    let handshake = Handshake {
        read_only: Some(true),
        ..Handshake::default()
    };
    let server = FakeServer::start(handshake, |_: &Request| Answer::Nothing).unwrap();
    let err = builder(&server).connect().await.unwrap_err();
    let Error::NoHosts(why) = err else {
        panic!("{err:?}")
    };
    assert!(why.contains("read-only"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_isro_probe_reads_a_few_bytes_of_an_endless_answer() {
    // Connected read-only to the fake; the other host streams bytes without end to `isro`.
    let handshake = Handshake {
        read_only: Some(true),
        ..Handshake::default()
    };
    let ro = FakeServer::start(handshake, |req: &Request| {
        Answer::Bytes(reply(req.xid, 9, 0, &empty_get_data()).unwrap())
    })
    .unwrap();
    let endless = FakeServer::streaming().unwrap();
    // Both on 127.0.0.1: the client probes every host but the one it is connected to.
    let zk = ClientBuilder::new(format!(
        "{},{}",
        ro.connect_string(),
        endless.connect_string()
    ))
    .session_timeout(Duration::from_secs(6))
    .read_only(true)
    .connect()
    .await
    .unwrap();
    // Whichever host it tried first, it ends up on the fake: the endless bytes are no
    // handshake (their length prefix is absurd), so that attempt failed.
    assert_eq!(zk.state(), SessionState::ConnectedReadOnly);
    let deadline = Instant::now() + Duration::from_secs(20);
    while endless.closed_by_peer() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        endless.closed_by_peer() >= 2,
        "the probe must hang up after reading its few bytes"
    );
    // Each probe hung up after its first chunk or so: nowhere near unbounded reading.
    let per_probe = endless.bytes_sent() / endless.connections() as u64;
    assert!(per_probe < 16 << 20, "{per_probe} bytes sent per probe");
    zk.get_data("/a").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_notifications_are_skipped_or_bounded() {
    let server = FakeServer::start(Handshake::default(), |req: &Request| match req.op {
        ADD_WATCH => {
            let mut out = reply(req.xid, 9, 0, &0i32.to_be_bytes()).unwrap();
            // An unknown event type, then a 1 MB path under the recursive watch.
            out.extend(notification(99, "/a").unwrap());
            out.extend(notification(1, &"/a".repeat(400_000)).unwrap());
            Answer::Bytes(out)
        }
        GET_DATA => Answer::Bytes(reply(req.xid, 9, 0, &empty_get_data()).unwrap()),
        _ => Answer::Nothing,
    })
    .unwrap();
    let zk = builder(&server)
        .max_reply_size(2 << 20)
        .connect()
        .await
        .unwrap();
    let mut watch = zk
        .add_watch("/", AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    let event = timeout(Duration::from_secs(30), watch.next())
        .await
        .expect("the event under the recursive watch arrives")
        .expect("an item")
        .unwrap();
    assert_eq!(event.path.len(), 800_000);
    // The unknown type did not drop the connection.
    zk.get_data("/a").await.unwrap();
    assert_eq!(server.connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_accepts_and_never_answers_costs_one_connect_timeout() {
    // A listener nobody accepts from: the kernel completes the TCP handshake, and the
    // ConnectRequest is never answered (as a ZooKeeper still loading its data).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let started = Instant::now();
    let err = ClientBuilder::new(silent.local_addr().unwrap().to_string())
        .session_timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(1))
        .fail_fast(true)
        .connect()
        .await
        .unwrap_err();
    let Error::NoHosts(why) = err else {
        panic!("{err:?}")
    };
    assert!(why.contains("no handshake reply"), "{why}");
    // One attempt of 1 s, not the 30 s the session timeout would allow.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_given_another_session_id_is_expiry() {
    // A server that never resumes a session (ClickHouse Keeper answers a resume this way):
    // each connection gets a new id.
    let handshake = Handshake {
        new_session_per_connection: true,
        ..Handshake::default()
    };
    let server = FakeServer::start(handshake, |req: &Request| {
        Answer::Bytes(reply(req.xid, 1, 0, &empty_get_data()).unwrap())
    })
    .unwrap();
    let zk = builder(&server).connect().await.unwrap();
    let mut state = zk.states();
    server.cut();
    // The ephemeral nodes and watches of the first session are gone: that is expiry, not a
    // silent switch to the new session.
    common::reach(&mut state, SessionState::Expired).await;
    assert_eq!(zk.get_data("/a").await.unwrap_err(), Error::SessionExpired);
    assert!(server.connections() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_server_holds_times_out_and_its_late_answer_goes_nowhere() {
    // The first getData is held; the second is answered together with the first's late reply.
    let server = FakeServer::start(Handshake::default(), |req: &Request| match req.op {
        GET_DATA if req.xid == 1 => Answer::Nothing,
        GET_DATA => {
            let mut both = reply(1, 5, 0, &GetDataResponse::default().to_vec()).unwrap();
            let second = GetDataResponse {
                data: Some(b"second".to_vec()),
                ..GetDataResponse::default()
            };
            both.extend(reply(req.xid, 6, 0, &second.to_vec()).unwrap());
            Answer::Bytes(both)
        }
        _ => Answer::Nothing,
    })
    .unwrap();
    let zk = builder(&server).connect().await.unwrap();
    let held = zk.with_timeout(Some(Duration::from_millis(300)));
    let started = Instant::now();
    let first = timeout(Duration::from_secs(5), held.get_data("/held"))
        .await
        .expect("the deadline bounds the call");
    assert_eq!(first.unwrap_err(), Error::Timeout);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(zk.state(), SessionState::Connected);
    // The late reply is matched to the timed-out call, not to this one.
    let (data, _) = timeout(Duration::from_secs(5), zk.get_data("/next"))
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(data, b"second");
    assert_eq!(zk.state(), SessionState::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_sasl_is_a_failed_attempt() {
    // It answers the handshake and pings, and nothing else (the SASL frame included).
    let server = FakeServer::start(Handshake::default(), |_: &Request| Answer::Nothing).unwrap();
    let started = Instant::now();
    let result = builder(&server)
        .connect_timeout(Duration::from_secs(1))
        .sasl(zk_client::SaslOptions::digest_md5("bob", "bobsecret"))
        .connect()
        .await;
    match result {
        Err(Error::NoHosts(why)) => assert!(why.contains("no answer to SASL"), "{why}"),
        other => panic!("expected NoHosts, got {other:?}"),
    }
    // Bounded by the connect timeout, not the 6 s session timeout; one attempt (fail-fast).
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.connections(), 1);
}

/// A server that accepts and never answers: with fail-fast, the same message whatever the
/// session timeout (the pass over the hosts and the session timeout used to race, and either
/// message could come).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_gets_one_message_whatever_the_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(2) {
            conns.push(c);
        }
        std::thread::sleep(Duration::from_secs(8));
    });
    let mut messages = Vec::new();
    for ms in [700, 2_000] {
        let e = ClientBuilder::new(addr.to_string())
            .session_timeout(Duration::from_millis(ms))
            .fail_fast(true)
            .connect()
            .await
            .expect_err("nothing answers");
        messages.push(e.to_string());
    }
    assert_eq!(messages[0], messages[1]);
    assert!(
        messages[0].contains(&format!("{addr}: no handshake reply")),
        "{}",
        messages[0]
    );
    drop(held);
}
