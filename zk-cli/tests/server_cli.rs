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
        .args(["server", "--port", "0", "--tick-time", "200"])
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
