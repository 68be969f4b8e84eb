//! `zk txnlog FILE` and `zk snapshot FILE`: ZooKeeper's on-disk files, printed like its
//! TxnLogToolkit and SnapshotFormatter, or as JSON lines.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use jute::json::to_json;
use jute::ToValue;
use serde_json::json;
use zk_cli::ondisk::txn::{type_name, TxnBody};
use zk_cli::ondisk::{snapshot, txnlog};
use zk_cli::show::{self, DataFormat};

use crate::error::CmdError;

/// Options shared by both file commands.
#[derive(Args, Debug)]
pub struct FileArgs {
    /// The file (`version-2/log.*` or `version-2/snapshot.*`).
    file: PathBuf,
    /// Only this path and the paths below it.
    #[arg(long)]
    path: Option<String>,
    /// Data always as hex.
    #[arg(long, conflicts_with = "base64")]
    hex: bool,
    /// Data always as base64.
    #[arg(long)]
    base64: bool,
}

/// `zk txnlog` options.
#[derive(Args, Debug)]
pub struct TxnlogArgs {
    #[command(flatten)]
    common: FileArgs,
    /// Only transactions from this zxid on (decimal or 0x-hex).
    #[arg(long, value_parser = parse_zxid)]
    from_zxid: Option<i64>,
    /// Only transactions up to this zxid (decimal or 0x-hex).
    #[arg(long, value_parser = parse_zxid)]
    to_zxid: Option<i64>,
}

/// Parses a zxid given as decimal or `0x` hex.
pub fn parse_zxid(s: &str) -> Result<i64, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|e| format!("not a zxid ({e}): {s}"))
}

impl FileArgs {
    fn format(&self) -> DataFormat {
        if self.hex {
            DataFormat::Hex
        } else if self.base64 {
            DataFormat::Base64
        } else {
            DataFormat::Auto
        }
    }

    fn read(&self) -> Result<Vec<u8>, CmdError> {
        std::fs::read(&self.file)
            .map_err(|e| CmdError::data(format!("{}: {e}", self.file.display())))
    }

    fn wants(&self, path: &str) -> bool {
        match &self.path {
            None => true,
            Some(p) => under(path, p),
        }
    }
}

/// Whether `path` is `root` or below it.
fn under(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    root.is_empty()
        || path == root
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn write_err(e: std::io::Error) -> CmdError {
    CmdError::output(e)
}

/// One transaction body as text.
fn body_text(body: &TxnBody, f: DataFormat) -> String {
    match body {
        TxnBody::CreateSession(t) => format!("timeout={}", t.time_out),
        TxnBody::CloseSession(Some(t)) => {
            format!("ephemerals={:?}", t.paths2_delete.as_deref().unwrap_or(&[]))
        }
        TxnBody::CloseSession(None) => String::new(),
        TxnBody::Create(t) => format!(
            "{} data={} acl={} ephemeral={} parentCVersion={}",
            t.path.as_deref().unwrap_or(""),
            show::data(t.data.as_deref(), f),
            show::acls(t.acl.as_deref().unwrap_or(&[])),
            t.ephemeral,
            t.parent_c_version
        ),
        TxnBody::CreateV0(t) => format!(
            "{} data={} acl={} ephemeral={}",
            t.path.as_deref().unwrap_or(""),
            show::data(t.data.as_deref(), f),
            show::acls(t.acl.as_deref().unwrap_or(&[])),
            t.ephemeral
        ),
        TxnBody::CreateTtl(t) => format!(
            "{} data={} acl={} ttl={} parentCVersion={}",
            t.path.as_deref().unwrap_or(""),
            show::data(t.data.as_deref(), f),
            show::acls(t.acl.as_deref().unwrap_or(&[])),
            t.ttl,
            t.parent_c_version
        ),
        TxnBody::CreateContainer(t) => format!(
            "{} data={} acl={} parentCVersion={}",
            t.path.as_deref().unwrap_or(""),
            show::data(t.data.as_deref(), f),
            show::acls(t.acl.as_deref().unwrap_or(&[])),
            t.parent_c_version
        ),
        TxnBody::Delete(t) => t.path.clone().unwrap_or_default(),
        TxnBody::SetData(t) => format!(
            "{} data={} version={}",
            t.path.as_deref().unwrap_or(""),
            show::data(t.data.as_deref(), f),
            t.version
        ),
        TxnBody::SetAcl(t) => format!(
            "{} acl={} version={}",
            t.path.as_deref().unwrap_or(""),
            show::acls(t.acl.as_deref().unwrap_or(&[])),
            t.version
        ),
        TxnBody::Check(t) => format!("{} version={}", t.path.as_deref().unwrap_or(""), t.version),
        TxnBody::Error(t) => {
            let name = jute_schemas::protocol::ErrorCode::try_from(t.err)
                .map(|c| format!("{c:?}"))
                .unwrap_or_else(|_| "unknown".into());
            format!("err={} ({name})", t.err)
        }
        TxnBody::Multi(ops) => format!("{} ops", ops.len()),
        TxnBody::Raw(b) if b.is_empty() => String::new(),
        TxnBody::Raw(b) => format!("raw={}", jute::json::hex_encode(b)),
    }
}

/// Runs `zk txnlog`.
pub fn txnlog(args: &TxnlogArgs, json: bool, out: &mut dyn Write) -> Result<(), CmdError> {
    let c = &args.common;
    let bytes = c.read()?;
    let (log, problem) = match txnlog::read(&bytes) {
        Ok(log) => (log, None),
        Err(partial) => (partial.log, Some(partial.error)),
    };
    if problem.is_some() && log.entries.is_empty() && log.end == 0 {
        let e = problem.unwrap_or_else(|| zk_cli::ondisk::FileError::at_start("unreadable"));
        return Err(CmdError::data(format!("{}: {e}", c.file.display())));
    }
    let f = c.format();
    let mut shown = 0usize;
    for e in &log.entries {
        let h = &e.header;
        if args.from_zxid.is_some_and(|z| h.zxid < z) || args.to_zxid.is_some_and(|z| h.zxid > z) {
            continue;
        }
        if c.path.is_some() && !e.body.paths().iter().any(|p| c.wants(p)) {
            continue;
        }
        shown += 1;
        if json {
            let line = json!({
                "offset": e.offset,
                "time": show::time_ms(h.time),
                "session": format!("{:#x}", h.client_id),
                "cxid": h.cxid,
                "zxid": show::zxid(h.zxid),
                "type": type_name(h.r#type),
                "txn": to_json(&e.body.to_value()),
                "digest": e.digest.as_ref().map(|d| to_json(&d.to_value())),
                "checksum": format!("{:#010x}", e.checksum),
            });
            writeln!(out, "{line}").map_err(write_err)?;
            continue;
        }
        writeln!(
            out,
            "{} session {:#x} cxid {:#x} zxid {} {} {}",
            show::time_ms(h.time),
            h.client_id,
            h.cxid,
            show::zxid(h.zxid),
            type_name(h.r#type),
            body_text(&e.body, f)
        )
        .map_err(write_err)?;
        if let TxnBody::Multi(ops) = &e.body {
            for (i, (ty, op)) in ops.iter().enumerate() {
                writeln!(out, "    [{i}] {} {}", type_name(*ty), body_text(op, f))
                    .map_err(write_err)?;
            }
        }
    }
    if !json {
        let whole = if problem.is_some() {
            "read before the problem below"
        } else {
            "in the log"
        };
        writeln!(
            out,
            "{} transactions {whole} ({} shown), their checksums verified; entries end at byte {}",
            log.entries.len(),
            shown,
            log.end
        )
        .map_err(write_err)?;
    }
    match problem {
        None => Ok(()),
        Some(e) => Err(CmdError::data(format!(
            "{}: {e} (after {} good transactions)",
            c.file.display(),
            log.entries.len()
        ))),
    }
}

/// Runs `zk snapshot`.
pub fn snapshot(c: &FileArgs, json: bool, out: &mut dyn Write) -> Result<(), CmdError> {
    let bytes = c.read()?;
    let snap =
        snapshot::read(&bytes).map_err(|e| CmdError::data(format!("{}: {e}", c.file.display())))?;
    let f = c.format();
    // Counted and indexed once: per-session scans of every node, or a search of the ACL cache
    // per node, are quadratic on a big snapshot.
    let mut owned: HashMap<i64, usize> = HashMap::new();
    for n in &snap.nodes {
        if n.stat.ephemeral_owner != 0 {
            *owned.entry(n.stat.ephemeral_owner).or_default() += 1;
        }
    }
    let ephemerals = |sid: i64| owned.get(&sid).copied().unwrap_or(0);
    let acl_of: HashMap<i64, &Vec<jute_schemas::data::ACL>> =
        snap.acls.iter().map(|(id, acl)| (*id, acl)).collect();
    if json {
        for n in snap.nodes.iter().filter(|n| c.wants(&n.path)) {
            let line = json!({
                "node": n.path,
                "data": show::data(n.data.as_deref(), f),
                "dataLength": n.data.as_ref().map_or(0, Vec::len),
                "aclId": n.acl_id,
                "stat": to_json(&n.stat.to_value()),
            });
            writeln!(out, "{line}").map_err(write_err)?;
        }
        for (sid, timeout) in &snap.sessions {
            let line = json!({"session": format!("{sid:#x}"), "timeout": timeout, "ephemerals": ephemerals(*sid)});
            writeln!(out, "{line}").map_err(write_err)?;
        }
        for (id, acl) in &snap.acls {
            let line = json!({"aclId": id, "acl": show::acls(acl)});
            writeln!(out, "{line}").map_err(write_err)?;
        }
        let line = json!({
            "digest": snap.digest.as_ref().map(|d| json!({"zxid": show::zxid(d.zxid), "version": d.version, "digest": d.digest})),
            "lastProcessedZxid": snap.last_processed_zxid.map(show::zxid),
            "seals": snap.seals,
        });
        writeln!(out, "{line}").map_err(write_err)?;
        return Ok(());
    }
    let nodes: Vec<_> = snap.nodes.iter().filter(|n| c.wants(&n.path)).collect();
    let mut text = format!("ZNode Details (count={}):\n", nodes.len());
    for n in nodes {
        text.push_str(&format!(
            "----\n{}\n{}  dataLength = {}\n  acl = {}\n  data = {}\n",
            n.path,
            show::stat_lines(&n.stat, "  "),
            n.data.as_ref().map_or(0, Vec::len),
            if n.acl_id == -1 {
                "world:anyone:rwcda (open)".to_string()
            } else {
                acl_of.get(&n.acl_id).map_or_else(
                    || format!("#{} (not in the cache)", n.acl_id),
                    |a| show::acls(a),
                )
            },
            show::data(n.data.as_deref(), f),
        ));
    }
    text.push_str(&format!(
        "----\nSession Details (sid, timeout, ephemeralCount): {}\n",
        snap.sessions.len()
    ));
    for (sid, timeout) in &snap.sessions {
        text.push_str(&format!("{sid:#x}, {timeout}, {}\n", ephemerals(*sid)));
    }
    text.push_str(&format!("----\nACL cache: {} entries\n", snap.acls.len()));
    for (id, acl) in &snap.acls {
        text.push_str(&format!("{id}: {}\n", show::acls(acl)));
    }
    if let Some(d) = &snap.digest {
        text.push_str(&format!(
            "----\nDigest at zxid {}: version {}, {}\n",
            show::zxid(d.zxid),
            d.version,
            d.digest
        ));
    }
    if let Some(z) = snap.last_processed_zxid {
        text.push_str(&format!("Last processed zxid: {}\n", show::zxid(z)));
    }
    text.push_str(&format!("{} seals verified\n", snap.seals));
    out.write_all(text.as_bytes()).map_err(write_err)
}
