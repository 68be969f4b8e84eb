//! Arbitrary bytes as ZooKeeper's files: a transaction log, a snapshot, or one transaction
//! record of the type the first bytes name. What was read or an error naming an offset inside
//! the input, never a panic, a stack overflow or unbounded memory. What reads is then recovered
//! from as the embedded server recovers (`zk_server::restore`): a snapshot's tree, a log's
//! transactions applied over an empty one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zk_cli::ondisk::{snapshot, txn, txnlog};
use zk_server::restore::Restored;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    match pick % 3 {
        0 => {
            let log = match txnlog::read(rest) {
                Ok(log) => {
                    assert!(log.end as usize <= rest.len());
                    log
                }
                Err(partial) => {
                    assert!(partial.error.offset as usize <= rest.len());
                    partial.log
                }
            };
            let mut state = Restored {
                tree: zk_server::tree::DataTree::new(true),
                sessions: Default::default(),
                zxid: 0,
                applied: 0,
            };
            for e in &log.entries {
                state.apply(&e.header, &e.body);
            }
        }
        1 => match snapshot::read(rest) {
            Ok(snap) => {
                if let Err(e) = Restored::from_snapshot(&snap, 0, true) {
                    assert!(e.offset as usize <= rest.len(), "{e}");
                }
            }
            Err(e) => assert!(e.offset as usize <= rest.len(), "{e}"),
        },
        _ => {
            let Some((ty, bytes)) = rest.split_first_chunk::<4>() else { return };
            if let Ok((_, used)) = txn::decode(i32::from_be_bytes(*ty), bytes) {
                assert!(used <= bytes.len());
            }
        }
    }
});
