//! `zk dump FILE`: captured ZooKeeper traffic, one line per request, reply and notification,
//! then a summary per op code; on an ensemble's quorum port, its packets instead
//! (`quorum_cmd`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use zk_cli::capture::connections;
use zk_cli::dump::{dump, Kind};

use crate::error::CmdError;

/// `zk dump` options.
#[derive(Args, Debug)]
pub struct DumpArgs {
    /// A pcap or pcapng file (e.g. `tcpdump -i lo -w FILE port 2181`).
    file: PathBuf,
    /// The server's port: a client port, or an ensemble's quorum port (2888 by default; its
    /// traffic is recognised and decoded as such; the election port's is skipped).
    #[arg(short, long, default_value_t = 2181)]
    port: u16,
    /// Only the summary per op code.
    #[arg(long, conflicts_with = "no_summary")]
    summary_only: bool,
    /// No summary.
    #[arg(long)]
    no_summary: bool,
}

fn write_err(e: std::io::Error) -> CmdError {
    CmdError::output(e)
}

fn ms(us: u64) -> String {
    format!("{:.3}ms", us as f64 / 1000.0)
}

/// Runs `zk dump`.
pub fn run(args: &DumpArgs, json: bool, out: &mut dyn Write) -> Result<(), CmdError> {
    let capture = connections(&args.file, args.port).map_err(CmdError::data)?;
    // The ensemble's own ports speak other protocols than the client port.
    let ensemble_port = capture.connections.iter().any(|c| {
        matches!(
            zk_cli::quorum::identify(c),
            zk_cli::quorum::Protocol::Quorum | zk_cli::quorum::Protocol::Election
        )
    });
    if ensemble_port {
        return crate::quorum_cmd::run(
            &capture,
            args.port,
            &args.file,
            !args.summary_only,
            !args.no_summary,
            json,
            out,
        );
    }
    let d = dump(&capture.connections);
    if d.events.is_empty() {
        let mut why = format!(
            "{}: no ZooKeeper traffic on port {} ({} connections to it)",
            args.file.display(),
            args.port,
            capture.connections.len()
        );
        for n in &capture.notes {
            why.push_str("; ");
            why.push_str(n);
        }
        return Err(CmdError::data(why));
    }
    if !args.summary_only {
        for e in &d.events {
            let session = e.session.map(|s| format!("{s:#x}"));
            if json {
                let line = json!({
                    "time": zk_cli::show::time_us(e.time_us),
                    "client": e.client,
                    "session": session,
                    "kind": format!("{:?}", e.kind).to_lowercase(),
                    "xid": e.xid,
                    "op": e.op,
                    "path": e.path,
                    "args": e.args,
                    "size": e.size,
                    "err": e.err,
                    "latency_us": e.latency_us,
                    "zxid": e.zxid.map(|z| format!("{z:#x}")),
                });
                writeln!(out, "{line}").map_err(write_err)?;
                continue;
            }
            let arrow = match e.kind {
                Kind::Request => "->",
                Kind::Reply => "<-",
                Kind::Notification => "<=",
                Kind::FourLetterWord => "4lw",
                Kind::Encrypted => "tls",
            };
            let mut line = format!(
                "{} {} {} {arrow} xid={} {}",
                zk_cli::show::time_us(e.time_us),
                e.client,
                session.as_deref().unwrap_or("-"),
                e.xid,
                e.op
            );
            if let Some(p) = &e.path {
                line.push(' ');
                line.push_str(p);
            }
            if let Some(err) = e.err {
                line.push_str(if err == 0 { " ok" } else { " ERR" });
            }
            if !e.args.is_empty() {
                line.push(' ');
                line.push_str(&e.args);
            }
            line.push_str(&format!(" {}B", e.size));
            if let Some(l) = e.latency_us {
                line.push(' ');
                line.push_str(&ms(l));
            }
            if let Some(z) = e.zxid.filter(|z| *z > 0) {
                line.push_str(&format!(" zxid={z:#x}"));
            }
            writeln!(out, "{line}").map_err(write_err)?;
        }
    }
    if !args.no_summary {
        if json {
            for (op, s) in &d.summary {
                let line = json!({
                    "summary": op, "count": s.count, "request_bytes": s.request_bytes,
                    "reply_bytes": s.reply_bytes, "errors": s.errors,
                    "p50_us": s.latency(0.5), "p99_us": s.latency(0.99),
                    "max_us": s.latencies_us.last(),
                });
                writeln!(out, "{line}").map_err(write_err)?;
            }
        } else {
            writeln!(
                out,
                "\n{:<22} {:>7} {:>10} {:>10} {:>6} {:>10} {:>10} {:>10}",
                "op", "count", "req bytes", "rep bytes", "errors", "p50", "p99", "max"
            )
            .map_err(write_err)?;
            for (op, s) in &d.summary {
                let l = |v: Option<u64>| v.map_or_else(|| "-".to_string(), ms);
                writeln!(
                    out,
                    "{op:<22} {:>7} {:>10} {:>10} {:>6} {:>10} {:>10} {:>10}",
                    s.count,
                    s.request_bytes,
                    s.reply_bytes,
                    s.errors,
                    l(s.latency(0.5)),
                    l(s.latency(0.99)),
                    l(s.latencies_us.last().copied())
                )
                .map_err(write_err)?;
            }
        }
    }
    for n in &d.notes {
        eprintln!("zk: note: {}", zk_cli::show::escape(n));
    }
    // What was readable is printed above; a damaged file still fails the command.
    match capture.notes.split_last() {
        Some((last, earlier)) if capture.damaged => {
            for n in earlier {
                eprintln!("zk: note: {}", zk_cli::show::escape(n));
            }
            Err(CmdError::data(format!(
                "{last} (the {} events above were decoded from the packets before it)",
                d.events.len()
            )))
        }
        _ => Ok(()),
    }
}
