//! Lock holders under the same faults: each takes turns on one [`zk_recipes::Lock`] and,
//! while holding it, appends entries to a log (persistent sequential nodes) through the
//! guard's fenced `multi`, which checks the holder's lock node in the same transaction. At the
//! end the log is read back: every acknowledged entry must be there, and in the log's order
//! (the zxids that created the entries) the fencing tokens never go back (two holders' writes
//! never interleave).
//!
//! The log grows with the run, so no one parent holds it: a holder writes under a bucket of
//! its token (a zxid), `LOG/<token >> 24>/<(token >> 12) & 0xfff>/w-`. A bucket's holders got
//! their tokens within 4,096 zxids and each entry costs a zxid, so a bucket holds about 4,096
//! entries at most (64 KiB listed); the levels above grow by one name per 4,096 and per 16M
//! zxids (and per leader epoch): days of the soak list in well under the 1 MiB a stock client
//! reads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zk_client::{Client, CreateMode, CreateOptions, Error, Op, OpResult};
use zk_recipes::Lock;

use crate::harness::{connect, current, Config, Shared};
use crate::history::{FencedWrite, LogEntry};

/// The lock's path.
pub(crate) const LOCK: &str = "/chaos/lock";

/// The log the holders write to.
pub(crate) const LOG: &str = "/chaos/fence";

/// An entry's data: the writer's client and token.
fn entry_data(client: usize, token: i64) -> Vec<u8> {
    let mut data = (client as u64).to_be_bytes().to_vec();
    data.extend_from_slice(&token.to_be_bytes());
    data
}

/// The two levels of the bucket a holder with `token` writes its entries under.
pub(crate) fn bucket(token: i64) -> (String, String) {
    let top = format!("{LOG}/{:x}", token >> 24);
    let bucket = format!("{top}/{:x}", (token >> 12) & 0xfff);
    (top, bucket)
}

/// Creates `path` unless it exists.
async fn ensure(zk: &Client, path: &str) -> Result<(), Error> {
    match zk.create(path, b"", &CreateOptions::default()).await {
        Ok(_) | Err(Error::NodeExists) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Holder `c` (its index among all sessions) takes turns on the lock until the deadline;
/// returns its last client.
pub(crate) async fn hold(
    c: usize,
    cs: &str,
    shared: Arc<Shared>,
    config: Config,
    deadline: Instant,
) -> Option<Client> {
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x10C4_u64.wrapping_mul(c as u64 + 7));
    let mut zk = connect(cs, config).await;
    while Instant::now() < deadline {
        let Some(client) = current(c, cs, &mut zk, &shared, config).await else {
            continue;
        };
        if client.state().is_terminal() {
            zk = connect(cs, config).await;
            continue;
        }
        let wait = Duration::from_millis(rng.random_range(500..3000));
        let lock = Lock::new(&client, LOCK);
        let Ok(Ok(guard)) = tokio::time::timeout(wait, lock.acquire()).await else {
            continue;
        };
        shared.history().acquisitions += 1;
        let token = guard.fencing_token();
        // The bucket's nodes are not the lock's business: a failure here only makes the
        // writes below fail (NoNode), unacknowledged.
        let (top, bucket) = bucket(token);
        if ensure(&client, &top).await.is_ok() {
            let _ = ensure(&client, &bucket).await;
        }
        // Write a few entries, whether or not the lock is still held: the fence must refuse
        // those made after a loss.
        for _ in 0..rng.random_range(1..=4) {
            let create = Op::create_with(
                format!("{bucket}/w-"),
                entry_data(c, token),
                CreateOptions::new(CreateMode::PersistentSequential),
            );
            if let Ok(results) = guard.multi(&[create]).await {
                if let Some(OpResult::Create { path, .. }) = results.first() {
                    let at = shared.now();
                    shared.history().fenced.push(FencedWrite {
                        client: c,
                        token,
                        path: path.clone(),
                        at,
                    });
                }
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..200))).await;
        }
        guard.release().await;
    }
    zk
}

/// Lists `parent` (after a barrier, as the reader's server may lag), its children's full
/// paths.
async fn list(reader: &Client, parent: &str) -> Result<Vec<String>, String> {
    crate::harness::barrier(reader, parent)
        .await
        .map_err(|e| e.to_string())?;
    let names = reader
        .get_children(parent)
        .await
        .map_err(|e| format!("listing {parent}: {e}"))?;
    Ok(names.into_iter().map(|n| format!("{parent}/{n}")).collect())
}

/// Reads the whole log, in zxid order.
pub(crate) async fn read_log(reader: &Client) -> Result<Vec<LogEntry>, String> {
    let mut paths = Vec::new();
    for top in list(reader, LOG).await? {
        for bucket in list(reader, &top).await? {
            paths.extend(list(reader, &bucket).await?);
        }
    }
    let mut log = Vec::with_capacity(paths.len());
    // Pipelined, a hundred reads at a time.
    for chunk in paths.chunks(100) {
        let reads: Vec<_> = chunk.iter().map(|p| (p, reader.get_data(p))).collect();
        for (path, read) in reads {
            let (data, stat) = read.await.map_err(|e| format!("reading {path}: {e}"))?;
            let (Some(client), Some(token)) = (
                data.get(..8).and_then(|b| b.try_into().ok()),
                data.get(8..16).and_then(|b| b.try_into().ok()),
            ) else {
                return Err(format!(
                    "log entry {path} holds {} bytes, not 16",
                    data.len()
                ));
            };
            log.push(LogEntry {
                zxid: stat.czxid,
                path: path.clone(),
                client: usize::try_from(u64::from_be_bytes(client)).unwrap_or(usize::MAX),
                token: i64::from_be_bytes(token),
            });
        }
    }
    log.sort_by_key(|e| e.zxid);
    Ok(log)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// Holders over 200 million zxids (days of the soak) and about a thousand leader epochs, each acquisition writing up
    /// to four entries (a zxid each) between other sessions' writes: no level of the log lists
    /// more than a stock client reads.
    #[test]
    fn no_level_of_the_log_outgrows_a_listing() {
        let mut rng = StdRng::seed_from_u64(30);
        let mut levels: BTreeMap<String, usize> = BTreeMap::new();
        let mut add = |parent: &str, name_len: usize| {
            *levels.entry(parent.to_string()).or_default() += 4 + name_len;
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut zxid: i64 = 1 << 32;
        let end = zxid + 200_000_000;
        while zxid < end {
            if rng.random_ratio(1, 2_000) {
                zxid = ((zxid >> 32) + 1) << 32; // a new leader epoch
            }
            // Contention and the rest of the workload between acquisitions.
            zxid += rng.random_range(2..200);
            let token = zxid;
            let (top, bucket) = bucket(token);
            if seen.insert(top.clone()) {
                add(LOG, top.len() - LOG.len() - 1);
            }
            if seen.insert(bucket.clone()) {
                add(&top, bucket.len() - top.len() - 1);
            }
            for _ in 0..rng.random_range(1..=4) {
                zxid += 1;
                add(&bucket, "w-0000000000".len());
            }
        }
        let (largest, bytes) = levels.iter().max_by_key(|(_, b)| **b).unwrap();
        assert!(
            *bytes < 256 * 1024,
            "{largest} lists {bytes} bytes ({} parents)",
            levels.len()
        );
    }
}
