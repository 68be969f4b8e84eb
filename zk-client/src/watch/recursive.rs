//! Persistent-recursive watches indexed as a tree of path segments, so the watches covering a
//! notification's path are found in one walk down its segments: time linear in the path's
//! length, however deep it is (hashing every ancestor as a whole string would be quadratic).
//!
//! The tree is flat (nodes in a `Vec`, children in one map keyed by parent), so nothing
//! recurses on a path's depth, not even dropping it.

use std::collections::HashMap;

use super::WatchId;

const ROOT: u32 = 0;

#[derive(Debug)]
struct Node {
    parent: u32,
    segment: Box<str>,
    ids: Vec<WatchId>,
    children: usize,
}

/// The index.
#[derive(Debug)]
pub(crate) struct RecursiveIndex {
    nodes: Vec<Node>,
    free: Vec<u32>,
    children: HashMap<u32, HashMap<Box<str>, u32>>,
}

impl Default for RecursiveIndex {
    fn default() -> Self {
        RecursiveIndex {
            nodes: vec![Node {
                parent: ROOT,
                segment: "".into(),
                ids: Vec::new(),
                children: 0,
            }],
            free: Vec::new(),
            children: HashMap::new(),
        }
    }
}

/// The segments of a path: none for `/`.
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .filter(|s| !s.is_empty())
}

impl RecursiveIndex {
    fn child(&self, node: u32, segment: &str) -> Option<u32> {
        self.children.get(&node)?.get(segment).copied()
    }

    fn node(&self, path: &str) -> Option<u32> {
        segments(path).try_fold(ROOT, |node, seg| self.child(node, seg))
    }

    /// Registers watch `id` on `path`.
    pub(crate) fn add(&mut self, path: &str, id: WatchId) {
        let mut node = ROOT;
        for seg in segments(path) {
            node = match self.child(node, seg) {
                Some(c) => c,
                None => self.new_child(node, seg),
            };
        }
        self.nodes[node as usize].ids.push(id);
    }

    fn new_child(&mut self, parent: u32, segment: &str) -> u32 {
        let fresh = Node {
            parent,
            segment: segment.into(),
            ids: Vec::new(),
            children: 0,
        };
        let index = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = fresh;
                i
            }
            None => {
                // A u32 index: 4 billion segments of registered paths is beyond any session.
                let i = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
                self.nodes.push(fresh);
                i
            }
        };
        self.nodes[parent as usize].children += 1;
        self.children
            .entry(parent)
            .or_default()
            .insert(segment.into(), index);
        index
    }

    /// Unregisters watch `id` on `path`, pruning nodes nothing needs any more.
    pub(crate) fn remove(&mut self, path: &str, id: WatchId) {
        let Some(mut node) = self.node(path) else {
            return;
        };
        let ids = &mut self.nodes[node as usize].ids;
        ids.retain(|i| *i != id);
        while node != ROOT {
            let n = &self.nodes[node as usize];
            if !n.ids.is_empty() || n.children > 0 {
                break;
            }
            let parent = n.parent;
            let segment = std::mem::take(&mut self.nodes[node as usize].segment);
            if let Some(map) = self.children.get_mut(&parent) {
                map.remove(&segment);
                if map.is_empty() {
                    self.children.remove(&parent);
                }
            }
            self.nodes[parent as usize].children -= 1;
            self.free.push(node);
            node = parent;
        }
    }

    /// Appends the watches on `path` and on each of its ancestors.
    pub(crate) fn covering(&self, path: &str, out: &mut Vec<WatchId>) {
        let mut node = ROOT;
        out.extend_from_slice(&self.nodes[ROOT as usize].ids);
        for seg in segments(path) {
            match self.child(node, seg) {
                Some(c) => node = c,
                None => return,
            }
            out.extend_from_slice(&self.nodes[node as usize].ids);
        }
    }

    /// Forgets every watch.
    pub(crate) fn clear(&mut self) {
        *self = RecursiveIndex::default();
    }

    /// Nodes in use (the root included); for tests.
    #[cfg(test)]
    fn live_nodes(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covering(index: &RecursiveIndex, path: &str) -> Vec<WatchId> {
        let mut out = Vec::new();
        index.covering(path, &mut out);
        out.sort_unstable();
        out
    }

    #[test]
    fn finds_the_path_and_its_ancestors_only() {
        let mut x = RecursiveIndex::default();
        x.add("/", 1);
        x.add("/a", 2);
        x.add("/a/b", 3);
        x.add("/ab", 4);
        x.add("/a/b", 5);
        assert_eq!(covering(&x, "/a/b/c"), [1, 2, 3, 5]);
        assert_eq!(covering(&x, "/a"), [1, 2]);
        assert_eq!(covering(&x, "/ab/c"), [1, 4]);
        assert_eq!(covering(&x, "/"), [1]);
        assert_eq!(covering(&x, "/z"), [1]);
        x.remove("/a/b", 3);
        assert_eq!(covering(&x, "/a/b"), [1, 2, 5]);
        x.remove("/a/b", 5);
        x.remove("/a", 2);
        x.remove("/nothing/here", 9);
        assert_eq!(covering(&x, "/a/b"), [1]);
        // Only the root and /ab are left.
        assert_eq!(x.live_nodes(), 2);
        x.add("/a/b/c", 6);
        assert_eq!(covering(&x, "/a/b/c/d"), [1, 6]);
        x.clear();
        assert_eq!(covering(&x, "/a/b/c"), Vec::<WatchId>::new());
    }

    #[test]
    fn deep_paths_cost_linear_time_and_no_recursion() {
        // 500,000 segments: hashing every ancestor would take minutes; dropping a nested tree
        // this deep would overflow the stack.
        let deep = "/a".repeat(500_000);
        let mut x = RecursiveIndex::default();
        x.add(&deep, 1);
        x.add("/a", 2);
        assert_eq!(covering(&x, &format!("{deep}/b")), [1, 2]);
        x.remove(&deep, 1);
        assert_eq!(x.live_nodes(), 2);
        x.add(&deep, 3);
        drop(x);
    }
}
