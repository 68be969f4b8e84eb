//! What a soak records: every operation with its call and answer times, the faults, the
//! sequential names and ephemeral nodes acknowledged, and the watches set and fired.

use std::collections::BTreeMap;

use crate::checker::Operation;

/// A fault injected, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Microseconds since the start.
    pub at: u64,
    /// What (`kill member 2`, `cut proxy 0 after 3 frames`, ...).
    pub what: String,
    /// Its kind, for the counts.
    pub kind: &'static str,
}

/// A one-shot data watch set by the workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRecord {
    /// The client (session) that set it.
    pub client: usize,
    /// Which session of that client (it starts a new one after an expiry).
    pub session: usize,
    /// The key.
    pub key: usize,
    /// When the read that set it was answered.
    pub set_at: u64,
    /// The node's version then (`None`: absent; an exists watch).
    pub version: Option<i32>,
    /// The events it delivered (a one-shot watch must deliver at most one).
    pub fired: Vec<u64>,
    /// Whether it ended with an error (its session ended) instead.
    pub ended: bool,
}

/// Everything one soak recorded.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Operations per key.
    pub ops: BTreeMap<usize, Vec<Operation>>,
    /// Faults in order.
    pub faults: Vec<Fault>,
    /// Sequential creates acknowledged: (client, sequence number, answer time).
    pub sequential: Vec<(usize, i64, u64)>,
    /// Ephemeral nodes acknowledged: (client, session, path).
    pub ephemerals: Vec<(usize, usize, String)>,
    /// Watches set.
    pub watches: Vec<WatchRecord>,
    /// When each (client, session) ended, if it did during the run.
    pub session_ends: BTreeMap<(usize, usize), u64>,
}

impl History {
    /// Operations in all.
    pub fn operations(&self) -> usize {
        self.ops.values().map(Vec::len).sum()
    }

    /// Operations whose outcome stayed unknown.
    pub fn unknown(&self) -> usize {
        self.ops
            .values()
            .flatten()
            .filter(|o| o.answer_at.is_none())
            .count()
    }

    /// Faults by kind.
    pub fn faults_by_kind(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for f in &self.faults {
            *out.entry(f.kind).or_default() += 1;
        }
        out
    }
}
