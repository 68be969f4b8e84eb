//! The checks over a whole soak: linearizability per key, then sequential names, ephemeral
//! nodes and watches. Each violation is a message with what is needed to look into it.

use std::collections::{BTreeSet, HashSet};

use crate::checker::{check, Verdict};
use crate::history::History;

/// What the checks found (nothing, in a good run).
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// One message per violation.
    pub violations: Vec<String>,
    /// Keys whose search was too large to finish (not violations, but not checked either).
    pub unchecked_keys: Vec<usize>,
}

/// Runs every check. `existing` are the ephemeral paths present at the end; `alive` the
/// (client, session) pairs whose client was connected on them then, `ended` those known to
/// have ended (other sessions are not judged); `end` the time the workload stopped (watches had
/// until then to fire).
pub fn check_all(
    h: &History,
    existing: &BTreeSet<String>,
    alive: &BTreeSet<(usize, usize)>,
    ended: &BTreeSet<(usize, usize)>,
    end: u64,
) -> Findings {
    let mut f = Findings::default();
    for (key, ops) in &h.ops {
        match check(ops, None) {
            Verdict::Linearizable => {}
            Verdict::Unknown => f.unchecked_keys.push(*key),
            Verdict::Violation(v) => {
                let first = v.stuck.first().map_or(0, |o| o.call_at);
                let near: Vec<String> = h
                    .faults
                    .iter()
                    .filter(|x| x.at + 3_000_000 >= first && x.at <= first + 3_000_000)
                    .map(|x| format!("{}us {}", x.at, x.what))
                    .collect();
                f.violations.push(format!(
                    "key k{key} is not linearizable: {} of {} operations ordered; cannot place {:?}; faults around: {near:?}",
                    v.best.len(),
                    ops.len(),
                    v.stuck
                ));
            }
        }
    }
    // Sequential names: unique, and increasing in each client's acknowledgement order.
    let mut seen = HashSet::new();
    let mut last: std::collections::BTreeMap<usize, i64> = std::collections::BTreeMap::new();
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
    // Ephemeral nodes: there while their session lives, gone once it ended.
    for (client, session, path) in &h.ephemerals {
        let key = (*client, *session);
        let there = existing.contains(path);
        if alive.contains(&key) && !there {
            f.violations.push(format!(
                "{path} (client {client}, session {session}) vanished while its session was alive"
            ));
        }
        if ended.contains(&key) && there {
            f.violations.push(format!(
                "{path} (client {client}, session {session}) outlived its session"
            ));
        }
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
        let changed_after = h.ops.get(&w.key).into_iter().flatten().find(|o| {
            o.call_at > w.set_at
                && o.answer_at.is_some_and(|a| a < end)
                && matches!(
                    (o.call, o.ret),
                    (crate::model::Call::Create(_), crate::model::Ret::Done)
                        | (crate::model::Call::Set(..), crate::model::Ret::Version(_))
                        | (crate::model::Call::Delete(_), crate::model::Ret::Done)
                )
        });
        if let Some(o) = changed_after {
            f.violations.push(format!(
                "a watch on k{} set by client {} at {}us (version {:?}) never fired, though {:?} changed the node at {}us",
                w.key, w.client, w.set_at, w.version, o.call, o.call_at
            ));
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::Operation;
    use crate::history::WatchRecord;
    use crate::model::{Call, Ret};

    fn write(at: u64) -> Operation {
        Operation {
            client: 1,
            call_at: at,
            answer_at: Some(at + 1),
            latest: u64::MAX,
            call: Call::Create(1),
            ret: Ret::Done,
        }
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
        let mut h = History::default();
        h.ops.insert(0, vec![write(10)]);
        h.watches.push(watch(vec![11, 12]));
        let f = check_all(
            &h,
            &BTreeSet::new(),
            &BTreeSet::new(),
            &BTreeSet::new(),
            100,
        );
        assert_eq!(f.violations.len(), 1, "{:?}", f.violations);
        assert!(f.violations[0].contains("delivered 2 events"));
    }

    #[test]
    fn a_lost_watch_event_is_caught_unless_the_session_ended() {
        let mut h = History::default();
        h.ops.insert(0, vec![write(10)]);
        h.watches.push(watch(vec![]));
        let f = check_all(
            &h,
            &BTreeSet::new(),
            &BTreeSet::new(),
            &BTreeSet::new(),
            100,
        );
        assert!(
            f.violations[0].contains("never fired"),
            "{:?}",
            f.violations
        );
        h.session_ends.insert((0, 0), 50);
        assert!(check_all(
            &h,
            &BTreeSet::new(),
            &BTreeSet::new(),
            &BTreeSet::new(),
            100
        )
        .violations
        .is_empty());
        // A change before the watch was set does not count.
        let mut h = History::default();
        h.ops.insert(0, vec![write(1)]);
        h.watches.push(watch(vec![]));
        assert!(check_all(
            &h,
            &BTreeSet::new(),
            &BTreeSet::new(),
            &BTreeSet::new(),
            100
        )
        .violations
        .is_empty());
    }

    #[test]
    fn sequential_names_and_ephemerals() {
        let h = History {
            sequential: vec![(0, 1, 1), (0, 3, 2), (1, 2, 2), (1, 3, 3), (0, 2, 4)],
            ephemerals: vec![
                (0, 0, "/e/a".into()),
                (1, 0, "/e/b".into()),
                (2, 0, "/e/c".into()),
            ],
            ..History::default()
        };
        let existing: BTreeSet<String> = ["/e/a".to_string(), "/e/b".to_string()].into();
        let alive: BTreeSet<(usize, usize)> = [(0, 0), (2, 0)].into();
        let ended: BTreeSet<(usize, usize)> = [(1, 0)].into();
        let f = check_all(&h, &existing, &alive, &ended, 100);
        let all = f.violations.join("\n");
        assert!(all.contains("sequence number 3 was given twice"), "{all}");
        assert!(all.contains("went from 3 to 2"), "{all}");
        assert!(all.contains("/e/c (client 2, session 0) vanished"), "{all}");
        assert!(all.contains("/e/b (client 1, session 0) outlived"), "{all}");
    }
}
