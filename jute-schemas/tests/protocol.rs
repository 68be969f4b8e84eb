//! Frame-level decoding with the byte examples of PROTOCOL.md §4 and §14.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use jute::json::hex_decode;
use jute::{DecodeErrorKind, Encode, Limits};
use jute_schemas::protocol::{decode_request, decode_response, OpCode, RequestBody, ResponseBody};

fn hex(s: &str) -> Vec<u8> {
    hex_decode(s).expect("hex")
}

fn reencoded(e: &impl Encode) -> Vec<u8> {
    let mut v = Vec::new();
    e.encode(&mut v);
    v
}

#[test]
fn ping_request_and_reply() {
    let req = decode_request(&hex("fffffffe0000000b"), Limits::default()).unwrap();
    assert_eq!(req.op(), Ok(OpCode::Ping));
    assert_eq!(req.body, RequestBody::None);
    let reply = decode_response(
        &hex("fffffffe000000000000002a00000000"),
        None,
        Limits::default(),
    )
    .unwrap();
    assert_eq!(reply.header.zxid, 42);
    assert_eq!(reply.body, ResponseBody::None);
}

#[test]
fn notification_3_8() {
    // NodeDataChanged on "/cap/persistent" (15 bytes), zxid -1.
    let mut full = hex("ffffffffffffffffffffffff00000000");
    full.extend(hex("0000000300000003"));
    full.extend(hex("0000000f2f6361702f70657273697374656e74"));
    let r = decode_response(&full, None, Limits::default()).unwrap();
    let ResponseBody::Notification(ev) = &r.body else {
        panic!("{r:?}")
    };
    assert_eq!(
        (ev.r#type, ev.state, ev.path.as_deref()),
        (3, 3, Some("/cap/persistent"))
    );
    assert_eq!(reencoded(&r), full);
}

#[test]
fn error_replies_have_no_body_and_keep_ignored_bytes() {
    let r = decode_response(
        &hex("00000007000000000000000affffff92"),
        Some(OpCode::Create),
        Limits::default(),
    )
    .unwrap();
    assert_eq!(r.header.err, -110);
    assert_eq!(r.body, ResponseBody::None);
    // SASL failure: SetSASLResponse(null) after an error header.
    let frame = hex("00000007000000000000000affffff8dffffffff");
    let r = decode_response(&frame, Some(OpCode::Sasl), Limits::default()).unwrap();
    assert!(matches!(r.body, ResponseBody::Ignored(_)));
    assert_eq!(reencoded(&r), frame);
}

#[test]
fn create2_in_multi_in_both_server_forms() {
    let stat = "00".repeat(68);
    // 3.8.0: create2 decays to a type-1 result without a Stat.
    let v38 = hex(&format!(
        "00000001000000000000000500000000{}{}{}",
        "0000000100ffffffff", "000000032f6d31", "ffffffff01ffffffff"
    ));
    let r = decode_response(&v38, Some(OpCode::Multi), Limits::default()).unwrap();
    let ResponseBody::Multi(m) = &r.body else {
        panic!()
    };
    assert!(
        matches!(&m.results[0].body, ResponseBody::Create(c) if c.path.as_deref() == Some("/m1"))
    );
    assert_eq!(reencoded(&r), v38);
    // 3.8.2+/3.9: type 15 with a Stat.
    let v39 = hex(&format!(
        "00000001000000000000000500000000{}{}{stat}{}",
        "0000000f00ffffffff", "000000032f6d31", "ffffffff01ffffffff"
    ));
    let r = decode_response(&v39, Some(OpCode::Multi), Limits::default()).unwrap();
    let ResponseBody::Multi(m) = &r.body else {
        panic!()
    };
    assert!(
        matches!(&m.results[0].body, ResponseBody::Create2(c) if c.path.as_deref() == Some("/m1"))
    );
    assert_eq!(reencoded(&r), v39);
}

#[test]
fn failed_multi_reports_inside_the_results() {
    // [(-1, 0), (-1, -103), (-1, -2)] with header error 0.
    let body = [
        ("00000000", "00000000"),
        ("ffffff99", "ffffff99"),
        ("fffffffe", "fffffffe"),
    ]
    .iter()
    .map(|(h, e)| format!("ffffffff00{h}{e}"))
    .collect::<String>();
    let frame = hex(&format!(
        "00000001000000000000000900000000{body}ffffffff01ffffffff"
    ));
    let r = decode_response(&frame, Some(OpCode::Multi), Limits::default()).unwrap();
    assert_eq!(r.header.err, 0);
    let ResponseBody::Multi(m) = &r.body else {
        panic!()
    };
    let errs: Vec<i32> = m.results.iter().map(|x| x.header.err).collect();
    assert_eq!(errs, [0, -103, -2]);
    assert_eq!(reencoded(&r), frame);
}

#[test]
fn empty_multi_is_just_the_terminator() {
    let frame = hex("000000050000000effffffff01ffffffff");
    assert_eq!(frame.len(), 17);
    let req = decode_request(&frame, Limits::default()).unwrap();
    let RequestBody::Multi(m) = &req.body else {
        panic!()
    };
    assert!(m.ops.is_empty());
    assert_eq!(reencoded(&req), frame);
}

#[test]
fn bad_frames_are_errors() {
    // Unknown op code 10.
    let e = decode_request(&hex("000000010000000a"), Limits::default()).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::UnknownEnumValue {
            name: "OpCode",
            value: 10
        }
    );
    // A ping inside a multi.
    let e = decode_request(
        &hex("000000050000000e0000000b00ffffffff"),
        Limits::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("ping cannot be part of a multi"),
        "{e}"
    );
    // A multi without its terminator.
    let e = decode_request(&hex("000000050000000e"), Limits::default()).unwrap_err();
    assert!(matches!(e.kind(), DecodeErrorKind::Truncated { .. }), "{e}");
    // A reply nobody asked for.
    let e = decode_response(
        &hex("00000063000000000000000000000000"),
        None,
        Limits::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("no request is waiting for xid 99"),
        "{e}"
    );
    // Trailing bytes after a request body.
    let e = decode_request(&hex("000000010000000b00"), Limits::default()).unwrap_err();
    assert_eq!(e.kind(), &DecodeErrorKind::TrailingBytes { count: 1 });
}

/// A multi result of type multi, nested `depth` times, closed by as many terminators.
fn nested_multi_reply(depth: usize) -> Vec<u8> {
    let mut frame = hex("00000005000000000000000a00000000");
    for _ in 0..depth {
        // MultiHeader: type 14 (multi), done false, err 0.
        frame.extend(hex("0000000e0000000000"));
    }
    for _ in 0..=depth {
        frame.extend(hex("ffffffff01ffffffff"));
    }
    frame
}

#[test]
fn nested_multi_results_are_refused_without_recursing() {
    // Deep enough to overflow a thread's stack if decoding recursed per level (the finding used
    // 1,000 levels on a tokio worker; this test thread's stack is larger, so go further).
    for depth in [1, 1_000, 100_000] {
        let frame = nested_multi_reply(depth);
        let err = decode_response(&frame, Some(OpCode::Multi), Limits::new(16 << 20))
            .expect_err("a nested multi result must be refused");
        assert!(
            err.to_string().contains("multi cannot be part of a multi"),
            "{err}"
        );
        assert_eq!(err.offset(), 16, "{err}");
    }
    // Requests refuse nesting too.
    let mut req = hex("000000070000000e");
    req.extend(hex("0000000e0000000000"));
    req.extend(hex("ffffffff01ffffffff"));
    req.extend(hex("ffffffff01ffffffff"));
    let err = decode_request(&req, Limits::default()).expect_err("nested multi request");
    assert!(
        err.to_string().contains("cannot be part of a multi"),
        "{err}"
    );
}

#[test]
fn multi_error_results_still_decode() {
    // One error result (type -1, ErrorResponse -101), then the terminator.
    let mut frame = hex("00000005000000000000000a00000000");
    frame.extend(hex("ffffffff00ffffff9b"));
    frame.extend(hex("ffffff9b"));
    frame.extend(hex("ffffffff01ffffffff"));
    let r = decode_response(&frame, Some(OpCode::Multi), Limits::default()).unwrap();
    let ResponseBody::Multi(m) = &r.body else {
        panic!("{r:?}")
    };
    assert_eq!(m.results.len(), 1);
    assert_eq!(m.results[0].header.r#type, -1);
}

#[test]
fn a_request_names_its_path() {
    use jute_schemas::proto::{GetDataRequest, GetEphemeralsRequest};
    use jute_schemas::protocol::MultiRequest;
    let get = RequestBody::GetData(GetDataRequest {
        path: Some("/a/b".into()),
        watch: false,
    });
    assert_eq!(get.path(), Some("/a/b"));
    let prefix = RequestBody::GetEphemerals(GetEphemeralsRequest {
        prefix_path: Some("/app".into()),
    });
    assert_eq!(prefix.path(), Some("/app"));
    assert_eq!(RequestBody::Multi(MultiRequest::default()).path(), None);
    assert_eq!(RequestBody::None.path(), None);
}
