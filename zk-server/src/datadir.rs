//! A ZooKeeper data directory (`DIR/version-2/snapshot.<zxid>`, `log.<zxid>`), read as
//! ZooKeeper 3.8 recovers from it (`FileTxnSnapLog.restore`): the newest snapshot that reads
//! whole (a damaged newer one is passed over, and said so), then the logs from the one that
//! begins at or before the snapshot's zxid, each read to its end, where a torn last entry (a
//! write a crash cut short) also ends it. What [`crate::restore`] rebuilds from them can stop
//! at a chosen zxid. A log that does not continue where the one before it ended (a gap within an
//! epoch), or a checksum that does not match, is an error naming the file and the offset.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::ondisk::{snapshot, txnlog, FileError};
use crate::restore::Restored;

/// Why a data directory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// Which.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is damaged, at an offset.
    #[error("{}: {error}", path.display())]
    File {
        /// Which.
        path: PathBuf,
        /// What and where.
        error: FileError,
    },
    /// Snapshots are there, none of them usable (damaged, or, for a state up to a zxid, holding
    /// transactions after it).
    #[error("{}: no usable snapshot: {}", dir.display(), tried.join("; "))]
    NoValidSnapshot {
        /// The `version-2` directory.
        dir: PathBuf,
        /// Each snapshot tried and its problem.
        tried: Vec<String>,
    },
    /// Logs are there and no snapshot: ZooKeeper refuses to start from them alone.
    #[error(
        "{}: transaction logs without a snapshot: ZooKeeper refuses such a directory too",
        dir.display()
    )]
    LogsWithoutSnapshot {
        /// The `version-2` directory.
        dir: PathBuf,
    },
    /// No snapshot is old enough for the zxid asked for.
    #[error("{}: no snapshot from before zxid {zxid:#x}", dir.display())]
    NothingBefore {
        /// The `version-2` directory.
        dir: PathBuf,
        /// The zxid asked for.
        zxid: i64,
    },
}

/// What a load read, besides the state: for an operator to see what was used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// The snapshot the state starts from (`None`: the directory was empty).
    pub snapshot: Option<PathBuf>,
    /// Newer snapshots passed over, and why.
    pub skipped: Vec<String>,
    /// The logs read.
    pub logs: Vec<PathBuf>,
    /// Torn last entries taken for the end of their log, damage found after a log's end
    /// (ZooKeeper reads past neither), and a tree digest that differs from the files' (which
    /// ZooKeeper logs as an error and starts anyway).
    pub notes: Vec<String>,
    /// The zxids at which the recovered tree was checked against the digest the files carry
    /// (the snapshot's, once the replay reaches the zxid it was taken at; the last applied
    /// transaction's).
    pub digests_checked: Vec<i64>,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.snapshot {
            Some(s) => write!(f, "snapshot {}", s.display())?,
            None => write!(f, "no snapshot (an empty directory)")?,
        }
        write!(f, ", {} log(s)", self.logs.len())?;
        if let Some(last) = self.digests_checked.last() {
            write!(f, ", the tree's digest checked up to zxid {last:#x}")?;
        }
        for s in &self.skipped {
            write!(f, "; skipped {s}")?;
        }
        for n in &self.notes {
            write!(f, "; {n}")?;
        }
        Ok(())
    }
}

/// A file of `version-2`: its kind's prefix and the zxid in its name.
fn zxid_of(name: &str, prefix: &str) -> Option<i64> {
    let hex = name.strip_prefix(prefix)?.strip_prefix('.')?;
    u64::from_str_radix(hex, 16).ok().map(|z| z as i64)
}

/// The files named `<prefix>.<hex zxid>` in `dir`, by zxid.
pub(crate) fn files(dir: &Path, prefix: &str) -> Result<Vec<(i64, PathBuf)>, LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if let Some(zxid) = entry.file_name().to_str().and_then(|n| zxid_of(n, prefix)) {
            found.push((zxid, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads `dir` (a ZooKeeper `dataDir`, holding `version-2`), up to and including zxid `up_to`
/// when given. `extended_types`: whether TTL owners are read as such
/// (`zookeeper.extendedTypesEnabled`). An empty or missing `version-2` is an empty tree.
pub fn load(
    dir: &Path,
    up_to: Option<i64>,
    extended_types: bool,
) -> Result<(Restored, LoadReport), LoadError> {
    let dir = dir.join("version-2");
    let mut report = LoadReport::default();
    let (snapshots, mut logs) = if dir.is_dir() {
        (files(&dir, "snapshot")?, files(&dir, "log")?)
    } else {
        (Vec::new(), Vec::new())
    };
    pass_over_headless(&mut logs, &mut report);
    let mut state = None;
    let mut snapshot_digest = None;
    let mut tried = Vec::new();
    for (zxid, path) in snapshots.iter().rev() {
        if up_to.is_some_and(|last| *zxid > last) {
            continue;
        }
        let snap = read(path).and_then(|bytes| {
            snapshot::read(&bytes)
                .and_then(|s| {
                    // A snapshot is fuzzy: it may hold transactions after the zxid in its
                    // name, up to the one its digest was taken at. For a state up to a zxid,
                    // it must hold none after it.
                    let upto = written_up_to(&s);
                    if let Some(last) = up_to.filter(|last| upto > *last) {
                        return Err(FileError {
                            offset: 0,
                            what: format!(
                                "holds transactions up to {upto:#x}, after {last:#x} (snapshots \
                                 are fuzzy)"
                            ),
                        });
                    }
                    let digest = s.digest.as_ref().and_then(|d| {
                        let value = d.digest.parse::<i64>().ok()?;
                        Some((d.zxid, d.version, value))
                    });
                    Ok((Restored::from_snapshot(&s, *zxid, extended_types)?, digest))
                })
                .map_err(|error| LoadError::File {
                    path: path.clone(),
                    error,
                })
        });
        match snap {
            Ok((s, digest)) => {
                report.snapshot = Some(path.clone());
                state = Some(s);
                snapshot_digest = digest;
                break;
            }
            Err(e) => tried.push(e.to_string()),
        }
    }
    report.skipped.clone_from(&tried);
    let mut state = match state {
        Some(s) => s,
        None if !tried.is_empty() => {
            return Err(LoadError::NoValidSnapshot { dir, tried });
        }
        None if !snapshots.is_empty() => {
            return Err(LoadError::NothingBefore {
                dir,
                zxid: up_to.unwrap_or_default(),
            });
        }
        None if !logs.is_empty() => return Err(LoadError::LogsWithoutSnapshot { dir }),
        None => {
            return Ok((
                Restored {
                    tree: crate::tree::DataTree::new(extended_types),
                    sessions: Default::default(),
                    zxid: 0,
                    applied: 0,
                },
                report,
            ))
        }
    };
    // A fuzzy snapshot's digest is its tree's once the replay reaches the zxid it names.
    if snapshot_digest.is_some_and(|(zxid, _, _)| zxid == state.zxid) {
        check_digest(&state, snapshot_digest.take(), &mut report);
    }
    let mut last_digest = None;
    // The log that holds the zxid after the snapshot's begins at or before it.
    let first = logs
        .iter()
        .rposition(|(start, _)| *start <= state.zxid)
        .unwrap_or(0);
    for (_, path) in &logs[first..] {
        report.logs.push(path.clone());
        let bytes = read(path)?;
        let log = match txnlog::read(&bytes) {
            Ok(log) => log,
            Err(partial) if partial.ends_log => {
                report
                    .notes
                    .push(format!("{}: the end ({})", path.display(), partial.error));
                partial.log
            }
            Err(partial) => {
                return Err(LoadError::File {
                    path: path.clone(),
                    error: partial.error,
                })
            }
        };
        for entry in &log.entries {
            let zxid = entry.header.zxid;
            if up_to.is_some_and(|last| zxid > last) {
                check_digest(&state, last_digest, &mut report);
                return Ok((state, report));
            }
            if zxid > state.zxid && zxid >> 32 == state.zxid >> 32 && zxid != state.zxid + 1 {
                return Err(LoadError::File {
                    path: path.clone(),
                    error: FileError {
                        offset: entry.offset,
                        what: format!(
                            "a gap: zxid {zxid:#x} follows {:#x} in the same epoch",
                            state.zxid
                        ),
                    },
                });
            }
            let before = state.zxid;
            state.apply(&entry.header, &entry.body);
            if snapshot_digest.is_some_and(|(zxid, _, _)| zxid == state.zxid) {
                check_digest(&state, snapshot_digest.take(), &mut report);
            }
            if state.zxid != before {
                last_digest = match &entry.digest {
                    Some(d) => Some((zxid, d.version, d.tree_digest)),
                    // Failed writes and new sessions change no node, and carry no digest.
                    None if matches!(entry.header.r#type, ERROR | CREATE_SESSION) => last_digest,
                    None => None,
                };
            }
        }
    }
    check_digest(&state, last_digest, &mut report);
    Ok((state, report))
}

/// Drops the logs shorter than their header from `logs`, noting each: a log being begun when
/// its server stopped holds no transaction, and is passed over (as ZooKeeper does since
/// ZOOKEEPER-1621, deleting it; 3.8.0 refuses to start from it).
fn pass_over_headless(logs: &mut Vec<(i64, PathBuf)>, report: &mut LoadReport) {
    logs.retain(|(_, path)| {
        let short = std::fs::metadata(path).is_ok_and(|m| m.len() < HEADER_LEN);
        if short {
            report.notes.push(format!(
                "{}: shorter than a log's header (a log being begun when its server stopped): \
                 no transactions",
                path.display()
            ));
        }
        !short
    });
}

/// The last zxid a snapshot can hold: the one its digest was taken at (ZooKeeper 3.6+
/// writes it when it finishes), else the newest zxid its nodes show.
fn written_up_to(snap: &snapshot::Snapshot) -> i64 {
    match &snap.digest {
        Some(d) if d.zxid > 0 => d.zxid,
        _ => snap
            .nodes
            .iter()
            .map(|n| n.stat.czxid.max(n.stat.mzxid).max(n.stat.pzxid))
            .max()
            .unwrap_or(0),
    }
}

/// A file header's length (magic, version, dbid).
const HEADER_LEN: u64 = 16;

/// The transaction types that change no node.
const ERROR: i32 = -1;
const CREATE_SESSION: i32 = -10;

/// Compares the recovered tree with the digest of the last transaction applied that carries
/// one (of a version this server computes) when nothing applied since changed a node; notes a
/// difference.
fn check_digest(state: &Restored, last: Option<(i64, i32, i64)>, report: &mut LoadReport) {
    let Some((zxid, version, digest)) = last else {
        return;
    };
    if version != crate::tree::DIGEST_VERSION {
        return;
    }
    report.digests_checked.push(zxid);
    let ours = state.tree.digest();
    if ours != digest {
        report.notes.push(format!(
            "the tree's digest after zxid {zxid:#x} is {ours:#x}, the files say {digest:#x}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_hex_zxids() {
        assert_eq!(zxid_of("log.100000001", "log"), Some(0x1_0000_0001));
        assert_eq!(zxid_of("snapshot.0", "snapshot"), Some(0));
        assert_eq!(zxid_of("snapshot.0", "log"), None);
        assert_eq!(zxid_of("log.zz", "log"), None);
        assert_eq!(zxid_of("logs.1", "log"), None);
    }
}
