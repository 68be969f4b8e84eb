//! Shared counters on one node, written with versioned compare-and-set: Curator's
//! `SharedCount` / `DistributedAtomicInteger` (a 4-byte big-endian int) and
//! `DistributedAtomicLong` (an 8-byte big-endian long), so Java services count with us.

use zk_client::{Client, CreateMode, CreateOptions, Error};

use crate::source::Source;

/// A counter's value and its big-endian encoding.
trait Encoded: Copy + PartialEq + std::fmt::Display {
    const BYTES: usize;
    fn decode(b: &[u8]) -> Option<Self>;
    fn encode(self) -> Vec<u8>;
    fn add(self, d: Self) -> Self;
}

impl Encoded for i32 {
    const BYTES: usize = 4;
    fn decode(b: &[u8]) -> Option<Self> {
        b.get(..4)?.try_into().ok().map(i32::from_be_bytes)
    }
    fn encode(self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }
    fn add(self, d: Self) -> Self {
        self.wrapping_add(d)
    }
}

impl Encoded for i64 {
    const BYTES: usize = 8;
    fn decode(b: &[u8]) -> Option<Self> {
        b.get(..8)?.try_into().ok().map(i64::from_be_bytes)
    }
    fn encode(self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }
    fn add(self, d: Self) -> Self {
        self.wrapping_add(d)
    }
}

/// The value of `data` at `path`: missing or empty counts as 0 (as Curator's atomics read
/// it); any other size than the counter's is an error naming the node and its size, so that a
/// node holding something else (text, the other width of counter) is never overwritten.
fn value<T: Encoded + Default>(path: &str, data: &[u8]) -> Result<T, Error> {
    if data.is_empty() {
        return Ok(T::default());
    }
    if data.len() != T::BYTES {
        return Err(Error::InvalidArgument(format!(
            "{path} holds {} bytes, not a {}-byte big-endian counter; it is left as it is",
            data.len(),
            T::BYTES
        )));
    }
    T::decode(data)
        .ok_or_else(|| Error::InvalidArgument(format!("{path}: not a {}-byte counter", T::BYTES)))
}

/// The current value and the node's version (`None` when the node does not exist).
async fn read<T: Encoded + Default>(zk: &Client, path: &str) -> Result<(T, Option<i32>), Error> {
    match zk.get_data(path).await {
        Ok((data, stat)) => Ok((value(path, &data)?, Some(stat.version))),
        Err(Error::NoNode) => Ok((T::default(), None)),
        Err(e) => Err(e),
    }
}

/// Sets `path` to `new` if it is still at `version` (`None`: if it still does not exist).
/// `Ok(false)` when someone else changed it first.
async fn compare_and_set<T: Encoded>(
    zk: &Client,
    path: &str,
    version: Option<i32>,
    new: T,
) -> Result<bool, Error> {
    let result = match version {
        Some(v) => zk.set_data(path, &new.encode(), Some(v)).await.map(|_| ()),
        None => zk
            .create_all(
                path,
                &new.encode(),
                &CreateOptions::default(),
                CreateMode::Container,
            )
            .await
            .map(|_| ()),
    };
    match result {
        Ok(()) => Ok(true),
        Err(Error::BadVersion | Error::NodeExists | Error::NoNode) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Adds `delta` with compare-and-set until it lands; returns the new value. A connection loss
/// with the write in flight is returned as is (the add may or may not have happened; it is not
/// retried, which could count it twice).
async fn add<T: Encoded + Default>(zk: &Client, path: &str, delta: T) -> Result<T, Error> {
    loop {
        let (now, version) = read::<T>(zk, path).await?;
        let new = now.add(delta);
        if compare_and_set(zk, path, version, new).await? {
            return Ok(new);
        }
    }
}

/// The two counters' shared shape: the same methods on an `i32` and an `i64`.
macro_rules! counter {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            source: Source,
            path: String,
        }

        impl $name {
            /// The counter at `path` (on a client's session, or a supervisor's: see
            /// [`Source`]).
            pub fn new(source: impl Into<Source>, path: &str) -> $name {
                $name {
                    source: source.into(),
                    path: path.to_string(),
                }
            }

            /// Creates the node with `value` unless it exists (an existing value wins, as in
            /// Curator's `start()`); parents are containers.
            pub async fn seed(&self, value: $t) -> Result<(), Error> {
                compare_and_set(&self.source.client(), &self.path, None, value)
                    .await
                    .map(|_| ())
            }

            /// The value (0 when the node does not exist).
            pub async fn get(&self) -> Result<$t, Error> {
                Ok(read::<$t>(&self.source.client(), &self.path).await?.0)
            }

            /// The value and the node's version, for [`Self::set_if_version`] (a missing node
            /// reads as 0 at version -1).
            pub async fn get_versioned(&self) -> Result<($t, i32), Error> {
                let (v, version) = read::<$t>(&self.source.client(), &self.path).await?;
                Ok((v, version.unwrap_or(-1)))
            }

            /// Sets `value` if the node is still at `version` (-1: still missing); `false`
            /// when someone else wrote first.
            pub async fn set_if_version(&self, value: $t, version: i32) -> Result<bool, Error> {
                let version = (version >= 0).then_some(version);
                compare_and_set(&self.source.client(), &self.path, version, value).await
            }

            /// Sets `new` if the value is `expected` now; `false` otherwise (or when someone
            /// else wrote in between).
            pub async fn compare_and_set(&self, expected: $t, new: $t) -> Result<bool, Error> {
                let zk = self.source.client();
                let (now, version) = read::<$t>(&zk, &self.path).await?;
                if now != expected {
                    return Ok(false);
                }
                compare_and_set(&zk, &self.path, version, new).await
            }

            /// Adds `delta` (compare-and-set until it lands, wrapping on overflow); returns
            /// the new value. A connection loss with the write in flight is returned as is:
            /// the add may or may not have happened, and it is not retried (which could count
            /// it twice).
            pub async fn add(&self, delta: $t) -> Result<$t, Error> {
                add(&self.source.client(), &self.path, delta).await
            }
        }
    };
}

counter!(
    /// Curator's `SharedCount` (and `DistributedAtomicInteger`; kazoo's
    /// `Counter(support_curator=True)`): an `i32` in 4 big-endian bytes at a path. The same
    /// methods as [`AtomicLong`].
    ///
    /// ```no_run
    /// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
    /// let count = zk_recipes::SharedCount::new(&zk, "/stats/jobs");
    /// count.seed(0).await?; // only if the node does not exist yet
    /// let now = count.add(1).await?;
    /// let (value, version) = count.get_versioned().await?;
    /// if !count.set_if_version(value * 2, version).await? { /* someone else wrote first */ }
    /// # let _ = now; Ok(()) }
    /// ```
    SharedCount,
    i32
);

counter!(
    /// Curator's `DistributedAtomicLong`: an `i64` in 8 big-endian bytes at a path (created by
    /// the first write; a missing node reads as 0). The same methods as [`SharedCount`].
    ///
    /// ```no_run
    /// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
    /// let sequence = zk_recipes::AtomicLong::new(&zk, "/ids/orders");
    /// let id = sequence.add(1).await?;
    /// // Jump ahead by ten, unless someone else moved it meanwhile.
    /// let jumped = sequence.compare_and_set(id, id + 10).await?;
    /// # let _ = jumped; Ok(()) }
    /// ```
    AtomicLong,
    i64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_curator() {
        assert_eq!(7i32.encode(), [0, 0, 0, 7]);
        assert_eq!((-2i32).encode(), [0xff, 0xff, 0xff, 0xfe]);
        assert_eq!(0x0001_0203_0406_i64.encode(), [0, 0, 0, 1, 2, 3, 4, 6]);
        assert_eq!(value::<i32>("/c", &[0, 0, 1, 2]), Ok(258));
        assert_eq!(value::<i64>("/c", &[]), Ok(0));
        // Any other size is refused, naming the node and its size: an 8-byte counter read as
        // a 4-byte one (or text) would be overwritten with a wrong value otherwise.
        let e = value::<i32>("/c", &[0, 0, 0, 0, 0, 0, 0, 5]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid argument: /c holds 8 bytes, not a 4-byte big-endian counter; it is left as it is"
        );
        assert!(value::<i32>("/c", b"hello world").is_err());
        assert!(value::<i64>("/c", &[0, 0, 0, 5]).is_err());
    }
}
