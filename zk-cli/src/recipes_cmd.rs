//! `zk lock PATH -- CMD` and `zk leader PATH -- CMD`: hold a lock or leadership (the layouts of
//! Curator's InterProcessMutex and LeaderLatch, so Java services on the same path take part)
//! while a command runs, and stop the command if it is lost.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use serde_json::json;
use zk_recipes::{LeaderLatch, Lock, Loss};

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

/// `zk lock`.
pub async fn lock(args: LockArgs, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let zk = ctx.client().await?;
    let mut lock = Lock::new(&zk, &args.path);
    if let Some(ms) = args.grace_ms {
        lock = lock.lost_after_disconnect(Duration::from_millis(ms));
    }
    let guard = match seconds(args.timeout)? {
        Some(t) => lock
            .try_acquire(t)
            .await
            .map_err(|e| failure(&args.path, e))?
            .ok_or_else(|| {
                CmdError::new(
                    code::NOT_ACQUIRED,
                    format!("{}: the lock did not come within {:?}", args.path, t),
                )
            })?,
        None => lock.acquire().await.map_err(|e| failure(&args.path, e))?,
    };
    say(
        out,
        ctx.json,
        json!({"event": "acquired", "path": args.path, "node": guard.node(), "fencing_token": guard.fencing_token()}),
        format!(
            "zk: holding {} ({}, fencing token {})",
            args.path,
            guard.node(),
            guard.fencing_token()
        ),
    )?;
    let result = run_while(
        &args.command,
        guard.node(),
        guard.fencing_token(),
        "the lock",
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
    let lead = match seconds(args.timeout)? {
        Some(t) => latch
            .try_leadership(t)
            .await
            .map_err(|e| failure(&args.path, e))?
            .ok_or_else(|| {
                CmdError::new(
                    code::NOT_ACQUIRED,
                    format!("{}: leadership did not come within {:?}", args.path, t),
                )
            })?,
        None => latch
            .leadership()
            .await
            .map_err(|e| failure(&args.path, e))?,
    };
    say(
        out,
        ctx.json,
        json!({"event": "leading", "path": args.path, "node": lead.node(), "fencing_token": lead.fencing_token()}),
        format!(
            "zk: leading {} ({}, fencing token {})",
            args.path,
            lead.node(),
            lead.fencing_token()
        ),
    )?;
    let result = run_while(
        &args.command,
        lead.node(),
        lead.fencing_token(),
        "leadership",
        lead.lost(),
    )
    .await;
    lead.release().await;
    result
}
