//! The one record of a session's local watches: each watch's path, kind, state and the sink its
//! events go to, in one slab entry; an index of the active ones by path (holding ids, not
//! paths, so a path is kept once); and the persistent-recursive ones again by path segment.
//!
//! A watch is *pending* from the moment its request is written until the reply: it is not on
//! the server yet, so it is neither replayed nor fired. A successful reply makes it *active*.
//! A one-shot watch that fired (or was removed by removeWatches) is *done*: out of the index,
//! its entry kept until its handle has taken the event.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use jute_schemas::protocol::EventType;
use slab::Slab;

use super::recursive::RecursiveIndex;
use super::{WatchId, WatchKind};

/// Where a watch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Its request is on its way: not on the server yet.
    Pending,
    /// On the server: replayed after a reconnect, fired by notifications.
    Active,
    /// Fired or removed (one-shot): waiting for its handle to take the event.
    Done,
}

#[derive(Debug)]
struct Entry<S> {
    /// The server path.
    path: Box<str>,
    kind: WatchKind,
    phase: Phase,
    /// The id's upper half: a key reused by a later watch gets another generation, so a
    /// late call with the earlier id finds nothing.
    generation: u32,
    sink: S,
}

/// The ids of the active watches whose paths share one hash (almost always one id).
#[derive(Debug)]
enum Ids {
    One(WatchId),
    Many(Vec<WatchId>),
}

/// Keys that are hashes already: the index's map uses them as they are.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// What [`Registry::remove`] took away.
#[derive(Debug)]
pub struct Removed<S> {
    /// The watch's server path.
    pub path: Box<str>,
    /// Its kind.
    pub kind: WatchKind,
    /// Whether it was active (on the server).
    pub was_active: bool,
    /// The kinds of the active watches left on the path.
    pub remaining: Vec<WatchKind>,
    /// Its sink.
    pub sink: S,
}

/// The registry, generic over where events go (the client's channels and wakers; `()` in the
/// session's byte-level tests).
#[derive(Debug)]
pub struct Registry<S> {
    entries: Slab<Entry<S>>,
    /// Active watches by the hash of their path.
    by_path: Index,
    /// Keyed per registry, so paths a server sends cannot be chosen to collide.
    hasher: RandomState,
    /// The active persistent-recursive watches, by path segment.
    recursive: RecursiveIndex,
    active: usize,
    next_generation: u32,
}

impl<S> Default for Registry<S> {
    fn default() -> Self {
        Registry {
            entries: Slab::new(),
            by_path: HashMap::default(),
            hasher: RandomState::new(),
            recursive: RecursiveIndex::default(),
            active: 0,
            next_generation: 0,
        }
    }
}

/// The index of active watches: ids by the hash of their path.
type Index = HashMap<u64, Ids, BuildHasherDefault<Prehashed>>;

/// Adds `id` under `hash`.
fn index_add(index: &mut Index, hash: u64, id: WatchId) {
    match index.get_mut(&hash) {
        None => {
            index.insert(hash, Ids::One(id));
        }
        Some(ids) => match ids {
            Ids::One(first) => *ids = Ids::Many(vec![*first, id]),
            Ids::Many(v) => v.push(id),
        },
    }
}

/// Takes `id` from under `hash`.
fn index_remove(index: &mut Index, hash: u64, id: WatchId) {
    let empty = match index.get_mut(&hash) {
        Some(Ids::One(only)) => *only == id,
        Some(Ids::Many(v)) => {
            v.retain(|&i| i != id);
            if v.len() == 1 {
                let only = v[0];
                index.insert(hash, Ids::One(only));
            }
            false
        }
        None => false,
    };
    if empty {
        index.remove(&hash);
    }
}

fn key_of(id: WatchId) -> usize {
    (id & u64::from(u32::MAX)) as usize
}

fn generation_of(id: WatchId) -> u32 {
    (id >> 32) as u32
}

impl<S> Registry<S> {
    /// Records a pending watch of `kind` on the server path; its id.
    pub fn insert(&mut self, path: &str, kind: WatchKind, sink: S) -> WatchId {
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        let key = self.entries.insert(Entry {
            path: path.into(),
            kind,
            phase: Phase::Pending,
            generation,
            sink,
        });
        (u64::from(generation) << 32) | key as u64
    }

    fn entry(&self, id: WatchId) -> Option<&Entry<S>> {
        self.entries
            .get(key_of(id))
            .filter(|e| e.generation == generation_of(id))
    }

    fn entry_mut(&mut self, id: WatchId) -> Option<&mut Entry<S>> {
        self.entries
            .get_mut(key_of(id))
            .filter(|e| e.generation == generation_of(id))
    }

    /// The watch's phase, or `None` when there is no such watch (any more).
    pub fn phase(&self, id: WatchId) -> Option<Phase> {
        self.entry(id).map(|e| e.phase)
    }

    /// The watch's kind.
    pub fn kind(&self, id: WatchId) -> Option<WatchKind> {
        self.entry(id).map(|e| e.kind)
    }

    /// The sink of a watch.
    pub fn sink_mut(&mut self, id: WatchId) -> Option<&mut S> {
        self.entry_mut(id).map(|e| &mut e.sink)
    }

    /// The server set the pending watch `id`, as `kind` (an exists watch on a node that
    /// exists is a data watch). `false` when there is no such pending watch.
    pub fn activate(&mut self, id: WatchId, kind: WatchKind) -> bool {
        // The entry's fields are borrowed beside the indexes, so its path is not copied.
        let Some(e) = self
            .entries
            .get_mut(key_of(id))
            .filter(|e| e.generation == generation_of(id) && e.phase == Phase::Pending)
        else {
            return false;
        };
        e.phase = Phase::Active;
        e.kind = kind;
        index_add(&mut self.by_path, self.hasher.hash_one(&*e.path), id);
        if kind == WatchKind::PersistentRecursive {
            self.recursive.add(&e.path, id);
        }
        self.active += 1;
        true
    }

    fn hash(&self, path: &str) -> u64 {
        self.hasher.hash_one(path)
    }

    /// The active watches on `path`: (id, kind).
    fn on_path(&self, path: &str) -> Vec<(WatchId, WatchKind)> {
        let ids: &[WatchId] = match self.by_path.get(&self.hash(path)) {
            None => &[],
            Some(Ids::One(id)) => std::slice::from_ref(id),
            Some(Ids::Many(v)) => v,
        };
        ids.iter()
            .filter_map(|&id| {
                self.entry(id)
                    .filter(|e| &*e.path == path)
                    .map(|e| (id, e.kind))
            })
            .collect()
    }

    /// Takes an active watch out of the indexes, leaving it done.
    fn deactivate(&mut self, id: WatchId) {
        let Some(e) = self
            .entries
            .get_mut(key_of(id))
            .filter(|e| e.generation == generation_of(id) && e.phase == Phase::Active)
        else {
            return;
        };
        e.phase = Phase::Done;
        index_remove(&mut self.by_path, self.hasher.hash_one(&*e.path), id);
        if e.kind == WatchKind::PersistentRecursive {
            self.recursive.remove(&e.path, id);
        }
        self.active -= 1;
    }

    /// Removes watch `id` whatever its phase (its handle is gone, or its request failed).
    pub fn remove(&mut self, id: WatchId) -> Option<Removed<S>> {
        let was_active = self.phase(id)? == Phase::Active;
        self.deactivate(id);
        let e = self.entries.remove(key_of(id));
        let remaining = if was_active {
            self.on_path(&e.path).into_iter().map(|(_, k)| k).collect()
        } else {
            Vec::new()
        };
        Some(Removed {
            path: e.path,
            kind: e.kind,
            was_active,
            remaining,
            sink: e.sink,
        })
    }

    /// The watches a notification fires; the one-shot ones among them are done.
    ///
    /// The rules are the Java client's: data and exist watches fire on creation and data change;
    /// child watches on child changes; all three on deletion; persistent watches on every event
    /// of their node; persistent-recursive watches on the node and its descendants for every
    /// event except child changes.
    pub fn fire(&mut self, path: &str, event: EventType) -> Vec<(WatchId, WatchKind)> {
        let one_shot: &[WatchKind] = match event {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                &[WatchKind::Data, WatchKind::Exist]
            }
            EventType::NodeChildrenChanged => &[WatchKind::Child],
            EventType::NodeDeleted => &[WatchKind::Data, WatchKind::Exist, WatchKind::Child],
            _ => &[],
        };
        let mut out = Vec::new();
        for (id, kind) in self.on_path(path) {
            if one_shot.contains(&kind) {
                self.deactivate(id);
                out.push((id, kind));
            } else if kind == WatchKind::Persistent {
                out.push((id, kind));
            }
        }
        if event != EventType::NodeChildrenChanged {
            let mut ids = Vec::new();
            self.recursive.covering(path, &mut ids);
            out.extend(
                ids.into_iter()
                    .map(|id| (id, WatchKind::PersistentRecursive)),
            );
        }
        out
    }

    /// Takes every active watch of `kinds` on `path` off the server's list (removeWatches
    /// succeeded): they are done.
    pub fn take(&mut self, path: &str, kinds: &[WatchKind]) -> Vec<(WatchId, WatchKind)> {
        let hit: Vec<(WatchId, WatchKind)> = self
            .on_path(path)
            .into_iter()
            .filter(|(_, k)| kinds.contains(k))
            .collect();
        for (id, _) in &hit {
            self.deactivate(*id);
        }
        hit
    }

    /// The active watches' server paths by kind, each list sorted and without repeats (the
    /// SetWatches2 lists after a reconnect).
    pub fn by_kind(&self) -> Vec<(WatchKind, Vec<&str>)> {
        let mut out: Vec<(WatchKind, Vec<&str>)> = Vec::new();
        for kind in WatchKind::ALL {
            let mut paths: Vec<&str> = self
                .entries
                .iter()
                .filter(|(_, e)| e.phase == Phase::Active && e.kind == kind)
                .map(|(_, e)| &*e.path)
                .collect();
            if paths.is_empty() {
                continue;
            }
            paths.sort_unstable();
            paths.dedup();
            out.push((kind, paths));
        }
        out
    }

    /// Every watch's sink, forgetting them all (the session ended).
    pub fn drain(&mut self) -> Vec<S> {
        self.by_path.clear();
        self.recursive.clear();
        self.active = 0;
        self.entries.drain().map(|e| e.sink).collect()
    }

    /// Active watches.
    pub fn len(&self) -> usize {
        self.active
    }

    /// Whether none is active.
    pub fn is_empty(&self) -> bool {
        self.active == 0
    }

    /// Watches in any phase (pending, active, done): what the registry holds.
    pub fn held(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(r: &mut Registry<()>, path: &str, kind: WatchKind) -> WatchId {
        let id = r.insert(path, kind, ());
        assert!(r.activate(id, kind));
        id
    }

    fn sorted(v: Vec<(WatchId, WatchKind)>) -> Vec<WatchId> {
        let mut v: Vec<_> = v.into_iter().map(|(i, _)| i).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn firing_follows_the_java_rules() {
        let mut r = Registry::default();
        let d = active(&mut r, "/a", WatchKind::Data);
        let e = active(&mut r, "/a", WatchKind::Exist);
        let c = active(&mut r, "/a", WatchKind::Child);
        let p = active(&mut r, "/a", WatchKind::Persistent);
        let rec = active(&mut r, "/", WatchKind::PersistentRecursive);
        let mut want = vec![c, p];
        want.sort_unstable();
        assert_eq!(sorted(r.fire("/a", EventType::NodeChildrenChanged)), want);
        let mut want = vec![d, e, p, rec];
        want.sort_unstable();
        assert_eq!(sorted(r.fire("/a", EventType::NodeDataChanged)), want);
        // One-shot watches are done (kept for their handles, no longer fired); persistent
        // ones stay.
        let mut want = vec![p, rec];
        want.sort_unstable();
        assert_eq!(sorted(r.fire("/a", EventType::NodeDeleted)), want);
        assert_eq!(sorted(r.fire("/a/b/c", EventType::NodeCreated)), [rec]);
        assert_eq!(r.len(), 2);
        assert_eq!(r.held(), 5);
        assert_eq!(r.phase(d), Some(Phase::Done));
        let removed = r.remove(p).unwrap();
        assert!(removed.was_active && removed.remaining.is_empty());
        assert!(r.remove(p).is_none());
    }

    #[test]
    fn a_pending_watch_is_neither_fired_nor_replayed() {
        let mut r = Registry::default();
        let id = r.insert("/p", WatchKind::Data, ());
        assert!(r.fire("/p", EventType::NodeDataChanged).is_empty());
        assert!(r.by_kind().is_empty());
        assert_eq!(r.phase(id), Some(Phase::Pending));
        // An exists watch on a node that exists is activated as a data watch.
        assert!(r.activate(id, WatchKind::Data));
        assert!(!r.activate(id, WatchKind::Data));
        assert_eq!(r.by_kind(), vec![(WatchKind::Data, vec!["/p"])]);
        // Removed while pending: nothing on the server to remove.
        let q = r.insert("/q", WatchKind::Child, ());
        let removed = r.remove(q).unwrap();
        assert!(!removed.was_active);
        assert!(!r.activate(q, WatchKind::Child));
    }

    #[test]
    fn a_reused_key_does_not_answer_to_an_old_id() {
        let mut r = Registry::default();
        let old = active(&mut r, "/x", WatchKind::Data);
        r.remove(old);
        let new = active(&mut r, "/y", WatchKind::Data);
        assert_eq!(key_of(old), key_of(new));
        assert!(r.remove(old).is_none());
        assert!(r.phase(old).is_none());
        assert_eq!(r.phase(new), Some(Phase::Active));
    }

    #[test]
    fn remove_reports_the_active_watches_left_on_the_path() {
        let mut r = Registry::default();
        let a = active(&mut r, "/x", WatchKind::Data);
        let b = active(&mut r, "/x", WatchKind::Data);
        let removed = r.remove(a).unwrap();
        assert_eq!(removed.remaining, [WatchKind::Data]);
        assert_eq!(&*removed.path, "/x");
        let removed = r.remove(b).unwrap();
        assert!(removed.remaining.is_empty());
        assert!(r.is_empty());
        assert_eq!(r.held(), 0);
    }

    #[test]
    fn by_kind_lists_each_path_once_per_kind() {
        let mut r = Registry::default();
        active(&mut r, "/b", WatchKind::Data);
        active(&mut r, "/a", WatchKind::Data);
        active(&mut r, "/a", WatchKind::Data);
        active(&mut r, "/a", WatchKind::Child);
        assert_eq!(
            r.by_kind(),
            vec![
                (WatchKind::Data, vec!["/a", "/b"]),
                (WatchKind::Child, vec!["/a"])
            ]
        );
    }

    #[test]
    fn paths_with_one_hash_are_told_apart() {
        // Make "/a" and "/b" collide: both ids under both hashes. The entries' paths decide.
        let mut r: Registry<()> = Registry::default();
        let a = r.insert("/a", WatchKind::Data, ());
        let b = r.insert("/b", WatchKind::Data, ());
        for id in [a, b] {
            r.entries[key_of(id)].phase = Phase::Active;
        }
        for path in ["/a", "/b"] {
            let hash = r.hash(path);
            r.by_path.insert(hash, Ids::Many(vec![a, b]));
        }
        assert_eq!(r.on_path("/a"), [(a, WatchKind::Data)]);
        assert_eq!(r.on_path("/b"), [(b, WatchKind::Data)]);
        assert!(r.on_path("/c").is_empty());
    }

    #[test]
    fn a_huge_notification_path_is_linear() {
        // A 1 MB path of 500,000 segments under a recursive watch: before, every ancestor was
        // hashed as a whole string (77 s of CPU for one event); now it is one walk.
        let mut r = Registry::default();
        let root = active(&mut r, "/", WatchKind::PersistentRecursive);
        let aa = active(&mut r, "/a/a", WatchKind::PersistentRecursive);
        let path = "/a".repeat(500_000);
        let mut want = vec![root, aa];
        want.sort_unstable();
        assert_eq!(sorted(r.fire(&path, EventType::NodeCreated)), want);
        assert_eq!(r.take("/a/a", &[WatchKind::PersistentRecursive]).len(), 1);
        assert_eq!(
            r.fire("/a/a/b", EventType::NodeCreated),
            [(root, WatchKind::PersistentRecursive)]
        );
    }
}

#[cfg(test)]
mod size {
    #[test]
    fn an_entry_is_small() {
        // 100,000 watches are 100,000 entries (and the slab's spare room): their size is most
        // of a watch's cost.
        let entry = std::mem::size_of::<super::Entry<crate::watch::WatchSink>>();
        let slot = std::mem::size_of::<(u64, super::Ids)>();
        eprintln!("entry {entry} bytes, index slot {slot} bytes");
        assert!(entry <= 56, "{entry}");
        assert!(slot <= 32, "{slot}");
    }
}
