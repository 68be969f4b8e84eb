//! `vector<T>`, `map<K,V>` and the null form (`Option`) of ustring, buffer and vector.

use std::collections::BTreeMap;

use bytes::BufMut;

use crate::error::{DecodeError, DecodeErrorKind};
use crate::primitives::put_len;
use crate::reader::Reader;
use crate::schema::JuteType;
use crate::traits::{Decode, Encode, Typed};

/// Types with a null encoding (length or count -1): `ustring`, `buffer` and `vector`.
///
/// `Option<T>` of such a type encodes `None` as `ff ff ff ff`.
pub trait Nullable {}

impl<T: Encode> Encode for Vec<T> {
    #[inline]
    fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
        put_len(buf, self.len());
        for item in self {
            item.encode(buf);
        }
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        4 + self.iter().map(Encode::encoded_len).sum::<usize>()
    }
}

/// Reads a vector/map count and checks that the remaining input could hold that many elements
/// of at least `min_len` bytes, so the allocation that follows is bounded by the input size.
#[inline]
pub fn read_count(r: &mut Reader<'_>, min_len: usize) -> Result<usize, DecodeError> {
    let start = r.position();
    let count = r.read_non_null_len()?;
    let needed = count.saturating_mul(min_len);
    if needed > r.remaining() {
        return Err(DecodeError::new(
            DecodeErrorKind::Truncated {
                needed,
                remaining: r.remaining(),
            },
            start,
        ));
    }
    Ok(count)
}

impl<'de, T: Decode<'de>> Decode<'de> for Vec<T> {
    const MIN_LEN: usize = 4;
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        let count = read_count(r, T::MIN_LEN)?;
        let mut out = Vec::with_capacity(count.min(r.remaining()));
        for _ in 0..count {
            out.push(T::decode(r)?);
        }
        Ok(out)
    }
}

impl<T: Typed> Typed for Vec<T> {
    const TYPE: JuteType = JuteType::Vector(&T::TYPE);
}

impl<T> Nullable for Vec<T> {}

impl<T: Encode + Nullable> Encode for Option<T> {
    #[inline]
    fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
        match self {
            Some(v) => v.encode(buf),
            None => buf.put_i32(-1),
        }
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        self.as_ref().map_or(4, Encode::encoded_len)
    }
}

impl<'de, T: Decode<'de> + Nullable> Decode<'de> for Option<T> {
    const MIN_LEN: usize = 4;
    #[inline]
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        if r.peek_i32()? == -1 {
            r.take(4)?;
            Ok(None)
        } else {
            T::decode(r).map(Some)
        }
    }
}

impl<T: Typed + Nullable> Typed for Option<T> {
    const TYPE: JuteType = T::TYPE;
}

impl<K: Encode, V: Encode> Encode for BTreeMap<K, V> {
    /// Pairs in key order, as Java's generated code writes its `TreeMap`.
    fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
        put_len(buf, self.len());
        for (k, v) in self {
            k.encode(buf);
            v.encode(buf);
        }
    }
    fn encoded_len(&self) -> usize {
        4 + self
            .iter()
            .map(|(k, v)| k.encoded_len() + v.encoded_len())
            .sum::<usize>()
    }
}

impl<'de, K: Decode<'de> + Ord, V: Decode<'de>> Decode<'de> for BTreeMap<K, V> {
    const MIN_LEN: usize = 4;
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        let count = read_count(r, K::MIN_LEN + V::MIN_LEN)?;
        let mut out = BTreeMap::new();
        for _ in 0..count {
            let at = r.position();
            let k = K::decode(r)?;
            let v = V::decode(r)?;
            if out.insert(k, v).is_some() {
                return Err(DecodeError::new(DecodeErrorKind::DuplicateMapKey, at));
            }
        }
        Ok(out)
    }
}

impl<K: Typed, V: Typed> Typed for BTreeMap<K, V> {
    const TYPE: JuteType = JuteType::Map(&K::TYPE, &V::TYPE);
}
