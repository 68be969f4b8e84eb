//! Arbitrary server bytes through the client's frame codec, fed in pieces of a size the first
//! byte picks: frames or an error, never a panic, the same frames whatever the split, and a
//! buffer that stays bounded by the frame limit (oversized replies are skipped, not held).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;
use zk_client::codec::{Frame, FrameCodec};

const MAX_FRAME: usize = 4096;

fn run(input: &[u8], piece: usize) -> (Vec<Frame>, bool) {
    let mut codec = FrameCodec::new(MAX_FRAME);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(_) => return (frames, true),
            }
        }
        // What is held is at most one frame under the limit plus the unread input and the
        // read-ahead room: never an oversized reply.
        assert!(buf.len() <= MAX_FRAME + 4 + piece.max(1), "{} buffered", buf.len());
    }
    (frames, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else { return };
    let whole = run(input, input.len());
    let pieces = run(input, usize::from(pick) + 1);
    assert_eq!(whole, pieces);
    for f in &whole.0 {
        if let Frame::Data(b) = f {
            assert!(b.len() <= MAX_FRAME);
        }
    }
});
