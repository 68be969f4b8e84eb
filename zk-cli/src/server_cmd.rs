//! `zk server`: the embedded ZooKeeper-compatible server (zk-server), in the foreground until
//! a signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT) stops it cleanly, or, with `--data-dir`, until
//! its log cannot be written (then it exits with an error, having acknowledged nothing that is
//! not on disk). For development and tests; production runs on real ZooKeeper.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{code, CmdError};
use crate::supervise::Signals;

/// `zk server`'s options.
#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// The port to listen on (0: any free one).
    #[arg(long, default_value_t = 2181)]
    port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// `tickTime` in milliseconds: sessions get 2 to 20 ticks.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    tick_time: u64,
    /// Allow TTL nodes (ZooKeeper's `extendedTypesEnabled`).
    #[arg(long)]
    extended_types: bool,
    /// The super user's digest, `user:base64` (the base64 of the SHA-1 of `user:password`, as
    /// ZooKeeper's `DigestAuthenticationProvider` prints it): whoever authenticates as that
    /// user passes every ACL.
    #[arg(long, value_name = "DIGEST")]
    super_digest: Option<String>,
    /// The four-letter words that run, comma-separated (`*`: all; ZooKeeper's
    /// `4lw.commands.whitelist`).
    #[arg(long = "4lw", value_name = "LIST", default_value = "srvr")]
    four_letter_words: String,
    /// How often emptied containers and expired TTL nodes are deleted, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    container_check: u64,
    /// Serve the state of a ZooKeeper data directory (a `dataDir`, holding `version-2`),
    /// recovered as ZooKeeper recovers it: the newest whole snapshot, then the logs after it.
    /// Its sessions can be resumed by their clients. The directory is only read: what clients
    /// change lives in memory.
    #[arg(long, value_name = "DIR", conflicts_with = "data_dir")]
    load: Option<PathBuf>,
    /// With --load: stop the recovery after this zxid (`0x...` or decimal), to look at the
    /// state as it was then.
    #[arg(long, value_name = "ZXID", requires = "load")]
    up_to: Option<String>,
    /// With --load: serve read-only, as ZooKeeper's read-only mode: only clients that allow a
    /// read-only server connect (`zkCli.sh -r`, `zk --read-only`), every write is answered
    /// NOTREADONLY, and the state stays exactly as loaded.
    #[arg(long, requires = "load")]
    read_only: bool,
    /// Keep the state in DIR, a ZooKeeper dataDir (`DIR/version-2/log.*` and `snapshot.*`, in
    /// ZooKeeper 3.8's formats; created when missing): recovered from it on start (from a
    /// real ZooKeeper's files too), and every write on disk before it is answered. ZooKeeper
    /// can start from the same directory.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// With --data-dir: answer writes without syncing the log to the disk (a killed server
    /// loses nothing, a crashed machine can): for tests.
    #[arg(long, requires = "data_dir")]
    no_fsync: bool,
    /// With --data-dir: ZooKeeper's snapCount: a snapshot after snapCount/2 to snapCount
    /// transactions.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100_000,
        requires = "data_dir"
    )]
    snap_count: u64,
    /// With --data-dir: the snapshots kept (with the logs they need) as newer ones are
    /// written: ZooKeeper's autopurge.snapRetainCount (at least 3).
    #[arg(long, value_name = "N", default_value_t = 3, requires = "data_dir")]
    snap_retain_count: usize,
    /// With --data-dir: how far ahead of the writes a log file is grown, in KiB (ZooKeeper's
    /// zookeeper.preAllocSize).
    #[arg(
        long,
        value_name = "KB",
        default_value_t = 65_536,
        requires = "data_dir"
    )]
    prealloc_kb: u64,
}

/// A zxid as operators write it: `0x` and hex (as ZooKeeper's files and logs print them), or
/// decimal.
fn parse_zxid(text: &str) -> Result<i64, CmdError> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok().map(|z| z as i64),
        None => text.parse::<i64>().ok(),
    };
    parsed.filter(|z| *z >= 0).ok_or_else(|| {
        CmdError::usage(format!("--up-to {text:?} is not a zxid (0x... or decimal)"))
    })
}

/// The state `--load` asks for, and a line saying what was read.
fn load(args: &ServerArgs) -> Result<Option<(zk_server::restore::Restored, String)>, CmdError> {
    let Some(dir) = &args.load else {
        return Ok(None);
    };
    if !dir.join("version-2").is_dir() {
        return Err(CmdError::data(format!(
            "--load {}: no version-2 directory there (a ZooKeeper dataDir holds one)",
            dir.display()
        )));
    }
    let up_to = args.up_to.as_deref().map(parse_zxid).transpose()?;
    let (state, report) = zk_server::datadir::load(dir, up_to, args.extended_types)
        .map_err(|e| CmdError::data(format!("--load: {e}")))?;
    let said = format!(
        "loaded {}: {report}; last zxid {:#x}, {} transaction(s) applied, {} session(s), {} node(s)",
        dir.display(),
        state.zxid,
        state.applied,
        state.sessions.len(),
        state.tree.len()
    );
    Ok(Some((state, said)))
}

/// A word's bytes, when it has four (else bytes no command has).
fn word_bytes(w: &str) -> [u8; 4] {
    w.as_bytes().try_into().unwrap_or([0; 4])
}

/// Serves until a signal, which is the normal way to stop it (exit 0).
pub async fn run(args: &ServerArgs, out: &mut dyn Write) -> Result<(), CmdError> {
    if args.tick_time == 0 {
        return Err(CmdError::usage("--tick-time must be at least 1 ms"));
    }
    if args.container_check == 0 {
        return Err(CmdError::usage("--container-check must be at least 1 ms"));
    }
    if let Some(d) = &args.super_digest {
        if d.split_once(':')
            .is_none_or(|(user, hash)| user.is_empty() || hash.is_empty())
        {
            return Err(CmdError::usage(format!(
                "--super-digest {d:?} is not user:base64"
            )));
        }
    }
    let words: Vec<&str> = args
        .four_letter_words
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(bad) = words
        .iter()
        .find(|w| **w != "*" && zk_server::words::command(&word_bytes(w)).is_none())
    {
        return Err(CmdError::usage(format!(
            "--4lw: {bad:?} is not a four-letter word"
        )));
    }
    let loaded = load(args)?;
    let mut signals = Signals::install()?;
    let mut builder = zk_server::Server::builder()
        .host(&args.host)
        .port(args.port)
        .tick_time(Duration::from_millis(args.tick_time))
        .extended_types(args.extended_types)
        .four_letter_words(&words)
        .container_check_interval(Duration::from_millis(args.container_check));
    if let Some(d) = &args.super_digest {
        builder = builder.super_digest(d);
    }
    if let Some((state, said)) = loaded {
        eprintln!("zk server: {said}");
        builder = builder.restored(state).read_only(args.read_only);
    }
    if let Some(dir) = &args.data_dir {
        builder = builder
            .data_dir(dir)
            .fsync(!args.no_fsync)
            .snap_count(args.snap_count)
            .snap_retain_count(args.snap_retain_count)
            .prealloc_size(args.prealloc_kb.saturating_mul(1024));
    }
    let server = builder.start().await.map_err(|e| match &args.data_dir {
        Some(dir) if e.kind() != std::io::ErrorKind::AddrInUse => {
            CmdError::data(format!("--data-dir {}: {e}", dir.display()))
        }
        _ => CmdError::new(
            code::CONNECTION,
            format!("cannot listen on {}:{}: {e}", args.host, args.port),
        ),
    })?;
    if let (Some(dir), Some(report)) = (&args.data_dir, server.load_report()) {
        eprintln!("zk server: recovered {}: {report}", dir.display());
    }
    let say = |e: std::io::Error| CmdError::data(e.to_string());
    writeln!(out, "serving at {}", server.connect_string()).map_err(say)?;
    out.flush().map_err(say)?;
    tokio::select! {
        sig = signals.recv() => {
            // Shut down cleanly: what was written is synced, the lock released.
            server.shutdown().await;
            writeln!(out, "stopped by {sig}").map_err(say)?;
            Ok(())
        }
        why = server.failed() => Err(CmdError::data(format!(
            "stopped serving: {why}; no write was acknowledged that is not on disk"
        ))),
    }
}
