//! Errors of decoding, encoding and value conversion.

use std::fmt;

/// What went wrong while decoding, without the location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before the value did.
    #[error("truncated input: needed {needed} more bytes, {remaining} left")]
    Truncated {
        /// Bytes the value needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A length or count below -1 (or -1 where null is not allowed by the encoding).
    #[error("negative length {0}")]
    NegativeLength(i32),
    /// A length or count larger than the configured maximum.
    #[error("length {length} is over the limit of {limit}")]
    LengthOverLimit {
        /// The length read from the input.
        length: usize,
        /// The configured maximum ([`crate::Limits::max_length`]).
        limit: usize,
    },
    /// A null (length -1) where the Rust type has no null form.
    #[error("unexpected null (length -1) for a non-optional value")]
    UnexpectedNull,
    /// A `ustring` that is neither UTF-8 nor the CESU-8 form Java writes.
    #[error("invalid string: {reason}")]
    InvalidString {
        /// Why the bytes are not a string.
        reason: String,
    },
    /// An `int` that names no variant of an enum.
    #[error("unknown value {value} for {name}")]
    UnknownEnumValue {
        /// The enum's name.
        name: &'static str,
        /// The value read.
        value: i32,
    },
    /// Bytes left over after a value that should have filled the whole input.
    #[error("{count} trailing bytes after the end of the record")]
    TrailingBytes {
        /// How many bytes were left.
        count: usize,
    },
    /// A map whose key appears twice.
    #[error("duplicate map key")]
    DuplicateMapKey,
    /// A value the type itself rejects (for hand-written decoders).
    #[error("invalid value: {0}")]
    Invalid(String),
}

/// One step of the path to the place where decoding failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeContext {
    /// The record's Jute name (without module).
    pub record: &'static str,
    /// The field being decoded, if any.
    pub field: Option<&'static str>,
}

/// A decoding failure: what went wrong, at which byte offset, and in which record and field.
///
/// The `Display` form reads like
/// `truncated input: needed 8 more bytes, 4 left at byte 80 (in GetDataResponse.stat > Stat.pzxid)`.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError(Box<Inner>);

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: DecodeErrorKind,
    offset: usize,
    context: Vec<DecodeContext>,
}

impl DecodeError {
    /// An error of `kind` at byte `offset` of the input.
    #[cold]
    pub fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        DecodeError(Box::new(Inner {
            kind,
            offset,
            context: Vec::new(),
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// Byte offset in the input where the failing value started or ran out.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// The record/field path, outermost first.
    pub fn context(&self) -> impl Iterator<Item = &DecodeContext> {
        self.0.context.iter().rev()
    }

    /// The path as text, outermost first: `GetDataResponse.stat > Stat.pzxid`.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for (i, c) in self.context().enumerate() {
            if i > 0 {
                out.push_str(" > ");
            }
            out.push_str(c.record);
            if let Some(f) = c.field {
                out.push('.');
                out.push_str(f);
            }
        }
        out
    }

    /// Adds an outer step to the path (generated decoders call this on the way out).
    #[must_use]
    #[cold]
    #[inline(never)]
    pub fn within(mut self, record: &'static str, field: Option<&'static str>) -> Self {
        self.0.context.push(DecodeContext { record, field });
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.0.kind, self.0.offset)?;
        if !self.0.context.is_empty() {
            write!(f, " (in {})", self.path())?;
        }
        Ok(())
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for DecodeError {}

/// An encoding failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The encoded value would be longer than allowed.
    #[error("encoded length {length} is over the limit of {limit}")]
    TooLarge {
        /// The exact encoded length.
        length: usize,
        /// The limit it was checked against.
        limit: usize,
    },
}

/// A failure converting a dynamic [`crate::Value`] (or JSON) into a typed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    message: String,
    path: Vec<String>,
}

impl ValueError {
    /// An error with `message` at the current position.
    pub fn new(message: impl Into<String>) -> Self {
        ValueError {
            message: message.into(),
            path: Vec::new(),
        }
    }

    /// "expected X, found Y".
    pub fn mismatch(expected: impl fmt::Display, found: impl fmt::Display) -> Self {
        Self::new(format!("expected {expected}, found {found}"))
    }

    /// Adds an outer path segment (a field name or `[index]`).
    #[must_use]
    pub fn at(mut self, segment: impl Into<String>) -> Self {
        self.path.push(segment.into());
        self
    }

    /// The message without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The path, outermost first, e.g. `acl[0].id.scheme`.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for seg in self.path.iter().rev() {
            if !out.is_empty() && !seg.starts_with('[') {
                out.push('.');
            }
            out.push_str(seg);
        }
        out
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at {}: {}", self.path(), self.message)
        }
    }
}

impl std::error::Error for ValueError {}
