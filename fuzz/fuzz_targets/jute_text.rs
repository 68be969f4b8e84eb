//! Text inputs of the codec: `.jute` files (`jute::idl::parse`, and jute-build's code
//! generation from what parses), JSON for every record
//! (`jute::json::record_from_json`) and hex (`jute::json::hex_decode`). An error or a value,
//! never a panic or unbounded recursion; a record built from JSON encodes and decodes back.
#![no_main]

use jute::Limits;
use jute_schemas::registry::RECORDS;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    match pick % 3 {
        0 => {
            if jute::idl::parse(text).is_ok() {
                let _ = jute_build::Config::new().generate(&[("fuzz.jute", text)]);
            }
        }
        1 => {
            // Whitespace between digits is allowed (hex dumps wrap); the digits must come back.
            if let Ok(bytes) = jute::json::hex_decode(text) {
                let digits: String = text
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                assert_eq!(jute::json::hex_encode(&bytes), digits);
            }
        }
        _ => {
            let info = &RECORDS[usize::from(pick / 3) % RECORDS.len()];
            let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else { return };
            if let Ok(value) = jute::json::record_from_json(&info.schema, &json) {
                if let Ok(bytes) = info.encode_value(&value) {
                    let back = info.decode_value(&bytes, Limits::new(1 << 24));
                    assert!(back.is_ok(), "{}: {back:?}", info.qualified_name());
                }
            }
        }
    }
});
