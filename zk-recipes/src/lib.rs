//! Coordination recipes on [`zk_client`]: an exclusive lock and leader election that share
//! their node layouts with Apache Curator 5.x (and optionally kazoo), hold fencing tokens, and
//! tell their holder as soon as ownership can no longer be guaranteed.
//!
//! | recipe | layout shared with | nodes under the path |
//! |---|---|---|
//! | [`Lock::new`] | Curator `InterProcessMutex` (and `LeaderSelector`) | `_c_<uuid>-lock-<seq>`, ephemeral sequential; parents are containers |
//! | [`Lock::kazoo`] (a [`Lock::new`] option) | kazoo `Lock` | `<uuid hex>__lock__<seq>` with the identifier as data; persistent parents |
//! | [`ReadWriteLock`] | Curator `InterProcessReadWriteLock` | `_c_<uuid>-__READ__<seq>`, `_c_<uuid>-__WRIT__<seq>` |
//! | [`Semaphore`] | Curator `InterProcessSemaphoreV2` | `locks/_c_<uuid>-lock-<seq>` (whose turn), `leases/_c_<uuid>-lease-<seq>` |
//! | [`LeaderLatch::new`] | Curator `LeaderLatch` | `_c_<uuid>-latch-<seq>` with the participant id as data |
//! | [`LeaderLatch::kazoo`] (an option) | kazoo `Election` | `<uuid hex>__lock__<seq>` with the identifier as data |
//! | [`Barrier`] | Curator `DistributedBarrier`, kazoo `Barrier` | the path itself, while the barrier is up |
//! | [`DoubleBarrier`] | Curator `DistributedDoubleBarrier`, kazoo `DoubleBarrier` | `<uuid>` ephemeral members and a persistent `ready` |
//! | [`TreeCache`] | Curator `CuratorCache` (reads only) | none: one persistent recursive watch on the path |
//! | [`PersistentNode`] | Curator `PersistentNode` | the path itself (usually ephemeral), re-created after deletion and on each new session |
//! | [`GroupMember`] | Curator `GroupMember` | `<id>` ephemeral, the payload as data |
//! | [`SharedCount`] | Curator `SharedCount`, `DistributedAtomicInteger`; kazoo `Counter(support_curator=True)` | the path itself: a 4-byte big-endian int |
//! | [`AtomicLong`] | Curator `DistributedAtomicLong` | the path itself: an 8-byte big-endian long |
//!
//! The recipes do no I/O of their own: every call goes through the [`zk_client::Client`]
//! given to them. Ownership is lost ([`Loss`]) when the session expires (including the
//! client's local expiry), the client is closed, the node is deleted by someone else, or
//! the connection is lost (by default at once; [`Lock::lost_after_disconnect`] gives a grace,
//! [`Lock::lost_only_on_expiry`] waits for the session's end).
//!
//! Every recipe is `X::new(source, path)` with chained options, where the source is a
//! `&Client` or a `&Supervisor` ([`Source`]); everything held implements [`Held`]; event
//! sources are `Stream`s of `Result<event, Error>`; every acquire is cancel-safe, so
//! `tokio::time::timeout` bounds it. The repository's guide goes deeper: `docs/recipes.md`,
//! and `docs/migrating.md` for Curator's and kazoo's calls.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod barrier;
mod cache;
mod counter;
mod held;
mod leader;
mod lock;
pub mod names;
mod ownership;
mod persistent;
mod queue;
mod rwlock;
mod semaphore;
mod source;
mod supervisor;

pub use barrier::{Barrier, DoubleBarrier};
pub use cache::{CacheEvent, CacheEvents, CachedNode, TreeCache};
pub use counter::{AtomicLong, SharedCount};
pub use held::Held;
pub use leader::{LeaderLatch, Leadership};
pub use lock::{Lock, LockGuard};
pub use ownership::Loss;
pub use persistent::{GroupMember, PersistentNode};
pub use rwlock::ReadWriteLock;
pub use semaphore::{Lease, Semaphore};
pub use source::Source;
pub use supervisor::{Sessions, Supervisor};
