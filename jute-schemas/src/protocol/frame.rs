//! ZooKeeper's framing on the client port: each message is a 4-byte big-endian length, then
//! that many bytes. Written once here and used by everything that reads or writes the client
//! port's bytes: the client's codec and session, the test kit's proxy and fake server, the
//! traffic decoder, capture parsing and the benchmarks.
//!
//! ```
//! use jute_schemas::protocol::frame;
//!
//! let mut wire = Vec::new();
//! frame::put(&mut wire, b"abc").unwrap();
//! frame::put(&mut wire, b"").unwrap();
//! assert_eq!(wire, [0, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 0]);
//! let bodies: Vec<&[u8]> = frame::split(&wire, 0).map(|f| f.map(|f| f.body)).collect::<Result<_, _>>()?;
//! assert_eq!(bodies, [&b"abc"[..], &b""[..]]);
//! # Ok::<(), frame::FrameError>(())
//! ```

use jute::bytes::BufMut;
use jute::Encode;

/// The length prefix's size.
pub const PREFIX: usize = 4;

/// The longest frame a length prefix can state (Java reads it as an `int`).
pub const MAX_LEN: usize = i32::MAX as usize;

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The length prefix at byte `at` is negative.
    Negative {
        /// Offset of the prefix.
        at: usize,
        /// The length it states.
        len: i32,
    },
    /// The frame at byte `at` is longer than the limit.
    TooLong {
        /// Offset of the prefix.
        at: usize,
        /// The length it states.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Fewer than 4 bytes are left at `at` for a length prefix.
    ShortPrefix {
        /// Offset of the bytes left.
        at: usize,
        /// How many there are.
        left: usize,
    },
    /// The frame at `at` is cut off: `left` of its `len` bytes are there.
    CutOff {
        /// Offset of the prefix.
        at: usize,
        /// The length it states.
        len: usize,
        /// The bytes of it present.
        left: usize,
    },
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Negative { at, len } => {
                write!(f, "negative frame length {len} at byte {at}")
            }
            FrameError::TooLong { at, len, limit } => {
                write!(
                    f,
                    "a frame of {len} bytes at byte {at}, over the limit of {limit}"
                )
            }
            FrameError::ShortPrefix { at, left } => {
                write!(f, "{left} bytes at byte {at}, too few for a frame's length")
            }
            FrameError::CutOff { at, len, left } => write!(
                f,
                "a frame of {len} bytes at byte {at} is cut off after {left}"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// The length a prefix states, checked: not negative, not over `limit`.
pub fn length(prefix: [u8; PREFIX], limit: usize) -> Result<usize, FrameError> {
    let raw = i32::from_be_bytes(prefix);
    let len = usize::try_from(raw).map_err(|_| FrameError::Negative { at: 0, len: raw })?;
    if len > limit {
        return Err(FrameError::TooLong { at: 0, len, limit });
    }
    Ok(len)
}

/// The prefix for a frame of `len` bytes; an error over [`MAX_LEN`].
pub fn prefix(len: usize) -> Result<[u8; PREFIX], FrameError> {
    match i32::try_from(len) {
        Ok(n) => Ok(n.to_be_bytes()),
        Err(_) => Err(FrameError::TooLong {
            at: 0,
            len,
            limit: MAX_LEN,
        }),
    }
}

/// Appends `body` behind its length prefix.
pub fn put<B: BufMut + ?Sized>(out: &mut B, body: &[u8]) -> Result<(), FrameError> {
    out.put_slice(&prefix(body.len())?);
    out.put_slice(body);
    Ok(())
}

/// `body` behind its length prefix, as a new vector.
pub fn to_vec(body: &[u8]) -> Result<Vec<u8>, FrameError> {
    let mut out = Vec::with_capacity(PREFIX + body.len());
    put(&mut out, body)?;
    Ok(out)
}

/// Appends a frame made of `header` then `body`, encoded in place behind the prefix (no copy).
/// Returns the frame's length without the prefix. Nothing is written when it would be over
/// `limit`.
pub fn put_records<B: BufMut + ?Sized>(
    out: &mut B,
    header: &impl Encode,
    body: &impl Encode,
    limit: usize,
) -> Result<usize, FrameError> {
    let len = header.encoded_len() + body.encoded_len();
    if len > limit.min(MAX_LEN) {
        return Err(FrameError::TooLong {
            at: 0,
            len,
            limit: limit.min(MAX_LEN),
        });
    }
    out.put_slice(&prefix(len)?);
    header.encode(out);
    body.encode(out);
    Ok(len)
}

/// One frame of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The bytes after the prefix.
    pub body: &'a [u8],
    /// Offset of the prefix in the buffer.
    pub start: usize,
    /// Offset just past the frame.
    pub end: usize,
}

/// The frames of `data` from offset `from`, in order. After an error (a negative length, a
/// short prefix or a cut-off frame) the iteration ends.
pub fn split(data: &[u8], from: usize) -> Split<'_> {
    Split {
        data,
        pos: from,
        limit: MAX_LEN,
        done: false,
    }
}

/// The iterator of [`split`].
#[derive(Debug, Clone)]
pub struct Split<'a> {
    data: &'a [u8],
    pos: usize,
    limit: usize,
    done: bool,
}

impl Split<'_> {
    /// Frames over `limit` bytes end the iteration with [`FrameError::TooLong`].
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Where the next frame starts (the end of the last one returned).
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = Result<Frame<'a>, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let at = self.pos;
        let rest = &self.data[at..];
        let result = match rest.first_chunk::<PREFIX>() {
            None => Err(FrameError::ShortPrefix {
                at,
                left: rest.len(),
            }),
            Some(p) => match length(*p, self.limit) {
                Err(FrameError::Negative { len, .. }) => Err(FrameError::Negative { at, len }),
                Err(FrameError::TooLong { len, limit, .. }) => {
                    Err(FrameError::TooLong { at, len, limit })
                }
                Err(other) => Err(other),
                Ok(len) => match rest[PREFIX..].get(..len) {
                    None => Err(FrameError::CutOff {
                        at,
                        len,
                        left: rest.len() - PREFIX,
                    }),
                    Some(body) => {
                        self.pos = at + PREFIX + len;
                        Ok(Frame {
                            body,
                            start: at,
                            end: self.pos,
                        })
                    }
                },
            },
        };
        if result.is_err() {
            self.done = true;
        }
        Some(result)
    }
}

/// Follows frame boundaries in bytes seen piece by piece (a proxy forwarding bytes as they
/// come): each call takes bytes up to the end of the current prefix or body.
#[derive(Debug, Clone, Default)]
pub struct Boundaries {
    prefix: [u8; PREFIX],
    have: usize,
    /// Body bytes left of the current frame (once the prefix is whole).
    left: usize,
}

/// What a [`Boundaries::step`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Bytes of a prefix or a body; the frame goes on.
    Within,
    /// A prefix is complete: a body of this many bytes follows (none: the frame ended too).
    Started(usize),
    /// A body ended.
    Ended,
}

impl Boundaries {
    /// Whether the next bytes are a body's (the prefix is whole), not a prefix's.
    pub fn in_body(&self) -> bool {
        self.have == PREFIX
    }

    /// Takes bytes of `data` up to the end of the current part. Returns how many, and what they
    /// completed. A negative length is taken as 0 (the stream is not ZooKeeper's; a proxy goes
    /// on forwarding).
    pub fn step(&mut self, data: &[u8]) -> (usize, Step) {
        if self.have < PREFIX {
            let n = (PREFIX - self.have).min(data.len());
            self.prefix[self.have..self.have + n].copy_from_slice(&data[..n]);
            self.have += n;
            if self.have < PREFIX {
                return (n, Step::Within);
            }
            self.left = length(self.prefix, MAX_LEN).unwrap_or(0);
            if self.left == 0 {
                self.have = 0;
            }
            return (n, Step::Started(self.left));
        }
        let n = self.left.min(data.len());
        self.left -= n;
        if self.left == 0 {
            self.have = 0;
            return (n, Step::Ended);
        }
        (n, Step::Within)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_and_split_agree_at_every_length_boundary() {
        let mut wire = Vec::new();
        for body in [&b""[..], b"a", &[7u8; 300]] {
            put(&mut wire, body).unwrap();
        }
        let frames: Vec<Frame<'_>> = split(&wire, 0).map(Result::unwrap).collect();
        assert_eq!(frames.len(), 3);
        assert_eq!(
            (frames[1].body, frames[1].start, frames[1].end),
            (&b"a"[..], 4, 9)
        );
        assert_eq!(frames[2].end, wire.len());
    }

    #[test]
    fn split_names_what_is_wrong_and_where() {
        let mut wire = to_vec(b"ok").unwrap();
        wire.extend_from_slice(&[0xff, 0xff, 0xff, 0xfe]);
        let got: Vec<_> = split(&wire, 0).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], Err(FrameError::Negative { at: 6, len: -2 }));
        assert_eq!(
            split(&[0, 0, 0, 9, 1, 2], 0).next(),
            Some(Err(FrameError::CutOff {
                at: 0,
                len: 9,
                left: 2
            }))
        );
        assert_eq!(
            split(&[1, 2, 3, 0, 0, 0, 0, 0, 1], 3).nth(1),
            Some(Err(FrameError::ShortPrefix { at: 7, left: 2 }))
        );
        assert_eq!(
            split(&[0, 0, 1, 0], 0).with_limit(255).next(),
            Some(Err(FrameError::TooLong {
                at: 0,
                len: 256,
                limit: 255
            }))
        );
        let e = FrameError::CutOff {
            at: 0,
            len: 9,
            left: 2,
        };
        assert_eq!(
            e.to_string(),
            "a frame of 9 bytes at byte 0 is cut off after 2"
        );
    }

    #[test]
    fn lengths_over_an_int_are_refused_not_wrapped() {
        assert!(matches!(
            prefix(MAX_LEN + 1),
            Err(FrameError::TooLong { .. })
        ));
        assert_eq!(prefix(MAX_LEN), Ok([0x7f, 0xff, 0xff, 0xff]));
        assert_eq!(
            length([0x80, 0, 0, 0], MAX_LEN),
            Err(FrameError::Negative {
                at: 0,
                len: i32::MIN
            })
        );
    }

    #[test]
    fn records_are_framed_in_place_within_the_limit() {
        use crate::proto::{RequestHeader, SyncRequest};
        let header = RequestHeader { xid: 3, r#type: 9 };
        let body = SyncRequest {
            path: Some("/a".into()),
        };
        let mut out = Vec::new();
        let len = put_records(&mut out, &header, &body, 1 << 20).unwrap();
        assert_eq!(len, 14);
        assert_eq!(split(&out, 0).next().unwrap().unwrap().body.len(), 14);
        let mut none = Vec::new();
        assert!(put_records(&mut none, &header, &body, 13).is_err());
        assert!(none.is_empty(), "nothing written over the limit");
    }

    #[test]
    fn boundaries_follow_frames_fed_a_byte_at_a_time() {
        let mut wire = to_vec(b"xyz").unwrap();
        wire.extend(to_vec(b"").unwrap());
        wire.extend(to_vec(b"q").unwrap());
        let mut b = Boundaries::default();
        let mut steps = Vec::new();
        for byte in &wire {
            let (n, step) = b.step(std::slice::from_ref(byte));
            assert_eq!(n, 1);
            if step != Step::Within {
                steps.push(step);
            }
        }
        assert_eq!(
            steps,
            [
                Step::Started(3),
                Step::Ended,
                Step::Started(0),
                Step::Started(1),
                Step::Ended
            ]
        );
        // Whole parts in one go.
        let mut b = Boundaries::default();
        assert_eq!(b.step(&wire), (4, Step::Started(3)));
        assert_eq!(b.step(&wire[4..]), (3, Step::Ended));
    }
}
