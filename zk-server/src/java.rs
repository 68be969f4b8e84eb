//! Java's hashing, where ZooKeeper's answers list things in the order of its hash maps
//! (a node's children, a session's ephemerals, `whoAmI`'s identities, the watch lists of
//! `wchc` and `wchp`): `String.hashCode`, the bucket a `HashMap` or `ConcurrentHashMap` puts
//! a hash in, and the order a `HashSet<String>` iterates in.

use std::collections::HashMap;

/// Java's `String.hashCode` (over UTF-16 code units).
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The bucket of a table of `table` slots (a power of two) that hash `h` falls in: both maps
/// spread the hash as `h ^ (h >>> 16)` first.
pub fn bucket(h: i32, table: usize) -> usize {
    let spread = (h ^ ((h as u32 >> 16) as i32)) & 0x7fff_ffff;
    usize::try_from(spread).unwrap_or_default() & (table - 1)
}

/// The table size a `HashMap` made with room for `initial` (a power of two) has grown to once
/// it held `most` entries: doubled whenever it would be more than three quarters full.
pub fn grown_table(initial: usize, most: usize) -> usize {
    let mut table = initial.max(1);
    while most > table / 4 * 3 {
        table *= 2;
    }
    table
}

/// The table size a default `HashMap` (16 slots) holding `len` entries has grown to.
pub fn table_size(len: usize) -> usize {
    grown_table(16, len)
}

/// The table size a `ConcurrentHashMap` holding `len` entries has grown to (it doubles once
/// it is three quarters full).
pub fn concurrent_table_size(len: usize) -> usize {
    let mut table = 16usize;
    while len >= table / 4 * 3 {
        table *= 2;
    }
    table
}

/// `items` in the order a Java `HashMap` keyed by `key` iterates them: by bucket, then in the
/// order given (a bucket lists its entries in the order they came).
pub fn hash_map_order<T>(items: &mut [T], key: impl Fn(&T) -> &str) {
    let table = table_size(items.len());
    items.sort_by_cached_key(|i| bucket(string_hash(key(i)), table));
}

/// What a Java `HashSet<String>`'s iteration order depends on besides the names: when each
/// came, and the most it ever held (its table grows and never shrinks). Within a bucket, Java
/// lists entries in the order they came. (A bucket of 8 or more names in a table of 64 or
/// more becomes a tree in Java and lists otherwise; names that collide so much are not
/// expected.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashSetOrder {
    arrivals: HashMap<String, u64>,
    next: u64,
    most: usize,
}

/// A [`HashSetOrder`]'s counters at one moment ([`HashSetOrder::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetMark {
    next: u64,
    most: usize,
}

impl HashSetOrder {
    /// `name` was added (a name already there keeps its place).
    pub fn added(&mut self, name: &str) {
        if !self.arrivals.contains_key(name) {
            self.arrivals.insert(name.to_string(), self.next);
            self.next += 1;
            self.most = self.most.max(self.arrivals.len());
        }
    }

    /// `name` was removed: when it had come, if it was there.
    pub fn removed(&mut self, name: &str) -> Option<u64> {
        self.arrivals.remove(name)
    }

    /// Where the set's counters stand, to take an add back exactly ([`HashSetOrder::rewind`]).
    pub fn mark(&self) -> SetMark {
        SetMark {
            next: self.next,
            most: self.most,
        }
    }

    /// Sets the counters back to `mark`, taken before the adds since then were taken back
    /// (a failed multi leaves no trace: Java's set never saw those adds).
    pub fn rewind(&mut self, mark: SetMark) {
        self.next = mark.next;
        self.most = mark.most;
    }

    /// Puts a removed `name` back in the place it had (`arrival`, from
    /// [`HashSetOrder::removed`]).
    pub fn put_back(&mut self, name: &str, arrival: u64) {
        self.arrivals.insert(name.to_string(), arrival);
    }

    /// Whether it holds `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.arrivals.contains_key(name)
    }

    /// The names, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.arrivals.keys().map(String::as_str)
    }

    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.arrivals.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.arrivals.is_empty()
    }

    /// The names in the order the set iterates them, for a set made with room for `initial`
    /// (a power of two: 8 for `new HashSet<>(8)`, 16 for `new HashSet<>()`).
    pub fn list(&self, initial: usize) -> Vec<String> {
        let table = grown_table(initial, self.most);
        let mut names: Vec<(&String, u64)> = self.arrivals.iter().map(|(n, a)| (n, *a)).collect();
        names.sort_by_cached_key(|(n, a)| (bucket(string_hash(n), table), *a));
        names.into_iter().map(|(n, _)| n.clone()).collect()
    }

    /// The names in the order a copy of the set iterates them (`HashSet.clone()`, which
    /// re-adds them, in the original's order, to a table sized for their number).
    pub fn list_of_copy(&self, initial: usize) -> Vec<String> {
        let mut names = self.list(initial);
        // `HashMap.putMapEntries`: room for n / 0.75 + 1, rounded up to a power of two.
        let table = (names.len() * 4 / 3 + 1).next_power_of_two();
        names.sort_by_cached_key(|n| bucket(string_hash(n), table));
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_javas() {
        // "hello".hashCode() and "/zookeeper".hashCode(), as Java prints them.
        assert_eq!(string_hash("hello"), 99_162_322);
        assert_eq!(string_hash(""), 0);
        assert_eq!(table_size(12), 16);
        assert_eq!(table_size(13), 32);
        let mut paths = vec!["/e", "/missing"];
        hash_map_order(&mut paths, |p| p);
        assert_eq!(paths, ["/missing", "/e"], "as ZooKeeper's wchp listed them");
    }
}
