//! A cursor over a byte slice that decoders read from.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::limits::Limits;

/// A position in an input slice, with the [`Limits`] that apply to it.
///
/// Decoders borrow from the slice, so `&'de str`/`&'de [u8]` fields cost no copy.
#[derive(Debug, Clone)]
pub struct Reader<'de> {
    data: &'de [u8],
    pos: usize,
    limits: Limits,
}

impl<'de> Reader<'de> {
    /// A reader over `data` with the default limits.
    pub fn new(data: &'de [u8]) -> Self {
        Self::with_limits(data, Limits::default())
    }

    /// A reader over `data` with the given limits.
    pub fn with_limits(data: &'de [u8], limits: Limits) -> Self {
        Reader {
            data,
            pos: 0,
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Whether every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The bytes not yet consumed, without consuming them.
    pub fn rest(&self) -> &'de [u8] {
        &self.data[self.pos..]
    }

    /// An error of `kind` at the current position.
    pub fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(kind, self.pos)
    }

    /// Consumes exactly `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'de [u8], DecodeError> {
        let rest = &self.data[self.pos..];
        if rest.len() < n {
            return Err(self.error(DecodeErrorKind::Truncated {
                needed: n,
                remaining: rest.len(),
            }));
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    #[inline]
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads one byte.
    #[inline]
    pub fn read_u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take_array::<1>()?[0])
    }

    /// Reads a big-endian `int`.
    #[inline]
    pub fn read_i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.take_array()?))
    }

    /// Reads a big-endian `long`.
    #[inline]
    pub fn read_i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.take_array()?))
    }

    /// Reads the next `int` without consuming it.
    #[inline]
    pub fn peek_i32(&self) -> Result<i32, DecodeError> {
        let rest = self.rest();
        if rest.len() < 4 {
            return Err(self.error(DecodeErrorKind::Truncated {
                needed: 4,
                remaining: rest.len(),
            }));
        }
        Ok(i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]))
    }

    /// Reads a length or count prefix: `None` for null (-1), otherwise a value checked against
    /// the limit. Anything below -1 is an error.
    #[inline]
    pub fn read_len(&mut self) -> Result<Option<usize>, DecodeError> {
        let start = self.pos;
        let raw = self.read_i32()?;
        match raw {
            -1 => Ok(None),
            n if n < -1 => Err(DecodeError::new(DecodeErrorKind::NegativeLength(n), start)),
            n => {
                let len = n as usize;
                if len > self.limits.max_length {
                    return Err(DecodeError::new(
                        DecodeErrorKind::LengthOverLimit {
                            length: len,
                            limit: self.limits.max_length,
                        },
                        start,
                    ));
                }
                Ok(Some(len))
            }
        }
    }

    /// Reads a length prefix where null is not allowed.
    #[inline]
    pub fn read_non_null_len(&mut self) -> Result<usize, DecodeError> {
        let start = self.pos;
        self.read_len()?
            .ok_or_else(|| DecodeError::new(DecodeErrorKind::UnexpectedNull, start))
    }

    /// Fails with [`DecodeErrorKind::TrailingBytes`] unless every byte was consumed.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.error(DecodeErrorKind::TrailingBytes {
                count: self.remaining(),
            }))
        }
    }
}
