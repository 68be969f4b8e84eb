//! `#[derive(JuteEnum)]` on a `#[repr(i32)]` enum: an `int` on the wire.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Expr, Fields};

use crate::attr;
use crate::ctxt::Ctxt;

/// An enum as parsed and checked: its container attributes, its valued variants and the one
/// that keeps unknown values, if any.
struct Parsed<'a> {
    container: attr::Container,
    known: Vec<(&'a syn::Ident, &'a Expr)>,
    other: Option<&'a syn::Ident>,
}

/// `#[derive(JuteEnum)]`: parse and check the enum (every problem reported at once), then
/// generate the impls.
pub fn expand(input: &DeriveInput) -> Result<TokenStream, TokenStream> {
    let mut cx = Ctxt::default();
    let parsed = parse(&mut cx, input);
    cx.check()?;
    match parsed {
        Some(parsed) => Ok(generate(input, parsed)),
        // `parse` reports why before giving up, so `check` has returned that already.
        None => Err(quote!(::core::compile_error!(
            "#[derive(JuteEnum)] could not read the enum"
        ))),
    }
}

/// Reads the enum: `#[repr(i32)]`, no generics, unit variants with explicit values and at
/// most one `#[jute(other)]` variant holding an i32. Problems go to `cx`; `None` when it is
/// not an enum at all.
fn parse<'a>(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Parsed<'a>> {
    let container = attr::Container::parse(cx, &input.attrs, true);

    let mut repr_i32 = false;
    for a in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let _ = a.parse_nested_meta(|m| {
            if m.path.is_ident("i32") {
                repr_i32 = true;
            }
            Ok(())
        });
    }

    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "#[derive(JuteEnum)] is for #[repr(i32)] enums; use #[derive(Jute)] for records",
        );
        return None;
    };
    if !repr_i32 {
        cx.error_spanned_by(
            &input.ident,
            "#[derive(JuteEnum)] needs #[repr(i32)]: the enum is an `int` on the wire",
        );
    }
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "#[derive(JuteEnum)] does not support generics",
        );
    }

    let mut known: Vec<(&syn::Ident, &Expr)> = Vec::new();
    let mut other: Option<&syn::Ident> = None;
    for v in &data.variants {
        let va = attr::Variant::parse(cx, &v.attrs);
        if va.other {
            let is_i32_tuple = matches!(&v.fields, Fields::Unnamed(u) if u.unnamed.len() == 1);
            if !is_i32_tuple {
                cx.error_spanned_by(
                    v,
                    "#[jute(other)] goes on a variant with one i32 field that keeps unknown values",
                );
            } else if other.is_some() {
                cx.error_spanned_by(v, "only one variant can be #[jute(other)]");
            } else {
                other = Some(&v.ident);
            }
            continue;
        }
        if !matches!(v.fields, Fields::Unit) {
            cx.error_spanned_by(
                v,
                "JuteEnum variants are unit variants with a value (`Name = 1`), or one \
                 #[jute(other)] variant holding an i32",
            );
            continue;
        }
        match &v.discriminant {
            Some((_, expr)) => known.push((&v.ident, expr)),
            None => cx.error_spanned_by(
                v,
                "JuteEnum variants need an explicit value (`Name = 1`): it is the wire value",
            ),
        }
    }
    Some(Parsed {
        container,
        known,
        other,
    })
}

/// The impls of a parsed enum: `value()`, the conversions to and from i32, Encode, Decode,
/// Typed, ToValue and FromValue.
fn generate(input: &DeriveInput, parsed: Parsed<'_>) -> TokenStream {
    let Parsed {
        container,
        known,
        other,
    } = parsed;

    let krate = container.krate_path();
    let ident = &input.ident;
    let name = container.name.unwrap_or_else(|| ident.to_string());
    let consts: Vec<_> = known
        .iter()
        .enumerate()
        .map(|(i, _)| format_ident!("__JUTE_VALUE_{}", i))
        .collect();
    let exprs = known.iter().map(|(_, e)| e);
    let variants: Vec<_> = known.iter().map(|(v, _)| *v).collect();
    let (fallback, to_other) = match other {
        Some(o) => (
            quote!(v => ::core::result::Result::Ok(#ident::#o(v))),
            quote!(#ident::#o(v) => *v,),
        ),
        None => (
            quote!(v => ::core::result::Result::Err(#krate::DecodeErrorKind::UnknownEnumValue { name: #name, value: v })),
            quote!(),
        ),
    };

    quote! {
        impl #ident {
            #(const #consts: i32 = #exprs;)*

            /// The wire value.
            pub fn value(&self) -> i32 {
                match self {
                    #(#ident::#variants => Self::#consts,)*
                    #to_other
                }
            }
        }

        impl ::core::convert::From<#ident> for i32 {
            fn from(v: #ident) -> i32 {
                v.value()
            }
        }

        impl ::core::convert::TryFrom<i32> for #ident {
            type Error = #krate::DecodeErrorKind;
            fn try_from(v: i32) -> ::core::result::Result<Self, #krate::DecodeErrorKind> {
                match v {
                    #(#ident::#consts => ::core::result::Result::Ok(#ident::#variants),)*
                    #fallback
                }
            }
        }

        impl #krate::Encode for #ident {
            #[inline]
            fn encode<B: #krate::bytes::BufMut + ?::core::marker::Sized>(&self, buf: &mut B) {
                buf.put_i32(self.value());
            }
            #[inline]
            fn encoded_len(&self) -> usize {
                4
            }
        }

        impl<'de> #krate::Decode<'de> for #ident {
            const MIN_LEN: usize = 4;
            fn decode(reader: &mut #krate::Reader<'de>) -> ::core::result::Result<Self, #krate::DecodeError> {
                let at = reader.position();
                let v = reader.read_i32()?;
                <Self as ::core::convert::TryFrom<i32>>::try_from(v)
                    .map_err(|kind| #krate::DecodeError::new(kind, at))
            }
        }

        impl #krate::Typed for #ident {
            const TYPE: #krate::JuteType = #krate::JuteType::Int;
        }

        impl #krate::ToValue for #ident {
            fn to_value(&self) -> #krate::Value {
                #krate::Value::Int(self.value())
            }
        }

        impl #krate::FromValue for #ident {
            fn from_value(value: &#krate::Value) -> ::core::result::Result<Self, #krate::ValueError> {
                let v = <i32 as #krate::FromValue>::from_value(value)?;
                <Self as ::core::convert::TryFrom<i32>>::try_from(v)
                    .map_err(|kind| #krate::ValueError::new(kind.to_string()))
            }
        }
    }
}
