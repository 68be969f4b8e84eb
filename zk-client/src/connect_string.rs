//! `host1:2181,host2:2182,[::1]:2183/app/chroot`.

use crate::error::Error;
use crate::path::Chroot;

/// The port used when a host has none.
pub const DEFAULT_PORT: u16 = 2181;

/// A parsed connect string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectString {
    /// `(host, port)` in the order given.
    pub hosts: Vec<(String, u16)>,
    /// The chroot (from the first `/` on).
    pub chroot: Chroot,
}

impl ConnectString {
    /// Parses a connect string.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |m: String| Error::InvalidConnectString(m);
        let (host_part, chroot) = match s.find('/') {
            Some(i) => (&s[..i], Chroot::new(&s[i..])?),
            None => (s, Chroot::none()),
        };
        let mut hosts = Vec::new();
        for entry in host_part.split(',').map(str::trim) {
            if entry.is_empty() {
                return Err(bad(format!("empty host in {s:?}")));
            }
            let (host, port) =
                if let Some(rest) = entry.strip_prefix('[') {
                    let end = rest
                        .find(']')
                        .ok_or_else(|| bad(format!("unclosed [ in {entry:?}")))?;
                    let host = &rest[..end];
                    match &rest[end + 1..] {
                        "" => (host, None),
                        p => (
                            host,
                            Some(p.strip_prefix(':').ok_or_else(|| {
                                bad(format!("expected :port after ] in {entry:?}"))
                            })?),
                        ),
                    }
                } else {
                    match entry.rsplit_once(':') {
                        Some((h, p)) => (h, Some(p)),
                        None => (entry, None),
                    }
                };
            if host.is_empty() {
                return Err(bad(format!("empty host in {entry:?}")));
            }
            let port = match port {
                None => DEFAULT_PORT,
                Some(p) => p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| bad(format!("invalid port {p:?} in {entry:?}")))?,
            };
            hosts.push((host.to_string(), port));
        }
        Ok(ConnectString { hosts, chroot })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_ports_ipv6_and_chroot() {
        let c = ConnectString::parse("host1:2181,host2:2182,[::1]:2183,plain,[fe80::1]/app/chroot")
            .unwrap();
        assert_eq!(
            c.hosts,
            [
                ("host1".into(), 2181),
                ("host2".into(), 2182),
                ("::1".into(), 2183),
                ("plain".into(), 2181),
                ("fe80::1".into(), 2181)
            ]
        );
        assert_eq!(c.chroot.as_str(), Some("/app/chroot"));
        assert_eq!(ConnectString::parse("h/").unwrap().chroot, Chroot::none());
    }

    #[test]
    fn errors_name_the_problem() {
        for (s, why) in [
            ("", "empty host"),
            ("a,,b", "empty host"),
            ("h:x", "invalid port"),
            ("h:0", "invalid port"),
            ("h:70000", "invalid port"),
            ("[::1", "unclosed"),
            ("[::1]x", "expected :port"),
            (":2181", "empty host"),
            ("h/app/", "end with /"),
        ] {
            let e = ConnectString::parse(s).unwrap_err().to_string();
            assert!(e.contains(why), "{s:?}: {e}");
        }
    }
}
