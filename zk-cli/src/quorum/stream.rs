//! One direction of a quorum-port connection, cut into items: the optional QuorumAuth
//! prelude, QuorumPackets back to back (no length prefix), and after a SNAP the raw snapshot
//! up to its `"BenWasHere"` signature.

use jute::{Decode, DecodeErrorKind, Limits, Reader};
use jute_schemas::data::{StatPersisted, ACL};
use jute_schemas::quorum::{QuorumAuthPacket, QuorumPacket};

/// `QuorumAuth.QUORUM_AUTH_MAGIC_NUMBER` as it is on the wire.
pub const AUTH_MAGIC: [u8; 8] = [0x5F, 0x24, 0x35, 0x01, 0x35, 0x01, 0xED, 0xCC];

/// The packet type that a raw snapshot follows.
pub const SNAP: i32 = 15;

/// The string after a SNAP's snapshot.
const SIGNATURE: &str = "BenWasHere";

/// Records on the quorum port may carry a whole transaction (up to `jute.maxbuffer`, 1 MiB by
/// default, plus its header) or a snapshot node's data: generous, but finite.
pub fn limits() -> Limits {
    Limits::new(64 * 1024 * 1024)
}

/// What a stream held at one place.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A QuorumAuth (quorum SASL) packet of the prelude.
    Auth(QuorumAuthPacket),
    /// A QuorumPacket.
    Packet(QuorumPacket),
    /// The snapshot a SNAP sends: its sessions, ACL lists and nodes.
    Snapshot {
        /// Live sessions.
        sessions: usize,
        /// Distinct ACL lists.
        acls: usize,
        /// Nodes, the root included.
        nodes: usize,
    },
}

/// An item and the bytes it spans in its stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// Where it starts.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
    /// What it is.
    pub item: Item,
}

/// Why a stream could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The capture ends inside an item (the connection was still open): `usize` bytes left.
    Unfinished(usize),
    /// The bytes at this offset are not what the protocol allows there.
    Bad(usize, String),
}

/// The known packet types, 1 to 19.
pub fn is_known_type(ty: i32) -> bool {
    (1..=19).contains(&ty)
}

/// Cuts `data` (from `start`) into items; `from_leader` says which direction it is (only the
/// leader sends SNAP). Returns what was read and, when it did not end cleanly, why.
pub fn parse(data: &[u8], start: usize) -> (Vec<Parsed>, Option<Stop>) {
    let mut out = Vec::new();
    let mut pos = start;
    // The prelude: QuorumAuth packets, while the magic starts the rest.
    while data[pos..].starts_with(&AUTH_MAGIC) {
        match decode::<QuorumAuthPacket>(data, pos) {
            Ok((p, end)) => {
                out.push(Parsed {
                    start: pos,
                    end,
                    item: Item::Auth(p),
                });
                pos = end;
            }
            Err(stop) => return (out, Some(stop)),
        }
    }
    while pos < data.len() {
        let (packet, end) = match decode::<QuorumPacket>(data, pos) {
            Ok(ok) => ok,
            Err(stop) => return (out, Some(stop)),
        };
        if !is_known_type(packet.r#type) {
            return (
                out,
                Some(Stop::Bad(
                    pos,
                    format!(
                        "not a quorum packet: type {} (known types are 1 to 19)",
                        packet.r#type
                    ),
                )),
            );
        }
        let snap = packet.r#type == SNAP;
        out.push(Parsed {
            start: pos,
            end,
            item: Item::Packet(packet),
        });
        pos = end;
        if snap {
            match snapshot(data, pos) {
                Ok((item, end)) => {
                    out.push(Parsed {
                        start: pos,
                        end,
                        item,
                    });
                    pos = end;
                }
                Err(stop) => return (out, Some(stop)),
            }
        }
    }
    (out, None)
}

/// Decodes one `T` at `pos`: the record and where it ends.
fn decode<'a, T: Decode<'a>>(data: &'a [u8], pos: usize) -> Result<(T, usize), Stop> {
    let mut r = Reader::with_limits(&data[pos..], limits());
    match T::decode(&mut r) {
        Ok(v) => Ok((v, pos + r.position())),
        Err(e) if matches!(e.kind(), DecodeErrorKind::Truncated { .. }) => {
            Err(Stop::Unfinished(data.len() - pos))
        }
        Err(e) => Err(Stop::Bad(pos + e.offset(), e.to_string())),
    }
}

/// The snapshot after a SNAP (`SerializeUtils.serializeSnapshot` to the socket, no file
/// header and no seals): sessions, the ACL cache, nodes up to the path `"/"`, then the
/// signature. Every count is checked against the bytes left before anything is read.
fn snapshot(data: &[u8], start: usize) -> Result<(Item, usize), Stop> {
    let mut pos = start;
    let (sessions, at) = decode::<i32>(data, pos)?;
    let sessions = count(sessions, data.len() - at, 12, pos, "session count")?;
    pos = at;
    for _ in 0..sessions {
        pos = decode::<i64>(data, pos)?.1; // id
        pos = decode::<i32>(data, pos)?.1; // timeout
    }
    let (acls, at) = decode::<i32>(data, pos)?;
    let acls = count(acls, data.len() - at, 12, pos, "ACL cache size")?;
    pos = at;
    for _ in 0..acls {
        pos = decode::<i64>(data, pos)?.1; // the list's id
        pos = decode::<Option<Vec<ACL>>>(data, pos)?.1;
    }
    let mut nodes = 0;
    loop {
        let (path, at) = decode::<Option<String>>(data, pos)?;
        if path.as_deref() == Some("/") {
            pos = at;
            break;
        }
        pos = at;
        pos = decode::<Option<&[u8]>>(data, pos)?.1; // data
        pos = decode::<i64>(data, pos)?.1; // ACL list id
        pos = decode::<StatPersisted>(data, pos)?.1;
        nodes += 1;
    }
    let (signature, at) = decode::<Option<String>>(data, pos)?;
    if signature.as_deref() != Some(SIGNATURE) {
        return Err(Stop::Bad(
            pos,
            format!("the snapshot after SNAP ends with {signature:?}, not \"{SIGNATURE}\""),
        ));
    }
    Ok((
        Item::Snapshot {
            sessions,
            acls,
            nodes,
        },
        at,
    ))
}

/// A count from the stream: not negative, and no more entries than the bytes left could hold
/// at `min` bytes each (checked before looping on it).
fn count(n: i32, left: usize, min: usize, at: usize, what: &str) -> Result<usize, Stop> {
    let n = usize::try_from(n).map_err(|_| Stop::Bad(at, format!("negative {what} {n}")))?;
    if n > left / min {
        // The rest may simply not be captured yet.
        return Err(Stop::Unfinished(left + 4));
    }
    Ok(n)
}

/// Where a stream whose start was not captured (or a piece after bytes missing from the
/// capture) can be read from: the first offset from `from` (within `scan` bytes of it) at
/// which three QuorumPackets of known types follow one another (or run to the end of the
/// data). `None` when there is none.
///
/// Each candidate only peeks at packet headers and lengths (nothing is decoded or copied), at
/// most three packets, so the search is linear in `scan`.
pub fn resync(data: &[u8], from: usize, scan: usize) -> Option<usize> {
    (from..data.len().min(from.saturating_add(scan))).find(|&at| {
        let mut pos = at;
        for _ in 0..3 {
            if pos == data.len() {
                return pos > at;
            }
            match peek(data, pos) {
                Some(p) if is_known_type(p.ty) && p.plausible() => pos = p.end,
                _ => return false,
            }
        }
        true
    })
}

/// What the header of a QuorumPacket (`int type; long zxid; buffer data; vector<Id>
/// authinfo`) says, read without decoding or copying anything.
struct Peek {
    ty: i32,
    data_len: usize,
    auths: usize,
    /// Where the packet ends.
    end: usize,
}

/// The most Ids a real packet's authinfo holds (a REQUEST's, or an echoed PING's).
const MAX_AUTHS: usize = 64;

impl Peek {
    /// Fields a real packet has: a few Ids of authinfo, no payload where the protocol sends
    /// none.
    fn plausible(&self) -> bool {
        let no_data = matches!(self.ty, 3 | 4 | 7 | 12 | 13 | 14 | 15);
        self.auths <= MAX_AUTHS && (!no_data || self.data_len == 0)
    }
}

/// Reads the header of the QuorumPacket at `pos`: `None` when the bytes there cannot start
/// one (a length past the data or over the limits, an authinfo too long to be real).
fn peek(data: &[u8], pos: usize) -> Option<Peek> {
    let max = limits().max_length;
    let int = |at: usize| -> Option<i32> {
        let b = data.get(at..at.checked_add(4)?)?;
        Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    // A length (-1: null) and where what it counts ends.
    let sized = |at: usize| -> Option<(usize, usize)> {
        let n = int(at)?;
        if n == -1 {
            return Some((0, at + 4));
        }
        let n = usize::try_from(n).ok().filter(|n| *n <= max)?;
        let end = (at + 4).checked_add(n).filter(|e| *e <= data.len())?;
        Some((n, end))
    };
    let ty = int(pos)?;
    let (data_len, mut at) = sized(pos.checked_add(12)?)?;
    let auths = match int(at)? {
        -1 => 0,
        n => usize::try_from(n).ok().filter(|n| *n <= MAX_AUTHS)?,
    };
    at += 4;
    for _ in 0..auths {
        at = sized(at)?.1; // scheme
        at = sized(at)?.1; // id
    }
    Some(Peek {
        ty,
        data_len,
        auths,
        end: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jute::Record;

    fn enc(v: &impl jute::Encode) -> Vec<u8> {
        let mut b = Vec::new();
        v.encode(&mut b);
        b
    }

    fn packet(ty: i32, zxid: i64, data: Option<Vec<u8>>) -> Vec<u8> {
        QuorumPacket {
            r#type: ty,
            zxid,
            data,
            authinfo: None,
        }
        .to_vec()
    }

    #[test]
    fn the_ping_of_the_reference_is_one_packet() {
        let bytes = jute::json::hex_decode("00000005 0000000100000000 ffffffff ffffffff").unwrap();
        let (items, stop) = parse(&bytes, 0);
        assert_eq!(stop, None);
        assert_eq!(items.len(), 1);
        assert_eq!((items[0].start, items[0].end), (0, 20));
    }

    #[test]
    fn auth_prelude_then_packets_then_an_unfinished_one() {
        let mut bytes = QuorumAuthPacket {
            magic: i64::from_be_bytes(AUTH_MAGIC),
            status: 0,
            token: Some(Vec::new()),
        }
        .to_vec();
        bytes.extend(packet(11, 1 << 32, Some(vec![0; 20])));
        bytes.extend(&packet(3, 5, None)[..10]);
        let (items, stop) = parse(&bytes, 0);
        assert!(matches!(items[0].item, Item::Auth(_)));
        assert!(matches!(&items[1].item, Item::Packet(p) if p.r#type == 11));
        assert_eq!(stop, Some(Stop::Unfinished(10)));
    }

    #[test]
    fn a_snapshot_is_read_to_its_signature_and_packets_resume() {
        let mut bytes = packet(SNAP, 7, None);
        // 1 session, no ACLs, the root and /a, then "/" and the signature.
        let mut snap = Vec::new();
        snap.extend(1i32.to_be_bytes());
        snap.extend(0x42i64.to_be_bytes());
        snap.extend(30_000i32.to_be_bytes());
        snap.extend(0i32.to_be_bytes());
        for path in ["", "/a"] {
            snap.extend(enc(&Some(path.to_string())));
            snap.extend(enc(&Some(b"x".to_vec())));
            snap.extend((-1i64).to_be_bytes());
            snap.extend(jute_schemas::data::StatPersisted::default().to_vec());
        }
        snap.extend(enc(&Some("/".to_string())));
        snap.extend(enc(&Some(SIGNATURE.to_string())));
        bytes.extend(&snap);
        bytes.extend(packet(10, 1 << 32, Some(b"server.1=...".to_vec())));
        let (items, stop) = parse(&bytes, 0);
        assert_eq!(stop, None, "{items:?}");
        assert_eq!(
            items[1].item,
            Item::Snapshot {
                sessions: 1,
                acls: 0,
                nodes: 2
            }
        );
        assert!(matches!(&items[2].item, Item::Packet(p) if p.r#type == 10));
        // A wrong signature is named.
        let mut bad = packet(SNAP, 7, None);
        bad.extend(&snap[..snap.len() - 14]);
        bad.extend(enc(&Some("BenWasGone".to_string())));
        let (_, stop) = parse(&bad, 0);
        assert!(
            matches!(stop, Some(Stop::Bad(_, ref m)) if m.contains("BenWasGone")),
            "{stop:?}"
        );
    }

    #[test]
    fn garbage_stops_the_stream_with_the_reason() {
        let mut bytes = packet(5, 1, None);
        bytes.extend(packet(77, 1, None));
        let (items, stop) = parse(&bytes, 0);
        assert_eq!(items.len(), 1);
        assert_eq!(
            stop,
            Some(Stop::Bad(
                20,
                "not a quorum packet: type 77 (known types are 1 to 19)".into()
            ))
        );
        // A hostile count in a snapshot is checked against what is left.
        let mut snap = packet(SNAP, 7, None);
        snap.extend(i32::MAX.to_be_bytes());
        assert!(matches!(parse(&snap, 0).1, Some(Stop::Unfinished(_))));
        let mut neg = packet(SNAP, 7, None);
        neg.extend((-5i32).to_be_bytes());
        assert!(
            matches!(parse(&neg, 0).1, Some(Stop::Bad(_, ref m)) if m.contains("negative session count"))
        );
    }

    #[test]
    fn resync_finds_the_first_whole_packet() {
        let mut bytes = packet(5, 1, None)[7..].to_vec();
        let start = bytes.len();
        for z in 2..6 {
            bytes.extend(packet(4, z, None));
        }
        assert_eq!(resync(&bytes, 0, 1 << 20), Some(start));
        assert_eq!(resync(&[0xff; 64], 0, 1 << 20), None);
    }
}
