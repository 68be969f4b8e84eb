//! `zk lock`'s command never outlives its lock: whichever way zk ends (a signal, the lock
//! lost, the command exiting with something still running in the background), no process of
//! the command's group is left when another holder acquires.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use zk_client::{Client, ClientBuilder};
use zk_recipes::Lock;
use zk_testkit::TestServer;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn client(server: &TestServer) -> Client {
    ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect")
}

/// A scratch directory for the commands' pid files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zk-lock-process-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Starts `zk lock PATH [flags] -- sh -c SCRIPT`, where SCRIPT first writes its process id (the
/// group's id) to `pid_file`; returns zk and the command's group id.
async fn zk_lock(
    server: &TestServer,
    path: &str,
    flags: &[&str],
    script: &str,
    pid_file: &Path,
) -> (Child, i32) {
    let script = format!("echo $$ > {}; {script}", pid_file.display());
    let child = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(["-s", &server.connect_string(), "lock", path])
        .args(flags)
        .args(["--", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zk lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    let pgid = loop {
        if let Some(pid) = std::fs::read_to_string(pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "the command never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Let the script start its sleeps.
    tokio::time::sleep(Duration::from_millis(200)).await;
    (child, pgid)
}

/// Whether any process of group `pgid` is left.
fn group_alive(pgid: i32) -> bool {
    kill(Pid::from_raw(-pgid), None).is_ok()
}

async fn wait_output(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .expect("join")
}

/// Another holder waits for the lock; resolves with whether the command's group was gone when
/// it acquired.
fn contender(zk: Client, path: &'static str, pgid: i32) -> tokio::task::JoinHandle<bool> {
    tokio::spawn(async move {
        let guard = Lock::new(&zk, path).acquire().await.expect("acquire");
        let gone = !group_alive(pgid);
        guard.release().await;
        gone
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_signal_is_passed_to_the_command_group_before_the_lock_is_released() {
    let server = TestServer::start().expect("server");
    let admin = client(&server).await;
    let dir = scratch("signals");
    let cases = [
        (Signal::SIGTERM, "/sig/term"),
        (Signal::SIGINT, "/sig/int"),
        (Signal::SIGHUP, "/sig/hup"),
        (Signal::SIGQUIT, "/sig/quit"),
    ];
    for (sig, path) in cases {
        let pid_file = dir.join(path.replace('/', "_"));
        // A shell with a background and a foreground sleep: three processes in the group.
        let (zk, pgid) = zk_lock(
            &server,
            path,
            &[],
            "sleep 120 & sleep 120; echo after",
            &pid_file,
        )
        .await;
        assert!(group_alive(pgid), "the command's group is not running");
        let other = contender(admin.clone(), path, pgid);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!other.is_finished(), "{path}: acquired while zk held it");
        let zk_pid = Pid::from_raw(i32::try_from(zk.id()).expect("pid"));
        kill(zk_pid, sig).expect("signal zk");
        let out = wait_output(zk).await;
        assert_eq!(
            out.status.code(),
            Some(128 + sig as i32),
            "{sig}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(&format!("{sig} received")),
            "{}",
            text(&out.stderr)
        );
        assert!(!text(&out.stdout).contains("after"), "the script went on");
        let gone = tokio::time::timeout(Duration::from_secs(20), other)
            .await
            .expect("the other holder never acquired")
            .expect("join");
        assert!(
            gone,
            "{sig}: the command's group still ran when the lock was taken again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_ignores_the_signal_is_killed_after_the_grace_period() {
    let server = TestServer::start().expect("server");
    let admin = client(&server).await;
    let dir = scratch("ignores");
    // SIGTERM ignored by the shell and (inherited) by its sleeps.
    let (zk, pgid) = zk_lock(
        &server,
        "/sig/stubborn",
        &["--kill-after", "1"],
        "trap '' TERM; sleep 120 & sleep 120",
        &dir.join("pid"),
    )
    .await;
    let other = contender(admin.clone(), "/sig/stubborn", pgid);
    let sent = Instant::now();
    let zk_pid = Pid::from_raw(i32::try_from(zk.id()).expect("pid"));
    kill(zk_pid, Signal::SIGTERM).expect("signal zk");
    let out = wait_output(zk).await;
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    assert!(
        sent.elapsed() >= Duration::from_secs(1),
        "not given its grace"
    );
    assert!(!group_alive(pgid), "the group outlived zk");
    assert!(other.await.expect("join"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_group_is_stopped_when_the_lock_is_lost_or_the_command_exits() {
    let server = TestServer::start().expect("server");
    let admin = client(&server).await;
    let dir = scratch("lost");
    // Lost: the lock node deleted under it. `sleep` is the shell's child, not the shell.
    let (zk, pgid) = zk_lock(
        &server,
        "/grp/lost",
        &[],
        "sleep 120; echo after",
        &dir.join("lost"),
    )
    .await;
    let node = admin.get_children("/grp/lost").await.expect("children");
    assert_eq!(node.len(), 1, "{node:?}");
    admin
        .delete(&format!("/grp/lost/{}", node[0]), None)
        .await
        .expect("delete the lock node");
    let out = wait_output(zk).await;
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(!group_alive(pgid), "sleep outlived the lost lock");

    // The command exits and leaves a process in the background: it is stopped before the
    // lock is released, and the command's status is kept.
    let (zk, pgid) = zk_lock(
        &server,
        "/grp/exit",
        &[],
        "sleep 120 & exit 4",
        &dir.join("exit"),
    )
    .await;
    let out = wait_output(zk).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(!group_alive(pgid), "the background sleep outlived the lock");
    assert_eq!(admin.get_children("/grp/exit").await, Ok(Vec::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layout_kazoo_contends_with_kazoos_lock_and_a_huge_timeout_waits_without_limit() {
    let server = TestServer::start().expect("server");
    let admin = client(&server).await;
    let held = Lock::new(&admin, "/kz/lock")
        .kazoo()
        .data("lib")
        .acquire()
        .await
        .expect("kazoo-layout lock");
    let zk = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_zk"))
            .args(["-s", &server.connect_string(), "lock"])
            .args(args)
            .output()
            .expect("zk")
    };
    let out = zk(&[
        "/kz/lock",
        "--layout",
        "kazoo",
        "--timeout",
        "0.5",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    held.release().await;
    let out = zk(&[
        "--json", "/kz/lock", "--layout", "kazoo", "--id", "cli", "--", "true",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let event: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).expect("json");
    let node = event["node"].as_str().expect("node");
    assert!(node.contains("__lock__"), "not kazoo's layout: {node}");

    // A timeout past any clock: no limit (it panicked with an overflow before).
    let out = zk(&["/free", "--timeout", "1e19", "--", "true"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = zk(&["/free", "--timeout", "-1", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
