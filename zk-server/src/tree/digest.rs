//! The tree digest ZooKeeper 3.6+ keeps (`DigestCalculator`, version 2) and writes into its
//! transaction logs and snapshots: each node's CRC-32 over its path, its data and the persisted
//! Stat fields, summed over the tree. Nodes under `/zookeeper/` are left out, and the root
//! hashes as the empty path. A recovery compares it with the digest the files carry.

use super::{DataTree, Node};

/// The digest version ZooKeeper 3.8 writes.
pub const DIGEST_VERSION: i32 = 2;

/// One node's digest, as `DigestCalculator.calculateDigest`.
pub fn node_digest(path: &str, node: &Node) -> i64 {
    if path.starts_with("/zookeeper/") {
        return 0;
    }
    let path = if path == "/" { "" } else { path };
    let s = &node.stat;
    let mut fields = [0u8; 60];
    let longs = [s.czxid, s.mzxid, s.pzxid, s.ctime, s.mtime];
    for (i, v) in longs.iter().enumerate() {
        fields[i * 8..i * 8 + 8].copy_from_slice(&v.to_be_bytes());
    }
    for (i, v) in [s.version, s.cversion, s.aversion].iter().enumerate() {
        fields[40 + i * 4..44 + i * 4].copy_from_slice(&v.to_be_bytes());
    }
    fields[52..60].copy_from_slice(&s.ephemeral_owner.to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(path.as_bytes());
    crc.update(&node.data);
    crc.update(&fields);
    i64::from(crc.finalize())
}

impl DataTree {
    /// The tree's digest (ZooKeeper's `NodeHashMapImpl` sum, wrapping as Java's `long`), kept
    /// as transactions change the nodes they touch.
    pub fn digest(&self) -> i64 {
        self.digest
    }

    /// The digest computed afresh from every node (what [`DataTree::digest`] keeps).
    pub fn recompute_digest(&self) -> i64 {
        self.nodes
            .iter()
            .map(|(p, n)| node_digest(p, n))
            .fold(0i64, i64::wrapping_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_nodes_count_as_zookeeper_counts_them() {
        let tree = DataTree::new(false);
        let root = tree.get("/").map(|n| node_digest("/", n));
        let zookeeper = tree.get("/zookeeper").map(|n| node_digest("/zookeeper", n));
        // The root hashes as "", /zookeeper itself counts, its children do not.
        assert_eq!(
            root,
            tree.get("/").map(|n| node_digest("", n)),
            "the root is the empty path"
        );
        assert_eq!(
            tree.get("/zookeeper/quota")
                .map(|n| node_digest("/zookeeper/quota", n)),
            Some(0)
        );
        let (Some(root), Some(zookeeper)) = (root, zookeeper) else {
            panic!("a fresh tree has its root and /zookeeper");
        };
        assert_eq!(tree.digest(), root.wrapping_add(zookeeper));
        assert_ne!(root, 0);
    }
}
