//! Snapshot files being written, and retention: a snapshot is written to a temporary name,
//! synced, and renamed to `version-2/snapshot.<zxid>` (so a crash never leaves a partial file
//! under a snapshot's name); then the snapshots and logs no longer needed go
//! ([`super::policy::to_purge`]).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::log::sync_dir;
use crate::tree::DataTree;

/// What a snapshot is taken of: a copy of the tree, the live sessions (id, timeout) and the
/// last zxid applied, all at one moment.
#[derive(Debug)]
pub struct Taken {
    /// The tree.
    pub tree: DataTree,
    /// The sessions.
    pub sessions: Vec<(i64, i32)>,
    /// The zxid, which names the file.
    pub zxid: i64,
}

/// Writes `taken` into `dir` (the `version-2` directory); its path.
pub fn write(dir: &Path, taken: &Taken, fsync: bool) -> io::Result<PathBuf> {
    let name = format!("snapshot.{:x}", taken.zxid as u64);
    let path = dir.join(&name);
    let tmp = dir.join(format!("{name}.tmp"));
    let bytes = taken.tree.write_snapshot(&taken.sessions, taken.zxid);
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(&bytes)?;
        if fsync {
            f.sync_all()?;
        }
        Ok(())
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display())));
    }
    if fsync {
        sync_dir(dir)?;
    }
    Ok(path)
}

/// Deletes what retention of the newest `retain` snapshots lets go; the paths deleted.
pub fn purge(dir: &Path, retain: usize) -> io::Result<Vec<PathBuf>> {
    let listed =
        |prefix| crate::datadir::files(dir, prefix).map_err(|e| io::Error::other(e.to_string()));
    let gone = super::policy::to_purge(&listed("snapshot")?, &listed("log")?, retain);
    for path in &gone {
        std::fs::remove_file(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    }
    Ok(gone)
}
