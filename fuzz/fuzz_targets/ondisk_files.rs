//! Arbitrary bytes as ZooKeeper's files: a transaction log, a snapshot, or one transaction
//! record of the type the first bytes name. What was read or an error naming an offset inside
//! the input, never a panic, a stack overflow or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zk_cli::ondisk::{snapshot, txn, txnlog};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    match pick % 3 {
        0 => match txnlog::read(rest) {
            Ok(log) => assert!(log.end as usize <= rest.len()),
            Err(partial) => assert!(partial.error.offset as usize <= rest.len()),
        },
        1 => {
            if let Err(e) = snapshot::read(rest) {
                assert!(e.offset as usize <= rest.len(), "{e}");
            }
        }
        _ => {
            let Some((ty, bytes)) = rest.split_first_chunk::<4>() else { return };
            if let Ok((_, used)) = txn::decode(i32::from_be_bytes(*ty), bytes) {
                assert!(used <= bytes.len());
            }
        }
    }
});
