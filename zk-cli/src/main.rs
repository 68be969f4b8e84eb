//! `zk`: a command line for ZooKeeper's wire format (and, as the toolkit grows, for ZooKeeper).

#![forbid(unsafe_code)]

mod jute_cmd;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "zk",
    version,
    about = "ZooKeeper toolkit: inspect Jute records"
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = match cli.command {
        Command::Jute { command } => jute_cmd::run(command, &mut io::stdin().lock(), &mut out),
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
