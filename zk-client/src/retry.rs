//! Retrying what is safe to retry after an error that leaves the outcome unknown
//! ([`Error::ConnectionLoss`], [`Error::Timeout`]): reads, versioned writes (after reading
//! back whether the first attempt took effect) and protected creates. An unversioned write
//! has no such check, so there is deliberately no way to retry one here.

use std::future::Future;
use std::time::Duration;

use crate::error::Error;
use crate::types::{CreateOptions, Stat};
use crate::Client;

/// How many attempts, and the pause between them (doubling up to `max_delay`).
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// use zk_client::Retry;
/// let retry = Retry::default();
/// let (data, stat) = retry.read(|| zk.get_data("/app/config")).await?;
/// // Written only if nobody changed it since; retried safely after a connection loss.
/// retry.set_data(&zk, "/app/config", b"v2", stat.version).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// The pause after the first failed attempt.
    pub delay: Duration,
    /// The longest pause.
    pub max_delay: Duration,
}

impl Default for Retry {
    /// 5 attempts, 100 ms doubling to 2 s.
    fn default() -> Self {
        Retry {
            attempts: 5,
            delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

/// Errors after which the operation may or may not have happened.
pub fn outcome_unknown(e: &Error) -> bool {
    matches!(e, Error::ConnectionLoss | Error::Timeout)
}

impl Retry {
    fn pause(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.delay.saturating_mul(factor).min(self.max_delay)
    }

    /// Runs `op` until it succeeds, fails with an error other than a connection loss or
    /// timeout, or the attempts run out. **Only for reads** (and other calls that change
    /// nothing): a write retried this way could be applied twice.
    pub async fn read<T, F, Fut>(&self, mut op: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut attempt = 0;
        loop {
            match op().await {
                Err(e) if outcome_unknown(&e) && attempt + 1 < self.attempts => {
                    tokio::time::sleep(self.pause(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// `set_data` at `version`. After an unknown outcome it reads the node back: at
    /// `version + 1` with exactly `data`, the first attempt took effect (success); still at
    /// `version`, it did not (sent again); anything else is [`Error::BadVersion`], as the write
    /// itself would have answered. (Another client writing the same bytes over `version` in
    /// between is indistinguishable from success, and harmless for the same reason.)
    pub async fn set_data(
        &self,
        zk: &Client,
        path: &str,
        data: &[u8],
        version: i32,
    ) -> Result<Stat, Error> {
        let mut attempt = 0;
        loop {
            match zk.set_data(path, data, Some(version)).await {
                Err(e) if outcome_unknown(&e) && attempt + 1 < self.attempts => {
                    tokio::time::sleep(self.pause(attempt)).await;
                    attempt += 1;
                    let (now, stat) = self.read(|| zk.get_data(path)).await?;
                    if stat.version == version.wrapping_add(1) && now == data {
                        return Ok(stat);
                    }
                    if stat.version != version {
                        return Err(Error::BadVersion);
                    }
                }
                other => return other,
            }
        }
    }

    /// `delete` at `version`. After an unknown outcome it checks the node: gone means done;
    /// still at `version`, the delete is sent again; another version is
    /// [`Error::BadVersion`].
    pub async fn delete(&self, zk: &Client, path: &str, version: i32) -> Result<(), Error> {
        let mut attempt = 0;
        loop {
            match zk.delete(path, Some(version)).await {
                Err(e) if outcome_unknown(&e) && attempt + 1 < self.attempts => {
                    tokio::time::sleep(self.pause(attempt)).await;
                    attempt += 1;
                    match self.read(|| zk.exists(path)).await? {
                        None => return Ok(()),
                        Some(stat) if stat.version != version => return Err(Error::BadVersion),
                        Some(_) => {}
                    }
                }
                other => return other,
            }
        }
    }

    /// A protected create ([`Client::create_protected`]), which finds its own node after an
    /// unknown outcome; retried as a whole while the connection keeps failing.
    pub async fn create_protected(
        &self,
        zk: &Client,
        path: &str,
        data: &[u8],
        options: &CreateOptions,
    ) -> Result<(String, Stat), Error> {
        self.read(|| zk.create_protected(path, data, options)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap() {
        let r = Retry::default();
        let p: Vec<u128> = (0..7).map(|a| r.pause(a).as_millis()).collect();
        assert_eq!(p, [100, 200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(r.pause(u32::MAX).as_millis(), 2000);
    }

    #[tokio::test]
    async fn reads_are_retried_only_after_an_unknown_outcome() {
        let r = Retry {
            attempts: 3,
            delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        };
        let mut calls = 0;
        let got: Result<u8, Error> = r
            .read(|| {
                calls += 1;
                let answer = if calls < 3 {
                    Err(Error::ConnectionLoss)
                } else {
                    Ok(7)
                };
                async move { answer }
            })
            .await;
        assert_eq!((got, calls), (Ok(7), 3));
        let mut calls = 0;
        let got: Result<u8, Error> = r
            .read(|| {
                calls += 1;
                async { Err(Error::NoNode) }
            })
            .await;
        assert_eq!((got, calls), (Err(Error::NoNode), 1));
        let mut calls = 0;
        let got: Result<u8, Error> = r
            .read(|| {
                calls += 1;
                async { Err(Error::Timeout) }
            })
            .await;
        assert_eq!((got, calls), (Err(Error::Timeout), 3));
    }
}
