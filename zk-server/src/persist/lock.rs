//! The data directory's lock: one server at a time. An advisory lock (`flock`) on
//! `DIR/zk-server.lock`, held while the server runs and released by the system when its
//! process ends, however it ends (a server killed with SIGKILL leaves no stale lock).
//! ZooKeeper keeps no such lock, so this guards against a second `zk server` only.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// The lock file's name, in the data directory (beside `version-2`, where ZooKeeper looks at
/// nothing else).
pub const LOCK_FILE: &str = "zk-server.lock";

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Takes `dir`'s lock, or says who holds it.
pub fn lock(dir: &Path) -> io::Result<DirLock> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "{}: the data directory is in use by another server (its lock is held)",
                dir.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(io::Error::new(
            e.kind(),
            format!("{}: cannot lock: {e}", path.display()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = std::env::temp_dir().join(format!("zk-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = lock(&dir).unwrap();
        let second = lock(&dir).unwrap_err();
        assert_eq!(second.kind(), io::ErrorKind::WouldBlock);
        assert!(
            second.to_string().contains("in use by another server"),
            "{second}"
        );
        drop(first);
        assert!(lock(&dir).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
