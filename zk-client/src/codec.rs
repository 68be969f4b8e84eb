//! Length-prefixed frames over the TCP stream ([`jute_schemas::protocol::frame`]), as a
//! `tokio_util::codec` pair.
//!
//! The decoder checks each length against the limit before buffering anything. A reply longer
//! than the limit is not an error of the connection: it comes out as [`Frame::Oversized`] with
//! its xid (so only the request it answers fails) and its bytes are skipped as they arrive.
//! Only a length that cannot be a reply at all (negative, shorter than a reply header, or over
//! [`ABSURD_FRAME`]) ends the connection.

use bytes::{Buf, BytesMut};
use jute_schemas::protocol::frame;
use tokio_util::codec::{Decoder, Encoder};

/// Lengths above this (1 GiB) are treated as a broken stream rather than a big reply.
pub const ABSURD_FRAME: usize = 1 << 30;

/// The smallest reply: a `ReplyHeader` (16 bytes).
pub const MIN_REPLY: usize = 16;

/// One frame read from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// The bytes after the length prefix.
    Data(BytesMut),
    /// A reply over the limit, skipped; `xid` says which request it answered.
    Oversized {
        /// The xid of the reply (its first 4 bytes).
        xid: i32,
        /// The reply's length.
        len: usize,
    },
}

/// A frame length that cannot be a reply: the connection is unusable.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Negative, too short or absurdly large length.
    #[error("invalid frame length {0}")]
    BadLength(i64),
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Copy)]
enum State {
    Head,
    Data(usize),
    Skip(usize),
}

/// The frame codec.
#[derive(Debug)]
pub struct FrameCodec {
    max_frame: usize,
    state: State,
}

impl FrameCodec {
    /// A codec accepting replies of up to `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        FrameCodec {
            max_frame,
            state: State::Head,
        }
    }
}

/// A frame at least this long means traffic: read ahead.
const BUSY_FRAME: usize = 256;
/// Read-ahead room when busy.
const READ_AHEAD: usize = 16 * 1024;
/// Below this much spare room, a busy connection gets [`READ_AHEAD`] more.
const MIN_SPARE: usize = 2 * 1024;

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        loop {
            match self.state {
                State::Head => {
                    let Some(head) = src.first_chunk::<4>() else {
                        return Ok(None);
                    };
                    let raw = i32::from_be_bytes(*head);
                    let len = frame::length(*head, ABSURD_FRAME)
                        .map_err(|_| CodecError::BadLength(raw.into()))?;
                    if len < MIN_REPLY {
                        return Err(CodecError::BadLength(raw.into()));
                    }
                    if len > self.max_frame {
                        let Some(xid) = src.get(4..8) else {
                            return Ok(None);
                        };
                        let xid = i32::from_be_bytes([xid[0], xid[1], xid[2], xid[3]]);
                        src.advance(4);
                        self.state = State::Skip(len);
                        return Ok(Some(Frame::Oversized { xid, len }));
                    }
                    src.advance(4);
                    src.reserve(len.saturating_sub(src.len()));
                    self.state = State::Data(len);
                }
                State::Data(len) => {
                    if src.len() < len {
                        return Ok(None);
                    }
                    self.state = State::Head;
                    let frame = src.split_to(len);
                    // Busy connection (a large frame, or more bytes already behind this one):
                    // make room to read many frames per read. An idle session (pings) keeps
                    // its small buffer.
                    if (len >= BUSY_FRAME || !src.is_empty())
                        && src.capacity() - src.len() < MIN_SPARE
                    {
                        src.reserve(READ_AHEAD);
                    }
                    return Ok(Some(Frame::Data(frame)));
                }
                State::Skip(remaining) => {
                    let n = remaining.min(src.len());
                    src.advance(n);
                    if n < remaining {
                        self.state = State::Skip(remaining - n);
                        return Ok(None);
                    }
                    self.state = State::Head;
                }
            }
        }
    }
}

/// Writes `body` with its length prefix; a body longer than a prefix can state is refused.
impl Encoder<&[u8]> for FrameCodec {
    type Error = CodecError;

    fn encode(&mut self, body: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.reserve(frame::PREFIX + body.len());
        frame::put(dst, body)
            .map_err(|_| CodecError::BadLength(i64::try_from(body.len()).unwrap_or(i64::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    /// Feeds `input` split at `cut` and collects every frame.
    fn feed(codec: &mut FrameCodec, parts: &[&[u8]]) -> Result<Vec<Frame>, CodecError> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for p in parts {
            buf.extend_from_slice(p);
            while let Some(f) = codec.decode(&mut buf)? {
                out.push(f);
            }
        }
        Ok(out)
    }

    #[test]
    fn frames_split_at_every_byte_boundary() {
        let a: Vec<u8> = (0..20u8).collect();
        let b: Vec<u8> = (100..140u8).collect();
        let mut stream = frame(&a);
        stream.extend(frame(&b));
        for cut in 0..=stream.len() {
            for cut2 in cut..=stream.len() {
                let mut c = FrameCodec::new(1000);
                let frames = feed(
                    &mut c,
                    &[&stream[..cut], &stream[cut..cut2], &stream[cut2..]],
                )
                .unwrap();
                assert_eq!(
                    frames,
                    [
                        Frame::Data(a.as_slice().into()),
                        Frame::Data(b.as_slice().into())
                    ],
                    "cuts {cut} {cut2}"
                );
            }
        }
    }

    #[test]
    fn oversized_replies_are_skipped_and_reported_with_their_xid() {
        let mut big = vec![0, 0, 0, 7];
        big.extend(vec![0xab; 60]);
        let small: Vec<u8> = vec![0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut stream = frame(&big);
        stream.extend(frame(&small));
        for cut in 0..=stream.len() {
            let mut c = FrameCodec::new(32);
            let frames = feed(&mut c, &[&stream[..cut], &stream[cut..]]).unwrap();
            assert_eq!(
                frames,
                [
                    Frame::Oversized { xid: 7, len: 64 },
                    Frame::Data(small.as_slice().into())
                ],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn impossible_lengths_end_the_connection() {
        for head in [
            [0xff, 0xff, 0xff, 0xff],
            [0, 0, 0, 3],
            [0x7f, 0xff, 0xff, 0xff],
        ] {
            let mut c = FrameCodec::new(1000);
            assert!(
                matches!(feed(&mut c, &[&head]), Err(CodecError::BadLength(_))),
                "{head:?}"
            );
        }
    }

    #[test]
    fn encoder_prefixes_the_length() {
        let mut c = FrameCodec::new(10);
        let mut dst = BytesMut::new();
        c.encode(&[1u8, 2, 3][..], &mut dst).unwrap();
        assert_eq!(&dst[..], [0, 0, 0, 3, 1, 2, 3]);
    }
}
