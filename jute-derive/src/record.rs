//! `#[derive(Jute)]` on a struct with named fields.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericParam, Ident, Lifetime, Type};

use crate::attr::{self, camel_case};
use crate::ctxt::Ctxt;
use crate::types::{check_field_type, option_inner};

struct Field<'a> {
    ident: &'a Ident,
    /// The Jute name.
    name: String,
    /// The declared type.
    ty: &'a Type,
    /// For an optional trailing field, the `T` of its `Option<T>`.
    trailing: Option<&'a Type>,
}

/// A record as parsed and checked: its container attributes, its one lifetime (the input the
/// record borrows from) and its fields in order.
struct Parsed<'a> {
    container: attr::Container,
    lifetime: Option<&'a Lifetime>,
    fields: Vec<Field<'a>>,
}

/// `#[derive(Jute)]`: parse and check the struct (every problem reported at once, with its
/// span), then generate the impls.
pub fn expand(input: &DeriveInput) -> Result<TokenStream, TokenStream> {
    let mut cx = Ctxt::default();
    let parsed = parse(&mut cx, input);
    cx.check()?;
    Ok(generate(input, parsed))
}

/// Reads the struct: its shape (named fields only), generics (at most one lifetime) and
/// fields (attributes, supported types, optional fields trailing). Problems go to `cx`.
fn parse<'a>(cx: &mut Ctxt, input: &'a DeriveInput) -> Parsed<'a> {
    let container = attr::Container::parse(cx, &input.attrs, false);
    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => Some(&n.named),
            Fields::Unnamed(_) | Fields::Unit => {
                cx.error_spanned_by(
                    &input.ident,
                    "#[derive(Jute)] needs a struct with named fields (the Jute field names)",
                );
                None
            }
        },
        Data::Enum(_) => {
            cx.error_spanned_by(
                &input.ident,
                "#[derive(Jute)] is for records (structs); use #[derive(JuteEnum)] with \
                 #[repr(i32)] for an enum",
            );
            None
        }
        Data::Union(_) => {
            cx.error_spanned_by(
                &input.ident,
                "#[derive(Jute)] does not support unions; Jute records are structs",
            );
            None
        }
    };

    let mut lifetime: Option<&Lifetime> = None;
    for param in &input.generics.params {
        match param {
            GenericParam::Lifetime(l) if lifetime.is_none() => lifetime = Some(&l.lifetime),
            GenericParam::Lifetime(l) => cx.error_spanned_by(
                l,
                "#[derive(Jute)] supports at most one lifetime (the input the record borrows from)",
            ),
            other => cx.error_spanned_by(
                other,
                "#[derive(Jute)] does not support type or const parameters",
            ),
        }
    }

    let mut fields = Vec::new();
    let mut seen_optional = false;
    for f in named.into_iter().flatten() {
        let fa = attr::Field::parse(cx, &f.attrs);
        let Some(ident) = &f.ident else { continue };
        check_field_type(cx, &f.ty);
        let trailing = if fa.optional {
            let inner = option_inner(&f.ty);
            if inner.is_none() {
                cx.error_spanned_by(
                    &f.ty,
                    "#[jute(optional)] marks a trailing field that may be absent: its type must be \
                     Option<T>",
                );
            }
            seen_optional = true;
            inner
        } else {
            if seen_optional {
                cx.error_spanned_by(
                    ident,
                    "only trailing fields can be #[jute(optional)]: this field follows an \
                     optional one",
                );
            }
            None
        };
        fields.push(Field {
            ident,
            name: fa.rename.unwrap_or_else(|| camel_case(&ident.to_string())),
            ty: &f.ty,
            trailing,
        });
    }
    Parsed {
        container,
        lifetime,
        fields,
    }
}

/// The impls of a parsed record: Encode, Decode, Typed, Record (its schema), ToValue, and
/// FromValue for records that own their data.
fn generate(input: &DeriveInput, parsed: Parsed<'_>) -> TokenStream {
    let Parsed {
        container,
        lifetime,
        fields,
    } = parsed;
    let krate = container.krate_path();
    let ident = &input.ident;
    let name = container.name.unwrap_or_else(|| ident.to_string());
    let module = container.module.unwrap_or_default();
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let de: Lifetime = lifetime
        .cloned()
        .unwrap_or_else(|| Lifetime::new("'de", proc_macro2::Span::call_site()));
    let decode_generics = if lifetime.is_some() {
        quote!(<#de>)
    } else {
        quote!(<'de>)
    };

    let encode = fields.iter().map(|f| {
        let id = f.ident;
        if f.trailing.is_some() {
            quote!(if let ::core::option::Option::Some(v) = &self.#id {
                #krate::Encode::encode(v, buf);
            })
        } else {
            quote!(#krate::Encode::encode(&self.#id, buf);)
        }
    });
    let len = fields.iter().map(|f| {
        let id = f.ident;
        if f.trailing.is_some() {
            quote!(+ self.#id.as_ref().map_or(0, #krate::Encode::encoded_len))
        } else {
            quote!(+ #krate::Encode::encoded_len(&self.#id))
        }
    });
    let min_len = fields.iter().filter(|f| f.trailing.is_none()).map(|f| {
        let ty = f.ty;
        quote!(+ <#ty as #krate::Decode<#de>>::MIN_LEN)
    });
    let decode = decode_fields(&krate, &de, &name, &fields);
    let decode2 = decode.clone();
    let idents: Vec<_> = fields.iter().map(|f| f.ident).collect();
    let field_schemas = fields.iter().map(|f| {
        let fname = &f.name;
        let ty = f.trailing.unwrap_or(f.ty);
        let optional = f.trailing.is_some();
        quote!(#krate::FieldSchema {
            name: #fname,
            ty: <#ty as #krate::Typed>::TYPE,
            optional: #optional,
        })
    });
    let to_value = fields.iter().map(|f| {
        let id = f.ident;
        let fname = &f.name;
        if f.trailing.is_some() {
            quote!(if let ::core::option::Option::Some(v) = &self.#id {
                fields.push((::std::string::String::from(#fname), #krate::ToValue::to_value(v)));
            })
        } else {
            quote!(fields.push((
                ::std::string::String::from(#fname),
                #krate::ToValue::to_value(&self.#id),
            ));)
        }
    });
    let field_count = fields.len();

    let from_value = if lifetime.is_none() {
        from_value_impl(&krate, ident, &name, &fields)
    } else {
        quote!()
    };

    quote! {
        impl #impl_generics #krate::Encode for #ident #ty_generics {
            #[inline]
            fn encode<B: #krate::bytes::BufMut + ?::core::marker::Sized>(&self, buf: &mut B) {
                #(#encode)*
            }
            #[inline]
            fn encoded_len(&self) -> usize {
                0 #(#len)*
            }
        }

        impl #decode_generics #krate::Decode<#de> for #ident #ty_generics {
            const MIN_LEN: usize = 0 #(#min_len)*;
            #[inline]
            fn decode(reader: &mut #krate::Reader<#de>) -> ::core::result::Result<Self, #krate::DecodeError> {
                // One length check up front lets the compiler drop the per-field checks of the
                // fixed-size prefix; the second copy keeps precise errors for short input.
                if reader.remaining() >= <Self as #krate::Decode<#de>>::MIN_LEN {
                    #(#decode)*
                    ::core::result::Result::Ok(Self { #(#idents),* })
                } else {
                    #(#decode2)*
                    ::core::result::Result::Ok(Self { #(#idents),* })
                }
            }
        }

        impl #impl_generics #krate::Typed for #ident #ty_generics {
            const TYPE: #krate::JuteType = #krate::JuteType::Record(&<Self as #krate::Record>::SCHEMA);
        }

        impl #impl_generics #krate::Record for #ident #ty_generics {
            const SCHEMA: #krate::RecordSchema = #krate::RecordSchema {
                module: #module,
                name: #name,
                fields: &[#(#field_schemas),*],
            };
        }

        impl #impl_generics #krate::ToValue for #ident #ty_generics {
            fn to_value(&self) -> #krate::Value {
                let mut fields = ::std::vec::Vec::with_capacity(#field_count);
                #(#to_value)*
                #krate::Value::Record(fields)
            }
        }

        #from_value
    }
}

/// FromValue, for a record that owns its data: each field read from the value by its Jute
/// name (an optional one may be absent), unknown fields refused.
fn from_value_impl(
    krate: &TokenStream,
    ident: &Ident,
    name: &str,
    fields: &[Field<'_>],
) -> TokenStream {
    let idents = fields.iter().map(|f| f.ident);
    let names = fields.iter().map(|f| &f.name);
    let reads = fields.iter().map(|f| {
        let id = f.ident;
        let fname = &f.name;
        let conv = |ty: &Type| {
            quote!(<#ty as #krate::FromValue>::from_value(v).map_err(|e| e.at(#fname))?)
        };
        match f.trailing {
            Some(inner) => {
                let c = conv(inner);
                quote!(let #id = match #krate::value::optional_field(value, #name, #fname)? {
                    ::core::option::Option::Some(v) => ::core::option::Option::Some(#c),
                    ::core::option::Option::None => ::core::option::Option::None,
                };)
            }
            None => {
                let c = conv(f.ty);
                quote!(let #id = {
                    let v = #krate::value::required_field(value, #name, #fname)?;
                    #c
                };)
            }
        }
    });
    quote! {
        impl #krate::FromValue for #ident {
            fn from_value(value: &#krate::Value) -> ::core::result::Result<Self, #krate::ValueError> {
                #krate::value::check_record_fields(value, #name, &[#(#names),*])?;
                #(#reads)*
                ::core::result::Result::Ok(Self { #(#idents),* })
            }
        }
    }
}

/// The statements that decode each field in order (an optional trailing field is absent when
/// the input ends before it), errors naming the record and the field.
fn decode_fields(
    krate: &TokenStream,
    de: &Lifetime,
    name: &str,
    fields: &[Field<'_>],
) -> Vec<TokenStream> {
    let decode = fields.iter().map(|f| {
        let id = f.ident;
        let fname = &f.name;
        let read = |ty: &Type| {
            quote_spanned!(ty.span()=> <#ty as #krate::Decode<#de>>::decode(reader)
                .map_err(|e| e.within(#name, ::core::option::Option::Some(#fname)))?)
        };
        match f.trailing {
            Some(inner) => {
                let r = read(inner);
                quote!(let #id = if reader.is_empty() {
                    ::core::option::Option::None
                } else {
                    ::core::option::Option::Some(#r)
                };)
            }
            None => {
                let r = read(f.ty);
                quote!(let #id = #r;)
            }
        }
    });
    decode.collect()
}
