//! The transaction log files being written: `version-2/log.<zxid>`, named by the first
//! transaction each holds, begun with ZooKeeper's file header, grown with zeros ahead of the
//! writes ([`super::policy::padded_size`]), synced on demand, and rolled to a new file when a
//! snapshot is taken.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::ondisk::txnlog;

/// The log being written.
#[derive(Debug)]
pub struct LogFiles {
    dir: PathBuf,
    prealloc: u64,
    fsync: bool,
    /// The open file, its path, where the next entry goes, and its size.
    current: Option<Current>,
}

#[derive(Debug)]
struct Current {
    file: File,
    path: PathBuf,
    position: u64,
    size: u64,
    /// Whether bytes were written since the last sync.
    dirty: bool,
}

fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Syncs a directory, so that a file created or renamed in it survives a crash of the machine.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| named(dir, e))
}

impl LogFiles {
    /// Logs in `dir` (the `version-2` directory), grown `prealloc` bytes at a time, synced to
    /// the disk when `fsync` (else only written: for tests).
    pub fn new(dir: &Path, prealloc: u64, fsync: bool) -> LogFiles {
        LogFiles {
            dir: dir.to_path_buf(),
            prealloc,
            fsync,
            current: None,
        }
    }

    /// Appends `bytes` (whole entries, the first of them at `first_zxid`), starting a new file
    /// named by `first_zxid` when none is open.
    pub fn append(&mut self, first_zxid: i64, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let current = match &mut self.current {
            Some(c) => c,
            None => self.current.insert(self.open(first_zxid)?),
        };
        let end = current.position + bytes.len() as u64;
        if let Some(size) = super::policy::padded_size(end, current.size, self.prealloc) {
            current
                .file
                .set_len(size)
                .map_err(|e| named(&current.path, e))?;
            current.size = size;
        }
        current
            .file
            .write_all(bytes)
            .map_err(|e| named(&current.path, e))?;
        current.position = end;
        current.dirty = true;
        Ok(())
    }

    /// A new file for the entries from `zxid` on, begun with its header under a temporary
    /// name and renamed, so that a crash never leaves a log file without a whole header (which
    /// ZooKeeper 3.8 refuses to start from). A file of that name can be there only when
    /// recovery found nothing usable in it (a first entry a crash cut short), and it is
    /// replaced, as ZooKeeper replaces it.
    fn open(&self, zxid: i64) -> io::Result<Current> {
        let path = self.dir.join(format!("log.{:x}", zxid as u64));
        let tmp = self.dir.join(format!("log.{:x}.tmp", zxid as u64));
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&tmp)
            .map_err(|e| named(&tmp, e))?;
        let header = txnlog::file_header();
        file.write_all(&header).map_err(|e| named(&tmp, e))?;
        if self.fsync {
            file.sync_all().map_err(|e| named(&tmp, e))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| named(&path, e))?;
        if self.fsync {
            sync_dir(&self.dir)?;
        }
        Ok(Current {
            file,
            path,
            position: header.len() as u64,
            size: header.len() as u64,
            dirty: false,
        })
    }

    /// Makes what was appended durable (when syncing; `fdatasync`, as ZooKeeper's
    /// `FileChannel.force(false)`).
    pub fn sync(&mut self) -> io::Result<()> {
        if let Some(c) = &mut self.current {
            if c.dirty && self.fsync {
                c.file.sync_data().map_err(|e| named(&c.path, e))?;
            }
            c.dirty = false;
        }
        Ok(())
    }

    /// Syncs and closes the current file: the next entry begins a new one.
    pub fn roll(&mut self) -> io::Result<()> {
        self.sync()?;
        self.current = None;
        Ok(())
    }

    /// The file being written, if any.
    pub fn current(&self) -> Option<&Path> {
        self.current.as_ref().map(|c| c.path.as_path())
    }
}
