//! `zk lock` and `zk leader` as processes: the command's exit status passed through, the node
//! and fencing token in its environment, a timeout, the command stopped when the lock is lost,
//! and contention with Curator processes on the same path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use zk_client::{Client, ClientBuilder};
use zk_testkit::{check_turns, CuratorContender, CuratorRecipe, TestServer};

fn zk(server: &TestServer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .arg("-s")
        .arg(server.connect_string())
        .args(args)
        .output()
        .expect("run zk")
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_runs_the_command_with_its_token_and_passes_its_status() {
    let server = TestServer::start().expect("server");
    let out = zk(
        &server,
        &[
            "--json",
            "lock",
            "/jobs/a",
            "--",
            "sh",
            "-c",
            "echo token=$ZK_FENCING_TOKEN node=$ZK_NODE; exit 3",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    let event: serde_json::Value =
        serde_json::from_str(lines.next().expect("event")).expect("json");
    assert_eq!(event["event"], "acquired");
    let token = event["fencing_token"].as_i64().expect("token");
    let node = event["node"].as_str().expect("node");
    assert_eq!(
        lines.next(),
        Some(format!("token={token} node={node}").as_str())
    );
    assert!(
        node.starts_with("/jobs/a/_c_") && node.ends_with("-lock-0000000000"),
        "{node}"
    );
    // Released after the command: the lock's directory is empty.
    let admin = client(&server).await;
    assert_eq!(admin.get_children("/jobs/a").await, Ok(Vec::new()));

    // Leadership the same way, with the id as the node's data.
    let out = zk(
        &server,
        &[
            "leader", "/jobs/e", "--id", "cli-1", "--", "sh", "-c", "exit 0",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("zk: leading /jobs/e"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_gives_up_after_its_timeout_and_stops_the_command_on_loss() {
    let server = TestServer::start().expect("server");
    let zk_a = client(&server).await;
    let held = zk_recipes::Lock::new(&zk_a, "/jobs/b")
        .acquire()
        .await
        .expect("held");
    let started = Instant::now();
    let out = zk(
        &server,
        &["lock", "/jobs/b", "--timeout", "0.5", "--", "true"],
    );
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("the lock did not come within"),
        "{}",
        text(&out.stderr)
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(
        zk_a.get_children("/jobs/b").await.expect("children").len(),
        1
    );
    held.release().await;

    // The lock node deleted under a running command: the command is stopped, exit 6.
    let child = Command::new(env!("CARGO_BIN_EXE_zk"))
        .arg("-s")
        .arg(server.connect_string())
        .args(["lock", "/jobs/b", "--", "sleep", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zk lock");
    let deadline = Instant::now() + Duration::from_secs(10);
    let node = loop {
        let children = zk_a.get_children("/jobs/b").await.unwrap_or_default();
        if let Some(c) = children.first() {
            break format!("/jobs/b/{c}");
        }
        assert!(Instant::now() < deadline, "zk lock never took the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cut = Instant::now();
    zk_a.delete(&node, None)
        .await
        .expect("delete the lock node");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .expect("join");
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(
        cut.elapsed() < Duration::from_secs(10),
        "the command was not stopped"
    );
    assert!(
        text(&out.stderr)
            .contains("the lock lost (the node was deleted by someone else); stopping sleep"),
        "{}",
        text(&out.stderr)
    );
}

async fn contend_with_curator(recipe: CuratorRecipe, command: &'static str, path: &'static str) {
    const ROUNDS: usize = 10;
    let curator = CuratorContender::compile(&format!("cli-{recipe:?}")).expect("Curator");
    let server = TestServer::start().expect("server");
    let log = curator.file("markers.log");
    let java = curator
        .spawn(&server.connect_string(), recipe, path, ROUNDS, &log)
        .expect("java");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("curator in")
    {
        assert!(
            Instant::now() < deadline,
            "the Curator process never took the recipe"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let script = format!(
        "echo 'zk in' >> {0}; sleep 0.02; echo 'zk out' >> {0}",
        log.display()
    );
    let connect = server.connect_string();
    let ours = tokio::task::spawn_blocking(move || {
        for _ in 0..ROUNDS {
            let out = Command::new(env!("CARGO_BIN_EXE_zk"))
                .args(["-s", &connect, command, path, "--", "sh", "-c", &script])
                .output()
                .expect("zk");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    let java = tokio::task::spawn_blocking(move || java.wait_with_output().expect("java"))
        .await
        .expect("join");
    assert!(java.status.success(), "{}", text(&java.stderr));
    ours.await.expect("our side");
    let turns = check_turns(&log).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(turns.by_side.get("zk"), Some(&ROUNDS), "{turns:?}");
    assert_eq!(turns.by_side.get("curator"), Some(&ROUNDS), "{turns:?}");
    assert!(turns.switches >= 4, "no contention: {turns:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zk_lock_contends_with_curators_mutex() {
    contend_with_curator(CuratorRecipe::Mutex, "lock", "/interop/cli-mutex").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zk_leader_contends_with_curators_leader_latch() {
    contend_with_curator(CuratorRecipe::LeaderLatch, "leader", "/interop/cli-latch").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_adds_in_curators_encodings_and_cache_follows_a_tree() {
    use std::io::{BufRead, BufReader};
    let server = TestServer::start().expect("server");
    let out = zk(&server, &["counter", "/stats/n", "--add", "5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "5\n");
    let out = zk(&server, &["--json", "counter", "/stats/n", "--add", "-2"]);
    assert_eq!(text(&out.stdout).trim(), r#"{"path":"/stats/n","value":3}"#);
    let admin = client(&server).await;
    assert_eq!(
        admin.get_data("/stats/n").await.expect("get").0,
        [0, 0, 0, 3]
    );
    let out = zk(
        &server,
        &["counter", "/stats/l", "--long", "--add", "4294967296"],
    );
    assert_eq!(text(&out.stdout), "4294967296\n", "{}", text(&out.stderr));
    assert_eq!(
        admin.get_data("/stats/l").await.expect("get").0,
        [0, 0, 0, 1, 0, 0, 0, 0]
    );
    let out = zk(&server, &["counter", "/stats/n", "--add", "4294967296"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // A node that is not a counter of that width is refused, never written: text, and an
    // 8-byte counter without --long.
    admin
        .create("/stats/text", b"hello world", &Default::default())
        .await
        .expect("create");
    for (path, args, before) in [
        ("/stats/text", vec![], b"hello world".to_vec()),
        ("/stats/l", vec![], vec![0, 0, 0, 1, 0, 0, 0, 0]),
        ("/stats/n", vec!["--long"], vec![0, 0, 0, 3]),
    ] {
        let mut argv = vec!["counter", path, "--add", "1"];
        argv.extend(args);
        let out = zk(&server, &argv);
        assert!(!out.status.success(), "{argv:?} succeeded");
        assert!(
            text(&out.stderr).contains(&format!("{path} holds {} bytes", before.len())),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(
            admin.get_data(path).await.expect("get").0,
            before,
            "{path} was written"
        );
    }

    // --once: the tree and exit.
    let out = zk(&server, &["cache", "/stats", "--once"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(
        lines.last().map(String::as_str),
        Some("initialized"),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("added /stats/n ")),
        "{lines:?}"
    );
    // Following: a change appears as a line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(["-s", &server.connect_string(), "--json", "cache", "/stats"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zk cache");
    let stdout = child.stdout.take().expect("stdout");
    let lines = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let done = line.contains(r#""event":"removed""#);
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    // Wait until it is initialized (its persistent watch is registered on the server).
    while !server
        .four_letter_word("wchc")
        .expect("wchc")
        .contains("/stats")
    {
        assert!(Instant::now() < deadline, "zk cache never watched");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    admin.set_data("/stats/l", b"x", None).await.expect("set");
    admin.delete("/stats/n", None).await.expect("delete");
    let seen = tokio::task::spawn_blocking(move || lines.join().expect("reader"))
        .await
        .expect("join");
    let _ = child.kill();
    let _ = child.wait();
    let events: Vec<serde_json::Value> = seen
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        events.iter().any(|e| e["event"] == "initialized"),
        "{seen:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "updated" && e["path"] == "/stats/l" && e["data"] == "x"),
        "{seen:?}"
    );
    assert_eq!(
        events.last().map(|e| e["path"].clone()),
        Some("/stats/n".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_node_is_named_and_skipped_by_cache_and_ls() {
    use zk_client::acl::{digest, perms};
    let server = TestServer::start().expect("server");
    let admin = client(&server).await;
    let secret = zk_client::CreateOptions::default().with_acl(vec![digest("o", "pw", perms::ALL)]);
    for (p, opts) in [
        ("/t", Default::default()),
        ("/t/a", Default::default()),
        ("/t/locked", secret),
        ("/t/z", Default::default()),
    ] {
        admin.create(p, b"x", &opts).await.expect("create");
    }
    let out = zk(&server, &["cache", "/t", "--once"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("unreadable /t/locked: not authorized"),
        "{stdout}"
    );
    assert!(stdout.contains("added /t/z "), "{stdout}");
    let out = zk(&server, &["ls", "-R", "/t"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "/t\n/t/a\n/t/locked\n/t/z\n");
    assert!(
        text(&out.stderr).contains("/t/locked: not authorized to list its children"),
        "{}",
        text(&out.stderr)
    );
}
