//! TCP streams out of a capture file (pcap or pcapng; Ethernet, Linux cooked or raw IP link
//! layers): packets grouped by connection and direction, payloads put in sequence order with
//! the time each byte arrived, retransmissions dropped. A stream whose SYN was not captured
//! starts at its first captured segment; a gap ends what can be read of it.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

/// One direction of one TCP connection.
#[derive(Debug, Default, Clone)]
pub struct Stream {
    /// Sender.
    pub from: Option<SocketAddr>,
    /// Receiver.
    pub to: Option<SocketAddr>,
    /// The payload in sequence order (up to the first gap).
    pub data: Vec<u8>,
    /// Time of the first payload byte (microseconds since the epoch).
    pub first_seen_us: u64,
    /// Whether the connection's SYN was captured (so `data` starts at the stream's start).
    pub syn_seen: bool,
    /// Where bytes are missing (`data` ends there), if anywhere.
    pub gap_at: Option<u64>,
    /// `(end offset, time in µs)` of each segment, in offset order: when bytes arrived.
    arrivals: Vec<(u64, u64)>,
    isn: Option<u32>,
    segments: BTreeMap<u64, (u64, Vec<u8>)>,
}

impl Stream {
    /// When the byte at `offset` arrived (µs since the epoch).
    pub fn time_of(&self, offset: u64) -> u64 {
        let i = self.arrivals.partition_point(|(end, _)| *end <= offset);
        self.arrivals
            .get(i)
            .or(self.arrivals.last())
            .map_or(self.first_seen_us, |(_, t)| *t)
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

struct Packet {
    ts_us: u64,
    link: DataLink,
    data: Vec<u8>,
}

fn read_packets(bytes: &[u8], name: &str) -> Result<Vec<Packet>, String> {
    let mut out = Vec::new();
    if bytes.len() >= 4 && bytes[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        let mut reader =
            PcapNgReader::new(bytes).map_err(|e| format!("{name}: not a pcapng file: {e}"))?;
        while let Some(block) = reader.next_block() {
            let block = block.map_err(|e| format!("{name}: {e}"))?;
            let (iface, ts, data) = match block {
                Block::EnhancedPacket(p) => (p.interface_id, p.timestamp, p.data.into_owned()),
                Block::SimplePacket(p) => (0, std::time::Duration::ZERO, p.data.into_owned()),
                _ => continue,
            };
            let link = reader
                .interfaces()
                .get(iface as usize)
                .map(|i| i.linktype)
                .ok_or_else(|| format!("{name}: a packet of undeclared interface {iface}"))?;
            out.push(Packet {
                ts_us: u64::try_from(ts.as_micros()).unwrap_or(u64::MAX),
                link,
                data,
            });
        }
        return Ok(out);
    }
    let mut reader =
        PcapReader::new(bytes).map_err(|e| format!("{name}: not a pcap or pcapng file ({e})"))?;
    let link = reader.header().datalink;
    while let Some(pkt) = reader.next_packet() {
        let pkt = pkt.map_err(|e| format!("{name}: {e}"))?;
        out.push(Packet {
            ts_us: u64::try_from(pkt.timestamp.as_micros()).unwrap_or(u64::MAX),
            link,
            data: pkt.data.into_owned(),
        });
    }
    Ok(out)
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
pub fn connections(path: &Path, server_port: u16) -> Result<Vec<Connection>, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    connections_in(&bytes, &path.display().to_string(), server_port)
}

/// Like [`connections`], from the file's bytes.
pub fn connections_in(
    bytes: &[u8],
    name: &str,
    server_port: u16,
) -> Result<Vec<Connection>, String> {
    let packets = read_packets(bytes, name)?;
    let mut streams: BTreeMap<(SocketAddr, SocketAddr), Stream> = BTreeMap::new();
    let mut order: Vec<(SocketAddr, SocketAddr)> = Vec::new();
    let mut unsupported = None;
    for pkt in &packets {
        let Some(sliced) = slice(pkt.link, &pkt.data) else {
            unsupported.get_or_insert(pkt.link);
            continue;
        };
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
        if from.port() != server_port && to.port() != server_port {
            continue;
        }
        let key = (from, to);
        let stream = streams.entry(key).or_insert_with(|| {
            // Both directions are registered in the order their connection was first seen.
            if !order.contains(&(to, from)) {
                order.push(key);
            }
            Stream {
                from: Some(from),
                to: Some(to),
                ..Stream::default()
            }
        });
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
        stream
            .segments
            .entry(offset)
            .or_insert_with(|| (pkt.ts_us, payload.to_vec()));
    }
    if packets.iter().all(|p| slice(p.link, &p.data).is_none()) && !packets.is_empty() {
        return Err(format!(
            "{name}: link type {:?} is not supported (Ethernet, Linux cooked, raw IP, loopback)",
            unsupported.unwrap_or(DataLink::ETHERNET)
        ));
    }
    for s in streams.values_mut() {
        let mut next = 0u64;
        for (&off, (ts, seg)) in &s.segments {
            let end = off + seg.len() as u64;
            if off > next {
                s.gap_at = Some(next);
                break;
            }
            if end > next {
                s.data.extend_from_slice(&seg[(next - off) as usize..]);
                next = end;
                s.arrivals.push((end, *ts));
            }
        }
        s.segments.clear();
    }
    let mut out = Vec::new();
    for (a, b) in order {
        let key = if b.port() == server_port {
            (a, b)
        } else {
            (b, a)
        };
        let request = streams.remove(&key).unwrap_or_else(|| Stream {
            from: Some(key.0),
            to: Some(key.1),
            ..Stream::default()
        });
        let reply = streams.remove(&(key.1, key.0)).unwrap_or_else(|| Stream {
            from: Some(key.1),
            to: Some(key.0),
            ..Stream::default()
        });
        out.push(Connection { request, reply });
    }
    Ok(out)
}

/// Splits a stream into length-prefixed frames (the bytes after each prefix). Fails on a
/// negative length or a cut-off last frame.
pub fn frames(data: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(format!(
                "{} bytes left, too few for a length prefix",
                rest.len()
            ));
        }
        let len = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let len = usize::try_from(len).map_err(|_| format!("negative frame length {len}"))?;
        if rest.len() < 4 + len {
            return Err(format!(
                "frame of {len} bytes cut off after {}",
                rest.len() - 4
            ));
        }
        out.push(&rest[4..4 + len]);
        rest = &rest[4 + len..];
    }
    Ok(out)
}
