//! ZooKeeper's own files: transaction logs ([`txnlog`]) and snapshots ([`snapshot`]), read
//! with the generated records of `jute-schemas`. Every problem is an [`FileError`] naming the
//! byte offset; nothing here panics on a damaged file.

pub mod snapshot;
pub mod txn;
pub mod txnlog;

use jute::{Decode, Limits, Reader};
use jute_schemas::persistence::FileHeader;

/// `"ZKLG"`: a transaction log.
pub const TXNLOG_MAGIC: i32 = 0x5A4B_4C47;
/// `"ZKSN"`: a snapshot.
pub const SNAPSHOT_MAGIC: i32 = 0x5A4B_534E;

/// A problem in a file, at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {what}")]
pub struct FileError {
    /// Where (from the start of the file).
    pub offset: u64,
    /// What is wrong.
    pub what: String,
}

impl FileError {
    /// A problem at the start of the file.
    pub fn at_start(what: impl Into<String>) -> Self {
        Self::at(0, what)
    }

    pub(crate) fn at(offset: usize, what: impl Into<String>) -> Self {
        FileError {
            offset: offset as u64,
            what: what.into(),
        }
    }
}

/// Limits for records inside the files: ZooKeeper bounds entries by `jute.maxbuffer` plus
/// some room; be generous but finite.
pub(crate) fn limits() -> Limits {
    Limits::new(64 * 1024 * 1024)
}

/// Reads and checks the 16-byte header.
pub(crate) fn read_header(bytes: &[u8], magic: i32, kind: &str) -> Result<FileHeader, FileError> {
    let mut r = Reader::with_limits(bytes, limits());
    let header = FileHeader::decode(&mut r).map_err(|_| {
        FileError::at(
            0,
            format!(
                "not a ZooKeeper {kind}: {} bytes, shorter than a file header",
                bytes.len()
            ),
        )
    })?;
    if header.magic != magic {
        return Err(FileError::at(
            0,
            format!(
                "not a ZooKeeper {kind}: magic {:#010x} ({}), expected {magic:#010x} ({})",
                header.magic,
                printable(header.magic),
                printable(magic)
            ),
        ));
    }
    if header.version != 2 {
        return Err(FileError::at(
            4,
            format!("unsupported {kind} version {} (expected 2)", header.version),
        ));
    }
    Ok(header)
}

fn printable(magic: i32) -> String {
    magic
        .to_be_bytes()
        .iter()
        .map(|b| {
            if b.is_ascii_graphic() {
                char::from(*b)
            } else {
                '.'
            }
        })
        .collect()
}

/// Adler-32 of `bytes`, as `java.util.zip.Adler32` computes it.
pub fn adler32(bytes: &[u8]) -> u32 {
    adler2::adler32_slice(bytes)
}
