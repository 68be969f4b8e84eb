//! Whole paths and subtrees: [`Client::create_all`] (create missing parents, like
//! `mkdir -p`) and [`Client::delete_all`] (delete a node and everything under it), each
//! tolerant of other clients doing the same at the same time.

use crate::error::Error;
use crate::types::{CreateMode, CreateOptions, Stat};
use crate::Client;

/// How often a create whose parent vanished again (a container reaped, another client's
/// `delete_all`) is tried before its NoNode is returned.
const PARENT_RACES: usize = 5;

/// The ancestors of `path`, shortest first: `/a/b/c` → `/a`, `/a/b`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .map(|(i, _)| i)
        .filter(|&i| i > 0)
        .map(move |i| &path[..i])
}

impl Client {
    /// Creates `path` and, when its parent is missing, every missing ancestor first, as
    /// `parents` nodes (`Persistent`, as kazoo's `ensure_path`, or `Container`, as Curator's
    /// `creatingParentContainersIfNeeded`, which the server removes once they are empty again)
    /// with empty data and `options`' ACL. An ancestor created by someone else meanwhile is
    /// fine; the node itself existing is [`Error::NodeExists`], as with
    /// [`Client::create`]. Returns the created path (with its sequence number) and Stat.
    ///
    /// ```no_run
    /// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
    /// use zk_client::{CreateMode, CreateOptions};
    /// let (path, _) = zk
    ///     .create_all("/app/config/db", b"url", &CreateOptions::default(), CreateMode::Persistent)
    ///     .await?;
    /// assert_eq!(path, "/app/config/db");
    /// # Ok(()) }
    /// ```
    pub async fn create_all(
        &self,
        path: &str,
        data: &[u8],
        options: &CreateOptions,
        parents: CreateMode,
    ) -> Result<(String, Stat), Error> {
        let mut tries = 0;
        loop {
            match self.create(path, data, options).await {
                Err(Error::NoNode) if tries < PARENT_RACES => {
                    tries += 1;
                    self.ensure_ancestors(path, options, parents).await?;
                }
                other => return other,
            }
        }
    }

    /// Makes sure `path` exists: creates it and every missing ancestor as persistent nodes
    /// with empty data and the open ACL, and succeeds when they exist already (kazoo's
    /// `ensure_path`, `mkdir -p`). Nodes someone else creates meanwhile are fine.
    ///
    /// ```no_run
    /// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
    /// zk.ensure_path("/app/members").await?;
    /// zk.ensure_path("/app/members").await?; // again: nothing to do, no error
    /// # Ok(()) }
    /// ```
    pub async fn ensure_path(&self, path: &str) -> Result<(), Error> {
        if path == "/" {
            return Ok(());
        }
        match self
            .create_all(path, b"", &CreateOptions::default(), CreateMode::Persistent)
            .await
        {
            Ok(_) | Err(Error::NodeExists) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Creates every missing ancestor of `path` (not `path` itself).
    async fn ensure_ancestors(
        &self,
        path: &str,
        options: &CreateOptions,
        parents: CreateMode,
    ) -> Result<(), Error> {
        let parent_options = CreateOptions {
            mode: parents,
            acl: options.acl.clone(),
            ttl: None,
        };
        for ancestor in ancestors(path) {
            match self.create(ancestor, b"", &parent_options).await {
                Ok(_) | Err(Error::NodeExists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Deletes `path` and every node under it, children before parents; returns how many
    /// nodes this call deleted. Nodes deleted by someone else meanwhile are skipped; a child
    /// created meanwhile is deleted too (a node stays only if children keep appearing faster
    /// than this deletes them, and then the error is [`Error::NotEmpty`]). A missing `path`
    /// deletes nothing. The walk keeps a stack of the nodes to visit, not a recursion, so the
    /// depth of the tree costs no stack.
    pub async fn delete_all(&self, path: &str) -> Result<usize, Error> {
        let mut deleted = 0;
        // (path, whether its children were listed already)
        let mut stack = vec![(path.to_string(), false)];
        let mut not_empty_again = 0;
        while let Some((node, listed)) = stack.pop() {
            if !listed {
                match self.get_children(&node).await {
                    Ok(children) => {
                        stack.push((node.clone(), true));
                        let base = if node == "/" { "" } else { node.as_str() };
                        stack.extend(children.into_iter().map(|c| (format!("{base}/{c}"), false)));
                    }
                    Err(Error::NoNode) => {}
                    Err(e) => return Err(e),
                }
                continue;
            }
            if node == "/" {
                continue; // the root cannot be deleted
            }
            match self.delete(&node, None).await {
                Ok(()) => deleted += 1,
                Err(Error::NoNode) => {}
                Err(Error::NotEmpty) if not_empty_again < PARENT_RACES => {
                    // A child appeared since the listing: list it again.
                    not_empty_again += 1;
                    stack.push((node, false));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::ancestors;

    #[test]
    fn ancestors_are_listed_top_down() {
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), ["/a", "/a/b"]);
        assert_eq!(ancestors("/a").count(), 0);
        assert_eq!(ancestors("/").count(), 0);
    }
}
