//! A parser for the Jute IDL (`.jute` files): modules, classes and field types.
//!
//! Grammar (ZooKeeper's `rcc.jj`): `module a.b.c { class Name { type field; ... } ... }`, with
//! `//` and `/* */` comments, `include "file";` lines (recorded, not followed), the primitive
//! types `byte boolean int long float double ustring buffer`, `vector<T>`, `map<K,V>`, and record
//! references by fully qualified name or by bare name within the same module.
//!
//! ```
//! let file = jute::idl::parse("module m { class A { int x; vector<B> bs; } class B { ustring s; } }")?;
//! let a = file.record("m.A").unwrap();
//! assert_eq!(a.fields[1].ty.to_string(), "vector<m.B>");
//! # Ok::<(), jute::idl::IdlError>(())
//! ```

use std::fmt;

/// A parsed `.jute` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    /// `include` lines, in order.
    pub includes: Vec<String>,
    /// Modules in file order.
    pub modules: Vec<Module>,
}

/// `module name { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Dotted module name.
    pub name: String,
    /// Classes in declaration order.
    pub records: Vec<RecordDef>,
}

/// `class Name { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDef {
    /// The module it is declared in.
    pub module: String,
    /// The class name.
    pub name: String,
    /// Fields in declaration (= wire) order.
    pub fields: Vec<FieldDef>,
    /// 1-based line of the `class` keyword.
    pub line: usize,
}

impl RecordDef {
    /// `module.name`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// `type name;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// Field name.
    pub name: String,
    /// Field type, with record references resolved to fully qualified names.
    pub ty: Type,
    /// A `//` comment after the field on its line (`long czxid; // created zxid`), trimmed.
    pub comment: Option<String>,
}

/// A field type. `Display` gives the same spelling as [`crate::JuteType`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `byte`.
    Byte,
    /// `boolean`.
    Boolean,
    /// `int`.
    Int,
    /// `long`.
    Long,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `ustring`.
    UString,
    /// `buffer`.
    Buffer,
    /// `vector<T>`.
    Vector(Box<Type>),
    /// `map<K,V>`.
    Map(Box<Type>, Box<Type>),
    /// A record, by fully qualified name.
    Record(String),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Byte => f.write_str("byte"),
            Type::Boolean => f.write_str("boolean"),
            Type::Int => f.write_str("int"),
            Type::Long => f.write_str("long"),
            Type::Float => f.write_str("float"),
            Type::Double => f.write_str("double"),
            Type::UString => f.write_str("ustring"),
            Type::Buffer => f.write_str("buffer"),
            Type::Vector(t) => write!(f, "vector<{t}>"),
            Type::Map(k, v) => write!(f, "map<{k},{v}>"),
            Type::Record(name) => f.write_str(name),
        }
    }
}

impl File {
    /// Every record of every module, in file order.
    pub fn records(&self) -> impl Iterator<Item = &RecordDef> {
        self.modules.iter().flat_map(|m| m.records.iter())
    }

    /// The record with this fully qualified name.
    pub fn record(&self, qualified: &str) -> Option<&RecordDef> {
        self.records().find(|r| r.qualified_name() == qualified)
    }
}

/// A syntax or reference error, with its line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct IdlError {
    /// What was wrong.
    pub message: String,
    /// Line of the offending token.
    pub line: usize,
    /// Column of the offending token.
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
    column: usize,
}

/// `//` comments that follow a token on their line: (line, text), in line order.
type LineComments = Vec<(usize, String)>;

/// The tokens of `src`, and its [`LineComments`].
fn lex(src: &str) -> Result<(Vec<Token>, LineComments), IdlError> {
    let chars: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut col) = (0, 1, 1);
    let mut out: Vec<Token> = Vec::new();
    let mut comments = Vec::new();
    let err = |message: &str, line, column| IdlError {
        message: message.to_string(),
        line,
        column,
    };
    while i < chars.len() {
        let c = chars[i];
        let (tl, tc) = (line, col);
        let advance = |i: &mut usize, line: &mut usize, col: &mut usize| {
            if chars[*i] == '\n' {
                *line += 1;
                *col = 1;
            } else {
                *col += 1;
            }
            *i += 1;
        };
        if c.is_whitespace() {
            advance(&mut i, &mut line, &mut col);
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            let mut text = String::new();
            while i < chars.len() && chars[i] != '\n' {
                text.push(chars[i]);
                advance(&mut i, &mut line, &mut col);
            }
            if out.last().is_some_and(|t| t.line == tl) {
                comments.push((tl, text[2..].trim().to_string()));
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            advance(&mut i, &mut line, &mut col);
            advance(&mut i, &mut line, &mut col);
            loop {
                if i + 1 >= chars.len() {
                    return Err(err("unterminated /* comment", tl, tc));
                }
                if chars[i] == '*' && chars[i + 1] == '/' {
                    advance(&mut i, &mut line, &mut col);
                    advance(&mut i, &mut line, &mut col);
                    break;
                }
                advance(&mut i, &mut line, &mut col);
            }
        } else if c.is_ascii_alphabetic() {
            let mut s = String::new();
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                s.push(chars[i]);
                advance(&mut i, &mut line, &mut col);
            }
            out.push(Token {
                tok: Tok::Ident(s),
                line: tl,
                column: tc,
            });
        } else if c == '"' {
            advance(&mut i, &mut line, &mut col);
            let mut s = String::new();
            while i < chars.len() && chars[i] != '"' {
                s.push(chars[i]);
                advance(&mut i, &mut line, &mut col);
            }
            if i >= chars.len() {
                return Err(err("unterminated string", tl, tc));
            }
            advance(&mut i, &mut line, &mut col);
            out.push(Token {
                tok: Tok::Str(s),
                line: tl,
                column: tc,
            });
        } else if "{}<>,;".contains(c) {
            out.push(Token {
                tok: Tok::Punct(c),
                line: tl,
                column: tc,
            });
            advance(&mut i, &mut line, &mut col);
        } else {
            return Err(err(&format!("unexpected character {c:?}"), tl, tc));
        }
    }
    Ok((out, comments))
}

/// How deeply `vector` and `map` may nest: far more than any schema needs, and a bound on the
/// parser's recursion for hostile input.
pub const MAX_TYPE_DEPTH: usize = 32;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    end: (usize, usize),
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn error_here(&self, message: String) -> IdlError {
        let (line, column) = self
            .toks
            .get(self.pos)
            .map_or(self.end, |t| (t.line, t.column));
        IdlError {
            message,
            line,
            column,
        }
    }

    fn describe(&self) -> String {
        match self.peek() {
            Some(Tok::Ident(s)) => format!("`{s}`"),
            Some(Tok::Str(s)) => format!("\"{s}\""),
            Some(Tok::Punct(c)) => format!("`{c}`"),
            None => "end of file".into(),
        }
    }

    fn ident(&mut self, what: &str) -> Result<(String, usize), IdlError> {
        match self.toks.get(self.pos) {
            Some(Token {
                tok: Tok::Ident(s),
                line,
                ..
            }) => {
                let out = (s.clone(), *line);
                self.pos += 1;
                Ok(out)
            }
            _ => Err(self.error_here(format!("expected {what}, found {}", self.describe()))),
        }
    }

    fn punct(&mut self, c: char) -> Result<(), IdlError> {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_here(format!("expected `{c}`, found {}", self.describe())))
        }
    }

    fn keyword(&mut self, kw: &str) -> Result<(), IdlError> {
        match self.peek() {
            Some(Tok::Ident(s)) if s == kw => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.error_here(format!("expected `{kw}`, found {}", self.describe()))),
        }
    }

    fn ty(&mut self, module: &str, depth: usize) -> Result<Type, IdlError> {
        if depth > MAX_TYPE_DEPTH {
            return Err(self.error_here(format!(
                "types nested more than {MAX_TYPE_DEPTH} deep (vector and map inside each other)"
            )));
        }
        let (name, _) = self.ident("a type")?;
        Ok(match name.as_str() {
            "byte" => Type::Byte,
            "boolean" => Type::Boolean,
            "int" => Type::Int,
            "long" => Type::Long,
            "float" => Type::Float,
            "double" => Type::Double,
            "ustring" => Type::UString,
            "buffer" => Type::Buffer,
            "vector" => {
                self.punct('<')?;
                let t = self.ty(module, depth + 1)?;
                self.punct('>')?;
                Type::Vector(Box::new(t))
            }
            "map" => {
                self.punct('<')?;
                let k = self.ty(module, depth + 1)?;
                self.punct(',')?;
                let v = self.ty(module, depth + 1)?;
                self.punct('>')?;
                Type::Map(Box::new(k), Box::new(v))
            }
            other if other.contains('.') => Type::Record(other.to_string()),
            other => Type::Record(format!("{module}.{other}")),
        })
    }
}

fn valid_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses a `.jute` file and checks that every record it references is defined in it and that
/// no record or field is defined twice.
pub fn parse(src: &str) -> Result<File, IdlError> {
    let (file, refs) = parse_unresolved(src)?;
    check(&file, &refs).map_err(|(_, e)| e)?;
    Ok(file)
}

/// An [`IdlError`] in one of several files ([`parse_files`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{}:{}: {}", error.line, error.column, error.message)]
pub struct FileError {
    /// The file's name, as given.
    pub file: String,
    /// What was wrong, and where in the file.
    pub error: IdlError,
}

/// Parses several `.jute` files as one schema: a record may reference one defined in another
/// file, and no record may be defined twice across them. `files` are `(name, text)` pairs; the
/// name is only used in errors. The result lists every file's includes and modules, in order.
///
/// ```
/// let a = "module a { class A { b.B b; } }";
/// let b = "module b { class B { int x; } }";
/// let file = jute::idl::parse_files(&[("a.jute", a), ("b.jute", b)])?;
/// assert_eq!(file.record("a.A").unwrap().fields[0].ty.to_string(), "b.B");
/// let e = jute::idl::parse_files(&[("a.jute", a)]).unwrap_err();
/// assert_eq!(e.to_string(), "a.jute:1:22: unknown record type `b.B`");
/// # Ok::<(), jute::idl::FileError>(())
/// ```
pub fn parse_files(files: &[(&str, &str)]) -> Result<File, FileError> {
    let mut all = File::default();
    let mut refs = Vec::new();
    let mut owners = Vec::new();
    for (i, (name, src)) in files.iter().enumerate() {
        let (file, file_refs) = parse_unresolved(src).map_err(|error| FileError {
            file: (*name).to_string(),
            error,
        })?;
        owners.extend(file.records().map(|_| i));
        refs.extend(file_refs.into_iter().map(|r| (i, r)));
        all.includes.extend(file.includes);
        all.modules.extend(file.modules);
    }
    let flat: Vec<Ref> = refs.iter().map(|(_, r)| r.clone()).collect();
    check(&all, &flat).map_err(|(at, error)| {
        let i = match at {
            Culprit::Record(n) => owners.get(n).copied().unwrap_or(0),
            Culprit::Ref(n) => refs.get(n).map_or(0, |(i, _)| *i),
        };
        FileError {
            file: files
                .get(i)
                .map_or_else(String::new, |(n, _)| (*n).to_string()),
            error,
        }
    })?;
    Ok(all)
}

/// A record reference: the name and where it was written.
type Ref = (String, usize, usize);

/// What a [`check`] error is about: the n-th record, or the n-th reference.
enum Culprit {
    Record(usize),
    Ref(usize),
}

/// No record defined twice, every reference defined.
fn check(file: &File, refs: &[Ref]) -> Result<(), (Culprit, IdlError)> {
    let mut names = std::collections::HashSet::new();
    for (i, r) in file.records().enumerate() {
        if !names.insert(r.qualified_name()) {
            return Err((
                Culprit::Record(i),
                IdlError {
                    message: format!("class {} is defined twice", r.qualified_name()),
                    line: r.line,
                    column: 1,
                },
            ));
        }
    }
    if let Some((i, (name, line, column))) = refs
        .iter()
        .enumerate()
        .find(|(_, (n, _, _))| !names.contains(n))
    {
        return Err((
            Culprit::Ref(i),
            IdlError {
                message: format!("unknown record type `{name}`"),
                line: *line,
                column: *column,
            },
        ));
    }
    Ok(())
}

/// The syntax of one file, with its record references not yet checked.
fn parse_unresolved(src: &str) -> Result<(File, Vec<Ref>), IdlError> {
    let (toks, comments) = lex(src)?;
    let end = toks.last().map_or((1, 1), |t| (t.line, t.column + 1));
    let mut p = Parser { toks, pos: 0, end };
    let mut file = File::default();
    let mut refs: Vec<Ref> = Vec::new();
    while p.peek().is_some() {
        if p.peek() == Some(&Tok::Ident("include".into())) {
            p.pos += 1;
            match p.toks.get(p.pos).map(|t| t.tok.clone()) {
                Some(Tok::Str(s)) => {
                    p.pos += 1;
                    file.includes.push(s);
                }
                _ => {
                    return Err(
                        p.error_here(format!("expected a file name, found {}", p.describe()))
                    )
                }
            }
            if p.peek() == Some(&Tok::Punct(';')) {
                p.pos += 1;
            }
            continue;
        }
        p.keyword("module")?;
        let (module, _) = p.ident("a module name")?;
        if module.split('.').any(|seg| !valid_ident(seg)) {
            return Err(p.error_here(format!("invalid module name `{module}`")));
        }
        p.punct('{')?;
        let mut records = Vec::new();
        while p.peek() != Some(&Tok::Punct('}')) {
            p.keyword("class")?;
            let (name, line) = p.ident("a class name")?;
            if !valid_ident(&name) {
                return Err(p.error_here(format!("invalid class name `{name}`")));
            }
            p.punct('{')?;
            let mut fields: Vec<FieldDef> = Vec::new();
            // The names so far: a set, so that a class of many fields is checked in linear time.
            let mut field_names = std::collections::HashSet::new();
            while p.peek() != Some(&Tok::Punct('}')) {
                let at = p.toks.get(p.pos).map_or(p.end, |t| (t.line, t.column));
                let ty = p.ty(&module, 0)?;
                collect_refs(&ty, at, &mut refs);
                let name_at = p.pos;
                let (fname, _) = p.ident("a field name")?;
                let at_name = |p: &mut Parser, message: String| {
                    p.pos = name_at;
                    p.error_here(message)
                };
                if !valid_ident(&fname) {
                    return Err(at_name(&mut p, format!("invalid field name `{fname}`")));
                }
                if !field_names.insert(fname.clone()) {
                    return Err(at_name(
                        &mut p,
                        format!("field `{fname}` is defined twice in {name}"),
                    ));
                }
                let end_line = p.toks.get(p.pos).map(|t| t.line);
                p.punct(';')?;
                // The last field on its line takes the comment after it; comments are in line
                // order, at most one per line.
                let last_on_line = p.toks.get(p.pos).map(|t| t.line) != end_line;
                let comment = end_line
                    .filter(|_| last_on_line)
                    .and_then(|l| comments.binary_search_by_key(&l, |(at, _)| *at).ok())
                    .map(|i| comments[i].1.clone())
                    .filter(|c| !c.is_empty());
                fields.push(FieldDef {
                    name: fname,
                    ty,
                    comment,
                });
            }
            p.punct('}')?;
            records.push(RecordDef {
                module: module.clone(),
                name,
                fields,
                line,
            });
        }
        p.punct('}')?;
        file.modules.push(Module {
            name: module,
            records,
        });
    }
    Ok((file, refs))
}

fn collect_refs(ty: &Type, at: (usize, usize), out: &mut Vec<Ref>) {
    match ty {
        Type::Record(n) => out.push((n.clone(), at.0, at.1)),
        Type::Vector(t) => collect_refs(t, at, out),
        Type::Map(k, v) => {
            collect_refs(k, at, out);
            collect_refs(v, at, out);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modules_comments_and_references() {
        let src = "/* licence */\nmodule a.b {\n  // c\n  class X { int i; vector<Y> ys; map<ustring,buffer> m; }\n  class Y { a.b.X x; }\n}\n";
        let f = parse(src).unwrap();
        let x = f.record("a.b.X").unwrap();
        assert_eq!(x.line, 4);
        let types: Vec<String> = x.fields.iter().map(|f| f.ty.to_string()).collect();
        assert_eq!(types, ["int", "vector<a.b.Y>", "map<ustring,buffer>"]);
        assert_eq!(f.record("a.b.Y").unwrap().fields[0].ty.to_string(), "a.b.X");
    }

    #[test]
    fn a_comment_after_a_field_on_its_line_is_kept() {
        let src = "module m { // not a field's\n class A {\n  long czxid;   // created zxid\n  int v; int w; // w's\n  // alone\n  int x;\n  int y; //\n }\n}";
        let f = parse(src).unwrap();
        let comments: Vec<Option<&str>> = f
            .record("m.A")
            .unwrap()
            .fields
            .iter()
            .map(|f| f.comment.as_deref())
            .collect();
        assert_eq!(
            comments,
            [Some("created zxid"), None, Some("w's"), None, None]
        );
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse("module m {\n class A { int x }\n}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 18), "{e}");
        assert!(e.message.contains("expected `;`"), "{e}");
        let e = parse("module m { class A { Missing x; } }").unwrap_err();
        assert!(e.message.contains("unknown record type `m.Missing`"), "{e}");
        let e = parse("module m { class A { int x; int x; } }").unwrap_err();
        assert!(e.message.contains("defined twice"), "{e}");
        assert!(parse("module m { class A { int x; }").is_err());
        let e = parse("module m { class A { int x; } }\n  /* open").unwrap_err();
        assert_eq!(
            (e.line, e.column, e.message.as_str()),
            (2, 3, "unterminated /* comment")
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let ok = format!(
            "module m {{ class A {{ {}int{} x; }} }}",
            "vector<".repeat(MAX_TYPE_DEPTH),
            ">".repeat(MAX_TYPE_DEPTH)
        );
        assert!(parse(&ok).is_ok());
        let deep = 200_000;
        let src = format!(
            "module m {{ class A {{ {}int{} x; }} }}",
            "vector<".repeat(deep),
            ">".repeat(deep)
        );
        let e = parse(&src).unwrap_err();
        assert!(e.message.contains("nested more than 32 deep"), "{e}");
        assert_eq!(e.line, 1);
    }
}
