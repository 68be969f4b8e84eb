//! Rust records from `.jute` files: each Jute `class` becomes a struct with
//! `#[derive(Jute)]` (encode, decode, encoded length, schema metadata and dynamic values),
//! each Jute `module` a Rust module, for a `build.rs` script or a tool (`zk jute gen`).
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let out_dir = std::env::var("OUT_DIR")?;
//!     jute_build::compile(&["src/records.jute"], &out_dir)?;
//!     Ok(())
//! }
//! ```
//!
//! and in the crate, which depends on `jute`:
//!
//! ```ignore
//! include!(concat!(env!("OUT_DIR"), "/records.rs"));
//! ```
//!
//! # What is generated
//!
//! - One file (named after the first `.jute` file: `records.jute` → `records.rs`) holding a
//!   `pub mod` per Jute module, named after the module's last segment in snake case
//!   (`org.apache.zookeeper.data` → `data`; [`Config::module_name`] chooses another).
//! - A struct per class, named as the class, with `#[jute(module = "...")]`; fields in snake
//!   case (`lastZxidSeen` → `last_zxid_seen`, a keyword as a raw identifier), with
//!   `#[jute(rename = "...")]` where the derive's camel-case rule would not give the Jute name
//!   back, so the schema metadata keeps the `.jute` names. Doc comments name the Jute type and
//!   field (`` `long czxid` ``), followed by the comment after the field in the file.
//! - Types: `byte` → `i8`, `boolean` → `bool`, `int` → `i32`, `long` → `i64`, `float` → `f32`,
//!   `double` → `f64`, `ustring` → `Option<String>`, `buffer` → `Option<Vec<u8>>`, `vector<T>`
//!   → `Option<Vec<T>>` (`None` is the null form, length -1, which Java tells apart from
//!   empty), `map<K,V>` → `BTreeMap<K, V>`, records by value (from another module as
//!   `super::module::Name`). Inside a vector or map, strings, buffers and vectors are not
//!   nullable (`Vec<String>`), as Java's archives write them.
//! - Derives: `Debug, Clone, PartialEq, Default` and the Jute derive, plus `Eq` unless the
//!   record holds a `float` or `double` (directly or through another record); more with
//!   [`Config::derive`].
//! - At the top: `RECORDS`, every record's schema in file order, and `decode_value` /
//!   `encode_value`, which work on any of them by fully qualified name through
//!   [`jute::Value`] (what `zk jute decode` does for ZooKeeper's records).
//!
//! # Where a schema needs help
//!
//! - [`Config::optional`]: a trailing field that older peers omit (ZooKeeper's
//!   `ConnectRequest.readOnly`): `Option<T>` with `#[jute(optional)]`, read only when bytes
//!   remain.
//! - [`Config::field_type`]: another Rust type for a field (one that implements the Jute traits
//!   for the field's Jute type, and the record's derives).
//! - [`Config::derive`]: derives to add, to every record, a module or one record.
//!
//! Bad IDL is an error naming the file, line and column ([`Error::Idl`]); an option naming a
//! record or field the files do not define is an error too, so a typo does not pass silently.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod generate;
mod names;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A `.jute` file does not parse, or references a record no file defines.
    #[error(transparent)]
    Idl(#[from] jute::idl::FileError),
    /// The schema cannot be generated as asked (an option naming an unknown field, two Jute
    /// modules with one Rust name, a record that contains itself, ...).
    #[error("{0}")]
    Schema(String),
}

/// Generation options. [`compile`] uses the defaults.
///
/// ```
/// let mut config = jute_build::Config::new();
/// config
///     .optional("org.apache.zookeeper.proto.ConnectRequest.readOnly")
///     .derive("", "Hash")
///     .module_name("org.apache.zookeeper.proto", "client");
/// let code = config.generate(&[(
///     "zk.jute",
///     "module org.apache.zookeeper.proto { class ConnectRequest { int timeOut; boolean readOnly; } }",
/// )])?;
/// assert!(code.contains("pub mod client {"));
/// assert!(code.contains("pub time_out: i32,"));
/// assert!(code.contains("#[jute(optional)]\n        pub read_only: Option<bool>,"));
/// # Ok::<(), jute_build::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    optional: Vec<String>,
    field_types: BTreeMap<String, String>,
    derives: Vec<(String, String)>,
    module_names: BTreeMap<String, String>,
    jute_crate: String,
    output_file: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            optional: Vec::new(),
            field_types: BTreeMap::new(),
            derives: Vec::new(),
            module_names: BTreeMap::new(),
            jute_crate: "::jute".into(),
            output_file: None,
        }
    }
}

impl Config {
    /// The defaults.
    pub fn new() -> Config {
        Config::default()
    }

    /// Makes `field` (`module.Record.field`) an optional trailing field: `Option<T>`, absent
    /// when the bytes end before it. Every field after it must be optional too.
    pub fn optional(&mut self, field: &str) -> &mut Config {
        self.optional.push(field.to_string());
        self
    }

    /// Gives `field` (`module.Record.field`) the Rust type `rust_type` instead of the default
    /// one.
    pub fn field_type(&mut self, field: &str, rust_type: &str) -> &mut Config {
        self.field_types
            .insert(field.to_string(), rust_type.to_string());
        self
    }

    /// Adds `derive` (`"Hash"`, `"serde::Serialize"`) to the records under `path`: `""` for
    /// every record, a module (`org.apache.zookeeper.data`) or one record
    /// (`org.apache.zookeeper.data.Stat`).
    pub fn derive(&mut self, path: &str, derive: &str) -> &mut Config {
        self.derives.push((path.to_string(), derive.to_string()));
        self
    }

    /// Names the Rust module generated for `jute_module`.
    pub fn module_name(&mut self, jute_module: &str, rust_name: &str) -> &mut Config {
        self.module_names
            .insert(jute_module.to_string(), rust_name.to_string());
        self
    }

    /// The path of the `jute` crate in the generated code (default `::jute`), for a crate that
    /// renames or re-exports it.
    pub fn jute_crate(&mut self, path: &str) -> &mut Config {
        self.jute_crate = path.to_string();
        self
    }

    /// The generated file's name (default: the first `.jute` file's stem with `.rs`).
    pub fn output_file(&mut self, name: &str) -> &mut Config {
        self.output_file = Some(name.to_string());
        self
    }

    /// The Rust source for `files`, given as `(name, text)` pairs (the name is used in errors
    /// and in the generated file's header).
    pub fn generate(&self, files: &[(&str, &str)]) -> Result<String, Error> {
        let schema = jute::idl::parse_files(files)?;
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        generate::render(self, &schema, &names)
    }

    /// Reads `files`, generates their records and writes them to one file in `out_dir`;
    /// returns that file's path. In a build script, also tells Cargo to run it again when a
    /// `.jute` file changes.
    pub fn compile(
        &self,
        files: &[impl AsRef<Path>],
        out_dir: impl AsRef<Path>,
    ) -> Result<PathBuf, Error> {
        let mut texts = Vec::with_capacity(files.len());
        for f in files {
            let path = f.as_ref();
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            if std::env::var_os("CARGO_MANIFEST_DIR").is_some()
                && std::env::var_os("OUT_DIR").is_some()
            {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            texts.push((path.display().to_string(), text));
        }
        let pairs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let code = self.generate(&pairs)?;
        let name = match &self.output_file {
            Some(n) => n.clone(),
            None => {
                let first = files
                    .first()
                    .map(AsRef::as_ref)
                    .ok_or_else(|| Error::Schema("no .jute file given".into()))?;
                let stem = first.file_stem().and_then(|s| s.to_str()).ok_or_else(|| {
                    Error::Schema(format!(
                        "{}: no file name to name the output after",
                        first.display()
                    ))
                })?;
                format!("{stem}.rs")
            }
        };
        let out = out_dir.as_ref().join(name);
        std::fs::write(&out, code).map_err(|source| Error::Io {
            path: out.clone(),
            source,
        })?;
        Ok(out)
    }
}

/// Generates the records of `files` with the default [`Config`] into one file in `out_dir`
/// (named after the first file: `zookeeper.jute` → `zookeeper.rs`), and returns its path.
pub fn compile(files: &[impl AsRef<Path>], out_dir: impl AsRef<Path>) -> Result<PathBuf, Error> {
    Config::new().compile(files, out_dir)
}
