//! `zk dump` of a capture on the quorum port: one line per packet between the leader and its
//! learners, then packet counts, the commit latency and the syncs.

use std::io::Write;

use serde_json::json;
use zk_cli::capture::Capture;
use zk_cli::quorum::{dump, Direction, QuorumDump, Summary, What};
use zk_cli::show;

use crate::error::CmdError;

fn write_err(e: std::io::Error) -> CmdError {
    CmdError::output(e)
}

fn ms(us: u64) -> String {
    format!("{:.3}ms", us as f64 / 1000.0)
}

/// Prints the quorum traffic of `capture` (the connections to `port`).
pub fn run(
    capture: &Capture,
    port: u16,
    file: &std::path::Path,
    events: bool,
    summary: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CmdError> {
    let d = dump(&capture.connections);
    if d.events.is_empty() {
        let mut why = format!(
            "{}: no quorum packets on port {port} ({} connections to it)",
            file.display(),
            capture.connections.len()
        );
        for n in d.notes.iter().chain(&capture.notes) {
            why.push_str("; ");
            why.push_str(n);
        }
        return Err(CmdError::data(why));
    }
    if events {
        print_events(&d, json, out)?;
    }
    if summary {
        print_summary(&d.summary, json, out)?;
    }
    for n in &d.notes {
        eprintln!("zk: note: {}", show::escape(n));
    }
    match capture.notes.split_last() {
        Some((last, earlier)) if capture.damaged => {
            for n in earlier {
                eprintln!("zk: note: {}", show::escape(n));
            }
            Err(CmdError::data(format!(
                "{last} (the {} events above were decoded from the packets before it)",
                d.events.len()
            )))
        }
        _ => Ok(()),
    }
}

/// One line per decoded event (text or JSON).
fn print_events(d: &QuorumDump, json: bool, out: &mut dyn Write) -> Result<(), CmdError> {
    for e in &d.events {
        let dir = match e.direction {
            Direction::ToLeader => "to_leader",
            Direction::FromLeader => "from_leader",
        };
        let arrow = match e.direction {
            Direction::ToLeader => "->",
            Direction::FromLeader => "<-",
        };
        let time = show::time_us(e.time_us);
        let line = match &e.what {
            What::Auth {
                status,
                token_bytes,
            } => {
                if json {
                    json!({"time": time, "learner": e.learner, "dir": dir, "type": "AUTH",
                           "status": status, "token_bytes": token_bytes, "size": e.size})
                    .to_string()
                } else {
                    format!(
                        "{time} {} {arrow} AUTH status={status} token={token_bytes}B {}B",
                        e.learner, e.size
                    )
                }
            }
            What::Snapshot {
                sessions,
                acls,
                nodes,
            } => {
                if json {
                    json!({"time": time, "learner": e.learner, "dir": dir, "type": "snapshot",
                           "sessions": sessions, "acls": acls, "nodes": nodes, "size": e.size})
                    .to_string()
                } else {
                    format!(
                        "{time} {} {arrow} snapshot sessions={sessions} acls={acls} nodes={nodes} {}B",
                        e.learner, e.size
                    )
                }
            }
            What::Packet {
                ty,
                zxid,
                data,
                latency_us,
                in_sync,
            } => {
                let name = zk_cli::quorum::packet::type_name(*ty);
                if json {
                    let data = match data {
                        Ok(d) => d.json.clone(),
                        Err(why) => json!({ "error": why }),
                    };
                    json!({"time": time, "learner": e.learner, "dir": dir, "type": name,
                           "zxid": format!("{zxid:#x}"), "size": e.size, "data": data,
                           "latency_us": latency_us, "sync": in_sync})
                    .to_string()
                } else {
                    let mut line = format!("{time} {} {arrow} {name} zxid={zxid:#x}", e.learner);
                    match data {
                        Ok(d) if !d.text.is_empty() => {
                            line.push(' ');
                            line.push_str(&d.text);
                        }
                        Ok(_) => {}
                        Err(why) => {
                            line.push_str(" UNDECODABLE: ");
                            line.push_str(&show::escape(why));
                        }
                    }
                    line.push_str(&format!(" {}B", e.size));
                    if let Some(l) = latency_us {
                        line.push(' ');
                        line.push_str(&ms(*l));
                    }
                    line
                }
            }
        };
        writeln!(out, "{line}").map_err(write_err)?;
    }
    Ok(())
}

/// Packet counts, proposals and commit latency, syncs.
fn print_summary(s: &Summary, json: bool, out: &mut dyn Write) -> Result<(), CmdError> {
    let l = |v: Option<u64>| v.map_or_else(|| "-".to_string(), ms);
    if json {
        for (name, (count, bytes)) in &s.packets {
            writeln!(
                out,
                "{}",
                json!({"summary": name, "count": count, "bytes": bytes})
            )
            .map_err(write_err)?;
        }
        let line = json!({
            "summary": "proposals", "proposals": s.proposals, "committed": s.committed,
            "uncommitted": s.uncommitted(), "replayed_in_sync": s.replayed_in_sync,
            "live": s.commit_latencies_us.len(),
            "commit_p50_us": s.commit_latency(0.5), "commit_p99_us": s.commit_latency(0.99),
            "commit_max_us": s.commit_latencies_us.last(),
        });
        writeln!(out, "{line}").map_err(write_err)?;
        let line = json!({"summary": "syncs", "syncs": s.syncs,
                          "quorum_connections": s.quorum_connections,
                          "empty_connections": s.empty_connections,
                          "election_connections_skipped": s.election_connections});
        writeln!(out, "{line}").map_err(write_err)?;
    } else {
        writeln!(out, "\n{:<20} {:>7} {:>10}", "packet", "count", "bytes").map_err(write_err)?;
        for (name, (count, bytes)) in &s.packets {
            writeln!(out, "{name:<20} {count:>7} {bytes:>10}").map_err(write_err)?;
        }
        writeln!(
            out,
            "\nproposals {} (committed {}, uncommitted {}, replayed in syncs {}); \
             commit latency of {} live ones: p50 {} p99 {} max {}",
            s.proposals,
            s.committed,
            s.uncommitted(),
            s.replayed_in_sync,
            s.commit_latencies_us.len(),
            l(s.commit_latency(0.5)),
            l(s.commit_latency(0.99)),
            l(s.commit_latencies_us.last().copied())
        )
        .map_err(write_err)?;
        let syncs: Vec<String> = s.syncs.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(
            out,
            "syncs: {}; {} quorum connection(s), {} without data",
            if syncs.is_empty() {
                "none".to_string()
            } else {
                syncs.join(", ")
            },
            s.quorum_connections,
            s.empty_connections
        )
        .map_err(write_err)?;
    }
    Ok(())
}
