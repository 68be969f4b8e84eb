//! A cursor over a byte slice that decoders read from.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::limits::Limits;

/// A position in an input slice, with the [`Limits`] that apply to it.
///
/// Decoders borrow from the slice, so `&'de str`/`&'de [u8]` fields cost no copy.
#[derive(Debug, Clone)]
pub struct Reader<'de> {
    /// The bytes not yet consumed.
    rest: &'de [u8],
    /// The length of the whole input (position = `len - rest.len()`).
    len: usize,
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
            rest: data,
            len: data.len(),
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.len - self.rest.len()
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The bytes not yet consumed, without consuming them.
    pub fn rest(&self) -> &'de [u8] {
        self.rest
    }

    /// An error of `kind` at the current position.
    #[cold]
    #[inline(never)]
    pub fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(kind, self.position())
    }

    #[cold]
    #[inline(never)]
    fn truncated(&self, needed: usize) -> DecodeError {
        self.error(DecodeErrorKind::Truncated {
            needed,
            remaining: self.rest.len(),
        })
    }

    /// Consumes exactly `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'de [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(self.truncated(n));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    #[inline]
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        match self.rest.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.rest = tail;
                Ok(*head)
            }
            None => Err(self.truncated(N)),
        }
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
        match self.rest {
            [a, b, c, d, ..] => Ok(i32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(self.truncated(4)),
        }
    }

    /// Reads a length or count prefix: `None` for null (-1), otherwise a value checked against
    /// the limit. Anything below -1 is an error.
    #[inline]
    pub fn read_len(&mut self) -> Result<Option<usize>, DecodeError> {
        let raw = self.read_i32()?;
        if raw >= 0 && raw as usize <= self.limits.max_length {
            Ok(Some(raw as usize))
        } else if raw == -1 {
            Ok(None)
        } else {
            Err(self.bad_len(raw))
        }
    }

    #[cold]
    #[inline(never)]
    fn bad_len(&self, raw: i32) -> DecodeError {
        let start = self.position() - 4;
        let kind = if raw < 0 {
            DecodeErrorKind::NegativeLength(raw)
        } else {
            DecodeErrorKind::LengthOverLimit {
                length: raw as usize,
                limit: self.limits.max_length,
            }
        };
        DecodeError::new(kind, start)
    }

    /// Reads a length prefix where null is not allowed.
    #[inline]
    pub fn read_non_null_len(&mut self) -> Result<usize, DecodeError> {
        match self.read_len()? {
            Some(len) => Ok(len),
            None => Err(self.null_at_prefix()),
        }
    }

    #[cold]
    #[inline(never)]
    fn null_at_prefix(&self) -> DecodeError {
        DecodeError::new(DecodeErrorKind::UnexpectedNull, self.position() - 4)
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
