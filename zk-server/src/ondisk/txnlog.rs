//! Transaction logs (`version-2/log.<zxid>`): a file header, then entries of
//! `checksum (long), length (int), TxnHeader + record [+ TxnDigest], 'B'`, then zeros up to the
//! preallocated size. The checksum is Adler-32 of the payload only.

use jute::{Decode, Reader};
use jute_schemas::persistence::FileHeader;
use jute_schemas::txn::{TxnDigest, TxnHeader};

use super::txn::{self, TxnBody};
use super::{adler32, limits, read_header, FileError, TXNLOG_MAGIC};

/// One transaction of a log.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Where the entry starts in the file.
    pub offset: u64,
    /// Session, client xid, zxid, time (ms since the epoch), type.
    pub header: TxnHeader,
    /// The record.
    pub body: TxnBody,
    /// The digest of the data tree after the transaction (when digests are on).
    pub digest: Option<TxnDigest>,
    /// The stored (and verified) Adler-32 checksum.
    pub checksum: u32,
}

/// A whole log: the entries read, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TxnLog {
    /// The file header.
    pub header: FileHeader,
    /// Every transaction, in file order.
    pub entries: Vec<Entry>,
    /// The offset where the entries end (zeros, or the end of the file, follow).
    pub end: u64,
}

/// How far a log could be read: what was read, and the problem that stopped it.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    /// What could be read before the problem.
    pub log: TxnLog,
    /// The problem.
    pub error: FileError,
    /// Whether ZooKeeper takes the problem for the end of the log and goes on with the next
    /// one: a torn last entry (cut short, or without its end marker, as a write cut off by a
    /// crash leaves it), or bytes after the zeros that end the log (which it never reads).
    /// Otherwise the log is damaged where it is read (a checksum that does not match, a
    /// record that does not decode), and ZooKeeper refuses it.
    pub ends_log: bool,
}

/// Reads a whole log. A problem after the header returns what was read with it, so a tool can
/// print the good entries and then the error.
pub fn read(bytes: &[u8]) -> Result<TxnLog, Box<Partial>> {
    let header = read_header(bytes, TXNLOG_MAGIC, "transaction log").map_err(|error| {
        Box::new(Partial {
            log: TxnLog {
                header: FileHeader::default(),
                entries: Vec::new(),
                end: 0,
            },
            error,
            ends_log: false,
        })
    })?;
    let mut log = TxnLog {
        header,
        entries: Vec::new(),
        end: 16,
    };
    let mut pos = 16usize;
    loop {
        match read_entry(bytes, pos) {
            Ok(Some((entry, next))) => {
                log.entries.push(entry);
                pos = next;
                log.end = pos as u64;
            }
            Ok(None) => match after_the_end(bytes, pos) {
                None => return Ok(log),
                Some(error) => {
                    return Err(Box::new(Partial {
                        log,
                        error,
                        ends_log: true,
                    }))
                }
            },
            Err((error, ends_log)) => {
                return Err(Box::new(Partial {
                    log,
                    error,
                    ends_log,
                }))
            }
        }
    }
}

/// The log ends at the first zero length (ZooKeeper preallocates its files with zeros), so
/// everything after `end` must be zero: anything else is a damaged log (an entry zeroed in the
/// middle hides the entries behind it), reported where the first such byte is.
fn after_the_end(bytes: &[u8], end: usize) -> Option<FileError> {
    let rest = bytes.get(end..)?;
    let first = rest.iter().position(|b| *b != 0)?;
    let count = rest.iter().filter(|b| **b != 0).count();
    Some(FileError::at(
        end + first,
        format!(
            "{count} non-zero bytes after the end of the log at byte {end}: an entry there \
             was zeroed or the file is damaged, so what follows cannot be read"
        ),
    ))
}

fn be_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_be_bytes(a)
}

fn be_i32(b: &[u8]) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    i32::from_be_bytes(a)
}

/// Reads the entry at `pos`: `None` at the end of the entries; a problem, and whether it is a
/// torn last entry.
fn read_entry(bytes: &[u8], pos: usize) -> Result<Option<(Entry, usize)>, (FileError, bool)> {
    let torn = |e: FileError| (e, true);
    let damaged = |e: FileError| (e, false);
    let rest = &bytes[pos..];
    if rest.is_empty() {
        return Ok(None);
    }
    if rest.len() < 12 {
        if rest.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        return Err(torn(FileError::at(
            pos,
            format!(
                "truncated entry: {} bytes, shorter than its 12-byte prefix",
                rest.len()
            ),
        )));
    }
    let checksum = be_i64(rest);
    let len = be_i32(&rest[8..]);
    if len == 0 {
        // Preallocated zeros: the end. Anything else after it would be a damaged file.
        if checksum == 0 {
            return Ok(None);
        }
        return Err(torn(FileError::at(
            pos,
            format!("entry of length 0 with checksum {checksum:#x}"),
        )));
    }
    let Ok(len) = usize::try_from(len) else {
        // -1 is Java's null buffer, which ZooKeeper reads as the end.
        let e = FileError::at(pos + 8, format!("negative entry length {len}"));
        return Err(if len == -1 { torn(e) } else { damaged(e) });
    };
    if len > limits().max_length {
        return Err(damaged(FileError::at(
            pos + 8,
            format!("entry length {len} is over the limit"),
        )));
    }
    let start = pos + 12;
    let Some(payload) = bytes.get(start..start + len) else {
        return Err(torn(FileError::at(
            pos,
            format!(
                "truncated entry: length {len} runs past the end of the file ({} bytes left)",
                bytes.len() - start
            ),
        )));
    };
    match bytes.get(start + len) {
        Some(b'B') => {}
        Some(other) => {
            return Err(torn(FileError::at(
                start + len,
                format!("entry end marker is {other:#04x}, not 0x42 ('B')"),
            )))
        }
        None => {
            return Err(torn(FileError::at(
                start + len,
                "truncated entry: the end marker 'B' is missing",
            )))
        }
    }
    let computed = adler32(payload);
    // Java writes the 32-bit Adler value as a long.
    if checksum != i64::from(computed) {
        return Err(damaged(FileError::at(
            pos,
            format!("checksum mismatch: stored {checksum:#x}, computed {computed:#x}"),
        )));
    }
    let mut r = Reader::with_limits(payload, limits());
    let header = TxnHeader::decode(&mut r).map_err(|e| {
        damaged(FileError::at(
            start + e.offset(),
            format!("bad TxnHeader: {e}"),
        ))
    })?;
    let body_start = r.position();
    let (body, used) = txn::decode(header.r#type, &payload[body_start..]).map_err(|e| {
        damaged(FileError::at(
            start + body_start,
            format!("bad {} record: {e}", txn::type_name(header.r#type)),
        ))
    })?;
    let after = &payload[body_start + used..];
    let digest = if after.is_empty() {
        None
    } else {
        let mut r = Reader::with_limits(after, limits());
        let d = TxnDigest::decode(&mut r).map_err(|e| {
            damaged(FileError::at(
                start + body_start + used,
                format!("bad TxnDigest: {e}"),
            ))
        })?;
        if !r.is_empty() {
            return Err(damaged(FileError::at(
                start + body_start + used + r.position(),
                format!("{} unexpected bytes at the end of the entry", r.remaining()),
            )));
        }
        Some(d)
    };
    Ok(Some((
        Entry {
            offset: pos as u64,
            header,
            body,
            digest,
            checksum: computed,
        },
        start + len + 1,
    )))
}

/// A log file's first bytes: the header ZooKeeper 3.8 writes (`ZKLG`, version 2, dbid 0).
pub fn file_header() -> Vec<u8> {
    use jute::Encode;
    let mut out = Vec::new();
    FileHeader {
        magic: TXNLOG_MAGIC,
        version: 2,
        dbid: 0,
    }
    .encode(&mut out);
    out
}

/// One entry as ZooKeeper writes it: the Adler-32 of the payload (as a long), the payload's
/// length, the payload (the header, the record, and the digest when there is one), and `B`.
pub fn encode_entry(header: &TxnHeader, body: &TxnBody, digest: Option<&TxnDigest>) -> Vec<u8> {
    use jute::Encode;
    let mut payload = Vec::new();
    header.encode(&mut payload);
    payload.extend_from_slice(&body.to_bytes());
    if let Some(d) = digest {
        d.encode(&mut payload);
    }
    let mut out = Vec::with_capacity(payload.len() + 13);
    i64::from(adler32(&payload)).encode(&mut out);
    i32::try_from(payload.len())
        .unwrap_or(i32::MAX)
        .encode(&mut out);
    out.extend_from_slice(&payload);
    out.push(b'B');
    out
}
