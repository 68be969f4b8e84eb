//! Our recipes and Apache Curator 5.4's (Debian's jars, installed by the test kit) contend on
//! one path: a Java process and this one each append "in"/"out" lines around their critical
//! sections to one log, and the log must alternate strictly (no overlap) with both sides
//! getting turns. Also our nodes as Curator names them, and Curator's as we order them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use zk_client::{Client, ClientBuilder};
use zk_recipes::{LeaderLatch, Lock};
use zk_testkit::TestServer;

const JARS: &[&str] = &[
    "curator-recipes.jar",
    "curator-framework.jar",
    "curator-client.jar",
    "zookeeper.jar",
    "zookeeper-jute.jar",
    "guava.jar",
    "slf4j-api.jar",
];

fn classpath(extra: &Path) -> String {
    let mut parts: Vec<String> = JARS
        .iter()
        .map(|j| format!("/usr/share/java/{j}"))
        .collect();
    parts.insert(0, extra.display().to_string());
    parts.join(":")
}

/// Compiles the contender once per test binary run into a temporary directory.
fn compiled(kind: &str) -> PathBuf {
    zk_testkit::ensure_installed().expect("ZooKeeper");
    zk_testkit::ensure_program("javac").expect("a JDK");
    zk_testkit::ensure_packages(&["libcurator-recipes-java", "libcurator-framework-java"])
        .expect("Curator from Debian");
    let out =
        std::env::temp_dir().join(format!("zk-recipes-curator-{kind}-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("dir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/CuratorContender.java");
    let javac = Command::new("javac")
        .arg("-cp")
        .arg(classpath(&out))
        .arg("-d")
        .arg(&out)
        .arg(&source)
        .output()
        .expect("javac");
    assert!(
        javac.status.success(),
        "{}",
        String::from_utf8_lossy(&javac.stderr)
    );
    out
}

fn mark(log: &Path, what: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .expect("log");
    writeln!(f, "rust {what}").expect("write");
}

/// The log alternates in/out of one side at a time; returns the turns per side and how often
/// the holder changed sides.
fn check_no_overlap(log: &Path) -> (usize, usize, usize) {
    let text = std::fs::read_to_string(log).expect("log");
    let mut holder: Option<&str> = None;
    let (mut rust, mut curator, mut switches) = (0, 0, 0);
    let mut last: Option<&str> = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (who, what) = (words.next().expect("who"), words.next().expect("what"));
        match (what, holder) {
            ("in", None) => {
                holder = Some(who);
                if last.is_some_and(|l| l != who) {
                    switches += 1;
                }
                last = Some(who);
                if who == "rust" {
                    rust += 1;
                } else {
                    curator += 1;
                }
            }
            ("out", Some(h)) if h == who => holder = None,
            _ => panic!("overlap at {line:?} while {holder:?} held:\n{text}"),
        }
    }
    assert_eq!(holder, None, "{text}");
    (rust, curator, switches)
}

async fn client(server: &TestServer) -> Client {
    ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect")
}

async fn contend(
    kind: &str,
    path: &str,
    ours: impl FnOnce(Client, PathBuf) -> tokio::task::JoinHandle<()>,
) {
    let classes = compiled(kind);
    let server = TestServer::start().expect("server");
    let log = classes.join(format!("{kind}.log"));
    let _ = std::fs::remove_file(&log);
    let java = Command::new("java")
        .arg("-cp")
        .arg(classpath(&classes))
        .arg("CuratorContender")
        .arg(server.connect_string())
        .arg(kind)
        .arg(path)
        .arg("15")
        .arg(&log)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("java");
    let zk = client(&server).await;
    // Start contending once the Java side holds the recipe for the first time (its JVM takes
    // a while to start).
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
    let rust = ours(zk.clone(), log.clone());
    let java = tokio::task::spawn_blocking(move || java.wait_with_output().expect("java"))
        .await
        .expect("join");
    assert!(
        java.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&java.stdout),
        String::from_utf8_lossy(&java.stderr)
    );
    rust.await.expect("our side");
    let (r, c, switches) = check_no_overlap(&log);
    assert_eq!((r, c), (15, 15), "both sides get every turn");
    // The sides contended: the lock went back and forth, not 15 turns then 15.
    assert!(
        switches >= 6,
        "only {switches} changes of holder: no contention"
    );
    let _ = std::fs::remove_dir_all(&classes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_lock_and_curators_interprocess_mutex_exclude_each_other() {
    let path = "/interop/mutex";
    contend("mutex", path, |zk, log| {
        tokio::spawn(async move {
            let lock = Lock::new(&zk, path);
            for _ in 0..15 {
                let g = lock.acquire().await.expect("acquire");
                // Curator sees a protected lock node of its own layout.
                let name = g.node().rsplit('/').next().expect("name").to_string();
                assert!(
                    zk_client::protected::is_protected(&name) && name.contains("-lock-"),
                    "{name}"
                );
                mark(&log, "in");
                tokio::time::sleep(Duration::from_millis(20)).await;
                mark(&log, "out");
                g.release().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_leader_latch_and_curators_take_turns() {
    let path = "/interop/latch";
    contend("latch", path, |zk, log| {
        tokio::spawn(async move {
            for i in 0..15 {
                let latch = LeaderLatch::new(&zk, path, &format!("rust-{i}"));
                let started = Instant::now();
                let lead = latch.leadership().await.expect("leadership");
                assert!(started.elapsed() < Duration::from_secs(30));
                mark(&log, "in");
                tokio::time::sleep(Duration::from_millis(20)).await;
                mark(&log, "out");
                lead.release().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    })
    .await;
}
