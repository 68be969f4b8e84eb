//! What a soak records: every operation with its call and answer times, the faults, the
//! sequential names and ephemeral nodes acknowledged, the watches set and fired, the pipelined
//! bursts' replies and the lock holders' fenced writes.

use std::collections::BTreeMap;

use crate::checker::OperationOf;
use crate::model::{Group, GroupCall, GroupState};

/// How many keys share a parent (and may be written by one multi).
pub const GROUP_SIZE: usize = 2;

/// The group of `key`, and its slot in the group.
pub fn group_of(key: usize) -> (usize, usize) {
    (key / GROUP_SIZE, key % GROUP_SIZE)
}

/// The keys of group `group` when there are `keys` in all.
pub fn group_len(group: usize, keys: usize) -> usize {
    keys.saturating_sub(group * GROUP_SIZE).min(GROUP_SIZE)
}

/// A group's state before the soak: no node exists.
pub fn group_initial(group: usize, keys: usize) -> GroupState {
    vec![None; group_len(group, keys)]
}

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

/// An ephemeral node the workload created (acknowledged), and whether it deleted it since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EphemeralRecord {
    /// The client (session) that created it.
    pub client: usize,
    /// Which session of that client.
    pub session: usize,
    /// Its path.
    pub path: String,
    /// Whether the workload deleted it (sessions keep only a few alive).
    pub removal: Removal,
}

/// What the workload did to an ephemeral node after creating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Nothing: it lives as long as its session.
    Kept,
    /// A delete was sent whose outcome is unknown (it may be there or not).
    Unknown,
    /// Its delete was acknowledged (or answered NoNode after one of unknown outcome): it must be
    /// gone.
    Deleted,
    /// The workload's first delete found no node while the session was alive (a violation:
    /// only the session's end or a delete may remove it). The time is that answer's.
    Vanished(u64),
}

/// A write made under a lock, fenced by its guard (a multi that checks the holder's node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FencedWrite {
    /// The holder's client.
    pub client: usize,
    /// The holder's fencing token.
    pub token: i64,
    /// The path of the log node the write created.
    pub path: String,
    /// When it was acknowledged.
    pub at: u64,
}

/// One entry of the lock's write log as read at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The zxid that created it (the log's order: the entries are spread over buckets, see
    /// `locker.rs`, and zxids order them across buckets).
    pub zxid: i64,
    /// Its path.
    pub path: String,
    /// The client that wrote it.
    pub client: usize,
    /// The fencing token it was written under.
    pub token: i64,
}

/// Everything one soak recorded.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// How many keys the register workload used.
    pub keys: usize,
    /// Operations per key group (see [`group_of`]).
    pub ops: BTreeMap<usize, Vec<OperationOf<Group>>>,
    /// Faults in order.
    pub faults: Vec<Fault>,
    /// Sequential creates acknowledged: (client, sequence number, answer time).
    pub sequential: Vec<(usize, i64, u64)>,
    /// Ephemeral nodes acknowledged.
    pub ephemerals: Vec<EphemeralRecord>,
    /// Watches set.
    pub watches: Vec<WatchRecord>,
    /// When each (client, session) ended, if it did during the run.
    pub session_ends: BTreeMap<(usize, usize), u64>,
    /// Pipelined bursts of writes from one session: each write's zxid in the order sent
    /// (`None`: no answer). ZooKeeper runs a session's requests in order, so the answered
    /// ones must have increasing zxids.
    pub bursts: Vec<(usize, Vec<Option<i64>>)>,
    /// Writes acknowledged under the lock.
    pub fenced: Vec<FencedWrite>,
    /// The lock's write log at the end, in zxid order (`None` when reading it failed).
    pub fence_log: Option<Vec<LogEntry>>,
    /// Lock acquisitions.
    pub acquisitions: usize,
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

    /// Multis recorded.
    pub fn multis(&self) -> usize {
        self.count(|c| matches!(c, GroupCall::Multi(_)))
    }

    /// Listings recorded.
    pub fn listings(&self) -> usize {
        self.count(|c| matches!(c, GroupCall::Children))
    }

    fn count(&self, f: impl Fn(&GroupCall) -> bool) -> usize {
        self.ops.values().flatten().filter(|o| f(&o.call)).count()
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
