//! `zk`: a command line for ZooKeeper's wire format (and, as the toolkit grows, for ZooKeeper).

#![forbid(unsafe_code)]

mod error;
mod files_cmd;
mod jute_cmd;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "zk",
    version,
    about = "ZooKeeper toolkit: Jute records, transaction logs and snapshots"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with Jute records: list, decode hex to JSON, encode JSON to hex.
    Jute {
        #[command(subcommand)]
        command: jute_cmd::JuteCommand,
    },
    /// Print a transaction log (`version-2/log.*`): every transaction, checksums verified.
    Txnlog(files_cmd::TxnlogArgs),
    /// Print a snapshot (`version-2/snapshot.*`): nodes, sessions, ACL cache, digest.
    Snapshot(files_cmd::FileArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = match cli.command {
        Command::Jute { command } => jute_cmd::run(command, &mut io::stdin().lock(), &mut out),
        Command::Txnlog(args) => files_cmd::txnlog(&args, &mut out),
        Command::Snapshot(args) => files_cmd::snapshot(&args, &mut out),
    };
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zk: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
