//! `zk lock PATH -- CMD` and `zk leader PATH -- CMD`: hold a lock or leadership (the layouts of
//! Curator's InterProcessMutex and LeaderLatch, so Java services on the same path take part)
//! while a command runs, and stop the command if it is lost. `zk cache PATH` follows a subtree;
//! `zk counter PATH` reads or adds to a Curator-compatible counter.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use serde_json::json;
use zk_recipes::{AtomicLong, CacheEvent, LeaderLatch, Lock, Loss, SharedCount, TreeCache};

use crate::client::{failure, Ctx};
use crate::error::{code, CmdError};

/// `zk lock` options.
#[derive(Args, Debug)]
pub struct LockArgs {
    /// The lock's path (its nodes go under it).
    path: String,
    /// Give up (exit 5) if the lock does not come within this many seconds.
    #[arg(long)]
    timeout: Option<f64>,
    /// Also count the lock as lost (and stop the command) when the connection stays lost
    /// this many milliseconds; keep it under a third of the session timeout for the command
    /// to be stopped before the servers could expire the session.
    #[arg(long, value_name = "MS")]
    grace_ms: Option<u64>,
    /// The command and its arguments (after `--`).
    #[arg(required = true, last = true)]
    command: Vec<String>,
}

/// `zk leader` options.
#[derive(Args, Debug)]
pub struct LeaderArgs {
    /// The election's path.
    path: String,
    /// This participant's id (the node's data, as Curator's LeaderLatch id).
    #[arg(long, default_value = "")]
    id: String,
    /// Give up (exit 5) if leadership does not come within this many seconds.
    #[arg(long)]
    timeout: Option<f64>,
    /// As for `zk lock`.
    #[arg(long, value_name = "MS")]
    grace_ms: Option<u64>,
    /// The command and its arguments (after `--`).
    #[arg(required = true, last = true)]
    command: Vec<String>,
}

fn seconds(timeout: Option<f64>) -> Result<Option<Duration>, CmdError> {
    timeout
        .map(|s| {
            Duration::try_from_secs_f64(s)
                .map_err(|_| CmdError::usage(format!("--timeout {s}: not a number of seconds")))
        })
        .transpose()
}

/// With `--json`, an event line on standard output; else a note on standard error (standard
/// output is the command's).
fn say(
    out: &mut dyn Write,
    json: bool,
    v: serde_json::Value,
    text: String,
) -> Result<(), CmdError> {
    if !json {
        eprintln!("{}", zk_cli::show::escape(&text));
        return Ok(());
    }
    writeln!(out, "{v}")
        .and_then(|()| out.flush())
        .map_err(|e| CmdError::data(format!("writing the output: {e}")))
}

/// Runs `command` with the owner's node and fencing token in its environment until it exits
/// or `lost` resolves (then it is stopped: SIGTERM, SIGKILL after 5 s).
async fn run_while<L>(
    command: &[String],
    node: &str,
    token: i64,
    what: &str,
    lost: L,
) -> Result<(), CmdError>
where
    L: std::future::Future<Output = Loss>,
{
    let (program, args) = command
        .split_first()
        .ok_or_else(|| CmdError::usage("no command given after --"))?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("ZK_NODE", node)
        .env("ZK_FENCING_TOKEN", token.to_string())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| CmdError::usage(format!("cannot run {program}: {e}")))?;
    tokio::select! {
        status = child.wait() => {
            let status = status.map_err(|e| CmdError::data(format!("waiting for {program}: {e}")))?;
            exit_of(status)
        }
        loss = lost => {
            eprintln!("zk: {what} lost ({loss}); stopping {program}");
            stop(&mut child).await;
            Err(CmdError::silent(code::LOST))
        }
    }
}

fn exit_of(status: std::process::ExitStatus) -> Result<(), CmdError> {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(()),
        (Some(c), _) => Err(CmdError::silent(u8::try_from(c).unwrap_or(1))),
        (None, Some(sig)) => Err(CmdError::silent(u8::try_from(128 + sig).unwrap_or(u8::MAX))),
        (None, None) => Err(CmdError::silent(1)),
    }
}

async fn stop(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.kill().await;
}

/// The error when the lock or leadership did not come within the timeout.
fn not_acquired(path: &str, what: &str, t: Duration) -> CmdError {
    CmdError::new(
        code::NOT_ACQUIRED,
        format!("{path}: {what} did not come within {t:?}"),
    )
}

/// Says what is held (`event`: "acquired", "leading"), then runs the command while it is.
async fn announce_and_run<L>(
    ctx: &Ctx,
    out: &mut dyn Write,
    (event, verb, what): (&str, &str, &str),
    (path, node, token): (&str, &str, i64),
    command: &[String],
    lost: L,
) -> Result<(), CmdError>
where
    L: std::future::Future<Output = Loss>,
{
    say(
        out,
        ctx.json,
        json!({"event": event, "path": path, "node": node, "fencing_token": token}),
        format!("zk: {verb} {path} ({node}, fencing token {token})"),
    )?;
    run_while(command, node, token, what, lost).await
}

/// `zk lock`.
pub async fn lock(args: LockArgs, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let zk = ctx.client().await?;
    let mut lock = Lock::new(&zk, &args.path);
    if let Some(ms) = args.grace_ms {
        lock = lock.lost_after_disconnect(Duration::from_millis(ms));
    }
    let fail = |e| failure(&args.path, e);
    let guard = match seconds(args.timeout)? {
        Some(t) => lock
            .try_acquire(t)
            .await
            .map_err(fail)?
            .ok_or_else(|| not_acquired(&args.path, "the lock", t))?,
        None => lock.acquire().await.map_err(fail)?,
    };
    let result = announce_and_run(
        ctx,
        out,
        ("acquired", "holding", "the lock"),
        (&args.path, guard.node(), guard.fencing_token()),
        &args.command,
        guard.lost(),
    )
    .await;
    guard.release().await;
    result
}

/// `zk leader`.
pub async fn leader(args: LeaderArgs, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let zk = ctx.client().await?;
    let mut latch = LeaderLatch::new(&zk, &args.path, &args.id);
    if let Some(ms) = args.grace_ms {
        latch = latch.lost_after_disconnect(Duration::from_millis(ms));
    }
    let fail = |e| failure(&args.path, e);
    let lead = match seconds(args.timeout)? {
        Some(t) => latch
            .try_leadership(t)
            .await
            .map_err(fail)?
            .ok_or_else(|| not_acquired(&args.path, "leadership", t))?,
        None => latch.leadership().await.map_err(fail)?,
    };
    let result = announce_and_run(
        ctx,
        out,
        ("leading", "leading", "leadership"),
        (&args.path, lead.node(), lead.fencing_token()),
        &args.command,
        lead.lost(),
    )
    .await;
    lead.release().await;
    result
}

/// `zk cache` options.
#[derive(Args, Debug)]
pub struct CacheArgs {
    /// The subtree's root.
    path: String,
    /// Print the tree once loaded and exit, instead of following changes.
    #[arg(long)]
    once: bool,
}

/// `zk counter` options.
#[derive(Args, Debug)]
pub struct CounterArgs {
    /// The counter's node.
    path: String,
    /// Add this (compare-and-set until it lands) and print the new value.
    #[arg(long, allow_hyphen_values = true)]
    add: Option<i64>,
    /// An 8-byte counter (Curator's DistributedAtomicLong) instead of a 4-byte one
    /// (SharedCount, DistributedAtomicInteger).
    #[arg(long)]
    long: bool,
}

fn put_line(out: &mut dyn Write, line: &str) -> Result<(), CmdError> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| CmdError::data(format!("writing the output: {e}")))
}

fn cache_line(event: &CacheEvent, json: bool) -> String {
    let show = |d: &[u8]| zk_cli::show::data(Some(d), zk_cli::show::DataFormat::Auto);
    if json {
        let v = match event {
            CacheEvent::Added(p, n) => {
                json!({"event": "added", "path": p, "data": show(&n.data), "version": n.stat.version})
            }
            CacheEvent::Updated(p, n) => {
                json!({"event": "updated", "path": p, "data": show(&n.data), "version": n.stat.version})
            }
            CacheEvent::Removed(p) => json!({"event": "removed", "path": p}),
            CacheEvent::Initialized => json!({"event": "initialized"}),
            CacheEvent::Resynced { checked, reread } => {
                json!({"event": "resynced", "checked": checked, "reread": reread})
            }
            CacheEvent::Stopped(e) => json!({"event": "stopped", "error": e.to_string()}),
        };
        return v.to_string();
    }
    match event {
        CacheEvent::Added(p, n) => format!("added {p} {}", show(&n.data)),
        CacheEvent::Updated(p, n) => format!("updated {p} {}", show(&n.data)),
        CacheEvent::Removed(p) => format!("removed {p}"),
        CacheEvent::Initialized => "initialized".into(),
        CacheEvent::Resynced { checked, reread } => {
            format!("resynced: {checked} nodes checked, {reread} changed")
        }
        CacheEvent::Stopped(e) => format!("stopped: {e}"),
    }
}

/// `zk cache`.
pub async fn cache(args: CacheArgs, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let zk = ctx.client().await?;
    let (cache, mut events) = TreeCache::start(&zk, &args.path)
        .await
        .map_err(|e| failure(&args.path, e))?;
    while let Some(event) = events.recv().await {
        if let CacheEvent::Stopped(e) = event {
            return Err(failure(&args.path, e));
        }
        let initialized = event == CacheEvent::Initialized;
        put_line(out, &cache_line(&event, ctx.json))?;
        if args.once && initialized {
            drop(cache);
            return Ok(());
        }
    }
    Ok(())
}

/// `zk counter`.
pub async fn counter(
    args: CounterArgs,
    ctx: &mut Ctx,
    out: &mut dyn Write,
) -> Result<(), CmdError> {
    let zk = ctx.client().await?;
    let fail = |e| failure(&args.path, e);
    let value = match (args.long, args.add) {
        (true, Some(d)) => AtomicLong::new(&zk, &args.path)
            .add(d)
            .await
            .map_err(fail)?,
        (true, None) => AtomicLong::new(&zk, &args.path).get().await.map_err(fail)?,
        (false, add) => {
            let count = SharedCount::new(&zk, &args.path);
            match add {
                Some(d) => {
                    let d = i32::try_from(d).map_err(|_| {
                        CmdError::usage(format!(
                            "--add {d}: a 4-byte counter adds at most 2147483647 (use --long)"
                        ))
                    })?;
                    i64::from(count.add(d).await.map_err(fail)?)
                }
                None => i64::from(count.get().await.map_err(fail)?.0),
            }
        }
    };
    if ctx.json {
        put_line(out, &json!({"path": args.path, "value": value}).to_string())
    } else {
        put_line(out, &value.to_string())
    }
}
