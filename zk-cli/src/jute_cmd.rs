//! `zk jute records | decode | encode`.

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
}

fn io_err(e: std::io::Error) -> CmdError {
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
    }
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
