//! Linearizability of one object's history (a node, or a group of nodes that multis span), by a Wing–Gong search with memoization (as Knossos
//! and Porcupine do): find an order of the operations, each placed between its call and its
//! answer, in which the model gives every answer the server gave. An operation whose outcome
//! is unknown (connection lost, timed out) takes any answer and may be left out; it can take
//! effect only until `latest` (ZooKeeper runs a session's requests in the order sent, so a
//! request lost in flight either ran before the session's next answered request, or never;
//! and nothing runs after its session ended).

use std::collections::HashSet;
use std::ops::Range;

use crate::model::{Call, Model, Ret};

/// One operation of an object's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation<C = Call, R = Ret> {
    /// Who did it (for reports).
    pub client: usize,
    /// When it was called (any monotonic clock, e.g. microseconds since the start).
    pub call_at: u64,
    /// When its answer came; `None` when the outcome is unknown.
    pub answer_at: Option<u64>,
    /// For an unknown outcome: the latest time it could have taken effect (`u64::MAX`: any).
    pub latest: u64,
    /// What was asked.
    pub call: C,
    /// What was answered (ignored when the outcome is unknown).
    pub ret: R,
}

/// An operation of a model's history.
pub type OperationOf<M> = Operation<<M as Model>::Call, <M as Model>::Ret>;

/// Why a history is not linearizable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation<M: Model> {
    /// The operations that could not be ordered (answered ones the longest order found left
    /// out; at most eight).
    pub stuck: Vec<OperationOf<M>>,
    /// The longest order the search managed, as indexes into the history.
    pub best: Vec<usize>,
    /// A minimal sub-history that is not linearizable either, for the same reason: one
    /// operation (the first the longest order left out) cannot be placed, and removing any one
    /// of the others makes it linearizable or makes the failure another operation's (from the
    /// states in `from`). In call order.
    pub minimal: Vec<OperationOf<M>>,
    /// The states the object could be in when the piece of history holding the violation
    /// began (every earlier piece was linearizable and could end in these).
    pub from: Vec<M::State>,
}

/// How many search states one search may cost before the checker gives up (and says so).
pub const MAX_STATES: usize = 5_000_000;

/// How many 64-bit words the remembered states may take in all (800 MB): a long history makes
/// each state larger, so fewer fit.
pub const MAX_WORDS: usize = 100_000_000;

/// How many searches shrinking a violation to a minimal sub-history may cost.
pub const MAX_SHRINK_SEARCHES: usize = 3_000;

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<M: Model> {
    /// An order exists.
    Linearizable,
    /// None exists.
    Violation(Violation<M>),
    /// The search was too large to finish.
    Unknown,
}

/// How many operations before a violation (whole pieces of history) shrinking starts from,
/// so the minimal sub-history can show the writes that led to it.
pub const SHRINK_WINDOW: usize = 300;

/// Checks one object's history, from `initial`.
///
/// The history is cut where no operation is in flight (every earlier one ended before the next
/// one was called): each piece is searched on its own, from every state the pieces before it
/// could end in, so a long history costs many small searches instead of one huge one. A piece
/// with no order is then shrunk, together with the pieces just before it, to a minimal
/// sub-history that has none either.
pub fn check<M: Model>(history: &[OperationOf<M>], initial: M::State) -> Verdict<M> {
    let mut order: Vec<usize> = (0..history.len()).collect();
    order.sort_by_key(|&i| history[i].call_at);
    let ops: Vec<&OperationOf<M>> = order.iter().map(|&i| &history[i]).collect();
    let stuck = match run::<M>(&ops, HashSet::from([initial])) {
        Run::Ends => return Verdict::Linearizable,
        Run::TooLarge => return Verdict::Unknown,
        Run::Stuck(stuck) => stuck,
    };
    let Stuck {
        pieces,
        piece,
        best,
        entries,
    } = stuck;
    let range = pieces[piece].clone();
    let placed: HashSet<usize> = best.iter().copied().collect();
    let stuck_ops = range
        .clone()
        .enumerate()
        .filter(|(i, at)| ops[*at].answer_at.is_some() && !placed.contains(i))
        .take(8)
        .map(|(_, at)| ops[at].clone())
        .collect();
    let best = best.into_iter().map(|i| order[range.start + i]).collect();
    // Shrink from a few pieces back, so that the writes behind the states the failing piece
    // started from can be part of what is shown.
    let mut first = piece;
    while first > 0 && range.end - pieces[first - 1].start <= SHRINK_WINDOW {
        first -= 1;
    }
    let window = ops[pieces[first].start..range.end].to_vec();
    let from = entries[first].clone();
    // The operation to explain: the first one the longest order left out.
    let target = range
        .clone()
        .enumerate()
        .find(|(i, at)| ops[*at].answer_at.is_some() && !placed.contains(i))
        .map(|(_, at)| ops[at]);
    let minimal = match target {
        Some(t) => shrink::<M>(window, t, &from),
        None => window,
    };
    let minimal = minimal.into_iter().cloned().collect();
    Verdict::Violation(Violation {
        stuck: stuck_ops,
        best,
        minimal,
        from: from.into_iter().collect(),
    })
}

/// When an operation stops mattering: its answer, or for an unknown outcome the latest time it
/// could have taken effect.
fn end<C, R>(op: &Operation<C, R>) -> u64 {
    op.answer_at.unwrap_or(op.latest)
}

/// Cuts operations sorted by call time where nothing is in flight.
fn pieces<C, R>(ops: &[&Operation<C, R>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut max_end = 0u64;
    for (pos, op) in ops.iter().enumerate() {
        if pos > start && max_end < op.call_at {
            out.push(start..pos);
            start = pos;
        }
        max_end = max_end.max(end(op));
    }
    if start < ops.len() {
        out.push(start..ops.len());
    }
    out
}

/// Where running the pieces got stuck.
struct Stuck<S> {
    /// The pieces of the history.
    pieces: Vec<Range<usize>>,
    /// The one no order exists for.
    piece: usize,
    /// The longest order tried in it (indexes into the piece).
    best: Vec<usize>,
    /// The states each piece up to it could start from.
    entries: Vec<HashSet<S>>,
}

/// What running a history's pieces found.
enum Run<S> {
    /// An order exists for every piece.
    Ends,
    /// A piece has no order.
    Stuck(Stuck<S>),
    /// A search outgrew its bounds.
    TooLarge,
}

/// Searches the pieces of `ops` (sorted by call time) in turn, from `states`.
fn run<M: Model>(ops: &[&OperationOf<M>], mut states: HashSet<M::State>) -> Run<M::State> {
    let pieces = pieces(ops);
    let mut entries = Vec::with_capacity(pieces.len());
    for (p, piece) in pieces.iter().enumerate() {
        let mut ends = HashSet::new();
        let mut best: Vec<usize> = Vec::new();
        for from in &states {
            match search::<M>(&ops[piece.clone()], from) {
                Search::Ends(e, b) => {
                    ends.extend(e);
                    if b.len() > best.len() {
                        best = b;
                    }
                }
                Search::TooLarge => return Run::TooLarge,
            }
        }
        entries.push(states);
        if ends.is_empty() {
            return Run::Stuck(Stuck {
                pieces,
                piece: p,
                best,
                entries,
            });
        }
        states = ends;
    }
    Run::Ends
}

/// Whether `ops` (sorted by call time) have no order from any of `states` (`None`: a search
/// was too large).
fn fails<M: Model>(ops: &[&OperationOf<M>], states: &HashSet<M::State>) -> Option<bool> {
    match run::<M>(ops, states.clone()) {
        Run::Ends => Some(false),
        Run::Stuck(_) => Some(true),
        Run::TooLarge => None,
    }
}

/// Shrinks a failing history around `target`, an operation no order could place: removes the
/// other operations one at a time, last first, keeping each removal after which the rest still
/// has no order while the rest without `target` has one (so the failure stays `target`'s), and
/// goes over them again until no removal is kept. What is left shows why `target` cannot be
/// placed: removing any one other operation makes it linearizable or makes the failure another
/// operation's (within [`MAX_SHRINK_SEARCHES`]).
fn shrink<'a, M: Model>(
    mut ops: Vec<&'a OperationOf<M>>,
    target: &OperationOf<M>,
    states: &HashSet<M::State>,
) -> Vec<&'a OperationOf<M>> {
    let mut budget = MAX_SHRINK_SEARCHES;
    let is_target = |o: &&OperationOf<M>| std::ptr::eq(*o, target);
    let blames_target = |trial: &[&OperationOf<M>]| {
        let without: Vec<&OperationOf<M>> =
            trial.iter().copied().filter(|o| !is_target(o)).collect();
        fails::<M>(trial, states) == Some(true) && fails::<M>(&without, states) == Some(false)
    };
    loop {
        let before = ops.len();
        let mut i = ops.len();
        while i > 0 && budget > 0 {
            i -= 1;
            if is_target(&ops[i]) {
                continue;
            }
            budget -= 1;
            let mut trial = ops.clone();
            trial.remove(i);
            if blames_target(&trial) {
                ops = trial;
            }
        }
        if ops.len() == before || budget == 0 {
            return ops;
        }
    }
}

/// What searching one piece found.
enum Search<S> {
    /// The states a full ordering can end in (empty: none exists), and the longest order
    /// tried (indexes into the piece).
    Ends(HashSet<S>, Vec<usize>),
    /// The search outgrew its bounds.
    TooLarge,
}

/// Every state the operations of one piece can leave, from `initial`: orders that place every
/// known operation within its window, and any unknown ones within theirs.
fn search<M: Model>(ops: &[&OperationOf<M>], initial: &M::State) -> Search<M::State> {
    let n = ops.len();
    let words = n.div_ceil(64).max(1);
    let known: Vec<usize> = (0..n).filter(|&i| ops[i].answer_at.is_some()).collect();
    let mut seen: HashSet<(Vec<u64>, M::State)> = HashSet::new();
    let mut ends = HashSet::new();
    let mut best: Vec<usize> = Vec::new();
    struct Frame<S> {
        placed: Vec<u64>,
        state: S,
        path: Vec<usize>,
        /// The latest call time among placed operations: nothing whose window ended before
        /// it can come next.
        now: u64,
    }
    let mut stack = vec![Frame {
        placed: vec![0; words],
        state: initial.clone(),
        path: Vec::new(),
        now: 0,
    }];
    let is_placed = |p: &[u64], i: usize| p[i / 64] >> (i % 64) & 1 == 1;
    while let Some(f) = stack.pop() {
        if seen.len() > MAX_STATES || seen.len().saturating_mul(words) > MAX_WORDS {
            return Search::TooLarge;
        }
        if !seen.insert((f.placed.clone(), f.state.clone())) {
            continue;
        }
        if f.path.len() > best.len() {
            best.clone_from(&f.path);
        }
        // Every known operation placed: a possible end (unknown ones may still follow).
        if known.iter().all(|&i| is_placed(&f.placed, i)) {
            ends.insert(f.state.clone());
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
            let (next, ret) = M::step(&f.state, &op.call);
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
    use crate::model::{Group, GroupCall, GroupRet, Register};

    fn op<C, R>(
        client: usize,
        call_at: u64,
        answer_at: Option<u64>,
        call: C,
        ret: R,
    ) -> Operation<C, R> {
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
        assert_eq!(check::<Register>(&h, None), Verdict::Linearizable);
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
            assert_eq!(
                check::<Register>(&h, None),
                Verdict::Linearizable,
                "{seen:?}"
            );
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
        let Verdict::Violation(v) = check::<Register>(&h, None) else {
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
        assert!(matches!(check::<Register>(&h, None), Verdict::Violation(_)));
    }

    #[test]
    fn an_unknown_outcome_may_or_may_not_have_happened() {
        for seen in [Some((1, 0)), Some((2, 1))] {
            let h = vec![
                op(0, 0, Some(1), Call::Create(1), Ret::Done),
                op(0, 2, None, Call::Set(2, Some(0)), Ret::Done),
                op(1, 10, Some(11), Call::Read, Ret::Read(seen)),
            ];
            assert_eq!(
                check::<Register>(&h, None),
                Verdict::Linearizable,
                "{seen:?}"
            );
        }
        // But it cannot happen twice, nor be seen before it was called.
        let h = vec![
            op(0, 0, Some(1), Call::Create(1), Ret::Done),
            op(1, 2, Some(3), Call::Read, Ret::Read(Some((2, 1)))),
            op(0, 5, None, Call::Set(2, Some(0)), Ret::Done),
        ];
        assert!(matches!(check::<Register>(&h, None), Verdict::Violation(_)));
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
        assert_eq!(check::<Register>(&h, None), Verdict::Linearizable);
        // A create answered NodeExists on a key that never existed is caught.
        let h = vec![op(0, 0, Some(1), Call::Create(1), Ret::NodeExists)];
        assert!(matches!(check::<Register>(&h, None), Verdict::Violation(_)));
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
        assert!(matches!(check::<Register>(&h, None), Verdict::Violation(_)));
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
        assert_eq!(check::<Register>(&h, None), Verdict::Linearizable);
        // A stale read near the end is still caught.
        let last = h.len() - 1;
        h[last].ret = Ret::Read(Some((0, version)));
        let Verdict::Violation(v) = check::<Register>(&h, None) else {
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
        assert_eq!(check::<Register>(&h, None), Verdict::Linearizable);
    }

    #[test]
    fn a_multi_is_one_atomic_step_on_several_keys() {
        let both = GroupCall::Multi(vec![(0, Call::Create(1)), (1, Call::Create(2))]);
        let done = GroupRet::Multi(Ok(vec![Ret::Done, Ret::Done]));
        // Readers overlapping the multi may see both nodes or neither.
        for seen in [vec![], vec![0, 1]] {
            let h = vec![
                op(0, 0, Some(10), both.clone(), done.clone()),
                op(
                    1,
                    2,
                    Some(3),
                    GroupCall::Children,
                    GroupRet::Children(seen.clone()),
                ),
            ];
            assert_eq!(check::<Group>(&h, vec![None, None]), Verdict::Linearizable);
        }
        // Never half of it.
        let h = vec![
            op(0, 0, Some(10), both.clone(), done.clone()),
            op(
                1,
                2,
                Some(3),
                GroupCall::Children,
                GroupRet::Children(vec![0]),
            ),
        ];
        assert!(matches!(
            check::<Group>(&h, vec![None, None]),
            Verdict::Violation(_)
        ));
        // A failed multi changes nothing: a read after it that sees its first op is caught.
        let failed = GroupCall::Multi(vec![(0, Call::Create(1)), (1, Call::Check(0))]);
        let h = vec![
            op(
                0,
                0,
                Some(1),
                failed,
                GroupRet::Multi(Err((1, Ret::NoNode))),
            ),
            op(
                1,
                2,
                Some(3),
                GroupCall::One(0, Call::Read),
                GroupRet::One(Ret::Read(Some((1, 0)))),
            ),
        ];
        assert!(matches!(
            check::<Group>(&h, vec![None, None]),
            Verdict::Violation(_)
        ));
    }

    #[test]
    fn a_violation_is_shrunk_to_a_minimal_sub_history() {
        // Noise around a lost write: concurrent reads and writes of another value that are
        // all fine, then a read that goes back to a value overwritten long before.
        let mut h = vec![op(0, 0, Some(1), Call::Create(0), Ret::Done)];
        let mut version = 0;
        for i in 1..=20u64 {
            version += 1;
            h.push(op(
                1,
                10 * i,
                Some(10 * i + 5),
                Call::Set(i, None),
                Ret::Version(version),
            ));
            h.push(op(
                2,
                10 * i + 1,
                Some(10 * i + 4),
                Call::Read,
                Ret::Read(Some((i - 1, version - 1))),
            ));
        }
        h.push(op(3, 300, Some(301), Call::Read, Ret::Read(Some((3, 3)))));
        let Verdict::Violation(v) = check::<Register>(&h, None) else {
            panic!("not caught")
        };
        // What is left: the stale read, and the writes that show it stale: the create and the
        // sets up to the first one that overwrote the value it read (the reads in between, and
        // the later sets, are not needed).
        let calls: Vec<Call> = v.minimal.iter().map(|o| o.call).collect();
        assert_eq!(
            calls,
            [
                Call::Create(0),
                Call::Set(1, None),
                Call::Set(2, None),
                Call::Set(3, None),
                Call::Set(4, None),
                Call::Read
            ]
        );
        let from: HashSet<_> = v.from.iter().copied().collect();
        let refs: Vec<&Operation> = v.minimal.iter().collect();
        assert_eq!(fails::<Register>(&refs, &from), Some(true));
        assert_eq!(fails::<Register>(&refs[..5], &from), Some(false));
        // Without the set that overwrote it, the read is fine.
        let mut less = refs.clone();
        less.remove(4);
        assert_eq!(fails::<Register>(&less, &from), Some(false));
        for i in 0..4 {
            let mut less = refs.clone();
            less.remove(i);
            let without_read = &less[..less.len() - 1];
            // Either fine, or it fails before the read: the failure is another operation's.
            let shifted = fails::<Register>(without_read, &from) == Some(true);
            assert!(
                shifted || fails::<Register>(&less, &from) == Some(false),
                "{i}"
            );
        }
    }
}
