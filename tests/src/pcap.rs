//! TCP streams out of a pcap file: packets grouped by connection and direction, payloads put in
//! sequence order (retransmitted bytes dropped), ready to be split into ZooKeeper frames.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;

/// One direction of one TCP connection.
#[derive(Debug, Default)]
pub struct Stream {
    /// Sender.
    pub from: Option<SocketAddr>,
    /// Receiver.
    pub to: Option<SocketAddr>,
    /// The payload in sequence order.
    pub data: Vec<u8>,
    /// Time of the first payload byte (microseconds since the epoch).
    pub first_seen_us: u64,
    isn: Option<u32>,
    segments: BTreeMap<u64, Vec<u8>>,
}

/// Both directions of a connection to `server_port`, in the order the connections were opened.
#[derive(Debug)]
pub struct Connection {
    /// Client to server.
    pub request: Stream,
    /// Server to client.
    pub reply: Stream,
}

/// Reads every TCP connection to `server_port` from a pcap (Ethernet link type, as tcpdump
/// writes for `lo`).
pub fn connections(path: &Path, server_port: u16) -> Result<Vec<Connection>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader =
        PcapReader::new(file).map_err(|e| format!("{}: not a pcap file: {e}", path.display()))?;
    let mut streams: BTreeMap<(SocketAddr, SocketAddr), Stream> = BTreeMap::new();
    let mut order: Vec<(SocketAddr, SocketAddr)> = Vec::new();
    while let Some(pkt) = reader.next_packet() {
        let pkt = pkt.map_err(|e| format!("{}: {e}", path.display()))?;
        let ts = pkt.timestamp.as_micros() as u64;
        let sliced =
            SlicedPacket::from_ethernet(&pkt.data).map_err(|e| format!("bad packet: {e}"))?;
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
            order.push(key);
            Stream {
                from: Some(from),
                to: Some(to),
                ..Stream::default()
            }
        });
        if tcp.syn() {
            stream.isn = Some(tcp.sequence_number());
            continue;
        }
        let payload = tcp.payload();
        if payload.is_empty() {
            continue;
        }
        let isn = stream
            .isn
            .ok_or_else(|| format!("{from} -> {to}: data before the SYN was captured"))?;
        let offset = u64::from(tcp.sequence_number().wrapping_sub(isn).wrapping_sub(1));
        if stream.segments.is_empty() {
            stream.first_seen_us = ts;
        }
        stream
            .segments
            .entry(offset)
            .or_insert_with(|| payload.to_vec());
    }
    for (key, s) in &mut streams {
        let mut next = 0u64;
        for (&off, seg) in &s.segments {
            let end = off + seg.len() as u64;
            if off > next {
                return Err(format!(
                    "{} -> {}: {} bytes missing at offset {next}",
                    key.0,
                    key.1,
                    off - next
                ));
            }
            if end > next {
                s.data.extend_from_slice(&seg[(next - off) as usize..]);
                next = end;
            }
        }
    }
    let mut out = Vec::new();
    for key in order.iter().filter(|k| k.1.port() == server_port) {
        let request = streams.remove(key).unwrap_or_default();
        let reply = streams.remove(&(key.1, key.0)).unwrap_or_default();
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
