//! The models histories are checked against.
//!
//! [`Register`]: one node, a versioned register that may not exist (its data and version),
//! with the operations the workload applies to it and the results ZooKeeper gives.
//! [`Group`]: the nodes under one parent, each such a register, with `multi` applied to several
//! of them as one atomic step and `getChildren` reading which of them exist. The soak puts its
//! keys in small groups: a multi never spans groups, so each group is checked on its own
//! (linearizability is local to objects, and a group is one object).

use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification: what an operation does to a state, and the answer it gives.
pub trait Model {
    /// The object's state.
    type State: Clone + Eq + Hash + Debug;
    /// What is asked.
    type Call: Clone + Eq + Debug;
    /// What is answered.
    type Ret: Clone + Eq + Debug;
    /// Applies `call` to `state`: the next state and the answer it must give.
    fn step(state: &Self::State, call: &Self::Call) -> (Self::State, Self::Ret);
}

/// A node's state: `None` when it does not exist, else its value and version.
pub type KeyState = Option<(u64, i32)>;

/// An operation on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    /// `create` with a value.
    Create(u64),
    /// `setData` with a value, at a version (`None`: any).
    Set(u64, Option<i32>),
    /// `delete` at a version (`None`: any).
    Delete(Option<i32>),
    /// A multi's `check` of the version.
    Check(i32),
    /// `getData` (or `exists`).
    Read,
}

impl Call {
    /// Whether the call changes the node when `ret` says it succeeded.
    pub fn changes(self, ret: Ret) -> bool {
        matches!(
            (self, ret),
            (Call::Create(_), Ret::Done)
                | (Call::Set(..), Ret::Version(_))
                | (Call::Delete(_), Ret::Done)
        )
    }
}

/// What the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// Created, deleted, checked: done.
    Done,
    /// Set: the new version.
    Version(i32),
    /// Read: the node's value and version, or absent.
    Read(KeyState),
    /// `NodeExists`.
    NodeExists,
    /// `NoNode`.
    NoNode,
    /// `BadVersion`.
    BadVersion,
}

impl Ret {
    /// Whether this answer is a failure that makes a multi fail.
    pub fn is_error(self) -> bool {
        matches!(self, Ret::NodeExists | Ret::NoNode | Ret::BadVersion)
    }
}

/// One node as a versioned register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Register;

/// Applies `call` to one node's `state`.
pub fn step_key(state: KeyState, call: Call) -> (KeyState, Ret) {
    match (call, state) {
        (Call::Create(v), None) => (Some((v, 0)), Ret::Done),
        (Call::Create(_), s @ Some(_)) => (s, Ret::NodeExists),
        (Call::Set(..) | Call::Delete(_) | Call::Check(_), None) => (None, Ret::NoNode),
        (Call::Set(_, Some(e)) | Call::Delete(Some(e)), s @ Some((_, ver))) if e != ver => {
            (s, Ret::BadVersion)
        }
        (Call::Check(e), s @ Some((_, ver))) => {
            (s, if e == ver { Ret::Done } else { Ret::BadVersion })
        }
        (Call::Set(v, _), Some((_, ver))) => (Some((v, ver + 1)), Ret::Version(ver + 1)),
        (Call::Delete(_), Some(_)) => (None, Ret::Done),
        (Call::Read, s) => (s, Ret::Read(s)),
    }
}

impl Model for Register {
    type State = KeyState;
    type Call = Call;
    type Ret = Ret;
    fn step(state: &KeyState, call: &Call) -> (KeyState, Ret) {
        step_key(*state, *call)
    }
}

/// The nodes of one group, by slot.
pub type GroupState = Vec<KeyState>;

/// An operation on a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupCall {
    /// One operation on the node in a slot.
    One(usize, Call),
    /// A `multi` of operations on slots, applied in order as one atomic step.
    Multi(Vec<(usize, Call)>),
    /// `getChildren` of the group's parent.
    Children,
}

/// What a group operation was answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupRet {
    /// The answer to a single operation.
    One(Ret),
    /// A multi: every operation's answer, or the first failing operation and its error.
    Multi(Result<Vec<Ret>, (usize, Ret)>),
    /// The slots whose node exists.
    Children(Vec<usize>),
}

impl GroupCall {
    /// Whether, answered `ret`, the operation changed the node in `slot`.
    pub fn changes(&self, ret: &GroupRet, slot: usize) -> bool {
        match (self, ret) {
            (GroupCall::One(s, c), GroupRet::One(r)) => *s == slot && c.changes(*r),
            (GroupCall::Multi(ops), GroupRet::Multi(Ok(rets))) => ops
                .iter()
                .zip(rets)
                .any(|((s, c), r)| *s == slot && c.changes(*r)),
            _ => false,
        }
    }
}

/// The nodes under one parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group;

impl Model for Group {
    type State = GroupState;
    type Call = GroupCall;
    type Ret = GroupRet;
    fn step(state: &GroupState, call: &GroupCall) -> (GroupState, GroupRet) {
        match call {
            GroupCall::One(slot, c) => {
                let Some(&key) = state.get(*slot) else {
                    return (state.clone(), GroupRet::One(Ret::NoNode));
                };
                let (next, ret) = step_key(key, *c);
                let mut out = state.clone();
                out[*slot] = next;
                (out, GroupRet::One(ret))
            }
            GroupCall::Multi(ops) => {
                let mut scratch = state.clone();
                let mut rets = Vec::with_capacity(ops.len());
                for (i, (slot, c)) in ops.iter().enumerate() {
                    let Some(&key) = scratch.get(*slot) else {
                        return (state.clone(), GroupRet::Multi(Err((i, Ret::NoNode))));
                    };
                    let (next, ret) = step_key(key, *c);
                    if ret.is_error() {
                        // All or nothing: the state stays as it was.
                        return (state.clone(), GroupRet::Multi(Err((i, ret))));
                    }
                    scratch[*slot] = next;
                    rets.push(ret);
                }
                (scratch, GroupRet::Multi(Ok(rets)))
            }
            GroupCall::Children => {
                let present = (0..state.len()).filter(|&s| state[s].is_some()).collect();
                (state.clone(), GroupRet::Children(present))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_behaves_as_a_node() {
        let (s, r) = step_key(None, Call::Create(7));
        assert_eq!((s, r), (Some((7, 0)), Ret::Done));
        assert_eq!(step_key(s, Call::Create(8)).1, Ret::NodeExists);
        assert_eq!(step_key(s, Call::Set(9, Some(1))).1, Ret::BadVersion);
        let (s, r) = step_key(s, Call::Set(9, Some(0)));
        assert_eq!((s, r), (Some((9, 1)), Ret::Version(1)));
        assert_eq!(step_key(s, Call::Read).1, Ret::Read(Some((9, 1))));
        assert_eq!(step_key(s, Call::Check(1)), (s, Ret::Done));
        assert_eq!(step_key(s, Call::Check(0)).1, Ret::BadVersion);
        assert_eq!(step_key(None, Call::Check(0)).1, Ret::NoNode);
        assert_eq!(step_key(s, Call::Delete(Some(0))).1, Ret::BadVersion);
        assert_eq!(step_key(s, Call::Delete(None)), (None, Ret::Done));
        assert_eq!(step_key(None, Call::Set(1, None)).1, Ret::NoNode);
    }

    #[test]
    fn a_multi_is_all_or_nothing() {
        let start = vec![Some((1, 0)), None];
        // Create slot 1, then set it within the same multi: both apply.
        let ok = GroupCall::Multi(vec![
            (0, Call::Check(0)),
            (1, Call::Create(5)),
            (1, Call::Set(6, Some(0))),
        ]);
        let (s, r) = Group::step(&start, &ok);
        assert_eq!(s, vec![Some((1, 0)), Some((6, 1))]);
        assert_eq!(
            r,
            GroupRet::Multi(Ok(vec![Ret::Done, Ret::Done, Ret::Version(1)]))
        );
        assert!(ok.changes(&r, 1) && !ok.changes(&r, 0));
        // A failing check undoes the create before it.
        let bad = GroupCall::Multi(vec![(1, Call::Create(5)), (0, Call::Check(3))]);
        let (s, r) = Group::step(&start, &bad);
        assert_eq!(s, start);
        assert_eq!(r, GroupRet::Multi(Err((1, Ret::BadVersion))));
        assert!(!bad.changes(&r, 1));
        assert_eq!(
            Group::step(&start, &GroupCall::Children).1,
            GroupRet::Children(vec![0])
        );
    }
}
