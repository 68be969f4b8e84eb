//! How node data and times are shown: text when the data is UTF-8 (and printable), otherwise
//! hex, or forced hex or base64.

use base64::Engine;

/// How to show data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFormat {
    /// Text when it is printable UTF-8, else hex.
    #[default]
    Auto,
    /// Always hex.
    Hex,
    /// Always base64.
    Base64,
}

/// Shows `data` (`None`: null) in `format`.
pub fn data(data: Option<&[u8]>, format: DataFormat) -> String {
    let Some(data) = data else {
        return "null".into();
    };
    match format {
        DataFormat::Hex => jute::json::hex_encode(data),
        DataFormat::Base64 => base64::engine::general_purpose::STANDARD.encode(data),
        DataFormat::Auto => match std::str::from_utf8(data) {
            Ok(s) if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => s.into(),
            _ => format!("0x{}", jute::json::hex_encode(data)),
        },
    }
}

/// Milliseconds since the epoch as RFC 3339 UTC (or the number, when out of range).
pub fn time_ms(ms: i64) -> String {
    u64::try_from(ms)
        .ok()
        .and_then(|ms| std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_millis(ms)))
        .map_or_else(
            || ms.to_string(),
            |t| humantime::format_rfc3339_millis(t).to_string(),
        )
}

/// The `r`, `w`, `c`, `d`, `a` letters of a permission mask.
pub fn perms(p: i32) -> String {
    [(1, 'r'), (2, 'w'), (4, 'c'), (8, 'd'), (16, 'a')]
        .iter()
        .filter(|(bit, _)| p & bit != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// An ACL entry as `scheme:id:perms`.
pub fn acl(a: &jute_schemas::data::ACL) -> String {
    format!(
        "{}:{}:{}",
        a.id.scheme.as_deref().unwrap_or(""),
        a.id.id.as_deref().unwrap_or(""),
        perms(a.perms)
    )
}

/// An ACL list, comma-separated.
pub fn acls(list: &[jute_schemas::data::ACL]) -> String {
    list.iter().map(acl).collect::<Vec<_>>().join(",")
}

/// The Stat lines both zkCli and SnapshotFormatter print (`cZxid = 0x..` through
/// `ephemeralOwner`), each after `indent` and ending in a newline.
pub fn stat_lines(s: &jute_schemas::data::StatPersisted, indent: &str) -> String {
    [
        ("cZxid", zxid(s.czxid)),
        ("ctime", time_ms(s.ctime)),
        ("mZxid", zxid(s.mzxid)),
        ("mtime", time_ms(s.mtime)),
        ("pZxid", zxid(s.pzxid)),
        ("cversion", s.cversion.to_string()),
        ("dataVersion", s.version.to_string()),
        ("aclVersion", s.aversion.to_string()),
        ("ephemeralOwner", format!("{:#x}", s.ephemeral_owner)),
    ]
    .iter()
    .map(|(k, v)| format!("{indent}{k} = {v}\n"))
    .collect()
}

/// A zxid as ZooKeeper prints it (`0x` and lowercase hex).
pub fn zxid(z: i64) -> String {
    format!("{z:#x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_text_when_printable() {
        assert_eq!(data(Some(b"hello"), DataFormat::Auto), "hello");
        assert_eq!(data(Some(&[0, 255]), DataFormat::Auto), "0x00ff");
        assert_eq!(data(Some(b"hi"), DataFormat::Hex), "6869");
        assert_eq!(data(Some(b"hi"), DataFormat::Base64), "aGk=");
        assert_eq!(data(None, DataFormat::Auto), "null");
        assert_eq!(time_ms(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn stat_lines_in_zookeepers_order() {
        let s = jute_schemas::data::StatPersisted {
            czxid: 2,
            mzxid: 3,
            ctime: 0,
            mtime: 0,
            version: 1,
            cversion: 4,
            aversion: 5,
            ephemeral_owner: 255,
            pzxid: 6,
        };
        assert_eq!(
            stat_lines(&s, "  "),
            "  cZxid = 0x2\n  ctime = 1970-01-01T00:00:00.000Z\n  mZxid = 0x3\n  \
             mtime = 1970-01-01T00:00:00.000Z\n  pZxid = 0x6\n  cversion = 4\n  \
             dataVersion = 1\n  aclVersion = 5\n  ephemeralOwner = 0xff\n"
        );
    }
}
