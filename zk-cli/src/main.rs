//! `zk`: a ZooKeeper shell and one-shot client commands, and decoders for Jute records,
//! transaction logs and snapshots.

#![forbid(unsafe_code)]

mod client;
mod dump_cmd;
mod error;
mod files_cmd;
mod jute_cmd;
mod quorum_cmd;
mod recipes_cmd;
mod server_cmd;
mod supervise;

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::client::commands::ClientCommand;
use crate::error::{code, CmdError};
use zk_cli::show::{escape, Escaping};

#[derive(Parser)]
#[command(
    name = "zk",
    version,
    about = "ZooKeeper toolkit: a shell and client commands, four-letter words, and decoders \
             for Jute records, captured traffic, transaction logs and snapshots",
    after_help = "Without a command, zk starts an interactive shell on the servers of -s."
)]
struct Cli {
    /// The servers (`host:port,...[/chroot]`), before the command (after it `-s` is the
    /// command's own flag: use --server there).
    #[arg(short = 's', value_name = "SERVERS")]
    servers: Option<String>,
    /// The servers, anywhere on the line.
    #[arg(
        long = "server",
        global = true,
        value_name = "SERVERS",
        default_value = "127.0.0.1:2181",
        env = "ZK_SERVERS"
    )]
    server: String,
    /// Start a throwaway in-process server (zk-server, no JVM) and use it instead of -s.
    #[arg(long, global = true)]
    local: bool,
    /// Allow a read-only server (a member cut off from its quorum, or `zk server --load
    /// --read-only`): reads work, writes fail with NOTREADONLY (as `zkCli.sh -r`).
    #[arg(short = 'r', long = "read-only", global = true)]
    read_only: bool,
    /// Output one JSON value per result (per line), for scripts.
    #[arg(long = "json", id = "json_output", global = true)]
    json: bool,
    /// Session timeout in milliseconds.
    #[arg(long, global = true, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Show the client's connection events on standard error (connects, lost connections
    /// and why, session states). `-v` before the command (after it, `-v` is the command's
    /// own flag); --verbose anywhere.
    #[arg(short = 'v')]
    v: bool,
    /// As -v, anywhere on the line.
    #[arg(long = "verbose", global = true)]
    verbose: bool,
    #[command(flatten)]
    tls: client::security::TlsArgs,
    #[command(flatten)]
    sasl: client::security::SaslArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Work with Jute records: list, decode hex to JSON, encode JSON to hex, generate Rust
    /// from .jute files.
    Jute {
        #[command(subcommand)]
        command: jute_cmd::JuteCommand,
    },
    /// Print a transaction log (`version-2/log.*`): every transaction, checksums verified.
    Txnlog(files_cmd::TxnlogArgs),
    /// Print a snapshot (`version-2/snapshot.*`): nodes, sessions, ACL cache, digest.
    Snapshot(files_cmd::FileArgs),
    /// Decode captured traffic (pcap or pcapng): every request, reply and notification, and a
    /// summary per op code.
    Dump(dump_cmd::DumpArgs),
    /// Hold the lock on PATH (Curator's InterProcessMutex layout) while a command runs; exit
    /// with its status, or stop it and exit 6 if the lock is lost.
    Lock(recipes_cmd::LockArgs),
    /// Wait to lead the election on PATH (Curator's LeaderLatch layout), run a command while
    /// leader; exit with its status, or stop it and exit 6 if leadership is lost.
    Leader(recipes_cmd::LeaderArgs),
    /// Follow a subtree (a tree cache on one persistent recursive watch): each change as a
    /// line, and a check of the whole view after a reconnect.
    Cache(recipes_cmd::CacheArgs),
    /// Read a Curator-compatible counter, or add to it.
    Counter(recipes_cmd::CounterArgs),
    /// Run the embedded ZooKeeper-compatible server (in progress; for development and tests)
    /// until a signal stops it.
    Server(server_cmd::ServerArgs),
    /// Start the interactive shell (the default without a command).
    Shell,
    #[command(flatten)]
    Client(ClientCommand),
}

fn runtime() -> Result<tokio::runtime::Runtime, CmdError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CmdError::new(code::CONNECTION, format!("cannot start the runtime: {e}")))
}

fn run(cli: Cli, out: &mut dyn Write) -> Result<(), CmdError> {
    let command = cli.command.unwrap_or(Command::Shell);
    match command {
        Command::Jute { command } => {
            return jute_cmd::run(command, &mut io::stdin().lock(), out);
        }
        Command::Txnlog(args) => return files_cmd::txnlog(&args, cli.json, out),
        Command::Snapshot(args) => return files_cmd::snapshot(&args, cli.json, out),
        Command::Dump(args) => return dump_cmd::run(&args, cli.json, out),
        Command::Server(args) => return runtime()?.block_on(server_cmd::run(&args, out)),
        Command::Shell
        | Command::Client(_)
        | Command::Lock(_)
        | Command::Leader(_)
        | Command::Cache(_)
        | Command::Counter(_) => {}
    }
    // Before anything starts a thread: --keytab sets the process's Kerberos environment.
    let sasl = cli.sasl.options()?;
    let tls = cli.tls.options()?;
    // Kept alive (and stopped on drop) for as long as the command runs.
    let local = if cli.local {
        let server = zk_server::Server::builder()
            .start_blocking()
            .map_err(|e| CmdError::new(code::CONNECTION, format!("--local: {e}")))?;
        eprintln!("zk: local embedded server at {}", server.connect_string());
        Some(server)
    } else {
        None
    };
    let hosts = local.as_ref().map_or_else(
        || cli.servers.clone().unwrap_or_else(|| cli.server.clone()),
        |s| s.connect_string(),
    );
    let mut ctx = client::Ctx::new(hosts, Duration::from_millis(cli.timeout_ms), cli.json);
    ctx.tls = tls;
    ctx.sasl = sasl;
    ctx.read_only = cli.read_only;
    let rt = runtime()?;
    if let Command::Shell = command {
        return client::shell::run(ctx, &rt).map_err(CmdError::data);
    }
    let result = rt.block_on(async {
        match command {
            Command::Client(cmd) => client::commands::run(cmd, &mut ctx, out).await,
            Command::Lock(args) => recipes_cmd::lock(args, &mut ctx, out).await,
            Command::Leader(args) => recipes_cmd::leader(args, &mut ctx, out).await,
            Command::Cache(args) => recipes_cmd::cache(args, &mut ctx, out).await,
            Command::Counter(args) => recipes_cmd::counter(args, &mut ctx, out).await,
            // Handled above.
            Command::Jute { .. }
            | Command::Txnlog(_)
            | Command::Snapshot(_)
            | Command::Dump(_)
            | Command::Server(_)
            | Command::Shell => Ok(()),
        }
    });
    rt.block_on(ctx.close());
    result
}

/// Prints a client's log event as `zk: warning: <message>` (`zk: <message>` below warnings) (escaped like everything else zk
/// prints: the text can carry what a server sent).
struct Warning;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Warning
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'w> tracing_subscriber::fmt::FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        use tracing_subscriber::fmt::FormatFields;
        let mut text = String::new();
        ctx.format_fields(
            tracing_subscriber::fmt::format::Writer::new(&mut text),
            event,
        )?;
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error: ",
            tracing::Level::WARN => "warning: ",
            _ => "",
        };
        writeln!(writer, "zk: {level}{}", escape(&text))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The client's warnings (why SASL failed, a session given up on) reach the operator on
    // standard error; nothing below warnings is printed.
    // With -v, its connection events too.
    tracing_subscriber::fmt()
        .with_max_level(if cli.verbose || cli.v {
            tracing_subscriber::filter::LevelFilter::INFO
        } else {
            tracing_subscriber::filter::LevelFilter::WARN
        })
        .with_writer(io::stderr)
        .event_format(Warning)
        .init();
    // Not locked for the whole run: the shell's background watch tasks print too.
    // Every byte printed passes through the escaping writer: names and data from a server or
    // a file cannot drive the terminal.
    let mut out = Escaping::new(io::BufWriter::new(io::stdout()));
    let result = run(cli, &mut out);
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.has_message() {
                eprintln!("zk: {}", escape(&e.to_string()));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every subcommand's options are well formed (no two share a name, the global ones
    /// included), as clap checks them.
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
