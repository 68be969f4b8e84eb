//! How node data and times are shown: text when the data is UTF-8 (and printable), otherwise
//! hex, or forced hex or base64.

use std::io::Write;
use std::time::Duration;

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

/// 9999-12-31T23:59:59.999999Z in microseconds since the epoch: RFC 3339 has four-digit
/// years (and `humantime` panics past them).
const LAST_RFC3339_US: u64 = 253_402_300_799_999_999;

/// Milliseconds since the epoch as RFC 3339 UTC (or the number, when out of range: before
/// 1970 or after the year 9999).
pub fn time_ms(ms: i64) -> String {
    match u64::try_from(ms).ok().and_then(|m| m.checked_mul(1000)) {
        Some(us) if us <= LAST_RFC3339_US => {
            humantime::format_rfc3339_millis(std::time::UNIX_EPOCH + Duration::from_micros(us))
                .to_string()
        }
        _ => ms.to_string(),
    }
}

/// Microseconds since the epoch as RFC 3339 UTC (or the number, after the year 9999).
pub fn time_us(us: u64) -> String {
    if us <= LAST_RFC3339_US {
        humantime::format_rfc3339_micros(std::time::UNIX_EPOCH + Duration::from_micros(us))
            .to_string()
    } else {
        us.to_string()
    }
}

/// Whether `c` must not reach a terminal as it is: C0 controls other than newline and tab
/// (ESC starts escape sequences, CR overwrites the line), DEL, and the C1 controls (U+009B is a
/// one-character CSI for some terminals).
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

/// `text` with every terminal control character written as `\u00XX` (which reads the same in
/// JSON strings, so it suits both output styles); borrowed when there is none.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// A writer that passes text through [`escape`] on its way to `inner`: everything `zk` prints
/// goes through one, so paths, data and names from a server or a file cannot drive the
/// terminal. Bytes that are not UTF-8 pass through as they are, except C0 controls and DEL.
#[derive(Debug)]
pub struct Escaping<W: Write> {
    inner: W,
    /// A lead byte (0xC2) held back until its continuation byte says whether it is a C1.
    held: Option<u8>,
}

impl<W: Write> Escaping<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Escaping { inner, held: None }
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len());
        let mut bytes = buf.iter().copied().peekable();
        if let Some(lead) = self.held.take() {
            match bytes.peek() {
                Some(&b) if (0x80..=0x9f).contains(&b) => {
                    bytes.next();
                    out.extend_from_slice(format!("\\u{:04x}", b).as_bytes());
                }
                _ => out.push(lead),
            }
        }
        while let Some(b) = bytes.next() {
            match b {
                b'\n' | b'\t' => out.push(b),
                0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
                0xc2 => match bytes.peek() {
                    Some(&c) if (0x80..=0x9f).contains(&c) => {
                        bytes.next();
                        out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
                    }
                    Some(_) => out.push(b),
                    None => self.held = Some(b),
                },
                _ => out.push(b),
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(lead) = self.held.take() {
            self.inner.write_all(&[lead])?;
        }
        self.inner.flush()
    }
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
    fn times_past_the_year_9999_are_numbers() {
        assert_eq!(time_ms(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(time_ms(253_402_300_800_000), "253402300800000");
        assert_eq!(time_ms(i64::MAX), i64::MAX.to_string());
        assert_eq!(time_ms(-1), "-1");
        assert_eq!(time_us(u64::MAX), u64::MAX.to_string());
        assert_eq!(time_us(1_000_001), "1970-01-01T00:00:01.000001Z");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("/a/b"), "/a/b");
        assert_eq!(
            escape("/x\u{1b}[2J\r\u{9b}1m"),
            "/x\\u001b[2J\\u000d\\u009b1m"
        );
        assert_eq!(escape("tab\tand\nline é"), "tab\tand\nline é");
        // Through the writer, written a byte at a time so the C1 lead byte is held over.
        let text = "é\u{1b}]0;pwned\u{7}\u{9b}x\n";
        let mut w = Escaping::new(Vec::new());
        for b in text.as_bytes() {
            w.write_all(&[*b]).unwrap();
        }
        w.flush().unwrap();
        assert_eq!(
            String::from_utf8(w.inner).unwrap(),
            "é\\u001b]0;pwned\\u0007\\u009bx\n"
        );
        // Escaped JSON is still JSON, with the same string.
        let json = serde_json::json!({"p": "a\u{9b}\u{7f}"}).to_string();
        let mut w = Escaping::new(Vec::new());
        w.write_all(json.as_bytes()).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&w.inner).unwrap();
        assert_eq!(back["p"], "a\u{9b}\u{7f}");
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
