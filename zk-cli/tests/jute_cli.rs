//! `zk jute` run as a process, the way a person or a script uses it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn zk(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run zk");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for zk")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

#[test]
fn records_lists_all_72_by_qualified_name() {
    let o = zk(&["jute", "records"], "");
    assert!(o.status.success());
    let lines: Vec<String> = stdout(&o).lines().map(String::from).collect();
    assert_eq!(lines.len(), 72);
    assert!(lines.contains(&"org.apache.zookeeper.proto.GetDataResponse".to_string()));
    assert!(lines.contains(&"org.apache.zookeeper.txn.MultiTxn".to_string()));
}

#[test]
fn decode_and_encode_are_inverse() {
    // GetDataResponse{data=null, stat=(czxid=1, ...)}
    let stat = "0000000000000001".to_string() + &"00".repeat(60);
    let hex = format!("ffffffff{stat}");
    let o = zk(
        &[
            "jute",
            "decode",
            "org.apache.zookeeper.proto.GetDataResponse",
            &hex,
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(json["data"], serde_json::Value::Null);
    assert_eq!(json["stat"]["czxid"], 1);
    let o = zk(
        &["jute", "encode", "GetDataResponse", &json.to_string()],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), hex);
}

#[test]
fn decode_reads_one_hex_string_per_line_of_stdin() {
    let o = zk(
        &["jute", "decode", "RequestHeader"],
        "0000000100000004\n\nffffffff0000000b\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"xid\":1,\"type\":4}\n{\"xid\":-1,\"type\":11}\n"
    );
}

#[test]
fn encode_writes_buffers_vectors_and_strings() {
    let json = r#"{"path":"/a","data":"78","acl":[{"perms":31,"id":{"scheme":"world","id":"anyone"}}],"flags":0}"#;
    let o = zk(&["jute", "encode", "CreateRequest", json], "");
    assert!(o.status.success(), "{}", stderr(&o));
    // PROTOCOL.md §14: create("/a", b"x", OPEN_ACL_UNSAFE, PERSISTENT), body after the header.
    assert_eq!(
        stdout(&o).trim(),
        "000000022f610000000178000000010000001f00000005776f726c6400000006616e796f6e6500000000"
    );
}

#[test]
fn bad_input_gets_a_clear_message_and_a_nonzero_exit() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["jute", "decode", "NoSuchRecord", "00"],
            "unknown record \"NoSuchRecord\"",
            "",
        ),
        (
            &["jute", "decode", "RequestHeader", "0000zz"],
            "bad hex",
            "",
        ),
        (
            &["jute", "decode", "RequestHeader", "000"],
            "odd number of hex digits",
            "",
        ),
        (
            &["jute", "decode", "RequestHeader", "000000010000000400"],
            "1 trailing bytes",
            "",
        ),
        (
            &["jute", "decode", "RequestHeader", "00000001"],
            "truncated input",
            "",
        ),
        (
            &["jute", "decode", "GetDataResponse", "7fffffff"],
            "length 2147483647 is over the limit",
            "",
        ),
        (
            &["jute", "decode", "RequestHeader"],
            "line 2: cannot decode RequestHeader: truncated",
            "0000000100000004\n00\n",
        ),
        (
            &["jute", "encode", "RequestHeader", "{\"xid\":1"],
            "bad JSON",
            "",
        ),
        (
            &["jute", "encode", "RequestHeader", "{\"xid\":1}"],
            "missing field type",
            "",
        ),
        (
            &[
                "jute",
                "encode",
                "RequestHeader",
                "{\"xid\":1,\"type\":2,\"x\":3}",
            ],
            "unknown field x",
            "",
        ),
        (
            &[
                "jute",
                "encode",
                "RequestHeader",
                "{\"xid\":\"1\",\"type\":2}",
            ],
            "at xid: expected int",
            "",
        ),
        (
            &[
                "jute",
                "encode",
                "RequestHeader",
                "{\"xid\":4294967296,\"type\":2}",
            ],
            "out of range for int",
            "",
        ),
        (
            &[
                "jute",
                "encode",
                "GetDataResponse",
                "{\"data\":\"0g\",\"stat\":{}}",
            ],
            "invalid hex digit",
            "",
        ),
    ];
    for (args, expected, stdin) in cases {
        let o = zk(args, stdin);
        assert!(!o.status.success(), "{args:?} succeeded");
        let err = stderr(&o);
        assert!(
            err.contains(expected),
            "{args:?}: stderr {err:?} lacks {expected:?}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn gen_writes_rust_records_from_a_jute_file() {
    let dir = std::env::temp_dir().join(format!("zk-jute-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("shop.jute");
    std::fs::write(
        &file,
        "module com.shop {\n  class Order {\n    long orderId; // the id\n    vector<ustring> lines;\n    boolean gift;\n  }\n}\n",
    )
    .expect("write .jute");
    let file = file.to_str().expect("utf-8 path");
    let o = zk(
        &[
            "jute",
            "gen",
            file,
            "--optional",
            "com.shop.Order.gift",
            "--derive",
            "Hash",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let code = stdout(&o);
    assert!(code.contains("pub mod shop {"), "{code}");
    assert!(
        code.contains("#[derive(Debug, Clone, PartialEq, Eq, Default, ::jute::Jute, Hash)]"),
        "{code}"
    );
    assert!(
        code.contains("/// `long orderId`: the id\n        pub order_id: i64,"),
        "{code}"
    );
    assert!(code.contains("pub lines: Option<Vec<String>>,"), "{code}");
    assert!(
        code.contains("#[jute(optional)]\n        pub gift: Option<bool>,"),
        "{code}"
    );

    // -o DIR: created when it does not exist yet.
    let out = dir.join("out").join("generated");
    let _ = std::fs::remove_dir_all(dir.join("out"));
    let o = zk(
        &["jute", "gen", file, "-o", out.to_str().expect("utf-8")],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let written = std::fs::read_to_string(out.join("shop.rs")).expect("shop.rs written");
    assert!(written.contains("pub struct Order {"));
    assert!(stdout(&o).contains("shop.rs"));

    // Bad IDL and an option naming no field: exit 1 with the place named; a malformed option:
    // a usage error.
    let bad = dir.join("bad.jute");
    std::fs::write(&bad, "module m {\n  class A { int x; int x; }\n}\n").expect("write");
    let o = zk(&["jute", "gen", bad.to_str().expect("utf-8")], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad.jute:2:24: field `x` is defined twice in A"),
        "{}",
        stderr(&o)
    );
    let o = zk(
        &["jute", "gen", file, "--optional", "com.shop.Order.nope"],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`com.shop.Order.nope`: no such field"),
        "{}",
        stderr(&o)
    );
    let o = zk(&["jute", "gen", file, "--type", "nonsense"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--type wants A=B"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reader_that_closes_the_pipe_ends_zk_quietly() {
    // `zk jute gen zookeeper.jute | head -0` (55 KB): the reader is gone before zk
    // writes anything.
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../jute-schemas/tests/fixtures/zookeeper.jute"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(["jute", "gen", schema])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run zk");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait for zk");
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stderr(&o), "", "a closed pipe is not an error to report");
}
