//! `byte`, `boolean`, `int`, `long`, `float`, `double`.

use bytes::BufMut;

use crate::error::DecodeError;
use crate::reader::Reader;
use crate::schema::JuteType;
use crate::traits::{Decode, Encode, Typed};

macro_rules! fixed {
    ($ty:ty, $jute:ident, $len:expr, $put:ident, |$r:ident| $read:expr) => {
        impl Encode for $ty {
            #[inline]
            fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
                buf.$put(*self);
            }
            #[inline]
            fn encoded_len(&self) -> usize {
                $len
            }
        }
        impl<'de> Decode<'de> for $ty {
            const MIN_LEN: usize = $len;
            #[inline]
            fn decode($r: &mut Reader<'de>) -> Result<Self, DecodeError> {
                $read
            }
        }
        impl Typed for $ty {
            const TYPE: JuteType = JuteType::$jute;
        }
    };
}

fixed!(i8, Byte, 1, put_i8, |r| Ok(r.read_u8()? as i8));
fixed!(i32, Int, 4, put_i32, |r| r.read_i32());
fixed!(i64, Long, 8, put_i64, |r| r.read_i64());
fixed!(f32, Float, 4, put_f32, |r| Ok(f32::from_bits(
    r.read_i32()? as u32
)));
fixed!(f64, Double, 8, put_f64, |r| Ok(f64::from_bits(
    r.read_i64()? as u64
)));

impl Encode for bool {
    #[inline]
    fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
        buf.put_u8(u8::from(*self));
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        1
    }
}

impl<'de> Decode<'de> for bool {
    const MIN_LEN: usize = 1;
    /// Any non-zero byte is true, as in Java's `DataInput.readBoolean`.
    #[inline]
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        Ok(r.read_u8()? != 0)
    }
}

impl Typed for bool {
    const TYPE: JuteType = JuteType::Boolean;
}

/// Writes a length or count prefix (the caller guarantees it fits in an `i32`).
#[inline]
pub(crate) fn put_len<B: BufMut + ?Sized>(buf: &mut B, len: usize) {
    debug_assert!(
        len <= i32::MAX as usize,
        "jute length {len} exceeds i32::MAX"
    );
    buf.put_i32(len as i32);
}
