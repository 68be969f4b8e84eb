//! Lock-node names and their order, as Curator and kazoo write and sort them. Free of I/O.

/// Which implementation's node names (and order) a recipe uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Apache Curator 5.x: `_c_<uuid>-<name><seq>` (protected), parents as containers; every
    /// child is sorted by the text after the last `<name>` (the whole name when absent), as
    /// strings.
    #[default]
    Curator,
    /// kazoo 2.x: `<uuid hex>__lock__<seq>`, parents as persistent nodes; only children that
    /// end in `__lock__` and ten digits are contenders, in sequence order.
    Kazoo,
}

/// kazoo's lock node marker.
pub const KAZOO_LOCK: &str = "__lock__";

/// Curator's sort key of `child` for lock name `name` (`StandardLockInternalsDriver.fixForSorting`).
pub fn curator_key<'a>(child: &'a str, name: &str) -> &'a str {
    match child.rfind(name) {
        Some(i) => &child[i + name.len()..],
        None => child,
    }
}

/// kazoo's sequence of a contender: the ten digits (or a negative number past the wrap) after
/// `__lock__` at the end of the name; `None` for other children.
pub fn kazoo_sequence(child: &str) -> Option<&str> {
    let i = child.rfind(KAZOO_LOCK)?;
    let seq = &child[i + KAZOO_LOCK.len()..];
    let digits = seq.strip_prefix('-').unwrap_or(seq);
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(seq)
}

/// Curator's sort key with several lock names, stripped one after the other
/// (`SortingLockInternalsDriver` of the read-write lock strips `__READ__`, then `__WRIT__`).
pub fn curator_key_of<'a>(child: &'a str, names: &[&str]) -> &'a str {
    names.iter().fold(child, |key, name| curator_key(key, name))
}

/// The contenders among `children` in the order that decides ownership (first = owner).
/// `names` are the Curator lock names the sort key strips (`lock-`; `latch-`; `__READ__` and
/// `__WRIT__`); kazoo ignores them.
pub fn contenders(children: &[String], layout: Layout, names: &[&str]) -> Vec<String> {
    match layout {
        Layout::Curator => {
            let mut sorted: Vec<String> = children.to_vec();
            // Stable, as Java's sort: ties keep the server's order.
            sorted.sort_by(|a, b| curator_key_of(a, names).cmp(curator_key_of(b, names)));
            sorted
        }
        Layout::Kazoo => {
            let mut with_seq: Vec<(&str, &String)> = children
                .iter()
                .filter_map(|c| kazoo_sequence(c).map(|s| (s, c)))
                .collect();
            with_seq.sort_by(|a, b| a.0.cmp(b.0));
            with_seq.into_iter().map(|(_, c)| c.clone()).collect()
        }
    }
}

/// A fresh node-name prefix for `layout`: Curator's protected `_c_<uuid>-`, or kazoo's
/// `<uuid hex>`; the lock name follows it.
pub fn node_prefix(layout: Layout) -> String {
    match layout {
        Layout::Curator => zk_client::protected::protected_prefix(),
        Layout::Kazoo => uuid::Uuid::new_v4().simple().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn curator_sorts_by_the_suffix_after_the_last_lock_name() {
        let children = names(&[
            "_c_b0000000-0000-4000-8000-000000000000-lock-0000000002",
            "_c_a0000000-0000-4000-8000-000000000000-lock-0000000010",
            "_c_c0000000-0000-4000-8000-000000000000-lock-0000000001",
        ]);
        let sorted = contenders(&children, Layout::Curator, &["lock-"]);
        assert!(
            sorted[0].ends_with("0001")
                && sorted[1].ends_with("0002")
                && sorted[2].ends_with("0010")
        );
        // A name without the lock name sorts by its whole name (as Curator does).
        assert_eq!(
            curator_key("801018e5__lock__0000000000", "lock-"),
            "801018e5__lock__0000000000"
        );
        assert_eq!(curator_key("x-latch-0000000003", "latch-"), "0000000003");
        // The read-write lock's names sort by their digits together.
        let rw = ["__READ__", "__WRIT__"];
        let children = names(&[
            "_c_a0000000-0000-4000-8000-000000000000-__WRIT__0000000002",
            "_c_b0000000-0000-4000-8000-000000000000-__READ__0000000001",
            "_c_c0000000-0000-4000-8000-000000000000-__READ__0000000003",
        ]);
        let sorted = contenders(&children, Layout::Curator, &rw);
        assert!(
            sorted[0].ends_with("__READ__0000000001") && sorted[1].ends_with("__WRIT__0000000002")
        );
    }

    #[test]
    fn kazoo_takes_only_its_contenders_in_sequence_order() {
        let children = names(&[
            "bbbb__lock__0000000003",
            "_c_c0000000-0000-4000-8000-000000000000-lock-0000000001",
            "aaaa__lock__0000000004",
            "cccc__lock__0000000002",
            "dddd__rlock__0000000000",
            "eeee__lock__12",
        ]);
        assert_eq!(
            contenders(&children, Layout::Kazoo, &["lock-"]),
            [
                "cccc__lock__0000000002",
                "bbbb__lock__0000000003",
                "aaaa__lock__0000000004"
            ]
        );
        assert_eq!(kazoo_sequence("x__lock__-000000001"), None);
        assert_eq!(kazoo_sequence("x__lock__-2147483648"), Some("-2147483648"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(node_prefix(Layout::Curator).len(), 40);
        let k = node_prefix(Layout::Kazoo);
        assert_eq!(k.len(), 32);
        assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
