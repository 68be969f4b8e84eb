//! `zk jute records | decode | encode | gen`.

use std::io::{BufRead, Write};

use clap::Subcommand;
use jute::json::{hex_decode, hex_encode, record_from_json, to_json};
use jute::Limits;
use jute_schemas::registry::{find, RecordInfo, RECORDS};

use crate::error::CmdError;

/// Subcommands of `zk jute`.
#[derive(Subcommand)]
pub enum JuteCommand {
    /// List every record of zookeeper.jute by its fully qualified Jute name.
    Records {
        /// Also print each record's fields and types.
        #[arg(long)]
        fields: bool,
    },
    /// Decode hex bytes into one JSON object per input (one hex string per line of standard
    /// input when HEX is not given).
    Decode {
        /// Fully qualified (`org.apache.zookeeper.proto.GetDataResponse`) or bare record name.
        record: String,
        /// The bytes in hex; whitespace is ignored.
        hex: Option<String>,
        /// Largest buffer/string length or vector count accepted (default: jute.maxbuffer).
        #[arg(long, default_value_t = jute::JUTE_MAXBUFFER_DEFAULT)]
        max_length: usize,
    },
    /// Encode a JSON object (one per line of standard input when JSON is not given) and print
    /// its bytes as lowercase hex.
    Encode {
        /// Fully qualified or bare record name.
        record: String,
        /// The record as JSON, with the schema's field names.
        json: Option<String>,
    },
    /// Generate Rust records (`#[derive(Jute)]` structs, a module per Jute module) from
    /// `.jute` files, as jute-build does in a build script.
    Gen {
        /// The `.jute` files, read as one schema.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Write the code into this directory (as FIRST-FILE-STEM.rs) instead of printing it.
        #[arg(short, long)]
        out_dir: Option<std::path::PathBuf>,
        /// An optional trailing field, `module.Record.field` (repeatable).
        #[arg(long, value_name = "FIELD")]
        optional: Vec<String>,
        /// Another Rust type for a field: `module.Record.field=TYPE` (repeatable).
        #[arg(long = "type", value_name = "FIELD=TYPE")]
        field_type: Vec<String>,
        /// A derive to add: `DERIVE` for every record, or `PATH=DERIVE` for a module or record
        /// (repeatable).
        #[arg(long, value_name = "[PATH=]DERIVE")]
        derive: Vec<String>,
        /// The Rust module for a Jute module: `JUTE=RUST` (repeatable).
        #[arg(long, value_name = "JUTE=RUST")]
        module_name: Vec<String>,
    },
}

fn io_err(e: std::io::Error) -> CmdError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return CmdError::output(e);
    }
    CmdError::data(format!("i/o error: {e}"))
}

/// Runs one `zk jute` command, reading standard input from `input`.
pub fn run(cmd: JuteCommand, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), CmdError> {
    match cmd {
        JuteCommand::Records { fields } => {
            for info in &RECORDS {
                writeln!(out, "{}", info.qualified_name()).map_err(io_err)?;
                if fields {
                    for f in info.schema.fields {
                        let opt = if f.optional { " (optional)" } else { "" };
                        writeln!(out, "    {} {};{opt}", f.ty, f.name).map_err(io_err)?;
                    }
                }
            }
            Ok(())
        }
        JuteCommand::Decode {
            record,
            hex,
            max_length,
        } => {
            let info = lookup(&record)?;
            let limits = Limits::new(max_length);
            each_input(hex, input, |line, text| {
                let bytes =
                    hex_decode(text).map_err(|e| CmdError::data(format!("{line}bad hex: {e}")))?;
                let value = info.decode_value(&bytes, limits).map_err(|e| {
                    CmdError::data(format!("{line}cannot decode {}: {e}", info.schema.name))
                })?;
                writeln!(out, "{}", to_json(&value)).map_err(io_err)
            })
        }
        JuteCommand::Encode { record, json } => {
            let info = lookup(&record)?;
            each_input(json, input, |line, text| {
                let j: serde_json::Value = serde_json::from_str(text)
                    .map_err(|e| CmdError::data(format!("{line}bad JSON: {e}")))?;
                let value = record_from_json(&info.schema, &j).map_err(|e| {
                    CmdError::data(format!("{line}invalid {}: {e}", info.schema.name))
                })?;
                let bytes = info.encode_value(&value).map_err(|e| {
                    CmdError::data(format!("{line}invalid {}: {e}", info.schema.name))
                })?;
                writeln!(out, "{}", hex_encode(&bytes)).map_err(io_err)
            })
        }
        JuteCommand::Gen {
            files,
            out_dir,
            optional,
            field_type,
            derive,
            module_name,
        } => generate(
            &files,
            out_dir.as_deref(),
            GenOptions {
                optional,
                field_type,
                derive,
                module_name,
            },
            out,
        ),
    }
}

/// `zk jute gen`: the jute-build configuration from the options, then the code to `out` or a
/// file.
fn generate(
    files: &[std::path::PathBuf],
    out_dir: Option<&std::path::Path>,
    options: GenOptions,
    out: &mut dyn Write,
) -> Result<(), CmdError> {
    let pair = |s: &str, what: &str| -> Result<(String, String), CmdError> {
        s.split_once('=')
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .ok_or_else(|| CmdError::usage(format!("--{what} wants A=B, got `{s}`")))
    };
    let mut config = jute_build::Config::new();
    for f in &options.optional {
        config.optional(f);
    }
    for t in &options.field_type {
        let (field, ty) = pair(t, "type")?;
        config.field_type(&field, &ty);
    }
    for d in &options.derive {
        match d.split_once('=') {
            Some(_) => {
                let (path, derive) = pair(d, "derive")?;
                config.derive(&path, &derive)
            }
            None => config.derive("", d),
        };
    }
    for m in &options.module_name {
        let (jute, rust) = pair(m, "module-name")?;
        config.module_name(&jute, &rust);
    }
    let failed = |e: jute_build::Error| match e {
        jute_build::Error::Io { .. } => CmdError::data(e.to_string()),
        other => CmdError::data(format!("cannot generate: {other}")),
    };
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                CmdError::data(format!(
                    "{}: cannot create the directory: {e}",
                    dir.display()
                ))
            })?;
            let path = config.compile(files, dir).map_err(failed)?;
            writeln!(out, "wrote {}", path.display()).map_err(io_err)
        }
        None => {
            let mut texts = Vec::with_capacity(files.len());
            for f in files {
                let text = std::fs::read_to_string(f)
                    .map_err(|e| CmdError::data(format!("{}: {e}", f.display())))?;
                texts.push((f.display().to_string(), text));
            }
            let pairs: Vec<(&str, &str)> = texts
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            let code = config.generate(&pairs).map_err(failed)?;
            out.write_all(code.as_bytes()).map_err(io_err)
        }
    }
}

/// The options of `zk jute gen` that shape the code.
struct GenOptions {
    optional: Vec<String>,
    field_type: Vec<String>,
    derive: Vec<String>,
    module_name: Vec<String>,
}

fn lookup(name: &str) -> Result<&'static RecordInfo, CmdError> {
    find(name).map_err(|e| CmdError::usage(e.to_string()))
}

/// Calls `f` with the argument, or with each non-blank line of `input` (and a `line N: ` prefix
/// for its messages).
fn each_input(
    arg: Option<String>,
    input: &mut dyn BufRead,
    mut f: impl FnMut(&str, &str) -> Result<(), CmdError>,
) -> Result<(), CmdError> {
    if let Some(text) = arg {
        return f("", &text);
    }
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(io_err)?;
        if line.trim().is_empty() {
            continue;
        }
        f(&format!("line {}: ", i + 1), line.trim())?;
    }
    Ok(())
}
