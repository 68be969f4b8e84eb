//! Text and JSON forms of what the server answers.

use jute::json::to_json;
use jute::ToValue;
use serde_json::{json, Value};
use zk_cli::show;
use zk_client::acl::Acl;
use zk_client::{Stat, WatchedEvent};

/// A Stat as zkCli prints it.
pub fn stat_text(s: &Stat) -> String {
    let persisted = jute_schemas::data::StatPersisted {
        czxid: s.czxid,
        mzxid: s.mzxid,
        ctime: s.ctime,
        mtime: s.mtime,
        version: s.version,
        cversion: s.cversion,
        aversion: s.aversion,
        ephemeral_owner: s.ephemeral_owner,
        pzxid: s.pzxid,
    };
    format!(
        "{}dataLength = {}\nnumChildren = {}\n",
        show::stat_lines(&persisted, ""),
        s.data_length,
        s.num_children
    )
}

/// A Stat as JSON (the record's field names).
pub fn stat_json(s: &Stat) -> Value {
    to_json(&s.to_value())
}

/// An ACL as `scheme:id:perms`.
pub fn acl_text(a: &Acl) -> String {
    show::acl(a)
}

/// Parses `scheme:id:perms[,...]` (the id may itself contain `:`, as digest ids do).
pub fn parse_acl(s: &str) -> Result<Vec<Acl>, String> {
    s.split(',')
        .map(|one| {
            let (rest, letters) = one
                .rsplit_once(':')
                .ok_or_else(|| format!("not scheme:id:perms: {one:?}"))?;
            let (scheme, id) = rest
                .split_once(':')
                .ok_or_else(|| format!("not scheme:id:perms: {one:?}"))?;
            let mut mask = 0;
            for c in letters.chars() {
                mask |= match c {
                    'r' => 1,
                    'w' => 2,
                    'c' => 4,
                    'd' => 8,
                    'a' => 16,
                    other => return Err(format!("unknown permission {other:?} in {one:?}")),
                };
            }
            Ok(Acl {
                perms: mask,
                id: zk_client::acl::Id {
                    scheme: Some(scheme.to_string()),
                    id: Some(id.to_string()),
                },
            })
        })
        .collect()
}

/// A watch event line, as zkCli prints it.
pub fn event_text(e: &WatchedEvent) -> String {
    format!(
        "WATCHER:: WatchedEvent state:SyncConnected type:{:?} path:{}",
        e.event_type, e.path
    )
}

/// A watch event as JSON.
pub fn event_json(e: &WatchedEvent) -> Value {
    json!({"event": format!("{:?}", e.event_type), "path": e.path, "zxid": e.zxid})
}

/// A watch event as one line (without its newline): JSON or zkCli's text.
pub fn event_line(e: &WatchedEvent, json: bool) -> String {
    if json {
        event_json(e).to_string()
    } else {
        event_text(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acls_parse_and_print() {
        let acl = parse_acl("world:anyone:r,digest:bob:abc=:cdrwa").unwrap();
        assert_eq!(acl.len(), 2);
        assert_eq!(acl_text(&acl[1]), "digest:bob:abc=:rwcda");
        assert!(parse_acl("world:anyone:x").is_err());
        assert!(parse_acl("nothing").is_err());
    }
}
