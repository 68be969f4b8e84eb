//! The traits generated code implements, and the entry points built on them.

use bytes::BufMut;

use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::reader::Reader;
use crate::schema::{JuteType, RecordSchema};

/// Writes a value in the Jute binary format.
///
/// `encoded_len` is exact, so a frame can be sized (and checked against a limit) before anything
/// is written. Encoding assumes every length fits in an `i32`; [`Record::encode_checked`] and
/// [`Record::to_vec_checked`] verify the total first.
pub trait Encode {
    /// Appends the encoding of `self` to `buf`.
    fn encode<B: BufMut + ?Sized>(&self, buf: &mut B);

    /// The exact number of bytes [`Encode::encode`] writes.
    fn encoded_len(&self) -> usize;
}

/// Reads a value in the Jute binary format, possibly borrowing from the input.
pub trait Decode<'de>: Sized {
    /// The fewest bytes any encoding of this type takes; element counts are checked against it
    /// before a vector is allocated.
    const MIN_LEN: usize;

    /// Reads one value from `reader`.
    fn decode(reader: &mut Reader<'de>) -> Result<Self, DecodeError>;
}

/// The Jute type a Rust type stands for (schema metadata).
pub trait Typed {
    /// The Jute type.
    const TYPE: JuteType;
}

/// A Jute record (a `class` of a `.jute` file), usually implemented by `#[derive(Jute)]`.
pub trait Record: Encode + Typed {
    /// The record's module, name and fields.
    const SCHEMA: RecordSchema;

    /// The encoding of `self` in a new vector.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// Like [`Record::to_vec`], failing instead when the encoding is longer than `limit`
    /// (capped at `i32::MAX`, the largest length Jute can express).
    fn to_vec_checked(&self, limit: usize) -> Result<Vec<u8>, EncodeError> {
        let length = self.checked_len(limit)?;
        let mut out = Vec::with_capacity(length);
        self.encode(&mut out);
        Ok(out)
    }

    /// Appends the encoding to `buf` after checking its length against `limit`; returns the
    /// number of bytes written.
    fn encode_checked<B: BufMut + ?Sized>(
        &self,
        buf: &mut B,
        limit: usize,
    ) -> Result<usize, EncodeError> {
        let length = self.checked_len(limit)?;
        self.encode(buf);
        Ok(length)
    }

    /// The encoded length, or an error when it is over `limit` (or over `i32::MAX`).
    fn checked_len(&self, limit: usize) -> Result<usize, EncodeError> {
        let limit = limit.min(i32::MAX as usize);
        let length = self.encoded_len();
        if length > limit {
            Err(EncodeError::TooLarge { length, limit })
        } else {
            Ok(length)
        }
    }
}

/// Decodes a value that must fill `bytes` exactly, with the default [`Limits`].
///
/// ```
/// use jute::{Jute, Record};
///
/// #[derive(Jute, Debug, PartialEq)]
/// #[jute(module = "example")]
/// struct Pair {
///     left: i32,
///     right: Option<String>,
/// }
///
/// let bytes = Pair { left: 7, right: Some("x".into()) }.to_vec();
/// assert_eq!(bytes, [0, 0, 0, 7, 0, 0, 0, 1, b'x']);
/// let back: Pair = jute::from_slice(&bytes)?;
/// assert_eq!(back.left, 7);
/// # Ok::<(), jute::DecodeError>(())
/// ```
pub fn from_slice<'de, T: Decode<'de> + Typed>(bytes: &'de [u8]) -> Result<T, DecodeError> {
    from_slice_with(bytes, Limits::default())
}

/// Decodes a value that must fill `bytes` exactly, with the given limits.
pub fn from_slice_with<'de, T: Decode<'de> + Typed>(
    bytes: &'de [u8],
    limits: Limits,
) -> Result<T, DecodeError> {
    let mut reader = Reader::with_limits(bytes, limits);
    let value = T::decode(&mut reader)?;
    reader.finish().map_err(|e| match T::TYPE {
        JuteType::Record(schema) => e.within(schema.name, None),
        _ => e,
    })?;
    Ok(value)
}
