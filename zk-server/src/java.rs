//! Java's hashing, where ZooKeeper's answers list things in the order of its hash maps
//! (`whoAmI`'s identities, the watch lists of `wchc` and `wchp`): `String.hashCode`, and the
//! bucket a `HashMap` or `ConcurrentHashMap` puts a hash in.

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

/// The table size a map holding `len` entries has grown to (16 slots, doubled whenever it
/// would be more than three quarters full).
pub fn table_size(len: usize) -> usize {
    let mut table = 16usize;
    while len > table / 4 * 3 {
        table *= 2;
    }
    table
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
    items.sort_by_key(|i| bucket(string_hash(key(i)), table));
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
