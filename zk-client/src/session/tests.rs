//! The session state machine driven with byte vectors.

use std::time::Duration;

use tokio::time::Instant;

use jute::{Encode, Record};
use jute_schemas::data::Stat;
use jute_schemas::proto::{
    ConnectRequest, ConnectResponse, GetDataRequest, GetDataResponse, ReplyHeader, SetWatches2,
    WatcherEvent,
};
use jute_schemas::protocol::{decode_request, EventType, OpCode, RequestBody, ResponseBody};

use super::*;

use super::test_config as config;
use crate::watch::Phase;

fn welcome(timeout: i32, sid: i64) -> Vec<u8> {
    ConnectResponse {
        protocol_version: 0,
        time_out: timeout,
        session_id: sid,
        passwd: Some(vec![7; 16]),
        read_only: Some(false),
    }
    .to_vec()
}

fn reply(xid: i32, zxid: i64, err: i32, body: &impl Encode) -> Vec<u8> {
    let mut v = ReplyHeader { xid, zxid, err }.to_vec();
    body.encode(&mut v);
    v
}

fn get_data(path: &str, watch: bool) -> OutRequest {
    OutRequest {
        op: OpCode::GetData,
        body: RequestBody::GetData(GetDataRequest {
            path: Some(path.into()),
            watch,
        }),
        watch: watch.then(|| (WatchKind::Data, path.to_string())),
    }
}

fn notification(ty: EventType, path: &str) -> Vec<u8> {
    reply(
        -1,
        -1,
        0,
        &WatcherEvent {
            r#type: ty.value(),
            state: 3,
            path: Some(path.into()),
        },
    )
}

/// The frames in the session's output (without their length prefixes), now handed over.
fn sent(s: &mut Session<u32>) -> Vec<Vec<u8>> {
    let mut out = bytes::BytesMut::new();
    s.take_output(Instant::now(), &mut out);
    split(&out)
}

/// Writes `req` and hands it to the connection at once; the id of the watch it sets, if any.
fn send(s: &mut Session<u32>, req: OutRequest, token: u32) -> Option<WatchId> {
    let (_, watch) = s.write_watch(req, token, ()).unwrap();
    sent(s);
    watch
}

/// Opens a transport (its handshake frame taken), then hands the session `answer`; the frames
/// the session then queued before any call (replayed credentials and watches, or SASL's first).
fn handshake<T, S>(
    s: &mut Session<T, S>,
    answer: &[u8],
    sasl: Option<crate::sasl::SaslStart>,
) -> Result<Vec<Vec<u8>>, Error> {
    let now = Instant::now();
    s.on_transport(now, None, sasl);
    let hello = s.take_first();
    assert_eq!(&hello[4..], s.connect_frame().as_slice());
    s.on_connect_response(now, answer)?;
    Ok(split(&s.take_first()))
}

fn split(mut rest: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = u32::from_be_bytes(*len) as usize;
        frames.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    frames
}

fn connected(chroot: &str) -> Session<u32> {
    let mut s = Session::new(config(chroot));
    handshake(&mut s, &welcome(20_000, 0x42), None).unwrap();
    s
}

#[test]
fn handshake_bytes_match_the_java_client() {
    let s: Session<u32> = Session::new(config("/"));
    // PROTOCOL.md §14: new session, 30 s, readOnly=false.
    let expected = jute::json::hex_decode("00000000 0000000000000000 00007530 0000000000000000 00000010 00000000000000000000000000000000 00").unwrap();
    assert_eq!(s.connect_frame(), expected);
}

#[test]
fn negotiated_timeout_sets_ping_and_read_timeouts() {
    let s = connected("/");
    assert_eq!(s.session_id(), 0x42);
    assert_eq!(s.negotiated_timeout(), Some(Duration::from_secs(20)));
    assert_eq!(s.read_timeout().as_millis(), 13_333);
    assert!(s.ping_interval() < s.read_timeout());
}

#[test]
fn refused_session_is_expired() {
    let mut s: Session<u32> = Session::new(config("/"));
    assert_eq!(
        handshake(&mut s, &welcome(0, 0), None),
        Err(Error::SessionExpired)
    );
    assert!(matches!(
        handshake(&mut s, &[0, 1], None),
        Err(Error::Protocol { .. })
    ));
}

#[test]
fn writes_and_replies_report_their_xid_and_size_on_the_wire() {
    let mut s = connected("/");
    let first = s.write(get_data("/a", false), 10).unwrap();
    let second = s.write(get_data("/abc", false), 20).unwrap();
    let mut out = bytes::BytesMut::new();
    s.take_output(Instant::now(), &mut out);
    // Each frame: its length prefix, then xid and op code, the path (length + bytes), the flag.
    assert_eq!((first.xid, first.bytes), (1, 4 + 8 + 4 + 2 + 1));
    assert_eq!((second.xid, second.bytes), (2, 4 + 8 + 4 + 4 + 1));
    assert_eq!(out.len(), first.bytes + second.bytes);
    let body = GetDataResponse {
        data: Some(b"xyz".to_vec()),
        stat: Stat::default(),
    };
    let frame = reply(1, 5, 0, &body);
    match s.on_frame(&frame).unwrap() {
        Some(Outcome::Reply {
            token: 10, bytes, ..
        }) => assert_eq!(bytes, 4 + frame.len()),
        other => panic!("{other:?}"),
    }
    match s.on_oversized(2, 5_000_000).unwrap() {
        Outcome::Reply {
            token: 20, bytes, ..
        } => assert_eq!(bytes, 4 + 5_000_000),
        other => panic!("{other:?}"),
    }
}

#[test]
fn replies_match_requests_in_order() {
    let mut s = connected("/");
    s.write(get_data("/a", false), 10).unwrap();
    s.write(get_data("/b", false), 20).unwrap();
    let [f1, f2] = &sent(&mut s)[..] else {
        panic!("two frames")
    };
    assert_eq!(&f1[..8], [0, 0, 0, 1, 0, 0, 0, 4]);
    assert_eq!(&f2[..4], [0, 0, 0, 2]);
    assert_eq!(
        decode_request(f2, jute::Limits::default())
            .unwrap()
            .header
            .xid,
        2
    );
    let body = GetDataResponse {
        data: Some(b"x".to_vec()),
        stat: Stat::default(),
    };
    match s.on_frame(&reply(1, 5, 0, &body)).unwrap() {
        Some(Outcome::Reply {
            token: 10,
            result: Ok(ResponseBody::GetData(r)),
            ..
        }) => assert_eq!(r.data.unwrap(), b"x"),
        other => panic!("{other:?}"),
    }
    match s.on_frame(&reply(2, 6, -101, &Empty)).unwrap() {
        Some(Outcome::Reply {
            token: 20,
            result: Err(Error::NoNode),
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(s.last_zxid(), 6);
    assert_eq!(s.in_flight(), 0);
}

/// No body (error replies, pings).
struct Empty;

impl Encode for Empty {
    fn encode<B: jute::bytes::BufMut + ?Sized>(&self, _: &mut B) {}
    fn encoded_len(&self) -> usize {
        0
    }
}

#[test]
fn an_out_of_order_reply_ends_the_connection() {
    let mut s = connected("/");
    send(&mut s, get_data("/a", false), 1);
    assert!(
        matches!(s.on_frame(&reply(9, 1, 0, &Empty)), Err(Error::Protocol { message: m, .. }) if m.contains("xid 9"))
    );
    let mut s = connected("/");
    assert!(matches!(
        s.on_frame(&reply(3, 1, 0, &Empty)),
        Err(Error::Protocol { .. })
    ));
}

/// The outcome of a reply that must fail its request with a protocol error carrying the jute
/// error, and end the connection.
fn broken(outcome: Result<Option<Outcome<u32>>, Error>) -> (u32, jute::DecodeError, String) {
    match outcome {
        Ok(Some(Outcome::Broken {
            token,
            error:
                Error::Protocol {
                    message,
                    source: Some(source),
                },
            ..
        })) => (token, source, message),
        other => panic!("expected a broken reply, got {other:?}"),
    }
}

#[test]
fn a_malformed_body_fails_its_request_with_the_decode_error_then_the_connection() {
    let mut s = connected("/");
    send(&mut s, get_data("/a", true), 1);
    let mut frame = ReplyHeader {
        xid: 1,
        zxid: 1,
        err: 0,
    }
    .to_vec();
    frame.extend([0, 0, 0, 9, 1]);
    let (token, source, message) = broken(s.on_frame(&frame));
    assert_eq!(token, 1, "the request it answers gets the error");
    assert!(message.contains("getData"), "{message}");
    assert!(
        matches!(source.kind(), jute::DecodeErrorKind::Truncated { .. }),
        "{source}"
    );
    // The error keeps the structured jute error as its source.
    let error = Error::undecodable("getData reply", source.clone());
    let chained = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(chained, Some(source.to_string()));
    // The watch it would have set was not registered.
    assert_eq!(s.watch_count(), 0);
}

#[test]
fn trailing_bytes_after_a_reply_fail_its_request() {
    let mut s = connected("/");
    send(&mut s, get_data("/a", false), 7);
    let body = GetDataResponse {
        data: Some(b"x".to_vec()),
        stat: Stat::default(),
    };
    let mut frame = reply(1, 1, 0, &body);
    frame.extend([0xde, 0xad]);
    let (token, source, _) = broken(s.on_frame(&frame));
    assert_eq!(token, 7);
    assert_eq!(
        source.kind(),
        &jute::DecodeErrorKind::TrailingBytes { count: 2 }
    );
}

#[test]
fn a_read_only_handshake_the_client_did_not_ask_for_is_refused() {
    let mut s: Session<u32> = Session::new(config("/"));
    let hello = ConnectResponse {
        protocol_version: 0,
        time_out: 20_000,
        session_id: 0x42,
        passwd: Some(vec![7; 16]),
        read_only: Some(true),
    }
    .to_vec();
    match handshake(&mut s, &hello, None) {
        Err(Error::Protocol { message, .. }) => assert!(message.contains("read-only"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(!s.is_read_only());
    assert_eq!(s.session_id(), 0);
}

#[test]
fn a_huge_negotiated_timeout_is_capped_and_silence_still_noticed() {
    let mut s: Session<u32> = Session::new(config("/"));
    handshake(&mut s, &welcome(i32::MAX, 0x42), None).unwrap();
    // 30 s asked: at most 20 times that is believed, and the read timeout follows the 30 s.
    assert_eq!(s.negotiated_timeout(), Some(Duration::from_secs(600)));
    assert_eq!(s.read_timeout(), Duration::from_secs(20));
    assert_eq!(s.ping_interval(), Duration::from_secs(10));
    // A shorter negotiated timeout than asked is followed.
    let mut s: Session<u32> = Session::new(config("/"));
    handshake(&mut s, &welcome(6_000, 0x42), None).unwrap();
    assert_eq!(s.read_timeout(), Duration::from_secs(4));
}

#[test]
fn unknown_notification_types_are_skipped_and_limits_apply() {
    let mut s = connected("/");
    send(&mut s, get_data("/a", true), 1);
    s.on_frame(&reply(
        1,
        1,
        0,
        &GetDataResponse {
            data: None,
            stat: Stat::default(),
        },
    ))
    .unwrap();
    let odd = reply(
        -1,
        -1,
        0,
        &WatcherEvent {
            r#type: 99,
            state: 3,
            path: Some("/a".into()),
        },
    );
    assert!(matches!(s.on_frame(&odd), Ok(None)));
    // The watch is still there for a real event.
    assert_eq!(s.watch_count(), 1);
    // A notification path over the client's reply limit is refused, not allocated.
    let mut small = config("/");
    small.max_reply = 64;
    let mut s: Session<u32> = Session::new(small);
    handshake(&mut s, &welcome(20_000, 0x42), None).unwrap();
    let long = reply(
        -1,
        -1,
        0,
        &WatcherEvent {
            r#type: 3,
            state: 3,
            path: Some("/x".repeat(100)),
        },
    );
    match s.on_frame(&long) {
        Err(Error::Protocol {
            source: Some(e), ..
        }) => assert!(
            matches!(e.kind(), jute::DecodeErrorKind::LengthOverLimit { .. }),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn watches_register_on_success_and_fire_with_the_chroot_stripped() {
    let mut s = connected("/app");
    let id = send(&mut s, get_data("/app/a", true), 1).unwrap();
    assert_eq!(s.watches().phase(id), Some(Phase::Pending));
    assert_eq!(s.watch_count(), 0, "not on the server before the reply");
    let body = GetDataResponse {
        data: None,
        stat: Stat::default(),
    };
    let Some(Outcome::Reply { result: Ok(_), .. }) = s.on_frame(&reply(1, 3, 0, &body)).unwrap()
    else {
        panic!()
    };
    assert_eq!(s.watch_count(), 1);
    assert_eq!(s.watches().phase(id), Some(Phase::Active));
    match s
        .on_frame(&notification(EventType::NodeDataChanged, "/app/a"))
        .unwrap()
    {
        Some(Outcome::Fire { watches, event }) => {
            assert_eq!(watches, [(id, WatchKind::Data)]);
            assert_eq!(
                event,
                WatchedEvent {
                    event_type: EventType::NodeDataChanged,
                    path: "/a".into(),
                    zxid: -1
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.watch_count(), 0, "one-shot");
    // Kept, done, for its handle to take the event.
    assert_eq!(s.watches().phase(id), Some(Phase::Done));
    assert_eq!(s.last_zxid(), 3, "notifications do not move the zxid");
}

#[test]
fn failed_reads_set_no_watch_except_exists_on_a_missing_node() {
    let mut s = connected("/");
    let id = send(&mut s, get_data("/a", true), 1).unwrap();
    let Some(Outcome::Reply {
        result: Err(Error::NoNode),
        ..
    }) = s.on_frame(&reply(1, 1, -101, &Empty)).unwrap()
    else {
        panic!()
    };
    assert_eq!(s.watches().phase(id), None, "dropped with its request");
    assert_eq!(s.watches().held(), 0);
    let exists = OutRequest {
        op: OpCode::Exists,
        body: RequestBody::Exists(jute_schemas::proto::ExistsRequest {
            path: Some("/b".into()),
            watch: true,
        }),
        watch: Some((WatchKind::Exist, "/b".into())),
    };
    let id = send(&mut s, exists, 2).unwrap();
    let Some(Outcome::Reply {
        result: Err(Error::NoNode),
        ..
    }) = s.on_frame(&reply(2, 1, -101, &Empty)).unwrap()
    else {
        panic!()
    };
    let Some(Outcome::Fire { watches, .. }) = s
        .on_frame(&notification(EventType::NodeCreated, "/b"))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(watches, [(id, WatchKind::Exist)]);
}

#[test]
fn size_limits() {
    let mut s = Session::new(SessionConfig {
        max_request: 100,
        max_reply: 50,
        ..config("/")
    });
    handshake(&mut s, &welcome(10_000, 1), None).unwrap();
    let big = OutRequest {
        op: OpCode::SetData,
        body: RequestBody::SetData(jute_schemas::proto::SetDataRequest {
            path: Some("/a".into()),
            data: Some(vec![0; 200]),
            version: -1,
        }),
        watch: None,
    };
    let Err((7, Error::RequestTooLarge { size, limit: 100 })) = s.write(big, 7) else {
        panic!()
    };
    assert_eq!(size, 8 + 6 + 204 + 4);
    assert_eq!(s.in_flight(), 0, "nothing was queued");
    send(&mut s, get_data("/a", true), 8);
    let Ok(Outcome::Reply {
        token: 8,
        result: Err(Error::ReplyTooLarge {
            size: 5000,
            limit: 50,
        }),
        ..
    }) = s.on_oversized(1, 5000)
    else {
        panic!()
    };
    assert_eq!(s.watches().held(), 0, "the watch went with its request");
}

#[test]
fn disconnect_fails_written_requests_and_reconnect_replays_auth_and_watches() {
    let mut s = connected("/");
    s.add_auth("digest", b"user:pw").unwrap();
    send(&mut s, get_data("/w", true), 1);
    s.on_frame(&reply(1, 77, 0, &GetDataResponse::default()))
        .unwrap();
    send(&mut s, get_data("/x", false), 2);
    sent(&mut s);
    let failed = s.on_disconnect();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].0, &failed[0].1), (2, &Error::ConnectionLoss));

    // The reconnect resumes the session with the last zxid.
    let hello: jute_schemas::proto::ConnectRequest = jute::from_slice(&s.connect_frame()).unwrap();
    assert_eq!(
        (
            hello.session_id,
            hello.last_zxid_seen,
            hello.passwd.as_deref()
        ),
        (0x42, 77, Some(&[7u8; 16][..]))
    );
    let frames = handshake(&mut s, &welcome(20_000, 0x42), None).unwrap();
    assert_eq!(frames.len(), 2);
    let auth = decode_request(&frames[0], jute::Limits::default()).unwrap();
    assert_eq!((auth.header.xid, auth.op()), (-4, Ok(OpCode::Auth)));
    let sw = decode_request(&frames[1], jute::Limits::default()).unwrap();
    assert_eq!((sw.header.xid, sw.op()), (-8, Ok(OpCode::SetWatches2)));
    let RequestBody::SetWatches2(SetWatches2 {
        relative_zxid: 77,
        data_watches: Some(d),
        exist_watches: Some(e),
        ..
    }) = &sw.body
    else {
        panic!("{sw:?}")
    };
    assert_eq!((d.as_slice(), e.len()), (&["/w".to_string()][..], 0));
}

#[test]
fn set_watches_is_split_into_128k_batches() {
    let mut s = connected("/");
    for i in 0..10_000u64 {
        let path = format!("/watch/{i:020}");
        send(&mut s, get_data(&path, true), 0);
        s.on_frame(&reply((i + 1) as i32, 1, 0, &GetDataResponse::default()))
            .unwrap();
    }
    let frames = handshake(&mut s, &welcome(20_000, 0x42), None).unwrap();
    // 10,000 paths of 27 characters: 270,000 > 2 × 128 KiB.
    assert_eq!(frames.len(), 3);
    let total: usize = frames
        .iter()
        .map(
            |f| match decode_request(f, jute::Limits::default()).unwrap().body {
                RequestBody::SetWatches2(w) => w.data_watches.unwrap().len(),
                _ => 0,
            },
        )
        .sum();
    assert_eq!(total, 10_000);
}

#[test]
fn xids_wrap_to_one() {
    let mut s = connected("/");
    s.next_xid = i32::MAX;
    s.write(get_data("/a", false), 1).unwrap();
    s.write(get_data("/b", false), 2).unwrap();
    let f = &sent(&mut s)[1];
    assert_eq!(&f[..4], [0, 0, 0, 1]);
}

#[test]
fn auth_failure_ends_the_connection() {
    let mut s = connected("/");
    assert!(matches!(
        s.on_frame(&reply(-4, 0, -115, &Empty)),
        Err(Error::AuthFailed)
    ));
    assert!(s.on_frame(&reply(-4, 0, 0, &Empty)).unwrap().is_none());
    assert!(s.on_frame(&reply(-2, 9, 0, &Empty)).unwrap().is_none());
}

#[test]
fn dropping_the_last_local_watch_removes_the_server_watch() {
    let mut s = connected("/");
    let mut ids = Vec::new();
    for xid in [1, 2] {
        ids.push(send(&mut s, get_data("/a", true), 0).unwrap());
        s.on_frame(&reply(xid, 1, 0, &GetDataResponse::default()))
            .unwrap();
    }
    let (_, req) = s.unwatch(ids[0]).unwrap();
    assert!(req.is_none(), "another local data watch remains");
    let req = s.unwatch(ids[1]).unwrap().1.expect("last one");
    assert_eq!(req.op, OpCode::RemoveWatches);
    let RequestBody::RemoveWatches(r) = req.body else {
        panic!()
    };
    assert_eq!((r.path.as_deref(), r.r#type), (Some("/a"), 2));
    assert!(s.unwatch(ids[1]).is_none());
}

#[test]
fn removals_never_take_away_a_watch_another_handle_needs() {
    let mut s = connected("/");
    let mut xid = 0;
    // Writes `req` and answers it with `body`.
    let mut watch = |s: &mut Session<u32>, req: OutRequest, body: Vec<u8>| {
        xid += 1;
        let id = send(s, req, 0).unwrap();
        let mut frame = ReplyHeader {
            xid,
            zxid: 1,
            err: 0,
        }
        .to_vec();
        frame.extend(body);
        s.on_frame(&frame).unwrap();
        id
    };
    let data_reply = GetDataResponse::default().to_vec();
    // A data watch and an exists watch are one server-side type.
    let data = watch(&mut s, get_data("/a", true), data_reply.clone());
    let exists = OutRequest {
        op: OpCode::Exists,
        body: RequestBody::Exists(jute_schemas::proto::ExistsRequest {
            path: Some("/a".into()),
            watch: true,
        }),
        watch: Some((WatchKind::Exist, "/a".into())),
    };
    let exists = watch(&mut s, exists, Stat::default().to_vec());
    assert!(
        s.unwatch(data).unwrap().1.is_none(),
        "the exists watch needs the data-type watch"
    );
    assert!(s.unwatch(exists).unwrap().1.is_some());
    // "Any" for a persistent watch is sent only when nothing else is left on the path.
    let data = watch(&mut s, get_data("/b", true), data_reply);
    let add = OutRequest {
        op: OpCode::AddWatch,
        body: RequestBody::AddWatch(jute_schemas::proto::AddWatchRequest {
            path: Some("/b".into()),
            mode: 0,
        }),
        watch: Some((WatchKind::Persistent, "/b".into())),
    };
    let persistent = watch(
        &mut s,
        add,
        jute_schemas::proto::ErrorResponse { err: 0 }.to_vec(),
    );
    assert!(
        s.unwatch(persistent).unwrap().1.is_none(),
        "a data watch on /b remains"
    );
    let req = s.unwatch(data).unwrap().1.expect("nothing left on /b");
    let RequestBody::RemoveWatches(r) = req.body else {
        panic!()
    };
    assert_eq!(r.r#type, 2);
}

#[test]
fn a_refused_set_watches_ends_the_connection() {
    let mut s = connected("/");
    send(&mut s, get_data("/w", true), 1);
    s.on_frame(&reply(1, 5, 0, &GetDataResponse::default()))
        .unwrap();
    let _ = s.on_disconnect();
    let replay = handshake(&mut s, &welcome(30_000, 0x42), None).unwrap();
    assert_eq!(replay.len(), 1);
    // ZooKeeper's -5 (MarshallingError) on the SetWatches2 xid.
    let mut refused = ReplyHeader {
        xid: xid::SET_WATCHES,
        zxid: 5,
        err: -5,
    }
    .to_vec();
    refused.truncate(16);
    match s.on_frame(&refused) {
        Err(Error::Protocol { message: m, .. }) => assert!(m.contains("SetWatches2"), "{m}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    // The watch is still registered, to be sent again on the next connection.
    assert_eq!(s.watch_count(), 1);
    assert_eq!(
        handshake(&mut s, &welcome(30_000, 0x42), None)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_session_only_a_read_only_server_saw_is_not_resumed() {
    let mut s: Session<u32> = Session::new(SessionConfig {
        read_only: true,
        ..config("/")
    });
    let read_only = ConnectResponse {
        protocol_version: 0,
        time_out: 30_000,
        session_id: 77,
        passwd: Some(vec![1; 16]),
        read_only: Some(true),
    }
    .to_vec();
    handshake(&mut s, &read_only, None).unwrap();
    assert!(s.is_read_only());
    let hello: ConnectRequest = jute::from_slice(&s.connect_frame()).unwrap();
    assert_eq!(
        hello.session_id, 0,
        "a read-only server's session id is not resumed"
    );
    assert_eq!(hello.read_only, Some(true));

    handshake(&mut s, &welcome(30_000, 88), None).unwrap();
    assert!(!s.is_read_only());
    let hello: ConnectRequest = jute::from_slice(&s.connect_frame()).unwrap();
    assert_eq!(hello.session_id, 88, "a read-write session is resumed");
    // From now on even a read-only server is asked to resume it, and one that answers with
    // another session (77) has ended it.
    assert_eq!(
        handshake(&mut s, &read_only, None),
        Err(Error::SessionExpired)
    );
    let resumed = ConnectResponse {
        session_id: 88,
        ..jute::from_slice(&read_only).unwrap()
    }
    .to_vec();
    handshake(&mut s, &resumed, None).unwrap();
    assert!(s.is_read_only());
    let hello: ConnectRequest = jute::from_slice(&s.connect_frame()).unwrap();
    assert_eq!(hello.session_id, 88);
}

#[test]
fn a_handshake_answered_with_an_error_header_is_named() {
    let mut s: Session<u32> = Session::new(config("/"));
    let header = ReplyHeader {
        xid: 0,
        zxid: 0x1_0000_0003,
        err: -119,
    }
    .to_vec();
    match handshake(&mut s, &header, None) {
        Err(Error::Protocol { message: m, .. }) => assert!(m.contains("read-only"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_session_taken_over_by_id_asks_for_it_and_learns_its_expiry() {
    let mut s: Session<u32> = Session::new(config("/"));
    s.resume(0x77, vec![9; 16]);
    let hello: ConnectRequest = jute::from_slice(&s.connect_frame()).unwrap();
    assert_eq!((hello.session_id, hello.passwd), (0x77, Some(vec![9; 16])));
    // Known to the server: the same id comes back.
    let mut known: Session<u32> = Session::new(config("/"));
    known.resume(0x77, vec![9; 16]);
    handshake(&mut known, &welcome(20_000, 0x77), None).unwrap();
    assert_eq!(known.session_id(), 0x77);
    // Unknown, or the wrong password: the server answers with a zero timeout.
    assert_eq!(
        handshake(&mut s, &welcome(0, 0), None),
        Err(Error::SessionExpired)
    );
}

#[test]
fn a_resumed_session_answered_with_another_id_is_expired() {
    let mut s = connected("/");
    assert_eq!(s.session_id(), 0x42);
    // The reconnect asks for 0x42; a server that hands out 0x43 instead ended the session.
    let hello: ConnectRequest = jute::from_slice(&s.connect_frame()).unwrap();
    assert_eq!(hello.session_id, 0x42);
    assert_eq!(
        handshake(&mut s, &welcome(20_000, 0x43), None),
        Err(Error::SessionExpired)
    );
    // The same id is a resumed session.
    let mut s = connected("/");
    assert!(handshake(&mut s, &welcome(20_000, 0x42), None).is_ok());
}

#[test]
fn requests_and_credentials_written_while_disconnected_wait_for_the_next_connection() {
    let mut s = connected("/");
    s.write(get_data("/sent", false), 1).unwrap();
    assert_eq!((s.in_flight(), s.unsent()), (0, 1));
    assert_eq!(sent(&mut s).len(), 1);
    assert_eq!((s.in_flight(), s.unsent()), (1, 0));
    // Written after the output was taken: not on the connection yet.
    s.write(get_data("/queued", false), 2).unwrap();
    let failed = s.on_disconnect();
    assert_eq!(failed.iter().map(|f| f.0).collect::<Vec<_>>(), [1]);
    assert_eq!((s.in_flight(), s.unsent()), (0, 1));
    assert!(!s.is_connected());
    // Credentials added while disconnected go with the handshake, and their answer is waited
    // for; the queued request follows the replayed frames.
    s.add_auth("digest", b"a:b").unwrap();
    assert_eq!(s.unsent(), 1);
    let replay = handshake(&mut s, &welcome(20_000, 0x42), None).unwrap();
    assert_eq!(replay.len(), 1);
    let auth = decode_request(&replay[0], jute::Limits::default()).unwrap();
    assert_eq!(auth.op(), Ok(OpCode::Auth));
    let queued = sent(&mut s);
    assert_eq!(queued.len(), 1);
    let req = decode_request(&queued[0], jute::Limits::default()).unwrap();
    assert_eq!(req.header.xid, 2);
    assert!(matches!(
        s.on_frame(&reply(-4, 0, 0, &Empty)),
        Ok(Some(Outcome::Auth))
    ));
    // Once answered, a later replay has nobody waiting.
    let _ = s.on_disconnect();
    handshake(&mut s, &welcome(20_000, 0x42), None).unwrap();
    assert!(matches!(s.on_frame(&reply(-4, 0, 0, &Empty)), Ok(None)));
    // The end fails everything, sent or not.
    s.write(get_data("/a", false), 3).unwrap();
    sent(&mut s);
    s.write(get_data("/b", false), 4).unwrap();
    let (failed, _) = s.on_end(&Error::Closed);
    assert_eq!(failed.iter().map(|f| f.0).collect::<Vec<_>>(), [3, 4]);
    assert!(!s.has_output());
}

/// The SASL tests (DIGEST-MD5, the `sasl` feature).
#[cfg(feature = "sasl")]
mod sasl {
    use super::*;

    /// A session for the SASL tests (each connection gets [`digest`]).
    fn with_sasl() -> Session<u32> {
        Session::new(config("/"))
    }

    /// A SASL test session after its handshake: the exchange's first frame is out.
    fn sasl_started() -> Session<u32> {
        let mut s = with_sasl();
        handshake(&mut s, &welcome(20_000, 0x42), digest()).unwrap();
        s
    }

    /// A DIGEST-MD5 exchange with the recorded client nonce, as the driver starts one.
    fn digest() -> Option<crate::sasl::SaslStart> {
        let options = crate::sasl::SaslOptions::digest_md5_with_cnonce(
            "bob",
            "bobsecret",
            "isJ0jDtzlY1PdRu/Sc84zgg//SvrfHhphn6kJE2t",
        );
        Some(options.start("localhost").unwrap())
    }

    /// A SASL reply carrying `token`.
    fn sasl_reply(xid: i32, err: i32, token: Option<&[u8]>) -> Vec<u8> {
        reply(
            xid,
            0,
            err,
            &jute_schemas::proto::SetSASLResponse {
                token: token.map(<[u8]>::to_vec),
            },
        )
    }

    /// The xid and token of a SASL frame.
    fn sasl_token(frame: &[u8]) -> (i32, Vec<u8>) {
        let request = decode_request(frame, jute::Limits::default()).unwrap();
        assert_eq!(request.header.r#type, OpCode::Sasl.value());
        match request.body {
            RequestBody::Sasl(r) => (request.header.xid, r.token.unwrap_or_default()),
            other => panic!("not a SASL request: {other:?}"),
        }
    }

    const CHALLENGE: &[u8] = br#"realm="zk-sasl-md5",nonce="5aFZr7VXmogiBkzIRm7rcSXp1YLueeKSKNNGcLX6",charset=utf-8,algorithm=md5-sess"#;

    #[test]
    fn sasl_runs_first_and_holds_everything_else_back_until_it_succeeds() {
        let mut s = with_sasl();
        s.add_auth("digest", b"alice:pw").unwrap();
        // A call queued before the connection, and one during the exchange.
        s.write(get_data("/a", false), 1).unwrap();
        let first = handshake(&mut s, &welcome(20_000, 0x42), digest()).unwrap();
        assert_eq!(first.len(), 1, "only the first SASL frame");
        // The call queued before took xid 1.
        assert_eq!(sasl_token(&first[0]), (2, Vec::new()));
        assert!(s.is_authenticating());
        s.write_watch(get_data("/b", true), 2, ()).unwrap();
        assert!(!s.has_output(), "nothing but SASL goes out meanwhile");

        assert!(s
            .on_frame(&sasl_reply(2, 0, Some(CHALLENGE)))
            .unwrap()
            .is_none());
        let frames = sent(&mut s);
        assert_eq!(frames.len(), 1);
        let (xid, response) = sasl_token(&frames[0]);
        assert_eq!(
            xid, 4,
            "xids come from the request counter (1 and 3 went to calls)"
        );
        let response = String::from_utf8(response).unwrap();
        assert!(
            response.contains("response=070a8877d1f6bcb8901512ffe44e15d6,"),
            "{response}"
        );
        assert_eq!(s.in_flight(), 0);

        assert!(s
            .on_frame(&sasl_reply(
                4,
                0,
                Some(b"rspauth=a2f2a9f7c8a4df73f46d09df1b4a78a9")
            ))
            .unwrap()
            .is_none());
        assert!(!s.is_authenticating());
        // Then the credentials, then the queued calls, in that order.
        let frames = sent(&mut s);
        let ops: Vec<i32> = frames
            .iter()
            .map(|f| {
                decode_request(f, jute::Limits::default())
                    .unwrap()
                    .header
                    .r#type
            })
            .collect();
        assert_eq!(
            ops,
            [
                OpCode::Auth.value(),
                OpCode::GetData.value(),
                OpCode::GetData.value()
            ]
        );
        assert_eq!(s.in_flight(), 2);
    }

    #[test]
    fn a_refused_or_unverifiable_sasl_exchange_is_auth_failed() {
        // The server refuses the response (a wrong password): AUTHFAILED and a null token.
        let mut s = sasl_started();
        s.on_frame(&sasl_reply(1, 0, Some(CHALLENGE))).unwrap();
        sent(&mut s);
        assert!(matches!(
            s.on_frame(&sasl_reply(2, -115, None)),
            Err(Error::AuthFailed)
        ));

        // A server that does not know the password cannot prove it.
        let mut s = sasl_started();
        s.on_frame(&sasl_reply(1, 0, Some(CHALLENGE))).unwrap();
        sent(&mut s);
        assert!(matches!(
            s.on_frame(&sasl_reply(
                2,
                0,
                Some(b"rspauth=00000000000000000000000000000000")
            )),
            Err(Error::AuthFailed)
        ));

        // A server without SASL configured answers the first token with a null one.
        let mut s = sasl_started();
        assert!(matches!(
            s.on_frame(&sasl_reply(1, 0, None)),
            Err(Error::AuthFailed)
        ));
    }

    #[test]
    fn sasl_starts_again_on_every_connection() {
        let mut s = sasl_started();
        s.on_frame(&sasl_reply(1, 0, Some(CHALLENGE))).unwrap();
        sent(&mut s);
        // The connection drops mid-exchange; the next one starts over.
        s.on_disconnect();
        assert!(!s.is_authenticating());
        let again = handshake(&mut s, &welcome(20_000, 0x42), digest()).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(sasl_token(&again[0]), (3, Vec::new()));
        assert!(s.is_authenticating());
        // A reply to the old exchange's xid is not taken for this one.
        assert!(s.on_frame(&sasl_reply(2, 0, None)).is_err());
    }

    #[test]
    fn credentials_added_during_sasl_go_once_and_are_answered() {
        let mut s = sasl_started();
        s.add_auth("digest", b"alice:pw").unwrap();
        assert!(!s.has_output());
        s.on_frame(&sasl_reply(1, 0, Some(CHALLENGE))).unwrap();
        sent(&mut s);
        s.on_frame(&sasl_reply(
            2,
            0,
            Some(b"rspauth=a2f2a9f7c8a4df73f46d09df1b4a78a9"),
        ))
        .unwrap();
        let frames = sent(&mut s);
        assert_eq!(frames.len(), 1, "the credentials once");
        // Its answer reaches the caller that added them.
        let ok = ReplyHeader {
            xid: -4,
            zxid: 0,
            err: 0,
        }
        .to_vec();
        assert!(matches!(s.on_frame(&ok), Ok(Some(Outcome::Auth))));
    }
}

#[test]
fn a_watch_request_needs_a_sink() {
    let mut s = connected("/");
    let Err((1, Error::Protocol { .. })) = s.write(get_data("/a", true), 1) else {
        panic!("written without a sink")
    };
    assert_eq!((s.in_flight(), s.unsent(), s.watches().held()), (0, 0, 0));
    let (_, id) = s.write_watch(get_data("/a", true), 2, ()).unwrap();
    assert_eq!(s.watches().phase(id.unwrap()), Some(Phase::Pending));
    // A request without a watch given a sink records none.
    let (_, id) = s.write_watch(get_data("/b", false), 3, ()).unwrap();
    assert_eq!((id, s.watches().held()), (None, 1));
}

#[test]
fn credentials_over_the_request_limit_are_refused_not_replayed_for_ever() {
    let mut s: Session<u32> = Session::new(SessionConfig {
        max_request: 64,
        ..config("/")
    });
    // Disconnected: refused at once, not kept for the replay.
    assert!(matches!(
        s.add_auth("digest", &[b'x'; 100]),
        Err(Error::RequestTooLarge { limit: 64, .. })
    ));
    let replay = handshake(&mut s, &welcome(20_000, 0x42), None).unwrap();
    assert!(replay.is_empty());
    // Connected: refused too, and nothing goes out.
    assert!(s.add_auth("digest", &[b'x'; 100]).is_err());
    assert!(sent(&mut s).is_empty());
    s.add_auth("digest", b"a:b").unwrap();
    assert_eq!(sent(&mut s).len(), 1);
}
