//! `zk-bench`: this client side by side with a raw connection, `zookeeper-client` and the Java
//! client, against one real ZooKeeper, alternating rounds so drift affects all alike. Each
//! measurement runs in a fresh process, so CPU time and peak memory are that contender's alone.
//!
//! ```sh
//! cargo run --release -p zk-bench -- --rounds 3 --seconds 3
//! ```
//!
//! Each Rust contender runs on a tokio runtime of 2 worker threads (`ZK_BENCH_WORKERS` changes
//! that); the Java client uses its own threads.

#![forbid(unsafe_code)]

mod contenders;
mod driver;
mod measure;
mod report;
mod scenario;
mod warmup;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::Value;

use contenders::Contender;
use driver::Span;
use scenario::Scenario;

#[derive(Parser)]
#[command(
    name = "zk-bench",
    about = "Benchmarks ZooKeeper clients side by side on one real server"
)]
struct Cli {
    /// Use this server instead of starting one (it needs maxClientCnxns=0 for sessions-1k).
    #[arg(long)]
    server: Option<String>,
    /// Rounds; contenders take turns within each, in a rotating order.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Measured seconds per run (after a warm-up of at least one second, until the throughput
    /// is stable).
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// Only these scenarios (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Only these contenders (raw, zk-client, zookeeper-client, java).
    #[arg(long, value_delimiter = ',')]
    contenders: Vec<String>,
    /// Where to write results.json and results.md (default `zk-bench/results`, and
    /// `zk-bench/results/pinned` with --pin).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Pin the server to CPU 0 and each client to CPU 1 (taskset), so a client's own cost
    /// shows as throughput instead of being absorbed by the shared scheduler.
    #[arg(long)]
    pin: bool,
    #[command(subcommand)]
    child: Option<Child>,
}

#[derive(Subcommand)]
enum Child {
    /// (internal) one measurement in this process.
    Child {
        contender: String,
        scenario: String,
        server: String,
        warmup_ms: u64,
        measure_ms: u64,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.child {
        Some(Child::Child {
            ref contender,
            ref scenario,
            ref server,
            warmup_ms,
            measure_ms,
        }) => child(contender, scenario, server, warmup_ms, measure_ms),
        None => parent(&cli),
    };
    if let Err(e) = result {
        eprintln!("zk-bench: {e}");
        std::process::exit(1);
    }
}

/// Waits for the parent: prints "ready", then reads a line.
async fn handshake_with_parent() {
    println!("ready");
    let _ = std::io::stdout().flush();
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
}

fn child(
    contender: &str,
    scenario: &str,
    server: &str,
    warmup_ms: u64,
    measure_ms: u64,
) -> Result<(), String> {
    let c = Contender::parse(contender).ok_or_else(|| format!("unknown contender {contender}"))?;
    let s = Scenario::parse(scenario).ok_or_else(|| format!("unknown scenario {scenario}"))?;
    let workers = std::env::var("ZK_BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let span = Span::Timed(
        Duration::from_millis(warmup_ms),
        Duration::from_millis(measure_ms),
    );
    let server = server.to_string();
    // The workload runs as a spawned task on the runtime's workers, as request handlers in a
    // service do, not on the thread that blocks on the runtime.
    let work = async move {
        let server = server.as_str();
        match c {
            Contender::Raw => {
                contenders::raw::run(
                    s,
                    server,
                    Duration::from_millis(warmup_ms),
                    Duration::from_millis(measure_ms),
                )
                .await
            }
            Contender::Ours => {
                contenders::ours::run(s, server, span, handshake_with_parent()).await
            }
            Contender::Kezhuw => {
                contenders::kezhuw::run(s, server, span, handshake_with_parent()).await
            }
            Contender::Java => Err("the Java contender runs as a JVM".into()),
        }
    };
    let m = rt.block_on(async move { tokio::spawn(work).await.map_err(|e| e.to_string())? })?;
    println!("{}", m.into_json());
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

/// Runs one measurement in a child process; for the watch scenario, cuts its connection through
/// a proxy once it is ready and measures how long until the server holds its watches again.
fn measure_one(
    c: Contender,
    s: Scenario,
    server: &zk_testkit::TestServer,
    java_cp: &str,
    cli: &Cli,
) -> Result<Value, String> {
    let seconds = cli.seconds;
    let proxy = zk_testkit::Proxy::start(server.addr()).map_err(|e| e.to_string())?;
    let target = if s == Scenario::Watches100k {
        proxy.connect_string()
    } else {
        server.connect_string()
    };
    let (warm, meas) = (1000, seconds * 1000);
    let mut cmd = match c {
        Contender::Java => contenders::java::command(java_cp, &s.name(), &target, warm, meas),
        _ => {
            let mut cmd = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
            cmd.args([
                "child",
                c.name(),
                &s.name(),
                &target,
                &warm.to_string(),
                &meas.to_string(),
            ]);
            cmd
        }
    };
    if cli.pin {
        let mut pinned = Command::new("taskset");
        pinned
            .args(["-c", CLIENT_CPU])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        cmd = pinned;
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", c.name()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut reregister_ms = None;
    let mut result = None;
    for line in lines.by_ref() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim() == "ready" {
            reregister_ms = Some(reregister(server, &proxy)?);
            if let Some(stdin) = child.stdin.as_mut() {
                let _ = writeln!(stdin, "done");
            }
            continue;
        }
        if line.starts_with('{') {
            result = Some(line);
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let line = result.ok_or_else(|| {
        let err = String::from_utf8_lossy(&out.stderr);
        let why: Vec<&str> = err
            .lines()
            .filter(|l| {
                !l.starts_with(' ') && !l.contains("RUST_BACKTRACE") && !l.starts_with("SLF4J")
            })
            .take(4)
            .collect();
        format!(
            "{} {}: no result ({}): {}",
            c.name(),
            s.name(),
            out.status,
            why.join(" | ")
        )
    })?;
    let mut v: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
    if let Some(ms) = reregister_ms {
        // null: not all back within 60 s.
        v["extra"]["reregister_ms"] = serde_json::json!(ms);
    }
    Ok(v)
}

/// The CPUs of --pin.
const SERVER_CPU: &str = "0";
const CLIENT_CPU: &str = "1";

/// Pins every thread of process `pid` to `cpu`.
fn pin(pid: u32, cpu: &str) -> Result<(), String> {
    contenders::run_checked(
        Command::new("taskset").args(["-a", "-p", "-c", cpu, &pid.to_string()]),
        "taskset",
    )
}

fn total_watches(server: &zk_testkit::TestServer) -> usize {
    server
        .four_letter_word("wchs")
        .ok()
        .and_then(|r| {
            r.lines()
                .find_map(|l| l.strip_prefix("Total watches:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Cuts the proxied connection and waits until the server holds every watch again; returns
/// the milliseconds that took, or `None` when they were not all back within 60 s (reported as
/// `reregister_ms=-`).
fn reregister(
    server: &zk_testkit::TestServer,
    proxy: &zk_testkit::Proxy,
) -> Result<Option<f64>, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while total_watches(server) < scenario::WATCHES {
        if Instant::now() > deadline {
            return Err(format!(
                "the server holds {} watches, not {}",
                total_watches(server),
                scenario::WATCHES
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let t = Instant::now();
    proxy.cut();
    // The server drops the old connection's watches, then the client sets them again.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut dropped = false;
    loop {
        let n = total_watches(server);
        if n < scenario::WATCHES {
            dropped = true;
        }
        if dropped && n >= scenario::WATCHES && proxy.connections() > 1 {
            return Ok(Some(t.elapsed().as_secs_f64() * 1000.0));
        }
        if Instant::now() > deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn parent(cli: &Cli) -> Result<(), String> {
    let scenarios: Vec<Scenario> = if cli.scenarios.is_empty() {
        scenario::ALL.to_vec()
    } else {
        cli.scenarios
            .iter()
            .map(|n| Scenario::parse(n).ok_or_else(|| format!("unknown scenario {n}")))
            .collect::<Result<_, _>>()?
    };
    let contenders: Vec<Contender> = if cli.contenders.is_empty() {
        contenders::ALL.to_vec()
    } else {
        cli.contenders
            .iter()
            .map(|n| Contender::parse(n).ok_or_else(|| format!("unknown contender {n}")))
            .collect::<Result<_, _>>()?
    };
    if cli.server.is_some() {
        return Err("--server is not supported yet: the watch scenario needs the server's wchs; run without it".into());
    }
    let server = zk_testkit::TestServer::start_with(zk_testkit::ServerOptions {
        extra_config: vec!["maxClientCnxns=0".into()],
        ..zk_testkit::ServerOptions::default()
    })
    .map_err(|e| e.to_string())?;
    eprintln!("zk-bench: ZooKeeper at {}", server.connect_string());
    if cli.pin {
        let pid = server.pid().ok_or("the server has no process id")?;
        pin(pid, SERVER_CPU)?;
        eprintln!("zk-bench: server pinned to CPU {SERVER_CPU}, clients to CPU {CLIENT_CPU}");
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(scenario::prepare(&server.connect_string()))?;
    let java_cp = if contenders.contains(&Contender::Java) {
        contenders::java::compile(&contenders::java::build_dir())?
    } else {
        String::new()
    };
    let mut runs: Vec<(Scenario, Contender, Value)> = Vec::new();
    for round in 0..cli.rounds {
        for &s in &scenarios {
            let n = contenders.len();
            for k in 0..n {
                let c = contenders[(k + round) % n];
                if c == Contender::Raw && !s.raw_applies() {
                    continue;
                }
                eprint!(
                    "zk-bench: round {} {} {} ... ",
                    round + 1,
                    s.name(),
                    c.name()
                );
                match measure_one(c, s, &server, &java_cp, cli) {
                    Ok(v) => {
                        eprintln!("{:.0} ops/s", v["ops_per_sec"].as_f64().unwrap_or(0.0));
                        runs.push((s, c, v));
                    }
                    Err(e) => eprintln!("failed: {e}"),
                }
            }
        }
    }
    let table = report::markdown(&scenarios, &contenders, &runs, cli);
    println!("{table}");
    let out = cli.out.clone().unwrap_or_else(|| {
        let base = std::path::PathBuf::from("zk-bench/results");
        if cli.pin {
            base.join("pinned")
        } else {
            base
        }
    });
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    std::fs::write(out.join("results.md"), &table).map_err(|e| e.to_string())?;
    std::fs::write(out.join("results.json"), report::json(&runs).to_string())
        .map_err(|e| e.to_string())?;
    eprintln!(
        "zk-bench: wrote {}/results.md and results.json",
        out.display()
    );
    Ok(())
}
