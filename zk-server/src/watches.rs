//! Watches, as ZooKeeper's two `WatchManager`s keep and fire them: data watches (set by
//! `getData` and `exists`), child watches (`getChildren`), and `addWatch`'s persistent and
//! persistent recursive watches (in both managers, as ZooKeeper 3.8 keeps them; a recursive
//! one fires for the node and everything under it, never for child-list changes). One-shot watches go when they
//! fire. A session gets at most one notification per trigger, whatever number of its watches
//! matched; a delete's `NodeDeleted` goes once to a session that watched both the data and
//! the children.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jute_schemas::protocol::{ErrorCode, EventType};

use crate::tree::{split, Txn};

/// How a watch was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// One-shot, on data (`getData`, `exists`).
    Data,
    /// One-shot, on children (`getChildren`).
    Child,
    /// `addWatch` persistent: data and children events of the node, until removed.
    Persistent,
    /// `addWatch` persistent recursive: data events of the node and every node under it.
    PersistentRecursive,
}

/// What `checkWatches` and `removeWatches` ask about (ZooKeeper's `WatcherType`).
///
/// `Children`, `Data` and `Any` behave as in ZooKeeper 3.8, which keeps one mode per session
/// and path and matches a watch of any mode (so removing `Data` on a persistent watch takes
/// it out of the data manager only; and checking finds anyone's watch); `Persistent` and
/// `PersistentRecursive` (3.9) match only the session's watches of that mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchKind {
    /// 1: child watches.
    Children,
    /// 2: data watches.
    Data,
    /// 3: either.
    Any,
    /// 4: persistent watches.
    Persistent,
    /// 5: persistent recursive watches.
    PersistentRecursive,
}

impl TryFrom<i32> for WatchKind {
    type Error = ErrorCode;

    /// `MarshallingError` for a number that names no type, as ZooKeeper answers it.
    fn try_from(v: i32) -> Result<WatchKind, ErrorCode> {
        Ok(match v {
            1 => WatchKind::Children,
            2 => WatchKind::Data,
            3 => WatchKind::Any,
            4 => WatchKind::Persistent,
            5 => WatchKind::PersistentRecursive,
            _ => return Err(ErrorCode::MarshallingError),
        })
    }
}

/// One manager: path → session → mode (as ZooKeeper keeps one mode per watcher and path).
#[derive(Debug, Default, Clone)]
struct Manager {
    watches: HashMap<String, BTreeMap<i64, Mode>>,
    /// How many recursive watches there are: without any, parents are not looked at.
    recursive: usize,
}

impl Manager {
    fn add(&mut self, path: &str, session: i64, mode: Mode) {
        let slot = self.watches.entry(path.to_string()).or_default();
        let old = slot.insert(session, mode);
        if old == Some(Mode::PersistentRecursive) {
            self.recursive -= 1;
        }
        if mode == Mode::PersistentRecursive {
            self.recursive += 1;
        }
    }

    /// The sessions a trigger of `event` at `path` reaches, one-shot watches taken away.
    fn trigger(&mut self, path: &str, event: EventType) -> BTreeSet<i64> {
        let mut reached = BTreeSet::new();
        if let Some(slot) = self.watches.get_mut(path) {
            slot.retain(|session, mode| match mode {
                Mode::PersistentRecursive => {
                    if event != EventType::NodeChildrenChanged {
                        reached.insert(*session);
                    }
                    true
                }
                Mode::Persistent => {
                    reached.insert(*session);
                    true
                }
                Mode::Data | Mode::Child => {
                    reached.insert(*session);
                    false
                }
            });
            if slot.is_empty() {
                self.watches.remove(path);
            }
        }
        if self.recursive > 0 && event != EventType::NodeChildrenChanged {
            let mut at = path;
            while at != "/" {
                at = split(at).0;
                if let Some(slot) = self.watches.get(at) {
                    reached.extend(
                        slot.iter()
                            .filter(|(_, m)| **m == Mode::PersistentRecursive)
                            .map(|(s, _)| *s),
                    );
                }
            }
        }
        reached
    }

    /// Whether `session` watches `path` (in `mode`, or in any mode for `None`).
    fn has(&self, path: &str, session: i64, mode: Option<Mode>) -> bool {
        self.watches
            .get(path)
            .and_then(|slot| slot.get(&session))
            .is_some_and(|m| mode.is_none_or(|want| want == *m))
    }

    /// Removes `session`'s watch on `path` (in `mode`, or in any mode); whether there was one.
    fn remove(&mut self, path: &str, session: i64, mode: Option<Mode>) -> bool {
        if !self.has(path, session, mode) {
            return false;
        }
        let Some(slot) = self.watches.get_mut(path) else {
            return false;
        };
        if slot.remove(&session) == Some(Mode::PersistentRecursive) {
            self.recursive -= 1;
        }
        if slot.is_empty() {
            self.watches.remove(path);
        }
        true
    }

    fn remove_session(&mut self, session: i64) {
        for slot in self.watches.values_mut() {
            if slot.remove(&session) == Some(Mode::PersistentRecursive) {
                self.recursive -= 1;
            }
        }
        self.watches.retain(|_, slot| !slot.is_empty());
    }

    fn count(&self) -> usize {
        self.watches.values().map(BTreeMap::len).sum()
    }
}

/// A notification to send: to `session`, `event` at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The session to tell.
    pub session: i64,
    /// What happened.
    pub event: EventType,
    /// Where (the server's path; the session's chroot is the client's business).
    pub path: String,
}

/// Every watch of the server.
#[derive(Debug, Default, Clone)]
pub struct Watches {
    data: Manager,
    child: Manager,
}

impl Watches {
    /// Sets a watch of `mode` on `path` for `session`.
    pub fn add(&mut self, path: &str, session: i64, mode: Mode) {
        match mode {
            Mode::Data => self.data.add(path, session, mode),
            Mode::Child => self.child.add(path, session, mode),
            // ZooKeeper 3.8 keeps both persistent modes in both managers: a one-shot watch
            // set later on the same path replaces the mode in one manager only, and the other
            // goes on (a recursive watch so replaced in the data manager still hears deletes
            // below, through the child manager).
            Mode::Persistent | Mode::PersistentRecursive => {
                self.data.add(path, session, mode);
                self.child.add(path, session, mode);
            }
        }
    }

    /// `checkWatches`: whether there is a watch of `kind` on `path`. For `Children`, `Data`
    /// and `Any` that is ZooKeeper 3.8's answer, which is yes when any session watches the
    /// path in that manager (its `WatchManager.containsWatcher` looks at the path's watchers,
    /// not at the asking one).
    pub fn contains(&self, path: &str, session: i64, kind: WatchKind) -> bool {
        let anyone = |m: &Manager| m.watches.get(path).is_some_and(|slot| !slot.is_empty());
        match kind {
            WatchKind::Children => anyone(&self.child),
            WatchKind::Data => anyone(&self.data),
            WatchKind::Any => anyone(&self.child) || anyone(&self.data),
            WatchKind::Persistent => self.data.has(path, session, Some(Mode::Persistent)),
            WatchKind::PersistentRecursive => {
                self.data
                    .has(path, session, Some(Mode::PersistentRecursive))
            }
        }
    }

    /// `removeWatches`: takes `session`'s watches of `kind` off `path`; whether any was there.
    pub fn remove(&mut self, path: &str, session: i64, kind: WatchKind) -> bool {
        match kind {
            WatchKind::Children => self.child.remove(path, session, None),
            WatchKind::Data => self.data.remove(path, session, None),
            WatchKind::Any => {
                let child = self.child.remove(path, session, None);
                self.data.remove(path, session, None) | child
            }
            WatchKind::Persistent => {
                let child = self.child.remove(path, session, Some(Mode::Persistent));
                self.data.remove(path, session, Some(Mode::Persistent)) | child
            }
            WatchKind::PersistentRecursive => {
                let child = self
                    .child
                    .remove(path, session, Some(Mode::PersistentRecursive));
                self.data
                    .remove(path, session, Some(Mode::PersistentRecursive))
                    | child
            }
        }
    }

    /// The data manager's watches, path → sessions, sorted (what `wchp` lists; ZooKeeper's
    /// `wchs`, `wchc` and `wchp` show the data manager only).
    pub fn data_watches(&self) -> BTreeMap<String, Vec<i64>> {
        self.data
            .watches
            .iter()
            .map(|(path, slot)| (path.clone(), slot.keys().copied().collect()))
            .collect()
    }

    /// Forgets the session's watches (it ended).
    pub fn remove_session(&mut self, session: i64) {
        self.data.remove_session(session);
        self.child.remove_session(session);
    }

    /// How many watches are set (a persistent one counts in both managers, as `wchc` shows).
    pub fn len(&self) -> usize {
        self.data.count() + self.child.count()
    }

    /// Whether no watch is set.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn tell(out: &mut Vec<Notification>, sessions: &BTreeSet<i64>, event: EventType, path: &str) {
        out.extend(sessions.iter().map(|s| Notification {
            session: *s,
            event,
            path: path.to_string(),
        }));
    }

    /// The notifications an applied transaction sends, in ZooKeeper's order: a create's
    /// `NodeCreated` then its parent's `NodeChildrenChanged`; a delete's `NodeDeleted` (once
    /// per session) then the parent's `NodeChildrenChanged`; a set's `NodeDataChanged`.
    /// `deleted` lists the paths a `CloseSession` removed.
    pub fn fire(&mut self, txn: &Txn, deleted: &[String]) -> Vec<Notification> {
        let mut out = Vec::new();
        match txn {
            Txn::Create { path, .. } => {
                let created = self.data.trigger(path, EventType::NodeCreated);
                Self::tell(&mut out, &created, EventType::NodeCreated, path);
                let parent = split(path).0;
                let changed = self.child.trigger(parent, EventType::NodeChildrenChanged);
                Self::tell(&mut out, &changed, EventType::NodeChildrenChanged, parent);
            }
            Txn::Delete { path } => self.deleted(path, &mut out),
            Txn::CloseSession { .. } => {
                for path in deleted {
                    self.deleted(path, &mut out);
                }
            }
            Txn::SetData { path, .. } => {
                let changed = self.data.trigger(path, EventType::NodeDataChanged);
                Self::tell(&mut out, &changed, EventType::NodeDataChanged, path);
            }
            // ZooKeeper fires nothing for an ACL change.
            Txn::SetAcl { .. } => {}
        }
        out
    }

    fn deleted(&mut self, path: &str, out: &mut Vec<Notification>) {
        let mut gone = self.data.trigger(path, EventType::NodeDeleted);
        gone.extend(self.child.trigger(path, EventType::NodeDeleted));
        Self::tell(out, &gone, EventType::NodeDeleted, path);
        let parent = split(path).0;
        let changed = self.child.trigger(parent, EventType::NodeChildrenChanged);
        Self::tell(out, &changed, EventType::NodeChildrenChanged, parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owner::Owner;

    fn create(path: &str) -> Txn {
        Txn::Create {
            path: path.into(),
            data: Vec::new(),
            acl: Vec::new(),
            owner: Owner::None,
            parent_cversion: 1,
        }
    }

    fn events(n: &[Notification]) -> Vec<(i64, EventType, &str)> {
        n.iter()
            .map(|n| (n.session, n.event, n.path.as_str()))
            .collect()
    }

    #[test]
    fn one_shot_watches_fire_once_persistent_ones_stay() {
        let mut w = Watches::default();
        w.add("/a", 1, Mode::Data);
        w.add("/", 1, Mode::Child);
        w.add("/a", 2, Mode::Persistent);
        let n = w.fire(&create("/a"), &[]);
        assert_eq!(
            events(&n),
            [
                (1, EventType::NodeCreated, "/a"),
                (2, EventType::NodeCreated, "/a"),
                (1, EventType::NodeChildrenChanged, "/"),
            ]
        );
        let n = w.fire(&create("/a/b"), &[]);
        assert_eq!(events(&n), [(2, EventType::NodeChildrenChanged, "/a")]);
        let set = Txn::SetData {
            path: "/a".into(),
            data: Vec::new(),
            version: 1,
        };
        assert_eq!(
            events(&w.fire(&set, &[])),
            [(2, EventType::NodeDataChanged, "/a")]
        );
        assert_eq!(
            w.len(),
            2,
            "only the persistent watch is left, in both managers"
        );
    }

    #[test]
    fn a_delete_reaches_a_session_once_and_recursive_watches_skip_child_events() {
        let mut w = Watches::default();
        w.add("/a", 1, Mode::Data);
        w.add("/a", 1, Mode::Child);
        w.add("/", 2, Mode::PersistentRecursive);
        w.add("/", 3, Mode::Child);
        let n = w.fire(&Txn::Delete { path: "/a".into() }, &[]);
        assert_eq!(
            events(&n),
            [
                (1, EventType::NodeDeleted, "/a"),
                (2, EventType::NodeDeleted, "/a"),
                (3, EventType::NodeChildrenChanged, "/"),
            ]
        );
        // Deep under a recursive watch: data events only.
        let n = w.fire(&create("/x/y/z"), &[]);
        assert_eq!(events(&n), [(2, EventType::NodeCreated, "/x/y/z")]);
        w.remove_session(2);
        assert!(w.fire(&create("/x/y/q"), &[]).is_empty());
        assert!(w.is_empty());
    }

    #[test]
    fn persistent_kinds_match_only_their_own_mode() {
        let mut w = Watches::default();
        w.add("/p", 1, Mode::Persistent);
        w.add("/r", 1, Mode::PersistentRecursive);
        w.add("/d", 1, Mode::Data);
        assert!(w.contains("/p", 1, WatchKind::Persistent));
        assert!(!w.contains("/p", 1, WatchKind::PersistentRecursive));
        assert!(!w.contains("/d", 1, WatchKind::Persistent));
        assert!(w.contains("/r", 1, WatchKind::PersistentRecursive));
        assert!(
            w.contains("/r", 1, WatchKind::Children),
            "3.8 keeps a recursive watch in both managers"
        );
        assert!(
            w.contains("/d", 2, WatchKind::Data),
            "3.8 finds anyone's watch"
        );
        assert!(!w.remove("/d", 1, WatchKind::Persistent));
        assert!(!w.remove("/r", 1, WatchKind::Persistent));
        assert!(w.remove("/p", 1, WatchKind::Persistent));
        assert!(!w.contains("/p", 1, WatchKind::Any), "out of both managers");
        assert!(w.remove("/r", 1, WatchKind::PersistentRecursive));
        assert!(
            w.fire(&create("/r/x"), &[]).is_empty(),
            "no recursive watch left"
        );
        assert_eq!(WatchKind::try_from(6), Err(ErrorCode::MarshallingError));
        assert_eq!(w.len(), 1);
    }
}
