//! A dynamic, schema-shaped value: what tools use to print and build records they know only by
//! name (the `zk jute` command, the golden-vector tests).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use crate::error::ValueError;
use crate::vector::Nullable;

/// Any Jute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `byte`.
    Byte(i8),
    /// `boolean`.
    Boolean(bool),
    /// `int`.
    Int(i32),
    /// `long`.
    Long(i64),
    /// `float`.
    Float(f32),
    /// `double`.
    Double(f64),
    /// `ustring`.
    String(String),
    /// `buffer`.
    Buffer(Vec<u8>),
    /// `vector<T>`.
    Vector(Vec<Value>),
    /// `map<K,V>`, in key order.
    Map(Vec<(Value, Value)>),
    /// A record: `(field name, value)` in wire order. Optional trailing fields that are absent
    /// are left out.
    Record(Vec<(String, Value)>),
    /// The null form of `ustring`, `buffer` or `vector`.
    Null,
}

impl Value {
    /// A short name of the variant, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Byte(_) => "byte",
            Value::Boolean(_) => "boolean",
            Value::Int(_) => "int",
            Value::Long(_) => "long",
            Value::Float(_) => "float",
            Value::Double(_) => "double",
            Value::String(_) => "ustring",
            Value::Buffer(_) => "buffer",
            Value::Vector(_) => "vector",
            Value::Map(_) => "map",
            Value::Record(_) => "record",
            Value::Null => "null",
        }
    }

    /// The value of field `name` of a record value.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Record(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Converts a typed value into a [`Value`].
pub trait ToValue {
    /// The dynamic form of `self`.
    fn to_value(&self) -> Value;
}

/// Builds a typed value from a [`Value`].
pub trait FromValue: Sized {
    /// The typed form of `value`, or an error naming what did not fit.
    fn from_value(value: &Value) -> Result<Self, ValueError>;
}

macro_rules! scalar {
    ($ty:ty, $variant:ident) => {
        impl ToValue for $ty {
            fn to_value(&self) -> Value {
                Value::$variant(*self)
            }
        }
        impl FromValue for $ty {
            fn from_value(value: &Value) -> Result<Self, ValueError> {
                match value {
                    Value::$variant(v) => Ok(*v),
                    other => Err(ValueError::mismatch(stringify!($ty), other.kind())),
                }
            }
        }
    };
}

scalar!(i8, Byte);
scalar!(bool, Boolean);
scalar!(i32, Int);
scalar!(i64, Long);
scalar!(f32, Float);
scalar!(f64, Double);

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}
impl ToValue for &str {
    fn to_value(&self) -> Value {
        Value::String((*self).to_string())
    }
}
impl ToValue for Cow<'_, str> {
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}
impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            other => Err(ValueError::mismatch("ustring", other.kind())),
        }
    }
}
impl FromValue for Cow<'static, str> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        String::from_value(value).map(Cow::Owned)
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Buffer(self.clone())
    }
}
impl ToValue for &[u8] {
    fn to_value(&self) -> Value {
        Value::Buffer(self.to_vec())
    }
}
impl ToValue for bytes::Bytes {
    fn to_value(&self) -> Value {
        Value::Buffer(self.to_vec())
    }
}
impl FromValue for Vec<u8> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Buffer(b) => Ok(b.clone()),
            other => Err(ValueError::mismatch("buffer", other.kind())),
        }
    }
}
impl FromValue for bytes::Bytes {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        Vec::<u8>::from_value(value).map(bytes::Bytes::from)
    }
}

impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(&self) -> Value {
        Value::Vector(self.iter().map(ToValue::to_value).collect())
    }
}
impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Vector(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| T::from_value(v).map_err(|e| e.at(format!("[{i}]"))))
                .collect(),
            other => Err(ValueError::mismatch("vector", other.kind())),
        }
    }
}

impl<T: ToValue + Nullable> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
impl<T: FromValue + Nullable> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl<K: ToValue, V: ToValue> ToValue for BTreeMap<K, V> {
    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.to_value(), v.to_value()))
                .collect(),
        )
    }
}
impl<K: FromValue + Ord, V: FromValue> FromValue for BTreeMap<K, V> {
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Map(pairs) => {
                let mut out = BTreeMap::new();
                for (i, (k, v)) in pairs.iter().enumerate() {
                    let key = K::from_value(k).map_err(|e| e.at(format!("[{i}].key")))?;
                    let val = V::from_value(v).map_err(|e| e.at(format!("[{i}].value")))?;
                    if out.insert(key, val).is_some() {
                        return Err(ValueError::new("duplicate map key").at(format!("[{i}]")));
                    }
                }
                Ok(out)
            }
            other => Err(ValueError::mismatch("map", other.kind())),
        }
    }
}

/// Field `name` of a record value, or an error when it is missing (generated `FromValue` code
/// calls this).
pub fn required_field<'v>(
    value: &'v Value,
    record: &str,
    name: &str,
) -> Result<&'v Value, ValueError> {
    optional_field(value, record, name)?
        .ok_or_else(|| ValueError::new(format!("missing field {name} of {record}")))
}

/// Field `name` of a record value, `None` when it is missing (an absent optional trailing field).
pub fn optional_field<'v>(
    value: &'v Value,
    record: &str,
    name: &str,
) -> Result<Option<&'v Value>, ValueError> {
    let Value::Record(fields) = value else {
        return Err(ValueError::mismatch(
            format!("record {record}"),
            value.kind(),
        ));
    };
    Ok(fields.iter().find(|(n, _)| n == name).map(|(_, v)| v))
}

/// Fails when a record value has a field the schema does not know.
pub fn check_record_fields(value: &Value, record: &str, known: &[&str]) -> Result<(), ValueError> {
    if let Value::Record(fields) = value {
        if let Some((n, _)) = fields.iter().find(|(n, _)| !known.contains(&n.as_str())) {
            return Err(ValueError::new(format!("unknown field {n} for {record}")));
        }
    }
    Ok(())
}
