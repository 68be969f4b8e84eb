//! Every client command of `zk`, one-shot against a real server: output, JSON, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use zk_testkit::{ChildGuard, TestServer};

struct Zk {
    server: TestServer,
}

impl Zk {
    fn start() -> Zk {
        Zk {
            server: TestServer::start().expect("a real ZooKeeper must start"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["-s".to_string(), self.server.connect_string()];
        all.extend(args.iter().map(|s| s.to_string()));
        Command::new(env!("CARGO_BIN_EXE_zk"))
            .args(&all)
            .output()
            .expect("run zk")
    }

    /// Runs and requires success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "zk {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all);
        serde_json::from_str(text.lines().next().unwrap_or(""))
            .unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Runs and requires failure with `code`; returns stderr.
    fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(code), "zk {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// The server's total watch count, from `wchs`.
fn watches(server: &TestServer) -> usize {
    let text = server.four_letter_word("wchs").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("Total watches:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

impl Zk {
    /// Runs `cmd` (a zk that sets a watch and waits for its events) in the background, owned by
    /// a guard that kills it if the test fails; once the server holds its watch, runs `act`,
    /// then waits for it to finish and returns its standard output.
    fn background(&self, cmd: Command, act: impl FnOnce()) -> String {
        let dir = self.server.dir();
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let (out, err) = (
            dir.join(format!("bg-{n}.out")),
            dir.join(format!("bg-{n}.err")),
        );
        let before = watches(&self.server);
        let mut child = ChildGuard::spawn_split(cmd, &out, &err).expect("start zk");
        let deadline = Instant::now() + Duration::from_secs(20);
        while watches(&self.server) <= before {
            assert!(
                child.is_running(),
                "{}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
            assert!(Instant::now() < deadline, "the background zk set no watch");
            std::thread::sleep(Duration::from_millis(50));
        }
        act();
        let status = child.wait_or_kill(Duration::from_secs(30));
        let stderr = std::fs::read_to_string(&err).unwrap_or_default();
        assert!(status.is_some_and(|s| s.success()), "{status:?}: {stderr}");
        std::fs::read_to_string(&out).unwrap_or_default()
    }
}

#[test]
fn node_commands() {
    let zk = Zk::start();
    assert_eq!(zk.ok(&["create", "/app", "v1"]), "Created /app\n");
    assert_eq!(
        zk.ok(&["create", "-p", "/app/deep/er/leaf", "x"]),
        "Created /app/deep/er/leaf\n"
    );
    let seq = zk.ok(&["create", "-s", "/app/job-", ""]);
    assert!(seq.starts_with("Created /app/job-0000000"), "{seq}");
    zk.ok(&["create", "-c", "/box"]);
    zk.ok(&["create", "-t", "60000", "/ttl", "t"]);
    assert_eq!(zk.ok(&["get", "/app"]), "v1\n");
    zk.ok(&["set", "/app", "v2", "-v", "0"]);
    assert!(zk
        .fails(4, &["set", "/app", "v3", "-v", "0"])
        .contains("version"));
    let got = zk.ok(&["get", "-s", "/app"]);
    assert!(
        got.starts_with("v2\ncZxid = 0x") && got.contains("dataVersion = 1"),
        "{got}"
    );
    assert_eq!(zk.ok(&["ls", "/"]), "[app, box, ttl, zookeeper]\n");
    let tree = zk.ok(&["ls", "-R", "/app/deep"]);
    assert_eq!(tree, "/app/deep\n/app/deep/er\n/app/deep/er/leaf\n");
    let ls = zk.json(&["ls", "-s", "/app"]);
    assert_eq!(ls["stat"]["numChildren"], 2);
    assert_eq!(zk.json(&["getAllChildrenNumber", "/app"])["count"], 4);
    let stat = zk.json(&["stat", "/app"]);
    assert_eq!(stat["stat"]["version"], 1);

    // Binary data: hex by default, base64 on request.
    zk.ok(&["create", "/bin", "caf\u{e9}"]);
    assert_eq!(zk.ok(&["get", "/bin"]), "caf\u{e9}\n");
    assert_eq!(zk.ok(&["get", "--hex", "/app"]), "7632\n");
    assert_eq!(zk.ok(&["get", "--base64", "/app"]), "djI=\n");

    zk.ok(&["delete", "/app/deep/er/leaf"]);
    assert!(zk.fails(4, &["delete", "/app"]).contains("children"));
    zk.ok(&["deleteall", "/app"]);
    assert!(zk
        .fails(4, &["get", "/app"])
        .contains("/app: node does not exist"));
    assert!(zk.fails(2, &["get", "/bad\u{1}name"]).contains("invalid"));
    assert_eq!(zk.ok(&["sync", "/"]), "Sync is OK: /\n");
}

#[test]
fn acl_auth_watch_and_server_commands() {
    let zk = Zk::start();
    zk.ok(&["create", "/open", "x"]);
    assert_eq!(zk.ok(&["getAcl", "/open"]), "world:anyone:rwcda\n");
    zk.ok(&["create", "/open/kid", "y"]);
    zk.ok(&["setAcl", "-R", "/open", "world:anyone:ra"]);
    assert_eq!(zk.ok(&["getAcl", "/open/kid"]), "world:anyone:ra\n");
    assert!(zk
        .fails(4, &["set", "/open/kid", "z"])
        .contains("not authorized"));
    assert!(zk
        .fails(2, &["setAcl", "/open", "world:anyone:q"])
        .contains("permission"));
    let who = zk.json(&["whoami"]);
    assert_eq!(who[0]["scheme"], "ip");

    // One-shot watches print the event (made by a second zk process) and exit.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zk"));
    cmd.args(["-s", &zk.server.connect_string(), "get", "-w", "/open"]);
    let text = zk.background(cmd, || {
        zk.ok(&["setAcl", "/open", "world:anyone:cdrwa"]);
        zk.ok(&["set", "/open", "changed"]);
    });
    assert!(
        text.contains("WATCHER:: WatchedEvent state:SyncConnected type:NodeDataChanged path:/open"),
        "{text}"
    );

    // A persistent recursive watch, two events.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zk"));
    cmd.args([
        "-s",
        &zk.server.connect_string(),
        "--json",
        "addWatch",
        "/open",
        "--count",
        "2",
    ]);
    let text = zk.background(cmd, || {
        zk.ok(&["create", "/open/new"]);
        zk.ok(&["set", "/open", "again"]);
    });
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["event"], "NodeCreated");
    assert_eq!(events[0]["path"], "/open/new");
    assert!(zk
        .fails(4, &["removewatches", "/open"])
        .contains("no such watch"));

    assert_eq!(
        zk.json(&["getEphemerals"])["ephemerals"],
        serde_json::json!([])
    );
    assert!(zk.ok(&["config"]).is_empty() || zk.json(&["config"])["config"].is_string());
    assert!(zk.ok(&["version"]).contains("ZooKeeper server: 3.8"));
    assert_eq!(zk.ok(&["ruok"]), "imok\n");
    assert!(zk.ok(&["srvr"]).contains("Mode: standalone"));
    assert!(zk.ok(&["stat"]).contains("Clients:"));
    assert!(zk.ok(&["mntr"]).contains("zk_version"));
    assert!(zk.ok(&["4lw", "wchs"]).contains("watching"));
    assert!(zk
        .fails(2, &["4lw", "nope"])
        .contains("unknown four-letter word"));
    let four = zk.json(&["envi"]);
    assert!(four["reply"]
        .as_str()
        .unwrap_or("")
        .contains("java.version"));
}

#[test]
fn a_server_that_is_down_is_a_clear_failure() {
    let mut zk = Zk::start();
    zk.server.stop();
    let err = zk.fails(3, &["ls", "/"]);
    assert!(err.contains("Connection refused"), "{err}");
    let err = zk.fails(3, &["ruok"]);
    assert!(err.contains(&zk.server.addr().to_string()), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(["-s", "not a host:xx", "ls", "/"])
        .output()
        .expect("zk");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn local_starts_a_throwaway_server() {
    let out = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(["--local", "--json", "create", "/tmp-node", "v"])
        .output()
        .expect("zk --local");
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["path"], "/tmp-node");
    assert!(String::from_utf8_lossy(&out.stderr).contains("local embedded server at 127.0.0.1:"));
}

#[test]
fn verbose_shows_the_connection_events() {
    let zk = Zk::start();
    let out = zk.run(&["-v", "ls", "/"]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let server = zk.server.addr().to_string();
    assert!(
        err.contains(&format!("zk: connected to {server} (session 0x")),
        "{err}"
    );
    assert!(err.contains("zk: session state: Connected"), "{err}");
    // Without -v, nothing but the output.
    let quiet = zk.run(&["ls", "/"]);
    assert!(quiet.status.success(), "{quiet:?}");
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
}

#[test]
fn connection_options_go_anywhere_and_paths_are_checked_as_the_library_checks_them() {
    let zk = Zk::start();
    // --server after the command (as --json and the TLS flags already could be).
    let out = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args([
            "ls",
            "/",
            "--server",
            &zk.server.connect_string(),
            "--verbose",
        ])
        .output()
        .expect("run zk");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("zookeeper"));
    // An empty node name is refused, not quietly made into /bad/path.
    let err = zk.fails(2, &["create", "/bad//path"]);
    assert!(
        err.contains("/bad//path") && err.contains("empty node name"),
        "{err}"
    );
    let err = zk.fails(4, &["create", "/a/b/c"]);
    assert!(
        err.contains("/a/b/c: its parent does not exist (-p creates missing parents)"),
        "{err}"
    );
    zk.ok(&["create", "-p", "/a/b/c"]);
}
