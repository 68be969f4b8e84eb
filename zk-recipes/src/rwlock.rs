//! The read-write lock on Curator's `InterProcessReadWriteLock` layout: readers
//! (`_c_<uuid>-__READ__<seq>`) and writers (`_c_<uuid>-__WRIT__<seq>`) queue in one
//! directory, ordered by their sequence numbers together. A writer owns when it is first; a
//! reader when no writer is before it (and then waits for the first writer only).

use crate::lock::Lock;
use crate::queue::Role;
use crate::source::Source;

/// The lock names the read-write lock sorts by (both 8 characters, as Curator requires).
const RW_NAMES: &[&str] = &["__READ__", "__WRIT__"];

/// A read-write lock at a path, shared with Curator's `InterProcessReadWriteLock`.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// let rw = zk_recipes::ReadWriteLock::new(&zk, "/locks/catalog");
/// let reading = rw.read_lock().acquire().await?; // beside other readers
/// reading.release().await;
/// let writing = rw.write_lock().acquire().await?; // alone
/// writing.release().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ReadWriteLock {
    read: Lock,
    write: Lock,
}

impl ReadWriteLock {
    /// The read-write lock at `path` (on a client's session, or a supervisor's: see
    /// [`Source`]; nodes with empty data, container parents). Each side is a [`Lock`]
    /// whose options (data, loss on disconnect) can be set on it.
    pub fn new(source: impl Into<Source>, path: &str) -> ReadWriteLock {
        let source = source.into();
        ReadWriteLock {
            read: Lock::new(&source, path).queued_as(
                "__READ__",
                RW_NAMES,
                Role::Shared {
                    blocker: "__WRIT__",
                },
            ),
            write: Lock::new(source, path).queued_as("__WRIT__", RW_NAMES, Role::Exclusive),
        }
    }

    /// The shared side: held by any number of readers while no writer holds or waits ahead.
    /// (Not re-entrant, and a reader cannot upgrade: a write acquire waits for every read
    /// held before it, its own included.)
    pub fn read_lock(&self) -> &Lock {
        &self.read
    }

    /// The exclusive side.
    pub fn write_lock(&self) -> &Lock {
        &self.write
    }
}
