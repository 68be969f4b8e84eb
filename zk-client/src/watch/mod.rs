//! Which watches are registered on which server path, and which a notification fires.
//!
//! Watches are identified by [`WatchId`]; the connection task owns the channels behind them.

mod recursive;

use std::collections::HashMap;

use jute_schemas::protocol::EventType;

use recursive::RecursiveIndex;

/// Identifies one local watch.
pub type WatchId = u64;

/// The kinds of watch a session can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    /// Set by `get_data`: fires on change or deletion.
    Data,
    /// Set by `exists`: fires on creation, change or deletion.
    Exist,
    /// Set by `get_children`: fires on child changes or deletion.
    Child,
    /// `addWatch` persistent: every event on the node, until removed.
    Persistent,
    /// `addWatch` persistent-recursive: data, create and delete events on the node and below.
    PersistentRecursive,
}

impl WatchKind {
    /// Whether the watch stays after firing.
    pub fn is_persistent(self) -> bool {
        matches!(self, WatchKind::Persistent | WatchKind::PersistentRecursive)
    }
}

/// The registry.
#[derive(Debug, Default)]
pub struct Watches {
    by_path: HashMap<String, Vec<(WatchKind, WatchId)>>,
    paths: HashMap<WatchId, String>,
    /// The persistent-recursive watches again, by path segment, for notifications below them.
    recursive: RecursiveIndex,
}

impl Watches {
    /// Registers watch `id` of `kind` on the server path.
    pub fn add(&mut self, path: &str, kind: WatchKind, id: WatchId) {
        // Most paths hold one watch: room for one, not the four a first push reserves.
        self.by_path
            .entry(path.to_string())
            .or_insert_with(|| Vec::with_capacity(1))
            .push((kind, id));
        self.paths.insert(id, path.to_string());
        if kind == WatchKind::PersistentRecursive {
            self.recursive.add(path, id);
        }
    }

    /// Removes watch `id`; returns its path, its kind, and the kinds of the local watches left
    /// on that path.
    pub fn remove(&mut self, id: WatchId) -> Option<(String, WatchKind, Vec<WatchKind>)> {
        let path = self.paths.remove(&id)?;
        let list = self.by_path.get_mut(&path)?;
        let pos = list.iter().position(|(_, i)| *i == id)?;
        let (kind, _) = list.remove(pos);
        if kind == WatchKind::PersistentRecursive {
            self.recursive.remove(&path, id);
        }
        let remaining = list.iter().map(|(k, _)| *k).collect();
        if list.is_empty() {
            self.by_path.remove(&path);
        }
        Some((path, kind, remaining))
    }

    /// The watches a notification fires, and removes the one-shot ones among them.
    ///
    /// The rules are the Java client's: data and exist watches fire on creation and data change;
    /// child watches on child changes; all three on deletion; persistent watches on every event
    /// of their node; persistent-recursive watches on the node and its descendants for every
    /// event except child changes.
    pub fn fire(&mut self, path: &str, event: EventType) -> Vec<(WatchId, WatchKind)> {
        let mut out = Vec::new();
        let one_shot: &[WatchKind] = match event {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                &[WatchKind::Data, WatchKind::Exist]
            }
            EventType::NodeChildrenChanged => &[WatchKind::Child],
            EventType::NodeDeleted => &[WatchKind::Data, WatchKind::Exist, WatchKind::Child],
            _ => &[],
        };
        if let Some(list) = self.by_path.get_mut(path) {
            list.retain(|&(kind, id)| {
                if one_shot.contains(&kind) {
                    out.push((id, kind));
                    false
                } else {
                    if kind == WatchKind::Persistent {
                        out.push((id, kind));
                    }
                    true
                }
            });
            if list.is_empty() {
                self.by_path.remove(path);
            }
        }
        for (id, kind) in &out {
            if !kind.is_persistent() {
                self.paths.remove(id);
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

    /// Unregisters every watch of `kinds` on `path`.
    pub fn take(&mut self, path: &str, kinds: &[WatchKind]) -> Vec<(WatchId, WatchKind)> {
        let mut out = Vec::new();
        if let Some(list) = self.by_path.get_mut(path) {
            list.retain(|&(kind, id)| {
                let hit = kinds.contains(&kind);
                if hit {
                    out.push((id, kind));
                }
                !hit
            });
            if list.is_empty() {
                self.by_path.remove(path);
            }
        }
        for (id, kind) in &out {
            self.paths.remove(id);
            if *kind == WatchKind::PersistentRecursive {
                self.recursive.remove(path, *id);
            }
        }
        out
    }

    /// Every registered server path by kind, for SetWatches2 after a reconnect.
    pub fn by_kind(&self) -> HashMap<WatchKind, Vec<String>> {
        let mut out: HashMap<WatchKind, Vec<String>> = HashMap::new();
        for (path, list) in &self.by_path {
            let mut kinds: Vec<WatchKind> = list.iter().map(|(k, _)| *k).collect();
            kinds.sort_by_key(|k| *k as u8);
            kinds.dedup();
            for k in kinds {
                out.entry(k).or_default().push(path.clone());
            }
        }
        for v in out.values_mut() {
            v.sort();
        }
        out
    }

    /// Every watch id, dropping them all (session end).
    pub fn drain(&mut self) -> Vec<WatchId> {
        self.by_path.clear();
        self.recursive.clear();
        self.paths.drain().map(|(id, _)| id).collect()
    }

    /// Number of registered local watches.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether none is registered.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firing_follows_the_java_rules() {
        let mut w = Watches::default();
        w.add("/a", WatchKind::Data, 1);
        w.add("/a", WatchKind::Exist, 2);
        w.add("/a", WatchKind::Child, 3);
        w.add("/a", WatchKind::Persistent, 4);
        w.add("/", WatchKind::PersistentRecursive, 5);
        let ids = |v: Vec<(WatchId, WatchKind)>| {
            let mut v: Vec<_> = v.into_iter().map(|(i, _)| i).collect();
            v.sort();
            v
        };
        assert_eq!(ids(w.fire("/a", EventType::NodeChildrenChanged)), [3, 4]);
        assert_eq!(ids(w.fire("/a", EventType::NodeDataChanged)), [1, 2, 4, 5]);
        // One-shot watches are gone; persistent ones stay.
        assert_eq!(ids(w.fire("/a", EventType::NodeDeleted)), [4, 5]);
        assert_eq!(ids(w.fire("/a/b/c", EventType::NodeCreated)), [5]);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w.remove(4),
            Some(("/a".into(), WatchKind::Persistent, vec![]))
        );
        assert_eq!(w.remove(4), None);
    }

    #[test]
    fn remove_reports_the_local_watches_left_on_the_path() {
        let mut w = Watches::default();
        w.add("/x", WatchKind::Data, 1);
        w.add("/x", WatchKind::Data, 2);
        assert_eq!(
            w.remove(1),
            Some(("/x".into(), WatchKind::Data, vec![WatchKind::Data]))
        );
        assert_eq!(w.remove(2), Some(("/x".into(), WatchKind::Data, vec![])));
        assert!(w.is_empty());
    }

    #[test]
    fn a_huge_notification_path_is_linear() {
        // A 1 MB path of 500,000 segments under a recursive watch: before, every ancestor was
        // hashed as a whole string (77 s of CPU for one event); now it is one walk.
        let mut w = Watches::default();
        w.add("/", WatchKind::PersistentRecursive, 1);
        w.add("/a/a", WatchKind::PersistentRecursive, 2);
        let path = "/a".repeat(500_000);
        let mut fired: Vec<WatchId> = w
            .fire(&path, EventType::NodeCreated)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        fired.sort_unstable();
        assert_eq!(fired, [1, 2]);
        assert_eq!(w.take("/a/a", &[WatchKind::PersistentRecursive]).len(), 1);
        assert_eq!(
            w.fire("/a/a/b", EventType::NodeCreated),
            [(1, WatchKind::PersistentRecursive)]
        );
    }
}
