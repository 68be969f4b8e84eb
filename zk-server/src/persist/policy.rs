//! The decisions of keeping a data directory, without I/O: when to take a snapshot (every
//! `snapCount` transactions, randomized as ZooKeeper randomizes it), how far to preallocate a
//! log (`FilePadding`), and which files retention deletes (`PurgeTxnLog`).

use std::path::PathBuf;

/// When to take a snapshot: ZooKeeper's `SyncRequestProcessor.shouldSnapshot`, by count
/// (`snapCount`): after `snapCount / 2 + r` transactions, `r` drawn anew in `0..snapCount / 2`
/// after each snapshot, so the servers of an ensemble do not all snapshot at once.
#[derive(Debug, Clone)]
pub struct SnapPolicy {
    snap_count: u64,
    /// Transactions logged since the last snapshot.
    logged: u64,
    /// This round's draw.
    roll: u64,
    /// The generator the draws come from (a xorshift, seeded by the caller).
    state: u64,
}

impl SnapPolicy {
    /// A policy for `snap_count` (at least 2, as ZooKeeper clamps it), drawing from `seed`.
    pub fn new(snap_count: u64, seed: u64) -> SnapPolicy {
        let mut p = SnapPolicy {
            snap_count: snap_count.max(2),
            logged: 0,
            roll: 0,
            state: seed | 1,
        };
        p.roll = p.draw();
        p
    }

    fn draw(&mut self) -> u64 {
        // xorshift64: the draws need spread, not secrecy.
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x % (self.snap_count / 2).max(1)
    }

    /// `count` more transactions were logged: whether a snapshot is due now (the count then
    /// starts again, with a new draw).
    pub fn logged(&mut self, count: u64) -> bool {
        self.logged = self.logged.saturating_add(count);
        if self.logged > self.snap_count / 2 + self.roll {
            self.logged = 0;
            self.roll = self.draw();
            true
        } else {
            false
        }
    }
}

/// The size a log file is grown to before `position` bytes are written into it (ZooKeeper's
/// `FilePadding.calculateFileSizeWithPadding`): `Some(new size)` when fewer than 4 KiB would be
/// left in the `current` size, grown by `prealloc` bytes at a time (none when `prealloc` is 0).
/// The file is grown with zeros ahead of the writes, so that syncing an entry rarely has to
/// sync the file's size too, and a reader meets zeros at the end of what was written.
pub fn padded_size(position: u64, current: u64, prealloc: u64) -> Option<u64> {
    if prealloc == 0 || position.saturating_add(4096) < current {
        return None;
    }
    let grown = if position > current {
        let size = position.saturating_add(prealloc);
        size - size % prealloc
    } else {
        current.saturating_add(prealloc)
    };
    // A write larger than the padding still fits.
    Some(grown.max(position.saturating_add(4096)))
}

/// The files retention deletes, given the `snapshots` and `logs` there (each by the zxid its
/// name carries) and `retain` (at least 3, as ZooKeeper's `autopurge.snapRetainCount`): the
/// snapshots older than the newest `retain`, and the logs whose every transaction precedes the
/// oldest snapshot kept (the newest log that begins before it is kept, since it may go on past
/// it), as ZooKeeper's `PurgeTxnLog` chooses.
pub fn to_purge(
    snapshots: &[(i64, PathBuf)],
    logs: &[(i64, PathBuf)],
    retain: usize,
) -> Vec<PathBuf> {
    let retain = retain.max(3);
    let mut snaps: Vec<&(i64, PathBuf)> = snapshots.iter().collect();
    snaps.sort_by_key(|(z, _)| std::cmp::Reverse(*z));
    if snaps.len() <= retain {
        return Vec::new();
    }
    let oldest_kept = snaps[retain - 1].0;
    let mut out: Vec<PathBuf> = snaps[retain..].iter().map(|(_, p)| p.clone()).collect();
    let mut sorted: Vec<&(i64, PathBuf)> = logs.iter().collect();
    sorted.sort_by_key(|(z, _)| *z);
    // The newest log that begins at or before the oldest snapshot kept goes on past it.
    let keep_from = sorted.iter().rposition(|(z, _)| *z <= oldest_kept);
    if let Some(first_kept) = keep_from {
        out.extend(sorted[..first_kept].iter().map(|(_, p)| p.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_come_between_half_and_all_of_snap_count() {
        for seed in 1..50 {
            let mut p = SnapPolicy::new(100, seed);
            let mut gaps = Vec::new();
            let mut since = 0;
            for _ in 0..10_000 {
                since += 1;
                if p.logged(1) {
                    gaps.push(since);
                    since = 0;
                }
            }
            assert!(gaps.iter().all(|g| (51..=100).contains(g)), "{gaps:?}");
            // Randomized: not every gap the same.
            assert!(gaps.iter().any(|g| *g != gaps[0]), "seed {seed}: {gaps:?}");
        }
    }

    #[test]
    fn a_tiny_snap_count_still_snapshots() {
        let mut p = SnapPolicy::new(0, 7);
        assert!(p.logged(1) || p.logged(1));
    }

    #[test]
    fn padding_grows_ahead_of_the_writes() {
        // A new file of 16 bytes (its header) grows to one step.
        assert_eq!(padded_size(16, 0, 65536), Some(65536));
        // Room left: nothing.
        assert_eq!(padded_size(1000, 65536, 65536), None);
        // Less than 4 KiB left: one more step.
        assert_eq!(padded_size(62000, 65536, 65536), Some(131072));
        // Past the end (a large entry): rounded to steps past it.
        assert_eq!(padded_size(200_000, 65536, 65536), Some(262_144));
        // No preallocation: never.
        assert_eq!(padded_size(200_000, 0, 0), None);
        // A step smaller than 4 KiB still leaves room for the write.
        assert_eq!(padded_size(10_000, 10_000, 100), Some(14_096));
    }

    fn named(prefix: &str, zxids: &[i64]) -> Vec<(i64, PathBuf)> {
        zxids
            .iter()
            .map(|z| (*z, PathBuf::from(format!("{prefix}.{z:x}"))))
            .collect()
    }

    #[test]
    fn retention_keeps_the_newest_snapshots_and_the_logs_they_need() {
        let snaps = named("snapshot", &[0, 100, 200, 300, 400]);
        let logs = named("log", &[1, 90, 150, 250, 401]);
        let gone = to_purge(&snaps, &logs, 3);
        let names: Vec<String> = gone.iter().map(|p| p.display().to_string()).collect();
        // Snapshots 0 and 100 go; 200, 300 and 400 stay. log.150 holds 200's successors, so
        // it stays, and the logs before it go.
        assert_eq!(names, ["snapshot.64", "snapshot.0", "log.1", "log.5a"]);
    }

    #[test]
    fn retention_keeps_everything_until_there_are_more_snapshots() {
        let snaps = named("snapshot", &[0, 100, 200]);
        let logs = named("log", &[1, 150]);
        assert!(to_purge(&snaps, &logs, 3).is_empty());
        // Fewer than 3 is taken as 3.
        assert!(to_purge(&snaps, &logs, 1).is_empty());
        assert!(to_purge(&[], &logs, 3).is_empty());
    }
}
