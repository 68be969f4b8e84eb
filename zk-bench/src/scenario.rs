//! The scenarios, and the nodes they need on the server.

use std::time::Duration;

use zk_client::{ClientBuilder, CreateOptions, Error, Op};

/// A benchmark scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// getData of a 1 KiB node with this many requests in flight.
    Get1k(usize),
    /// setData of 1 KiB, 64 in flight.
    Set1k,
    /// create then delete of a node, 64 pairs in flight (an op is one pair).
    CreateDelete,
    /// exists on a missing node, 64 in flight.
    ExistsMissing,
    /// getChildren of a node with 10,000 children, 8 in flight.
    Children10k,
    /// 100,000 one-shot watches registered; then re-registered after a forced reconnect.
    Watches100k,
    /// 1,000 idle sessions in one process.
    Sessions1k,
    /// getData of the 1 KiB node over 100 sessions, 8 in flight per session on average
    /// (800 in all, spread round-robin).
    ManySessions,
}

/// Every scenario, in report order.
pub const ALL: [Scenario; 10] = [
    Scenario::Get1k(1),
    Scenario::Get1k(64),
    Scenario::Get1k(1024),
    Scenario::Set1k,
    Scenario::CreateDelete,
    Scenario::ExistsMissing,
    Scenario::Children10k,
    Scenario::Watches100k,
    Scenario::Sessions1k,
    Scenario::ManySessions,
];

/// The 1 KiB node.
pub const DATA: &str = "/bench/data";
/// The node with 10,000 children.
pub const KIDS: &str = "/bench/kids";
/// Where create/delete happen.
pub const CD: &str = "/bench/cd";
/// A node that does not exist.
pub const MISSING: &str = "/bench/missing";
/// Where the 100,000 watched (missing) nodes would be.
pub const WATCHED: &str = "/bench/w";
/// How many watches the watch scenario sets.
pub const WATCHES: usize = 100_000;
/// How many sessions the session scenario opens.
pub const SESSIONS: usize = 1_000;
/// How many sessions the many-sessions scenario loads.
pub const BUSY_SESSIONS: usize = 100;
/// Requests in flight per session in the many-sessions scenario.
pub const PER_SESSION: usize = 8;

impl Scenario {
    /// Its name on the command line and in reports.
    pub fn name(self) -> String {
        match self {
            Scenario::Get1k(c) => format!("get-1k-c{c}"),
            Scenario::Set1k => "set-1k-c64".into(),
            Scenario::CreateDelete => "create-delete-c64".into(),
            Scenario::ExistsMissing => "exists-missing-c64".into(),
            Scenario::Children10k => "children-10k-c8".into(),
            Scenario::Watches100k => "watches-100k".into(),
            Scenario::Sessions1k => "sessions-1k".into(),
            Scenario::ManySessions => format!("get-1k-{BUSY_SESSIONS}-sessions-c{PER_SESSION}"),
        }
    }

    /// The scenario called `name`.
    pub fn parse(name: &str) -> Option<Scenario> {
        ALL.into_iter().find(|s| s.name() == name)
    }

    /// Requests in flight.
    pub fn concurrency(self) -> usize {
        match self {
            Scenario::Get1k(c) => c,
            Scenario::Children10k => 8,
            Scenario::Watches100k => 1024,
            Scenario::ManySessions => BUSY_SESSIONS * PER_SESSION,
            _ => 64,
        }
    }

    /// Whether the raw connection takes part.
    pub fn raw_applies(self) -> bool {
        matches!(
            self,
            Scenario::Get1k(_) | Scenario::Set1k | Scenario::ExistsMissing | Scenario::Children10k
        )
    }
}

/// Creates what the scenarios read (idempotent).
pub async fn prepare(server: &str) -> Result<(), String> {
    let zk = ClientBuilder::new(server)
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .map_err(|e| format!("connecting to {server}: {e}"))?;
    let plain = CreateOptions::default();
    for (p, data) in [
        ("/bench", vec![]),
        (DATA, vec![b'x'; 1024]),
        (KIDS, vec![]),
        (CD, vec![]),
        (WATCHED, vec![]),
    ] {
        match zk.create(p, &data, &plain).await {
            Ok(_) | Err(Error::NodeExists) => {}
            Err(e) => return Err(format!("creating {p}: {e}")),
        }
    }
    let have = zk
        .get_all_children_number(KIDS)
        .await
        .map_err(|e| e.to_string())?;
    if have < 10_000 {
        for chunk in (0..10_000).collect::<Vec<_>>().chunks(1000) {
            let ops: Vec<Op> = chunk
                .iter()
                .map(|i| Op::Create {
                    path: format!("{KIDS}/child-{i:05}"),
                    data: Vec::new(),
                    options: plain.clone(),
                })
                .collect();
            match zk.multi(&ops).await {
                Ok(_) | Err(Error::MultiFailed { .. }) => {}
                Err(e) => return Err(format!("creating children: {e}")),
            }
        }
    }
    zk.close().await;
    Ok(())
}
