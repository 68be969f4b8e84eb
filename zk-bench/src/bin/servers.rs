//! The embedded server beside ZooKeeper 3.8 standalone, one client (zk-client) measuring both
//! the same way: `cargo build --release -p zk-tools && cargo run --release -p zk-bench --bin
//! servers`.
//!
//! - **start**: from nothing to the first answered request. Ours in-process (`Server::builder()
//!   .start()`, a connect, an `exists`); ZooKeeper as a JVM (`java ... ZooKeeperServerMain`,
//!   then connect attempts every 10 ms until one is answered).
//! - **throughput**: get-1k-c64, set-1k-c64 and create-delete-c64: 64 requests in flight on one
//!   session, 1 s of warm-up then 3 s measured, rounds alternating the servers; medians. Both
//!   servers run as their own process (`zk server`, and the JVM with its default flags and a
//!   1 GiB heap).
//!   Ours keeps no data directory there; ZooKeeper syncs its log (its default), so these rows
//!   compare an in-memory server with a durable one.
//! - **durable throughput**: set-1k-c64 and create-delete-c64 again with ours keeping a data
//!   directory (`zk server --data-dir`, fsync on, its default), both servers' directories on
//!   the same disk: each write answered only once its log entry is synced, by both.
//! - **recovery**: a data directory of 1,000,000 transactions in one log after an empty
//!   snapshot (written by ours: 100,000 creates of 100 bytes, then 900,000 setData of 100
//!   bytes, 64 in flight), copied afresh for each start; from starting the process on the copy
//!   to the first answered request (both read the log, then write a snapshot, as ZooKeeper
//!   does at every start). ZooKeeper's time from an empty directory is printed beside it.
//! - **memory**: 100,000 nodes of 100 bytes created; ZooKeeper's heap in use after a full GC
//!   (`jcmd GC.run`, `GC.heap_info`), and our whole process's resident memory (RSS), each
//!   minus the same figure before the nodes.
//!
//! Prints a Markdown table.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zk_client::{Client, CreateOptions};

type Error = Box<dyn std::error::Error>;

const IN_FLIGHT: usize = 64;
const NODES: usize = 100_000;
const ROUNDS: usize = 3;

/// A server process, killed and reaped on drop.
struct Proc {
    child: Child,
    addr: String,
    _dir: Option<PathBuf>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(d) = &self._dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Numbers the scratch directories.
static DIRS: AtomicU64 = AtomicU64::new(0);

fn scratch(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "zk-bench-servers-{}-{what}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::Relaxed)
    ))
}

/// ZooKeeper 3.8 standalone as Debian installs it, with the JVM's default flags.
fn start_zookeeper() -> Result<Proc, Error> {
    start_zookeeper_on(None)
}

/// The same, on a data directory of its own (`data`: moved in as its `dataDir`).
fn start_zookeeper_on(data: Option<PathBuf>) -> Result<Proc, Error> {
    zk_testkit::ensure_installed()?;
    let dir = scratch("zookeeper");
    std::fs::create_dir_all(&dir)?;
    match data {
        Some(d) => std::fs::rename(d, dir.join("data"))?,
        None => std::fs::create_dir_all(dir.join("data"))?,
    }
    let port = free_port()?;
    std::fs::write(
        dir.join("zoo.cfg"),
        format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             maxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=*\n",
            dir.join("data").display()
        ),
    )?;
    let child = Command::new("java")
        .arg("-Xmx1g")
        .arg("-cp")
        .arg(format!("{}:{}", dir.display(), zk_testkit::ZOOKEEPER_JAR))
        .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
        .arg(dir.join("zoo.cfg"))
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(Proc {
        child,
        addr: format!("127.0.0.1:{port}"),
        _dir: Some(dir),
    })
}

/// `zk server` from the same target directory as this program.
fn start_ours() -> Result<Proc, Error> {
    start_ours_with(&[], None)
}

/// `zk server` with `args`, on `data` (a data directory, removed with it) when given.
fn start_ours_with(args: &[&str], data: Option<PathBuf>) -> Result<Proc, Error> {
    let zk = std::env::current_exe()?
        .parent()
        .map(|d| d.join("zk"))
        .filter(|p| p.exists())
        .ok_or("no zk binary beside this one: cargo build --release -p zk-tools first")?;
    let port = free_port()?;
    let mut cmd = Command::new(zk);
    cmd.args(["server", "--port", &port.to_string()]).args(args);
    if let Some(d) = &data {
        cmd.arg("--data-dir").arg(d);
    }
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    Ok(Proc {
        child,
        addr: format!("127.0.0.1:{port}"),
        _dir: data,
    })
}

/// Connects, retrying every 10 ms until a server answers (or 60 s pass).
async fn first_answer(addr: &str) -> Result<Client, Error> {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let attempt = zk_client::ClientBuilder::new(addr)
            .connect_timeout(Duration::from_millis(500))
            .connect()
            .await;
        if let Ok(zk) = attempt {
            if zk.exists("/").await.is_ok() {
                return Ok(zk);
            }
        }
        if Instant::now() > until {
            return Err(format!("{addr} never answered").into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Milliseconds from nothing to the first answered request: (ours in-process, ZooKeeper).
async fn startup() -> Result<(f64, f64), Error> {
    let mut ours = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let server = zk_server::Server::builder().start().await?;
        let zk = first_answer(&server.connect_string()).await?;
        ours.push(t.elapsed().as_secs_f64() * 1000.0);
        zk.close().await;
    }
    let mut theirs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let server = start_zookeeper()?;
        let zk = first_answer(&server.addr).await?;
        theirs.push(t.elapsed().as_secs_f64() * 1000.0);
        zk.close().await;
    }
    Ok((median(ours), median(theirs)))
}

#[derive(Clone, Copy, Debug)]
enum Load {
    Get,
    Set,
    CreateDelete,
}

/// Operations per second of `load` with 64 in flight on one session.
async fn throughput(addr: &str, load: Load) -> Result<f64, Error> {
    let zk = first_answer(addr).await?;
    let _ = zk.create("/bench", b"", &CreateOptions::default()).await;
    let data = vec![b'x'; 1024];
    for i in 0..IN_FLIGHT {
        let _ = zk
            .create(&format!("/bench/n{i}"), &data, &CreateOptions::default())
            .await;
    }
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..IN_FLIGHT {
        let (zk, done, stop, data) = (zk.clone(), done.clone(), stop.clone(), data.clone());
        tasks.push(tokio::spawn(async move {
            let path = format!("/bench/n{i}");
            let scratch = format!("/bench/cd{i}");
            while !stop.load(Ordering::Relaxed) {
                let ok = match load {
                    Load::Get => zk.get_data(&path).await.is_ok(),
                    Load::Set => zk.set_data(&path, &data, None).await.is_ok(),
                    Load::CreateDelete => {
                        zk.create(&scratch, &data, &CreateOptions::default())
                            .await
                            .is_ok()
                            && zk.delete(&scratch, None).await.is_ok()
                    }
                };
                if ok {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (before, t) = (done.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ops = done.load(Ordering::Relaxed) - before;
    let secs = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    zk.close().await;
    let per_op = if matches!(load, Load::CreateDelete) {
        2.0
    } else {
        1.0
    };
    Ok(ops as f64 * per_op / secs)
}

/// 100,000 nodes of 100 bytes, 64 creates in flight.
async fn fill(addr: &str) -> Result<(), Error> {
    let zk = first_answer(addr).await?;
    let _ = zk.create("/mem", b"", &CreateOptions::default()).await;
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (zk, next) = (zk.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= NODES {
                    return;
                }
                let _ = zk
                    .create(
                        &format!("/mem/n{i:06}"),
                        &[b'm'; 100],
                        &CreateOptions::default(),
                    )
                    .await;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    zk.close().await;
    Ok(())
}

fn rss_kib(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}

/// The JVM's heap in use after a full GC, in KiB (`jcmd`'s `used NNNK`).
fn heap_used_kib(pid: u32) -> Result<u64, Error> {
    let jcmd = |what: &str| Command::new("jcmd").arg(pid.to_string()).arg(what).output();
    jcmd("GC.run")?;
    let out = String::from_utf8_lossy(&jcmd("GC.heap_info")?.stdout).into_owned();
    // "... total 123456K, used 45678K [..." (one line per generation; summed).
    let used: u64 = out
        .split("used ")
        .skip(1)
        .filter_map(|s| s.split('K').next()?.trim().parse::<u64>().ok())
        .sum();
    if used == 0 {
        return Err(format!("jcmd GC.heap_info said: {out}").into());
    }
    Ok(used)
}

/// KiB the 100,000 nodes cost: (ours' RSS, ZooKeeper's heap in use).
async fn memory() -> Result<(u64, u64), Error> {
    zk_testkit::ensure_program("javac")?; // the JDK, for jcmd
    let ours = start_ours()?;
    first_answer(&ours.addr).await?.close().await;
    let before = rss_kib(ours.child.id())?;
    fill(&ours.addr).await?;
    let ours_kib = rss_kib(ours.child.id())?.saturating_sub(before);
    let zk = start_zookeeper()?;
    first_answer(&zk.addr).await?.close().await;
    let before = heap_used_kib(zk.child.id())?;
    fill(&zk.addr).await?;
    let zk_kib = heap_used_kib(zk.child.id())?.saturating_sub(before);
    Ok((ours_kib, zk_kib))
}

/// Runs `load` on both servers, `ROUNDS` rounds alternating which goes first; the medians.
async fn compare(ours: &str, zk: &str, load: Load, label: &str) -> Result<(f64, f64), Error> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let order: [&str; 2] = if round % 2 == 0 {
            [ours, zk]
        } else {
            [zk, ours]
        };
        for addr in order {
            let v = throughput(addr, load).await?;
            let who = if addr == ours { label } else { "ZooKeeper" };
            eprintln!("{load:?} on {who}: {v:.0} ops/s");
            if addr == ours {
                a.push(v);
            } else {
                b.push(v);
            }
        }
    }
    Ok((median(a), median(b)))
}

/// Transactions in the recovery benchmark's log.
const RECOVERY_TXNS: u64 = 1_000_000;
/// Nodes they create (the rest set their data).
const RECOVERY_NODES: u64 = 100_000;

/// Writes the recovery benchmark's data directory with ours (no fsync: only the files
/// matter), and returns it.
async fn recovery_dir() -> Result<PathBuf, Error> {
    let dir = scratch("recovery-source");
    let port = free_port()?;
    let zk_bin = std::env::current_exe()?
        .parent()
        .map(|d| d.join("zk"))
        .ok_or("no zk binary")?;
    let mut child = Command::new(zk_bin)
        .args(["server", "--port", &port.to_string(), "--no-fsync"])
        .args(["--snap-count", "10000000", "--data-dir"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let addr = format!("127.0.0.1:{port}");
    let zk = first_answer(&addr).await?;
    zk.create("/r", b"", &CreateOptions::default()).await?;
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (zk, next) = (zk.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                // One transaction is the create of /r; the session's own is another.
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i + 2 >= RECOVERY_TXNS {
                    return Ok::<(), zk_client::Error>(());
                }
                let path = format!("/r/n{:06}", i % RECOVERY_NODES);
                if i < RECOVERY_NODES {
                    zk.create(&path, &[b'r'; 100], &CreateOptions::default())
                        .await?;
                } else {
                    zk.set_data(&path, &[b's'; 100], None).await?;
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    drop(zk);
    // SIGKILL: the log holds every answered write; no closeSession is added.
    child.kill()?;
    child.wait()?;
    Ok(dir)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result<(), Error> {
    std::fs::create_dir_all(to.join("version-2"))?;
    for e in std::fs::read_dir(from.join("version-2"))? {
        let e = e?;
        std::fs::copy(e.path(), to.join("version-2").join(e.file_name()))?;
    }
    Ok(())
}

/// Milliseconds from starting each server on a copy of the 1,000,000-transaction directory to
/// its first answer (ours, ZooKeeper), and ZooKeeper's from an empty directory.
async fn recovery() -> Result<(f64, f64, f64), Error> {
    let source = recovery_dir().await?;
    let log_mib: u64 = std::fs::read_dir(source.join("version-2"))?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum::<u64>()
        / (1024 * 1024);
    eprintln!(
        "recovery: {RECOVERY_TXNS} transactions, {log_mib} MiB of files (preallocation included)"
    );
    let (mut ours, mut theirs, mut empty) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for first_ours in [round % 2 == 0, round % 2 != 0] {
            let copy = scratch("recovery");
            copy_dir(&source, &copy)?;
            let t = Instant::now();
            let server = if first_ours {
                start_ours_with(&[], Some(copy))?
            } else {
                start_zookeeper_on(Some(copy))?
            };
            let zk = first_answer(&server.addr).await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let seen = zk.get_all_children_number("/r").await?;
            if seen != RECOVERY_NODES as i32 {
                return Err(format!("recovered {seen} nodes under /r").into());
            }
            zk.close().await;
            eprintln!(
                "recovery by {}: {ms:.0} ms",
                if first_ours { "ours" } else { "ZooKeeper" }
            );
            if first_ours {
                ours.push(ms);
            } else {
                theirs.push(ms);
            }
        }
        let t = Instant::now();
        let zk = start_zookeeper()?;
        first_answer(&zk.addr).await?.close().await;
        empty.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = std::fs::remove_dir_all(&source);
    Ok((median(ours), median(theirs), median(empty)))
}

fn check_cores() -> String {
    std::thread::available_parallelism().map_or_else(|_| "?".into(), |n| n.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (ours_ms, zk_ms) = startup().await?;
    eprintln!("start: ours {ours_ms:.1} ms, ZooKeeper {zk_ms:.0} ms");
    let loads = [Load::Get, Load::Set, Load::CreateDelete];
    let mut rows = Vec::new();
    {
        let ours = start_ours()?;
        let zk = start_zookeeper()?;
        first_answer(&zk.addr).await?.close().await;
        for load in loads {
            let (a, b) = compare(&ours.addr, &zk.addr, load, "ours (in memory)").await?;
            rows.push((load, a, b));
        }
    }
    let mut durable = Vec::new();
    {
        let ours = start_ours_with(&[], Some(scratch("durable")))?;
        let zk = start_zookeeper()?;
        first_answer(&zk.addr).await?.close().await;
        for load in [Load::Set, Load::CreateDelete] {
            let (a, b) = compare(&ours.addr, &zk.addr, load, "ours (--data-dir)").await?;
            durable.push((load, a, b));
        }
    }
    let (ours_rec, zk_rec, zk_empty) = recovery().await?;
    let (ours_kib, zk_kib) = memory().await?;
    let name = |l: Load| match l {
        Load::Get => "get-1k-c64, ops/s",
        Load::Set => "set-1k-c64, ops/s",
        Load::CreateDelete => "create-delete-c64, ops/s",
    };
    println!("| measure | zk-server | ZooKeeper 3.8 | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| start to first answer, ms | {ours_ms:.1} | {zk_ms:.0} | {:.0}x faster |",
        zk_ms / ours_ms
    );
    for (load, a, b) in rows {
        println!(
            "| {}, ours in memory | {a:.0} | {b:.0} | {:.2}x |",
            name(load),
            a / b
        );
    }
    for (load, a, b) in durable {
        println!(
            "| {}, both fsync | {a:.0} | {b:.0} | {:.2}x |",
            name(load),
            a / b
        );
    }
    println!(
        "| recovery of 1,000,000 transactions to first answer, ms (ZooKeeper from empty: {zk_empty:.0}) | {ours_rec:.0} | {zk_rec:.0} | {:.1}x faster |",
        zk_rec / ours_rec
    );
    println!(
        "| 100,000 nodes of 100 bytes, MiB (ours: RSS; ZooKeeper: heap in use after GC) | {:.1} | {:.1} | {:.2}x |",
        ours_kib as f64 / 1024.0,
        zk_kib as f64 / 1024.0,
        ours_kib as f64 / zk_kib.max(1) as f64
    );
    eprintln!("({} cores)", check_cores());
    Ok(())
}
