//! `zk server --data-dir` killed with SIGKILL at random moments while a client pipelines
//! writes, and restarted on the same directory each time: every acknowledged write is there,
//! nothing unacknowledged is half-applied (a multi's two creates are both there or neither),
//! and sequence numbers never repeat. The default suite kills it a few times;
//! `ZK_CRASH_ROUNDS=100` is the longer run (`ZK_CRASH_SEED` repeats one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use zk_client::{Client, ClientBuilder, CreateMode, CreateOptions, Op};
use zk_testkit::ChildGuard;

/// What the server acknowledged, over every round.
#[derive(Default, Debug, Clone)]
struct Acked {
    /// Sequential creates: the names answered.
    seq: BTreeSet<String>,
    /// Multis creating `a-X` and `b-X`: the X answered.
    pairs: BTreeSet<String>,
    /// setData of each key: the highest data version answered (the writes of one key may
    /// reach the server in another order than they were numbered: their tasks run in any
    /// order, so the version the server gave says which came last).
    reg: BTreeMap<usize, i32>,
}

/// A xorshift, for the moments of the kills (seeded, so a run can be repeated).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const KEYS: usize = 8;

/// `zk server` on `dir`, and where it serves.
fn start(dir: &Path, logs: &Path, round: u64) -> (ChildGuard, String) {
    let stdout = logs.join(format!("out-{round}"));
    let stderr = logs.join(format!("err-{round}"));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zk"));
    cmd.args(["server", "--port", "0", "--data-dir"])
        .arg(dir)
        // Snapshots, log rolls and retention happen between the kills too.
        .args(["--snap-count", "300", "--prealloc-kb", "64"]);
    let mut child = ChildGuard::spawn_split(cmd, &stdout, &stderr).expect("zk server starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&stdout).unwrap_or_default();
        if let Some(addr) = text.lines().find_map(|l| l.strip_prefix("serving at ")) {
            return (child, addr.to_string());
        }
        if !child.is_running() || Instant::now() > deadline {
            panic!(
                "round {round}: zk server did not start on {}:\n{}",
                dir.display(),
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One write, numbered `i` in `round`; what it acknowledged goes into `acked`.
async fn write(zk: Client, round: u64, i: u64, acked: Arc<Mutex<Acked>>) {
    match i % 3 {
        0 => {
            let opts = CreateOptions::new(CreateMode::PersistentSequential);
            if let Ok((path, _)) = zk.create(&format!("/seq/r{round}-{i}-"), b"s", &opts).await {
                let name = path.trim_start_matches("/seq/").to_string();
                acked.lock().unwrap().seq.insert(name);
            }
        }
        1 => {
            let x = format!("{round}-{i}");
            let ops = [
                Op::create(format!("/pairs/a-{x}"), b"a".to_vec()),
                Op::create(format!("/pairs/b-{x}"), b"b".to_vec()),
            ];
            if zk.multi(&ops).await.is_ok() {
                acked.lock().unwrap().pairs.insert(x);
            }
        }
        _ => {
            let key = (i as usize / 3) % KEYS;
            let value = format!("{round}:{i}");
            if let Ok(stat) = zk
                .set_data(&format!("/reg/k{key}"), value.as_bytes(), None)
                .await
            {
                let mut a = acked.lock().unwrap();
                let newest = a.reg.entry(key).or_default();
                *newest = (*newest).max(stat.version);
            }
        }
    }
}

/// Reads the recovered state and holds it to what was acknowledged.
async fn check(zk: &Client, acked: &Acked, round: u64) {
    let seq = zk.get_children("/seq").await.unwrap();
    let names: BTreeSet<String> = seq.iter().cloned().collect();
    let lost: Vec<&String> = acked.seq.difference(&names).take(5).collect();
    assert!(
        lost.is_empty(),
        "round {round}: acknowledged creates lost: {lost:?}"
    );
    let mut numbers = BTreeSet::new();
    for name in &seq {
        let number = &name[name.len() - 10..];
        assert!(
            numbers.insert(number.to_string()),
            "round {round}: sequence number {number} given twice"
        );
    }
    let pairs = zk.get_children("/pairs").await.unwrap();
    let (a, b): (BTreeSet<&str>, BTreeSet<&str>) = (
        pairs.iter().filter_map(|p| p.strip_prefix("a-")).collect(),
        pairs.iter().filter_map(|p| p.strip_prefix("b-")).collect(),
    );
    assert_eq!(a, b, "round {round}: a multi half-applied");
    for x in &acked.pairs {
        assert!(
            a.contains(x.as_str()),
            "round {round}: acknowledged multi {x} lost"
        );
    }
    for (key, newest) in &acked.reg {
        let (_, stat) = zk.get_data(&format!("/reg/k{key}")).await.unwrap();
        assert!(
            stat.version >= *newest,
            "round {round}: /reg/k{key} is at version {}, before the acknowledged {newest}",
            stat.version
        );
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zk-crash-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let rounds: u64 = std::env::var("ZK_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(4);
    let seed: u64 = std::env::var("ZK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("ZK_CRASH_SEED={seed} ZK_CRASH_ROUNDS={rounds}");
    let mut rng = Rng(seed | 1);
    let dir = scratch("data");
    let logs = scratch("logs");
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut total_kills = 0;
    for round in 0..=rounds {
        let (mut server, addr) = start(&dir, &logs, round);
        let zk = ClientBuilder::new(&addr)
            .session_timeout(Duration::from_secs(10))
            .connect()
            .await
            .expect("connect");
        if round == 0 {
            for p in ["/seq", "/pairs", "/reg"] {
                zk.create(p, b"", &CreateOptions::default()).await.unwrap();
            }
            for k in 0..KEYS {
                zk.create(&format!("/reg/k{k}"), b"0:0", &CreateOptions::default())
                    .await
                    .unwrap();
            }
        } else {
            let so_far = acked.lock().unwrap().clone();
            check(&zk, &so_far, round).await;
        }
        if round == rounds {
            zk.close().await;
            drop(server);
            break;
        }
        // Writes, 64 in flight, until the kill.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (zk, acked, stop) = (zk.clone(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut inflight = JoinSet::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    while inflight.len() < 64 {
                        inflight.spawn(write(zk.clone(), round, i, acked.clone()));
                        i += 1;
                    }
                    inflight.join_next().await;
                }
                inflight.abort_all();
            })
        };
        tokio::time::sleep(Duration::from_millis(100 + rng.below(500))).await;
        server.signal("KILL").expect("SIGKILL");
        assert!(
            server.wait_or_kill(Duration::from_secs(10)).is_some(),
            "round {round}: killed"
        );
        total_kills += 1;
        stop.store(true, Ordering::Relaxed);
        writer.abort();
        let _ = writer.await;
        drop(zk);
    }
    let a = acked.lock().unwrap();
    eprintln!(
        "{total_kills} kills; acknowledged: {} sequential creates, {} multis, setData up to version {:?}",
        a.seq.len(),
        a.pairs.len(),
        a.reg.values().max()
    );
    assert!(
        a.seq.len() as u64 >= rounds && !a.pairs.is_empty(),
        "too few writes were acknowledged to mean anything"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&logs).unwrap();
}

/// A disk that fills up (here: a file size limit, `ulimit -f`, which fails writes past 1 MiB
/// with EFBIG as a full disk fails them with ENOSPC): the server stops answering, exits with
/// an error saying why, and every write it answered is there when it is started again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_acknowledgements() {
    let dir = scratch("full");
    let logs = scratch("full-logs");
    let stderr = logs.join("err");
    let script = format!(
        "trap '' XFSZ; ulimit -f 1024; exec {} server --port 0 --data-dir {} --prealloc-kb 64",
        env!("CARGO_BIN_EXE_zk"),
        dir.display()
    );
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["-c", &script]);
    let stdout = logs.join("out");
    let mut server = ChildGuard::spawn_split(cmd, &stdout, &stderr).expect("bash starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        let text = std::fs::read_to_string(&stdout).unwrap_or_default();
        if let Some(addr) = text.lines().find_map(|l| l.strip_prefix("serving at ")) {
            break addr.to_string();
        }
        assert!(
            server.is_running() && Instant::now() < deadline,
            "zk server did not start:\n{}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let zk = ClientBuilder::new(&addr)
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    let data = vec![7u8; 4096];
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..1000 {
        let path = format!("/n{i}");
        match zk.create(&path, &data, &CreateOptions::default()).await {
            Ok(_) => acked.push(path),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("writes past 1 MiB of log are refused");
    drop(zk);
    let status = server
        .wait_or_kill(Duration::from_secs(30))
        .expect("zk server exits");
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert!(!status.success(), "{status:?}: {said}");
    assert!(
        said.contains("stopped serving: the transaction log cannot be written")
            && said.contains("File too large"),
        "{said}"
    );
    assert!(
        acked.len() > 100 && acked.len() < 256,
        "{} writes answered before {refused}",
        acked.len()
    );

    // Started again without the limit: every answered write is there.
    let (server, addr) = start(&dir, &logs, 1);
    let zk = Client::connect(&addr).await.expect("connect");
    for path in &acked {
        assert!(zk.exists(path).await.unwrap().is_some(), "{path} lost");
    }
    zk.close().await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&logs).unwrap();
}
