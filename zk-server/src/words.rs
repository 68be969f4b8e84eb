//! Four-letter words, as ZooKeeper answers them on the client port: a connection whose first
//! four bytes spell a command (instead of a frame's length) gets the command's text and is
//! closed. Only whitelisted commands run (`4lw.commands.whitelist`, `srvr` by default, `*`
//! for all); another gets ZooKeeper's refusal. Served: `ruok`, `isro`, `srvr`, `stat`,
//! `cons`, `conf`, `envi`, `wchs`, `wchc`, `wchp`, `dump` and `mntr`, in ZooKeeper 3.8's
//! layout (`wchs`, `wchc` and `wchp` show data watches only, as ZooKeeper's do). Without I/O:
//! the caller hands in what it knows of the connections.

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::core::Core;

/// Every command ZooKeeper knows, served here or not.
const KNOWN: [&str; 18] = [
    "ruok", "isro", "srvr", "stat", "cons", "conf", "envi", "wchs", "wchc", "wchp", "dump", "mntr",
    "crst", "srst", "dirs", "gtmk", "stmk", "hash",
];

/// The version the server reports: the protocol it speaks, and what it is.
pub const VERSION: &str = concat!(
    "3.9.0-zk-server-",
    env!("CARGO_PKG_VERSION"),
    ", built on 1970-01-01 00:00 UTC"
);

/// The command a connection's first four bytes spell, if any.
pub fn command(first: &[u8; 4]) -> Option<&'static str> {
    KNOWN.into_iter().find(|w| w.as_bytes() == first)
}

/// Whether `word` may run under `whitelist` (ZooKeeper's list, `*` for all).
pub fn allowed(word: &str, whitelist: &[String]) -> bool {
    whitelist.iter().any(|w| w == "*" || w == word)
}

/// What the server knows of one connection (the I/O side keeps it).
#[derive(Debug, Clone)]
pub struct Connection {
    /// The core's number for it.
    pub id: crate::core::ConnId,
    /// The peer's address.
    pub peer: Option<SocketAddr>,
    /// Frames received.
    pub received: u64,
    /// Frames sent.
    pub sent: u64,
    /// Frames queued, not yet written.
    pub queued: u64,
    /// Whether it is the connection asking (ZooKeeper shows it as not reading, `[0]`).
    pub asking: bool,
}

/// The server's counters (the I/O side keeps them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    /// Frames received on every connection.
    pub received: u64,
    /// Frames sent on every connection.
    pub sent: u64,
    /// Milliseconds since the server started.
    pub uptime_ms: u64,
    /// The port it listens on.
    pub port: u16,
}

/// The answer to `word` (a known command), or ZooKeeper's refusal when not whitelisted.
pub fn answer(
    word: &str,
    whitelist: &[String],
    core: &Core,
    conns: &[Connection],
    counters: Counters,
    now_ms: u64,
) -> String {
    if !allowed(word, whitelist) {
        return format!("{word} is not executed because it is not in the whitelist.\n");
    }
    match word {
        "ruok" => "imok".into(),
        "isro" => "rw".into(),
        "srvr" => srvr(core, conns, counters, None),
        "stat" => srvr(core, conns, counters, Some(&connections(core, conns, true))),
        "cons" => connections(core, conns, false) + "\n",
        "conf" => conf(core, counters),
        "envi" => envi(),
        "wchs" => wchs(core),
        "wchc" | "wchp" => watch_lists(core, word == "wchp"),
        "dump" => dump(core, conns, now_ms),
        "mntr" => mntr(core, conns, counters),
        _ => format!("{word} is not served by the embedded server\n"),
    }
}

/// The server's state as `srvr` and `mntr` name it (ZooKeeper's `ServerState`).
fn mode(core: &Core) -> &'static str {
    if core.config().read_only {
        "read-only"
    } else {
        "standalone"
    }
}

fn srvr(core: &Core, conns: &[Connection], c: Counters, clients: Option<&str>) -> String {
    let mut out = format!("Zookeeper version: {VERSION}\n");
    if let Some(clients) = clients {
        out.push_str("Clients:\n");
        out.push_str(clients);
        out.push('\n');
    }
    let _ = write!(
        out,
        "Latency min/avg/max: 0/0.0/0\nReceived: {}\nSent: {}\nConnections: {}\n\
         Outstanding: 0\nZxid: 0x{:x}\nMode: {}\nNode count: {}\n",
        c.received,
        c.sent,
        conns.len(),
        core.last_zxid(),
        mode(core),
        node_count(core)
    );
    out
}

/// ZooKeeper counts the root twice (it is kept under "" and "/").
fn node_count(core: &Core) -> usize {
    core.tree().len() + 1
}

fn peer(c: &Connection) -> String {
    c.peer.map_or_else(|| "unknown".into(), |p| format!("/{p}"))
}

/// One line per connection, brief (`stat`) or with the session (`cons`).
fn connections(core: &Core, conns: &[Connection], brief: bool) -> String {
    let mut out = String::new();
    for c in conns {
        let _ = write!(
            out,
            " {}[{}](queued={},recved={},sent={}",
            peer(c),
            u8::from(!c.asking),
            c.queued,
            c.received,
            c.sent
        );
        if !brief {
            if let Some(id) = core.session_of(c.id) {
                let timeout = core.sessions().timeout(id).unwrap_or_default();
                let _ = write!(out, ",sid=0x{id:x},to={timeout}");
            }
        }
        out.push_str(")\n");
    }
    out
}

fn conf(core: &Core, c: Counters) -> String {
    let (min, max) = core.sessions().bounds();
    format!(
        "clientPort={}\nsecureClientPort=-1\ntickTime={}\nmaxClientCnxns=0\n\
         minSessionTimeout={min}\nmaxSessionTimeout={max}\nclientPortListenBacklog=-1\n\
         serverId=0\n",
        c.port,
        core.config().tick_ms
    )
}

fn envi() -> String {
    let mut out = String::from("Environment:\n");
    let _ = writeln!(out, "zookeeper.version={VERSION}");
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let _ = writeln!(out, "host.name={host}");
    let _ = writeln!(out, "os.name={}", std::env::consts::OS);
    let _ = writeln!(out, "os.arch={}", std::env::consts::ARCH);
    if let Ok(user) = std::env::var("USER") {
        let _ = writeln!(out, "user.name={user}");
    }
    if let Ok(dir) = std::env::current_dir() {
        let _ = writeln!(out, "user.dir={}", dir.display());
    }
    out
}

fn wchs(core: &Core) -> String {
    let watches = core.watches().data_watches();
    let mut sessions: Vec<i64> = watches.values().flatten().copied().collect();
    let total = sessions.len();
    sessions.sort_unstable();
    sessions.dedup();
    format!(
        "{} connections watching {} paths\nTotal watches:{total}\n",
        sessions.len(),
        watches.len()
    )
}

/// `wchp` (by path) or `wchc` (by session): paths in the order of ZooKeeper's hash maps;
/// sessions in id order (ZooKeeper's follows its connections' identity hashes).
fn watch_lists(core: &Core, by_path: bool) -> String {
    let mut watches: Vec<(String, Vec<i64>)> = core.watches().data_watches().into_iter().collect();
    crate::java::hash_map_order(&mut watches, |(p, _)| p);
    let mut out = String::new();
    if by_path {
        for (path, sessions) in &watches {
            let _ = writeln!(out, "{path}");
            for s in sessions {
                let _ = writeln!(out, "\t0x{s:x}");
            }
        }
    } else {
        let mut by_session: std::collections::BTreeMap<i64, Vec<&str>> = Default::default();
        for (path, sessions) in &watches {
            for s in sessions {
                by_session.entry(*s).or_default().push(path);
            }
        }
        for (s, mut paths) in by_session {
            crate::java::hash_map_order(&mut paths, |p| p);
            let _ = writeln!(out, "0x{s:x}");
            for p in paths {
                let _ = writeln!(out, "\t{p}");
            }
        }
    }
    out.push('\n');
    out
}

fn dump(core: &Core, conns: &[Connection], now_ms: u64) -> String {
    let buckets = core.sessions().buckets();
    let mut out = format!(
        "SessionTracker dump:\nSession Sets ({})/({}):\n",
        buckets.len(),
        core.sessions().len()
    );
    for (at, ids) in &buckets {
        // The bucket's monotonic time on the wall clock (saturating: never a panic).
        let ahead = i64::try_from(at.saturating_sub(now_ms)).unwrap_or(i64::MAX);
        let wall = core.wall_ms(now_ms).saturating_add(ahead);
        let _ = writeln!(out, "{} expire at {}:", ids.len(), java_date(wall));
        for id in ids {
            let _ = writeln!(out, "\t0x{id:x}");
        }
    }
    let ephemerals = core.tree().all_ephemerals();
    let _ = writeln!(
        out,
        "ephemeral nodes dump:\nSessions with Ephemerals ({}):",
        ephemerals.len()
    );
    for (id, paths) in &ephemerals {
        let _ = writeln!(out, "0x{id:x}:");
        for p in paths {
            let _ = writeln!(out, "\t{p}");
        }
    }
    let _ = writeln!(out, "Connections dump:\nConnections ({}):", conns.len());
    for c in conns {
        let sid = core.session_of(c.id).unwrap_or_default();
        let _ = writeln!(out, "\tip: {} sessionId: 0x{sid:x}", peer(c));
    }
    out
}

fn mntr(core: &Core, conns: &[Connection], c: Counters) -> String {
    let tree = core.tree();
    let ephemerals = tree.ephemeral_count();
    // Both managers' watches, as ZooKeeper's `getWatchCount` counts them.
    let watches = core.watches().len();
    let lines: [(&str, String); 17] = [
        ("zk_version", VERSION.into()),
        ("zk_server_state", mode(core).into()),
        ("zk_ephemerals_count", ephemerals.to_string()),
        ("zk_num_alive_connections", conns.len().to_string()),
        ("zk_avg_latency", "0.0".into()),
        ("zk_outstanding_requests", "0".into()),
        ("zk_znode_count", node_count(core).to_string()),
        ("zk_global_sessions", core.sessions().len().to_string()),
        ("zk_watch_count", watches.to_string()),
        ("zk_min_latency", "0".into()),
        ("zk_max_latency", "0".into()),
        ("zk_packets_sent", c.sent.to_string()),
        ("zk_packets_received", c.received.to_string()),
        (
            "zk_approximate_data_size",
            tree.approximate_data_size().to_string(),
        ),
        ("zk_uptime", c.uptime_ms.to_string()),
        ("zk_last_zxid", format!("0x{:x}", core.last_zxid())),
        ("zk_local_sessions", "0".into()),
    ];
    lines.iter().fold(String::new(), |mut out, (k, v)| {
        let _ = writeln!(out, "{k}\t{v}");
        out
    })
}

/// A wall time (ms since the epoch) as Java's `Date.toString` writes it in UTC:
/// `Wed Dec 02 10:08:54 UTC 2026`.
pub fn java_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = WEEKDAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month_name = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    format!("{weekday} {month_name} {day:02} {h:02}:{m:02}:{s:02} UTC {year}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_javas() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        // As the real server's `dump` printed it.
        assert_eq!(java_date(1_796_206_134_000), "Wed Dec 02 10:08:54 UTC 2026");
        assert_eq!(java_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
    }

    #[test]
    fn words_are_known_and_whitelisted() {
        assert_eq!(command(b"ruok"), Some("ruok"));
        assert_eq!(command(&[0, 0, 0, 44]), None, "a frame length");
        let default = vec!["srvr".to_string()];
        assert!(allowed("srvr", &default));
        assert!(!allowed("ruok", &default));
        assert!(allowed("dump", &["*".to_string()]));
        let core = Core::new(crate::core::Config::default(), 0, 0);
        assert_eq!(
            answer("ruok", &default, &core, &[], Counters::default(), 0),
            "ruok is not executed because it is not in the whitelist.\n"
        );
        let srvr = answer("srvr", &default, &core, &[], Counters::default(), 0);
        assert!(
            srvr.starts_with("Zookeeper version: 3.9.0-zk-server-"),
            "{srvr}"
        );
        assert!(
            srvr.ends_with("Mode: standalone\nNode count: 5\n"),
            "{srvr}"
        );
    }

    #[test]
    fn clocks_past_any_wall_time_saturate() {
        let all = vec!["*".to_string()];
        for (now, wall) in [(u64::MAX, i64::MAX), (u64::MAX, i64::MIN), (0, i64::MIN)] {
            let mut core = Core::new(crate::core::Config::default(), now, wall);
            core.connected(1, None);
            let _ = core.tick(now);
            let _ = core.reap(now);
            for w in ["dump", "mntr", "srvr", "stat"] {
                assert!(!answer(w, &all, &core, &[], Counters::default(), now).is_empty());
            }
        }
        assert!(java_date(i64::MAX).ends_with("UTC 292278994"));
        assert!(!java_date(i64::MIN).is_empty());
    }
}
