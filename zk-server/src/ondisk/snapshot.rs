//! Snapshots (`version-2/snapshot.<zxid>`): a file header, the sessions, the ACL cache, the
//! nodes in pre-order ending with the path `/`, then seals (Adler-32 of every byte before them)
//! around the optional digest and last processed zxid.

use jute::{Decode, Reader};
use jute_schemas::data::{StatPersisted, ACL};
use jute_schemas::persistence::FileHeader;

use super::{adler32, limits, read_header, FileError, SNAPSHOT_MAGIC};

/// One node of the data tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where its entry starts in the file.
    pub offset: u64,
    /// The path (`/` for the root, stored as an empty string).
    pub path: String,
    /// The data (`None`: null).
    pub data: Option<Vec<u8>>,
    /// The ACL's id in the ACL cache (-1: open to anyone).
    pub acl_id: i64,
    /// The persisted stat.
    pub stat: StatPersisted,
}

/// The digest of the data tree at the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeDigest {
    /// The zxid it was taken at.
    pub zxid: i64,
    /// The digest version.
    pub version: i32,
    /// The digest (hex, as versions before 2 stored it, or the number).
    pub digest: String,
}

/// A whole snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The file header.
    pub header: FileHeader,
    /// Session id and timeout (ms) of every live session.
    pub sessions: Vec<(i64, i32)>,
    /// The ACL cache: id and ACL list.
    pub acls: Vec<(i64, Vec<ACL>)>,
    /// Every node, in pre-order.
    pub nodes: Vec<Node>,
    /// The tree digest (when digests are on).
    pub digest: Option<TreeDigest>,
    /// The last processed zxid (3.9+).
    pub last_processed_zxid: Option<i64>,
    /// How many seals were found and verified.
    pub seals: usize,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn decode<T: Decode<'a>>(&mut self, what: &str) -> Result<T, FileError> {
        let mut r = Reader::with_limits(&self.bytes[self.pos..], limits());
        let v = T::decode(&mut r).map_err(|e| {
            let kind = if self.pos + e.offset() >= self.bytes.len() {
                "truncated snapshot: "
            } else {
                ""
            };
            FileError::at(self.pos + e.offset(), format!("{kind}bad {what}: {e}"))
        })?;
        self.pos += r.position();
        Ok(v)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// A seal: the Adler-32 of every byte before it, then the path "/".
    fn seal(&mut self, n: usize) -> Result<(), FileError> {
        let at = self.pos;
        let expected = adler32(&self.bytes[..at]);
        let stored: i64 = self.decode(&format!("seal {n} checksum"))?;
        if stored != i64::from(expected) {
            return Err(FileError::at(
                at,
                format!("seal {n}: checksum mismatch: stored {stored:#x}, computed {expected:#x}"),
            ));
        }
        let slash: String = self.decode(&format!("seal {n} marker"))?;
        if slash != "/" {
            return Err(FileError::at(
                at + 8,
                format!("seal {n}: marker {slash:?}, expected \"/\""),
            ));
        }
        Ok(())
    }
}

/// Reads a whole snapshot.
pub fn read(bytes: &[u8]) -> Result<Snapshot, FileError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(FileError::at(
            0,
            "a gzip-compressed snapshot: decompress it first (gunzip)",
        ));
    }
    let header = read_header(bytes, SNAPSHOT_MAGIC, "snapshot")?;
    let mut c = Cursor { bytes, pos: 16 };
    let count: i32 = c.decode("session count")?;
    let count = usize::try_from(count)
        .map_err(|_| FileError::at(16, format!("negative session count {count}")))?;
    if count > bytes.len() / 12 {
        return Err(FileError::at(
            16,
            format!("session count {count} is more than the file holds"),
        ));
    }
    let mut sessions = Vec::with_capacity(count);
    for _ in 0..count {
        let id: i64 = c.decode("session id")?;
        let timeout: i32 = c.decode("session timeout")?;
        sessions.push((id, timeout));
    }
    let at = c.pos;
    let count: i32 = c.decode("ACL cache size")?;
    let count = usize::try_from(count)
        .map_err(|_| FileError::at(at, format!("negative ACL cache size {count}")))?;
    if count > bytes.len() / 12 {
        return Err(FileError::at(
            at,
            format!("ACL cache size {count} is more than the file holds"),
        ));
    }
    let mut acls = Vec::with_capacity(count);
    for _ in 0..count {
        let id: i64 = c.decode("ACL id")?;
        let list: Option<Vec<ACL>> = c.decode("ACL list")?;
        acls.push((id, list.unwrap_or_default()));
    }
    let mut nodes = Vec::new();
    loop {
        let offset = c.pos as u64;
        let path: Option<String> = c.decode("node path")?;
        let path = path.unwrap_or_default();
        if path == "/" {
            break;
        }
        let data: Option<Vec<u8>> = c.decode(&format!("data of {path:?}"))?;
        let acl_id: i64 = c.decode(&format!("ACL id of {path:?}"))?;
        let stat: StatPersisted = c.decode(&format!("stat of {path:?}"))?;
        nodes.push(Node {
            offset,
            path: if path.is_empty() { "/".into() } else { path },
            data,
            acl_id,
            stat,
        });
    }
    let mut snap = Snapshot {
        header,
        sessions,
        acls,
        nodes,
        digest: None,
        last_processed_zxid: None,
        seals: 0,
    };
    c.seal(1)?;
    snap.seals = 1;
    if c.at_end() {
        return Ok(snap);
    }
    let zxid: i64 = c.decode("digest zxid")?;
    let version: i32 = c.decode("digest version")?;
    let digest = if version < 2 {
        let s: Option<String> = c.decode("digest")?;
        s.unwrap_or_default()
    } else {
        let d: i64 = c.decode("digest")?;
        d.to_string()
    };
    snap.digest = Some(TreeDigest {
        zxid,
        version,
        digest,
    });
    c.seal(2)?;
    snap.seals = 2;
    if c.at_end() {
        return Ok(snap);
    }
    snap.last_processed_zxid = Some(c.decode("last processed zxid")?);
    c.seal(3)?;
    snap.seals = 3;
    if !c.at_end() {
        return Err(FileError::at(
            c.pos,
            format!(
                "{} unexpected bytes after the last seal",
                bytes.len() - c.pos
            ),
        ));
    }
    Ok(snap)
}
