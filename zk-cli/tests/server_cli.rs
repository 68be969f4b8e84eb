//! `zk server`: the embedded server in the foreground. It says where it listens, serves a
//! client, and a SIGTERM stops it cleanly (exit 0).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use zk_client::{Client, CreateOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zk_server_serves_until_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args([
            "server",
            "--port",
            "0",
            "--tick-time",
            "200",
            "--4lw",
            "ruok,srvr",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("zk server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::task::spawn_blocking(move || {
        let line = lines.next().expect("a line").expect("text");
        (line, lines)
    });
    let (line, mut lines) = tokio::time::timeout(Duration::from_secs(30), first)
        .await
        .expect("it says where it listens in time")
        .expect("task");
    let addr = line
        .strip_prefix("serving at ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let word = |w: &'static str| {
        zk_client::four_letter_word("127.0.0.1", port, w, None, Duration::from_secs(5))
    };
    assert_eq!(word("ruok").await.expect("ruok"), b"imok");
    let srvr = String::from_utf8(word("srvr").await.expect("srvr")).unwrap();
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
    assert_eq!(
        word("mntr").await.expect("mntr"),
        b"mntr is not executed because it is not in the whitelist.\n"
    );
    let zk = Client::connect(&addr).await.expect("connect");
    zk.create("/from-cli", b"hi", &CreateOptions::default())
        .await
        .expect("create");
    assert_eq!(zk.get_data("/from-cli").await.expect("get").0, b"hi");
    zk.close().await;
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("task")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    assert_eq!(
        lines.next().expect("a last line").expect("text"),
        "stopped by SIGTERM"
    );
}

#[test]
fn bad_options_are_refused_by_name() {
    for (args, what) in [
        (
            &["--4lw", "ruok,nope"][..],
            "\"nope\" is not a four-letter word",
        ),
        (&["--super-digest", "nocolon"][..], "is not user:base64"),
        (&["--container-check", "0"][..], "--container-check"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_zk"))
            .arg("server")
            .args(args)
            .output()
            .expect("zk server");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(what), "{args:?}: {err}");
    }
}

/// Kills and reaps the server when the test ends, passed or not (an orphan would hold the
/// test's output open).
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// ZooKeeper's own command line (Debian's `zkCli.sh`, installed by the test kit) works against
/// `zk server`: create, get, set, ls, stat, delete.
#[test]
fn zookeepers_zkcli_works_against_zk_server() {
    zk_testkit::ensure_installed().expect("ZooKeeper's package");
    let mut server = Reaped(
        Command::new(env!("CARGO_BIN_EXE_zk"))
            .args(["server", "--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("zk server"),
    );
    let mut lines = BufReader::new(server.0.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("text");
    let addr = first
        .strip_prefix("serving at ")
        .expect("where it serves")
        .to_string();
    // What zkCli prints, both streams (results go to either, by command).
    let cli = |args: &[&str]| {
        let out = Command::new("/usr/share/zookeeper/bin/zkCli.sh")
            .arg("-server")
            .arg(&addr)
            .args(args)
            .output()
            .expect("zkCli.sh");
        assert!(out.status.success(), "{args:?}: {out:?}");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let created = cli(&["create", "/zkcli", "hello"]);
    assert!(created.contains("Created /zkcli"), "{created}");
    assert!(cli(&["get", "/zkcli"]).lines().any(|l| l == "hello"));
    cli(&["set", "/zkcli", "again"]);
    let stat = cli(&["stat", "/zkcli"]);
    assert!(stat.contains("dataVersion = 1"), "{stat}");
    assert!(stat.contains("dataLength = 5"), "{stat}");
    assert!(cli(&["ls", "/"]).contains("[zkcli, zookeeper]"));
    cli(&["delete", "/zkcli"]);
    assert!(cli(&["ls", "/"]).contains("[zookeeper]"));
    let pid = Pid::from_raw(i32::try_from(server.0.id()).expect("pid"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
    assert!(server.0.wait().expect("wait").success());
}
