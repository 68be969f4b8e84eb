//! What every held thing (a lock guard, a read or write guard, a leadership, a semaphore
//! lease) can do: tell its loss, give its fencing token, guard writes, run work while held,
//! and let go.

use std::future::Future;

use zk_client::{Error, Op, OpResult};

use crate::ownership::Loss;

/// Something this process holds through a node in ZooKeeper, and can lose: a
/// [`LockGuard`](crate::LockGuard) (of a [`Lock`](crate::Lock) or either side of a
/// [`ReadWriteLock`](crate::ReadWriteLock)), a [`Leadership`](crate::Leadership), a
/// [`Lease`](crate::Lease).
///
/// Each of them has these methods as its own too, so the trait needs importing only to write
/// code generic over them.
///
/// Dropping a held thing lets go in the background (its node is deleted);
/// [`Held::release`] does it now.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use zk_recipes::{Held, LeaderLatch, Lock};
///
/// // Generic over what is held: run `work` while it is, stop at its loss.
/// async fn exclusively(held: impl Held) -> Result<(), zk_recipes::Loss> {
///     held.run_while_held(async { /* the work */ }).await?;
///     held.release().await;
///     Ok(())
/// }
/// exclusively(Lock::new(&zk, "/locks/job").acquire().await?).await?;
/// exclusively(LeaderLatch::new(&zk, "/election").acquire().await?).await?;
/// # Ok(()) }
/// ```
pub trait Held: Send + Sync {
    /// The node that stands for holding it.
    fn node(&self) -> &str;

    /// A fencing token: the zxid that created the node (its `czxid`). Holders hold in the
    /// order their nodes were created, so each later holder's token is larger than every
    /// earlier one's: a resource that refuses writes carrying a token lower than the highest
    /// it has seen keeps a holder that lost (and does not know yet) from overwriting its
    /// successor.
    fn fencing_token(&self) -> i64;

    /// The loss, if it already happened (`None`: still held, as far as is known).
    fn loss(&self) -> Option<Loss>;

    /// Whether it is still held, as far as is known (no loss seen yet).
    fn is_held(&self) -> bool {
        self.loss().is_none()
    }

    /// Resolves as soon as holding can no longer be guaranteed, with why (see [`Loss`]).
    fn lost(&self) -> impl Future<Output = Loss> + Send + '_;

    /// Runs `ops` as one `multi` behind a check that the node still exists, so they apply
    /// only while it is held: after a loss the multi fails ([`Error::MultiFailed`] naming
    /// operation 0, or [`Error::NoNode`] once the loss is known) instead of racing the next
    /// holder. Returns the results of `ops`.
    fn multi<'a>(
        &'a self,
        ops: &'a [Op],
    ) -> impl Future<Output = Result<Vec<OpResult>, Error>> + Send + 'a;

    /// Runs `work` while held: its output when it finishes, or the [`Loss`] that stopped it
    /// (the future is dropped as soon as holding can no longer be guaranteed). It stays held
    /// afterwards: release it, or drop it.
    fn run_while_held<'a, F>(
        &'a self,
        work: F,
    ) -> impl Future<Output = Result<F::Output, Loss>> + Send + 'a
    where
        F: Future + Send + 'a,
    {
        async move {
            tokio::select! {
                loss = self.lost() => Err(loss),
                out = work => Ok(out),
            }
        }
    }

    /// Lets go now (deletes the node); someone else may hold next.
    fn release(self) -> impl Future<Output = ()> + Send
    where
        Self: Sized;
}

/// Implements [`Held`] for a type with an `owned: Owned` field, and the same methods as the
/// type's own (so callers need no import).
macro_rules! held {
    ($ty:ty) => {
        impl $ty {
            /// The node that stands for holding it.
            pub fn node(&self) -> &str {
                &self.owned.node
            }

            /// A fencing token (see [`Held::fencing_token`](crate::Held::fencing_token)).
            pub fn fencing_token(&self) -> i64 {
                self.owned.token
            }

            /// The loss, if it already happened (see [`Held::loss`](crate::Held::loss)).
            pub fn loss(&self) -> Option<crate::Loss> {
                self.owned.lost_now()
            }

            /// Whether it is still held, as far as is known.
            pub fn is_held(&self) -> bool {
                self.loss().is_none()
            }

            /// Resolves as soon as holding can no longer be guaranteed (see
            /// [`Held::lost`](crate::Held::lost)).
            pub async fn lost(&self) -> crate::Loss {
                self.owned.lost().await
            }

            /// `ops` in one `multi` behind a check that the node still exists (see
            /// [`Held::multi`](crate::Held::multi)).
            pub async fn multi(
                &self,
                ops: &[zk_client::Op],
            ) -> Result<Vec<zk_client::OpResult>, zk_client::Error> {
                self.owned.guarded(ops).await
            }

            /// Runs `work` while held: its output, or the loss that stopped it (see
            /// [`Held::run_while_held`](crate::Held::run_while_held)).
            pub async fn run_while_held<F: std::future::Future + Send>(
                &self,
                work: F,
            ) -> Result<F::Output, crate::Loss> {
                crate::Held::run_while_held(self, work).await
            }

            /// Lets go now (deletes the node). Dropping it does the same in the background.
            pub async fn release(mut self) {
                self.owned.release().await;
            }
        }

        impl crate::Held for $ty {
            fn node(&self) -> &str {
                &self.owned.node
            }

            fn fencing_token(&self) -> i64 {
                self.owned.token
            }

            fn loss(&self) -> Option<crate::Loss> {
                self.owned.lost_now()
            }

            fn lost(&self) -> impl std::future::Future<Output = crate::Loss> + Send + '_ {
                self.owned.lost()
            }

            fn multi<'a>(
                &'a self,
                ops: &'a [zk_client::Op],
            ) -> impl std::future::Future<
                Output = Result<Vec<zk_client::OpResult>, zk_client::Error>,
            > + Send
                   + 'a {
                self.owned.guarded(ops)
            }

            fn release(self) -> impl std::future::Future<Output = ()> + Send {
                <$ty>::release(self)
            }
        }
    };
}

pub(crate) use held;
