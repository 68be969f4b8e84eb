//! Arbitrary bytes as one direction of a quorum-port connection (`zk dump` on an ensemble):
//! the QuorumAuth prelude, QuorumPackets, a SNAP's raw snapshot, each packet's data decoded
//! by type (transactions, LearnerInfo, session tables, ...), and the search for the first
//! whole packet of a stream joined mid-way. Items or a reason to stop, never a panic, and
//! every item within the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zk_cli::quorum::{packet, stream};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else { return };
    let from_leader = flags & 1 == 1;
    let start = if flags & 2 == 2 {
        stream::resync(bytes, 0, 1 << 16).unwrap_or(bytes.len())
    } else {
        0
    };
    let (items, _stop) = stream::parse(bytes, start);
    let mut at = start;
    for p in &items {
        assert!(p.start == at && p.end > p.start && p.end <= bytes.len());
        at = p.end;
        if let stream::Item::Packet(q) = &p.item {
            let _ = packet::describe(q, from_leader);
        }
    }
});
