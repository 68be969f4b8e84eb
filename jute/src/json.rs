//! JSON form of [`Value`]s: the schema's field names, `int`/`long`/`byte` as numbers, `boolean`
//! as true/false, `ustring` as a string, `buffer` as lowercase hex, vectors as arrays, maps as
//! arrays of `[key, value]` pairs, records as objects, null as null.

use serde_json::{Map, Number, Value as Json};

use crate::error::ValueError;
use crate::schema::{JuteType, RecordSchema};
use crate::value::Value;

/// The JSON form of `value`.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Byte(v) => Json::from(*v),
        Value::Boolean(v) => Json::Bool(*v),
        Value::Int(v) => Json::from(*v),
        Value::Long(v) => Json::from(*v),
        Value::Float(v) => Number::from_f64(f64::from(*v)).map_or(Json::Null, Json::Number),
        Value::Double(v) => Number::from_f64(*v).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::Buffer(b) => Json::String(hex_encode(b)),
        Value::Vector(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(pairs) => Json::Array(
            pairs
                .iter()
                .map(|(k, v)| Json::Array(vec![to_json(k), to_json(v)]))
                .collect(),
        ),
        Value::Record(fields) => Json::Object(
            fields
                .iter()
                .map(|(n, v)| (n.clone(), to_json(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Null => Json::Null,
    }
}

/// Reads JSON as a value of the Jute type `ty`.
pub fn from_json(ty: &JuteType, json: &Json) -> Result<Value, ValueError> {
    fn int<T: TryFrom<i64>>(json: &Json, name: &str) -> Result<T, ValueError> {
        let n = json
            .as_i64()
            .ok_or_else(|| ValueError::mismatch(format!("{name} (a whole number)"), json))?;
        T::try_from(n).map_err(|_| ValueError::new(format!("{n} is out of range for {name}")))
    }
    let nullable = matches!(
        ty,
        JuteType::UString | JuteType::Buffer | JuteType::Vector(_)
    );
    if json.is_null() && nullable {
        return Ok(Value::Null);
    }
    Ok(match ty {
        JuteType::Byte => Value::Byte(int(json, "byte")?),
        JuteType::Int => Value::Int(int(json, "int")?),
        JuteType::Long => Value::Long(int(json, "long")?),
        JuteType::Boolean => Value::Boolean(
            json.as_bool()
                .ok_or_else(|| ValueError::mismatch("boolean", json))?,
        ),
        JuteType::Float => Value::Float(
            json.as_f64()
                .ok_or_else(|| ValueError::mismatch("float", json))? as f32,
        ),
        JuteType::Double => Value::Double(
            json.as_f64()
                .ok_or_else(|| ValueError::mismatch("double", json))?,
        ),
        JuteType::UString => Value::String(
            json.as_str()
                .ok_or_else(|| ValueError::mismatch("ustring (a string or null)", json))?
                .to_string(),
        ),
        JuteType::Buffer => {
            let s = json
                .as_str()
                .ok_or_else(|| ValueError::mismatch("buffer (a hex string or null)", json))?;
            Value::Buffer(hex_decode(s).map_err(ValueError::new)?)
        }
        JuteType::Vector(elem) => {
            let items = json
                .as_array()
                .ok_or_else(|| ValueError::mismatch("vector (an array or null)", json))?;
            Value::Vector(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, j)| from_json(elem, j).map_err(|e| e.at(format!("[{i}]"))))
                    .collect::<Result<_, _>>()?,
            )
        }
        JuteType::Map(k, v) => {
            let items = json
                .as_array()
                .ok_or_else(|| ValueError::mismatch("map (an array of [key, value])", json))?;
            let mut pairs = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item.as_array().map(Vec::as_slice) {
                    Some([kj, vj]) => pairs.push((
                        from_json(k, kj).map_err(|e| e.at(format!("[{i}].key")))?,
                        from_json(v, vj).map_err(|e| e.at(format!("[{i}].value")))?,
                    )),
                    _ => {
                        return Err(ValueError::mismatch("[key, value]", item).at(format!("[{i}]")))
                    }
                }
            }
            Value::Map(pairs)
        }
        JuteType::Record(schema) => record_from_json(schema, json)?,
    })
}

/// Reads a JSON object as a value of the record `schema`. Unknown keys are an error; a missing
/// key is an error unless the field is an optional trailing one.
pub fn record_from_json(schema: &RecordSchema, json: &Json) -> Result<Value, ValueError> {
    let obj = json
        .as_object()
        .ok_or_else(|| ValueError::mismatch(format!("{} (an object)", schema.name), json))?;
    if let Some(k) = obj.keys().find(|k| schema.field(k).is_none()) {
        return Err(ValueError::new(format!(
            "unknown field {k} for {}",
            schema.name
        )));
    }
    let mut fields = Vec::with_capacity(schema.fields.len());
    for f in schema.fields {
        match obj.get(f.name) {
            Some(j) if !(f.optional && j.is_null()) => fields.push((
                f.name.to_string(),
                from_json(&f.ty, j).map_err(|e| e.at(f.name))?,
            )),
            _ if f.optional => {}
            _ => {
                return Err(ValueError::new(format!(
                    "missing field {} of {}",
                    f.name, schema.name
                )))
            }
        }
    }
    Ok(Value::Record(fields))
}

/// Lowercase hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Parses hex (either case; whitespace is ignored).
pub fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let nibble = |c: u8| char::from(c).to_digit(16);
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
                _ => Err(format!(
                    "invalid hex digit in {:?} at position {}",
                    String::from_utf8_lossy(pair),
                    i * 2
                )),
            }
        })
        .collect()
}
