//! `buffer`: owned (`Vec<u8>`) and borrowed (`&[u8]`) byte strings.

use bytes::BufMut;

use crate::error::DecodeError;
use crate::primitives::put_len;
use crate::reader::Reader;
use crate::schema::JuteType;
use crate::traits::{Decode, Encode, Typed};

impl Encode for [u8] {
    #[inline]
    fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
        put_len(buf, self.len());
        buf.put_slice(self);
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        4 + self.len()
    }
}

macro_rules! buffer_like {
    ($($ty:ty),*) => {$(
        impl Encode for $ty {
            #[inline]
            fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
                <[u8] as Encode>::encode(self, buf)
            }
            #[inline]
            fn encoded_len(&self) -> usize {
                4 + self.len()
            }
        }
        impl Typed for $ty {
            const TYPE: JuteType = JuteType::Buffer;
        }
    )*};
}

buffer_like!(Vec<u8>, &[u8], bytes::Bytes);

// `Vec<u8>` is nullable through the `Vec<T>` impl.
impl crate::vector::Nullable for &[u8] {}
impl crate::vector::Nullable for bytes::Bytes {}

impl<'de> Decode<'de> for &'de [u8] {
    const MIN_LEN: usize = 4;
    /// Zero-copy: a slice of the input.
    #[inline]
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        let len = r.read_non_null_len()?;
        r.take(len)
    }
}

impl<'de> Decode<'de> for Vec<u8> {
    const MIN_LEN: usize = 4;
    #[inline]
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        <&[u8]>::decode(r).map(<[u8]>::to_vec)
    }
}

impl<'de> Decode<'de> for bytes::Bytes {
    const MIN_LEN: usize = 4;
    /// Copies the bytes once into a shared buffer.
    #[inline]
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        <&[u8]>::decode(r).map(bytes::Bytes::copy_from_slice)
    }
}
