//! `ustring`: owned, borrowed and copy-on-write strings, and the CESU-8 form Java writes.
//!
//! ZooKeeper's `BinaryOutputArchive` encodes each UTF-16 code unit on its own, so a character
//! outside the Basic Multilingual Plane comes out as two 3-byte surrogate sequences rather than
//! one 4-byte UTF-8 sequence. Decoding accepts both; encoding writes standard UTF-8, which Java
//! reads back correctly.

use std::borrow::Cow;

use bytes::BufMut;

use crate::error::{DecodeError, DecodeErrorKind};
use crate::primitives::put_len;
use crate::reader::Reader;
use crate::schema::JuteType;
use crate::traits::{Decode, Encode, Typed};

/// Decodes `bytes` as UTF-8, accepting surrogate pairs written as two 3-byte sequences.
///
/// Borrows when the input is plain UTF-8. Lone or reversed surrogates and any other malformed
/// sequence are errors; the message names the byte offset within the string.
///
/// ```
/// // U+1F600 as Java writes it: ED A0 BD ED B8 80
/// let s = jute::decode_java_utf8(&[0x61, 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]).unwrap();
/// assert_eq!(s, "a\u{1F600}");
/// ```
pub fn decode_java_utf8(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) => decode_cesu8(bytes).map(Cow::Owned),
    }
}

fn decode_cesu8(bytes: &[u8]) -> Result<String, String> {
    let mut out = String::with_capacity(bytes.len());
    let mut pos = 0;
    while pos < bytes.len() {
        match std::str::from_utf8(&bytes[pos..]) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                // `valid_up_to` bytes are valid UTF-8; the conversion cannot fail.
                out.push_str(std::str::from_utf8(&bytes[pos..pos + good]).unwrap_or_default());
                pos += good;
                let ch = surrogate_pair(&bytes[pos..]).ok_or_else(|| {
                    format!(
                        "malformed UTF-8 at byte {pos} of {} (0x{:02x})",
                        bytes.len(),
                        bytes[pos]
                    )
                })?;
                out.push(ch);
                pos += 6;
            }
        }
    }
    Ok(out)
}

/// A high surrogate (ED A0..AF xx) followed by a low surrogate (ED B0..BF xx).
fn surrogate_pair(b: &[u8]) -> Option<char> {
    if b.len() < 6 || b[0] != 0xED || b[3] != 0xED {
        return None;
    }
    let cont = |x: u8| (0x80..=0xBF).contains(&x);
    if !(0xA0..=0xAF).contains(&b[1]) || !cont(b[2]) {
        return None;
    }
    if !(0xB0..=0xBF).contains(&b[4]) || !cont(b[5]) {
        return None;
    }
    let high = 0xD000 | (u32::from(b[1] & 0x3F) << 6) | u32::from(b[2] & 0x3F);
    let low = 0xD000 | (u32::from(b[4] & 0x3F) << 6) | u32::from(b[5] & 0x3F);
    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
}

fn read_str_bytes<'de>(r: &mut Reader<'de>) -> Result<(usize, &'de [u8]), DecodeError> {
    let start = r.position();
    let len = r.read_non_null_len()?;
    Ok((start, r.take(len)?))
}

fn invalid(start: usize, reason: String) -> DecodeError {
    DecodeError::new(DecodeErrorKind::InvalidString { reason }, start)
}

impl Encode for str {
    #[inline]
    fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
        put_len(buf, self.len());
        buf.put_slice(self.as_bytes());
    }
    #[inline]
    fn encoded_len(&self) -> usize {
        4 + self.len()
    }
}

macro_rules! string_like {
    ($($ty:ty),*) => {$(
        impl Encode for $ty {
            #[inline]
            fn encode<B: BufMut + ?Sized>(&self, buf: &mut B) {
                <str as Encode>::encode(self, buf)
            }
            #[inline]
            fn encoded_len(&self) -> usize {
                4 + self.len()
            }
        }
        impl Typed for $ty {
            const TYPE: JuteType = JuteType::UString;
        }
        impl crate::vector::Nullable for $ty {}
    )*};
}

string_like!(String, &str, Cow<'_, str>);

impl<'de> Decode<'de> for String {
    const MIN_LEN: usize = 4;
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        let (start, bytes) = read_str_bytes(r)?;
        match decode_java_utf8(bytes) {
            Ok(s) => Ok(s.into_owned()),
            Err(reason) => Err(invalid(start, reason)),
        }
    }
}

impl<'de> Decode<'de> for Cow<'de, str> {
    const MIN_LEN: usize = 4;
    /// Borrows when the bytes are plain UTF-8; allocates only for Java's surrogate pairs.
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        let (start, bytes) = read_str_bytes(r)?;
        decode_java_utf8(bytes).map_err(|reason| invalid(start, reason))
    }
}

impl<'de> Decode<'de> for &'de str {
    const MIN_LEN: usize = 4;
    /// Zero-copy; fails on the surrogate pairs Java writes for characters outside the BMP
    /// (decode into `Cow<str>` to accept those too).
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        let (start, bytes) = read_str_bytes(r)?;
        std::str::from_utf8(bytes).map_err(|_| {
            let reason = match decode_cesu8(bytes) {
                Ok(_) => "surrogate pairs (Java's encoding of characters outside the BMP) \
                          cannot be borrowed as &str; decode into String or Cow<str>"
                    .to_string(),
                Err(reason) => reason,
            };
            invalid(start, reason)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cesu8_pairs_decode_to_one_char() {
        let java = [0x2f, 0x73, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80, 0x21];
        assert_eq!(decode_java_utf8(&java).unwrap(), "/s\u{1F600}!");
    }

    #[test]
    fn four_byte_utf8_borrows() {
        let s = "/s\u{1F600}";
        assert!(matches!(
            decode_java_utf8(s.as_bytes()),
            Ok(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn lone_and_reversed_surrogates_are_errors() {
        assert!(decode_java_utf8(&[0xed, 0xa0, 0xbd]).is_err());
        assert!(decode_java_utf8(&[0xed, 0xb8, 0x80, 0xed, 0xa0, 0xbd]).is_err());
        assert!(decode_java_utf8(&[0x61, 0xff]).is_err());
        let err = decode_java_utf8(&[0x61, 0x62, 0xc3]).unwrap_err();
        assert!(err.contains("byte 2"), "{err}");
    }
}
