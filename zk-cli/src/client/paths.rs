//! Paths relative to the shell's current directory.

use crate::error::CmdError;

/// `path` resolved against `cwd` (`.` and `..` handled), always absolute. An empty node name
/// (`/a//b`) is refused as the client library refuses it, not quietly dropped; a trailing `/`
/// is allowed (`cd dir/`).
pub fn resolve(cwd: &str, path: &str) -> Result<String, CmdError> {
    if path.contains("//") {
        return Err(super::failure(
            path,
            zk_client::Error::InvalidPath {
                path: path.to_string(),
                reason: "empty node name specified",
            },
        ));
    }
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", cwd.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// `parent` and `child` joined.
pub fn child(parent: &str, child: &str) -> String {
    if parent == "/" {
        format!("/{child}")
    } else {
        format!("{parent}/{child}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_paths() {
        let r = |cwd, p| resolve(cwd, p).unwrap();
        assert_eq!(r("/", "a"), "/a");
        assert_eq!(r("/a/b", "c"), "/a/b/c");
        assert_eq!(r("/a/b", ".."), "/a");
        assert_eq!(r("/a/b", "../../.."), "/");
        assert_eq!(r("/a", "/x/./y/"), "/x/y");
        // An empty node name is refused, as the library refuses it.
        for bad in ["/bad//path", "a//b", "//"] {
            let e = resolve("/", bad).unwrap_err();
            assert!(e.to_string().contains("empty node name"), "{bad}: {e}");
            assert_eq!(e.exit_code(), crate::error::code::USAGE);
        }
        assert_eq!(child("/", "a"), "/a");
        assert_eq!(child("/a", "b"), "/a/b");
    }
}
