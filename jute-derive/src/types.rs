//! Which Rust field types can stand for a Jute type, checked before any code is generated so a
//! misuse gets a message on the field rather than a trait-bound error.

use syn::{GenericArgument, PathArguments, Type};

use crate::ctxt::Ctxt;

/// Reports every part of `ty` that no Jute type maps to.
pub fn check_field_type(cx: &mut Ctxt, ty: &Type) {
    check(cx, ty, false);
}

fn check(cx: &mut Ctxt, ty: &Type, byte_container: bool) {
    match ty {
        Type::Path(p) => {
            if p.qself.is_some() {
                return;
            }
            let Some(last) = p.path.segments.last() else {
                return;
            };
            let name = last.ident.to_string();
            let hint = match name.as_str() {
                "u8" if !byte_container => {
                    Some("Jute `byte` is signed: use i8 (or Vec<u8> for a buffer)")
                }
                "u16" | "u32" | "u64" | "u128" | "usize" => {
                    Some("Jute has no unsigned integers: use i32 (`int`) or i64 (`long`)")
                }
                "i16" | "i128" | "isize" => {
                    Some("Jute integers are i8 (`byte`), i32 (`int`) and i64 (`long`)")
                }
                "char" => Some("Jute has no char type: use String (`ustring`)"),
                "HashMap" => Some("Jute maps are written in key order: use BTreeMap"),
                "HashSet" | "BTreeSet" => Some("Jute has no set type: use Vec (`vector`)"),
                _ => None,
            };
            if let Some(hint) = hint {
                cx.error_spanned_by(ty, format!("unsupported field type `{name}`: {hint}"));
                return;
            }
            let is_vec = name == "Vec";
            if let PathArguments::AngleBracketed(args) = &last.arguments {
                for arg in &args.args {
                    if let GenericArgument::Type(inner) = arg {
                        check(cx, inner, is_vec);
                    }
                }
            }
        }
        Type::Reference(r) => match &*r.elem {
            Type::Slice(s) => check(cx, &s.elem, true),
            Type::Path(_) => check(cx, &r.elem, false),
            other => unsupported(cx, other),
        },
        Type::Paren(p) => check(cx, &p.elem, byte_container),
        Type::Group(g) => check(cx, &g.elem, byte_container),
        other => unsupported(cx, other),
    }
}

fn unsupported(cx: &mut Ctxt, ty: &Type) {
    let what = match ty {
        Type::Tuple(_) => "tuples",
        Type::Array(_) => "arrays",
        Type::Slice(_) => "bare slices",
        Type::Ptr(_) => "raw pointers",
        Type::BareFn(_) => "function pointers",
        Type::TraitObject(_) | Type::ImplTrait(_) => "trait objects",
        Type::Never(_) => "the never type",
        _ => "this kind of type",
    };
    cx.error_spanned_by(
        ty,
        format!(
            "unsupported field type: {what} have no Jute encoding; use i8, bool, i32, i64, f32, \
             f64, String, Vec<u8>, Vec<T>, BTreeMap<K, V>, Option<...> or a record"
        ),
    );
}

/// `T` of `Option<T>`, if `ty` is spelled as an `Option`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}
