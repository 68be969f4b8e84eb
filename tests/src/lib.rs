//! Helpers shared by the workspace-level tests.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
// Test support: a golden file that does not read or parse is a broken test, said at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

/// A path under the `tests/` directory of the workspace.
pub fn test_data(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// One golden vector of `golden/records.jsonl`: a record's value and the bytes Java writes.
#[derive(Debug, Clone)]
pub struct Vector {
    /// The record's fully qualified Jute name.
    pub record: String,
    /// What the case exercises (`nulls`, `max`, `random-3`, ...).
    pub case: String,
    /// The bytes Java's `BinaryOutputArchive` wrote.
    pub java: Vec<u8>,
    /// The same with standard UTF-8 where Java wrote CESU-8 surrogate pairs.
    pub utf8: Vec<u8>,
    /// The value, as JSON with the schema's field names.
    pub value: serde_json::Value,
}

/// Every committed golden vector.
pub fn golden_vectors() -> Vec<Vector> {
    let path = test_data("golden/records.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| {
            let j: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
            let s = |k: &str| {
                j[k].as_str()
                    .unwrap_or_else(|| panic!("{k} in {line}"))
                    .to_string()
            };
            Vector {
                record: s("record"),
                case: s("case"),
                java: jute::json::hex_decode(&s("hex")).expect("hex"),
                utf8: jute::json::hex_decode(&s("utf8_hex")).expect("hex"),
                value: j["value"].clone(),
            }
        })
        .collect()
}
