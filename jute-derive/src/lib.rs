//! Derive macros for the Jute binary format (see the `jute` crate, which re-exports them).
//!
//! `#[derive(Jute)]` on a struct with named fields generates `Encode`, `Decode`, `Typed`,
//! `Record` (schema metadata), `ToValue` and, for structs without a lifetime, `FromValue`. Fields
//! are encoded in declaration order.
//!
//! Attributes:
//! - `#[jute(module = "org.apache.zookeeper.data")]`: the Jute module (default: none).
//! - `#[jute(name = "Stat")]`: the record name (default: the struct name).
//! - `#[jute(crate = "path::to::jute")]`: where the runtime crate is (default `::jute`).
//! - `#[jute(rename = "timeOut")]` on a field: its Jute name (default: the field name in
//!   camelCase, `last_zxid_seen` → `lastZxidSeen`).
//! - `#[jute(optional)]` on trailing `Option<T>` fields: absent when the input ends before them,
//!   and written only when `Some` (ConnectRequest/ConnectResponse `readOnly`).
//!
//! `#[derive(JuteEnum)]` on a `#[repr(i32)]` enum whose variants have explicit values generates
//! the same traits plus `value()`, `From<E> for i32` and `TryFrom<i32>`; unknown values are a
//! decode error unless one variant is `#[jute(other)] Unknown(i32)`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod attr;
mod ctxt;
mod enums;
mod record;
mod types;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Generates Jute encode/decode/length/schema code for a struct; see the crate docs.
#[proc_macro_derive(Jute, attributes(jute))]
pub fn derive_jute(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    record::expand(&input).unwrap_or_else(|e| e).into()
}

/// Generates Jute code for a `#[repr(i32)]` enum; see the crate docs.
#[proc_macro_derive(JuteEnum, attributes(jute))]
pub fn derive_jute_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    enums::expand(&input).unwrap_or_else(|e| e).into()
}
