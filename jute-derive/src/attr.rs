//! The `#[jute(...)]` attributes.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path};

use crate::ctxt::Ctxt;

pub const JUTE: &str = "jute";
pub const MODULE: &str = "module";
pub const NAME: &str = "name";
pub const CRATE: &str = "crate";
pub const RENAME: &str = "rename";
pub const OPTIONAL: &str = "optional";
pub const OTHER: &str = "other";

/// Attributes on the struct or enum itself.
#[derive(Default)]
pub struct Container {
    pub module: Option<String>,
    pub name: Option<String>,
    pub krate: Option<Path>,
}

/// Attributes on a field.
#[derive(Default)]
pub struct Field {
    pub rename: Option<String>,
    pub optional: bool,
}

/// Attributes on an enum variant.
#[derive(Default)]
pub struct Variant {
    pub other: bool,
}

fn string_value(meta: &ParseNestedMeta) -> syn::Result<String> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(lit.value())
}

fn each_jute_attr(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(&ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(JUTE)) {
        if let Err(e) = attr.parse_nested_meta(|meta| f(&meta)) {
            cx.push(e);
        }
    }
}

fn unknown(meta: &ParseNestedMeta, expected: &str) -> syn::Error {
    let name = meta
        .path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| "?".into());
    meta.error(format!(
        "unknown jute attribute `{name}`; expected {expected}"
    ))
}

impl Container {
    /// The path of the `jute` crate the generated code names (`#[jute(crate = ...)]`, or
    /// `::jute`).
    pub fn krate_path(&self) -> proc_macro2::TokenStream {
        match &self.krate {
            Some(p) => quote::quote!(#p),
            None => quote::quote!(::jute),
        }
    }

    pub fn parse(cx: &mut Ctxt, attrs: &[Attribute], for_enum: bool) -> Self {
        let mut out = Container::default();
        each_jute_attr(cx, attrs, |meta| {
            if meta.path.is_ident(MODULE) && !for_enum {
                out.module = Some(string_value(meta)?);
            } else if meta.path.is_ident(NAME) {
                out.name = Some(string_value(meta)?);
            } else if meta.path.is_ident(CRATE) {
                let lit: LitStr = meta.value()?.parse()?;
                out.krate = Some(lit.parse()?);
            } else if for_enum {
                return Err(unknown(meta, "`name` or `crate`"));
            } else {
                return Err(unknown(meta, "`module`, `name` or `crate`"));
            }
            Ok(())
        });
        out
    }
}

impl Field {
    pub fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Field::default();
        each_jute_attr(cx, attrs, |meta| {
            if meta.path.is_ident(RENAME) {
                out.rename = Some(string_value(meta)?);
            } else if meta.path.is_ident(OPTIONAL) {
                out.optional = true;
            } else {
                return Err(unknown(meta, "`rename` or `optional`"));
            }
            Ok(())
        });
        out
    }
}

impl Variant {
    pub fn parse(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Variant::default();
        each_jute_attr(cx, attrs, |meta| {
            if meta.path.is_ident(OTHER) {
                out.other = true;
            } else {
                return Err(unknown(meta, "`other`"));
            }
            Ok(())
        });
        out
    }
}

/// `snake_case` to the `camelCase` Jute uses: `last_zxid_seen` → `lastZxidSeen`,
/// `parent_c_version` → `parentCVersion`.
pub fn camel_case(ident: &str) -> String {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    let mut out = String::with_capacity(ident.len());
    let mut upper = false;
    for ch in ident.chars() {
        if ch == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}
