//! Rust names for Jute names.

/// Rust's keywords (2021 edition, reserved ones included): a field named after one is written
/// as a raw identifier.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "union", "unsafe", "unsized",
    "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers: a trailing `_` is added instead.
const NOT_RAW: &[&str] = &["crate", "self", "super", "Self", "_"];

/// `camelCase` (or any Jute field name) to `snake_case`: `lastZxidSeen` → `last_zxid_seen`,
/// `parentCVersion` → `parent_c_version`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The Jute name `#[derive(Jute)]` gives a field named `ident` (its documented rule: `_x`
/// becomes `X`): when it differs from the real name, the field needs `#[jute(rename)]`.
pub fn derived_jute_name(ident: &str) -> String {
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

/// `name` as a Rust identifier: raw when it is a keyword.
pub fn ident(name: &str) -> String {
    if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// The default Rust module for a Jute module: its last segment in snake case
/// (`org.apache.zookeeper.server.quorum` → `quorum`).
pub fn module(jute_module: &str) -> String {
    let last = jute_module.rsplit('.').next().unwrap_or(jute_module);
    ident(&snake_case(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake_case("lastZxidSeen"), "last_zxid_seen");
        assert_eq!(snake_case("parentCVersion"), "parent_c_version");
        assert_eq!(snake_case("czxid"), "czxid");
        assert_eq!(snake_case("ACL"), "a_c_l");
        assert_eq!(derived_jute_name("parent_c_version"), "parentCVersion");
        assert_eq!(derived_jute_name("r#type"), "type");
        assert_eq!(ident("type"), "r#type");
        assert_eq!(ident("self"), "self_");
        assert_eq!(module("org.apache.zookeeper.server.quorum"), "quorum");
        assert_eq!(module("a.Mod"), "r#mod");
    }
}
