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

/// Starts `zk server --port 0` with `args`; the server (killed on drop) and where it serves.
fn serve(args: &[&str]) -> (Reaped, String) {
    let mut server = Reaped(
        Command::new(env!("CARGO_BIN_EXE_zk"))
            .args(["server", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("zk server"),
    );
    let mut lines = BufReader::new(server.0.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("text");
    let addr = first
        .strip_prefix("serving at ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_string();
    (server, addr)
}

/// `zk server --load` serves what a real ZooKeeper left in its data directory, whole or up to
/// a zxid; a directory that is not one, or a zxid that is not one, is refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zk_server_loads_a_zookeeper_data_directory() {
    let mut real = zk_testkit::TestServer::start().expect("ZooKeeper starts");
    let zk = Client::connect(&real.connect_string())
        .await
        .expect("connect");
    zk.create("/a", b"1", &CreateOptions::default())
        .await
        .expect("create");
    let set = zk.set_data("/a", b"2", None).await.expect("set");
    zk.create("/b", b"", &CreateOptions::default())
        .await
        .expect("create");
    zk.close().await;
    real.stop();
    let dir = real.dir().join("data");
    let dir = dir.to_str().expect("a UTF-8 path");

    let (_whole, addr) = serve(&["--load", dir]);
    let zk = Client::connect(&addr).await.expect("connect");
    assert_eq!(zk.get_data("/a").await.expect("get").0, b"2");
    assert!(zk.exists("/b").await.expect("exists").is_some());
    zk.close().await;

    let up_to = format!("{:#x}", set.mzxid);
    let (_then, addr) = serve(&["--load", dir, "--up-to", &up_to]);
    let zk = Client::connect(&addr).await.expect("connect");
    assert_eq!(zk.get_data("/a").await.expect("get").0, b"2");
    assert_eq!(zk.exists("/b").await.expect("exists"), None);
    zk.close().await;

    // Read-only: only clients that allow a read-only server connect, writes are refused,
    // and the state stays as loaded.
    let (_ro, addr) = serve(&["--load", dir, "--up-to", &up_to, "--read-only"]);
    let zk = zk_client::ClientBuilder::new(&addr)
        .read_only(true)
        .connect()
        .await
        .expect("a read-only client connects");
    assert_eq!(zk.state(), zk_client::SessionState::ConnectedReadOnly);
    assert_eq!(zk.get_data("/a").await.expect("get").0, b"2");
    assert_eq!(
        zk.create("/c", b"", &CreateOptions::default()).await,
        Err(zk_client::Error::NotReadOnly)
    );
    assert_eq!(
        zk.set_data("/a", b"3", None).await,
        Err(zk_client::Error::NotReadOnly)
    );
    assert_eq!(zk.get_data("/a").await.expect("get").0, b"2");
    zk.close().await;
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let srvr = zk_client::four_letter_word("127.0.0.1", port, "srvr", None, Duration::from_secs(5))
        .await
        .expect("srvr");
    assert!(
        String::from_utf8_lossy(&srvr).contains("Mode: read-only"),
        "{srvr:?}"
    );
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_zk"))
            .args(["-s", &addr, "--timeout-ms", "3000"])
            .args(args)
            .output()
            .expect("zk")
    };
    let got = cli(&["-r", "get", "/a"]);
    assert!(got.status.success(), "{got:?}");
    assert_eq!(String::from_utf8_lossy(&got.stdout).trim(), "2");
    let refused = cli(&["-r", "create", "/c", "x"]);
    assert!(!refused.status.success(), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr).to_lowercase();
    assert!(
        said.contains("read-only") || said.contains("not_read_only"),
        "{said}"
    );
    let not_allowed = cli(&["get", "/a"]);
    assert!(!not_allowed.status.success(), "{not_allowed:?}");

    let nowhere = real.dir().join("nowhere");
    let nowhere = nowhere.to_str().expect("a UTF-8 path");
    for (args, code, what) in [
        (vec!["--load", nowhere], 1, "no version-2 directory"),
        (vec!["--load", dir, "--up-to", "0xzz"], 2, "is not a zxid"),
        (vec!["--up-to", "5"], 2, "--load"),
        (vec!["--read-only"], 2, "--load"),
        (vec!["--load", dir, "--data-dir", dir], 2, "--data-dir"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_zk"))
            .args(["server", "--port", "0"])
            .args(&args)
            .output()
            .expect("zk server");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(what), "{args:?}: {err}");
    }
}
