//! Behaviour of the generated code: attributes, borrowed fields, enums, schema metadata.

use jute::{Encode, FromValue, Jute, JuteEnum, JuteType, Record, ToValue, Typed, Value};

#[derive(Jute, Debug, PartialEq, Default)]
#[jute(module = "org.example", name = "Handshake")]
struct Hello {
    protocol_version: i32,
    #[jute(rename = "timeOut")]
    timeout_ms: i32,
    passwd: Option<Vec<u8>>,
    #[jute(optional)]
    read_only: Option<bool>,
}

#[test]
fn names_types_and_optional_fields_are_in_the_schema() {
    let s = Hello::SCHEMA;
    assert_eq!(s.qualified_name(), "org.example.Handshake");
    let fields: Vec<(&str, String, bool)> = s
        .fields
        .iter()
        .map(|f| (f.name, f.ty.to_string(), f.optional))
        .collect();
    assert_eq!(
        fields,
        [
            ("protocolVersion", "int".to_string(), false),
            ("timeOut", "int".to_string(), false),
            ("passwd", "buffer".to_string(), false),
            ("readOnly", "boolean".to_string(), true),
        ]
    );
    assert!(matches!(Hello::TYPE, JuteType::Record(r) if r.name == "Handshake"));
}

#[test]
fn optional_trailing_fields_are_read_when_present_and_written_when_some() {
    let with = Hello {
        timeout_ms: 30000,
        passwd: Some(vec![0; 2]),
        read_only: Some(true),
        ..Default::default()
    };
    let bytes = with.to_vec();
    assert_eq!(bytes.len(), 4 + 4 + 6 + 1);
    assert_eq!(with.encoded_len(), bytes.len());
    assert_eq!(jute::from_slice::<Hello>(&bytes).unwrap(), with);

    let without = Hello {
        read_only: None,
        ..with
    };
    let old = without.to_vec();
    assert_eq!(old.as_slice(), &bytes[..bytes.len() - 1]);
    assert_eq!(jute::from_slice::<Hello>(&old).unwrap(), without);
}

#[derive(Jute, Debug, PartialEq)]
#[jute(module = "org.example")]
struct Borrowed<'a> {
    name: &'a str,
    data: Option<&'a [u8]>,
    tags: Vec<std::borrow::Cow<'a, str>>,
}

#[test]
fn borrowed_fields_point_into_the_input() {
    let bytes = [
        0, 0, 0, 2, b'h', b'i', 0, 0, 0, 1, 7, 0, 0, 0, 1, 0, 0, 0, 1, b't',
    ];
    let b: Borrowed<'_> = jute::from_slice(&bytes).unwrap();
    assert_eq!(b.name, "hi");
    assert!(std::ptr::eq(b.name.as_ptr(), bytes[4..].as_ptr()));
    assert!(matches!(b.tags[0], std::borrow::Cow::Borrowed("t")));
    assert_eq!(b.to_vec(), bytes);
}

#[derive(JuteEnum, Debug, PartialEq, Eq, Clone, Copy)]
#[repr(i32)]
enum Code {
    Ok = 0,
    NoNode = -101,
    #[jute(other)]
    Unknown(i32),
}

#[derive(JuteEnum, Debug, PartialEq, Eq, Clone, Copy)]
#[jute(name = "WatcherType")]
#[repr(i32)]
enum Strict {
    Children = 1,
    Data = 2,
}

#[test]
fn enums_are_ints_with_explicit_unknowns() {
    assert_eq!(Code::NoNode.value(), -101);
    assert_eq!(Code::try_from(-101), Ok(Code::NoNode));
    assert_eq!(Code::try_from(-999), Ok(Code::Unknown(-999)));
    assert_eq!(i32::from(Code::Unknown(5)), 5);
    assert_eq!(
        jute::from_slice::<Code>(&[0xff, 0xff, 0xff, 0x9b]).unwrap(),
        Code::NoNode
    );
    assert_eq!(Strict::Data.to_vec_via_encode(), [0, 0, 0, 2]);
    let e = jute::from_slice::<Strict>(&[0, 0, 0, 4]).unwrap_err();
    assert_eq!(e.to_string(), "unknown value 4 for WatcherType at byte 0");
    assert_eq!(
        Strict::from_value(&Value::Int(1)).unwrap(),
        Strict::Children
    );
    assert!(Strict::from_value(&Value::Int(7)).is_err());
    assert_eq!(Code::NoNode.to_value(), Value::Int(-101));
}

trait ToVecViaEncode: Encode {
    fn to_vec_via_encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }
}
impl<T: Encode> ToVecViaEncode for T {}

mod renamed_runtime {
    pub use jute as rt;
}

#[derive(Jute, Debug, PartialEq)]
#[jute(crate = "renamed_runtime::rt", module = "m")]
struct ViaPath {
    x: i32,
}

#[test]
fn runtime_crate_path_can_be_overridden() {
    assert_eq!(ViaPath { x: 1 }.to_vec(), [0, 0, 0, 1]);
}

#[test]
fn values_round_trip_and_name_bad_fields() {
    let h = Hello {
        protocol_version: 1,
        timeout_ms: 2,
        passwd: None,
        read_only: None,
    };
    let v = h.to_value();
    assert_eq!(v.field("timeOut"), Some(&Value::Int(2)));
    assert_eq!(v.field("readOnly"), None);
    assert_eq!(Hello::from_value(&v).unwrap(), h);
    let bad = Value::Record(vec![
        ("protocolVersion".into(), Value::Int(1)),
        ("timeOut".into(), Value::Long(2)),
        ("passwd".into(), Value::Null),
    ]);
    assert_eq!(
        Hello::from_value(&bad).unwrap_err().to_string(),
        "at timeOut: expected i32, found long"
    );
}

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
