//! The model each key is checked against: a versioned register that may not exist (a node's
//! data and version), and the operations the workload applies to it with the results
//! ZooKeeper gives.

/// A key's state: `None` when the node does not exist, else its value and version.
pub type State = Option<(u64, i32)>;

/// An operation on one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `create` with a value.
    Create(u64),
    /// `setData` with a value, at a version (`None`: any).
    Set(u64, Option<i32>),
    /// `delete` at a version (`None`: any).
    Delete(Option<i32>),
    /// `getData` (or `exists`).
    Read,
}

/// What the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    /// Created, deleted: done.
    Done,
    /// Set: the new version.
    Version(i32),
    /// Read: the node's value and version, or absent.
    Read(State),
    /// `NodeExists`.
    NodeExists,
    /// `NoNode`.
    NoNode,
    /// `BadVersion`.
    BadVersion,
}

/// Applies `call` to `state`: the next state and the answer it must give.
pub fn step(state: State, call: Call) -> (State, Ret) {
    match (call, state) {
        (Call::Create(v), None) => (Some((v, 0)), Ret::Done),
        (Call::Create(_), s @ Some(_)) => (s, Ret::NodeExists),
        (Call::Set(..), None) => (None, Ret::NoNode),
        (Call::Set(_, Some(e)), s @ Some((_, ver))) if e != ver => (s, Ret::BadVersion),
        (Call::Set(v, _), Some((_, ver))) => (Some((v, ver + 1)), Ret::Version(ver + 1)),
        (Call::Delete(_), None) => (None, Ret::NoNode),
        (Call::Delete(Some(e)), s @ Some((_, ver))) if e != ver => (s, Ret::BadVersion),
        (Call::Delete(_), Some(_)) => (None, Ret::Done),
        (Call::Read, s) => (s, Ret::Read(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_behaves_as_a_node() {
        let (s, r) = step(None, Call::Create(7));
        assert_eq!((s, r), (Some((7, 0)), Ret::Done));
        assert_eq!(step(s, Call::Create(8)).1, Ret::NodeExists);
        assert_eq!(step(s, Call::Set(9, Some(1))).1, Ret::BadVersion);
        let (s, r) = step(s, Call::Set(9, Some(0)));
        assert_eq!((s, r), (Some((9, 1)), Ret::Version(1)));
        assert_eq!(step(s, Call::Read).1, Ret::Read(Some((9, 1))));
        assert_eq!(step(s, Call::Delete(Some(0))).1, Ret::BadVersion);
        assert_eq!(step(s, Call::Delete(None)), (None, Ret::Done));
        assert_eq!(step(None, Call::Set(1, None)).1, Ret::NoNode);
    }
}
