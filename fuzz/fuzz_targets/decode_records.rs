//! Decodes arbitrary bytes as every record of zookeeper.jute. The first byte picks the record;
//! decoding must return a value or an error, never panic, and a value must re-encode to the
//! same bytes (up to Java's CESU-8 strings, which re-encode as UTF-8 and must decode again to
//! the same value).
#![no_main]

use jute::Limits;
use jute_schemas::registry::RECORDS;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let info = &RECORDS[usize::from(pick) % RECORDS.len()];
    let limits = Limits::new(1 << 16);
    if let Ok(value) = info.decode_value(bytes, limits) {
        let again = info.encode_value(&value).expect("a decoded value converts back");
        if again != bytes {
            let reread = info.decode_value(&again, limits).expect("re-encoded bytes decode");
            assert_eq!(reread, value, "{}", info.qualified_name());
        }
    }
});
