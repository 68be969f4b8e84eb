//! Where a recipe gets its session: one [`Client`], or a [`Supervisor`]'s sessions one after
//! another.

use tokio::sync::watch;
use zk_client::Client;

use crate::Supervisor;

/// The session (or sessions) a recipe works on. Every recipe's `new` takes one, made from a
/// `&Client` or a `&Supervisor`:
///
/// - on a **client**, a recipe lives and dies with that client's session: when it expires,
///   held things report their [`Loss`](crate::Loss), streams end with the session's error, and
///   kept nodes stop being kept;
/// - on a **supervisor**, held things (locks, leaderships, leases) still report their loss at
///   expiry (a lock cannot be carried over: someone else may hold it by then), and their next
///   acquire uses the new session; what is kept (a [`PersistentNode`](crate::PersistentNode),
///   a [`GroupMember`](crate::GroupMember), a [`TreeCache`](crate::TreeCache)) moves to the
///   new session: the node is created again, the cache checks its view against the server.
///   Their `stop_at_expiry()` option makes them stop and report at the first expiry instead,
///   as on a plain client.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client, supervisor: zk_recipes::Supervisor) {
/// use zk_recipes::Lock;
/// let on_one_session = Lock::new(&zk, "/locks/a");
/// let on_every_session = Lock::new(&supervisor, "/locks/a");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Source {
    sessions: watch::Receiver<Client>,
}

impl Source {
    /// The client of the current session.
    pub fn client(&self) -> Client {
        self.sessions.borrow().clone()
    }

    /// The current session only: a recipe on it stops at that session's end, whatever the
    /// source.
    pub(crate) fn current_only(&self) -> Source {
        Source::from(&self.client())
    }

    /// The clients one per session: on a plain client, a channel that never changes (its
    /// sender is gone, so `changed()` fails at once: there is no next session).
    pub(crate) fn sessions(&self) -> watch::Receiver<Client> {
        self.sessions.clone()
    }
}

impl From<&Client> for Source {
    fn from(zk: &Client) -> Source {
        let (_, sessions) = watch::channel(zk.clone());
        Source { sessions }
    }
}

impl From<Client> for Source {
    fn from(zk: Client) -> Source {
        Source::from(&zk)
    }
}

impl From<&Supervisor> for Source {
    fn from(supervisor: &Supervisor) -> Source {
        Source {
            sessions: supervisor.watch_sessions(),
        }
    }
}

impl From<&Source> for Source {
    fn from(source: &Source) -> Source {
        source.clone()
    }
}
