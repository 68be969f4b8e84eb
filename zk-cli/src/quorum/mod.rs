//! The ensemble's own traffic on the quorum port (2888 by default): the leader and each
//! learner exchange QuorumPackets (ZAB), with transactions inside PROPOSAL and INFORM, a
//! LearnerInfo in FOLLOWERINFO and OBSERVERINFO, and after a SNAP a raw snapshot. [`dump`]
//! turns captured connections into one event per packet, matches each PROPOSAL to its COMMIT
//! (for the commit latency) and counts the syncs by kind. Connections of the leader-election
//! port (3888), which is not Jute, are recognised and skipped.
//!
//! The learner is the TCP client of the leader's quorum port, so a connection's request
//! stream is learner → leader.

pub mod packet;
pub mod stream;

use std::collections::{BTreeMap, HashMap};

use crate::capture::{Connection, Stream};
use packet::Described;
use stream::{Item, Parsed, Stop};

/// What a connection to the port speaks, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Leader and learner (ZAB): starts with FOLLOWERINFO, OBSERVERINFO or the QuorumAuth
    /// magic.
    Quorum,
    /// Leader election: the initiator's header starts with protocol version -65536 or -65535.
    Election,
    /// Neither (a client port, or a stream whose start was not captured and has no quorum
    /// packets).
    Other,
}

/// Which way a packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Learner to leader.
    ToLeader,
    /// Leader to learner.
    FromLeader,
}

/// Bytes a stream whose start was not captured is searched for its first whole packet.
const RESYNC_SCAN: usize = 1 << 20;

/// What the initiator's first bytes say the connection is.
pub fn identify(conn: &Connection) -> Protocol {
    let first = &conn.request.data;
    if first.starts_with(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00])
        || first.starts_with(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01])
    {
        return Protocol::Election;
    }
    if conn.request.syn_seen {
        if first.starts_with(&stream::AUTH_MAGIC)
            || first.starts_with(&[0, 0, 0, 11])
            || first.starts_with(&[0, 0, 0, 16])
        {
            return Protocol::Quorum;
        }
        return Protocol::Other;
    }
    // Joined mid-stream: quorum traffic if either side has whole packets.
    if stream::resync(first, 0, RESYNC_SCAN).is_some()
        || stream::resync(&conn.reply.data, 0, RESYNC_SCAN).is_some()
    {
        Protocol::Quorum
    } else {
        Protocol::Other
    }
}

/// One item of the dump.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When its last byte was captured (microseconds since the epoch).
    pub time_us: u64,
    /// The learner's address (the connection's client side).
    pub learner: String,
    /// Which way it went.
    pub direction: Direction,
    /// Its size on the wire.
    pub size: usize,
    /// What it is.
    pub what: What,
    /// Its place in the capture (for ordering events of equal times).
    order: (u64, usize),
}

/// What an event is.
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// A QuorumAuth packet of the quorum SASL prelude.
    Auth {
        /// 0 in progress, 1 success, -1 error.
        status: i32,
        /// The SASL token's size.
        token_bytes: usize,
    },
    /// A QuorumPacket.
    Packet {
        /// Its type, 1 to 19.
        ty: i32,
        /// Its zxid.
        zxid: i64,
        /// Its data, decoded (or why not).
        data: Result<Box<Described>, String>,
        /// For a COMMIT: the time since its PROPOSAL on this connection.
        latency_us: Option<u64>,
        /// Sent before the learner's UPTODATE: part of syncing it, not of live traffic.
        in_sync: bool,
    },
    /// The snapshot after a SNAP.
    Snapshot {
        /// Live sessions.
        sessions: usize,
        /// Distinct ACL lists.
        acls: usize,
        /// Nodes, the root included.
        nodes: usize,
    },
}

/// Counts over the whole dump.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Packets and bytes by type name.
    pub packets: BTreeMap<&'static str, (u64, u64)>,
    /// PROPOSAL packets (one per learner and transaction).
    pub proposals: u64,
    /// Of those, how many had their COMMIT on the same connection.
    pub committed: u64,
    /// Proposals sent while syncing a learner (DIFF/TRUNC replays), committed or not.
    pub replayed_in_sync: u64,
    /// PROPOSAL to COMMIT of live proposals, sorted (microseconds).
    pub commit_latencies_us: Vec<u64>,
    /// Syncs by kind: DIFF, TRUNC, SNAP.
    pub syncs: BTreeMap<&'static str, u64>,
    /// Leader-election connections skipped.
    pub election_connections: usize,
    /// Quorum connections decoded.
    pub quorum_connections: usize,
    /// Connections that carried no byte either way (a learner trying a member that was not
    /// leading yet).
    pub empty_connections: usize,
}

impl Summary {
    /// The `q` quantile of the live commit latencies.
    pub fn commit_latency(&self, q: f64) -> Option<u64> {
        let n = self.commit_latencies_us.len();
        if n == 0 {
            return None;
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        self.commit_latencies_us.get(i).copied()
    }

    /// Proposals whose COMMIT was not seen (the capture or the connection ended first).
    pub fn uncommitted(&self) -> u64 {
        self.proposals - self.committed
    }
}

/// The decoded quorum traffic of a capture.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuorumDump {
    /// Every event, in capture order.
    pub events: Vec<Event>,
    /// Counts.
    pub summary: Summary,
    /// What could not be decoded or was skipped, for the reader.
    pub notes: Vec<String>,
}

/// Decodes the quorum-port connections of a capture.
pub fn dump(conns: &[Connection]) -> QuorumDump {
    let mut d = QuorumDump::default();
    for conn in conns {
        let learner = conn
            .request
            .from
            .map_or_else(|| "?".to_string(), |a| a.to_string());
        if conn.request.data.is_empty() && conn.reply.data.is_empty() {
            d.summary.empty_connections += 1;
            continue;
        }
        match identify(conn) {
            Protocol::Election => {
                d.summary.election_connections += 1;
                continue;
            }
            Protocol::Other => {
                d.notes.push(format!(
                    "{learner}: not quorum traffic ({} and {} bytes), skipped",
                    conn.request.data.len(),
                    conn.reply.data.len()
                ));
                continue;
            }
            Protocol::Quorum => d.summary.quorum_connections += 1,
        }
        connection(conn, &learner, &mut d);
    }
    if d.summary.election_connections > 0 {
        d.notes.push(format!(
            "skipped {} leader-election connection(s): that port's protocol is not Jute",
            d.summary.election_connections
        ));
    }
    d.events.sort_by_key(|e| e.order);
    d.summary.commit_latencies_us.sort_unstable();
    d
}

/// Where a stream's first piece can be read from: its start, or (joined mid-stream) its first
/// whole packet.
fn start_of(
    s: &Stream,
    first_piece: &[u8],
    (learner, which): (&str, &str),
    notes: &mut Vec<String>,
) -> Option<usize> {
    if s.syn_seen {
        return Some(0);
    }
    let at = stream::resync(first_piece, 0, RESYNC_SCAN);
    match at {
        Some(0) => {}
        Some(n) => notes.push(format!(
            "{learner} {which}: the capture starts mid-connection; {n} bytes before the first whole packet skipped"
        )),
        None if s.data.is_empty() => {}
        None => notes.push(format!(
            "{learner} {which}: the capture starts mid-connection and no whole packet was found in {} bytes",
            s.data.len()
        )),
    }
    at
}

fn connection(conn: &Connection, learner: &str, d: &mut QuorumDump) {
    let mut items: Vec<(Direction, Parsed, (u64, usize), u64)> = Vec::new();
    for (dir, s, which) in [
        (Direction::ToLeader, &conn.request, "to the leader"),
        (Direction::FromLeader, &conn.reply, "from the leader"),
    ] {
        // Each stretch captured without a gap on its own: after a gap, decoding finds its
        // footing again at the first whole packet.
        for (range, gap) in s.pieces() {
            let piece = &s.data[..range.end];
            let start = match gap {
                None => start_of(s, piece, (learner, which), &mut d.notes),
                Some(gap) => {
                    let at = stream::resync(piece, range.start, RESYNC_SCAN);
                    d.notes.push(match at {
                        Some(at) => format!(
                            "{learner} {which}: {} bytes missing from the capture after byte {}; decoding resumes at the first whole packet, {} bytes later",
                            gap.missing, gap.at, at - gap.at
                        ),
                        None => format!(
                            "{learner} {which}: {} bytes missing from the capture after byte {}; no whole packet in the {} bytes after it",
                            gap.missing, gap.at, range.len()
                        ),
                    });
                    at
                }
            };
            let Some(start) = start else {
                continue;
            };
            let (parsed, stop) = stream::parse(piece, start);
            let cut_by_gap = range.end < s.data.len();
            match stop {
                None => {}
                Some(Stop::Unfinished(n)) if cut_by_gap => d.notes.push(format!(
                    "{learner} {which}: a packet cut off by missing bytes ({n} bytes captured)"
                )),
                Some(Stop::Unfinished(n)) => d.notes.push(format!(
                    "{learner} {which}: the capture ends inside a packet ({n} bytes)"
                )),
                Some(Stop::Bad(at, why)) => d.notes.push(format!(
                    "{learner} {which}: cannot decode at byte {at}: {why}; skipped up to the next gap"
                )),
            }
            for p in parsed {
                let arrival = s.arrival_of(p.end.saturating_sub(1) as u64);
                // Events of the two directions interleave by the packet that completed them.
                items.push((dir, p, (arrival.packet, 0), arrival.time_us));
            }
        }
    }
    items.sort_by_key(|(_, p, order, _)| (*order, p.start));
    let mut proposed: HashMap<i64, (u64, bool)> = HashMap::new();
    // A connection joined mid-stream was synced before the capture started.
    let mut synced = !conn.reply.syn_seen;
    for (dir, p, (packet_index, _), time_us) in items {
        let size = p.end - p.start;
        let what = match p.item {
            Item::Auth(a) => What::Auth {
                status: a.status,
                token_bytes: a.token.map_or(0, |t| t.len()),
            },
            Item::Snapshot {
                sessions,
                acls,
                nodes,
            } => What::Snapshot {
                sessions,
                acls,
                nodes,
            },
            Item::Packet(q) => {
                let from_leader = dir == Direction::FromLeader;
                let name = packet::type_name(q.r#type);
                let entry = d.summary.packets.entry(name).or_default();
                entry.0 += 1;
                entry.1 += size as u64;
                let data = packet::describe(&q, from_leader).map(Box::new);
                if let Err(why) = &data {
                    d.notes.push(format!(
                        "{learner}: cannot decode the data of {name} zxid={:#x}: {why}",
                        q.zxid
                    ));
                }
                let mut latency_us = None;
                if from_leader {
                    match q.r#type {
                        2 => {
                            d.summary.proposals += 1;
                            if !synced {
                                d.summary.replayed_in_sync += 1;
                            }
                            proposed.insert(q.zxid, (time_us, synced));
                        }
                        4 => {
                            if let Some((at, live)) = proposed.remove(&q.zxid) {
                                d.summary.committed += 1;
                                let l = time_us.saturating_sub(at);
                                latency_us = Some(l);
                                if live {
                                    d.summary.commit_latencies_us.push(l);
                                }
                            }
                        }
                        13..=15 => *d.summary.syncs.entry(name).or_default() += 1,
                        12 => synced = true,
                        _ => {}
                    }
                }
                What::Packet {
                    ty: q.r#type,
                    zxid: q.zxid,
                    data,
                    latency_us,
                    in_sync: !synced || q.r#type == 12,
                }
            }
        };
        d.events.push(Event {
            time_us,
            learner: learner.to_string(),
            direction: dir,
            size,
            what,
            order: (packet_index, d.events.len()),
        });
    }
}
