//! Every class of decode error, on every variable-length type, says what went wrong, where, and
//! in which record and field; none of them panics or allocates what the input cannot back.

use std::borrow::Cow;
use std::collections::BTreeMap;

use jute::{Decode, DecodeErrorKind, Jute, JuteEnum, Limits, Reader};

fn decode<'a, T: Decode<'a>>(bytes: &'a [u8], limit: usize) -> Result<T, jute::DecodeError> {
    T::decode(&mut Reader::with_limits(bytes, Limits::new(limit)))
}

/// Runs `$check` on the error of decoding `$bytes` as each variable-length type.
macro_rules! for_each_var_type {
    ($bytes:expr, $limit:expr, $check:expr) => {{
        let b: &[u8] = $bytes;
        let check = $check;
        check("String", decode::<String>(b, $limit).err());
        check("&str", decode::<&str>(b, $limit).err());
        check("Cow<str>", decode::<Cow<'_, str>>(b, $limit).err());
        check("Vec<u8>", decode::<Vec<u8>>(b, $limit).err());
        check("&[u8]", decode::<&[u8]>(b, $limit).err());
        check("Bytes", decode::<bytes::Bytes>(b, $limit).err());
        check("Vec<i32>", decode::<Vec<i32>>(b, $limit).err());
        check("Vec<String>", decode::<Vec<String>>(b, $limit).err());
        check("BTreeMap", decode::<BTreeMap<i32, i64>>(b, $limit).err());
        check("Option<String>", decode::<Option<String>>(b, $limit).err());
        check(
            "Option<Vec<u8>>",
            decode::<Option<Vec<u8>>>(b, $limit).err(),
        );
        check(
            "Option<Vec<i32>>",
            decode::<Option<Vec<i32>>>(b, $limit).err(),
        );
    }};
}

#[test]
fn truncated_length_prefix() {
    for_each_var_type!(&[0, 0, 0], 100, |ty: &str, e: Option<jute::DecodeError>| {
        let e = e.unwrap_or_else(|| panic!("{ty} decoded 3 bytes"));
        assert_eq!(
            e.kind(),
            &DecodeErrorKind::Truncated {
                needed: 4,
                remaining: 3
            },
            "{ty}"
        );
        assert_eq!(e.offset(), 0);
    });
}

#[test]
fn truncated_body() {
    // Length 5 (or 5 elements), 2 bytes of body.
    for_each_var_type!(&[0, 0, 0, 5, 0x61, 0x62], 100, |ty: &str,
                                                        e: Option<
        jute::DecodeError,
    >| {
        let e = e.unwrap_or_else(|| panic!("{ty} decoded a truncated body"));
        assert!(
            matches!(e.kind(), DecodeErrorKind::Truncated { .. }),
            "{ty}: {e}"
        );
        assert!(e.to_string().starts_with("truncated input"), "{ty}: {e}");
    });
}

#[test]
fn negative_length() {
    for_each_var_type!(&[0xff, 0xff, 0xff, 0xfe, 0, 0], 100, |ty: &str,
                                                              e: Option<
        jute::DecodeError,
    >| {
        let e = e.unwrap_or_else(|| panic!("{ty} accepted length -2"));
        assert_eq!(e.kind(), &DecodeErrorKind::NegativeLength(-2), "{ty}");
        assert_eq!(e.to_string(), "negative length -2 at byte 0");
    });
}

#[test]
fn length_over_the_limit_is_rejected_before_reading() {
    // 0x7fffffff: nothing this large is allocated, the limit check comes first.
    for_each_var_type!(&[0x7f, 0xff, 0xff, 0xff], 1000, |ty: &str,
                                                         e: Option<
        jute::DecodeError,
    >| {
        let e = e.unwrap_or_else(|| panic!("{ty} accepted length 2^31-1"));
        assert_eq!(
            e.kind(),
            &DecodeErrorKind::LengthOverLimit {
                length: 0x7fff_ffff,
                limit: 1000
            },
            "{ty}"
        );
    });
}

#[test]
fn counts_under_the_limit_but_over_the_input_fail_before_allocating() {
    // A million-element vector claimed by a 4-byte input.
    let e = decode::<Vec<i64>>(&[0, 0x0f, 0x42, 0x40], 2_000_000).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::Truncated {
            needed: 8_000_000,
            remaining: 0
        }
    );
}

#[test]
fn unexpected_null() {
    for (ty, e) in [
        ("String", decode::<String>(&[0xff; 4], 10).err()),
        ("&[u8]", decode::<&[u8]>(&[0xff; 4], 10).err()),
        ("Vec<i32>", decode::<Vec<i32>>(&[0xff; 4], 10).err()),
        (
            "BTreeMap",
            decode::<BTreeMap<i32, i32>>(&[0xff; 4], 10).err(),
        ),
        (
            "Vec<String> element",
            decode::<Vec<String>>(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff], 10).err(),
        ),
    ] {
        let e = e.unwrap_or_else(|| panic!("{ty} accepted null"));
        assert_eq!(e.kind(), &DecodeErrorKind::UnexpectedNull, "{ty}");
    }
    // The Option forms read null as None.
    assert_eq!(decode::<Option<String>>(&[0xff; 4], 10).unwrap(), None);
    assert_eq!(decode::<Option<Vec<i32>>>(&[0xff; 4], 10).unwrap(), None);
}

#[test]
fn invalid_strings() {
    for bytes in [
        &[0, 0, 0, 2, 0xc3, 0x28][..],                     // bad continuation
        &[0, 0, 0, 3, 0xed, 0xa0, 0xbd],                   // lone high surrogate
        &[0, 0, 0, 6, 0xed, 0xb8, 0x80, 0xed, 0xa0, 0xbd], // reversed pair
        &[0, 0, 0, 1, 0xff],
    ] {
        for (ty, e) in [
            ("String", decode::<String>(bytes, 10).err()),
            ("&str", decode::<&str>(bytes, 10).err()),
            ("Cow<str>", decode::<Cow<'_, str>>(bytes, 10).err()),
            ("Vec<String>", {
                let mut v = vec![0, 0, 0, 1];
                v.extend_from_slice(bytes);
                decode::<Vec<String>>(&v, 10).err()
            }),
        ] {
            let e = e.unwrap_or_else(|| panic!("{ty} accepted {bytes:02x?}"));
            assert!(
                matches!(e.kind(), DecodeErrorKind::InvalidString { .. }),
                "{ty}: {e}"
            );
        }
    }
    // Java's surrogate pairs are valid for owned strings, and &str explains why it cannot borrow.
    let java = [0, 0, 0, 6, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80];
    assert_eq!(decode::<String>(&java, 10).unwrap(), "\u{1F600}");
    assert!(matches!(
        decode::<Cow<'_, str>>(&java, 10).unwrap(),
        Cow::Owned(_)
    ));
    let e = decode::<&str>(&java, 10).unwrap_err();
    assert!(
        e.to_string().contains("decode into String or Cow<str>"),
        "{e}"
    );
}

#[test]
fn duplicate_map_keys() {
    let bytes = [0, 0, 0, 2, 0, 0, 0, 1, 9, 0, 0, 0, 1, 8];
    let e = decode::<BTreeMap<i32, i8>>(&bytes, 10).unwrap_err();
    assert_eq!(e.kind(), &DecodeErrorKind::DuplicateMapKey);
    assert_eq!(e.offset(), 9);
}

#[derive(JuteEnum, Debug, PartialEq, Eq, Clone, Copy)]
#[repr(i32)]
enum Mode {
    Persistent = 0,
    Recursive = 1,
}

#[derive(Jute, Debug, PartialEq)]
#[jute(module = "test")]
struct Inner {
    names: Option<Vec<String>>,
    mode: Mode,
}

#[derive(Jute, Debug, PartialEq)]
#[jute(module = "test")]
struct Outer {
    id: i64,
    inner: Inner,
}

#[test]
fn unknown_enum_values_name_the_enum_and_the_field() {
    let bytes = [0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9];
    let e = jute::from_slice::<Outer>(&bytes).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::UnknownEnumValue {
            name: "Mode",
            value: 9
        }
    );
    assert_eq!(e.offset(), 12);
    assert_eq!(e.path(), "Outer.inner > Inner.mode");
    assert_eq!(
        e.to_string(),
        "unknown value 9 for Mode at byte 12 (in Outer.inner > Inner.mode)"
    );
}

#[test]
fn errors_inside_vectors_name_the_record_and_field() {
    // id, then names = [ "ok", <length 9, 1 byte> ]
    let bytes = [
        0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, b'o', b'k', 0, 0, 0, 9, b'x',
    ];
    let e = jute::from_slice::<Outer>(&bytes).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::Truncated {
            needed: 9,
            remaining: 1
        }
    );
    assert_eq!(e.offset(), 22);
    assert_eq!(e.path(), "Outer.inner > Inner.names");
}

#[test]
fn trailing_bytes_after_a_whole_record() {
    let bytes = [
        0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0xaa, 0xbb,
    ];
    let e = jute::from_slice::<Outer>(&bytes).unwrap_err();
    assert_eq!(e.kind(), &DecodeErrorKind::TrailingBytes { count: 2 });
    assert_eq!(e.offset(), 16);
    assert_eq!(
        e.to_string(),
        "2 trailing bytes after the end of the record at byte 16 (in Outer)"
    );
    // Decoding from a reader leaves them for the caller.
    let mut r = Reader::new(&bytes);
    let outer = Outer::decode(&mut r).unwrap();
    assert_eq!(outer.inner.mode, Mode::Recursive);
    assert_eq!(r.rest(), [0xaa, 0xbb]);
}

#[test]
fn every_truncation_of_a_record_is_an_error_never_a_panic() {
    use jute::Record;
    let outer = Outer {
        id: -5,
        inner: Inner {
            names: Some(vec!["a".into(), "\u{1F600}".into(), String::new()]),
            mode: Mode::Recursive,
        },
    };
    let bytes = outer.to_vec();
    for cut in 0..bytes.len() {
        let e = jute::from_slice::<Outer>(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(e.kind(), DecodeErrorKind::Truncated { .. }),
            "cut at {cut}: {e}"
        );
    }
    assert_eq!(jute::from_slice::<Outer>(&bytes).unwrap(), outer);
}
