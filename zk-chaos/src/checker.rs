//! Linearizability of one key's history, by a Wing–Gong search with memoization (as Knossos
//! and Porcupine do): find an order of the operations, each placed between its call and its
//! answer, in which the model gives every answer the server gave. An operation whose outcome
//! is unknown (connection lost, timed out) takes any answer and may be left out; it can take
//! effect only until `latest` (ZooKeeper runs a session's requests in the order sent, so a
//! request lost in flight either ran before the session's next answered request, or never;
//! and nothing runs after its session ended).

use std::collections::HashSet;

use crate::model::{step, Call, Ret, State};

/// One operation of a key's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Who did it (for reports).
    pub client: usize,
    /// When it was called (any monotonic clock, e.g. microseconds since the start).
    pub call_at: u64,
    /// When its answer came; `None` when the outcome is unknown.
    pub answer_at: Option<u64>,
    /// For an unknown outcome: the latest time it could have taken effect (`u64::MAX`: any).
    pub latest: u64,
    /// What was asked.
    pub call: Call,
    /// What was answered (ignored when the outcome is unknown).
    pub ret: Ret,
}

/// Why a history is not linearizable: the smallest failing prefix the search found, as the
/// operations it could not place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The operations that could not be ordered (all known ones answered up to the point
    /// where the search got stuck).
    pub stuck: Vec<Operation>,
    /// The longest order the search managed, as indexes into the history.
    pub best: Vec<usize>,
}

/// How many search states a key may cost before the checker gives up (and says so).
pub const MAX_STATES: usize = 5_000_000;

/// How many 64-bit words the remembered states may take in all (800 MB): a long history makes
/// each state larger, so fewer fit.
pub const MAX_WORDS: usize = 100_000_000;

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// An order exists.
    Linearizable,
    /// None exists.
    Violation(Violation),
    /// The search was too large to finish.
    Unknown,
}

/// When an operation stops mattering: its answer, or for an unknown outcome the latest time it
/// could have taken effect.
fn end(op: &Operation) -> u64 {
    op.answer_at.unwrap_or(op.latest)
}

/// Checks one key's history, from `initial`.
///
/// The history is cut where no operation is in flight (every earlier one ended before the next
/// one was called): each piece is searched on its own, from every state the pieces before it
/// could end in, so a long history costs many small searches instead of one huge one.
pub fn check(history: &[Operation], initial: State) -> Verdict {
    let mut order: Vec<usize> = (0..history.len()).collect();
    order.sort_by_key(|&i| history[i].call_at);
    let mut states: HashSet<State> = HashSet::from([initial]);
    let mut start = 0;
    let mut max_end = 0u64;
    let mut pieces = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        if pos > start && max_end < history[i].call_at {
            pieces.push(start..pos);
            start = pos;
        }
        max_end = max_end.max(end(&history[i]));
    }
    if start < order.len() {
        pieces.push(start..order.len());
    }
    for piece in pieces {
        let ops: Vec<&Operation> = order[piece.clone()].iter().map(|&i| &history[i]).collect();
        let mut ends = HashSet::new();
        let mut best: Vec<usize> = Vec::new();
        for &from in &states {
            match search(&ops, from) {
                Search::Ends(e, b) => {
                    ends.extend(e);
                    if b.len() > best.len() {
                        best = b;
                    }
                }
                Search::TooLarge => return Verdict::Unknown,
            }
        }
        if ends.is_empty() {
            let placed: HashSet<usize> = best.iter().copied().collect();
            let stuck = (0..ops.len())
                .filter(|i| ops[*i].answer_at.is_some() && !placed.contains(i))
                .take(8)
                .map(|i| ops[i].clone())
                .collect();
            let best = best.into_iter().map(|i| order[piece.start + i]).collect();
            return Verdict::Violation(Violation { stuck, best });
        }
        states = ends;
    }
    Verdict::Linearizable
}

/// What searching one piece found.
enum Search {
    /// The states a full ordering can end in (empty: none exists), and the longest order
    /// tried (indexes into the piece).
    Ends(HashSet<State>, Vec<usize>),
    /// The search outgrew its bounds.
    TooLarge,
}

/// Every state the operations of one piece can leave, from `initial`: orders that place every
/// known operation within its window, and any unknown ones within theirs.
fn search(ops: &[&Operation], initial: State) -> Search {
    let n = ops.len();
    let words = n.div_ceil(64).max(1);
    let known: Vec<usize> = (0..n).filter(|&i| ops[i].answer_at.is_some()).collect();
    let mut seen: HashSet<(Vec<u64>, State)> = HashSet::new();
    let mut ends = HashSet::new();
    let mut best: Vec<usize> = Vec::new();
    struct Frame {
        placed: Vec<u64>,
        state: State,
        path: Vec<usize>,
        /// The latest call time among placed operations: nothing whose window ended before
        /// it can come next.
        now: u64,
    }
    let mut stack = vec![Frame {
        placed: vec![0; words],
        state: initial,
        path: Vec::new(),
        now: 0,
    }];
    let is_placed = |p: &[u64], i: usize| p[i / 64] >> (i % 64) & 1 == 1;
    while let Some(f) = stack.pop() {
        if seen.len() > MAX_STATES || seen.len().saturating_mul(words) > MAX_WORDS {
            return Search::TooLarge;
        }
        if !seen.insert((f.placed.clone(), f.state)) {
            continue;
        }
        if f.path.len() > best.len() {
            best.clone_from(&f.path);
        }
        // Every known operation placed: a possible end (unknown ones may still follow).
        if known.iter().all(|&i| is_placed(&f.placed, i)) {
            ends.insert(f.state);
        }
        // The earliest answer among unplaced known operations bounds what can go next: an
        // operation called after it answered cannot come before it.
        let deadline = known
            .iter()
            .filter(|&&i| !is_placed(&f.placed, i))
            .filter_map(|&i| ops[i].answer_at)
            .min()
            .unwrap_or(u64::MAX);
        for (i, op) in ops.iter().enumerate() {
            if is_placed(&f.placed, i) {
                continue;
            }
            if op.call_at > deadline {
                break;
            }
            if op.answer_at.is_none() && op.latest < f.now {
                continue; // too late for it: it never ran
            }
            let (next, ret) = step(f.state, op.call);
            // An unknown outcome takes whatever answer the model gives.
            if op.answer_at.is_some() && ret != op.ret {
                continue;
            }
            let mut placed = f.placed.clone();
            placed[i / 64] |= 1 << (i % 64);
            let mut path = f.path.clone();
            path.push(i);
            stack.push(Frame {
                placed,
                state: next,
                path,
                now: f.now.max(op.call_at),
            });
        }
    }
    Search::Ends(ends, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(client: usize, call_at: u64, answer_at: Option<u64>, call: Call, ret: Ret) -> Operation {
        Operation {
            client,
            call_at,
            answer_at,
            latest: u64::MAX,
            call,
            ret,
        }
    }

    #[test]
    fn a_sequential_history_is_linearizable() {
        let h = vec![
            op(0, 0, Some(1), Call::Create(1), Ret::Done),
            op(1, 2, Some(3), Call::Read, Ret::Read(Some((1, 0)))),
            op(0, 4, Some(5), Call::Set(2, Some(0)), Ret::Version(1)),
            op(1, 6, Some(7), Call::Read, Ret::Read(Some((2, 1)))),
        ];
        assert_eq!(check(&h, None), Verdict::Linearizable);
    }

    #[test]
    fn concurrent_operations_may_take_either_order() {
        // The read overlaps the set: it may see either value.
        for seen in [Some((1, 0)), Some((2, 1))] {
            let h = vec![
                op(0, 0, Some(1), Call::Create(1), Ret::Done),
                op(0, 2, Some(10), Call::Set(2, None), Ret::Version(1)),
                op(1, 3, Some(9), Call::Read, Ret::Read(seen)),
            ];
            assert_eq!(check(&h, None), Verdict::Linearizable, "{seen:?}");
        }
    }

    #[test]
    fn a_lost_acknowledged_write_is_caught() {
        // The set was acknowledged, then a later read sees the old value.
        let h = vec![
            op(0, 0, Some(1), Call::Create(1), Ret::Done),
            op(0, 2, Some(3), Call::Set(2, None), Ret::Version(1)),
            op(1, 4, Some(5), Call::Read, Ret::Read(Some((1, 0)))),
        ];
        let Verdict::Violation(v) = check(&h, None) else {
            panic!("not caught")
        };
        assert_eq!(v.stuck.len(), 1);
        assert_eq!(v.stuck[0].call, Call::Read);
    }

    #[test]
    fn a_stale_read_is_caught() {
        // Two reads after the write: the second goes back in time.
        let h = vec![
            op(0, 0, Some(1), Call::Create(1), Ret::Done),
            op(0, 2, Some(6), Call::Set(2, None), Ret::Version(1)),
            op(1, 3, Some(4), Call::Read, Ret::Read(Some((2, 1)))),
            op(2, 5, Some(7), Call::Read, Ret::Read(Some((1, 0)))),
        ];
        assert!(matches!(check(&h, None), Verdict::Violation(_)));
    }

    #[test]
    fn an_unknown_outcome_may_or_may_not_have_happened() {
        for seen in [Some((1, 0)), Some((2, 1))] {
            let h = vec![
                op(0, 0, Some(1), Call::Create(1), Ret::Done),
                op(0, 2, None, Call::Set(2, Some(0)), Ret::Done),
                op(1, 10, Some(11), Call::Read, Ret::Read(seen)),
            ];
            assert_eq!(check(&h, None), Verdict::Linearizable, "{seen:?}");
        }
        // But it cannot happen twice, nor be seen before it was called.
        let h = vec![
            op(0, 0, Some(1), Call::Create(1), Ret::Done),
            op(1, 2, Some(3), Call::Read, Ret::Read(Some((2, 1)))),
            op(0, 5, None, Call::Set(2, Some(0)), Ret::Done),
        ];
        assert!(matches!(check(&h, None), Verdict::Violation(_)));
    }

    #[test]
    fn errors_are_answers_too() {
        let h = vec![
            op(0, 0, Some(1), Call::Create(1), Ret::Done),
            op(1, 2, Some(3), Call::Create(5), Ret::NodeExists),
            op(1, 4, Some(5), Call::Set(5, Some(3)), Ret::BadVersion),
            op(0, 6, Some(7), Call::Delete(Some(0)), Ret::Done),
            op(1, 8, Some(9), Call::Delete(None), Ret::NoNode),
        ];
        assert_eq!(check(&h, None), Verdict::Linearizable);
        // A create answered NodeExists on a key that never existed is caught.
        let h = vec![op(0, 0, Some(1), Call::Create(1), Ret::NodeExists)];
        assert!(matches!(check(&h, None), Verdict::Violation(_)));
    }

    #[test]
    fn an_unknown_outcome_cannot_take_effect_after_its_window() {
        // The lost set's session answered a later request at 4: had the set run, it ran
        // before that; a read at 10 seeing it for the first time after a read at 6 that did
        // not is a violation.
        let mut lost = op(0, 2, None, Call::Set(2, None), Ret::Done);
        lost.latest = 4;
        let h = vec![
            op(0, 0, Some(1), Call::Create(1), Ret::Done),
            lost,
            op(0, 3, Some(4), Call::Read, Ret::Read(Some((1, 0)))),
            op(1, 6, Some(7), Call::Read, Ret::Read(Some((1, 0)))),
            op(1, 10, Some(11), Call::Read, Ret::Read(Some((2, 1)))),
        ];
        assert!(matches!(check(&h, None), Verdict::Violation(_)));
    }

    #[test]
    fn a_long_history_is_checked_piece_by_piece() {
        // 100,000 operations, in bursts of two concurrent sets and a read.
        let mut h = vec![op(0, 0, Some(1), Call::Create(0), Ret::Done)];
        let mut version = 0;
        for b in 0..33_333u64 {
            let t = 10 + 10 * b;
            h.push(op(
                1,
                t,
                Some(t + 3),
                Call::Set(2 * b, None),
                Ret::Version(version + 1),
            ));
            h.push(op(
                2,
                t + 1,
                Some(t + 4),
                Call::Set(2 * b + 1, None),
                Ret::Version(version + 2),
            ));
            version += 2;
            h.push(op(
                3,
                t + 5,
                Some(t + 6),
                Call::Read,
                Ret::Read(Some((2 * b + 1, version))),
            ));
        }
        assert_eq!(check(&h, None), Verdict::Linearizable);
        // A stale read near the end is still caught.
        let last = h.len() - 1;
        h[last].ret = Ret::Read(Some((0, version)));
        let Verdict::Violation(v) = check(&h, None) else {
            panic!("not caught")
        };
        assert_eq!(v.stuck[0].call, Call::Read);
    }

    #[test]
    fn many_unknowns_with_windows_stay_tractable() {
        // Forty writes lost in flight, each decided before its client's next answer; every
        // even one is seen by a read (so it ran), the odd ones never are (so they did not).
        let mut h = vec![op(0, 0, Some(1), Call::Create(0), Ret::Done)];
        for i in 0..40u64 {
            let mut lost = op(
                (i % 8) as usize,
                2 + 10 * i,
                None,
                Call::Set(i + 1, None),
                Ret::Done,
            );
            lost.latest = 8 + 10 * i;
            h.push(lost);
            if i % 2 == 0 {
                let version = i32::try_from(i / 2 + 1).unwrap();
                h.push(op(
                    8,
                    9 + 10 * i,
                    Some(10 + 10 * i),
                    Call::Read,
                    Ret::Read(Some((i + 1, version))),
                ));
            }
        }
        assert_eq!(check(&h, None), Verdict::Linearizable);
    }
}
