//! `zk lock PATH -- CMD` and `zk leader PATH -- CMD`: hold a lock or leadership (the layouts of
//! Curator's InterProcessMutex and LeaderLatch, so Java services on the same path take part)
//! while a command runs, and stop the command if it is lost. `zk cache PATH` follows a subtree;
//! `zk counter PATH` reads or adds to a Curator-compatible counter.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use nix::sys::signal::Signal;
use serde_json::json;
use zk_recipes::{AtomicLong, CacheEvent, LeaderLatch, Lock, Loss, SharedCount, TreeCache};

use crate::client::{failure, Ctx};
use crate::error::{code, CmdError};
use crate::supervise::{signal_status, End, Group, Signals};

/// Which recipe's node layout `zk lock` and `zk leader` use: the other programs contending on
/// the same path must use the same one, or they do not see each other.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// Apache Curator's (InterProcessMutex, LeaderLatch): `_c_<uuid>-lock-NNNNNNNNNN`.
    #[default]
    Curator,
    /// kazoo's (Lock, Election): `<uuid>__lock__NNNNNNNNNN`.
    Kazoo,
}

/// What `zk lock` and `zk leader` share: how long to wait, when to count the hold as lost, how
/// to stop the command.
#[derive(Args, Debug)]
pub struct HoldArgs {
    /// The node layout, which every contender on the path must share: curator (the default)
    /// or kazoo.
    #[arg(long, value_enum, default_value_t = Layout::Curator)]
    layout: Layout,
    /// The node's data: this contender's id (Curator's LeaderLatch id, kazoo's identifier).
    #[arg(long, default_value = "")]
    id: String,
    /// Give up (exit 5) if it does not come within this many seconds.
    #[arg(long)]
    timeout: Option<f64>,
    /// Tolerate a lost connection this many milliseconds before counting it as lost (and
    /// stopping the command); without it, the connection's loss is the lock's. Keep it under
    /// a third of the session timeout for the command to be stopped before the servers could
    /// expire the session.
    #[arg(long, value_name = "MS")]
    grace_ms: Option<u64>,
    /// How long the command gets to stop (after SIGTERM, or the signal zk received) before
    /// its whole process group is killed with SIGKILL.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    kill_after: f64,
    /// The command and its arguments (after `--`). It runs in a process group of its own
    /// (it is not the terminal's foreground job): whatever it starts is stopped with it,
    /// before the lock is released. SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to zk are passed
    /// to that group; zk exits with 128 + the signal's number once it has stopped.
    #[arg(required = true, last = true)]
    command: Vec<String>,
}

/// `zk lock` options.
#[derive(Args, Debug)]
pub struct LockArgs {
    /// The lock's path (its nodes go under it).
    path: String,
    #[command(flatten)]
    hold: HoldArgs,
}

/// `zk leader` options.
#[derive(Args, Debug)]
pub struct LeaderArgs {
    /// The election's path.
    path: String,
    #[command(flatten)]
    hold: HoldArgs,
}

/// A number of seconds from the command line; one too large for any clock means "no limit"
/// (`None`), as does no value.
fn seconds(flag: &str, value: Option<f64>) -> Result<Option<Duration>, CmdError> {
    match value {
        None => Ok(None),
        Some(s) if s.is_nan() || s < 0.0 => Err(CmdError::usage(format!(
            "{flag} {s}: not a number of seconds"
        ))),
        Some(s) => Ok(Duration::try_from_secs_f64(s).ok()),
    }
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
        .map_err(CmdError::output)
}

/// Runs `command` with the owner's node and fencing token in its environment until it exits,
/// `lost` resolves or zk gets a signal; in every case no process of the command's group is left
/// when this returns (see `supervise.rs`).
async fn run_while<L>(
    command: &[String],
    (node, token): (&str, i64),
    (what, kill_after): (&str, Duration),
    lost: L,
    signals: &mut Signals,
) -> Result<(), CmdError>
where
    L: std::future::Future<Output = Loss>,
{
    let (program, args) = command
        .split_first()
        .ok_or_else(|| CmdError::usage("no command given after --"))?;
    let env = [
        ("ZK_NODE", node.to_string()),
        ("ZK_FENCING_TOKEN", token.to_string()),
    ];
    let mut group = Group::spawn(program, args, &env)?;
    let end = group.run(lost, signals).await;
    let end = match end {
        Ok(end) => end,
        Err(e) => {
            group.stop(Signal::SIGTERM, kill_after).await;
            return Err(e);
        }
    };
    match end {
        End::Exited(status) => {
            // What it left running goes with it.
            group.stop(Signal::SIGTERM, kill_after).await;
            exit_of(status)
        }
        End::Lost(loss) => {
            eprintln!("zk: {what} lost ({loss}); stopping {program}");
            group.stop(Signal::SIGTERM, kill_after).await;
            Err(CmdError::silent(code::LOST))
        }
        End::Signalled(sig) => {
            eprintln!(
                "zk: {sig} received; passing it to {program}, releasing {what} once it stopped"
            );
            group.stop(sig, kill_after).await;
            Err(CmdError::silent(signal_status(sig)))
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

/// The error when the lock or leadership did not come within the timeout.
fn not_acquired(path: &str, what: &str, t: Duration) -> CmdError {
    CmdError::new(
        code::NOT_ACQUIRED,
        format!("{path}: {what} did not come within {t:?}"),
    )
}

/// Waits for `acquire` (what it gives: held, or `Err(t)` when the timeout `t` passed first)
/// unless a signal comes first: then zk exits with the signal's status, its node deleted when
/// the session closes.
async fn acquire_or_signal<T, F>(
    acquire: F,
    signals: &mut Signals,
    (path, what): (&str, &str),
) -> Result<T, CmdError>
where
    F: std::future::Future<Output = Result<Result<T, Duration>, zk_client::Error>>,
{
    tokio::select! {
        held = acquire => match held {
            Ok(Ok(held)) => Ok(held),
            Ok(Err(t)) => Err(not_acquired(path, what, t)),
            Err(e) => Err(failure(path, e)),
        },
        sig = signals.recv() => {
            eprintln!("zk: {sig} received while waiting for {what}; giving up");
            Err(CmdError::silent(signal_status(sig)))
        }
    }
}

/// Says what is held (`event`: "acquired", "leading"), then runs the command while it is.
async fn announce_and_run<L>(
    ctx: &Ctx,
    out: &mut dyn Write,
    (event, verb, what): (&str, &str, &str),
    (path, node, token): (&str, &str, i64),
    (command, kill_after): (&[String], Duration),
    lost: L,
    signals: &mut Signals,
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
    run_while(command, (node, token), (what, kill_after), lost, signals).await
}

/// `acquire`, given at most `timeout` when there is one: `Ok(Err(timeout))` when it ran out
/// (the acquire future is dropped, which takes its node away).
async fn bounded<T>(
    timeout: Option<Duration>,
    acquire: impl std::future::Future<Output = Result<T, zk_client::Error>>,
) -> Result<Result<T, Duration>, zk_client::Error> {
    match timeout {
        Some(t) => match tokio::time::timeout(t, acquire).await {
            Ok(got) => got.map(Ok),
            Err(_) => Ok(Err(t)),
        },
        None => acquire.await.map(Ok),
    }
}

/// `zk lock`.
pub async fn lock(args: LockArgs, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let hold = &args.hold;
    let timeout = seconds("--timeout", hold.timeout)?;
    // Past any clock: no SIGKILL at all.
    let kill_after = seconds("--kill-after", Some(hold.kill_after))?.unwrap_or(Duration::MAX);
    let mut signals = Signals::install()?;
    let zk = ctx.client().await?;
    let mut lock = match hold.layout {
        Layout::Curator => Lock::new(&zk, &args.path),
        Layout::Kazoo => Lock::new(&zk, &args.path).kazoo(),
    }
    .data(&hold.id);
    if let Some(ms) = hold.grace_ms {
        lock = lock.lost_after_disconnect(Duration::from_millis(ms));
    }
    let acquire = bounded(timeout, lock.acquire());
    let guard = acquire_or_signal(acquire, &mut signals, (&args.path, "the lock")).await?;
    let result = announce_and_run(
        ctx,
        out,
        ("acquired", "holding", "the lock"),
        (&args.path, guard.node(), guard.fencing_token()),
        (&hold.command, kill_after),
        guard.lost(),
        &mut signals,
    )
    .await;
    guard.release().await;
    result
}

/// `zk leader`.
pub async fn leader(args: LeaderArgs, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let hold = &args.hold;
    let timeout = seconds("--timeout", hold.timeout)?;
    // Past any clock: no SIGKILL at all.
    let kill_after = seconds("--kill-after", Some(hold.kill_after))?.unwrap_or(Duration::MAX);
    let mut signals = Signals::install()?;
    let zk = ctx.client().await?;
    let mut latch = match hold.layout {
        Layout::Curator => LeaderLatch::new(&zk, &args.path),
        Layout::Kazoo => LeaderLatch::new(&zk, &args.path).kazoo(),
    }
    .id(&hold.id);
    if let Some(ms) = hold.grace_ms {
        latch = latch.lost_after_disconnect(Duration::from_millis(ms));
    }
    let acquire = bounded(timeout, latch.acquire());
    let lead = acquire_or_signal(acquire, &mut signals, (&args.path, "leadership")).await?;
    let result = announce_and_run(
        ctx,
        out,
        ("leading", "leading", "leadership"),
        (&args.path, lead.node(), lead.fencing_token()),
        (&hold.command, kill_after),
        lead.lost(),
        &mut signals,
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
        .map_err(CmdError::output)
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
            CacheEvent::Unreadable(p, e) => {
                json!({"event": "unreadable", "path": p, "error": e.to_string()})
            }
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
        CacheEvent::Unreadable(p, e) => format!("unreadable {p}: {e}"),
    }
}

/// `zk cache`.
pub async fn cache(args: CacheArgs, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let zk = ctx.client().await?;
    let (cache, mut events) = TreeCache::new(&zk, &args.path)
        .start()
        .await
        .map_err(|e| failure(&args.path, e))?;
    while let Some(event) = events.next().await {
        let event = event.map_err(|e| failure(&args.path, e))?;
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
                None => i64::from(count.get().await.map_err(fail)?),
            }
        }
    };
    if ctx.json {
        put_line(out, &json!({"path": args.path, "value": value}).to_string())
    } else {
        put_line(out, &value.to_string())
    }
}
