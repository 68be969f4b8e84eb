//! What jute-build generates, and the errors it gives, on small schemas. (The generated code
//! is compiled by the workspace's `zk-conformance-tests` and `jute-build-example` crates.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use jute_build::{Config, Error};

fn generate(config: &Config, src: &str) -> Result<String, Error> {
    config.generate(&[("t.jute", src)])
}

fn error(config: &Config, files: &[(&str, &str)]) -> String {
    match config.generate(files) {
        Ok(code) => panic!("generated:\n{code}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_idl_is_named_by_file_line_and_column() {
    let c = Config::new();
    assert_eq!(
        error(&c, &[("a.jute", "module m {\n  class A { Nope n; }\n}")]),
        "a.jute:2:13: unknown record type `m.Nope`"
    );
    assert_eq!(
        error(
            &c,
            &[("a.jute", "module m {\n  class A { int x;\n    long x; }\n}")]
        ),
        "a.jute:3:10: field `x` is defined twice in A"
    );
    assert_eq!(
        error(
            &c,
            &[("a.jute", "module m { class A { int x; } }\n\n /* licence")]
        ),
        "a.jute:3:2: unterminated /* comment"
    );
    assert_eq!(
        error(&c, &[("a.jute", "module m { class A { int x } }")]),
        "a.jute:1:28: expected `;`, found `}`"
    );
    // Across files: the second file's error names it.
    assert_eq!(
        error(
            &c,
            &[
                ("a.jute", "module m { class A { int x; } }"),
                ("b.jute", "module n {\n class B { m.A a; m.C c; } }")
            ]
        ),
        "b.jute:2:19: unknown record type `m.C`"
    );
    assert_eq!(
        error(
            &c,
            &[
                ("a.jute", "module m { class A { int x; } }"),
                ("b.jute", "module m {\n class A { int y; } }")
            ]
        ),
        "b.jute:2:1: class m.A is defined twice"
    );
}

#[test]
fn options_must_name_what_the_files_define() {
    let src = "module m { class A { int x; int y; boolean z; } }";
    let mut c = Config::new();
    c.optional("m.A.w");
    assert!(error(&c, &[("t.jute", src)]).contains("optional field `m.A.w`: no such field"));
    let mut c = Config::new();
    c.optional("m.A.y");
    assert!(error(&c, &[("t.jute", src)]).contains("must be trailing: every field after `y`"));
    let mut c = Config::new();
    c.field_type("m.B.x", "u32");
    assert!(error(&c, &[("t.jute", src)]).contains("field type for `m.B.x`: no such field"));
    let mut c = Config::new();
    c.derive("n", "Hash");
    assert!(error(&c, &[("t.jute", src)]).contains("derive for `n`: no such module or record"));
    let mut c = Config::new();
    c.module_name("n", "x");
    assert!(error(&c, &[("t.jute", src)]).contains("module name for `n`: no such module"));
    let mut c = Config::new();
    c.optional("m.A.y").optional("m.A.z");
    let code = generate(&c, src).unwrap();
    assert!(
        code.contains("#[jute(optional)]\n        pub y: Option<i32>,"),
        "{code}"
    );
    assert!(
        code.contains("#[jute(optional)]\n        pub z: Option<bool>,"),
        "{code}"
    );
}

#[test]
fn schemas_rust_cannot_express_are_errors() {
    let c = Config::new();
    let e = error(
        &c,
        &[(
            "t.jute",
            "module a.x { class A { int i; } } module b.x { class B { int i; } }",
        )],
    );
    assert!(
        e.contains("modules `a.x` and `b.x` would both be Rust module `x`"),
        "{e}"
    );
    let mut renamed = Config::new();
    renamed.module_name("b.x", "bx");
    let code = renamed
        .generate(&[(
            "t.jute",
            "module a.x { class A { b.x.B b; } } module b.x { class B { int i; } }",
        )])
        .unwrap();
    assert!(
        code.contains("pub mod bx {") && code.contains("pub b: super::bx::B,"),
        "{code}"
    );

    let e = error(
        &c,
        &[(
            "t.jute",
            "module m {\n class A { B b; }\n class B { int i; A a; } }",
        )],
    );
    assert!(e.contains("contains itself by value"), "{e}");
    // Through a vector it is fine.
    generate(&c, "module m { class A { vector<A> children; } }").unwrap();

    let e = error(
        &c,
        &[("t.jute", "module m {\n class A { map<double,int> m; } }")],
    );
    assert!(
        e.contains("record m.A (line 2), field `m`: a map key must be"),
        "{e}"
    );
    let e = error(
        &c,
        &[(
            "t.jute",
            "module m { class A { int fooBar; int foo_bar; } }",
        )],
    );
    assert!(
        e.contains("fields `fooBar` and `foo_bar` of") || e.contains("would both be `foo_bar`"),
        "{e}"
    );
}

#[test]
fn names_types_and_derives() {
    let src = "module org.example.Kinds {\n\
               class String { ustring s; }\n\
               class Float { float f; }\n\
               class UsesFloat { vector<Float> fs; }\n\
               class Names { int type; long ABC; boolean x_y; int self; }\n\
               class Maps { map<ustring, vector<buffer>> m; }\n\
               }";
    let mut c = Config::new();
    c.derive("org.example.Kinds.Names", "Hash")
        .field_type("org.example.Kinds.Maps.m", "MyMap");
    let code = generate(&c, src).unwrap();
    // A record named String shadows the prelude's: the generated code spells std's out.
    assert!(code.contains("pub struct String {"), "{code}");
    assert!(
        code.contains("pub s: Option<::std::string::String>,"),
        "{code}"
    );
    assert!(code.contains("pub mod kinds {"), "{code}");
    // No Eq where a float is held, directly or through another record.
    assert!(code.contains("#[derive(Debug, Clone, PartialEq, Default, ::jute::Jute)]\n    #[jute(module = \"org.example.Kinds\")]\n    pub struct Float"), "{code}");
    assert!(code.contains("#[derive(Debug, Clone, PartialEq, Default, ::jute::Jute)]\n    #[jute(module = \"org.example.Kinds\")]\n    pub struct UsesFloat"), "{code}");
    assert!(
        code.contains("#[derive(Debug, Clone, PartialEq, Eq, Default, ::jute::Jute, Hash)]"),
        "{code}"
    );
    // Keywords and names the camel-case rule would not give back.
    assert!(code.contains("pub r#type: i32,"), "{code}");
    assert!(
        code.contains("#[jute(rename = \"ABC\")]\n        pub a_b_c: i64,"),
        "{code}"
    );
    assert!(
        code.contains("#[jute(rename = \"x_y\")]\n        pub x_y: bool,"),
        "{code}"
    );
    // `self` cannot be a raw identifier; `self_` maps back to `self` by the derive's rule.
    assert!(
        code.contains("/// `int self`\n        pub self_: i32,"),
        "{code}"
    );
    assert!(code.contains("pub m: MyMap,"), "{code}");
    // Registry entries for each record.
    assert!(
        code.contains("\"org.example.Kinds.Maps\" => <kinds::Maps as ::jute::FromValue>"),
        "{code}"
    );
}

#[test]
fn another_jute_crate_path() {
    let mut c = Config::new();
    c.jute_crate("::my_rt::jute");
    let code = generate(&c, "module m { class A { int i; } }").unwrap();
    assert!(
        code.contains("#[derive(Debug, Clone, PartialEq, Eq, Default, ::my_rt::jute::Jute)]"),
        "{code}"
    );
    assert!(
        code.contains("#[jute(module = \"m\", crate = \"::my_rt::jute\")]"),
        "{code}"
    );
}

#[test]
fn records_whose_rust_names_collide_are_an_error_naming_both() {
    let e = error(
        &Config::new(),
        &[(
            "a.jute",
            "module m {\n class Self { int x; }\n class Self_ { int y; } }",
        )],
    );
    assert_eq!(
        e,
        "records m.Self (line 2) and m.Self_ (line 3) would both be `Self_` in Rust module `m`; rename one or put it in a module of its own (Config::module_name)"
    );
}

#[test]
fn keyword_class_names_are_raw_or_renamed_and_comments_stay_on_one_line() {
    let code = generate(
        &Config::new(),
        "module m { class type { int fn; // a\r b\n } class Self { type t; } }",
    )
    .unwrap();
    assert!(
        code.contains("#[jute(name = \"type\")]\n    pub struct r#type {"),
        "{code}"
    );
    assert!(
        code.contains("#[jute(name = \"Self\")]\n    pub struct Self_ {"),
        "{code}"
    );
    assert!(code.contains("pub t: r#type,"), "{code}");
    assert!(code.contains("/// `int fn`: a  b\n"), "{code}");
    assert!(!code.contains('\r'));
}

/// Large schemas cost linear time: a class of 200,000 fields and 100,000 modules (24 s and
/// 95 s for 160,000 and 80,000 before, quadratic in both).
#[test]
fn a_huge_class_and_many_modules_generate_in_linear_time() {
    let fields: String = (0..200_000).map(|i| format!("int f{i};\n")).collect();
    let code = generate(
        &Config::new(),
        &format!("module m {{ class A {{\n{fields}}} }}"),
    )
    .unwrap();
    assert!(code.contains("pub f199999: i32,"));
    let modules: String = (0..100_000)
        .map(|i| format!("module m{i} {{ class A{i} {{ int x; }} }}\n"))
        .collect();
    let code = generate(&Config::new(), &modules).unwrap();
    assert!(code.contains("pub mod m99999 {"));
}
