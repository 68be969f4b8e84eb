//! `zk server`: the embedded ZooKeeper-compatible server (zk-server), in the foreground until
//! a signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT) stops it. For development and tests; it is in
//! progress (see zk-server's crate docs for what it serves), and production runs on real
//! ZooKeeper.

use std::io::Write;
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
}

/// Serves until a signal, which is the normal way to stop it (exit 0).
pub async fn run(args: &ServerArgs, out: &mut dyn Write) -> Result<(), CmdError> {
    if args.tick_time == 0 {
        return Err(CmdError::usage("--tick-time must be at least 1 ms"));
    }
    let mut signals = Signals::install()?;
    let server = zk_server::Server::builder()
        .host(&args.host)
        .port(args.port)
        .tick_time(Duration::from_millis(args.tick_time))
        .extended_types(args.extended_types)
        .start()
        .await
        .map_err(|e| {
            CmdError::new(
                code::CONNECTION,
                format!("cannot listen on {}:{}: {e}", args.host, args.port),
            )
        })?;
    let say = |e: std::io::Error| CmdError::data(e.to_string());
    writeln!(out, "serving at {}", server.connect_string()).map_err(say)?;
    out.flush().map_err(say)?;
    let sig = signals.recv().await;
    drop(server);
    writeln!(out, "stopped by {sig}").map_err(say)?;
    Ok(())
}
