//! What a node's `ephemeralOwner` says (ZooKeeper's `EphemeralType`): 0 for a persistent
//! node, a session id for an ephemeral one, `i64::MIN` for a container, and, with extended
//! types enabled, `0xff` in the top byte and the time to live in the low 40 bits for a TTL node.

/// The top byte marking an extended owner (a TTL node's).
const EXTENDED_MASK: i64 = 0xff00_0000_0000_0000_u64 as i64;
/// The bits between the marker and the value, reserved (zero for TTL).
const RESERVED_BITS_MASK: i64 = 0x00ff_ff00_0000_0000;
/// The value bits of an extended owner: the TTL in milliseconds.
pub const MAX_TTL_MS: i64 = !(EXTENDED_MASK | RESERVED_BITS_MASK);

/// The owner of a container node.
pub const CONTAINER: i64 = i64::MIN;

/// A node's kind, as its `ephemeralOwner` encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Persistent (0).
    None,
    /// Ephemeral, owned by this session.
    Session(i64),
    /// A container, removed once it has had children and has none left.
    Container,
    /// Persistent with a time to live, in milliseconds.
    Ttl(i64),
}

impl Owner {
    /// The `ephemeralOwner` value.
    pub fn encode(self) -> i64 {
        match self {
            Owner::None => 0,
            Owner::Session(id) => id,
            Owner::Container => CONTAINER,
            Owner::Ttl(ms) => EXTENDED_MASK | ms,
        }
    }

    /// What an `ephemeralOwner` value means. As in ZooKeeper, the extended forms are read only
    /// when extended types are enabled; otherwise they are sessions.
    pub fn decode(owner: i64, extended_types: bool) -> Owner {
        if owner == 0 {
            Owner::None
        } else if extended_types && owner & EXTENDED_MASK == EXTENDED_MASK {
            Owner::Ttl(owner & MAX_TTL_MS)
        } else if owner == CONTAINER {
            Owner::Container
        } else {
            Owner::Session(owner)
        }
    }

    /// Whether the node dies with a session (the `NORMAL` type: children are refused).
    pub fn is_session(self) -> bool {
        matches!(self, Owner::Session(_))
    }
}

/// Whether `ttl` is valid for a TTL node: from 1 ms to [`MAX_TTL_MS`].
pub fn valid_ttl(ttl: i64) -> bool {
    ttl > 0 && ttl <= MAX_TTL_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_encode_as_zookeeper_writes_them() {
        assert_eq!(Owner::Container.encode(), i64::MIN);
        assert_eq!(Owner::Ttl(1000).encode() as u64, 0xff00_0000_0000_03e8);
        assert_eq!(MAX_TTL_MS, 0x0000_00ff_ffff_ffff);
        for owner in [
            Owner::None,
            Owner::Session(0x1000_0001_0000),
            Owner::Container,
            Owner::Ttl(5),
        ] {
            assert_eq!(Owner::decode(owner.encode(), true), owner);
        }
        // Without extended types, a TTL-looking owner is a session (and a container stays one).
        assert!(Owner::decode(Owner::Ttl(5).encode(), false).is_session());
        assert_eq!(Owner::decode(CONTAINER, false), Owner::Container);
        assert!(valid_ttl(1) && valid_ttl(MAX_TTL_MS));
        assert!(!valid_ttl(0) && !valid_ttl(-1) && !valid_ttl(MAX_TTL_MS + 1));
    }
}
