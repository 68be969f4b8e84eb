//! The embedded server's core fed as hostile clients would: up to four connections, each
//! frame's owner, length and bytes taken from the input (a valid handshake first when the
//! input asks, so the requests after it reach the request handling), with the clock moving
//! and sessions expiring, nodes reaped and four-letter words answered in between, on a server
//! that logs its transactions or not, read-only or not. Never a panic; a frame the core makes
//! always carries its own length.
#![no_main]

use jute::Encode;
use jute_schemas::proto::ConnectRequest;
use libfuzzer_sys::fuzz_target;
use zk_server::core::{Config, Core, Out};
use zk_server::ondisk::txnlog;
use zk_server::words::{self, Counters};

const WORDS: [&str; 8] = ["srvr", "stat", "cons", "wchs", "wchc", "wchp", "dump", "mntr"];

fuzz_target!(|data: &[u8]| {
    let config = Config {
        tick_ms: 10,
        extended_types: data.first().is_some_and(|b| b & 1 == 1),
        log_transactions: data.first().is_some_and(|b| b & 2 == 2),
        read_only: data.first().is_some_and(|b| b & 4 == 4),
        max_request: 64 * 1024,
        container_check_ms: 10,
        ..Config::default()
    };
    let mut core = Core::new(config, 0, 0);
    let mut now = 0u64;
    for conn in 0..4 {
        core.connected(conn, None);
    }
    let mut rest = data.get(1..).unwrap_or_default();
    while rest.len() >= 3 {
        let (conn, op) = (u64::from(rest[0] & 3), rest[0] >> 2);
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let body = &rest[3..3 + len];
        rest = &rest[3 + len..];
        now += u64::from(op & 7);
        let outs = if op & 0x20 != 0 {
            // A well-formed handshake, resuming the session the bytes name (or a new one).
            let mut hello = Vec::new();
            ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: 0,
                time_out: 100,
                session_id: 0,
                passwd: Some(vec![0; 16]),
                // A read-only server takes only clients that allow one.
                read_only: Some(data.first().is_some_and(|b| b & 4 == 4)),
            }
            .encode(&mut hello);
            core.connected(conn, None);
            core.frame(conn, &hello, now)
        } else if op & 0x10 != 0 {
            // The clock's work: expiries, reaping, and a four-letter word's report.
            let word = WORDS[usize::from(op & 7) % WORDS.len()];
            let _ = words::answer(word, &["*".into()], &core, &[], Counters::default(), now);
            let mut outs = core.tick(now);
            outs.extend(core.reap(now));
            outs
        } else {
            core.frame(conn, body, now)
        };
        for out in outs {
            match out {
                Out::Frame(_, frame) => {
                    let len = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
                    assert_eq!(len as usize, frame.len() - 4);
                }
                Out::Close(c) => core.disconnected(c),
                // A logged transaction reads back, in ZooKeeper's log format, as it was.
                Out::Log(entry) => {
                    let mut file = txnlog::file_header();
                    file.extend(txnlog::encode_entry(
                        &entry.header,
                        &entry.body,
                        entry.digest.as_ref(),
                    ));
                    let log = txnlog::read(&file).expect("a logged transaction reads back");
                    assert_eq!(log.entries.len(), 1);
                    assert_eq!(log.entries[0].header, entry.header);
                    assert_eq!(log.entries[0].body, entry.body);
                }
            }
        }
    }
});
