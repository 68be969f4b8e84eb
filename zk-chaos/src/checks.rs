//! The checks over a whole soak: linearizability per key group, then sequential names,
//! ephemeral nodes, watches, the order of pipelined replies and the lock holders' fenced
//! writes. Each violation is a message with what is needed to look into it.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::checker::{check, OperationOf, Verdict};
use crate::history::{group_initial, group_of, History, Removal};
use crate::model::Group;

/// What the checks found (nothing, in a good run).
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// One message per violation.
    pub violations: Vec<String>,
    /// Key groups whose search was too large to finish (not violations, but not checked
    /// either).
    pub unchecked_groups: Vec<usize>,
    /// What could not be checked, and why (an unchecked group, a final read that failed): a
    /// run with anything here is incomplete, whatever else it shows.
    pub unchecked: Vec<String>,
}

impl Findings {
    /// Whether everything recorded was checked.
    pub fn complete(&self) -> bool {
        self.unchecked.is_empty()
    }
}

/// What the end of a run showed, for the checks that need it; `None` where the read failed
/// (those checks are then not made, and the run is incomplete).
#[derive(Debug, Clone, Default)]
pub struct EndState {
    /// The ephemeral paths present at the end.
    pub existing: Option<BTreeSet<String>>,
    /// The (client, session) pairs whose client was connected on them at the end.
    pub alive: BTreeSet<(usize, usize)>,
    /// Those known to have ended (other sessions are not judged).
    pub ended: BTreeSet<(usize, usize)>,
    /// The time the workload stopped (watches had until then to fire).
    pub end: u64,
}

/// One operation as a line of a report.
fn show(o: &OperationOf<Group>) -> String {
    let answer = match o.answer_at {
        Some(at) => format!("answered {:?} at {at}us", o.ret),
        None if o.latest == u64::MAX => "outcome unknown".to_string(),
        None => format!("outcome unknown, could run until {}us", o.latest),
    };
    format!(
        "client {} called {:?} at {}us, {answer}",
        o.client, o.call, o.call_at
    )
}

/// Runs every check of history `h` against what the end of the run showed.
pub fn check_all(h: &History, at_end: &EndState) -> Findings {
    let mut f = Findings::default();
    for (group, ops) in &h.ops {
        match check::<Group>(ops, group_initial(*group, h.keys)) {
            Verdict::Linearizable => {}
            Verdict::Unknown => {
                f.unchecked_groups.push(*group);
                f.unchecked.push(format!(
                    "key group g{group}: its {} operations are too many to search",
                    ops.len()
                ));
            }
            Verdict::Violation(v) => {
                let first = v.minimal.first().map_or(0, |o| o.call_at);
                let last = v
                    .minimal
                    .iter()
                    .map(|o| o.answer_at.unwrap_or(o.call_at))
                    .max()
                    .unwrap_or(first);
                let near: Vec<String> = h
                    .faults
                    .iter()
                    .filter(|x| x.at + 3_000_000 >= first && x.at <= last + 3_000_000)
                    .map(|x| format!("{}us {}", x.at, x.what))
                    .collect();
                let minimal: Vec<String> = v.minimal.iter().map(show).collect();
                f.violations.push(format!(
                    "key group g{group} is not linearizable ({} of {} operations ordered). \
                     Minimal sub-history, from states {:?}:\n      {}\n    faults around it: {near:?}",
                    v.best.len(),
                    ops.len(),
                    v.from,
                    minimal.join("\n      "),
                ));
            }
        }
    }
    // Sequential names: unique, and increasing in each client's acknowledgement order.
    let mut seen = HashSet::new();
    let mut last: BTreeMap<usize, i64> = BTreeMap::new();
    for (client, n, at) in &h.sequential {
        if !seen.insert(*n) {
            f.violations.push(format!(
                "sequence number {n} was given twice (client {client} at {at}us)"
            ));
        }
        if let Some(prev) = last.insert(*client, *n) {
            if *n <= prev {
                f.violations.push(format!(
                    "client {client}'s sequential names went from {prev} to {n} at {at}us"
                ));
            }
        }
    }
    match &at_end.existing {
        Some(existing) => check_ephemerals(h, existing, at_end, &mut f),
        None => f.unchecked.push(format!(
            "ephemeral nodes: {} acknowledged, the final listing failed",
            h.ephemerals.len()
        )),
    }
    // Watches: at most one event each; and a watch set before an acknowledged change of its
    // node fires, unless its session ended.
    for w in &h.watches {
        if w.fired.len() > 1 {
            f.violations.push(format!(
                "a one-shot watch on k{} (client {}) delivered {} events",
                w.key,
                w.client,
                w.fired.len()
            ));
        }
        if !w.fired.is_empty() || w.ended {
            continue;
        }
        let session_ended = h.session_ends.contains_key(&(w.client, w.session));
        if session_ended {
            continue;
        }
        let (group, slot) = group_of(w.key);
        let changed_after = h.ops.get(&group).into_iter().flatten().find(|o| {
            o.call_at > w.set_at
                && o.answer_at.is_some_and(|a| a < at_end.end)
                && o.call.changes(&o.ret, slot)
        });
        if let Some(o) = changed_after {
            f.violations.push(format!(
                "a watch on k{} set by client {} at {}us (version {:?}) never fired, though {:?} changed the node at {}us",
                w.key, w.client, w.set_at, w.version, o.call, o.call_at
            ));
        }
    }
    check_bursts(h, &mut f);
    check_fences(h, &mut f);
    f
}

/// Ephemeral nodes: there while their session lives (unless deleted), gone once it ended or
/// their delete was acknowledged.
fn check_ephemerals(h: &History, existing: &BTreeSet<String>, at_end: &EndState, f: &mut Findings) {
    for e in &h.ephemerals {
        let (client, session, path) = (e.client, e.session, &e.path);
        let key = (client, session);
        let there = existing.contains(path);
        if e.removal == Removal::Kept && at_end.alive.contains(&key) && !there {
            f.violations.push(format!(
                "{path} (client {client}, session {session}) vanished while its session was alive"
            ));
        }
        if e.removal != Removal::Deleted && at_end.ended.contains(&key) && there {
            f.violations.push(format!(
                "{path} (client {client}, session {session}) outlived its session"
            ));
        }
        if e.removal == Removal::Deleted && there {
            f.violations.push(format!(
                "{path} (client {client}, session {session}) is there though its delete was acknowledged"
            ));
        }
        if let Removal::Vanished(at) = e.removal {
            f.violations.push(format!(
                "{path} (client {client}, session {session}) vanished while its session was alive (a delete found no node at {at}us)"
            ));
        }
    }
}

/// A session's pipelined writes were run in the order sent: their zxids increase.
fn check_bursts(h: &History, f: &mut Findings) {
    for (client, zxids) in &h.bursts {
        let answered: Vec<i64> = zxids.iter().flatten().copied().collect();
        if answered.windows(2).any(|w| w[0] >= w[1]) {
            f.violations.push(format!(
                "client {client}'s pipelined writes ran out of the order sent: zxids {zxids:?}"
            ));
        }
    }
}

/// The lock holders' writes: every acknowledged one is in the log, and in the log's order
/// the fencing tokens never go back (two holders' writes never interleave).
fn check_fences(h: &History, f: &mut Findings) {
    let Some(log) = &h.fence_log else {
        f.unchecked.push(format!(
            "the lock's log: {} fenced writes acknowledged, reading the log failed",
            h.fenced.len()
        ));
        return;
    };
    let logged: HashSet<&str> = log.iter().map(|e| e.path.as_str()).collect();
    for w in &h.fenced {
        if !logged.contains(w.path.as_str()) {
            f.violations.push(format!(
                "client {}'s fenced write {} (token {:#x}, acknowledged at {}us) is not in the log",
                w.client, w.path, w.token, w.at
            ));
        }
    }
    for pair in log.windows(2) {
        if pair[1].token < pair[0].token {
            f.violations.push(format!(
                "lock holders' writes interleave: {} by client {} under token {:#x} follows {} by client {} under token {:#x}",
                pair[1].path, pair[1].client, pair[1].token, pair[0].path, pair[0].client, pair[0].token
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::Operation;
    use crate::history::{EphemeralRecord, FencedWrite, LogEntry, WatchRecord};
    use crate::model::{Call, GroupCall, GroupRet, Ret};

    fn write(at: u64) -> OperationOf<Group> {
        Operation {
            client: 1,
            call_at: at,
            answer_at: Some(at + 1),
            latest: u64::MAX,
            call: GroupCall::One(0, Call::Create(1)),
            ret: GroupRet::One(Ret::Done),
        }
    }

    fn history() -> History {
        History {
            keys: 2,
            fence_log: Some(Vec::new()),
            ..History::default()
        }
    }

    /// The end of a run with no ephemeral node left and no session judged, the workload
    /// having stopped at `end`.
    fn at(end: u64) -> EndState {
        EndState {
            existing: Some(BTreeSet::new()),
            end,
            ..EndState::default()
        }
    }

    /// The checks' violations for `h` ending as [`at`] says.
    fn violations(h: &History, end: u64) -> Vec<String> {
        let found = check_all(h, &at(end));
        assert!(found.complete(), "{:?}", found.unchecked);
        found.violations
    }

    fn watch(fired: Vec<u64>) -> WatchRecord {
        WatchRecord {
            client: 0,
            session: 0,
            key: 0,
            set_at: 5,
            version: None,
            fired,
            ended: false,
        }
    }

    #[test]
    fn a_doubled_watch_event_is_caught() {
        let mut h = history();
        h.ops.insert(0, vec![write(10)]);
        h.watches.push(watch(vec![11, 12]));
        let f = violations(&h, 100);
        assert_eq!(f.len(), 1, "{:?}", f);
        assert!(f[0].contains("delivered 2 events"));
    }

    #[test]
    fn a_lost_watch_event_is_caught_unless_the_session_ended() {
        let mut h = history();
        h.ops.insert(0, vec![write(10)]);
        h.watches.push(watch(vec![]));
        let f = violations(&h, 100);
        assert!(f[0].contains("never fired"), "{:?}", f);
        h.session_ends.insert((0, 0), 50);
        assert!(violations(&h, 100).is_empty());
        // A change before the watch was set does not count.
        let mut h = history();
        h.ops.insert(0, vec![write(1)]);
        h.watches.push(watch(vec![]));
        assert!(violations(&h, 100).is_empty());
    }

    #[test]
    fn sequential_names_and_ephemerals() {
        let eph = |client, path: &str, removal| EphemeralRecord {
            client,
            session: 0,
            path: path.into(),
            removal,
        };
        let h = History {
            sequential: vec![(0, 1, 1), (0, 3, 2), (1, 2, 2), (1, 3, 3), (0, 2, 4)],
            ephemerals: vec![
                eph(0, "/e/a", Removal::Kept),
                eph(1, "/e/b", Removal::Kept),
                eph(2, "/e/c", Removal::Kept),
                // Deleted by the workload: gone, whether or not the session lives.
                eph(0, "/e/d", Removal::Deleted),
                eph(0, "/e/e", Removal::Deleted),
                // A delete of unknown outcome: either way while the session lives...
                eph(0, "/e/f", Removal::Unknown),
                eph(0, "/e/g", Removal::Unknown),
                // ... but gone once it ended.
                eph(1, "/e/h", Removal::Unknown),
                // Gone before the workload's first delete, its session alive.
                eph(2, "/e/i", Removal::Vanished(70)),
            ],
            ..history()
        };
        let at_end = EndState {
            existing: Some(
                ["/e/a", "/e/b", "/e/e", "/e/f", "/e/h"]
                    .map(String::from)
                    .into(),
            ),
            alive: [(0, 0), (2, 0)].into(),
            ended: [(1, 0)].into(),
            end: 100,
        };
        let found = check_all(&h, &at_end);
        assert!(found.complete(), "{:?}", found.unchecked);
        let all = found.violations.join("\n");
        assert!(all.contains("sequence number 3 was given twice"), "{all}");
        assert!(all.contains("went from 3 to 2"), "{all}");
        assert!(all.contains("/e/c (client 2, session 0) vanished"), "{all}");
        assert!(all.contains("/e/b (client 1, session 0) outlived"), "{all}");
        assert!(
            all.contains("/e/e (client 0, session 0) is there though its delete"),
            "{all}"
        );
        assert!(all.contains("/e/h (client 1, session 0) outlived"), "{all}");
        assert!(all.contains("sequence number 2 was given twice"), "{all}");
        assert!(
            all.contains("/e/i (client 2, session 0) vanished while its session was alive (a delete found no node at 70us)"),
            "{all}"
        );
        assert_eq!(found.violations.len(), 8, "{all}");
    }

    #[test]
    fn what_could_not_be_read_at_the_end_is_named_as_unchecked() {
        let mut h = history();
        h.fence_log = None;
        h.fenced.push(FencedWrite {
            client: 0,
            token: 10,
            path: "/f/w-1".into(),
            at: 5,
        });
        h.ephemerals.push(EphemeralRecord {
            client: 0,
            session: 0,
            path: "/e/a".into(),
            removal: Removal::Kept,
        });
        let at_end = EndState {
            existing: None,
            alive: [(0, 0)].into(),
            ..at(100)
        };
        let found = check_all(&h, &at_end);
        assert!(found.violations.is_empty(), "{:?}", found.violations);
        assert!(!found.complete());
        let all = found.unchecked.join("\n");
        assert!(
            all.contains("ephemeral nodes: 1 acknowledged, the final listing failed"),
            "{all}"
        );
        assert!(
            all.contains("the lock's log: 1 fenced writes acknowledged"),
            "{all}"
        );
    }

    #[test]
    fn a_violation_names_its_minimal_sub_history_and_the_faults_around_it() {
        let mut h = history();
        let read = |at: u64, seen| Operation {
            client: 2,
            call_at: at,
            answer_at: Some(at + 1),
            latest: u64::MAX,
            call: GroupCall::One(0, Call::Read),
            ret: GroupRet::One(Ret::Read(seen)),
        };
        // Created, then read back as absent long after: a lost acknowledged write.
        h.ops.insert(
            0,
            vec![write(10), read(20, Some((1, 0))), read(4_000, None)],
        );
        h.faults.push(crate::history::Fault {
            at: 3_000,
            what: "kill member 1".into(),
            kind: "kill",
        });
        h.faults.push(crate::history::Fault {
            at: 90_000_000,
            what: "kill member 2".into(),
            kind: "kill",
        });
        let f = violations(&h, 100_000);
        assert_eq!(f.len(), 1, "{:?}", f);
        let v = &f[0];
        assert!(v.contains("key group g0 is not linearizable"), "{v}");
        // The read in between is not needed to show it; the create and the last read are.
        assert!(v.contains("called One(0, Create(1)) at 10us"), "{v}");
        assert!(v.contains("called One(0, Read) at 4000us"), "{v}");
        assert!(!v.contains("at 20us"), "{v}");
        assert!(v.contains("3000us kill member 1"), "{v}");
        assert!(!v.contains("kill member 2"), "{v}");
    }

    #[test]
    fn pipelined_writes_out_of_order_are_caught() {
        let mut h = history();
        h.bursts.push((0, vec![Some(5), None, Some(9)]));
        assert!(violations(&h, 100).is_empty());
        h.bursts.push((3, vec![Some(5), Some(4)]));
        let f = violations(&h, 100);
        assert_eq!(f.len(), 1, "{:?}", f);
        assert!(f[0].contains("client 3's pipelined writes"));
    }

    #[test]
    fn interleaved_or_lost_fenced_writes_are_caught() {
        let entry = |zxid, client, token| LogEntry {
            zxid,
            path: format!("/f/w-{zxid}"),
            client,
            token,
        };
        let mut h = history();
        h.fence_log = Some(vec![entry(1, 0, 10), entry(2, 0, 10), entry(3, 1, 12)]);
        h.fenced = vec![FencedWrite {
            client: 0,
            token: 10,
            path: "/f/w-2".into(),
            at: 50,
        }];
        assert!(violations(&h, 100).is_empty());
        // The first holder writes again after the second began.
        h.fence_log.as_mut().unwrap().push(entry(4, 0, 10));
        // And an acknowledged write is missing.
        h.fenced.push(FencedWrite {
            client: 1,
            token: 12,
            path: "/f/w-7".into(),
            at: 60,
        });
        let all = violations(&h, 100).join("\n");
        assert!(
            all.contains("writes interleave: /f/w-4 by client 0"),
            "{all}"
        );
        assert!(all.contains("fenced write /f/w-7 (token 0xc"), "{all}");
    }
}
