//! Protected creates, as Curator's `withProtection()`: the node's name starts with
//! `_c_<uuid>-`, so after an error that leaves the outcome unknown (the connection was lost
//! with the create in flight) the client finds the node it may have made by that prefix
//! instead of making a second one.

use crate::error::Error;
use crate::retry::outcome_unknown;
use crate::types::{CreateMode, CreateOptions, Stat};
use crate::Client;

/// `_c_` + a 36-character UUID + `-`.
pub const PROTECTED_PREFIX_LEN: usize = 40;

/// How many times a protected create is sent again after an unknown outcome.
const ATTEMPTS: usize = 5;

/// A fresh protected prefix: `_c_` + a random (v4) UUID, lowercase with dashes, + `-`.
pub fn protected_prefix() -> String {
    format!("_c_{}-", uuid::Uuid::new_v4())
}

/// Whether `name` (one path segment) is a protected name, by Curator's rule: longer than the
/// prefix, `_c_`, a UUID, `-`.
pub fn is_protected(name: &str) -> bool {
    name.len() > PROTECTED_PREFIX_LEN
        && name.starts_with("_c_")
        && name.as_bytes()[PROTECTED_PREFIX_LEN - 1] == b'-'
        && uuid::Uuid::try_parse(&name[3..PROTECTED_PREFIX_LEN - 1]).is_ok()
}

/// `path` with `prefix` put before its last segment: `/a/lock-` → `/a/_c_<uuid>-lock-`.
fn with_prefix(path: &str, prefix: &str) -> Result<(String, String), Error> {
    let Some(cut) = path.rfind('/') else {
        return Err(Error::InvalidPath {
            path: path.to_string(),
            reason: "not an absolute path",
        });
    };
    let parent = if cut == 0 { "/" } else { &path[..cut] };
    Ok((
        parent.to_string(),
        format!("{}/{prefix}{}", &path[..cut], &path[cut + 1..]),
    ))
}

/// A protected create whose outcome is not known yet: dropped armed (the call gave up, or its
/// future was dropped with the create in flight), it deletes in the background the node the
/// server may have made. The cleanup's listing is queued behind the create on the same session,
/// so it sees the node if the create was applied.
struct Leftover {
    zk: Client,
    parent: String,
    /// `None` once the outcome is known.
    prefix: Option<String>,
}

impl Leftover {
    fn disarm(&mut self) {
        self.prefix = None;
    }
}

impl Drop for Leftover {
    fn drop(&mut self) {
        let Some(prefix) = self.prefix.take() else {
            return;
        };
        let (zk, parent) = (self.zk.clone(), std::mem::take(&mut self.parent));
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { zk.delete_protected(&parent, &prefix).await });
        }
    }
}

impl Client {
    /// Creates a node whose last segment is prefixed with a fresh `_c_<uuid>-` (Curator's
    /// protected mode; sequential modes then append the sequence after the given name). When
    /// the create's outcome is unknown (the connection was lost or the call timed out while it
    /// was in flight), the client lists the parent and takes the child with its prefix if the
    /// server made it, rather than creating a second node; an ephemeral child from another
    /// session (the create went through on a session that has since ended) is deleted and the
    /// create sent again. After 5 unknown outcomes, the last error is
    /// returned and a background task deletes the node if it turns up; so does dropping the
    /// future while a create is in flight, which makes the call cancel-safe (`tokio::time::timeout`
    /// around it leaves no node behind). Parents must exist
    /// (see [`Client::create_protected_all`]).
    ///
    /// ```no_run
    /// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
    /// use zk_client::{CreateMode, CreateOptions};
    /// let options = CreateOptions::new(CreateMode::EphemeralSequential);
    /// let (path, _) = zk.create_protected("/locks/job/lock-", b"", &options).await?;
    /// // e.g. /locks/job/_c_4384d405-ca08-4f95-ad51-8fc756a05d56-lock-0000000000
    /// # Ok(()) }
    /// ```
    pub async fn create_protected(
        &self,
        path: &str,
        data: &[u8],
        options: &CreateOptions,
    ) -> Result<(String, Stat), Error> {
        self.create_prefixed(path, &protected_prefix(), data, options, None)
            .await
    }

    /// [`Client::create_protected`], creating missing parents as `parents` nodes first (see
    /// [`Client::create_all`]).
    pub async fn create_protected_all(
        &self,
        path: &str,
        data: &[u8],
        options: &CreateOptions,
        parents: CreateMode,
    ) -> Result<(String, Stat), Error> {
        self.create_prefixed(path, &protected_prefix(), data, options, Some(parents))
            .await
    }

    /// The machinery of [`Client::create_protected`] with a prefix of the caller's (kazoo's
    /// recipes use `<uuid hex>`): `prefix` goes before the last segment of `path` and must be
    /// unique to this node, since recovery takes the first child that starts with it.
    /// `parents`: create missing parents as such nodes first.
    pub async fn create_prefixed(
        &self,
        path: &str,
        prefix: &str,
        data: &[u8],
        options: &CreateOptions,
        parents: Option<CreateMode>,
    ) -> Result<(String, Stat), Error> {
        if prefix.is_empty() || prefix.contains('/') {
            return Err(Error::InvalidArgument(format!(
                "a create prefix must be a non-empty name part, not {prefix:?}"
            )));
        }
        let prefix = prefix.to_string();
        let (parent, full) = with_prefix(path, &prefix)?;
        // Until the outcome is known, a node the server may have made is this call's to clean
        // up: when the call gives up, or its future is dropped with a create in flight.
        let mut leftover = Leftover {
            zk: self.clone(),
            parent: parent.clone(),
            prefix: Some(prefix.clone()),
        };
        let ephemeral = matches!(
            options.mode,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        );
        let mut last = Error::ConnectionLoss;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                match self.find_protected(&parent, &prefix, ephemeral).await {
                    Ok(Some(found)) => {
                        leftover.disarm();
                        return Ok(found);
                    }
                    Ok(None) => {}
                    Err(e) if outcome_unknown(&e) => {
                        last = e;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let created = match parents {
                Some(p) => self.create_all(&full, data, options, p).await,
                None => self.create(&full, data, options).await,
            };
            match created {
                Err(e) if outcome_unknown(&e) => last = e,
                Err(e) => {
                    // A definite failure: the server made nothing.
                    leftover.disarm();
                    return Err(e);
                }
                Ok(made) => {
                    leftover.disarm();
                    return Ok(made);
                }
            }
        }
        // Give up; `leftover` deletes the node if the server made one.
        Err(last)
    }

    /// Deletes the child of `parent` named with `prefix`, if there is one (a create that was
    /// given up or cancelled while its outcome was unknown).
    async fn delete_protected(&self, parent: &str, prefix: &str) {
        for _ in 0..ATTEMPTS {
            match self.find_protected(parent, prefix, false).await {
                Ok(Some((node, _))) => {
                    let _ = self.delete(&node, None).await;
                    return;
                }
                Ok(None) => return,
                Err(e) if outcome_unknown(&e) => {}
                Err(_) => return,
            }
        }
    }

    /// The child of `parent` whose name starts with `prefix`, with its Stat. For `ephemeral`
    /// nodes, one owned by another session (the create was applied for an earlier session) is
    /// deleted and not returned.
    async fn find_protected(
        &self,
        parent: &str,
        prefix: &str,
        ephemeral: bool,
    ) -> Result<Option<(String, Stat)>, Error> {
        let children = match self.get_children(parent).await {
            Ok(c) => c,
            Err(Error::NoNode) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(name) = children.into_iter().find(|c| c.starts_with(prefix)) else {
            return Ok(None);
        };
        let node = if parent == "/" {
            format!("/{name}")
        } else {
            format!("{parent}/{name}")
        };
        let Some(stat) = self.exists(&node).await? else {
            return Ok(None);
        };
        if ephemeral && stat.ephemeral_owner != self.session_id() {
            match self.delete(&node, None).await {
                Ok(()) | Err(Error::NoNode) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Ok(Some((node, stat)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_curator() {
        let p = protected_prefix();
        assert_eq!(p.len(), PROTECTED_PREFIX_LEN);
        assert!(is_protected(&format!("{p}lock-0000000001")));
        assert!(
            !is_protected(&p),
            "the prefix alone is not a protected name"
        );
        assert!(is_protected(
            "_c_4384d405-ca08-4f95-ad51-8fc756a05d56-lock-0000000000"
        ));
        assert!(!is_protected(
            "_c_4384d405-ca08-4f95-ad51-8fc756a05d5z-lock-0000000000"
        ));
        assert!(!is_protected(
            "a365254a3c4e484db02a573fa4146159__lock__0000000000"
        ));
        let (parent, full) = with_prefix("/a/b/lock-", "_c_x-").unwrap();
        assert_eq!(
            (parent.as_str(), full.as_str()),
            ("/a/b", "/a/b/_c_x-lock-")
        );
        let (parent, full) = with_prefix("/lock-", "_c_x-").unwrap();
        assert_eq!((parent.as_str(), full.as_str()), ("/", "/_c_x-lock-"));
    }
}
