//! TCP streams out of a capture file (pcap or pcapng; Ethernet, Linux cooked or raw IP link
//! layers): packets grouped by connection and direction, payloads put in sequence order with
//! the time each byte arrived, retransmissions dropped. A stream whose SYN was not captured
//! starts at its first captured segment; where segments are missing (a gap), the bytes after
//! it are kept as a piece of their own, for the decoders to find their footing in again.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

/// One direction of one TCP connection.
#[derive(Debug, Default, Clone)]
pub struct Stream {
    /// Sender.
    pub from: Option<SocketAddr>,
    /// Receiver.
    pub to: Option<SocketAddr>,
    /// The payload in sequence order: every captured byte, gaps squeezed out (see
    /// [`Stream::pieces`]).
    pub data: Vec<u8>,
    /// Time of the first payload byte (microseconds since the epoch).
    pub first_seen_us: u64,
    /// Whether the connection's SYN was captured (so `data` starts at the stream's start).
    pub syn_seen: bool,
    /// Where bytes are missing, in order.
    pub gaps: Vec<Gap>,
    /// Whether a FIN or RST was seen: a later SYN on the same addresses is a new connection.
    ended: bool,
    /// `(end offset in data, arrival)` of each segment, in offset order: when bytes arrived.
    arrivals: Vec<(u64, Arrival)>,
    isn: Option<u32>,
    segments: BTreeMap<u64, (Arrival, Vec<u8>)>,
}

/// Bytes of a stream that were not captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Where in [`Stream::data`] they would have been (the next piece starts there).
    pub at: usize,
    /// How many bytes are missing.
    pub missing: u64,
}

/// When a byte arrived: the capture time, and the packet's place in the capture (which orders
/// packets with equal times as they were captured).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Arrival {
    /// Microseconds since the epoch.
    pub time_us: u64,
    /// The packet's index in the capture.
    pub packet: u64,
}

impl Stream {
    /// The stretches of [`Stream::data`] captured without a gap, in order: each piece's range,
    /// and the gap before it (`None` for the first).
    pub fn pieces(&self) -> Vec<(std::ops::Range<usize>, Option<Gap>)> {
        let mut out = Vec::with_capacity(self.gaps.len() + 1);
        let mut start = 0;
        let mut before = None;
        for g in &self.gaps {
            out.push((start..g.at, before));
            start = g.at;
            before = Some(*g);
        }
        out.push((start..self.data.len(), before));
        out
    }

    /// When, and in which packet, the byte at `offset` arrived.
    pub fn arrival_of(&self, offset: u64) -> Arrival {
        let i = self.arrivals.partition_point(|(end, _)| *end <= offset);
        self.arrivals.get(i).or(self.arrivals.last()).map_or(
            Arrival {
                time_us: self.first_seen_us,
                packet: 0,
            },
            |(_, a)| *a,
        )
    }

    fn new(from: SocketAddr, to: SocketAddr) -> Stream {
        Stream {
            from: Some(from),
            to: Some(to),
            ..Stream::default()
        }
    }

    /// Whether a SYN now starts a new connection on these addresses.
    fn is_used(&self) -> bool {
        self.ended || !self.segments.is_empty()
    }
}

/// Both directions of a connection to the server port, in the order the connections were seen.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Client to server.
    pub request: Stream,
    /// Server to client.
    pub reply: Stream,
}

/// What a capture file held: its connections, and notes on what could not be read (a file cut
/// off in the middle of a packet still gives every packet before the cut).
#[derive(Debug, Clone, Default)]
pub struct Capture {
    /// Every connection to the server port, in the order their first packet was captured.
    pub connections: Vec<Connection>,
    /// Problems met, in the order met; a reader should report them.
    pub notes: Vec<String>,
    /// Whether the file ended early or is damaged (the tool then exits with an error after
    /// printing what it could read).
    pub damaged: bool,
}

struct Packet {
    ts_us: u64,
    link: DataLink,
    data: Vec<u8>,
}

/// Packets, and the problem that stopped reading if the file did not end cleanly.
type Packets = (Vec<Packet>, Option<String>);

/// Microseconds from a pcapng timestamp in the units of the interface's `if_tsresol` (a power
/// of ten, or of two when the high bit is set; microseconds when absent), plus its
/// `if_tsoffset` in seconds.
fn pcapng_micros(raw: u64, tsresol: u8, offset_s: u64) -> u64 {
    let value = u128::from(raw);
    let exp = u32::from(tsresol & 0x7f);
    let us = if tsresol & 0x80 != 0 {
        // 2^-exp seconds per unit.
        if exp >= 127 {
            0
        } else {
            (value * 1_000_000) >> exp
        }
    } else if exp >= 6 {
        10u128.checked_pow(exp - 6).map_or(0, |d| value / d)
    } else {
        value.saturating_mul(10u128.pow(6 - exp))
    };
    let total = us.saturating_add(u128::from(offset_s).saturating_mul(1_000_000));
    u64::try_from(total).unwrap_or(u64::MAX)
}

/// The packets read before a problem (a file cut off in a packet, a damaged block), and the
/// problem: what was good is still decoded.
fn cut_short(packets: Vec<Packet>, name: &str, e: impl std::fmt::Display) -> Packets {
    let problem = format!("{name}: unreadable after packet {}: {e}", packets.len());
    (packets, Some(problem))
}

fn read_pcapng(bytes: &[u8], name: &str) -> Result<Packets, String> {
    let mut out = Vec::new();
    let mut reader =
        PcapNgReader::new(bytes).map_err(|e| format!("{name}: not a pcapng file: {e}"))?;
    let mut last_ts = 0u64;
    while let Some(block) = reader.next_block() {
        let block = match block {
            Ok(b) => b,
            Err(e) => return Ok(cut_short(out, name, e)),
        };
        let (iface, ts, data) = match block {
            Block::EnhancedPacket(p) => (p.interface_id, Some(p.timestamp), p.data.into_owned()),
            // A Simple Packet Block has no time: it takes the previous packet's.
            Block::SimplePacket(p) => (0, None, p.data.into_owned()),
            _ => continue,
        };
        let Some(iface) = reader.interfaces().get(iface as usize) else {
            let problem = format!("{name}: a packet of undeclared interface {iface}");
            return Ok((out, Some(problem)));
        };
        let ts_us = match ts {
            Some(ts) => {
                let (mut resol, mut offset) = (6u8, 0u64);
                for o in &iface.options {
                    match o {
                        InterfaceDescriptionOption::IfTsResol(r) => resol = *r,
                        InterfaceDescriptionOption::IfTsOffset(s) => offset = *s,
                        _ => {}
                    }
                }
                // pcap-file hands the raw 64-bit count over as nanoseconds.
                let raw = u64::try_from(ts.as_nanos()).unwrap_or(u64::MAX);
                pcapng_micros(raw, resol, offset)
            }
            None => last_ts,
        };
        last_ts = ts_us;
        out.push(Packet {
            ts_us,
            link: iface.linktype,
            data,
        });
    }
    Ok((out, None))
}

fn read_packets(bytes: &[u8], name: &str) -> Result<Packets, String> {
    if bytes.len() >= 4 && bytes[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        return read_pcapng(bytes, name);
    }
    let mut out = Vec::new();
    let mut reader =
        PcapReader::new(bytes).map_err(|e| format!("{name}: not a pcap or pcapng file ({e})"))?;
    let link = reader.header().datalink;
    while let Some(pkt) = reader.next_packet() {
        let pkt = match pkt {
            Ok(p) => p,
            Err(e) => return Ok(cut_short(out, name, e)),
        };
        out.push(Packet {
            ts_us: u64::try_from(pkt.timestamp.as_micros()).unwrap_or(u64::MAX),
            link,
            data: pkt.data.into_owned(),
        });
    }
    Ok((out, None))
}

fn slice(link: DataLink, data: &[u8]) -> Option<SlicedPacket<'_>> {
    match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data).ok(),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data).ok(),
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data).ok(),
        // Loopback on BSDs: a 4-byte family, then IP.
        DataLink::NULL | DataLink::LOOP => {
            data.get(4..).and_then(|d| SlicedPacket::from_ip(d).ok())
        }
        _ => None,
    }
}

/// Reads every TCP connection to `server_port` from a capture file.
pub fn connections(path: &Path, server_port: u16) -> Result<Capture, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    connections_in(&bytes, &path.display().to_string(), server_port)
}

/// The streams of one connection: indexes into the stream list.
struct Pair {
    request: usize,
    reply: usize,
}

/// Like [`connections`], from the file's bytes. Time and memory are linear in the capture's
/// size.
pub fn connections_in(bytes: &[u8], name: &str, server_port: u16) -> Result<Capture, String> {
    let (packets, problem) = read_packets(bytes, name)?;
    let mut capture = Capture::default();
    if let Some(p) = problem {
        capture.notes.push(p);
        capture.damaged = true;
    }
    let mut streams: Vec<Stream> = Vec::new();
    let mut pairs: Vec<Pair> = Vec::new();
    // The connection now using each (client, server) address pair.
    let mut current: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
    let mut unsupported = None;
    let mut any_sliced = false;
    for (index, pkt) in packets.iter().enumerate() {
        let Some(sliced) = slice(pkt.link, &pkt.data) else {
            unsupported.get_or_insert(pkt.link);
            continue;
        };
        any_sliced = true;
        let (src, dst): (IpAddr, IpAddr) = match &sliced.net {
            Some(NetSlice::Ipv4(ip)) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            Some(NetSlice::Ipv6(ip)) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            _ => continue,
        };
        let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
            continue;
        };
        let from = SocketAddr::new(src, tcp.source_port());
        let to = SocketAddr::new(dst, tcp.destination_port());
        let (client, server, to_server) = if to.port() == server_port {
            (from, to, true)
        } else if from.port() == server_port {
            (to, from, false)
        } else {
            continue;
        };
        let key = (client, server);
        let mut conn = current.get(&key).copied();
        // A SYN on addresses whose connection already carried data or ended starts a new one
        // (a client port used again).
        if tcp.syn() {
            if let Some(c) = conn {
                let pair = &pairs[c];
                let this = if to_server { pair.request } else { pair.reply };
                if streams[this].is_used()
                    || (to_server && !tcp.ack() && streams[pair.reply].is_used())
                {
                    conn = None;
                }
            }
        }
        let c = match conn {
            Some(c) => c,
            None => {
                streams.push(Stream::new(client, server));
                streams.push(Stream::new(server, client));
                pairs.push(Pair {
                    request: streams.len() - 2,
                    reply: streams.len() - 1,
                });
                current.insert(key, pairs.len() - 1);
                pairs.len() - 1
            }
        };
        let stream = if to_server {
            &mut streams[pairs[c].request]
        } else {
            &mut streams[pairs[c].reply]
        };
        if tcp.fin() || tcp.rst() {
            stream.ended = true;
        }
        if tcp.syn() {
            if stream.isn.is_none() || stream.segments.is_empty() {
                stream.isn = Some(tcp.sequence_number());
                stream.syn_seen = true;
            }
            continue;
        }
        let payload = tcp.payload();
        if payload.is_empty() {
            continue;
        }
        // Without the SYN, the first segment seen starts the stream.
        let isn = *stream
            .isn
            .get_or_insert_with(|| tcp.sequence_number().wrapping_sub(1));
        let offset = u64::from(tcp.sequence_number().wrapping_sub(isn).wrapping_sub(1));
        if stream.segments.is_empty() {
            stream.first_seen_us = pkt.ts_us;
        }
        let arrival = Arrival {
            time_us: pkt.ts_us,
            packet: index as u64,
        };
        stream
            .segments
            .entry(offset)
            .or_insert_with(|| (arrival, payload.to_vec()));
    }
    if !any_sliced && !packets.is_empty() {
        return Err(format!(
            "{name}: link type {:?} is not supported (Ethernet, Linux cooked, raw IP, loopback)",
            unsupported.unwrap_or(DataLink::ETHERNET)
        ));
    }
    for s in &mut streams {
        let mut next = 0u64;
        for (&off, (arrival, seg)) in &s.segments {
            let end = off + seg.len() as u64;
            if off > next {
                s.gaps.push(Gap {
                    at: s.data.len(),
                    missing: off - next,
                });
                next = off;
            }
            if end > next {
                s.data.extend_from_slice(&seg[(next - off) as usize..]);
                next = end;
                // Offsets in `data`, where gaps take no room.
                s.arrivals.push((s.data.len() as u64, *arrival));
            }
        }
        s.segments.clear();
    }
    let mut streams: Vec<Option<Stream>> = streams.into_iter().map(Some).collect();
    for pair in pairs {
        if let (Some(request), Some(reply)) =
            (streams[pair.request].take(), streams[pair.reply].take())
        {
            capture.connections.push(Connection { request, reply });
        }
    }
    Ok(capture)
}

/// Splits a stream into length-prefixed frames (the bytes after each prefix). Fails on a
/// negative length or a cut-off last frame.
pub fn frames(data: &[u8]) -> Result<Vec<&[u8]>, String> {
    jute_schemas::protocol::frame::split(data, 0)
        .map(|f| f.map(|f| f.body).map_err(|e| e.to_string()))
        .collect()
}
