//! Decodes arbitrary bytes as request and reply frames of the client protocol (every op code,
//! multi included): an error, or a value whose re-encoding decodes to the same value; never a
//! panic. (Bytes can differ only where Java's CESU-8 strings are rewritten as UTF-8.)
#![no_main]

use jute::{Encode, Limits};
use jute_schemas::protocol::{decode_request, decode_response, OpCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else { return };
    let limits = Limits::new(1 << 16);
    if pick & 1 == 0 {
        if let Ok(req) = decode_request(frame, limits) {
            let mut out = Vec::new();
            req.encode(&mut out);
            assert_eq!(out.len(), req.encoded_len());
            assert_eq!(decode_request(&out, limits).expect("re-encoded request decodes"), req);
        }
    } else {
        let op = OpCode::try_from(i32::from(pick >> 1)).ok();
        if let Ok(resp) = decode_response(frame, op, limits) {
            let mut out = Vec::new();
            resp.encode(&mut out);
            assert_eq!(out.len(), resp.encoded_len());
            assert_eq!(decode_response(&out, op, limits).expect("re-encoded reply decodes"), resp);
        }
    }
});
