//! Property test over every record: for arbitrary values, `encoded_len` equals the bytes
//! written, decode(encode(x)) == x, and decoding consumes exactly the encoding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use jute::{Decode, FromValue, JuteType, Reader, Record, RecordSchema, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn string() -> BoxedStrategy<String> {
    // Any characters, including NUL, non-BMP and the 2- and 3-byte ranges.
    "\\PC{0,6}|[\\x00-\\x7f]{0,4}|[😀🎉中é]{0,3}".boxed()
}

fn value(ty: &JuteType, element: bool) -> BoxedStrategy<Value> {
    let nullable = |s: BoxedStrategy<Value>| {
        if element {
            s
        } else {
            prop_oneof![1 => Just(Value::Null), 4 => s].boxed()
        }
    };
    match ty {
        JuteType::Byte => any::<i8>().prop_map(Value::Byte).boxed(),
        JuteType::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        JuteType::Int => any::<i32>().prop_map(Value::Int).boxed(),
        JuteType::Long => any::<i64>().prop_map(Value::Long).boxed(),
        JuteType::Float => any::<f32>().prop_map(Value::Float).boxed(),
        JuteType::Double => any::<f64>().prop_map(Value::Double).boxed(),
        JuteType::UString => nullable(string().prop_map(Value::String).boxed()),
        JuteType::Buffer => nullable(
            proptest::collection::vec(any::<u8>(), 0..40)
                .prop_map(Value::Buffer)
                .boxed(),
        ),
        JuteType::Vector(elem) => nullable(
            proptest::collection::vec(value(elem, true), 0..4)
                .prop_map(Value::Vector)
                .boxed(),
        ),
        JuteType::Map(k, v) => proptest::collection::vec((value(k, true), value(v, true)), 0..3)
            .prop_map(Value::Map)
            .boxed(),
        JuteType::Record(schema) => record(schema),
    }
}

fn record(schema: &RecordSchema) -> BoxedStrategy<Value> {
    let mut fields: BoxedStrategy<Vec<(String, Value)>> = Just(Vec::new()).boxed();
    for f in schema.fields {
        let name = f.name.to_string();
        let field = value(&f.ty, false);
        let optional = f.optional;
        fields = (fields, field, any::<bool>())
            .prop_map(move |(mut acc, v, present)| {
                if present || !optional {
                    acc.push((name.clone(), v));
                }
                acc
            })
            .boxed();
    }
    fields.prop_map(Value::Record).boxed()
}

fn check<R>()
where
    R: Record + FromValue + PartialEq + std::fmt::Debug + for<'de> Decode<'de>,
{
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&record(&R::SCHEMA), |v| {
            let typed = R::from_value(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let bytes = typed.to_vec();
            prop_assert_eq!(typed.encoded_len(), bytes.len());
            let mut reader = Reader::new(&bytes);
            let back = R::decode(&mut reader).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(reader.remaining(), 0, "bytes left over");
            prop_assert_eq!(&back, &typed);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", R::SCHEMA.qualified_name()));
}

macro_rules! check_all {
    ($($path:path),*) => {{
        let mut n = 0;
        $( check::<$path>(); n += 1; )*
        n
    }};
}

#[test]
fn every_record_round_trips() {
    assert_eq!(jute_schemas::for_each_record!(check_all), 72);
}

/// Each zero-copy form decodes what its owned form encodes, to the same values.
macro_rules! borrowed_matches_owned {
    ($owned:ty, $borrowed:ident, |$b:ident| $to_owned:expr) => {{
        let mut runner = TestRunner::new(Config {
            cases: 64,
            ..Config::default()
        });
        runner
            .run(&record(&<$owned as Record>::SCHEMA), |v| {
                let owned =
                    <$owned>::from_value(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let bytes = owned.to_vec();
                let $b: jute_schemas::borrowed::$borrowed<'_> =
                    jute::from_slice(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!($to_owned, owned);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", stringify!($borrowed)));
    }};
}

#[test]
fn borrowed_forms_decode_what_owned_forms_encode() {
    use jute_schemas::proto::*;
    let names = |c: &Option<Vec<std::borrow::Cow<'_, str>>>| {
        c.as_ref()
            .map(|c| c.iter().map(|s| s.to_string()).collect())
    };
    borrowed_matches_owned!(GetDataResponse, GetDataResponseRef, |b| GetDataResponse {
        data: b.data.map(<[u8]>::to_vec),
        stat: b.stat.clone(),
    });
    borrowed_matches_owned!(GetChildrenResponse, GetChildrenResponseRef, |b| {
        GetChildrenResponse {
            children: names(&b.children),
        }
    });
    borrowed_matches_owned!(GetChildren2Response, GetChildren2ResponseRef, |b| {
        GetChildren2Response {
            children: names(&b.children),
            stat: b.stat.clone(),
        }
    });
    borrowed_matches_owned!(WatcherEvent, WatcherEventRef, |b| WatcherEvent {
        r#type: b.r#type,
        state: b.state,
        path: b.path.as_ref().map(|s| s.to_string()),
    });
}
