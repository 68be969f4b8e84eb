//! Arbitrary bytes as a capture file (pcap or pcapng) through `zk dump`'s reader and decoders
//! (client port and quorum port):
//! connections and events or an error, never a panic, a stack overflow or quadratic time.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(capture) = zk_cli::capture::connections_in(data, "fuzz", 2181) {
        let dump = zk_cli::dump::dump(&capture.connections);
        for e in &dump.events {
            assert!(e.size <= data.len());
        }
        // The same connections as an ensemble's quorum port.
        let quorum = zk_cli::quorum::dump(&capture.connections);
        for e in &quorum.events {
            assert!(e.size <= data.len());
        }
    }
    // The same bytes as one TCP stream, split into frames.
    let _ = zk_cli::capture::frames(data);
});
