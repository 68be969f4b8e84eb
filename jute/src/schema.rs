//! Schema metadata: the Jute type of every field of every record.

use std::fmt;

/// A Jute type, as written in a `.jute` file.
///
/// `Display` prints the IDL spelling with fully qualified record names, e.g.
/// `vector<org.apache.zookeeper.data.ACL>`.
#[derive(Clone, Copy, PartialEq)]
pub enum JuteType {
    /// `byte`: one signed byte.
    Byte,
    /// `boolean`: one byte, 0 or 1.
    Boolean,
    /// `int`: 4 bytes big-endian.
    Int,
    /// `long`: 8 bytes big-endian.
    Long,
    /// `float`: IEEE-754 single, big-endian.
    Float,
    /// `double`: IEEE-754 double, big-endian.
    Double,
    /// `ustring`: `int` byte length (-1 = null) and UTF-8 bytes.
    UString,
    /// `buffer`: `int` length (-1 = null) and raw bytes.
    Buffer,
    /// `vector<T>`: `int` count (-1 = null) and the elements.
    Vector(&'static JuteType),
    /// `map<K,V>`: `int` count and the key/value pairs.
    Map(&'static JuteType, &'static JuteType),
    /// A nested record: its fields, no prefix.
    Record(&'static RecordSchema),
}

impl JuteType {
    /// The IDL keyword or, for composite types, its head (`vector`, `map`, or the record name).
    pub fn kind_name(&self) -> &'static str {
        match self {
            JuteType::Byte => "byte",
            JuteType::Boolean => "boolean",
            JuteType::Int => "int",
            JuteType::Long => "long",
            JuteType::Float => "float",
            JuteType::Double => "double",
            JuteType::UString => "ustring",
            JuteType::Buffer => "buffer",
            JuteType::Vector(_) => "vector",
            JuteType::Map(_, _) => "map",
            JuteType::Record(r) => r.name,
        }
    }
}

impl fmt::Display for JuteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JuteType::Vector(t) => write!(f, "vector<{t}>"),
            JuteType::Map(k, v) => write!(f, "map<{k},{v}>"),
            JuteType::Record(r) => write!(f, "{}", r.qualified_name()),
            other => f.write_str(other.kind_name()),
        }
    }
}

impl fmt::Debug for JuteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One field of a record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldSchema {
    /// The Jute field name (as in the `.jute` file).
    pub name: &'static str,
    /// The field's type.
    pub ty: JuteType,
    /// A trailing field that older peers omit: read when bytes remain, written only when present.
    pub optional: bool,
}

/// A record: its module, name and fields in wire order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordSchema {
    /// The Jute module, e.g. `org.apache.zookeeper.data`.
    pub module: &'static str,
    /// The record (class) name, e.g. `Stat`.
    pub name: &'static str,
    /// The fields in declaration (= wire) order.
    pub fields: &'static [FieldSchema],
}

impl RecordSchema {
    /// `module.name`, e.g. `org.apache.zookeeper.data.Stat`.
    pub fn qualified_name(&self) -> String {
        if self.module.is_empty() {
            self.name.to_string()
        } else {
            format!("{}.{}", self.module, self.name)
        }
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static FieldSchema> {
        self.fields.iter().find(|f| f.name == name)
    }
}
