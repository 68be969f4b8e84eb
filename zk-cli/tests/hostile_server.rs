//! `zk` against a hostile server (the test kit's `FakeServer`): a Stat with times past the
//! year 9999, a tree without end, a four-letter word answered with endless bytes, and names
//! that carry terminal escape sequences.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::process::{Command, Output};

use jute::Record;
use jute_schemas::data::Stat;
use jute_schemas::proto::{ExistsResponse, GetChildrenResponse};
use zk_testkit::fake::{reply, Answer, FakeServer, Handshake, Request};

const EXISTS: i32 = 3;
const GET_CHILDREN: i32 = 8;

fn zk(server: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(["-s", server])
        .args(args)
        .output()
        .expect("run zk")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A server where every node has one child, `a`, and every Stat says the year 292,278,994.
fn endless() -> FakeServer {
    FakeServer::start(Handshake::default(), |req: &Request| match req.op {
        GET_CHILDREN => {
            let body = GetChildrenResponse {
                children: Some(vec!["a".into()]),
            };
            Answer::Bytes(reply(req.xid, 1, 0, &body.to_vec()).unwrap())
        }
        EXISTS => {
            let stat = Stat {
                ctime: i64::MAX,
                mtime: 253_402_300_800_000,
                ..Stat::default()
            };
            Answer::Bytes(reply(req.xid, 1, 0, &ExistsResponse { stat }.to_vec()).unwrap())
        }
        _ => Answer::Bytes(reply(req.xid, 1, 0, &[]).unwrap()),
    })
    .expect("fake server")
}

#[test]
fn stat_times_past_the_year_9999_print_as_numbers() {
    let server = endless();
    let out = zk(&server.connect_string(), &["stat", "/x"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("ctime = {}", i64::MAX)),
        "{stdout}"
    );
    assert!(stdout.contains("mtime = 253402300800000"), "{stdout}");
}

#[test]
fn an_endless_tree_is_cut_by_the_node_budget_or_the_depth() {
    let server = endless();
    let out = zk(
        &server.connect_string(),
        &["ls", "-R", "/", "--max-nodes", "500"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("the tree has more than 500 nodes"), "{err}");
    let out = zk(
        &server.connect_string(),
        &["ls", "-R", "/", "--max-depth", "3"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "/\n/a\n/a/a\n/a/a/a\n");
}

#[test]
fn a_four_letter_word_answered_without_end_is_cut_off() {
    let server = FakeServer::streaming().expect("streaming port");
    let out = zk(&server.connect_string(), &["mntr"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("the reply to mntr is over 16 MiB"), "{err}");
    // zk read a little over its limit, then hung up.
    assert!(server.bytes_sent() < 64 << 20, "{}", server.bytes_sent());
}

#[test]
fn names_with_escape_sequences_are_escaped() {
    let server = FakeServer::start(Handshake::default(), |req: &Request| {
        let body = GetChildrenResponse {
            children: Some(vec!["\u{1b}[31mred".into(), "bell\u{7}".into()]),
        };
        Answer::Bytes(reply(req.xid, 1, 0, &body.to_vec()).unwrap())
    })
    .expect("fake server");
    let out = zk(&server.connect_string(), &["ls", "/"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stdout, "[\\u001b[31mred, bell\\u0007]\n");
}
