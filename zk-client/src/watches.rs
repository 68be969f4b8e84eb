//! Which watches are registered on which server path, and which a notification fires.
//!
//! Watches are identified by [`WatchId`]; the connection task owns the channels behind them.

use std::collections::HashMap;

use jute_schemas::protocol::EventType;

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
}

impl Watches {
    /// Registers watch `id` of `kind` on the server path.
    pub fn add(&mut self, path: &str, kind: WatchKind, id: WatchId) {
        self.by_path
            .entry(path.to_string())
            .or_default()
            .push((kind, id));
        self.paths.insert(id, path.to_string());
    }

    /// Removes watch `id`; returns its path, its kind, and the kinds of the local watches left
    /// on that path.
    pub fn remove(&mut self, id: WatchId) -> Option<(String, WatchKind, Vec<WatchKind>)> {
        let path = self.paths.remove(&id)?;
        let list = self.by_path.get_mut(&path)?;
        let pos = list.iter().position(|(_, i)| *i == id)?;
        let (kind, _) = list.remove(pos);
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
            for ancestor in ancestors_and_self(path) {
                if let Some(list) = self.by_path.get(ancestor) {
                    out.extend(
                        list.iter()
                            .filter(|(k, _)| *k == WatchKind::PersistentRecursive)
                            .map(|&(k, id)| (id, k)),
                    );
                }
            }
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
        for (id, _) in &out {
            self.paths.remove(id);
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

fn ancestors_and_self(path: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(path);
    std::iter::from_fn(move || {
        let cur = next?;
        next = match cur.rfind('/') {
            Some(0) if cur.len() > 1 => Some("/"),
            Some(0) | None => None,
            Some(i) => Some(&cur[..i]),
        };
        Some(cur)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors() {
        let v: Vec<&str> = ancestors_and_self("/a/b/c").collect();
        assert_eq!(v, ["/a/b/c", "/a/b", "/a", "/"]);
        assert_eq!(ancestors_and_self("/").collect::<Vec<_>>(), ["/"]);
    }

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
}
