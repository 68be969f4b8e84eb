//! Limits on lengths read from untrusted input.

/// ZooKeeper's default `jute.maxbuffer`: 0xfffff = 1,048,575 bytes.
///
/// The server rejects request frames longer than this and the Java client rejects reply frames
/// longer than this.
pub const JUTE_MAXBUFFER_DEFAULT: usize = 0xfffff;

/// The largest `buffer`/`ustring` length Java's `BinaryInputArchive` accepts by default
/// (`jute.maxbuffer` plus `zookeeper.jute.maxbuffer.extrasize`, which defaults to the same value).
///
/// Useful when reading transaction logs and snapshots, whose records are bounded by this value
/// rather than by the frame limit.
pub const JAVA_FIELD_LENGTH_LIMIT: usize = 2 * JUTE_MAXBUFFER_DEFAULT;

/// Limits applied while decoding.
///
/// Every length or element count read from the input is compared with `max_length` before
/// anything is allocated, and element counts are also checked against the bytes left, so a
/// hostile length prefix can never make the decoder reserve more memory than the input could fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest `buffer`/`ustring` length or `vector`/`map` count accepted.
    pub max_length: usize,
}

impl Limits {
    /// Limits with the given maximum length.
    pub const fn new(max_length: usize) -> Self {
        Limits { max_length }
    }
}

impl Default for Limits {
    /// `max_length` = [`JUTE_MAXBUFFER_DEFAULT`].
    fn default() -> Self {
        Limits::new(JUTE_MAXBUFFER_DEFAULT)
    }
}
