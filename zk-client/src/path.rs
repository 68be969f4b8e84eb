//! Path rules (the server's `PathUtils.validatePath`) and the chroot.

use crate::error::Error;

fn invalid(path: &str, reason: &'static str) -> Error {
    Error::InvalidPath {
        path: path.to_string(),
        reason,
    }
}

/// Checks `path` as the server would; `sequential` allows a trailing `/` (the server appends
/// the sequence number).
pub fn validate_path(path: &str, sequential: bool) -> Result<(), Error> {
    if path.is_empty() {
        return Err(invalid(path, "path must not be empty"));
    }
    if !path.starts_with('/') {
        return Err(invalid(path, "path must start with / character"));
    }
    if path.len() == 1 {
        return Ok(());
    }
    if path.ends_with('/') && !sequential {
        return Err(invalid(path, "path must not end with / character"));
    }
    let chars: Vec<char> = path.chars().collect();
    for (i, &c) in chars.iter().enumerate().skip(1) {
        let last = chars[i - 1];
        let next_is_end_or_slash = i + 1 == chars.len() || chars[i + 1] == '/';
        let code = u32::from(c);
        if c == '\0' {
            return Err(invalid(path, "null character not allowed"));
        } else if c == '/' && last == '/' {
            return Err(invalid(path, "empty node name specified"));
        } else if c == '.'
            && next_is_end_or_slash
            && (last == '/' || (last == '.' && i >= 2 && chars[i - 2] == '/'))
        {
            // A `.` or `..` segment.
            return Err(invalid(path, "relative paths not allowed"));
        } else if (0x01..=0x1f).contains(&code)
            || (0x7f..=0x9f).contains(&code)
            || (0xd800..=0xf8ff).contains(&code)
            || (0xfff0..=0xffff).contains(&code)
            || code > 0xffff
        {
            // Characters outside the BMP are surrogate pairs in Java, which the server rejects.
            return Err(invalid(path, "invalid character"));
        }
    }
    Ok(())
}

/// The chroot of a client: prepended to every path sent, stripped from every path received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chroot(Option<String>);

impl Chroot {
    /// No chroot (`/`).
    pub fn none() -> Self {
        Chroot(None)
    }

    /// A chroot such as `/app/prod` (`/` means none).
    pub fn new(root: &str) -> Result<Self, Error> {
        validate_path(root, false)?;
        Ok(Chroot(if root == "/" {
            None
        } else {
            Some(root.to_string())
        }))
    }

    /// The chroot path, if any.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The server path of a client path (`/` maps to the chroot itself).
    pub fn to_server(&self, path: &str) -> String {
        match &self.0 {
            None => path.to_string(),
            Some(root) if path == "/" => root.clone(),
            Some(root) => format!("{root}{path}"),
        }
    }

    /// The client path of a server path: the chroot itself becomes `/`; paths outside the
    /// chroot are returned unchanged.
    pub fn to_client(&self, server_path: &str) -> String {
        match &self.0 {
            None => server_path.to_string(),
            Some(root) if server_path == root => "/".to_string(),
            Some(root) => match server_path.strip_prefix(root.as_str()) {
                Some(rest) if rest.starts_with('/') => rest.to_string(),
                _ => server_path.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_rules() {
        for ok in [
            "/",
            "/a",
            "/a/b",
            "/a.b",
            "/..a",
            "/a/...",
            "/\u{e9}t\u{e9}",
            "/zk/\u{4e2d}",
        ] {
            assert!(validate_path(ok, false).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("a", "start with /"),
            ("/a/", "end with /"),
            ("/a//b", "empty node name"),
            ("/a/./b", "relative"),
            ("/a/..", "relative"),
            ("/.", "relative"),
            ("/a\0", "null"),
            ("/a\u{1}", "invalid character"),
            ("/a\u{85}", "invalid character"),
            ("/a\u{e000}", "invalid character"),
            ("/a\u{fff5}", "invalid character"),
            ("/sync\u{1F600}", "invalid character"),
        ] {
            let e = validate_path(bad, false).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert!(validate_path("/seq/", true).is_ok());
    }

    #[test]
    fn chroot_both_ways() {
        let c = Chroot::new("/app").unwrap();
        assert_eq!(c.to_server("/"), "/app");
        assert_eq!(c.to_server("/x"), "/app/x");
        assert_eq!(c.to_client("/app"), "/");
        assert_eq!(c.to_client("/app/x/y"), "/x/y");
        assert_eq!(c.to_client("/application"), "/application");
        assert_eq!(c.to_client("/zookeeper/config"), "/zookeeper/config");
        assert_eq!(Chroot::new("/").unwrap(), Chroot::none());
        assert!(Chroot::new("/app/").is_err());
    }
}
